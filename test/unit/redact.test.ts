// lib/redact.ts: transcript redaction, on parsed lines written here by
// hand. Covered elsewhere and not repeated: values given to a recording
// (record-replay.test.ts), the mlx5 PSID/VSD and bnxt MAC found by
// secretsOfCall (record-replay.test.ts), a test-only type's serial
// (device-type-example.test.ts), the CLI's `transcript redact`
// (audit.test.ts). Here: what redactLines() replaces where, its stand-ins,
// their numbering and order, the header's counts, and secretsOfCall at the
// edges of the fields.
//
// Offsets from Linux 7.3.4 (~/.cache/fwctl-node/src/linux-source-7.3):
// include/linux/mlx5/mlx5_ifc.h struct mlx5_ifc_query_adapter_out_bits (a
// 0x80-bit header, then query_adapter_struct) and
// mlx5_ifc_query_adapter_param_block_bits (vsd[208] at bit 0x100, byte 0x20;
// vsd_contd_psid[16] at bit 0x780, byte 0xf0); include/linux/bnxt/hsi.h
// struct hwrm_func_qcaps_output (mac_address[6] at byte 16), HWRM_FUNC_QCAPS 0x15.

import { redactLines, secretsOfCall } from '../../lib/redact';
import { hex, type HeaderLine, type RpcLine, type TranscriptLine } from '../../lib/transcript';
import { DeviceTypeId } from '../../lib/uapi/constants';

const HEADER: HeaderLine = {
  t: 'header', format: 'fwctl-transcript', version: 1, created: '2026-12-07T00:00:00.000Z',
  host: { kernel: '7.3.4', platform: 'linux', arch: 'x64', node: 'v20' }, package: { name: 'fwctl', version: '0.0.0' }, argv: [],
};
const PATH = '/dev/fwctl/fwctl0';
const rpc = (seq: number, h: number, request: Buffer, response: Buffer | undefined, extra: Partial<RpcLine> = {}): RpcLine => ({
  t: 'rpc', seq, sync: true, path: PATH, h, scope: 0, request: hex(request), responseLength: response?.length ?? 0,
  ...(response ? { length: response.length, response: hex(response) } : { errno: 'EINVAL' }), ...extra,
});

/** mlx5 QUERY_ADAPTER (opcode 0x101, big-endian at 0) and its answer with this PSID and VSD. */
const OUT_HDR = 16;
const queryAdapter = () => {
  const q = Buffer.alloc(16);
  q.writeUInt16BE(0x101, 0);
  return q;
};
const adapterAnswer = (psid: string | Buffer, vsd = '') => {
  const out = Buffer.alloc(OUT_HDR + 0x100);
  (typeof psid === 'string' ? Buffer.from(psid) : psid).copy(out, OUT_HDR + 0xf0);
  out.write(vsd, OUT_HDR + 0x20);
  return out;
};
/** bnxt HWRM_FUNC_QCAPS (req_type 0x15, little-endian at 0) and its answer with this MAC. */
const funcQcaps = () => {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(0x15, 0);
  return b;
};
const qcapsAnswer = (mac: number[]) => {
  const o = Buffer.alloc(64);
  o.set(mac, 16);
  return o;
};

describe('secretsOfCall at the edges', () => {
  test('types without secretsOf (cxl, pds), the error type, unknown and undefined ids: none', () => {
    const q = queryAdapter(), a = adapterAnswer('MT_0000000001');
    for (const id of [DeviceTypeId.Cxl, DeviceTypeId.Pds, DeviceTypeId.Error, 5, 0xfff5, undefined]) expect(secretsOfCall(id, q, a)).toEqual([]);
  });

  test('mlx5: a PSID filling all 16 bytes (no NUL) is cut at the field; under 4 bytes is no secret; a short answer has none', () => {
    const psid = Buffer.concat([Buffer.from('ABCDEFGHIJKLMNOP'), Buffer.from('VSDX')]); // runs into the next bytes
    expect(secretsOfCall(1, queryAdapter(), adapterAnswer(psid)).map((s) => [s.kind, s.bytes.toString()])).toEqual([['psid', 'ABCDEFGHIJKLMNOP']]);
    expect(secretsOfCall(1, queryAdapter(), adapterAnswer('MT_', 'abc'))).toEqual([]);
    expect(secretsOfCall(1, queryAdapter(), adapterAnswer('MT_0000000001').subarray(0, OUT_HDR + 0xf0))).toEqual([]);
    // another command's answer is not searched
    const other = queryAdapter();
    other.writeUInt16BE(0x100, 0);
    expect(secretsOfCall(1, other, adapterAnswer('MT_0000000001'))).toEqual([]);
  });

  test('bnxt: an all-zero MAC is no secret; an answer that ends inside mac_address has none', () => {
    expect(secretsOfCall(3, funcQcaps(), qcapsAnswer([0, 0, 0, 0, 0, 0]))).toEqual([]);
    expect(secretsOfCall(3, funcQcaps(), qcapsAnswer([0, 0, 0, 0, 0, 1]).subarray(0, 21))).toEqual([]);
    expect(secretsOfCall(3, funcQcaps(), qcapsAnswer([0, 0, 0, 0, 0, 1])).map((s) => s.bytes.toString('hex'))).toEqual(['000000000001']);
  });
});

