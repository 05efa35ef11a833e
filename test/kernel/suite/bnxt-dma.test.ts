// fwctl.bnxt's typed DMA commands (Linux 7.3, FWCTL_BNXT_DMA_COMMANDS) through
// the kernel's own bnxt fwctl driver (drivers/fwctl/bnxt/main.c, unmodified)
// over the emulated firmware (test/kernel/emu/fwctl_emu_bnxt.c): every buffer
// is the library's, bounced by the driver's dma_alloc_coherent() buffers, and
// each result is compared with what the firmware wrote (the formulas of the
// emulator's header comment, repeated here).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as fwctl from '../../../lib';
import { cli } from '../../unit/helpers/cli';
import * as emu from '../emu/emu';
import { FwctlRangeError } from '../../../lib/errors';

const { bnxt } = fwctl;

// fwctl_emu_bnxt.c's data
const EMU = {
  crashSegs: [150000, 70001],
  crashByte: (s: number, i: number) => (i * 13 + (i >> 8) * 7 + (i >> 16) * 101 + s * 17) & 0xff,
  tx: (k: number) => (1n << 40n) + BigInt(k) * 1000n + 1n,
  rx: (k: number) => (2n << 40n) + BigInt(k) * 1000n + 2n,
  txe: (k: number) => (3n << 40n) + BigInt(k),
  rxe: (k: number) => (4n << 40n) + BigInt(k),
  nvmVar: (opt: number) => (0x12345678 + opt * 0x01010101) >>> 0,
  pkgVersion: '230.0.150.0',
};

const crashImage = () => Buffer.concat(EMU.crashSegs.map((len, s) => Buffer.from(Array.from({ length: len }, (_, i) => EMU.crashByte(s + 1, i)))));

