// lib/bnxt/generated/hwrm-data.ts (scripts/gen/bnxt-hwrm.js) against the C
// compiler's sizeof/offsetof of hsi.h, and the names of the one command table
// (generated/commands.ts) against its numbers (whether the files match the
// kernel source: generated.test.ts); the generator on hsi.h's
// tricky parts (unions, arrays of structs, __packed, bit-fields as masks) and
// its refusals; decode/encode by name; exec()'s request and DMA buffers.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bnxt from '../../lib/bnxt';
import { hwrm } from '../../lib/bnxt';
import { cli } from './helpers/cli';
import { FwctlTypeError, FwctlRangeError } from '../../lib/errors';

interface Gen {
  generate(src: string): { text: string; layouts: Map<string, { size: number; members: { name: string; offset: number }[] }>; order: string[] };
  preprocess(text: string): { text: string; defines: { name: string; expr: string; line: number }[]; sizes: Map<string, number> };
  parseHeader(file: string, text: string, names: Map<string, bigint>, errors: string[]): Map<string, unknown>;
  compute(structs: Map<string, unknown>, file: string, errors: string[], sizes: Map<string, number>): Map<string, { kind: string; size: number; members: { name: string; offset: number; dims: number[]; type: { ref?: string } }[] }>;
  bitFields(structs: Map<string, unknown>, defines: unknown[], names: Map<string, bigint>, file: string, errors: string[]): Record<string, [string, number, number][]>;
  cCheckProgram(src: string, layouts: unknown, order: string[]): { program: string; expected: string[] };
  OUT: string;
}
const repo = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require(path.join(repo, 'scripts/gen/bnxt-hwrm.js')) as Gen;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kernelSource } = require(path.join(repo, 'scripts/gen/kernel-source.js')) as { kernelSource(): string | null };
const src = kernelSource();
const cc = spawnSync(process.env.CC || 'cc', ['--version']).status === 0;

