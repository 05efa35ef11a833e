// The generated files (scripts/gen.js, npm run gen) against the kernel source
// they are generated from: each file equals what the cached source generates
// (else the first differing line is named), the check catches a changed
// kernel and a hand-edited or stale file, and every file carries its source,
// the kernel version and an SPDX line the package's licence covers. The
// generators' own logic is tested in mlx5-ifc.test.ts and bnxt-hwrm.test.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bnxt from '../../lib/bnxt';

const repo = path.resolve(__dirname, '../../..');
/* eslint-disable @typescript-eslint/no-require-imports */
const gen = require(path.join(repo, 'scripts/gen.js')) as {
  OUTPUTS: { file: string }[];
  GENERATED_DIRS: string[];
  check(src: string, root?: string): string[];
};
const { kernelSource } = require(path.join(repo, 'scripts/gen/kernel-source.js')) as { kernelSource(): string | null };
const { firstDifference } = require(path.join(repo, 'scripts/gen/emit.js')) as { firstDifference(file: string, expected: string, actual: string): string | null };
const tables = require(path.join(repo, 'scripts/gen/driver-tables.js')) as { bnxtTs(src: string, hwrm: unknown): string };
const hwrmGen = require(path.join(repo, 'scripts/gen/bnxt-hwrm.js')) as { generate(src: string): unknown };
const licence = require(path.join(repo, 'scripts/gen/licence.js')) as { ids(expr: string): string[]; spdxLine(text: string): string | null };
/* eslint-enable @typescript-eslint/no-require-imports */

const src = kernelSource();
const required = process.env.FWCTL_REQUIRE_KERNEL === '1';
const withSource = src || required ? test : test.skip;
const read = (f: string) => fs.readFileSync(path.join(repo, f), 'utf8');

