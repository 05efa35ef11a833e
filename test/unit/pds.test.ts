// lib/pds.ts and lib/pds/type.ts: the pds typed layer and its device-type
// module, through their exported API. Over a DeviceLike (helpers/fake-device)
// that keeps every request with the options it was sent with. What
// typed.test.ts already covers (the opcode basics, the list decoders and
// their malformed input, the addon's pointer patches of call() over a fake
// handle, the missing route, abort) is not repeated here.
//
// The facts are from Linux 7.3.4 (~/.cache/fwctl-node/src/linux-source-7.3):
//   include/uapi/fwctl/pds.h       struct fwctl_rpc_pds, struct fwctl_info_pds
//   include/linux/pds/pds_adminq.h PDS_FWCTL_RPC_OPCODE_{CMD,VER}_MASK,
//                                  PDSFC_FW_CMD_ATTR_*, enum pds_fwctl_query_entity,
//                                  struct pds_fwctl_query_data{,_endpoint,_operation}
//   drivers/fwctl/pds/main.c       pdsfc_id_table, pdsfc_get_operations()
//   include/linux/pds/pds_core_if.h PCI_VENDOR_ID_PENSANDO

import type { RpcOptions } from '../../lib/device';
import type { InventoryRecord } from '../../lib/inventory';
import * as pds from '../../lib/pds';
import { pdsType } from '../../lib/pds/type';
import { ANY_KEY } from '../../lib/guards';
import { DIR_IN, DIR_OUT, LEN_BE } from '../../lib/binding-flags';
import { DeviceTypeId, Scope } from '../../lib/uapi/constants';
import { HOST_LE } from '../../lib/uapi/layout';
import { fwctlRpcPds } from '../../lib/uapi/structs';
import { caught, expectCode } from './helpers/errors';
import { fakeRpcDevice } from './helpers/fake-device';

// struct fwctl_rpc_pds (include/uapi/fwctl/pds.h): in { u32 op, ep, rsvd,
// len; aligned_u64 payload } then out { u32 retval, rsvd[2], len;
// aligned_u64 payload }: 48 bytes. Its fields are __u32: host order.
const AT = { op: 0, ep: 4, inLen: 12, inPayload: 16, retval: 24, outLen: 36, outPayload: 40 } as const;
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, HOST_LE);

/** The fwctl_rpc_pds a driver answers: out.retval set, the rest as sent. */
function answer(req: Buffer, retval: number): Buffer {
  const r = Buffer.from(req.subarray(0, 48));
  new DataView(r.buffer, r.byteOffset).setUint32(AT.retval, retval, HOST_LE);
  return r;
}

/** A pds device whose firmware answers `retval` and writes `outPayload` into the out attachment. */
function pdsDevice(retval = 0, outPayload: Uint8Array = new Uint8Array(0)) {
  const d = fakeRpcDevice((req) => {
    const out = d.calls[d.calls.length - 1].options.attach?.[1]?.buffer as Uint8Array | undefined;
    if (out) out.set(outPayload.subarray(0, out.byteLength));
    return answer(req, retval);
  }, DeviceTypeId.Pds, '/dev/fwctl/fwctl3');
  return d;
}

/** struct pds_fwctl_query_data: u8 version, u8 rsvd[3], __le32 num_entries, entries. */
function queryData(version: number, count: number, entries: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = version;
  h.writeUInt32LE(count, 4);
  return Buffer.concat([h, entries]);
}

describe('the layout the module sends is the kernel\'s struct fwctl_rpc_pds', () => {
  test('48 bytes, the fields at the offsets of include/uapi/fwctl/pds.h', () => {
    expect(fwctlRpcPds.size).toBe(48);
    const F = fwctlRpcPds.fields;
    expect([F['in.op'], F['in.ep'], F['in.len'], F['in.payload'], F['out.retval'], F['out.len'], F['out.payload']].map((f) => f.offset))
      .toEqual([AT.op, AT.ep, AT.inLen, AT.inPayload, AT.retval, AT.outLen, AT.outPayload]);
  });

  test('the firmware attributes and query entities are the kernel\'s values', () => {
    // PDSFC_FW_CMD_ATTR_* (pds_adminq.h)
    expect(pds.PdsAttr).toEqual({ Read: 0x00, DebugRead: 0x02, Write: 0x04, DebugWrite: 0x08, Sync: 0x10 });
    // enum pds_fwctl_query_entity: PDS_FWCTL_RPC_ROOT, _ENDPOINT, _OPERATION
    expect(pds.QueryEntity).toEqual({ Root: 0, Endpoint: 1, Operation: 2 });
    expect(Object.isFrozen(pds.PdsAttr) && Object.isFrozen(pds.QueryEntity) && Object.isFrozen(pds.MOCK_QUERY_ROUTE)).toBe(true);
  });
});

