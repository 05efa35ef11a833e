// The documented examples on the host (test/examples/examples.ts says what
// an example is and how the markers read): every ```js, ```ts and ```sh block
// of README.md, CONTRIBUTING.md and docs/**/*.md either runs or carries a not-runnable marker
// with its reason; markers are well formed; the main examples (the README
// quick start, the opening of docs/api.md) run on every Node line; and every
// runnable block parses here (node --check, the pinned typescript, bash -n),
// so the Node matrix of npm test checks the syntax under each line. Running
// them against the real drivers is the kernel suite's
// (test/kernel/suite/examples.test.ts, examples.cxl.test.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allExamples, docFiles, Example, extract, label, program, REPO, runExample, Targets, workdir } from '../examples/examples';

const major = Number(process.versions.node.split('.')[0]);
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-docs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Placeholders: the syntax check needs no device.
const fake: Targets = {
  name: (k) => `fwctl-${k}`, pci: () => '0000:00:00.0', driver: () => 'drv', cxlMemdev: () => 'mem9', cxlTestMemdev: () => 'mem8',
  get tmp() {
    return dir;
  },
};

const all = allExamples();
const runnable = all.filter((e) => e.notRunnable === null);

test('README.md and docs/**/*.md are read, with examples in both', () => {
  expect(docFiles()).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/api/core.md', 'docs/transcripts.md']));
  expect(all.filter((e) => e.file === 'README.md' && e.notRunnable === null).length).toBeGreaterThan(0);
  expect(all.filter((e) => e.file === 'docs/api.md' && e.notRunnable === null).length).toBeGreaterThan(0);
  const byKind = (f: (e: Example) => boolean) => all.filter(f).length;
  process.stderr.write(`[docs] ${all.length} examples: ${byKind((e) => e.notRunnable === null && e.boot === 'main')} for the main boot, `
    + `${byKind((e) => e.notRunnable === null && e.boot === 'cxl')} for the cxl boot, ${byKind((e) => e.minNode !== null)} for a newer Node, `
    + `${byKind((e) => e.notRunnable !== null)} marked not-runnable\n`);
});

test('every marker is well formed and every not-runnable one says why', () => {
  expect(all.flatMap((e) => e.problems.map((p) => `${label(e)}: ${p}`))).toEqual([]);
  for (const e of all.filter((x) => x.notRunnable !== null)) expect(e.notRunnable!.length).toBeGreaterThan(5);
});

test('the main examples (README quick start, the opening of docs/api.md) run in the main boot on every Node line', () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8').split('\n');
  const quick = readme.indexOf('## Quick start');
  const mains = [
    extract('README.md').find((e) => e.line > quick && e.lang === 'js')!,
    extract('docs/api.md')[0],
  ];
  for (const e of mains) {
    expect({ at: label(e), notRunnable: e.notRunnable, minNode: e.minNode, boot: e.boot, dev: e.dev })
      .toEqual({ at: label(e), notRunnable: null, minNode: null, boot: 'main', dev: null });
  }
});

const parseable = runnable.filter((e) => e.minNode === null || major >= e.minNode);
test.each(parseable.map((e) => [label(e), e] as [string, Example]))(`%s parses on node ${process.version}`, (_l, ex) => {
  const { source, ext } = program(ex, fake, 'fwctl0');
  const file = path.join(dir, `${ex.file.replace(/\W+/g, '-')}-${ex.line}${ext}`);
  fs.writeFileSync(file, source);
  const r = ext === '.sh' ? spawnSync('bash', ['-n', file], { encoding: 'utf8' }) : spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

describe('the extractor and the runner can fail', () => {
  const md = [
    '<!-- example: not-runnable (a sketch) -->', '```js', 'use(it);', '```',
    '<!-- example: nod>=24 -->', '```js', 'console.log(1);', '```',
    '<!-- example: replace a -> nowhere -->', '```sh', 'echo a', '```',
    '<!-- example: node>=24 -->', '```text', 'output', '```',
    '```ts', 'const x: number = 1; console.log(x);', '```',
    '```js', "throw new Error('an example that does not run');", '```',
    '```sh', 'fwctl --help >/dev/null', '```',
  ].join('\n');
  let exs: Example[];
  beforeAll(() => {
    fs.writeFileSync(path.join(dir, 'fixture.md'), md);
    exs = extract(path.join(dir, 'fixture.md'));
  });
  test('markers: a reason, an unknown clause, a bad target, a marker before a block that is not an example', () => {
    expect(exs.map((e) => [e.line, e.lang, e.notRunnable, e.problems.length])).toEqual([
      [2, 'js', 'a sketch', 0], [6, 'js', null, 1], [10, 'sh', null, 1], [14, 'sh', 'not an example language', 1],
      [17, 'ts', null, 0], [20, 'js', null, 0], [23, 'sh', null, 0],
    ]);
  });
  test('a block that throws exits non-zero; TypeScript and the CLI on PATH run', () => {
    const w = workdir(dir, process.execPath);
    const run = (e: Example) => runExample(e, fake, { node: process.execPath, dir: w.dir, bin: w.bin, timeoutMs: 60_000 });
    const bad = run(exs[5]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('an example that does not run');
    expect(run(exs[4])).toMatchObject({ status: 0, stdout: '1\n' });
    expect(run(exs[6])).toMatchObject({ status: 0 });
  });
});
