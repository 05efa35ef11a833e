// The typed mlx5, pds and bnxt layers against the kernel's own fwctl drivers
// (drivers/fwctl/{mlx5,bnxt,pds}/main.c, built unmodified) over the project's
// emulated firmware (test/kernel/emu): user -> fwctl core -> real driver ->
// emulated core driver and firmware -> user. Every refusal asserted here
// (EBADMSG, EMSGSIZE, EPERM, EINVAL, EFAULT) is the real driver's.
import * as fwctl from '../../../lib';
import { cli } from '../../unit/helpers/cli';
import * as emu from '../emu/emu';

const { Scope } = fwctl;

async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

describe('the devices: real drivers bound to the emulators, PCI parents', () => {
  test.each(emu.KINDS)('%s: a fwctl device under its PCI function, of its type', async (kind) => {
    const e = emu.device(kind);
    expect(e.parent).toMatchObject({ name: emu.pciOf(kind), subsystem: 'pci', pciAddress: emu.pciOf(kind), driver: `fwctl_emu_${kind}` });
    expect((await fwctl.find({ pci: emu.pciOf(kind) }))?.name).toBe(e.name);
    await using d = await fwctl.open(e.name);
    expect((await d.info()).typeId).toBe(emu.TYPE_ID[kind]);
  });

  test('mlx5: the second function is a device of its own, under its own PCI function', async () => {
    const [a, b] = [emu.mlx5Device(0), emu.mlx5Device(1)];
    expect(b.name).not.toBe(a.name);
    expect(b.parent).toMatchObject({ name: emu.mlx5Pci(1), subsystem: 'pci', pciAddress: emu.mlx5Pci(1), driver: 'fwctl_emu_mlx5' });
    const mlx5s = fwctl.listSync().filter((e) => e.parent?.driver === 'fwctl_emu_mlx5');
    expect(mlx5s.map((e) => e.parent!.pciAddress).sort()).toEqual(emu.pcisOf('mlx5'));
    await using d = await fwctl.open(b.name);
    const info = await d.info();
    expect(info.typeId).toBe(emu.TYPE_ID.mlx5);
    expect((await fwctl.mlx5.queryAdapter(d)).psid).toBe(emu.MLX5.PSID);
  });
});

