// The import graph of lib/: no circles, and no import from the core, the
// session layer or the fleet layer into a device type (docs/architecture.md,
// Layers). Every edge counts: import and export ... from (type-only ones
// too), import x = require(), require() and import() calls (lazy ones too),
// `typeof import('x')` types and `declare module 'x'` augmentations. Read
// from the TypeScript sources with the compiler's own parser.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');

export type Layer = 'core' | 'session' | 'fleet' | 'type' | 'entry';

/** The layer of a file (a path relative to the repository, with '/'). New top-level files are core until said otherwise. */
export function layerOf(file: string): Layer {
  if (/^lib\/(mlx5|bnxt|cxl|pds)(\.ts$|\/)/.test(file)) return 'type';
  if (file === 'lib/index.ts' || file.startsWith('lib/types/') || file.startsWith('lib/cli/')) return 'entry';
  if (/^lib\/(inventory|nvconfig|doctor|firmware)(\.ts$|\/)/.test(file)) return 'fleet';
  if (/^lib\/(transcript|record|replay|redact|audit|observe|environment)\.ts$/.test(file)) return 'session';
  return 'core';
}

/** The module specifiers a source imports, every kind. */
export function importsOf(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const lit = (n: ts.Node | undefined) => {
    if (n && ts.isStringLiteralLike(n)) out.push(n.text);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) lit(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) lit(n.moduleReference.expression);
    else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword
      || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) lit(n.arguments[0]);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) lit(n.argument.literal);
    else if (ts.isModuleDeclaration(n) && ts.isStringLiteral(n.name)) lit(n.name);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Relative specifiers resolved to files of `files` (extension .ts, or a folder's index.ts); others dropped. */
function resolve(from: string, spec: string, files: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  return [`${base}.ts`, `${base}/index.ts`, base].find((f) => files.has(f));
}

export interface GraphProblems {
  /** Each circle as the files around it, first file repeated at the end. */
  circles: string[][];
  /** Imports from the core, session or fleet layers into a device type: 'from -> to (layer)'. */
  layering: string[];
}

/** Check a set of sources (path -> text). */
export function checkGraph(sources: ReadonlyMap<string, string>): GraphProblems {
  const files = new Set(sources.keys());
  const edges = new Map<string, string[]>();
  for (const [f, text] of sources) {
    edges.set(f, [...new Set(importsOf(f, text).map((s) => resolve(f, s, files)).filter((x): x is string => x !== undefined))].sort());
  }
  const layering: string[] = [];
  for (const [f, to] of edges) {
    const lf = layerOf(f);
    if (lf !== 'core' && lf !== 'session' && lf !== 'fleet') continue;
    for (const t of to) if (layerOf(t) === 'type') layering.push(`${f} (${lf}) -> ${t} (device type)`);
  }
  // Tarjan's strongly connected components; a component of more than one file, or a file importing itself, is a circle.
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const strong = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (edges.get(v) ?? []).includes(v)) components.push(c);
    }
  };
  for (const f of [...files].sort()) if (!index.has(f)) strong(f);
  // Name each circle by one concrete path through its component.
  const circles = components.map((c) => {
    const inside = new Set(c);
    const start = [...c].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of edges.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x)) cycle.splice(1, 0, x);
          return [...cycle, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...c, c[0]];
  });
  return { circles, layering };
}

/** The repository's lib/ sources. */
function libSources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.set(rel, fs.readFileSync(path.join(ROOT, rel), 'utf8'));
    }
  };
  walk('lib');
  return out;
}

/** The problems as the failure message: every file named. */
function report(p: GraphProblems): string {
  return [
    ...p.circles.map((c) => `import circle: ${c.join(' -> ')}`),
    ...p.layering.map((l) => `a layer below the device types imports one: ${l}`),
  ].join('\n');
}

describe('the import graph of lib/', () => {
  const sources = libSources();
  const problems = checkGraph(sources);

  test('reads every source file of lib/ (at least the entries and the core)', () => {
    for (const f of ['lib/index.ts', 'lib/device.ts', 'lib/registry.ts', 'lib/ground.ts', 'lib/backend.ts']) expect(sources.has(f)).toBe(true);
  });

  test('has no circle, and no import from the core, session or fleet layers into a device type', () => {
    expect(report(problems)).toBe('');
  });

  test('each device type is reached from the entries only (lib/types/builtin.ts, its own subpath entry)', () => {
    const builtin = importsOf('lib/types/builtin.ts', sources.get('lib/types/builtin.ts')!);
    expect(builtin).toEqual(['../mlx5/type', '../cxl/type', '../bnxt/type', '../pds/type']);
    expect(importsOf('lib/index.ts', sources.get('lib/index.ts')!)).toContain('./types/builtin');
    expect(importsOf('lib/cli/main.ts', sources.get('lib/cli/main.ts')!)).toContain('../types/builtin');
  });
});

describe('the check can fail', () => {
  const src = (entries: Record<string, string>) => new Map(Object.entries(entries));

  test('a circle through a lazy require() and a type-only import, naming its files in order', () => {
    const p = checkGraph(src({
      'lib/a.ts': "import type { B } from './b';\nexport type A = B;",
      'lib/b.ts': "export type B = number;\nexport const c = () => require('./c');",
      'lib/c.ts': "export const a = (): typeof import('./a') => ({}) as never;",
    }));
    expect(report(p)).toBe('import circle: lib/a.ts -> lib/b.ts -> lib/c.ts -> lib/a.ts');
  });

  test('import(), export ... from, declare module and a file importing itself', () => {
    const p = checkGraph(src({
      'lib/x.ts': "export * from './y';",
      'lib/y.ts': "export const f = () => import('./x');",
      'lib/z.ts': "declare module './z' { interface Q { q: 1 } }\nexport interface Q {}",
    }));
    expect(p.circles).toEqual([['lib/x.ts', 'lib/y.ts', 'lib/x.ts'], ['lib/z.ts', 'lib/z.ts']]);
  });

  test('a core, session or fleet file importing a device type, but not an entry or a type importing the core', () => {
    const p = checkGraph(src({
      'lib/device.ts': "import type { X } from './mlx5/core';",
      'lib/redact.ts': "const t = () => require('./bnxt');",
      'lib/inventory.ts': "import './cxl';",
      'lib/uapi/structs.ts': "import { BNXT_COMMAND_TABLE } from '../bnxt/generated/commands';",
      'lib/mlx5/core.ts': "import type { Device } from '../device';",
      'lib/bnxt.ts': '', 'lib/cxl.ts': '', 'lib/bnxt/generated/commands.ts': '',
      'lib/types/builtin.ts': "import '../mlx5/core';",
      'lib/cli/commands/x.ts': "import '../../bnxt';",
    }));
    expect(p.circles).toEqual([['lib/device.ts', 'lib/mlx5/core.ts', 'lib/device.ts']]);
    expect(p.layering.sort()).toEqual([
      'lib/device.ts (core) -> lib/mlx5/core.ts (device type)',
      'lib/inventory.ts (fleet) -> lib/cxl.ts (device type)',
      'lib/redact.ts (session) -> lib/bnxt.ts (device type)',
      'lib/uapi/structs.ts (core) -> lib/bnxt/generated/commands.ts (device type)',
    ]);
  });
});