describe('redactLines', () => {
  test('a user value: replaced in every field that can hold it, by one stand-in of its length', () => {
    const v = 'hunter2';
    const vb = Buffer.from(v);
    const lines: TranscriptLine[] = [
      HEADER,
      { t: 'device', name: 'fwctl0', path: PATH, parent: { name: `pci-${v}`, subsystem: 'pci', driver: null, pciAddress: v } },
      { t: 'sys', op: 'readdir', path: `/sys/bus/${v}`, result: [`a-${v}`, { nested: [v] }, 7, null] },
      { t: 'open', seq: 1, sync: true, path: `/dev/${v}`, h: 1, typeId: 0xfff5 },
      { t: 'info', seq: 2, sync: true, path: PATH, h: 1, length: 16, result: 7, data: hex(vb) },
      rpc(3, 1, Buffer.concat([Buffer.from('AB'), vb]), Buffer.concat([vb, Buffer.from('CD'), vb]), {
        attach: [{ spec: [16, 0, 0, 1, 0, 1], length: 7, in: hex(vb) }, { spec: [24, 0, 0, 1, 0, 2], length: 9, out: hex(Buffer.concat([Buffer.from('xy'), vb])) }],
      }),
      { t: 'close', seq: 4, sync: true, path: `/dev/${v}`, h: 1, rc: 0 },
    ];
    const { lines: out, counts } = redactLines(lines, [v]);
    const s = 'REDACTED-VALUE-1-'.slice(0, v.length); // 'REDACTE'
    const sh = Buffer.from(s).toString('hex');
    expect(counts).toEqual({ value: 1 });
    expect(JSON.stringify(out)).not.toContain(v);
    expect(JSON.stringify(out)).not.toContain(vb.toString('hex'));
    expect(out[1]).toMatchObject({ parent: { name: `pci-${s}`, pciAddress: s, subsystem: 'pci', driver: null } });
    expect(out[2]).toEqual({ t: 'sys', op: 'readdir', path: `/sys/bus/${s}`, result: [`a-${s}`, { nested: [s] }, 7, null] });
    expect(out[3]).toMatchObject({ path: `/dev/${s}`, typeId: 0xfff5 });
    expect(out[4]).toMatchObject({ data: sh, length: 16, result: 7 });
    const r = out[5] as RpcLine;
    expect(r.request).toBe(hex(Buffer.from(`AB${s}`)));
    expect(r.response).toBe(hex(Buffer.from(`${s}CD${s}`)));
    expect(r.attach).toEqual([{ spec: [16, 0, 0, 1, 0, 1], length: 7, in: sh }, { spec: [24, 0, 0, 1, 0, 2], length: 9, out: hex(Buffer.from(`xy${s}`)) }]);
    expect(out[6]).toEqual({ t: 'close', seq: 4, sync: true, path: `/dev/${s}`, h: 1, rc: 0 });
  });

  test('stand-ins: numbered per kind, longest value first, cycled to the value\'s length; a value inside another goes whole', () => {
    const long = 'secret-and-more-secret-text'; // 27 bytes, contains 'secret'
    const lines: TranscriptLine[] = [HEADER, { t: 'sys', op: 'readFile', path: '/a', result: `${long}|secret|x` }];
    const { lines: out, counts } = redactLines(lines, ['secret', long, 'x', 'secret', '']);
    expect(counts).toEqual({ value: 3 }); // distinct, non-empty
    const one = 'REDACTED-VALUE-1-REDACTED-V'; // 27: the longest is number 1
    const two = 'REDACT'; // 'secret' is number 2
    const three = 'R'; // 'x'
    expect((out[1] as { result: string }).result).toBe(`${one}|${two}|${three}`);
  });

  test('secrets the device type finds (mlx5 PSID on handle 1, by its open line) are replaced on every handle and in sysfs text', () => {
    const psid = 'MT_0000000001';
    const lines: TranscriptLine[] = [
      HEADER,
      { t: 'open', seq: 1, sync: true, path: PATH, h: 1, typeId: DeviceTypeId.Mlx5 },
      { t: 'open', seq: 2, sync: true, path: '/dev/fwctl/fwctl1', h: 2, typeId: 0xfff5 },
      rpc(3, 1, queryAdapter(), adapterAnswer(psid, 'vendor-data')),
      // the same bytes on a handle of another type: found through handle 1's answer, replaced here too
      rpc(4, 2, Buffer.from(psid), Buffer.alloc(4), { path: '/dev/fwctl/fwctl1' }),
      { t: 'sys', op: 'readFile', path: '/sys/class/fwctl/fwctl0/device/psid', result: `${psid}\n` },
    ];
    const { lines: out, counts } = redactLines(lines);
    expect(counts).toEqual({ vsd: 1, psid: 1 });
    expect((out[0] as HeaderLine).redacted).toEqual({ vsd: 1, psid: 1 });
    const ps = 'REDACTED-PSID-1-'.slice(0, psid.length);
    const vs = 'REDACTED-VSD-1-REDACTED-VSD-1-'.slice(0, 'vendor-data'.length);
    expect((out[3] as RpcLine).response).toBe(hex(adapterAnswer(ps, vs)));
    expect((out[4] as RpcLine).request).toBe(hex(Buffer.from(ps)));
    expect((out[5] as { result: string }).result).toBe(`${ps}\n`);
  });

  test('a MAC: a locally administered stand-in (02:00:00:00:n), numbered per kind; the rpc line\'s own typeId wins', () => {
    const macs = [[0x00, 0x10, 0x18, 0xaa, 0xbb, 0xcc], [0x00, 0x10, 0x18, 0xaa, 0xbb, 0xcd]];
    const lines: TranscriptLine[] = [
      { t: 'open', seq: 1, sync: true, path: PATH, h: 1, typeId: DeviceTypeId.Mlx5 },
      rpc(2, 1, funcQcaps(), qcapsAnswer(macs[0]), { typeId: DeviceTypeId.Bnxt }),
      rpc(3, 1, funcQcaps(), qcapsAnswer(macs[1]), { typeId: DeviceTypeId.Bnxt }),
    ];
    const { lines: out, counts } = redactLines(lines);
    expect(counts).toEqual({ mac: 2 });
    expect((out[1] as RpcLine).response).toBe(hex(qcapsAnswer([2, 0, 0, 0, 0, 1])));
    expect((out[2] as RpcLine).response).toBe(hex(qcapsAnswer([2, 0, 0, 0, 0, 2])));
    // no header line first: nothing is added for one
    expect(out.some((l) => l.t === 'header')).toBe(false);
  });

  test('a failed call (no response) is not searched; the same answer on an unknown type is not either', () => {
    const lines: TranscriptLine[] = [
      HEADER,
      rpc(1, 1, queryAdapter(), undefined, { typeId: DeviceTypeId.Mlx5 }),
      rpc(2, 2, queryAdapter(), adapterAnswer('MT_0000000001'), { typeId: 0xfff5 }),
    ];
    const { lines: out, counts } = redactLines(lines);
    expect(counts).toEqual({});
    expect(out.slice(1)).toEqual(lines.slice(1));
  });

  test('nothing to redact (empty values are ignored): the same line objects back, the header told redacted: {}', () => {
    const lines: TranscriptLine[] = [HEADER, { t: 'sys', op: 'stat', path: '/x', result: { mode: 1 } }, rpc(1, 1, Buffer.from('ab'), Buffer.from('cd'))];
    const { lines: out, counts } = redactLines(lines, ['']);
    expect(counts).toEqual({});
    expect(out[0]).toEqual({ ...HEADER, redacted: {} });
    expect(out[1]).toBe(lines[1]);
    expect(out[2]).toBe(lines[2]);
    expect(redactLines([])).toEqual({ lines: [], counts: {} });
  });

  test('the input lines are not changed', () => {
    const lines: TranscriptLine[] = [HEADER, { t: 'sys', op: 'readFile', path: '/p', result: ['abcd'] }, rpc(1, 1, Buffer.from('abcd'), Buffer.from('abcd'))];
    const before = JSON.stringify(lines);
    const { lines: out } = redactLines(lines, ['abcd']);
    expect(JSON.stringify(out)).not.toContain('abcd');
    expect(JSON.stringify(lines)).toBe(before);
    expect(HEADER.redacted).toBeUndefined();
  });
});