describe('mlx5 (mlx5_fwctl over fwctl_emu_mlx5)', () => {
  let name: string;
  beforeAll(() => { name = emu.device('mlx5').name; });

  test('open/close run CREATE_UCTX/DESTROY_UCTX; info is { uid, uctx_caps } per open', async () => {
    const before = emu.commands('mlx5');
    let uids: number[];
    {
      await using a = await fwctl.open(name);
      await using b = await fwctl.open(name);
      const ia = await a.info();
      const ib = b.infoSync();
      if (ia.type !== 'mlx5' || ib.type !== 'mlx5') throw new Error('not mlx5');
      expect(ia.decoded!.uctxCaps).toBe(fwctl.MLX5_UCTX_CAP_TOOLS_RESOURCES);
      uids = [ia.decoded!.uid, ib.decoded!.uid];
      expect(uids[0]).toBeGreaterThan(0);
      expect(uids[1]).not.toBe(uids[0]);
      expect(emu.commands('mlx5') - before).toBe(2); // two CREATE_UCTX
    }
    expect(emu.commands('mlx5') - before).toBe(4); // and two DESTROY_UCTX at close
    // The firmware freed them: the next open gets the lowest uid again.
    await using c = await fwctl.open(name);
    const ic = await c.info();
    if (ic.type !== 'mlx5') throw new Error('not mlx5');
    expect(ic.decoded!.uid).toBe(Math.min(...uids));
  });

  test('firmware without the tools uid (uctx_cap lacks TOOLS_RESOURCES): the driver asks for none, info says 0', async () => {
    emu.setParam('mlx5', 'uctx_cap', 0x3);
    try {
      await using d = await fwctl.open(name);
      const info = await d.info();
      if (info.type !== 'mlx5') throw new Error('not mlx5');
      expect(info.decoded!.uctxCaps).toBe(0);
      expect(info.decoded!.uid).toBeGreaterThan(0);
      expect((await fwctl.mlx5.exec(d, fwctl.mlx5.Mlx5Opcode.NOP)).ok).toBe(true);
    } finally {
      emu.setParam('mlx5', 'uctx_cap', emu.MLX5.UCTX_CAP);
    }
    await using e = await fwctl.open(name);
    const again = await e.info();
    if (again.type !== 'mlx5') throw new Error('not mlx5');
    expect(again.decoded!.uctxCaps).toBe(fwctl.MLX5_UCTX_CAP_TOOLS_RESOURCES);
  });

  test('the driver injects the fd\'s uid: a forged uid in the mailbox still runs under the real one', async () => {
    await using d = await fwctl.open(name);
    const req = fwctl.mlx5.encodeIn(fwctl.mlx5.Mlx5Opcode.NOP);
    req.writeUInt16BE(0x7777, 2); // a uid the firmware never handed out: BAD_PARAM if it arrived
    const r = await d.rpc(req, { scope: Scope.DebugReadOnly, responseLength: 16 });
    expect(fwctl.mlx5.decodeOutHeader(r.response)).toEqual({ status: 0, syndrome: 0 });
  });

  test('QUERY_HCA_CAP: the general capability page, current and max', async () => {
    await using d = await fwctl.open(name);
    const cur = await fwctl.mlx5.queryHcaCap(d, { capType: 0, current: true });
    expect(cur.ok).toBe(true);
    expect(cur.capability.length).toBe(4096);
    // cmd_hca_cap (mlx5_ifc.h): uctx_cap at bit 0x6a0, log_max_qp bits 155..159, num_ports at bit 440
    expect(cur.capability.readUInt32BE(0x6a0 / 8)).toBe(emu.MLX5.UCTX_CAP);
    expect(cur.capability[19] & 0x1f).toBe(18);
    expect(cur.capability[55]).toBe(1);
    const max = fwctl.mlx5.queryHcaCapSync(d, { current: false });
    expect(max.capability[19] & 0x1f).toBe(24);
    // another capability type: the firmware's BAD_PARAM
    const err = await fwctl.mlx5.queryHcaCap(d, { capType: fwctl.mlx5.HcaCapType.Roce }).catch((e) => e);
    expect(err).toBeInstanceOf(fwctl.mlx5.Mlx5FirmwareError);
    expect(err).toMatchObject({ status: 3, syndrome: emu.MLX5.syndrome(0x100, 3) });
  });

  test('QUERY_ADAPTER decodes', async () => {
    await using d = await fwctl.open(name);
    expect(await fwctl.mlx5.queryAdapter(d)).toMatchObject({
      ok: true, ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3, psid: emu.MLX5.PSID, vsd: emu.MLX5.VSD,
    });
  });

  test('ACCESS_REG: reads of MTMP and PMTU at DebugReadOnly; a write is refused by the firmware', async () => {
    await using d = await fwctl.open(name);
    const { mlx5 } = fwctl;
    const reg = (id: number, opMod: number, size: number) => {
      const b = mlx5.encodeIn(mlx5.Mlx5Opcode.ACCESS_REG, { opMod, length: 16 + size });
      b.writeUInt16BE(id, 10); // access_register_in.register_id
      return b;
    };
    const t = await d.rpc(reg(emu.MLX5.REG_MTMP, 1, 32), { scope: Scope.DebugReadOnly, responseLength: 16 + 32 });
    const out = Buffer.from(t.response);
    expect(out[0]).toBe(0);
    expect(out.readUInt16BE(16 + 6) / 8).toBe(45); // mtmp_reg.temperature, 0.125 degC
    expect(out.readUInt32BE(16 + 24)).toBe(0x41534943); // sensor_name_hi "ASIC"
    const p = await mlx5.exec(d, mlx5.Mlx5Opcode.ACCESS_REG, { opMod: 1, body: Buffer.from([0, 0, 0, 0]), responseLength: 32, scope: Scope.DebugReadOnly }).catch((e) => e);
    expect(p).toBeInstanceOf(mlx5.Mlx5FirmwareError); // register_id 0 is no register
    const mtu = await d.rpc(reg(emu.MLX5.REG_PMTU, 1, 16), { scope: Scope.DebugReadOnly, responseLength: 32 });
    expect(Buffer.from(mtu.response).readUInt16BE(16 + 4)).toBe(9978);
    // op_mod 0 (write) is allowed at Configuration by the driver; this firmware's registers are read-only
    const w = await d.rpc(reg(emu.MLX5.REG_PMTU, 0, 16), { scope: Scope.Configuration, responseLength: 32 });
    expect(mlx5.decodeOutHeader(w.response)).toEqual({ status: 3, syndrome: emu.MLX5.syndrome(0x805, 3) });
  });

  test('the driver\'s refusals: EBADMSG outside its table or scope, EMSGSIZE below the header', async () => {
    await using d = await fwctl.open(name);
    const { mlx5 } = fwctl;
    await rejectsCode(mlx5.exec(d, mlx5.Mlx5Opcode.NOP, { scope: Scope.Configuration }), 'EBADMSG');
    expect((await mlx5.exec(d, mlx5.Mlx5Opcode.NOP)).ok).toBe(true);
    await rejectsCode(mlx5.exec(d, 0x0fff, { scope: Scope.DebugReadOnly }), 'EBADMSG');
    await rejectsCode(mlx5.exec(d, mlx5.Mlx5Opcode.ACCESS_REG, { opMod: 1, scope: Scope.Configuration }), 'EBADMSG');
    await rejectsCode(d.rpc(Buffer.alloc(15), { scope: Scope.DebugReadOnly }), 'EMSGSIZE');
    await rejectsCode(d.rpc(mlx5.encodeIn(mlx5.Mlx5Opcode.NOP), { scope: Scope.DebugReadOnly, responseLength: 15 }), 'EMSGSIZE');
  });

  test('firmware statuses: ioctl success, Mlx5FirmwareError or the result', async () => {
    await using d = await fwctl.open(name);
    const { mlx5 } = fwctl;
    // allowed by the driver, not implemented by this firmware: BAD_OP
    const raw = await d.rpc(mlx5.encodeIn(mlx5.Mlx5Opcode.QUERY_ISSI), { scope: Scope.DebugReadOnly, responseLength: 64 });
    expect(mlx5.decodeOutHeader(raw.response)).toEqual({ status: 2, syndrome: emu.MLX5.syndrome(mlx5.Mlx5Opcode.QUERY_ISSI, 2) });
    const err = await mlx5.exec(d, mlx5.Mlx5Opcode.QUERY_HCA_CAP, { responseLength: 64 }).catch((e) => e);
    expect(err).toBeInstanceOf(mlx5.Mlx5FirmwareError);
    expect(err).toMatchObject({ status: 0x51, opcode: 0x100 });
    const r = await mlx5.exec(d, mlx5.Mlx5Opcode.QUERY_HCA_CAP, { responseLength: 64, allowStatus: true });
    expect(r).toMatchObject({ ok: false, status: 0x51, length: 64 });
  });

  test('knobs: a dead command channel is the call\'s errno; latency is felt', async () => {
    await using d = await fwctl.open(name);
    const { mlx5 } = fwctl;
    await emu.withKnobs('mlx5', { fault_errno: 5, fault_count: 1 }, async () => {
      await rejectsCode(mlx5.exec(d, mlx5.Mlx5Opcode.NOP), 'EIO');
      expect((await mlx5.exec(d, mlx5.Mlx5Opcode.NOP)).ok).toBe(true);
    });
    await emu.withKnobs('mlx5', { latency_ms: 300 }, async () => {
      const t0 = process.hrtime.bigint();
      await mlx5.exec(d, mlx5.Mlx5Opcode.NOP);
      expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeGreaterThanOrEqual(290);
    });
    // open() itself fails when CREATE_UCTX cannot reach the firmware
    await emu.withKnobs('mlx5', { fault_errno: 5, fault_count: 1 }, async () => {
      await rejectsCode(fwctl.open(name), 'EIO');
    });
  });
});

