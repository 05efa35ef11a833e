// The typed mlx5, pds and bnxt layers: pure encoders/decoders (malformed
// input included) and Device's attach option against a fake binding. The
// scope tables are checked against the kernel source (generated.test.ts)
// and against the real drivers in the VM (scope-tables.taint.test.ts).

import * as bnxt from '../../lib/bnxt';
import { Device } from '../../lib/device';
import * as mlx5 from '../../lib/mlx5';
import * as pds from '../../lib/pds';
import { Scope } from '../../lib/uapi/constants';
import { HOST_LE } from '../../lib/uapi/layout';
import { fwctlRpcPds } from '../../lib/uapi/structs';
import { FwctlDecodeError } from '../../lib/wire';
import { FakeHandle, type IoctlCall } from './helpers/fake-binding';
import { FwctlError, FwctlRangeError, FwctlTypeError } from '../../lib/errors';

const setU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);

describe('mlx5', () => {
  test('opcode names and the least scope per opcode, as drivers/fwctl/mlx5/main.c allows', () => {
    expect(mlx5.Mlx5Opcode.QUERY_HCA_CAP).toBe(0x100);
    expect(mlx5.opcodeName(0x101)).toBe('QUERY_ADAPTER');
    expect(mlx5.minScope(0x100)).toBe(Scope.Configuration);
    expect(mlx5.minScope(mlx5.Mlx5Opcode.NOP)).toBe(Scope.DebugReadOnly);
    expect(mlx5.minScope(mlx5.Mlx5Opcode.SET_DIAGNOSTIC_PARAMS)).toBe(Scope.DebugWrite);
    expect(mlx5.minScope(mlx5.Mlx5Opcode.ACCESS_REG, 0)).toBe(Scope.Configuration);
    expect(mlx5.minScope(mlx5.Mlx5Opcode.ACCESS_REG, 1)).toBe(Scope.DebugReadOnly);
    expect(mlx5.minScope(0xfff)).toBeUndefined();
    expect(new Set(mlx5.MLX5_OPCODE_TABLE.map((e) => e.opcode)).size).toBe(mlx5.MLX5_OPCODE_TABLE.length);
  });

  test('encodeIn: big-endian header, uid left 0, body at 16', () => {
    const b = mlx5.encodeIn(0x100, { opMod: 0x0203, body: Uint8Array.of(9, 8) });
    expect(b.length).toBe(18);
    expect([b.readUInt16BE(0), b.readUInt16BE(2), b.readUInt16BE(6), b[16], b[17]]).toEqual([0x100, 0, 0x203, 9, 8]);
    expect(mlx5.encodeIn(1, { length: 64 }).length).toBe(64);
    expect(() => mlx5.encodeIn(0x10000)).toThrow(FwctlRangeError);
    // Lengths are checked here, not left to Buffer.alloc (whose error names no fwctl limit).
    for (const length of [2 ** 32 + 1, -1, 1.5, NaN, 2 * 1024 * 1024 + 1]) {
      expect(() => mlx5.encodeIn(1, { length })).toThrow(/length must be an integer from 0 to 2097152/);
    }
  });

  test('validate mirrors the driver: EMSGSIZE, then EBADMSG', () => {
    const nop = mlx5.encodeIn(mlx5.Mlx5Opcode.NOP);
    expect(mlx5.validate(nop, Scope.DebugReadOnly, 16)).toBeNull();
    expect(mlx5.validate(nop, Scope.Configuration, 16)).toBe('EBADMSG');
    expect(mlx5.validate(nop, Scope.DebugReadOnly, 15)).toBe('EMSGSIZE');
    expect(mlx5.validate(nop.subarray(0, 15), Scope.DebugReadOnly, 16)).toBe('EMSGSIZE');
  });

  test('decodeOutHeader, and short output mailboxes are FwctlDecodeError', () => {
    const out = Buffer.alloc(16);
    out[0] = 3;
    out.writeUInt32BE(0xdeadbeef, 4);
    expect(mlx5.decodeOutHeader(out)).toEqual({ status: 3, syndrome: 0xdeadbeef });
    expect(() => mlx5.decodeOutHeader(out.subarray(0, 15))).toThrow(FwctlDecodeError);
    expect(mlx5.statusText(0x51)).toBe('bad output length');
    expect(mlx5.statusText(0x99)).toBe('unknown status');
    const r = { opcode: 0x100, status: 0, syndrome: 0, ok: true, response: Buffer.alloc(100), length: 100, truncated: false };
    expect(() => mlx5.decodeHcaCap(r)).toThrow(FwctlDecodeError);
    expect(() => mlx5.decodeAdapter(r)).toThrow(FwctlDecodeError);
  });

  test('decodeAdapter', () => {
    const resp = Buffer.alloc(16 + 256);
    resp.writeUInt32BE(0x010002c9, 16 + 0x18); // the top byte is reserved_at_c0
    resp.writeUInt16BE(0x15b3, 16 + 0x1e);
    resp.write('VSD', 16 + 0x20, 'latin1');
    resp.write('MT_0000000001PSIDX', 16 + 0xf0, 'latin1'); // runs past 16 bytes: cut
    const a = mlx5.decodeAdapter({ opcode: 0x101, status: 0, syndrome: 0, ok: true, response: resp, length: resp.length, truncated: false });
    expect(a).toMatchObject({ ieeeVendorId: 0x02c9, vsdVendorId: 0x15b3, vsd: 'VSD', psid: 'MT_0000000001PSI' });
  });
});