describe('redactLines: device_data, non-ASCII values, the counts', () => {
  test('a device line\'s hex device_data is redacted as a call\'s data is', () => {
    const lines: TranscriptLine[] = [HEADER,
      { t: 'device', name: 'fwctl0', path: PATH, parent: null, typeId: 1, deviceData: hex(Buffer.from('SECRETX')) },
      { t: 'info', seq: 1, sync: true, path: PATH, h: 1, length: 256, result: 7, data: hex(Buffer.from('SECRETX')), typeId: 1 } as TranscriptLine];
    const { lines: out } = redactLines(lines, ['SECRETX']);
    const device = out[1] as { deviceData: string }, info = out[2] as { data: string };
    expect(device.deviceData).toBe(info.data);
    expect(Buffer.from(device.deviceData, 'hex').toString()).not.toContain('SECRET');
  });

  test('a value with non-ASCII characters is found in text (UTF-8), and a value found nowhere is not counted', () => {
    const lines: TranscriptLine[] = [HEADER, { t: 'sys', op: 'readFile', path: '/sys/class/fwctl/fwctl0/device/label', result: 'café SECRETX' }];
    const { lines: out, counts } = redactLines(lines, ['café', 'not-there-at-all']);
    expect((out[1] as { result: string }).result).not.toContain('café');
    expect((out[1] as { result: string }).result).toContain('SECRETX');
    expect(counts).toEqual({ value: 1 });
    expect((out[0] as HeaderLine).redacted).toEqual({ value: 1 });
  });
});
