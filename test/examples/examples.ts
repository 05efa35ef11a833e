// The code examples of README.md, CONTRIBUTING.md and docs/**/*.md, extracted and made runnable
// (issue 15). Every fenced ```js, ```ts and ```sh block (also javascript,
// mjs, typescript, bash) is an example; blocks in other languages or none
// (outputs, ini, udev rules) are not. A block runs as written unless an HTML
// comment on the line right before its fence says otherwise:
//
//   <!-- example: not-runnable (why) -->      a fragment, pseudo-code, a host-only
//                                              command: counted, never run
//   <!-- example: node>=24 -->                 runs only on Node 24 and later
//   <!-- example: dev=mlx5 -->                 a fragment of its section, run with `fwctl`,
//                                              `mlx5` (fwctl.mlx5) and `dev` (an open handle on
//                                              the test VM's mlx5 device, closed afterwards) in
//                                              scope, and for mlx5 `request` (the quick start's
//                                              QUERY_ADAPTER mailbox); also bnxt, pds, cxl (the
//                                              emulated memdev)
//   <!-- example: boot=cxl -->                 runs in the cxl boot (drivers/cxl), not the main one
//   <!-- example: replace A -> TARGET -->      every A becomes TARGET in the test VM: TYPE
//                                              (that device's fwctlN), TYPE.pci (its PCI
//                                              address), TYPE.driver (its parent's driver) for
//                                              TYPE mlx5, bnxt or pds; cxl.memdev (the emulated
//                                              CXL memdev, fwctl_cxlemu), cxl_test.memdev (one of
//                                              cxl_test's), tmp/NAME (a file in a scratch dir;
//                                              the main boot provides tmp/mlx5-fw.mfa2, an MFA2
//                                              archive for the emulated mlx5: test/examples/suite.ts)
//
// Clauses combine with ';' in one comment. The kernel suite runs every
// runnable block against the real drivers (test/kernel/suite/examples.test.ts,
// examples.cxl.test.ts), under each Node line of the matrix;
// test/unit/docs.test.ts checks the markers and the parse on the host.
//
// How a block runs: js with a static import/export is an ES module (.mjs);
// any other js block is CommonJS wrapped in an async function, as the README
// says to run its top-level-await examples under CommonJS; ts is transpiled
// by the pinned typescript (target ES2022, so `await using` is lowered for
// Node 20 and 22) and then run the same way; sh runs under bash -euo pipefail
// with `fwctl` (the CLI of this checkout) first on PATH. Success is exit
// status 0 within the timeout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeCliBin } from '../unit/helpers/cli';

export const REPO = path.resolve(__dirname, '../../..');

export type Lang = 'js' | 'ts' | 'sh';
const LANGS: Record<string, Lang> = { js: 'js', javascript: 'js', mjs: 'js', ts: 'ts', typescript: 'ts', sh: 'sh', bash: 'sh' };
export const DEVICE_TYPES = ['mlx5', 'bnxt', 'pds', 'cxl'] as const;
export type DeviceKind = (typeof DEVICE_TYPES)[number];

export interface Example {
  /** repo-relative markdown file */
  file: string;
  /** line of the opening fence (1-based) */
  line: number;
  lang: Lang;
  code: string;
  /** the marker comment, verbatim, or null */
  marker: string | null;
  notRunnable: string | null;
  minNode: number | null;
  dev: DeviceKind | null;
  boot: 'main' | 'cxl';
  replace: Array<[string, string]>;
  /** marker problems (unknown clause, bad target): the unit test fails on any */
  problems: string[];
}

/**
 * The markdown files whose examples are tested: README.md, CONTRIBUTING.md
 * and every .md under docs/ (subfolders included: docs/api/*.md).
 */
export function docFiles(): string[] {
  const walk = (rel: string): string[] => fs.readdirSync(path.join(REPO, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(`${rel}/${e.name}`) : e.name.endsWith('.md') ? [`${rel}/${e.name}`] : []));
  const top = ['README.md', 'CONTRIBUTING.md'].filter((f) => fs.existsSync(path.join(REPO, f)));
  return [...top, ...walk('docs').sort()];
}