describe('lib/bnxt/generated/hwrm-data.ts against the C compiler', () => {
  let g: ReturnType<Gen['generate']> | undefined;
  const generated = () => (g ??= gen.generate(src as string));

  (src && cc ? test : test.skip)('every size and offset equals the C compiler\'s sizeof/offsetof of hsi.h', () => {
    const { program, expected } = gen.cCheckProgram(src as string, generated().layouts, generated().order);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnxt-hwrm-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.c'), program);
      const c = spawnSync(process.env.CC || 'cc', ['-std=gnu11', '-w', '-o', path.join(dir, 'c'), path.join(dir, 'c.c')], { encoding: 'utf8' });
      expect(c.stderr).toBe('');
      const out = spawnSync(path.join(dir, 'c'), { encoding: 'utf8' }).stdout.trim().split('\n');
      expect(out.length).toBe(expected.length);
      const bad = out.findIndex((l, i) => l !== expected[i]);
      if (bad >= 0) throw new Error(`C says '${out[bad]}', the table '${expected[bad]}'`);
      expect(out.length).toBeGreaterThan(1500);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the DMA descriptors by name agree with the numbers the C compiler computed (lib/bnxt/generated/commands.ts)', () => {
  test('every command of BNXT_COMMAND_TABLE is in HWRM_COMMANDS, same req_type, same order', () => {
    expect(Object.keys(bnxt.HWRM_COMMANDS)).toEqual(bnxt.BNXT_COMMAND_TABLE.map((e) => e.name));
    for (const e of bnxt.BNXT_COMMAND_TABLE) expect([e.name, bnxt.HWRM_COMMANDS[e.name as bnxt.HwrmCommandName].reqType]).toEqual([e.name, e.reqType]);
  });
  test.each(bnxt.BNXT_COMMAND_TABLE.filter((e) => e.dma).map((e) => [e.name, e] as const))('%s: request size, address and length fields, unit, fixed size, direction', (name, e) => {
    const c = bnxt.command(name);
    expect(hwrm.sizeOf(c.input!)).toBe(e.dmaRequestSize);
    expect(c.dma!.length).toBe(e.dma!.length);
    c.dma!.forEach((f, i) => {
      const t = e.dma![i];
      expect(hwrm.offsetOf(c.input!, f.addr)).toBe(t.addrOffset);
      expect(f.dir).toBe(t.direction);
      if (t.fixedLength !== undefined) expect(f.fixed).toBe(t.fixedLength);
      else {
        expect(hwrm.offsetOf(c.input!, f.len!)).toBe(t.lenOffset);
        expect(hwrm.layout(c.input!).member.get(f.len!)!.bytes).toBe(t.lenWidth);
        expect(f.unit).toBe(t.unit);
      }
    });
  });
  test('the least scope comes from the driver table; 27 commands have no layout in the kernel\'s hsi.h', () => {
    expect(bnxt.command('hwrm_port_qstats').scope).toBe(1);
    expect(bnxt.command('nvm_write').scope).toBe(2);
    expect(bnxt.commands().filter((c) => !c.input).length).toBe(27);
    expect(() => bnxt.command('NO_SUCH')).toThrow(FwctlTypeError);
  });
});

// ---- the generator on synthetic headers ----

function run(text: string) {
  const errors: string[] = [];
  const pre = gen.preprocess(text);
  const names = new Map<string, bigint>();
  const structs = gen.parseHeader('t.h', pre.text, names, errors);
  const layouts = gen.compute(structs, 't.h', errors, pre.sizes);
  const bits = gen.bitFields(structs, pre.defines, names, 't.h', errors);
  return { errors, layouts, bits };
}

describe('scripts/gen/bnxt-hwrm.js on hsi.h\'s tricky parts', () => {
  const tricky = `
/* rec (size:32b/4B) */
struct rec {
	__le16	id;
	u8	a;
	u8	b;
};
/* t_input (size:448b/56B) */
struct t_input {
	__le16	req_type;
	u8	flags;
	#define T_REQ_FLAGS_COUNTER_MASK   0x2UL
	#define T_REQ_FLAGS_MODE_MASK      0x3cUL
	#define T_REQ_FLAGS_MODE_SFT       2
	__le32	max_bw;
	#define T_REQ_MAX_BW_BW_VALUE_MASK 0xfffffffUL
	#define T_REQ_MAX_BW_BW_VALUE_SFT  0
	#define T_REQ_MAX_BW_UNIT_MASK     0xe0000000UL
	#define T_REQ_MAX_BW_UNIT_SFT      29
	#define T_REQ_MAX_BW_UNIT_MEGA     (0x0UL << 29)
	__le16	handle;
	#define T_REQ_HANDLE_MAX_MASK      0xfffUL
	struct rec	recs[2];
	struct {
		u8	q;
		__le32	q_bw;
	} __packed cfg[3];
	union {
		__le32	as32;
		u8	as8[4];
	};
	char	name[6];
	__le64	addr;
};
`;
  test('C layout: natural alignment, arrays of structs, a __packed nested array, an anonymous union lifted, sizes checked against the comments', () => {
    const { errors, layouts, bits } = run(tricky);
    expect(errors).toEqual([]);
    const t = layouts.get('t_input')!;
    expect(t.members.map((m) => [m.name, m.offset])).toEqual([
      ['req_type', 0], ['flags', 2], ['max_bw', 4], ['handle', 8], ['recs', 10], ['cfg', 18], ['as32', 36], ['as8', 36], ['name', 40], ['addr', 48],
    ]);
    expect(t.size).toBe(56); // as the C compiler lays it out (the union aligned to 4, addr to 8)
    expect(layouts.get('t_input.cfg')).toMatchObject({ size: 5 });
    expect(t.members.find((m) => m.name === 'cfg')).toMatchObject({ dims: [3], type: { ref: 't_input.cfg' } });
    // bit-fields: MASK/SFT pairs; a one-bit ..._MASK flag is not one; a multi-bit MASK from bit 0 has shift 0
    expect(bits['t_input.max_bw']).toEqual([['bw_value', 0xfffffff, 0], ['unit', 0xe0000000, 29]]);
    expect(bits['t_input.flags']).toEqual([['mode', 0x3c, 2]]);
    expect(bits['t_input.handle']).toEqual([['max', 0xfff, 0]]);
  });

  test('a named union, and a struct inside a union', () => {
    const { errors, layouts } = run(`
/* u (size:64b/8B) */
struct u {
	u8	kind;
	union {
		__le16	a;
		struct {
			u8	x;
			u8	y;
		} pair;
	} v;
	__le32	tail;
};`);
    expect(errors).toEqual([]);
    expect(layouts.get('u')!.members.map((m) => [m.name, m.offset])).toEqual([['kind', 0], ['v', 2], ['tail', 4]]);
    expect(layouts.get('u.v')).toMatchObject({ kind: 'union', size: 2 });
    expect(layouts.get('u.v.pair')).toMatchObject({ kind: 'struct', size: 2 });
  });

  test('what it cannot parse is listed, every place, nothing skipped', () => {
    const { errors } = run(`
/* a (size:32b/4B) */
struct a {
	float	f;
};
/* b (size:32b/4B) */
struct b {
	__le32	x:3;
};
/* c (size:64b/8B) */
struct c {
	__le32	x;
};
struct d {
	u8	x;
};
typedef int nope;
/* e (size:32b/4B) */
struct e {
	__le32	v;
	#define E_V_A_SFT 3
};`);
    expect(errors.length).toBe(6);
    expect(errors[0]).toMatch(/t\.h:4: cannot parse a member starting with 'float'/);
    expect(errors[1]).toMatch(/bit-field x: C bit-fields are not supported/);
    expect(errors[2]).toMatch(/top-level item starting with 'typedef'/);
    expect(errors[3]).toMatch(/c computes to 4 bytes, its comment says 8/);
    expect(errors[4]).toMatch(/d has no "\(size:\.\.\.\)" comment/);
    expect(errors[5]).toMatch(/e\.v: a has a _SFT without its _MASK/);
  });
});

// ---- decode / encode ----

describe('hwrm.decode / encode by field name', () => {
  test('the output of VER_GET: strings, numbers; fields named unused_* are left out', () => {
    const b = hwrm.encode('hwrm_ver_get_output', { hwrm_fw_name: 'emu', chip_num: 0x1750, valid: 1, dev_caps_cfg: 0x80000001 });
    expect(b.length).toBe(176);
    const d = hwrm.decode('hwrm_ver_get_output', b);
    expect(d).toMatchObject({ hwrm_fw_name: 'emu', chip_num: 0x1750, valid: 1, dev_caps_cfg: 0x80000001 });
    expect(Object.keys(d).some((k) => /^unused/.test(k))).toBe(false);
  });
  test('64-bit counters are bigints; arrays of nested structs; bit-fields by name', () => {
    const s = hwrm.encode('tx_port_stats', { tx_bytes: (1n << 40n) + 5n });
    expect(hwrm.decode('tx_port_stats', s).tx_bytes).toBe((1n << 40n) + 5n);
    const q = hwrm.encode('hwrm_queue_cos2bw_qcfg_output', { cfg: [undefined, { queue_id: 7, queue_id_max_bw: { bw_value: 1000, bw_value_unit: 2 } }] } as never);
    const d = hwrm.decode('hwrm_queue_cos2bw_qcfg_output', q);
    const cfg = d.cfg as { queue_id: number; queue_id_max_bw: number }[];
    expect(cfg.length).toBe(7);
    expect(cfg[1].queue_id).toBe(7);
    expect(hwrm.subfields('hwrm_queue_cos2bw_qcfg_output.cfg', 'queue_id_max_bw', cfg[1].queue_id_max_bw)).toEqual({ bw_value: 1000, bw_value_unit: 2 });
    expect(hwrm.offsetOf('hwrm_queue_cos2bw_qcfg_output', 'cfg')).toBe(0x17);
  });
  test('mistakes: unknown field (TypeError, named), value too large (RangeError), short buffer (FwctlDecodeError)', () => {
    expect(() => hwrm.encode('hwrm_nvm_read_input', { dir_indx: 1 })).toThrow(/unknown field 'dir_indx'/);
    expect(() => hwrm.encode('hwrm_nvm_read_input', { dir_idx: 0x10000 })).toThrow(FwctlRangeError);
    expect(() => hwrm.encode('hwrm_ver_get_output', { hwrm_fw_name: 'x'.repeat(17) })).toThrow(/holds 16 bytes/);
    expect(() => hwrm.decode('hwrm_nvm_read_input', Buffer.alloc(39))).toThrow(bnxt.FwctlDecodeError);
    expect(() => hwrm.layout('nope')).toThrow(FwctlTypeError);
  });
  test('the table carries hsi.h\'s licence', () => {
    expect(hwrm.HWRM_SOURCE.spdx).toBe('GPL-2.0-only');
    expect(fs.readFileSync(path.join(repo, gen.OUT), 'utf8')).toMatch(/^\/\*! SPDX-License-Identifier: GPL-2.0-only\n[\s\S]*Copyright \(c\) 2018-2025 Broadcom Inc\./);
  });
});

describe('exec by name: the request and the library\'s DMA buffers', () => {
  test('NVM_READ: input from fields, header set, a buffer of len bytes attached at host_dest_addr', () => {
    const r = bnxt.buildRequest('nvm_read', { dir_idx: 2, offset: 10, len: 100 }, { seqId: 9 });
    expect(r.request.length).toBe(40);
    expect([r.request.readUInt16LE(0), r.request.readUInt16LE(2), r.request.readUInt16LE(4), r.request.readUInt16LE(6)]).toEqual([0xfffd, 0xffff, 9, 0xffff]);
    expect([r.request.readUInt16LE(24), r.request.readUInt32LE(28), r.request.readUInt32LE(32)]).toEqual([2, 10, 100]);
    expect(r.options.scope).toBe(1);
    expect(r.options.attach).toEqual([{ at: 16, buffer: r.buffers.host_dest_addr, direction: 'out' }]);
    expect(r.buffers.host_dest_addr.length).toBe(100);
    expect(r.options.responseLength).toBe(16);
  });
  test('fixed sizes (PORT_QSTATS, NVM_GET_DIR_ENTRIES) and units (DBG_READ_DIRECT counts words)', () => {
    const q = bnxt.buildRequest('PORT_QSTATS');
    expect([q.buffers.tx_stat_host_addr.length, q.buffers.rx_stat_host_addr.length]).toEqual([408, 528]);
    expect(bnxt.buildRequest('NVM_GET_DIR_ENTRIES').buffers.host_dest_addr.length).toBe(65536);
    expect(bnxt.buildRequest('DBG_READ_DIRECT', { read_len32: 10 }).buffers.host_dest_addr.length).toBe(40);
  });
  test('refused before any syscall: over 64 KiB, zero, not whole units, a length field that disagrees, a DMA address given, an input with no bytes', () => {
    expect(() => bnxt.buildRequest('NVM_READ', { len: 65537 })).toThrow(/65537 bytes exceed the driver's 65536/);
    expect(() => bnxt.buildRequest('NVM_READ', {}, { dma: { host_dest_addr: 0 } })).toThrow(/zero-length/);
    expect(() => bnxt.buildRequest('DBG_READ_DIRECT', {}, { dma: { host_dest_addr: Buffer.alloc(6) } })).toThrow(/4-byte units/);
    expect(() => bnxt.buildRequest('NVM_READ', { len: 8 }, { dma: { host_dest_addr: 16 } })).toThrow(/written from the buffer/);
    expect(() => bnxt.buildRequest('NVM_READ', { host_dest_addr: 0x1000, len: 4 })).toThrow(/the library owns it/);
    expect(() => bnxt.buildRequest('NVM_MODIFY', { len: 4 })).toThrow(/give the bytes to send/);
    expect(() => bnxt.buildRequest('NVM_GET_DIR_ENTRIES', {}, { dma: { host_dest_addr: 100 } })).toThrow(/always transfers 65536/);
    expect(() => bnxt.buildRequest('NVM_READ', { seq_id: 1 })).toThrow(/header/);
    expect(() => bnxt.buildRequest('FW_SYNC', { x: 1 })).toThrow(/no layout/);
  });
});

describe('NVM directory entries and the package log', () => {
  test('entries decoded from entry_length strides; type names from bnxt_nvm_defs.h', () => {
    const b = Buffer.alloc(2 * 32);
    b.writeUInt16LE(1, 0); b.writeUInt32LE(4096, 8); b.writeUInt32LE(100, 12); b.writeUInt32LE(0xe6009600, 16); b.writeUInt16LE(0, 20);
    b.writeUInt16LE(99, 32); b.writeUInt16LE(1, 34); b.writeUInt16LE(1, 36); b.writeUInt16LE(5, 52);
    const e = bnxt.decodeNvmDirEntries(b, 2, 32);
    expect(e[0]).toMatchObject({ index: 0, type: 1, typeName: 'PKG_LOG', itemLength: 4096, dataLength: 100, version: '230.0.150.0' });
    expect(e[1]).toMatchObject({ index: 5, type: 99, ordinal: 1, ext: 1 });
    expect(e[1].typeName).toBeUndefined();
    expect(e[1].raw.length).toBe(32);
    expect(() => bnxt.decodeNvmDirEntries(b, 3, 32)).toThrow(bnxt.FwctlDecodeError);
    expect(() => bnxt.decodeNvmDirEntries(b, 1, 16)).toThrow(/shorter than the 24-byte entry/);
  });
  test('bnxt_en\'s reading of PKG_LOG: the last line, field 2, when it starts with a digit', () => {
    expect(bnxt.parsePackageLog(Buffer.from('a\tb\t1.2.3\n2\tx\t230.0.150.0\tz\n\0\0'))).toBe('230.0.150.0');
    expect(bnxt.parsePackageLog(Buffer.from('a\tb\tnot a version\n'))).toBeUndefined();
    expect(bnxt.parsePackageLog(Buffer.alloc(10))).toBeUndefined();
  });
});

describe('CLI: fwctl bnxt exec --list, usage', () => {
  test('--list shows every command, its least scope and DMA fields', async () => {
    const r = await cli('bnxt', 'exec', '--list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^DBG_READ_DIRECT +0xff10 +debug-read-only +host_dest_addr out read_len32 x4/m);
    expect(r.out).toMatch(/^PORT_QSTATS +0x0023 +debug-read-only +tx_stat_host_addr out 408 bytes; rx_stat_host_addr out 528 bytes/m);
    expect(JSON.parse((await cli('bnxt', 'exec', '--list', '--json')).out).length).toBe(bnxt.BNXT_COMMAND_TABLE.length);
  });
  test('usage errors exit 2', async () => {
    expect((await cli('bnxt', 'nvm')).code).toBe(2);
    expect((await cli('bnxt', 'bogus')).err).toMatch(/give one of ver-get, nvm, coredump, stats, exec/);
  });
});

// ---- the typed DMA calls over a fake device (the firmware's side in a few lines) ----

interface FakeCall { name: string; fields: Record<string, unknown>; sizes: number[] }

/** A duck-typed Device: FWCTL_INFO's uctx_caps, and an HWRM firmware writing into the attached buffers. */
function fakeDevice(caps: number, fw: (name: string, input: Record<string, unknown>, bufs: Buffer[], out: Buffer) => number) {
  const calls: FakeCall[] = [];
  const dev = {
    typeId: 3, path: '/dev/fwctl/fake',
    async info() { return dev.infoSync(); },
    infoSync() { return { type: 'bnxt', typeId: 3, data: Buffer.alloc(4), decoded: { uctxCaps: caps } }; },
    async rpc(request: Buffer, o: { responseLength: number; attach?: { buffer: Buffer }[] }) { return dev.rpcSync(request, o); },
    rpcSync(request: Buffer, o: { responseLength: number; attach?: { buffer: Buffer }[] }) {
      const c = bnxt.commands().find((x) => x.reqType === request.readUInt16LE(0))!;
      const input = c.input ? hwrm.decode(c.input, request) : {};
      const bufs = (o.attach ?? []).map((a) => a.buffer);
      calls.push({ name: c.name, fields: input, sizes: bufs.map((b) => b.length) });
      const out = Buffer.alloc(o.responseLength);
      const err = fw(c.name, input, bufs, out);
      out.writeUInt16LE(err, 0);
      return { response: out, length: out.length, truncated: false };
    },
  };
  return { dev: dev as unknown as import('../../lib').Device, calls };
}

describe('typed DMA calls (fake device)', () => {
  test('a driver without FWCTL_BNXT_DMA_COMMANDS (uctx_caps 0x7): ERR_FWCTL_BNXT_NO_DMA naming Linux 7.3, nothing sent', async () => {
    const { dev, calls } = fakeDevice(0x7, () => 0);
    const e = await bnxt.nvmDirectory(dev).catch((x) => x);
    expect(e).toBeInstanceOf(bnxt.BnxtDmaUnsupportedError);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_BNXT_NO_DMA', uctxCaps: 7 });
    expect(e.message).toMatch(/Linux 7\.3/);
    expect(calls).toEqual([]);
  });

  test('coredump: every segment paged by seq_no while MORE, 60 KiB pieces, progress, a Writable with backpressure', async () => {
    const segs = [100000, 5];
    const { dev, calls } = fakeDevice(0xf, (name, input, bufs, out) => {
      if (name === 'DBG_COREDUMP_LIST') {
        segs.forEach((len, k) => hwrm.encode('coredump_segment_record', { component_id: 1, segment_id: k + 1, segment_len: len }, bufs[0].subarray(16 * k)));
        hwrm.encode('hwrm_dbg_coredump_list_output', { total_segments: 2, data_len: 32 }, out);
        return 0;
      }
      const len = segs[(input.segment_id as number) - 1];
      const off = (input.seq_no as number) * bufs[0].length;
      const n = Math.min(bufs[0].length, len - off);
      for (let i = 0; i < n; i++) bufs[0][i] = (off + i + (input.segment_id as number)) & 0xff;
      hwrm.encode('hwrm_dbg_coredump_retrieve_output', { data_len: n, flags: off + n < len ? 1 : 0 }, out);
      return 0;
    });
    const { Writable } = await import('node:stream');
    const got: Buffer[] = [];
    const sink = new Writable({ highWaterMark: 1, write(c, _e, cb) { got.push(Buffer.from(c)); setImmediate(cb); } });
    const progress: number[] = [];
    const r = await bnxt.coredump(dev, sink, { onProgress: (p) => progress.push(p.bytes) });
    expect(r.bytes).toBe(100005);
    const all = Buffer.concat(got);
    expect(all.subarray(0, 100000).every((b, i) => b === ((i + 1) & 0xff))).toBe(true);
    expect([...all.subarray(100000)]).toEqual([2, 3, 4, 5, 6]);
    const retrieve = calls.filter((c) => c.name === 'DBG_COREDUMP_RETRIEVE');
    expect(retrieve.map((c) => [c.fields.segment_id, c.fields.seq_no, c.sizes[0]])).toEqual([[1, 0, 61440], [1, 1, 61440], [2, 0, 61440]]);
    expect(progress).toEqual([61440, 100000, 100005]);
  });

  test('nvmRead: 64 KiB NVM_READs at increasing offsets; port statistics by name', async () => {
    const { dev, calls } = fakeDevice(0xf, (name, input, bufs, out) => {
      if (name === 'NVM_READ') bufs[0].fill((input.offset as number) >>> 16);
      if (name === 'PORT_QSTATS') { hwrm.encode('tx_port_stats', { tx_total_frames: 12345678901234n }, bufs[0]); hwrm.encode('rx_port_stats', { rx_bytes: 7n }, bufs[1]); }
      void out;
      return 0;
    });
    const data = await bnxt.nvmRead(dev, 4, { offset: 0, length: 150000 });
    expect(calls.map((c) => [c.fields.offset, c.fields.len])).toEqual([[0, 65536], [65536, 65536], [131072, 18928]]);
    expect([data[0], data[65536], data[149999]]).toEqual([0, 1, 2]);
    const s = await bnxt.portStats(dev);
    expect([s.tx.tx_total_frames, s.rx.rx_bytes]).toEqual([12345678901234n, 7n]);
    expect(bnxt.portTotals(s)).toMatchObject({ txFrames: 12345678901234n, rxBytes: 7n });
  });
});

describe('sync twins (the same steps, stepped by rpcSync)', () => {
  test('nvmDirectorySync, nvmReadSync, portStatsSync, dbgReadDirectSync, coredumpListSync; ERR_FWCTL_BNXT_NO_DMA too', () => {
    const { dev, calls } = fakeDevice(0xf, (name, input, bufs, out) => {
      if (name === 'NVM_GET_DIR_INFO') hwrm.encode('hwrm_nvm_get_dir_info_output', { entries: 1, entry_length: 24 }, out);
      if (name === 'NVM_GET_DIR_ENTRIES') { bufs[0].writeUInt16LE(4, 0); bufs[0].writeUInt32LE(10, 12); bufs[0].writeUInt16LE(7, 20); }
      if (name === 'NVM_READ') bufs[0].fill(input.dir_idx as number);
      if (name === 'PORT_QSTATS') hwrm.encode('tx_port_stats', { tx_bytes: 9n }, bufs[0]);
      if (name === 'DBG_READ_DIRECT') for (let i = 0; i < bufs[0].length / 4; i++) bufs[0].writeUInt32LE((input.read_addr as number) + i, 4 * i);
      return 0;
    });
    const dir = bnxt.nvmDirectorySync(dev);
    expect(dir.entries.map((e) => [e.index, e.typeName, e.dataLength])).toEqual([[7, 'BOOTCODE', 10]]);
    expect([...bnxt.nvmReadSync(dev, dir.entries[0])]).toEqual(Array(10).fill(7));
    expect(bnxt.portStatsSync(dev).tx.tx_bytes).toBe(9n);
    expect(bnxt.dbgReadDirectSync(dev, 100, 3).words).toEqual([100, 101, 102]);
    expect(bnxt.coredumpListSync(dev)).toEqual([]);
    expect(() => bnxt.dbgReadDirectSync(dev, 0, 0)).toThrow(FwctlRangeError);
    expect(calls.map((c) => c.name)).toEqual(['NVM_GET_DIR_INFO', 'NVM_GET_DIR_ENTRIES', 'NVM_READ', 'PORT_QSTATS', 'DBG_READ_DIRECT', 'DBG_COREDUMP_LIST']);
    const old = fakeDevice(0x7, () => 0);
    expect(() => bnxt.portStatsSync(old.dev)).toThrow(bnxt.BnxtDmaUnsupportedError);
    expect(old.calls).toEqual([]);
  });
});
