// lib/uapi/bnxt-commands.ts and lib/uapi/mlx5-opcodes.ts against the kernel
// source they are generated from (scripts/gen-tables.js compiles the drivers'
// own tables and switch statements against the kernel headers): a kernel whose
// table changed fails here, naming the first differing line.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bnxt from '../../lib/bnxt';

interface Gen {
  kernelSource(): string | null;
  TABLES: { file: string; generate(src: string): string }[];
  firstDifference(file: string, want: string, have: string): string | null;
}
const repo = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require(path.join(repo, 'scripts/gen-tables.js')) as Gen;
const src = gen.kernelSource();
const required = process.env.FWCTL_REQUIRE_KERNEL === '1';
const withSource = src || required ? test : test.skip;

describe('generated tables match the kernel source', () => {
  if (!src && !required) {
    // Loud in the output, not silent: the check needs the cached kernel source.
    test.skip(`no kernel source cached (npm test fetches it; or set FWCTL_KERNEL_SRC)`, () => {});
  }
  for (const t of gen.TABLES) {
    withSource(t.file, () => {
      expect(src).toBeTruthy();
      const diff = gen.firstDifference(t.file, t.generate(src as string), fs.readFileSync(path.join(repo, t.file), 'utf8'));
      if (diff) throw new Error(`${diff}\nrun \`npm run gen:tables\` and review the change`);
    });
  }

  withSource('a changed kernel table is caught and named (a copy of the source with one scope moved)', () => {
    const s = src as string;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-gen-test-'));
    try {
      for (const f of ['drivers/fwctl/bnxt/main.c', 'include/linux/bnxt/hsi.h', 'include/linux/dma-direction.h',
        'include/uapi/fwctl/fwctl.h', 'include/uapi/fwctl/bnxt.h']) {
        fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
        fs.copyFileSync(path.join(s, f), path.join(tmp, f));
      }
      const main = path.join(tmp, 'drivers/fwctl/bnxt/main.c');
      const text = fs.readFileSync(main, 'utf8');
      // NVM_READ from DEBUG_READ_ONLY to DEBUG_WRITE, as a future kernel might.
      const changed = text.replace(/CMD_DMA_LEN\(HWRM_NVM_READ, FWCTL_RPC_DEBUG_READ_ONLY/, 'CMD_DMA_LEN(HWRM_NVM_READ, FWCTL_RPC_DEBUG_WRITE');
      expect(changed).not.toBe(text);
      fs.writeFileSync(main, changed);
      const t = gen.TABLES.find((x) => x.file.endsWith('bnxt-commands.ts'))!;
      const diff = gen.firstDifference(t.file, t.generate(tmp), fs.readFileSync(path.join(repo, t.file), 'utf8'));
      expect(diff).toMatch(/bnxt-commands\.ts:\d+ differs/);
      expect(diff).toMatch(/kernel: +\{ reqType: 0xfffd, name: 'NVM_READ', scope: 2,/);
      expect(diff).toMatch(/committed: +\{ reqType: 0xfffd, name: 'NVM_READ', scope: 1,/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
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
      }
    }
  });
  test('units, fixed lengths and directions as the driver declares them', () => {
    expect(byName('DBG_READ_DIRECT').dma).toEqual([{ addrOffset: 16, lenOffset: 28, lenWidth: 4, unit: 4, direction: 'out' }]);
    expect(byName('SCH_GRP_CFG').dma?.[0]).toMatchObject({ unit: 2, lenWidth: 2, direction: 'in' });
    expect(byName('NVM_GET_DIR_ENTRIES').dma).toEqual([{ addrOffset: 16, unit: 1, fixedLength: 0x10000, direction: 'out' }]);
    expect(byName('PORT_QSTATS').dma?.map((f) => f.fixedLength)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(byName('DBG_PTRACE').dma?.map((f) => f.direction)).toEqual(['in', 'out']);
    expect(byName('NVM_WRITE').dma?.[0].direction).toBe('in');
    expect(bnxt.BNXT_COMMAND_TABLE.filter((e) => e.dma).length).toBe(32);
  });
});