describe('opcodes at the field limits (PDS_FWCTL_RPC_OPCODE_CMD_MASK GENMASK(15,0), _VER_MASK GENMASK(23,16))', () => {
  test('the largest command and version fill bits 0-23; version defaults to 0', () => {
    expect(pds.opcode(0xffff, 0xff)).toBe(0xffffff);
    expect(pds.opcode(0, 0)).toBe(0);
    expect(pds.opcode(0xabcd)).toBe(0xabcd);
    expect(pds.opcode(0, 0xff)).toBe(0xff0000);
  });

  test.each([[-1, 0], [1.5, 0], [NaN, 0], [0x10000, 0], [0, -1], [0, 0.5], [0, 0x100]])('opcode(%p, %p): ERR_FWCTL_OUT_OF_RANGE', (c, v) => {
    expectCode(caught(() => pds.opcode(c, v)), 'ERR_FWCTL_OUT_OF_RANGE');
  });

  test('splitOpcode reads only bits 0-23, as FIELD_GET with those masks does; round-trips opcode()', () => {
    expect(pds.splitOpcode(0xff123456)).toEqual({ command: 0x3456, version: 0x12 });
    expect(pds.splitOpcode(0xffffffff)).toEqual({ command: 0xffff, version: 0xff });
    for (const [c, v] of [[0, 0], [0xffff, 0xff], [1, 0x80], [0x8000, 1]]) expect(pds.splitOpcode(pds.opcode(c, v))).toEqual({ command: c, version: v });
  });

  test('splitOpcode of a non-number: ERR_FWCTL_INVALID_ARG_TYPE', () => {
    expectCode(caught(() => pds.splitOpcode('1' as unknown as number)), 'ERR_FWCTL_INVALID_ARG_TYPE');
    expectCode(caught(() => pds.splitOpcode(undefined as unknown as number)), 'ERR_FWCTL_INVALID_ARG_TYPE');
  });

  test('scopeOfAttr: combined or unknown attribute bytes need the full scope (the default of pdsfc_get_operations())', () => {
    expect([0x03, 0x06, 0x0c, 0x12, 0x14, 0x18, 0x40, 0x80, 0xff].map(pds.scopeOfAttr)).toEqual(Array(9).fill(Scope.DebugWriteFull));
  });
});

describe('decodeOperations: each entry\'s id split and its scope', () => {
  test('struct pds_fwctl_query_data_operation (__le32 id, u8 scope, u8 rsvd[3]): rsvd ignored, every attribute mapped', () => {
    const e = Buffer.alloc(8 * 3);
    e.writeUInt32LE(0x00020007, 0);
    e[4] = pds.PdsAttr.Sync;
    e.fill(0xee, 5, 8); // rsvd
    e.writeUInt32LE(0xffffffff, 8);
    e[12] = pds.PdsAttr.DebugRead;
    e.writeUInt32LE(0, 16);
    e[20] = 0x20;
    const d = pds.decodeOperations(queryData(3, 3, e));
    expect(d.version).toBe(3);
    expect(d.entries).toEqual([
      { id: 0x20007, command: 7, version: 2, attr: 0x10, scope: Scope.Configuration },
      { id: 0xffffffff, command: 0xffff, version: 0xff, attr: 0x02, scope: Scope.DebugReadOnly },
      { id: 0, command: 0, version: 0, attr: 0x20, scope: Scope.DebugWriteFull },
    ]);
  });

  test('endpoint ids are the full __le32 (values at the limit, little-endian whatever the host)', () => {
    const e = Buffer.alloc(8);
    e.writeUInt32LE(0xffffffff, 0);
    e.writeUInt32LE(0x01020304, 4);
    expect(pds.decodeEndpoints(queryData(1, 2, e)).entries).toEqual([{ id: 0xffffffff }, { id: 0x01020304 }]);
  });

  test('an exact fit decodes; one byte short is ERR_FWCTL_DECODE', () => {
    const e = Buffer.alloc(8);
    const b = queryData(0, 1, e); // one operation entry, 16 bytes
    expect(pds.decodeOperations(b).entries).toHaveLength(1);
    expectCode(caught(() => pds.decodeOperations(b.subarray(0, 15))), 'ERR_FWCTL_DECODE');
    expectCode(caught(() => pds.decodeEndpoints(new Uint8Array(0))), 'ERR_FWCTL_DECODE');
  });
});