describe('pds', () => {
  test('opcodes: command bits 0-15, version bits 16-23', () => {
    expect(pds.opcode(1, 1)).toBe(0x10001);
    expect(pds.splitOpcode(0x02ff0005)).toEqual({ command: 5, version: 0xff });
    expect(() => pds.opcode(0x10000)).toThrow(FwctlRangeError);
    expect(() => pds.opcode(1, 256)).toThrow(FwctlRangeError);
  });

  test('firmware attribute -> scope, as pdsfc_get_operations() translates', () => {
    expect([0x00, 0x04, 0x10, 0x02, 0x08, 0x20, 0x01].map(pds.scopeOfAttr)).toEqual([0, 0, 0, 1, 2, 3, 3]);
  });

  const queryData = (count: number, entries: number[]) => {
    const b = Buffer.alloc(8 + entries.length);
    b[0] = 2;
    b.writeUInt32LE(count, 4);
    b.set(entries, 8);
    return b;
  };

  test('decodeEndpoints / decodeOperations', () => {
    expect(pds.decodeEndpoints(queryData(2, [1, 0, 0, 0, 0xff, 0, 0, 0]))).toEqual({ version: 2, entries: [{ id: 1 }, { id: 0xff }] });
    const ops = pds.decodeOperations(queryData(1, [5, 0, 1, 0, 0x08, 0, 0, 0]));
    expect(ops.entries).toEqual([{ id: 0x10005, command: 5, version: 1, attr: 8, scope: Scope.DebugWrite }]);
    // trailing bytes past num_entries are ignored
    expect(pds.decodeEndpoints(queryData(0, [1, 2, 3, 4])).entries).toEqual([]);
  });

  test('malformed query data: short header, counts larger than the data (no unchecked reads)', () => {
    expect(() => pds.decodeEndpoints(Buffer.alloc(7))).toThrow(FwctlDecodeError);
    expect(() => pds.decodeEndpoints(queryData(3, [1, 0, 0, 0, 2, 0, 0, 0]))).toThrow(/num_entries 3 needs 20 bytes, got 16/);
    expect(() => pds.decodeOperations(queryData(2, [1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(FwctlDecodeError);
    expect(() => pds.decodeOperations(queryData(0xffffffff, []))).toThrow(FwctlDecodeError);
  });

  test('call: fwctl_rpc_pds with in/out payloads attached; copy-in/copy-out on the async path', async () => {
    let seen: IoctlCall | undefined;
    const handle = new FakeHandle((c) => {
      seen = c;
      const [req, resp, inPayload, outPayload] = c.buffers;
      // the "driver": echo the payload, set out.retval, answer the struct
      outPayload.set(inPayload.subarray(0, outPayload.length));
      resp.set(req.subarray(0, 48));
      new DataView(resp.buffer, resp.byteOffset).setUint32(24, 7, true);
      setU32(c.arg, 12, 48);
      return 0;
    }, [0, 0, 0]);
    const dev = new Device(handle, '/dev/fwctl/fwctl9');
    const payload = Buffer.from('abcdef');
    const r = await pds.call(dev, { ep: 1, op: 0x10001, payload, responseLength: 4, scope: Scope.Configuration });
    expect(r.retval).toBe(7);
    expect(r.payload.toString()).toBe('abcd');
    const c = seen!;
    expect(c.patches).toEqual([0, 16, 1, 0, 24, 2, 1, 16, 3, 1, 40, 4]);
    expect(c.buffers[2]).not.toBe(payload); // a private copy in flight
    const req = c.buffers[0];
    const dv = new DataView(req.buffer, req.byteOffset);
    expect([dv.getUint32(0, HOST_LE), dv.getUint32(4, HOST_LE), dv.getUint32(12, HOST_LE), dv.getUint32(36, HOST_LE)]).toEqual([0x10001, 1, 6, 4]);
    expect(req.length).toBe(fwctlRpcPds.size);
    // sync: the attached buffers go to the "kernel" directly, the request is a copy
    const s = pds.callSync(dev, { ep: 1, op: 1, payload, responseLength: 2, scope: Scope.Configuration });
    expect(s.payload.toString()).toBe('ab');
    expect(seen!.buffers[2]).toBe(payload);
  });

  test('a short answer from the driver is FwctlDecodeError', async () => {
    const dev = new Device(new FakeHandle((c) => (setU32(c.arg, 12, 8), 0), [0, 0, 0]), '/dev/fwctl/fwctl9');
    await expect(pds.call(dev, { ep: 0, op: 1, scope: Scope.Configuration })).rejects.toThrow(FwctlDecodeError);
  });

  test('endpoint/operation queries have no default route: nothing is sent without one', async () => {
    const handle = new FakeHandle(() => 0, [0, 0, 0]);
    const dev = new Device(handle, '/dev/fwctl/fwctl9');
    const noRoute = undefined as unknown as pds.QueryRoute;
    await expect(pds.endpoints(dev, noRoute)).rejects.toThrow(/need the route your firmware serves them at/);
    expect(() => pds.operationsSync(dev, 1, noRoute)).toThrow(FwctlTypeError);
    expect(() => pds.endpointsSync(dev, { ep: 0 } as pds.QueryRoute)).toThrow(FwctlTypeError);
    expect(handle.calls).toHaveLength(0);
  });

  test('the typed calls pass a signal through: an aborted one is never sent', async () => {
    const handle = new FakeHandle(() => 0, [0, 0, 0]);
    const dev = new Device(handle, '/dev/fwctl/fwctl9');
    const signal = AbortSignal.abort();
    await expect(pds.call(dev, { ep: 1, op: 1, scope: Scope.Configuration, signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
    await expect(pds.endpoints(dev, pds.MOCK_QUERY_ROUTE, { signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
    expect(handle.calls).toHaveLength(0);
  });
});

describe('Device attach option', () => {
  const dev = () => new Device(new FakeHandle(() => 0, [0, 0, 0]), '/dev/fwctl/fwctl9');
  test.each([
    [{ at: 0, buffer: 'x', direction: 'in' }, FwctlTypeError],
    [{ at: 0, buffer: Buffer.alloc(1), direction: 'sideways' }, FwctlTypeError],
    [{ at: 9, buffer: Buffer.alloc(1), direction: 'in' }, FwctlRangeError],
    [{ at: -1, buffer: Buffer.alloc(1), direction: 'in' }, FwctlRangeError],
  ])('refuses %o before any syscall', (a, type) => {
    const d = dev();
    expect(() => d.rpcSync(Buffer.alloc(16), { scope: 0, attach: [a as never] })).toThrow(type);
  });
  test('too many buffers are refused (overlapping fields: the addon refuses them, test/unit/native.test.ts)', () => {
    const b = Buffer.alloc(1);
    const seven = Array.from({ length: 7 }, (_, i) => ({ at: 8 * i, buffer: b, direction: 'in' as const }));
    expect(() => dev().rpcSync(Buffer.alloc(64), { scope: 0, attach: seven })).toThrow(/at most 6/);
  });
  test('the caller\'s request bytes are never patched; out buffers are written back only on success', async () => {
    const handle = new FakeHandle((c) => {
      c.buffers[2].fill(0xaa);
      return c.buffers[2].length === 3 ? -22 : 0;
    }, [0, 0, 0]);
    const d = new Device(handle, '/dev/fwctl/fwctl9');
    const req = Buffer.alloc(16);
    const out = Buffer.alloc(4);
    await d.rpc(req, { scope: 0, attach: [{ at: 8, buffer: out, direction: 'out' }] });
    expect(out.every((x) => x === 0xaa)).toBe(true);
    expect(handle.calls[0].buffers[0]).not.toBe(req);
    const failed = Buffer.alloc(3);
    await expect(d.rpc(req, { scope: 0, attach: [{ at: 8, buffer: failed, direction: 'inout' }] })).rejects.toMatchObject({ code: 'EINVAL' });
    expect(failed.every((x) => x === 0)).toBe(true);
    expect(req.every((x) => x === 0)).toBe(true);
  });
});

describe('bnxt', () => {
  test('request types and scopes, as drivers/fwctl/bnxt/main.c allows', () => {
    expect(bnxt.HwrmReqType.VER_GET).toBe(0);
    expect(bnxt.minScope(0)).toBe(Scope.DebugReadOnly);
    expect(bnxt.minScope(bnxt.HwrmReqType.FUNC_RESET)).toBe(Scope.Configuration);
    expect(bnxt.minScope(bnxt.HwrmReqType.PORT_PHY_I2C_WRITE)).toBe(Scope.DebugWrite);
    expect(bnxt.minScope(bnxt.HwrmReqType.NVM_RAW_WRITE_BLK)).toBe(Scope.DebugWriteFull);
    expect(bnxt.BNXT_COMMAND_TABLE.find((e) => e.name === 'NVM_READ')?.dmaRequestSize).toBe(40);
    expect(bnxt.minScope(0x1234)).toBeUndefined();
    expect(bnxt.reqTypeName(0xb5)).toBe('PORT_PHY_MDIO_WRITE');
  });

  test('encodeRequest: LE struct input, defaults, limits', () => {
    const r = bnxt.encodeRequest(0x1234, { seqId: 5, body: Uint8Array.of(1, 2, 3), length: 24 });
    expect(r.length).toBe(24);
    expect([r.readUInt16LE(0), r.readUInt16LE(2), r.readUInt16LE(4), r.readUInt16LE(6), r[16], r[18]]).toEqual([0x1234, 0xffff, 5, 0xffff, 1, 3]);
    expect(() => bnxt.encodeRequest(0, { length: 129 })).toThrow(FwctlRangeError);
    expect(() => bnxt.encodeRequest(0x10000)).toThrow(FwctlRangeError);
  });

  test('validate mirrors the driver: sizes EINVAL, DMA sizes EINVAL, scope EPERM', () => {
    const ver = bnxt.encodeRequest(0, { length: 24 });
    expect(bnxt.validate(ver, Scope.DebugReadOnly, 176)).toBeNull();
    expect(bnxt.validate(ver, Scope.Configuration, 176)).toBe('EPERM');
    expect(bnxt.validate(ver, Scope.DebugReadOnly, 7)).toBe('EINVAL');
    expect(bnxt.validate(Buffer.alloc(15), Scope.DebugReadOnly, 8)).toBe('EINVAL');
    expect(bnxt.validate(bnxt.encodeRequest(bnxt.HwrmReqType.NVM_READ), Scope.DebugWriteFull, 8)).toBe('EINVAL');
    expect(bnxt.validate(bnxt.encodeRequest(bnxt.HwrmReqType.NVM_READ, { length: 40 }), Scope.DebugReadOnly, 8)).toBeNull();
  });

  test('error_code: firmware codes vs a failed send (-errno)', () => {
    expect(bnxt.describeErrorCode(0)).toEqual({ kind: 'ok', name: 'SUCCESS' });
    expect(bnxt.describeErrorCode(2)).toEqual({ kind: 'firmware', name: 'INVALID_PARAMS' });
    expect(bnxt.describeErrorCode(0xffff)).toEqual({ kind: 'firmware', name: 'CMD_NOT_SUPPORTED' });
    expect(bnxt.describeErrorCode(0x10000 - 110)).toEqual({ kind: 'send', name: 'ETIMEDOUT', errno: -110 });
    expect(bnxt.describeErrorCode(0x7000).kind).toBe('firmware');
  });

  test('decodeOutput / decodeVerGet refuse short buffers', () => {
    expect(() => bnxt.decodeOutput(Buffer.alloc(7))).toThrow(FwctlDecodeError);
    const short = { ...bnxt.decodeOutput(Buffer.alloc(8)), ok: true, response: Buffer.alloc(175), length: 175, truncated: false };
    expect(() => bnxt.decodeVerGet(short)).toThrow(FwctlDecodeError);
  });

  test('decodeVerGet reads hwrm_ver_get_output', () => {
    const b = Buffer.alloc(176);
    b.writeUInt16LE(0, 0);
    b.writeUInt16LE(3, 4);
    b.write('fw-name-that-is-too-long', 32, 'latin1'); // 16-byte field, no NUL: cut
    b.writeUInt16LE(0x1750, 112);
    [1, 10, 3, 4].forEach((x, i) => b.writeUInt16LE(x, 128 + 2 * i));
    b[175] = 1;
    const v = bnxt.decodeVerGet({ ...bnxt.decodeOutput(b), ok: true, response: b, length: 176, truncated: false });
    expect(v).toMatchObject({ seqId: 3, firmwareName: 'fw-name-that-is-', chipNum: 0x1750, interfaceVersion: [1, 10, 3, 4], valid: true });
  });

  test('exec throws BnxtFirmwareError for a non-zero error_code; allowError returns it', () => {
    const d = new Device(new FakeHandle((c) => {
      new DataView(c.buffers[1].buffer, c.buffers[1].byteOffset).setUint16(0, 0xfffb, true);
      setU32(c.arg, 12, 4096);
      return 0;
    }, [0, 0, 0]), '/dev/fwctl/fwctl9');
    expect(() => bnxt.execSync(d, 0)).toThrow(bnxt.BnxtFirmwareError);
    try {
      bnxt.execSync(d, 0);
    } catch (e) {
      expect(e).toBeInstanceOf(FwctlError);
      expect(e).toMatchObject({ code: 'ERR_FWCTL_BNXT_HWRM', kind: 'send', errno: -5, errorCode: 0xfffb });
      expect((e as Error).message).toMatch(/could not send.*EIO/);
    }
    expect(bnxt.execSync(d, 0, { allowError: true }).errorCode).toBe(0xfffb);
    expect(() => bnxt.execSync(d, 0x1234)).toThrow(/give options.scope/);
  });
});