const TARGET = /^(mlx5|bnxt|pds)(\.pci|\.driver)?$|^cxl(_test)?\.memdev$|^tmp\/[\w.-]+$/;

function parseMarker(text: string, ex: Example): void {
  // not-runnable stands alone, so its reason may hold ';'
  const nr = /^not-runnable \((.+)\)$/.exec(text.trim());
  for (const raw of nr ? [text] : text.split(';')) {
    const c = raw.trim();
    let m: RegExpExecArray | null;
    if (!c) continue;
    if ((m = /^not-runnable \((.+)\)$/.exec(c))) ex.notRunnable = m[1].trim();
    else if ((m = /^node>=(\d+)$/.exec(c))) ex.minNode = Number(m[1]);
    else if ((m = /^dev=(\w+)$/.exec(c))) {
      if ((DEVICE_TYPES as readonly string[]).includes(m[1])) ex.dev = m[1] as DeviceKind;
      else ex.problems.push(`dev=${m[1]}: not one of ${DEVICE_TYPES.join(', ')}`);
    } else if ((m = /^boot=(\w+)$/.exec(c))) {
      if (m[1] === 'main' || m[1] === 'cxl') ex.boot = m[1];
      else ex.problems.push(`boot=${m[1]}: main or cxl`);
    } else if ((m = /^replace (\S+) -> (\S+)$/.exec(c))) {
      if (!TARGET.test(m[2])) ex.problems.push(`replace target ${m[2]}: not a known target`);
      else ex.replace.push([m[1], m[2]]);
    } else ex.problems.push(`unknown marker clause '${c}'`);
  }
  if (ex.notRunnable !== null && (ex.minNode !== null || ex.dev || ex.replace.length)) {
    ex.problems.push('not-runnable with clauses that only matter for running');
  }
}

/** Every example of one markdown file, with its marker. */
export function extract(file: string): Example[] {
  const lines = fs.readFileSync(path.resolve(REPO, file), 'utf8').split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    const lang = LANGS[open[1]];
    if (lang) {
      const prev = i > 0 ? lines[i - 1] : '';
      const mk = /^<!-- example: (.*) -->\s*$/.exec(prev);
      const ex: Example = {
        file, line: i + 1, lang, code: lines.slice(i + 1, j).join('\n') + '\n',
        marker: mk ? prev.trim() : null, notRunnable: null, minNode: null, dev: null, boot: 'main', replace: [], problems: [],
      };
      if (mk) parseMarker(mk[1], ex);
      else if (/<!--\s*example/.test(prev)) ex.problems.push(`malformed marker: ${prev.trim()}`);
      out.push(ex);
    } else if (i > 0 && /<!--\s*example/.test(lines[i - 1])) {
      out.push({
        file, line: i + 1, lang: 'sh', code: '', marker: lines[i - 1].trim(), notRunnable: 'not an example language', minNode: null,
        dev: null, boot: 'main', replace: [], problems: [`a marker before a \`\`\`${open[1] || '(no language)'} block, which is not an example`],
      });
    }
    i = j;
  }
  return out;
}

export function allExamples(): Example[] {
  return docFiles().flatMap(extract);
}

export const label = (ex: Example): string => `${ex.file}:${ex.line} (${ex.lang})`;