describe('call / callSync: the request and options handed to the device', () => {
  test('in.op, in.ep, in.len, out.len written; rsvd and pointer fields left 0 for the addon', () => {
    const { dev, calls } = pdsDevice();
    pds.callSync(dev, { ep: 0xffffffff, op: pds.opcode(0xffff, 0xff), payload: Buffer.alloc(5, 1), responseLength: 9, scope: Scope.DebugReadOnly });
    const req = calls[0].request;
    expect(req.length).toBe(48);
    expect([u32(req, AT.op), u32(req, AT.ep), u32(req, AT.inLen), u32(req, AT.outLen)]).toEqual([0xffffff, 0xffffffff, 5, 9]);
    expect(req.subarray(8, 12).every((x) => x === 0)).toBe(true); // in.rsvd
    expect(req.subarray(AT.inPayload, AT.inPayload + 8).every((x) => x === 0)).toBe(true);
    expect(req.subarray(AT.retval, AT.outLen).every((x) => x === 0)).toBe(true); // out.retval, out.rsvd
    expect(req.subarray(AT.outPayload, 48).every((x) => x === 0)).toBe(true);
  });

  test('options: the scope, a 48-byte response, both payloads attached at the pointer fields, taint opt-in and signal passed on', () => {
    const { dev, calls } = pdsDevice();
    const payload = Buffer.from('hello');
    const signal = new AbortController().signal;
    pds.callSync(dev, { ep: 2, op: 3, payload, responseLength: 4, scope: Scope.DebugWriteFull, allowKernelTaint: true, signal });
    const o: RpcOptions = calls[0].options;
    expect(o).toMatchObject({ scope: Scope.DebugWriteFull, responseLength: 48, allowKernelTaint: true, signal });
    expect(o.attach).toHaveLength(2);
    expect(o.attach![0]).toEqual({ at: AT.inPayload, buffer: payload, direction: 'in' });
    expect(o.attach![1]).toMatchObject({ at: AT.outPayload, direction: 'out' });
    expect((o.attach![1].buffer as Uint8Array).byteLength).toBe(4);
    // no length fields given: the driver table says which length each is read with (lib/pds/type.ts)
    expect(o.attach!.every((a) => a.length === undefined && a.fixedLength === undefined)).toBe(true);
  });

  test('defaults: no payload is in.len 0 with an empty attachment, no responseLength is out.len 0', () => {
    const { dev, calls } = pdsDevice(0, Buffer.from('ignored'));
    const r = pds.callSync(dev, { ep: 0, op: 0, scope: Scope.Configuration });
    expect([u32(calls[0].request, AT.inLen), u32(calls[0].request, AT.outLen)]).toEqual([0, 0]);
    expect(calls[0].options.attach!.map((a) => (a.buffer as Uint8Array).byteLength)).toEqual([0, 0]);
    expect(r.payload.length).toBe(0);
  });

  test('the result: out.retval from the response, the out payload the driver wrote, the response itself', async () => {
    const { dev } = pdsDevice(0xfffffffe, Buffer.from('firmware says'));
    const r = await pds.call(dev, { ep: 1, op: 1, responseLength: 8, scope: Scope.Configuration });
    expect(r.retval).toBe(0xfffffffe);
    expect(r.payload.toString()).toBe('firmware');
    expect(r.response.length).toBe(48);
    expect(u32(r.response, AT.retval)).toBe(0xfffffffe);
  });

  test.each([
    ['ep', { ep: -1, op: 0 }], ['ep', { ep: 2 ** 32, op: 0 }], ['ep', { ep: 1.5, op: 0 }], ['ep', { ep: undefined, op: 0 }],
    ['op', { ep: 0, op: -1 }], ['op', { ep: 0, op: 2 ** 32 }], ['op', { ep: 0, op: NaN }], ['op', { ep: 0, op: '1' }],
  ])('%s out of u32 range (%p): ERR_FWCTL_OUT_OF_RANGE, nothing sent', async (k, v) => {
    const { dev, calls } = pdsDevice();
    const o = { ...v, scope: Scope.Configuration } as unknown as pds.PdsCallOptions;
    const e = caught(() => pds.callSync(dev, o));
    expectCode(e, 'ERR_FWCTL_OUT_OF_RANGE');
    expect((e as Error).message).toMatch(new RegExp(`^${k} must be a u32`));
    await expect(pds.call(dev, o)).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    expect(calls).toHaveLength(0);
  });

  test('ep and op at the u32 limits are sent', () => {
    const { dev, calls } = pdsDevice();
    pds.callSync(dev, { ep: 0xffffffff, op: 0xffffffff, scope: Scope.Configuration });
    expect([u32(calls[0].request, AT.op), u32(calls[0].request, AT.ep)]).toEqual([0xffffffff, 0xffffffff]);
  });

  test('options that are not an object: ERR_FWCTL_INVALID_ARG_TYPE, nothing sent', () => {
    const { dev, calls } = pdsDevice();
    for (const o of [undefined, null, 5]) expectCode(caught(() => pds.callSync(dev, o as unknown as pds.PdsCallOptions)), 'ERR_FWCTL_INVALID_ARG_TYPE');
    expect(calls).toHaveLength(0);
  });
});