describe('bnxt DMA commands over bnxt_fwctl + fwctl_emu_bnxt', () => {
  let name: string;
  let dev: fwctl.Device;
  beforeAll(async () => {
    name = emu.device('bnxt').name;
    dev = await fwctl.open(name);
  });
  afterAll(async () => { await dev?.close(); });

  test('NVM directory: NVM_GET_DIR_INFO + NVM_GET_DIR_ENTRIES (the driver\'s fixed 64 KiB), entries decoded', async () => {
    const dir = await bnxt.nvmDirectory(dev);
    expect([dir.count, dir.entryLength]).toEqual([emu.BNXT.NVM_ITEMS, emu.BNXT.NVM_ENTRY_LEN]);
    expect(dir.entries.map((e) => [e.index, e.type, e.typeName, e.ordinal, e.itemLength, e.dataLength, e.version])).toEqual([
      [0, 1, 'PKG_LOG', 0, 4096, 4096, '230.0.150.0'], [1, 3, 'CHIMP_PATCH', 0, 4096, 4096, '230.0.150.0'],
      [2, 4, 'BOOTCODE', 0, 4096, 4096, '230.0.150.0'], [3, 14, 'BONO_FW', 0, 4096, 4096, '230.0.150.0'],
    ]);
  });

  test('NVM_READ of an item, chunked and streamed; a range; the package version from PKG_LOG', async () => {
    const dir = await bnxt.nvmDirectory(dev);
    const progress: number[] = [];
    const parts: Buffer[] = [];
    for await (const p of bnxt.nvmReadStream(dev, dir.entries[2], { chunkSize: 1000, onProgress: (x) => progress.push(x.bytes) })) parts.push(p);
    expect(parts.map((p) => p.length)).toEqual([1000, 1000, 1000, 1000, 96]);
    expect(progress).toEqual([1000, 2000, 3000, 4000, 4096]);
    const all = Buffer.concat(parts);
    expect(all.every((b, i) => b === emu.BNXT.nvmByte(2, i))).toBe(true);
    const range = await bnxt.nvmRead(dev, 3, { offset: 100, length: 50 });
    expect([...range]).toEqual(Array.from({ length: 50 }, (_, i) => emu.BNXT.nvmByte(3, 100 + i)));
    expect(await bnxt.packageVersion(dev, { directory: dir })).toBe(EMU.pkgVersion);
    // the sync twins: the same steps over rpcSync
    expect(bnxt.nvmDirectorySync(dev)).toEqual(dir);
    expect(bnxt.nvmReadSync(dev, dir.entries[2]).equals(all)).toBe(true);
    expect(bnxt.packageVersionSync(dev)).toBe(EMU.pkgVersion);
  });

  test('lengths the driver would refuse are refused before the syscall', async () => {
    const sent = emu.commands('bnxt');
    await expect(bnxt.nvmRead(dev, 2, { length: 10, chunkSize: 65537 })).rejects.toThrow(FwctlRangeError);
    await expect(bnxt.exec(dev, 'NVM_READ', { dir_idx: 2, len: 65537 })).rejects.toThrow(/64 KiB|65536/);
    await expect(bnxt.exec(dev, 'NVM_READ', { dir_idx: 2 }, { dma: { host_dest_addr: 0 } })).rejects.toThrow(/zero-length/);
    await expect(bnxt.dbgReadDirect(dev, 0, 16385)).rejects.toThrow(FwctlRangeError);
    await expect(bnxt.coredump(dev, new PassThrough(), { chunkSize: 65536 })).rejects.toThrow(FwctlRangeError);
    expect(emu.commands('bnxt')).toBe(sent);
  });

  test('exec by name: input from fields, output decoded, least scope, DMA buffer by field name', async () => {
    const info = await bnxt.exec(dev, 'NVM_GET_DIR_INFO');
    expect(info.data).toMatchObject({ entries: 4, entry_length: 24, valid: 1 });
    const r = bnxt.execSync(dev, 'hwrm_nvm_read', { dir_idx: 1, offset: 7, len: 9 });
    expect([...r.dma.host_dest_addr]).toEqual(Array.from({ length: 9 }, (_, i) => emu.BNXT.nvmByte(1, 7 + i)));
    const v = await bnxt.exec(dev, 'VER_GET', { hwrm_intf_maj: 1, hwrm_intf_min: 10, hwrm_intf_upd: 3 });
    expect(v.data).toMatchObject({ hwrm_fw_name: 'emu-hwrm', chip_num: 0x1750, active_pkg_name: '230.0.150.0' });
    const err = await bnxt.exec(dev, 'NVM_READ', { dir_idx: 9, len: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(bnxt.BnxtFirmwareError);
    expect(err.errorCode).toBe(bnxt.HwrmError.INVALID_PARAMS);
  });

  test('NVM_GET_VARIABLE, FW_GET_STRUCTURED_DATA, QUEUE_DSCP2PRI_QCFG, DBG_READ_DIRECT round-trip the firmware\'s data', async () => {
    const nv = await bnxt.nvmGetVariable(dev, 0x41, { bits: 24 });
    expect(nv.data.length).toBe(3);
    expect(nv.value).toBe(EMU.nvmVar(0x41) & 0xffffff);
    const sd = await bnxt.fwStructuredData(dev, 0x200, { length: 300 });
    expect([...sd.data]).toEqual(Array.from({ length: 300 }, (_, i) => (0x200 + 3 * i) & 0xff));
    expect(sd.output.hdr_cnt).toBe(1);
    const m = await bnxt.dscp2pri(dev);
    expect(m.defaultPri).toBe(3);
    expect(m.entries.length).toBe(64);
    expect(m.entries[13]).toEqual({ dscp: 13, mask: 0x3f, pri: 5 });
    const rd = await bnxt.dbgReadDirect(dev, 0x1000, 300); // read_len32 = 300 words: the driver bounces 1200 bytes
    expect(rd.words).toEqual(Array.from({ length: 300 }, (_, i) => ((0x1000 + 4 * i) ^ 0xa5a5a5a5) >>> 0));
  });

  test('PORT_QSTATS and PORT_QSTATS_EXT: statistics by name equal what the firmware wrote', async () => {
    const s = await bnxt.portStats(dev);
    const txNames = bnxt.hwrm.layout('tx_port_stats').members.map((x) => x.name);
    const rxNames = bnxt.hwrm.layout('rx_port_stats').members.map((x) => x.name);
    txNames.forEach((n, k) => { if (!/^unused/.test(n)) expect([n, s.tx[n]]).toEqual([n, EMU.tx(bnxt.hwrm.offsetOf('tx_port_stats', n) / 8)]); void k; });
    rxNames.forEach((n) => { if (!/^unused/.test(n)) expect([n, s.rx[n]]).toEqual([n, EMU.rx(bnxt.hwrm.offsetOf('rx_port_stats', n) / 8)]); });
    expect(s.tx.tx_total_frames).toBe(EMU.tx(12));
    expect(bnxt.portTotals(s).rxBytes).toBe(s.rx.rx_bytes);
    const e = await bnxt.portStatsExt(dev);
    expect([e.txSize, e.rxSize]).toEqual([bnxt.hwrm.sizeOf('tx_port_stats_ext'), bnxt.hwrm.sizeOf('rx_port_stats_ext')]);
    expect(e.tx.tx_bytes_cos0).toBe(EMU.txe(0));
    expect(e.rx.rx_packets_cos7).toBe(EMU.rxe(bnxt.hwrm.offsetOf('rx_port_stats_ext', 'rx_packets_cos7') / 8));
    await expect(bnxt.portStats(dev, { port: 1 })).rejects.toMatchObject({ code: 'ERR_FWCTL_BNXT_HWRM' });
    expect(bnxt.portStatsSync(dev).rx).toEqual(s.rx);
    expect(bnxt.portStatsExtSync(dev).tx).toEqual(e.tx);
    expect(bnxt.dbgReadDirectSync(dev, 0x2000, 2).words).toEqual([(0x2000 ^ 0xa5a5a5a5) >>> 0, (0x2004 ^ 0xa5a5a5a5) >>> 0]);
    expect(bnxt.coredumpListSync(dev, { crashed: true }).length).toBe(2);
  });

  test('coredump: the live segments, and the crash dump (larger than 64 KiB) streamed to a file byte-identical to the firmware\'s image', async () => {
    expect((await bnxt.coredumpList(dev)).map((s) => [s.componentId, s.segmentId, s.length])).toEqual([[1, 1, 10000], [1, 2, 10000], [1, 3, 10000]]);
    const segs = await bnxt.coredumpList(dev, { crashed: true });
    expect(segs.map((s) => [s.componentId, s.segmentId, s.length])).toEqual([[2, 1, 150000], [2, 2, 70001]]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnxt-coredump-'));
    try {
      const file = path.join(dir, 'core.bin');
      const progress: fwctl.bnxt.CoredumpProgress[] = [];
      const r = await bnxt.coredump(dev, file, { crashed: true, onProgress: (p) => progress.push(p) });
      const want = crashImage();
      expect(r.bytes).toBe(want.length);
      expect(fs.readFileSync(file).equals(want)).toBe(true);
      expect(progress.at(-1)).toEqual({ segment: 1, segments: 2, bytes: want.length, total: want.length });
      expect(progress.length).toBe(Math.ceil(150000 / bnxt.COREDUMP_DEFAULT_CHUNK) + Math.ceil(70001 / bnxt.COREDUMP_DEFAULT_CHUNK));
      // the rate, for the record (docs/api/bnxt.md)
      process.stdout.write(`bnxt coredump: ${want.length} bytes in ${r.ms} ms (${(want.length / 1024 / Math.max(r.ms, 1) * 1000 / 1024).toFixed(2)} MiB/s), ${progress.length} DBG_COREDUMP_RETRIEVE calls\n`);
      // to a Node stream, live data
      const sink = new PassThrough();
      const got: Buffer[] = [];
      sink.on('data', (c: Buffer) => got.push(c));
      const live = await bnxt.coredump(dev, sink, { chunkSize: 4096 });
      expect(live.bytes).toBe(30000);
      expect(Buffer.concat(got).subarray(10000, 20000).every((b, i) => b === emu.BNXT.segByte(2, i))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writes need the taint opt-in, named separately', async () => {
    await expect(bnxt.nvmModify(dev, 1, 0, Buffer.alloc(4), {} as never)).rejects.toThrow(/allowKernelTaint/);
  });
});

describe('CLI: fwctl bnxt nvm|coredump|stats|exec', () => {
  const run = cli;

  test('nvm list / read, stats, exec, coredump --out', async () => {
    const b = emu.device('bnxt').name;
    const list = await run('bnxt', 'nvm', b, 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).entries.map((e: { typeName: string }) => e.typeName)).toEqual(['PKG_LOG', 'CHIMP_PATCH', 'BOOTCODE', 'BONO_FW']);
    expect((await run('bnxt', 'nvm', b, 'list')).out).toMatch(/^ *2 +BOOTCODE/m);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnxt-cli-'));
    try {
      const f = path.join(dir, 'item');
      expect((await run('bnxt', 'nvm', b, 'read', '2', '--out', f)).code).toBe(0);
      expect(fs.readFileSync(f).every((x, i) => x === emu.BNXT.nvmByte(2, i))).toBe(true);
      const core = path.join(dir, 'core');
      const c = await run('bnxt', 'coredump', b, '--out', core, '--crashed', '--json');
      expect(c.code).toBe(0);
      expect(JSON.parse(c.out).bytes).toBe(220001);
      expect(fs.readFileSync(core).equals(crashImage())).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const st = JSON.parse((await run('bnxt', 'stats', b, '--json')).out);
    expect(st.tx.tx_total_frames).toBe(EMU.tx(12).toString());
    const ex = await run('bnxt', 'exec', b, 'NVM_GET_DIR_INFO', '--json');
    expect(JSON.parse(ex.out).data).toMatchObject({ entries: 4, entry_length: 24 });
    expect((await run('bnxt', 'exec', b, 'NVM_READ', '--field', 'dir_idx=1', '--field', 'len=4', '--json')).code).toBe(0);
  });

  test('inventory: NVM package version and port statistics totals', async () => {
    const recs = await fwctl.inventory();
    const r = recs.find((x) => x.name === emu.device('bnxt').name)!;
    expect(r.bnxt).toMatchObject({ packageVersion: EMU.pkgVersion, portStats: { txFrames: EMU.tx(12).toString() } });
    expect(fwctl.toPrometheus(recs)).toMatch(/^fwctl_bnxt_port_frames_total\{device="[^"]+",direction="tx"\} \d+$/m);
  });
});
