// The typed mlx5, pds and bnxt layers against the mock driver's per-type
// modes (PROTOCOL.md), through the real fwctl core: user -> core -> driver -> user.
import * as fwctl from '../../../lib';
import { main } from '../../../lib/cli/main';
import * as mock from '../mock/protocol';

const { Scope } = fwctl;

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

describe('mlx5 mode', () => {
  let dev: mock.MockDevice;
  beforeAll(() => { dev = mock.add({ mode: 'mlx5' }); });
  afterAll(() => mock.del(dev.name));

  test('info: type 1 and struct fwctl_info_mlx5 { uid, uctx_caps } per open', async () => {
    expect(dev.type).toBe(1);
    await using a = await fwctl.open(dev.name);
    await using b = await fwctl.open(dev.name);
    const ia = await a.info();
    const ib = b.infoSync();
    expect(ia.type).toBe('mlx5');
    expect(ia.decoded?.uctxCaps).toBe(fwctl.MLX5_UCTX_CAP_TOOLS_RESOURCES);
    if (ia.type !== 'mlx5' || ib.type !== 'mlx5') throw new Error('not mlx5');
    expect(ib.decoded!.uid).toBe(ia.decoded!.uid + 1);
  });

  test('QUERY_HCA_CAP at the least scope: op_mod travels, the kernel side forced the uid', async () => {
    await using d = await fwctl.open(dev.name);
    const info = await d.info();
    if (info.type !== 'mlx5') throw new Error('not mlx5');
    const uid = info.decoded!.uid;
    const cap = await fwctl.mlx5.queryHcaCap(d, { capType: 0, current: true });
    expect(cap.ok).toBe(true);
    expect(cap.capability.length).toBe(4096);
    expect(cap.capability.readUInt32BE(0)).toBe(1); // op_mod = (0 << 1) | GET_CUR
    expect(cap.capability.readUInt32BE(4)).toBe(uid);
    const sync = fwctl.mlx5.queryHcaCapSync(d, { current: false });
    expect(sync.capability.readUInt32BE(0)).toBe(0);
  });

  test('QUERY_ADAPTER decodes', async () => {
    await using d = await fwctl.open(dev.name);
    const a = await fwctl.mlx5.queryAdapter(d);
    expect(a).toMatchObject({ ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, psid: 'MOCK0000000001' });
  });

  test('EBADMSG outside the scope table, EMSGSIZE below the header', async () => {
    await using d = await fwctl.open(dev.name);
    const { mlx5 } = fwctl;
    // NOP needs DebugReadOnly
    await rejectsCode(mlx5.exec(d, mlx5.Mlx5Opcode.NOP, { scope: Scope.Configuration }), 'EBADMSG');
    expect((await mlx5.exec(d, mlx5.Mlx5Opcode.NOP)).ok).toBe(true);
    await rejectsCode(mlx5.exec(d, 0x0fff, { scope: Scope.DebugReadOnly }), 'EBADMSG');
    // ACCESS_REG read (op_mod 1) needs DebugReadOnly; write (op_mod 0) Configuration
    await rejectsCode(mlx5.exec(d, mlx5.Mlx5Opcode.ACCESS_REG, { opMod: 1, scope: Scope.Configuration }), 'EBADMSG');
    await rejectsCode(d.rpc(Buffer.alloc(15), { scope: Scope.DebugReadOnly }), 'EMSGSIZE');
    await rejectsCode(d.rpc(mlx5.encodeIn(mlx5.Mlx5Opcode.NOP), { scope: Scope.DebugReadOnly, responseLength: 15 }), 'EMSGSIZE');
    expect(mlx5.validate(Buffer.alloc(15), Scope.DebugReadOnly, 16)).toBe('EMSGSIZE');
  });

  test('a firmware status: ioctl success, Mlx5FirmwareError or the result', async () => {
    await using d = await fwctl.open(dev.name);
    const { mlx5 } = fwctl;
    const req = mlx5.encodeIn(mlx5.Mlx5Opcode.QUERY_ADAPTER);
    req[4] = mlx5.Mlx5Status.BAD_PARAM_ERR; // the mock's failure hook
    const raw = await d.rpc(req, { scope: Scope.Configuration, responseLength: 64 });
    expect(mlx5.decodeOutHeader(raw.response)).toEqual({ status: 3, syndrome: 0x4d4f0101 });
    // too small an output mailbox for the canned answer: BAD_OUTP_LEN from the "firmware"
    const err = await mlx5.exec(d, mlx5.Mlx5Opcode.QUERY_HCA_CAP, { responseLength: 64 }).catch((e) => e);
    expect(err).toBeInstanceOf(mlx5.Mlx5FirmwareError);
    expect(err).toMatchObject({ status: 0x51, opcode: 0x100 });
    const r = await mlx5.exec(d, mlx5.Mlx5Opcode.QUERY_HCA_CAP, { responseLength: 64, allowStatus: true });
    expect(r).toMatchObject({ ok: false, status: 0x51, length: 64 });
  });
});