describe('endpoint and operation queries over a route', () => {
  const endpointsAnswer = () => {
    const e = Buffer.alloc(8);
    e.writeUInt32LE(0, 0);
    e.writeUInt32LE(9, 4);
    return queryData(1, 2, e);
  };

  test('endpointsSync: entity ROOT to the route, 8-byte payload, a 4096-byte out buffer, scope configuration by default', () => {
    const { dev, calls } = pdsDevice(0, endpointsAnswer());
    expect(pds.endpointsSync(dev, pds.MOCK_QUERY_ROUTE)).toEqual({ version: 1, entries: [{ id: 0 }, { id: 9 }] });
    const { request, options } = calls[0];
    expect([u32(request, AT.ep), u32(request, AT.op), u32(request, AT.inLen), u32(request, AT.outLen)]).toEqual([0, 1, 8, 4096]);
    expect(options.scope).toBe(Scope.Configuration);
    // { u8 entity; u8 version; u8 rsvd[2]; __le32 ep }
    expect(Buffer.from(options.attach![0].buffer as Uint8Array).toString('hex')).toBe('0000000000000000');
  });

  test('operations(ep): entity ENDPOINT and the endpoint id (little-endian, at the limit) in the payload; the route\'s own scope', async () => {
    const ops = Buffer.alloc(8);
    ops.writeUInt32LE(pds.opcode(4, 1), 0);
    ops[4] = pds.PdsAttr.DebugWrite;
    const { dev, calls } = pdsDevice(0, queryData(2, 1, ops));
    const route = { ep: 5, op: 0x77, scope: Scope.DebugReadOnly };
    const d = await pds.operations(dev, 0xffffffff, route);
    expect(d).toEqual({ version: 2, entries: [{ id: 0x10004, command: 4, version: 1, attr: 0x08, scope: Scope.DebugWrite }] });
    const { request, options } = calls[0];
    expect([u32(request, AT.ep), u32(request, AT.op)]).toEqual([5, 0x77]);
    expect(options.scope).toBe(Scope.DebugReadOnly);
    expect(Buffer.from(options.attach![0].buffer as Uint8Array).toString('hex')).toBe('01000000ffffffff');
    pds.operationsSync(dev, 3, route);
    expect(Buffer.from(calls[1].options.attach![0].buffer as Uint8Array).toString('hex')).toBe('0100000003000000');
  });

  test('a non-zero retval is PdsQueryError (ERR_FWCTL_PDS_RETVAL) carrying it; the payload is not decoded', async () => {
    const { dev } = pdsDevice(22, endpointsAnswer());
    const e = caught(() => pds.endpointsSync(dev, pds.MOCK_QUERY_ROUTE));
    expectCode(e, 'ERR_FWCTL_PDS_RETVAL');
    expect(e).toBeInstanceOf(pds.PdsQueryError);
    expect(e).toMatchObject({ retval: 22, name: 'PdsQueryError', message: expect.stringMatching(/pds endpoint query: firmware retval 22/) });
    await expect(pds.operations(dev, 1, pds.MOCK_QUERY_ROUTE)).rejects.toMatchObject({ code: 'ERR_FWCTL_PDS_RETVAL', retval: 22, message: expect.stringMatching(/operation query/) });
  });

  test('retval 0 with a list that does not fit its num_entries: ERR_FWCTL_DECODE', () => {
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(2000, 4); // 2000 endpoints need 8008 bytes, more than the 4096 asked for
    const { dev } = pdsDevice(0, bad);
    expectCode(caught(() => pds.endpointsSync(dev, pds.MOCK_QUERY_ROUTE)), 'ERR_FWCTL_DECODE');
  });

  test('a route without an integer op (or not an object): ERR_FWCTL_INVALID_ARG_VALUE, nothing sent', () => {
    const { dev, calls } = pdsDevice();
    for (const r of [null, 'ep0', { ep: 0, op: 1.5 }, { ep: '0', op: 1 }]) {
      expectCode(caught(() => pds.endpointsSync(dev, r as unknown as pds.QueryRoute)), 'ERR_FWCTL_INVALID_ARG_VALUE');
    }
    expect(calls).toHaveLength(0);
  });
});

