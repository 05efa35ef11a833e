// Links between the docs resolve: every relative [text](target) of README.md,
// CONTRIBUTING.md and docs/**/*.md (the files whose examples are tests,
// test/examples/examples.ts) names a file that exists, and a #fragment names
// a heading of the target markdown file, slugged as GitHub does. Links in code
// blocks and to other sites are not checked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { docFiles, REPO } from '../examples/examples';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to '-', repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The relative links of one markdown file (repo-relative path) that do not resolve. */
export function brokenLinks(file: string, root = REPO): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  let fence = false;
  const prose = text.split('\n').filter((line) => (/^```/.test(line) ? ((fence = !fence), false) : !fence)).join('\n');
  const broken: string[] = [];
  for (const m of prose.replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
    const [target, fragment] = link.split('#', 2);
    const resolved = target ? path.join(path.dirname(path.join(root, file)), decodeURIComponent(target)) : path.join(root, file);
    if (!fs.existsSync(resolved)) {
      broken.push(`${file}: ${link}: no ${path.relative(root, resolved)}`);
      continue;
    }
    if (fragment !== undefined && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(fragment)) {
      broken.push(`${file}: ${link}: no heading #${fragment} in ${path.relative(root, resolved)}`);
    }
  }
  return broken;
}

test('every relative link of the docs resolves, to a file and a heading', () => {
  const files = docFiles();
  expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/api.md']));
  expect(files.flatMap((f) => brokenLinks(f))).toEqual([]);
});

test('the check can fail: a missing file, a missing heading; code and other sites are skipped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-links-'));
  try {
    fs.mkdirSync(path.join(dir, 'docs'));
    fs.writeFileSync(path.join(dir, 'docs/b.md'), '# B\n\n## Memory safety: who owns it\n\n## `fwctl.bnxt` in depth\n## B\n');
    fs.writeFileSync(path.join(dir, 'a.md'), [
      '[ok](docs/b.md) [ok](docs/b.md#memory-safety-who-owns-it) [ok](docs/b.md#fwctlbnxt-in-depth) [ok](docs/b.md#b-1)',
      '[self](#a) [gone](docs/c.md) [no heading](docs/b.md#nowhere) [web](https://example.org/x#y)',
      '`[code](nowhere.md)`', '```js', '// [code](nowhere.md)', '```', '# A',
    ].join('\n'));
    expect(brokenLinks('a.md', dir)).toEqual([
      'a.md: docs/c.md: no docs/c.md',
      'a.md: docs/b.md#nowhere: no heading #nowhere in docs/b.md',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