describe('pds (pds_fwctl over fwctl_emu_pds)', () => {
  let name: string;
  beforeAll(() => { name = emu.device('pds').name; });

  test('info: type 4 and zero-length device_data (the driver never sets it)', async () => {
    await using d = await fwctl.open(name);
    const info = await d.info();
    expect(info).toMatchObject({ type: 'pds', typeId: 4 });
    expect(info.data.length).toBe(0);
    expect(info.decoded).toBeUndefined();
  });

  test('endpoint and operation lists (the firmware\'s query operation)', async () => {
    await using d = await fwctl.open(name);
    const { pds } = fwctl;
    expect((await pds.endpoints(d, pds.MOCK_QUERY_ROUTE)).entries).toEqual([{ id: 0 }, { id: 1 }]);
    const ops = pds.operationsSync(d, 1, pds.MOCK_QUERY_ROUTE).entries;
    expect(ops.map((o) => [o.command, o.version, o.attr, o.scope])).toEqual([
      [1, 1, pds.PdsAttr.Read, Scope.Configuration], [2, 0, pds.PdsAttr.DebugRead, Scope.DebugReadOnly],
      [3, 0, pds.PdsAttr.DebugWrite, Scope.DebugWrite], [4, 0, 0x20, Scope.DebugWriteFull],
      [5, 0, pds.PdsAttr.Write, Scope.Configuration], [6, 0, pds.PdsAttr.Sync, Scope.Configuration],
    ]);
    await expect(pds.operations(d, 9, pds.MOCK_QUERY_ROUTE)).rejects.toMatchObject({ retval: 7 }); // PDS_RC_ENOENT
  });

  test('nested buffers through the driver\'s dma_map_single: payload in, payload out', async () => {
    await using d = await fwctl.open(name);
    const { pds } = fwctl;
    const payload = Buffer.from('hello pds firmware');
    const r = await pds.call(d, { ep: 1, op: pds.opcode(1, 1), payload, responseLength: 32, scope: Scope.Configuration });
    expect(r.retval).toBe(0);
    expect(r.payload.subarray(0, payload.length).equals(payload)).toBe(true);
    expect(r.payload.subarray(payload.length).every((b) => b === 0)).toBe(true);
    const s = pds.callSync(d, { ep: 1, op: 2, responseLength: 3000, scope: Scope.DebugReadOnly });
    expect(s.payload.equals(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 13 + 1) & 0xff)))).toBe(true);
    // a lower opcode version than the firmware's matches (PDS_FWCTL_RPC_OPCODE_CMP), a higher one does not
    expect((await pds.call(d, { ep: 1, op: pds.opcode(1, 0), scope: Scope.Configuration })).retval).toBe(0);
    await rejectsCode(pds.call(d, { ep: 1, op: pds.opcode(1, 2), scope: Scope.Configuration }), 'EINVAL');
    // the operation's own failure is retval, with ioctl success
    const fail = Buffer.alloc(4);
    fail.writeUInt32LE(14);
    expect((await pds.call(d, { ep: 1, op: 5, payload: fail, scope: Scope.Configuration })).retval).toBe(14);
  });

  test('the driver\'s refusals: EPERM below the operation scope, EINVAL for ep/op/lengths/short struct, EFAULT', async () => {
    await using d = await fwctl.open(name);
    const { pds } = fwctl;
    await rejectsCode(pds.call(d, { ep: 1, op: 2, scope: Scope.Configuration }), 'EPERM');
    await rejectsCode(pds.call(d, { ep: 7, op: 1, scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(pds.call(d, { ep: 1, op: 9, scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(pds.call(d, { ep: 1, op: 0x10001, responseLength: 4097, scope: Scope.Configuration }), 'EINVAL');
    // A struct that ends before in.payload reaches the driver (EINVAL); one
    // that ends inside out.payload (bytes 40..47) is refused by the addon first.
    await rejectsCode(d.rpc(Buffer.alloc(16), { scope: Scope.Configuration }), 'EINVAL');
    await rejectsCode(d.rpc(Buffer.alloc(47), { scope: Scope.Configuration }), 'ERR_FWCTL_OUT_OF_RANGE');
    const bad = fwctl.uapi.pack(fwctl.uapi.fwctlRpcPds, { 'in.op': 0x10001, 'in.ep': 1, 'in.len': 4 });
    await rejectsCode(d.rpc(bad, { scope: Scope.Configuration, responseLength: 48 }), 'EFAULT');
  });

  test('knobs: an adminq failure is the call\'s errno', async () => {
    await using d = await fwctl.open(name);
    const { pds } = fwctl;
    await pds.call(d, { ep: 1, op: 0x10001, scope: Scope.Configuration }); // the driver caches ep 1's operations first
    await emu.withKnobs('pds', { fault_errno: 5, fault_count: 1 }, async () => {
      await rejectsCode(pds.call(d, { ep: 1, op: 0x10001, scope: Scope.Configuration }), 'EIO');
      expect((await pds.call(d, { ep: 1, op: 0x10001, scope: Scope.Configuration })).retval).toBe(0);
    });
  });
});

describe('bnxt (bnxt_fwctl over fwctl_emu_bnxt)', () => {
  let name: string;
  beforeAll(() => { name = emu.device('bnxt').name; });
  const { bnxt } = fwctl;
  const entry = (n: string) => bnxt.BNXT_COMMAND_TABLE.find((e) => e.name === n)!;

  /** A DMA command at its exact size, the driver's DMA fields attached, the rest set by `set`. */
  const dmaCall = async (d: fwctl.Device, n: string, bufs: Buffer[], set: (req: Buffer) => void, scope = Scope.DebugReadOnly) => {
    const e = entry(n);
    const req = bnxt.encodeRequest(e.reqType, { length: e.dmaRequestSize, seqId: 7 });
    set(req);
    const r = await d.rpc(req, {
      scope, responseLength: 64,
      attach: e.dma!.map((f, i) => ({ at: f.addrOffset, buffer: bufs[i], direction: f.direction })),
    });
    return { ...bnxt.decodeOutput(r.response), response: Buffer.from(r.response) };
  };

  test('info: type 3 and uctx_caps 0xf', async () => {
    await using d = await fwctl.open(name);
    expect(await d.info()).toMatchObject({ type: 'bnxt', typeId: 3, decoded: { uctxCaps: 0xf } });
  });

  test('HWRM_VER_GET decodes', async () => {
    await using d = await fwctl.open(name);
    const v = await bnxt.verGet(d, { seqId: 42 });
    expect(v).toMatchObject({ ok: true, seqId: 42, respLen: 176, chipNum: 0x1750, firmwareName: 'emu-hwrm', activePackage: '230.0.150.0', valid: true });
    expect(v.firmwareVersion).toEqual([230, 0, 150, 0]);
    expect(bnxt.verGetSync(d).interfaceVersion).toEqual([1, 10, 3, 0]);
  });

  test('DMA through the driver\'s bounce buffers: NVM directory and read', async () => {
    await using d = await fwctl.open(name);
    const info = await bnxt.exec(d, bnxt.HwrmReqType.NVM_GET_DIR_INFO, { responseLength: 32 });
    const dv = new DataView(info.response.buffer, info.response.byteOffset);
    expect([dv.getUint32(8, true), dv.getUint32(12, true)]).toEqual([emu.BNXT.NVM_ITEMS, emu.BNXT.NVM_ENTRY_LEN]);
    // NVM_GET_DIR_ENTRIES: the driver always bounces a fixed 64 KiB
    const dir = Buffer.alloc(entry('NVM_GET_DIR_ENTRIES').dma![0].fixedLength!);
    expect((await dmaCall(d, 'NVM_GET_DIR_ENTRIES', [dir], () => undefined)).errorCode).toBe(0);
    expect([0, 1, 2, 3].map((k) => [dir.readUInt16LE(k * 24), dir.readUInt32LE(k * 24 + 8), dir.readUInt16LE(k * 24 + 20)]))
      .toEqual([[1, 4096, 0], [3, 4096, 1], [4, 4096, 2], [14, 4096, 3]]);
    // NVM_READ: dir_idx 2, offset 10, len 100 bytes
    const buf = Buffer.alloc(100);
    const r = await dmaCall(d, 'NVM_READ', [buf], (req) => { req.writeUInt16LE(2, 24); req.writeUInt32LE(10, 28); req.writeUInt32LE(100, 32); });
    expect(r).toMatchObject({ errorCode: 0, seqId: 7 });
    expect([...buf]).toEqual(Array.from({ length: 100 }, (_, i) => emu.BNXT.nvmByte(2, 10 + i)));
    // past the item's end: the firmware's INVALID_PARAMS, ioctl success
    const bad = await dmaCall(d, 'NVM_READ', [Buffer.alloc(100)], (req) => { req.writeUInt16LE(2, 24); req.writeUInt32LE(4090, 28); req.writeUInt32LE(100, 32); });
    expect(bad.errorCode).toBe(2);
  });

  test('DMA: coredump list and retrieve (paged by seq_no)', async () => {
    await using d = await fwctl.open(name);
    const list = Buffer.alloc(256);
    const l = await dmaCall(d, 'DBG_COREDUMP_LIST', [list], (req) => req.writeUInt32LE(list.length, 24));
    expect(l.errorCode).toBe(0);
    const lv = new DataView(l.response.buffer, l.response.byteOffset);
    expect([lv.getUint16(10, true), lv.getUint16(12, true)]).toEqual([emu.BNXT.SEGMENTS, emu.BNXT.SEGMENTS * 16]);
    expect([0, 1, 2].map((k) => [list.readUInt16LE(k * 16), list.readUInt16LE(k * 16 + 2), list.readUInt32LE(k * 16 + 12)]))
      .toEqual([[1, 1, 10000], [1, 2, 10000], [1, 3, 10000]]);
    // segment 2 in 4096-byte pages: flags MORE until the last
    const chunks: Buffer[] = [];
    for (let seq = 0; ; seq++) {
      const page = Buffer.alloc(4096);
      const r = await dmaCall(d, 'DBG_COREDUMP_RETRIEVE', [page], (req) => {
        req.writeUInt32LE(page.length, 24); req.writeUInt16LE(1, 32); req.writeUInt16LE(2, 34); req.writeUInt32LE(seq, 48);
      });
      expect(r.errorCode).toBe(0);
      const rv = new DataView(r.response.buffer, r.response.byteOffset);
      chunks.push(page.subarray(0, rv.getUint16(10, true)));
      if (!(rv.getUint8(8) & 1)) break;
    }
    expect(chunks.length).toBe(3);
    const seg = Buffer.concat(chunks);
    expect(seg.length).toBe(emu.BNXT.SEG_LEN);
    expect(seg.every((b, i) => b === emu.BNXT.segByte(2, i))).toBe(true);
  });

  test('the driver\'s refusals: EINVAL for sizes and DMA lengths, EPERM outside its table', async () => {
    await using d = await fwctl.open(name);
    const s = { scope: Scope.DebugReadOnly };
    await rejectsCode(d.rpc(Buffer.alloc(15), s), 'EINVAL');
    await rejectsCode(d.rpc(Buffer.alloc(129), s), 'EINVAL');
    await rejectsCode(d.rpc(bnxt.encodeRequest(0), { ...s, responseLength: 7 }), 'EINVAL');
    await rejectsCode(d.rpc(bnxt.encodeRequest(bnxt.HwrmReqType.NVM_READ), s), 'EINVAL'); // not its 40 bytes
    await rejectsCode(dmaCall(d, 'NVM_READ', [Buffer.alloc(0)], () => undefined), 'EINVAL'); // a 0-byte bounce
    // more than FWCTL_BNXT_MAX_DMABUF: the driver refuses before it maps anything (no pointer needed)
    const big = bnxt.encodeRequest(bnxt.HwrmReqType.NVM_READ, { length: 40 });
    big.writeUInt32LE(bnxt.BNXT_MAX_DMABUF + 1, 32);
    await rejectsCode(d.rpc(big, s), 'EINVAL');
    await rejectsCode(bnxt.exec(d, bnxt.HwrmReqType.VER_GET, { scope: Scope.Configuration }), 'EPERM');
    await rejectsCode(bnxt.exec(d, 0x1234, { scope: Scope.DebugReadOnly }), 'EPERM');
  });

  test('while bnxt_en has its ULPs stopped, the driver refuses every command (EPERM)', async () => {
    await using d = await fwctl.open(name);
    emu.setParam('bnxt', 'ulp_stopped', 1);
    try {
      await rejectsCode(bnxt.verGet(d), 'EPERM');
      await rejectsCode(bnxt.exec(d, bnxt.HwrmReqType.FUNC_RESET, { scope: Scope.Configuration }), 'EPERM');
    } finally {
      emu.setParam('bnxt', 'ulp_stopped', 0);
    }
    expect((await bnxt.verGet(d)).ok).toBe(true);
  });

  test('HWRM errors and failed sends live in error_code, with ioctl success', async () => {
    await using d = await fwctl.open(name);
    const err = await bnxt.exec(d, bnxt.HwrmReqType.FUNC_QCFG).catch((e) => e); // not emulated
    expect(err).toBeInstanceOf(bnxt.BnxtFirmwareError);
    expect(err).toMatchObject({ kind: 'firmware', errorCode: 0xffff });
    await emu.withKnobs('bnxt', { fault_errno: 5, fault_count: 1 }, async () => {
      const send = await bnxt.exec(d, bnxt.HwrmReqType.VER_GET, { allowError: true });
      expect(send.errorCode).toBe(0x10000 - 5); // the driver's cpu_to_le16(-EIO)
      expect(bnxt.describeErrorCode(send.errorCode)).toMatchObject({ kind: 'send', name: 'EIO' });
      expect((await bnxt.verGet(d)).ok).toBe(true);
    });
  });
});

describe('CLI (in-process): fwctl info and the per-type commands on the real drivers', () => {
  const run = cli;

  test('mlx5: info, query-hca-cap --json, query-adapter (device given by PCI address)', async () => {
    const pci = emu.pciOf('mlx5');
    expect((await run('info', pci)).out).toMatch(/^uctxCaps +0x4 \(TOOLS_RESOURCES\)$/m);
    const cap = await run('mlx5', 'query-hca-cap', pci, '--json');
    expect(cap.code).toBe(0);
    expect(JSON.parse(cap.out)).toMatchObject({ status: 0, ok: true });
    expect((await run('mlx5', 'query-adapter', emu.device('mlx5').name)).out).toMatch(new RegExp(`^psid +${emu.MLX5.PSID}$`, 'm'));
  });

  test('bnxt ver-get, pds endpoints/operations, and a type mismatch is an error (exit 1)', async () => {
    const b = emu.device('bnxt').name;
    const p = emu.device('pds').name;
    expect((await run('info', b)).out).toMatch(/^uctxCaps +0xf \(INLINE, QUERY, SEND, DMA\)$/m);
    expect(JSON.parse((await run('bnxt', 'ver-get', b, '--json')).out)).toMatchObject({ firmwareName: 'emu-hwrm', chipNum: 0x1750 });
    expect((await run('info', p)).out).toMatch(/^uctxCaps +not reported/m);
    expect(JSON.parse((await run('pds', 'endpoints', p, '--json', '--query-ep', '0', '--query-op', '1')).out).entries).toEqual([{ id: 0 }, { id: 1 }]);
    expect((await run('pds', 'operations', emu.pciOf('pds'), '1', '--query-ep', '0', '--query-op', '1')).out).toMatch(/^0x00010001 +0x0001 +1 +0x00 +Configuration$/m);
    const wrong = await run('bnxt', 'ver-get', p);
    expect(wrong.code).toBe(1); // a failure, not a usage error: the command line was well formed (issue 15)
    expect(wrong.err).toMatch(/is a pds device/);
  });
});