/** ES module when the block has a static import or export. */
export const isModule = (code: string): boolean => /^\s*(import\s+[\w*{'"]|export\s)/m.test(code);

/** What a replace target means in the VM: `resolve` maps device kinds to entries. */
export interface Targets {
  /** fwctlN of the device (cxl: the emulated memdev's) */
  name(kind: DeviceKind): string;
  pci(kind: DeviceKind): string;
  driver(kind: DeviceKind): string;
  cxlMemdev(): string;
  cxlTestMemdev(): string;
  tmp: string;
}

export function resolveTarget(target: string, t: Targets): string {
  if (target.startsWith('tmp/')) return path.join(t.tmp, target.slice(4));
  if (target === 'cxl.memdev') return t.cxlMemdev();
  if (target === 'cxl_test.memdev') return t.cxlTestMemdev();
  const [kind, what] = target.split('.') as [DeviceKind, string | undefined];
  return what === 'pci' ? t.pci(kind) : what === 'driver' ? t.driver(kind) : t.name(kind);
}

/**
 * The source of the file that runs `ex` and its extension. Replacements are
 * applied first; `dev=` adds the open handle and the type's namespace in an
 * enclosing scope (the block's own declarations shadow them), closed in a
 * finally.
 */
export function program(ex: Example, t: Targets, devName?: string): { source: string; ext: '.mjs' | '.cjs' | '.sh' } {
  let code = ex.code;
  for (const [from, to] of ex.replace) {
    if (!code.includes(from)) throw new Error(`${label(ex)}: replace ${from}: not in the example`);
    code = code.split(from).join(resolveTarget(to, t));
  }
  if (ex.lang === 'sh') return { source: `set -euo pipefail\n${code}`, ext: '.sh' };
  const module = isModule(code);
  if (module && ex.dev) throw new Error(`${label(ex)}: dev= needs a CommonJS example (no import/export)`);
  let source = code;
  if (!module) {
    const open = ex.dev
      ? `const fwctl = require('fwctl');\nconst ${ex.dev} = fwctl.${ex.dev};\n${ex.dev === 'mlx5' ? MLX5_REQUEST : ''}`
        + `const dev = await fwctl.open(${JSON.stringify(devName)});\ntry {\n`
      : '{\n';
    const close = ex.dev ? '\n} finally {\n  await dev.close();\n}\n' : '\n}\n';
    source = `(async () => {\n${open}${code}${close}})().catch((e) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n`;
  }
  if (ex.lang === 'ts') source = transpile(source, module, label(ex));
  return { source, ext: module ? '.mjs' : '.cjs' };
}

/** dev=mlx5's `request`: QUERY_ADAPTER (opcode 0x101), as the README's quick start builds it. */
const MLX5_REQUEST = 'const request = Buffer.alloc(16);\nrequest.writeUInt16BE(0x101, 0);\n';

/** TypeScript to JavaScript with the pinned compiler; syntax errors throw. */
export function transpile(source: string, module: boolean, name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const r = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: module ? 'example.mts' : 'example.cts',
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: module ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    },
  });
  const errors = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(`${name}: ${errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
  return r.outputText;
}

/**
 * A scratch directory where `require('fwctl')`/`import 'fwctl'` resolve to
 * this checkout (node_modules/fwctl, a symlink to the repo, so its package.json
 * exports apply) and bin/fwctl runs its CLI with the given node.
 */
export function workdir(base: string, node: string): { dir: string; bin: string } {
  const dir = fs.mkdtempSync(path.join(base, 'fwctl-examples-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(dir, 'node_modules/fwctl'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  writeCliBin(bin, node);
  return { dir, bin };
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs one example with `node` (process.execPath in the suite) in `dir`; never throws for the example's failure. */
export function runExample(ex: Example, t: Targets, opts: { node: string; dir: string; bin: string; timeoutMs: number }): RunResult {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const devName = ex.dev ? t.name(ex.dev) : undefined;
  const { source, ext } = program(ex, t, devName);
  const file = path.join(opts.dir, `${ex.file.replace(/\W+/g, '-')}-${ex.line}${ext}`);
  fs.writeFileSync(file, source);
  const argv = ext === '.sh' ? ['bash', [file]] as const : [opts.node, [file]] as const;
  const t0 = Date.now();
  const r = spawnSync(argv[0], [...argv[1]], {
    cwd: opts.dir, encoding: 'utf8', timeout: opts.timeoutMs, killSignal: 'SIGKILL',
    env: { ...process.env, PATH: `${opts.bin}:${path.dirname(opts.node)}:${process.env.PATH ?? ''}` },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''), ms: Date.now() - t0 };
}