describe('pds mode', () => {
  let dev: mock.MockDevice;
  beforeAll(() => { dev = mock.add({ mode: 'pds' }); });
  afterAll(() => mock.del(dev.name));

  test('info: type 4 and zero-length device_data (the driver never sets it)', async () => {
    await using d = await fwctl.open(dev.name);
    const info = await d.info();
    expect(info).toMatchObject({ type: 'pds', typeId: 4 });
    expect(info.data.length).toBe(0);
    expect(info.decoded).toBeUndefined();
  });

  test('endpoint and operation lists', async () => {
    await using d = await fwctl.open(dev.name);
    const { pds } = fwctl;
    expect((await pds.endpoints(d)).entries).toEqual([{ id: 0 }, { id: 1 }]);
    const ops = pds.operationsSync(d, 1).entries;
    expect(ops.map((o) => [o.command, o.version, o.scope])).toEqual([
      [1, 1, Scope.Configuration], [2, 0, Scope.DebugReadOnly], [3, 0, Scope.DebugWrite],
      [4, 0, Scope.DebugWriteFull], [5, 0, Scope.Configuration],
    ]);
    await expect(pds.operations(d, 9)).rejects.toMatchObject({ retval: 7 }); // PDS_RC_ENOENT
  });

  test('nested buffers: payload in, payload out (async copies, sync direct)', async () => {
    await using d = await fwctl.open(dev.name);
    const { pds } = fwctl;
    const payload = Buffer.from('hello pds firmware');
    const r = await pds.call(d, { ep: 1, op: pds.opcode(1, 1), payload, responseLength: 32, scope: Scope.Configuration });
    expect(r.retval).toBe(0);
    expect(r.payload.subarray(0, payload.length).equals(payload)).toBe(true);
    expect(r.payload.subarray(payload.length).every((b) => b === 0)).toBe(true);
    const s = pds.callSync(d, { ep: 1, op: 2, responseLength: 300, scope: Scope.DebugReadOnly });
    expect(s.payload.equals(mock.fillPattern(300))).toBe(true);
    // a lower opcode version than the firmware's matches (PDS_FWCTL_RPC_OPCODE_CMP), a higher one does not
    expect((await pds.call(d, { ep: 1, op: pds.opcode(1, 0), scope: Scope.Configuration })).retval).toBe(0);
    await rejectsCode(pds.call(d, { ep: 1, op: pds.opcode(1, 2), scope: Scope.Configuration }), 'EINVAL');
    // the operation's own failure is retval, with ioctl success
    const fail = Buffer.alloc(4);
    fail.writeUInt32LE(14);
    expect((await pds.call(d, { ep: 1, op: 5, payload: fail, scope: Scope.Configuration })).retval).toBe(14);
  });

  test('driver checks: EPERM below the operation scope, EINVAL for ep/op/lengths/short struct', async () => {
    await using d = await fwctl.open(dev.name);
    const { pds } = fwctl;
    await rejectsCode(pds.call(d, { ep: 1, op: 2, scope: Scope.Configuration }), 'EPERM');
    await rejectsCode(pds.call(d, { ep: 7, op: 1, scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(pds.call(d, { ep: 1, op: 9, scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(pds.call(d, { ep: 1, op: 0x10001, responseLength: 4097, scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(d.rpc(Buffer.alloc(47), { scope: Scope.Configuration }), 'EINVAL');
    // a request whose payload pointer is not patched (address 0 with in.len 4): EFAULT from copy_from_user
    const bad = fwctl.uapi.pack(fwctl.uapi.fwctlRpcPds, { 'in.op': 0x10001, 'in.ep': 1, 'in.len': 4 });
    await rejectsCode(d.rpc(bad, { scope: Scope.Configuration, responseLength: 48 }), 'EFAULT');
  });
});

describe('bnxt mode', () => {
  let dev: mock.MockDevice;
  beforeAll(() => { dev = mock.add({ mode: 'bnxt' }); });
  afterAll(() => mock.del(dev.name));

  test('info: type 3 and uctx_caps 0xf; type= overrides the mode default', async () => {
    await using d = await fwctl.open(dev.name);
    expect(await d.info()).toMatchObject({ type: 'bnxt', typeId: 3, decoded: { uctxCaps: 0xf } });
    const odd = mock.add({ mode: 'bnxt', type: 0xfff1 });
    try {
      expect(odd.type).toBe(0xfff1);
    } finally {
      mock.del(odd.name);
    }
  });

  test('HWRM_VER_GET decodes', async () => {
    await using d = await fwctl.open(dev.name);
    const v = await fwctl.bnxt.verGet(d, { seqId: 42 });
    expect(v).toMatchObject({ ok: true, seqId: 42, respLen: 176, chipNum: 0x1750, firmwareName: 'mock-hwrm', valid: true });
    expect(v.firmwareVersion).toEqual([230, 0, 150, 0]);
    expect(fwctl.bnxt.verGetSync(d).interfaceVersion).toEqual([1, 10, 3, 0]);
  });

  test('driver checks: EINVAL for sizes, EPERM outside the scope table', async () => {
    await using d = await fwctl.open(dev.name);
    const { bnxt } = fwctl;
    const s = { scope: Scope.DebugReadOnly };
    await rejectsCode(d.rpc(Buffer.alloc(15), s), 'EINVAL');
    await rejectsCode(d.rpc(Buffer.alloc(129), s), 'EINVAL');
    await rejectsCode(d.rpc(bnxt.encodeRequest(0), { ...s, responseLength: 7 }), 'EINVAL');
    // a DMA command must be exactly its hwrm_*_input size (NVM_READ: 40)
    await rejectsCode(d.rpc(bnxt.encodeRequest(bnxt.HwrmReqType.NVM_READ), s), 'EINVAL');
    await rejectsCode(bnxt.exec(d, bnxt.HwrmReqType.VER_GET, { scope: Scope.Configuration }), 'EPERM');
    await rejectsCode(bnxt.exec(d, 0x1234, { scope: Scope.DebugReadOnly }), 'EPERM');
  });

  test('failed send and firmware errors live in error_code with ioctl success', async () => {
    await using d = await fwctl.open(dev.name);
    const { bnxt } = fwctl;
    const send = await bnxt.exec(d, bnxt.HwrmReqType.VER_GET, { targetId: 0xfffe, allowError: true });
    expect(send.errorCode).toBe(0x10000 - 5); // -EIO
    expect(bnxt.describeErrorCode(send.errorCode)).toMatchObject({ kind: 'send', name: 'EIO' });
    const err = await bnxt.exec(d, bnxt.HwrmReqType.FUNC_QCAPS).catch((e) => e);
    expect(err).toBeInstanceOf(bnxt.BnxtFirmwareError);
    expect(err).toMatchObject({ kind: 'firmware', errorCode: 0xffff });
  });
});

describe('CLI (in-process): fwctl info and the per-type commands', () => {
  const run = async (...argv: string[]) => {
    const io = { out: '', err: '', stdout(t: string) { this.out += t; }, stderr(t: string) { this.err += t; },
      stdoutBytes() {}, readStdin: async () => Buffer.alloc(0) };
    const code = await main(argv, io);
    return { code, out: io.out, err: io.err };
  };
  const devs: mock.MockDevice[] = [];
  afterAll(() => devs.forEach((d) => mock.del(d.name)));

  test('mlx5: info, query-hca-cap --json, query-adapter', async () => {
    const d = mock.add({ mode: 'mlx5' });
    devs.push(d);
    expect((await run('info', d.name)).out).toMatch(/^uctxCaps +0x4 \(TOOLS_RESOURCES\)$/m);
    const cap = await run('mlx5', 'query-hca-cap', d.name, '--json');
    expect(cap.code).toBe(0);
    expect(JSON.parse(cap.out)).toMatchObject({ status: 0, ok: true });
    expect((await run('mlx5', 'query-adapter', d.name)).out).toMatch(/^psid +MOCK0000000001$/m);
  });

  test('bnxt ver-get, pds endpoints/operations, and a type mismatch is a usage error', async () => {
    const b = mock.add({ mode: 'bnxt' });
    const p = mock.add({ mode: 'pds' });
    devs.push(b, p);
    expect((await run('info', b.name)).out).toMatch(/^uctxCaps +0xf \(INLINE, QUERY, SEND, DMA\)$/m);
    expect(JSON.parse((await run('bnxt', 'ver-get', b.name, '--json')).out)).toMatchObject({ firmwareName: 'mock-hwrm', chipNum: 0x1750 });
    expect((await run('info', p.name)).out).toMatch(/^uctxCaps +not reported/m);
    expect(JSON.parse((await run('pds', 'endpoints', p.name, '--json')).out).entries).toEqual([{ id: 0 }, { id: 1 }]);
    expect((await run('pds', 'operations', p.name, '1')).out).toMatch(/^0x00010001 +0x0001 +1 +0x00 +Configuration$/m);
    const wrong = await run('bnxt', 'ver-get', p.name);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/is a pds device/);
  });
});