describe('lib/pds/type.ts: the device-type module', () => {
  test('registered as FWCTL_DEVICE_TYPE_PDS under its UAPI name, with its error code', () => {
    expect(pdsType).toMatchObject({ id: DeviceTypeId.Pds, name: 'pds', errorCodes: ['ERR_FWCTL_PDS_RETVAL'] });
  });

  test('pointer guards: in.payload read with in.len, out.payload written with out.len (host-endian u32 lengths), any request', () => {
    const hostLen = 4 | (HOST_LE ? 0 : LEN_BE);
    expect(pdsType.pointerGuards!()).toEqual([
      { key: ANY_KEY, ptrOffset: AT.inPayload, lenOffset: AT.inLen, lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_IN },
      { key: ANY_KEY, ptrOffset: AT.outPayload, lenOffset: AT.outLen, lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_OUT },
    ]);
  });

  test('commandOf names op and ep of a request; no pds call is counted a write by its name', () => {
    const { dev, calls } = pdsDevice();
    pds.callSync(dev, { ep: 7, op: pds.opcode(0x1234, 2), scope: Scope.DebugWrite });
    expect(pdsType.commandOf!(calls[0].request)).toEqual({ name: 'pds op 0x21234 ep 7', write: false });
  });

  test('a request shorter than struct fwctl_rpc_pds is named for what it is, not with made-up fields', () => {
    expect(pdsType.commandOf!(new Uint8Array(3))).toEqual({ name: 'pds request (3 bytes, shorter than struct fwctl_rpc_pds)', write: false });
    expect(pdsType.commandOf!(new Uint8Array(6)).name).toMatch(/^pds request \(6 bytes/);
  });

  test('a responseLength or an ep that is not a u32 is ERR_FWCTL_OUT_OF_RANGE before any call, not Node\'s own error', () => {
    const { dev, calls } = pdsDevice();
    for (const responseLength of [-1, 1.5, 3 * 1024 * 1024]) {
      expect(() => pds.callSync(dev, { ep: 1, op: 1, responseLength, scope: Scope.Configuration }))
        .toThrow(expect.objectContaining({ code: 'ERR_FWCTL_OUT_OF_RANGE', message: expect.stringMatching(/^responseLength must be an integer/) }));
    }
    const route = { ep: 5, op: 0x77 };
    for (const ep of [-1, 2 ** 32, 1.5]) {
      expect(() => pds.operationsSync(dev, ep, route)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_OUT_OF_RANGE', message: expect.stringMatching(/^ep must be a u32/) }));
    }
    expect(calls).toHaveLength(0);
  });

  test('describeInfo: the caps in hex, or why there are none', () => {
    expect(pdsType.describeInfo!({ uctxCaps: 0x3 }, Buffer.from(new Uint32Array([3]).buffer))).toEqual([['uctxCaps', '0x3']]);
    expect(pdsType.describeInfo!(undefined, Buffer.alloc(0))).toEqual([['uctxCaps', expect.stringMatching(/not reported/)]]);
  });

  test('inventory: a note, no facts (the queries need a device-specific route), nothing sent', async () => {
    const { dev, calls } = pdsDevice();
    const rec = { name: 'fwctl3', path: dev.path, parent: null, driver: null, type: { name: 'pds', id: 4 }, error: null } as InventoryRecord;
    await pdsType.inventory!.facts(dev, rec, undefined);
    expect(rec.note).toMatch(/^pds: no firmware facts beyond FWCTL_INFO/);
    expect(calls).toHaveLength(0);
  });

  test('host facts: PCI_VENDOR_ID_PENSANDO, the aux device of pdsfc_id_table, the modules and Kconfig symbols', () => {
    // PDS_CORE_DRV_NAME "." PDS_DEV_TYPE_FWCTL_STR (include/linux/pds/pds_common.h); drivers/fwctl/Kconfig FWCTL_PDS depends on PDS_CORE
    expect(pdsType.host).toMatchObject({
      pciVendorIds: [0x1dd8], auxDevices: ['pds_core.fwctl'], coreDrivers: ['pds_core'], fwctlModule: 'pds_fwctl', modules: ['pds_fwctl', 'pds_core'],
      kconfigDriver: 'FWCTL_PDS', kconfigDepends: { FWCTL_PDS: ['FWCTL', 'PDS_CORE'] },
    });
    expect([...pdsType.host!.kconfig!].sort()).toEqual(['FWCTL', 'FWCTL_PDS', 'PDS_CORE']);
  });
});
