// The documented examples parse: every ```js block of README.md and
// docs/api.md is checked as an ES module (top-level await, as the README
// says) by the node running the tests (`node --check`), so the Node matrix
// of npm test checks them under every supported line: `await using` is a
// SyntaxError on Node 20 and 22. (Running them needs fwctl devices; the
// kernel suite covers the calls.)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '../../..');
const docs = ['README.md', 'docs/api.md'];

function jsBlocks(file: string): { line: number; code: string }[] {
  const md = fs.readFileSync(path.join(root, file), 'utf8');
  const out: { line: number; code: string }[] = [];
  for (const m of md.matchAll(/^```(?:js|javascript|mjs)\n([\s\S]*?)^```/gm)) {
    out.push({ line: md.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-docs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.each(docs)('%s', (file) => {
  const blocks = jsBlocks(file);
  test('has js examples', () => expect(blocks.length).toBeGreaterThan(0));
  test.each(blocks.map((b) => [b.line, b.code] as const))(`the example at line %i parses on node ${process.version}`, (line, code) => {
    const p = path.join(dir, `${path.basename(file)}-${line}.mjs`);
    fs.writeFileSync(p, code);
    const r = spawnSync(process.execPath, ['--check', p], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