describe('the generated files match the kernel source', () => {
  if (!src && !required) {
    // Loud in the output, not silent: the check needs the cached kernel source.
    test.skip('no kernel source cached (npm test fetches it; or set FWCTL_KERNEL_SRC)', () => {});
  }
  let problems: string[] | undefined;
  const checked = () => (problems ??= gen.check(src as string));
  test.each(gen.OUTPUTS.map((o) => o.file))('%s', (file) => {
    if (!src && !required) return;
    expect(src).toBeTruthy();
    const mine = checked().filter((p) => p.startsWith(`${file}:`));
    if (mine.length) throw new Error(`${mine.join('\n')}\nrun \`npm run gen\` and review the change`);
  });
  withSource('no other file in a generated/ folder', () => {
    expect(checked().filter((p) => !gen.OUTPUTS.some((o) => p.startsWith(`${o.file}:`)))).toEqual([]);
  });

  withSource('a hand edit, a missing file and a stale file are each named (file, line, expected vs actual)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-gen-root-'));
    try {
      for (const o of gen.OUTPUTS) {
        fs.mkdirSync(path.dirname(path.join(root, o.file)), { recursive: true });
        fs.copyFileSync(path.join(repo, o.file), path.join(root, o.file));
      }
      expect(gen.check(src as string, root)).toEqual([]);
      const f = 'lib/mlx5/generated/opcodes.ts';
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const edited = text.replace("name: 'QUERY_ADAPTER', scope: 0", "name: 'QUERY_ADAPTER', scope: 3");
      expect(edited).not.toBe(text);
      fs.writeFileSync(path.join(root, f), edited);
      fs.rmSync(path.join(root, 'lib/bnxt/generated/hwrm-data.ts'));
      fs.writeFileSync(path.join(root, 'lib/bnxt/generated/old.ts'), '');
      const line = text.split('\n').findIndex((l) => l.includes("'QUERY_ADAPTER'")) + 1;
      const p = gen.check(src as string, root);
      expect(p).toEqual([
        expect.stringMatching(new RegExp(`^lib/mlx5/generated/opcodes\\.ts:${line}: differs[^\\n]*\\n  expected \\(generated\\): .*'QUERY_ADAPTER', scope: 0 .*\\n  actual \\(checked in\\): .*'QUERY_ADAPTER', scope: 3 `)),
        'lib/bnxt/generated/hwrm-data.ts: missing (npm run gen writes it)',
        expect.stringMatching(/^lib\/bnxt\/generated\/old\.ts: in a generated\/ folder, but no generator writes it/),
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  withSource('a changed kernel table is caught and named (a copy of the source with one scope moved)', () => {
    const s = src as string;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-gen-test-'));
    try {
      for (const f of ['drivers/fwctl/bnxt/main.c', 'include/linux/bnxt/hsi.h', 'include/linux/dma-direction.h',
        'include/uapi/fwctl/fwctl.h', 'include/uapi/fwctl/bnxt.h', 'drivers/net/ethernet/broadcom/bnxt/bnxt_nvm_defs.h', 'Makefile']) {
        fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
        fs.copyFileSync(path.join(s, f), path.join(tmp, f));
      }
      if (fs.existsSync(path.join(s, '.debian-version'))) fs.copyFileSync(path.join(s, '.debian-version'), path.join(tmp, '.debian-version'));
      const main = path.join(tmp, 'drivers/fwctl/bnxt/main.c');
      const text = fs.readFileSync(main, 'utf8');
      // NVM_READ from DEBUG_READ_ONLY to DEBUG_WRITE, as a future kernel might.
      const changed = text.replace(/CMD_DMA_LEN\(HWRM_NVM_READ, FWCTL_RPC_DEBUG_READ_ONLY/, 'CMD_DMA_LEN(HWRM_NVM_READ, FWCTL_RPC_DEBUG_WRITE');
      expect(changed).not.toBe(text);
      fs.writeFileSync(main, changed);
      const file = 'lib/bnxt/generated/commands.ts';
      // the tree's name differs from the cached one's: compare from the table on
      const body = (t: string) => t.slice(t.indexOf('const TABLE = ['));
      const diff = firstDifference(file, body(tables.bnxtTs(tmp, hwrmGen.generate(tmp))), body(read(file)));
      expect(diff).toMatch(/^lib\/bnxt\/generated\/commands\.ts:\d+: differs/);
      expect(diff).toMatch(/expected \(generated\): +\{ reqType: 0xfffd, name: 'NVM_READ', scope: 2,/);
      expect(diff).toMatch(/actual \(checked in\): +\{ reqType: 0xfffd, name: 'NVM_READ', scope: 1,/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('every generated file says where it comes from and under which licence', () => {
  const pkg = JSON.parse(read('package.json')) as { license: string };
  const covered = new Set(licence.ids(pkg.license));
  test.each(gen.OUTPUTS.map((o) => o.file))('%s', (file) => {
    const text = read(file);
    const lines = text.split('\n');
    const spdx = licence.spdxLine(lines[0]);
    expect(spdx).not.toBeNull();
    for (const id of licence.ids(spdx as string)) expect([id, covered.has(id)]).toEqual([id, true]);
    const headerText = text.slice(0, text.indexOf('\n\n'));
    expect(headerText).toMatch(/^\/\*! SPDX-License-Identifier: /);
    expect(headerText).toMatch(/^ \* Generated by scripts\/gen\.js \(npm run gen\); do not edit/m);
    expect(headerText).toMatch(/^ \* From Linux \d+\.\d+\.\d+ \(linux-source-\d+\.\d+/m);
    expect(headerText).toMatch(/^ \*   (drivers|include)\/\S+\.[ch] /m);
    expect(lines.filter((l) => l.length > 200)).toEqual([]);
  });
  test('the deprecated GPL-2.0 is GPL-2.0-only; a malformed expression is refused', () => {
    expect(licence.ids('GPL-2.0 OR Linux-OpenIB')).toEqual(['GPL-2.0-only', 'Linux-OpenIB']);
    expect(licence.ids('MIT AND (GPL-2.0+ WITH Linux-syscall-note)')).toEqual(['MIT', 'GPL-2.0-or-later', 'Linux-syscall-note']);
    expect(() => licence.ids('MIT AND')).toThrow(/incomplete/);
    expect(() => licence.ids('MIT GPL-2.0')).toThrow(/two ids/);
  });
});

describe('bnxt DMA descriptors (from bnxtctl_dma_cmds)', () => {
  const byName = (n: string) => bnxt.BNXT_COMMAND_TABLE.find((e) => e.name === n)!;
  test('every DMA command has its fields, every inline command none', () => {
    for (const e of bnxt.BNXT_COMMAND_TABLE) {
      expect(e.dma === undefined).toBe(e.dmaRequestSize === undefined);
      for (const f of e.dma ?? []) {
        expect(f.addrOffset % 8).toBe(0);
        expect(f.addrOffset + 8).toBeLessThanOrEqual(e.dmaRequestSize!);
        expect(f.lenOffset === undefined).toBe(f.fixedLength !== undefined);
        expect(f.len === undefined).toBe(f.lenOffset === undefined);
      }
    }
  });
  test('units, fixed lengths and directions as the driver declares them', () => {
    expect(byName('DBG_READ_DIRECT').dma).toEqual([{ addr: 'host_dest_addr', addrOffset: 16, len: 'read_len32', lenOffset: 28, lenWidth: 4, unit: 4, direction: 'out' }]);
    expect(byName('SCH_GRP_CFG').dma?.[0]).toMatchObject({ unit: 2, lenWidth: 2, direction: 'in' });
    expect(byName('NVM_GET_DIR_ENTRIES').dma).toEqual([{ addr: 'host_dest_addr', addrOffset: 16, unit: 1, fixedLength: 0x10000, direction: 'out' }]);
    expect(byName('PORT_QSTATS').dma?.map((f) => [f.fixedLength, f.holds])).toEqual([[408, 'tx_port_stats'], [528, 'rx_port_stats']]);
    expect(byName('DBG_PTRACE').dma?.map((f) => f.direction)).toEqual(['in', 'out']);
    expect(byName('NVM_WRITE').dma?.[0].direction).toBe('in');
    expect(bnxt.BNXT_COMMAND_TABLE.filter((e) => e.dma).length).toBe(32);
    expect(Object.isFrozen(bnxt.BNXT_COMMAND_TABLE) && Object.isFrozen(byName('NVM_READ').dma![0])).toBe(true);
  });
});
