// mlx5 commands by name, capabilities and registers (lib/mlx5/typed.ts) over
// a fake device whose "firmware" reads the request with the same layout
// table and answers: the exact request bytes, the scope and response length
// chosen, the decoded answers, both twins (sync and async), and the errors.

import { fakeRpcDevice } from './helpers/fake-device';
import * as mlx5 from '../../lib/mlx5';
import { REGISTER_COUNTER_GROUPS } from '../../lib/mlx5/typed';
import { Scope } from '../../lib/uapi/constants';
import { FwctlTypeError, FwctlRangeError } from '../../lib/errors';

const { ifc } = mlx5;

/** An output mailbox: status/syndrome, then `body`. */
function outBox(body: Uint8Array = new Uint8Array(0), status = 0, syndrome = 0): Buffer {
  const b = Buffer.alloc(16 + body.length);
  b[0] = status;
  b.writeUInt32BE(syndrome, 4);
  b.set(body, 16);
  return b;
}

/** The fake firmware: QUERY_VNIC_ENV, QUERY_HCA_CAP, ACCESS_REG (MTMP, PPCNT), NOP, anything else status 2. */
function firmware(req: Buffer): Buffer {
  const opcode = req.readUInt16BE(0);
  const opMod = req.readUInt16BE(6);
  switch (opcode) {
    case mlx5.MLX5_CMD_OP.QUERY_VNIC_ENV: {
      const i = ifc.decode('query_vnic_env_in', req);
      return ifc.encode('query_vnic_env_out', { vport_env: { transmit_discard_vport_down: BigInt(0x100000000 + (i.vport_number as number)), cq_overrun: 9 } });
    }
    case mlx5.MLX5_CMD_OP.QUERY_HCA_CAP: {
      const type = opMod >> 1;
      const cur = opMod & 1;
      if (type === mlx5.MLX5_CAP.GENERAL) return ifc.encode('query_hca_cap_out', { capability: { cmd_hca_cap: { log_max_qp: cur ? 0x11 : 0x18, num_ports: 2 } } });
      if (type === mlx5.MLX5_CAP.ROCE) return ifc.encode('query_hca_cap_out', { capability: { roce_cap: { roce_apm: 1, l3_type: 3 } } });
      return ifc.encode('query_hca_cap_out', {});
    }
    case mlx5.MLX5_CMD_OP.ACCESS_REG: {
      const i = ifc.decode('access_register_in', req);
      const data = req.subarray(16);
      if (i.register_id === mlx5.MLX5_REG.MTMP) {
        const q = ifc.decode('mtmp_reg', data);
        return outBox(ifc.encode('mtmp_reg', { sensor_index: q.sensor_index as number, temperature: 300 + (q.sensor_index as number), sensor_name_hi: 0x41534943 }));
      }
      if (i.register_id === mlx5.MLX5_REG.PPCNT) {
        const q = ifc.decode('ppcnt_reg', data);
        return outBox(ifc.encode('ppcnt_reg', { local_port: q.local_port as number, grp: q.grp as number,
          counter_set: { phys_layer_cntrs: { time_since_last_clear_low: 77, symbol_errors_low: 5 } } }));
      }
      return outBox(new Uint8Array(0), 3, 0x1234);
    }
    case mlx5.MLX5_CMD_OP.NOP:
      return outBox();
    default:
      return outBox(new Uint8Array(0), 2, 0xbad);
  }
}

describe('exec by name', () => {
  test('builds the _in layout from fields, decodes the _out layout, at the least scope', async () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    const r = await mlx5.exec(dev, 'QUERY_VNIC_ENV', { other_vport: 1, vport_number: 7 });
    const req = calls[0].request;
    expect(req.length).toBe(ifc.sizeOf('query_vnic_env_in'));
    expect([req.readUInt16BE(0), req.readUInt16BE(2), req.readUInt16BE(6), req[8] >> 7, req.readUInt16BE(10)]).toEqual([0x76f, 0, 0, 1, 7]);
    expect(calls[0].options).toMatchObject({ scope: Scope.DebugReadOnly, responseLength: ifc.sizeOf('query_vnic_env_out') });
    expect(r).toMatchObject({ name: 'QUERY_VNIC_ENV', ok: true, inLayout: 'query_vnic_env_in', outLayout: 'query_vnic_env_out' });
    const env = r.data!.vport_env as Record<string, unknown>;
    expect(env.transmit_discard_vport_down).toBe(0x100000007n);
    expect(env.cq_overrun).toBe(9);
    expect(r.body.length).toBe(ifc.sizeOf('query_vnic_env_out') - 16);
  });

  test('the sync twin sends the same bytes and returns the same result', async () => {
    const a = fakeRpcDevice(firmware);
    const b = fakeRpcDevice(firmware);
    const x = await mlx5.exec(a.dev, 'query_vnic_env', { vport_number: 3 });
    const y = mlx5.execSync(b.dev, 'MLX5_CMD_OP_QUERY_VNIC_ENV', { vport_number: 3 });
    expect(b.calls[0].request).toEqual(a.calls[0].request);
    expect(y).toEqual(x);
  });

  test('by opcode number, as before: header + raw body', async () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    const r = await mlx5.exec(dev, mlx5.Mlx5Opcode.NOP);
    expect(r.ok).toBe(true);
    expect(calls[0].request.length).toBe(16);
    expect(mlx5.execSync(dev, 0x80d, { opMod: 2 }).status).toBe(0);
    expect(calls[1].request.readUInt16BE(6)).toBe(2);
  });

  test('op_mod from fields or options (not both, differing); opcode and uid are not inputs', () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    mlx5.execSync(dev, 'QUERY_HCA_CAP', { op_mod: 9 });
    mlx5.execSync(dev, 'QUERY_HCA_CAP', {}, { opMod: 3 });
    expect(calls.map((c) => c.request.readUInt16BE(6))).toEqual([9, 3]);
    expect(() => mlx5.execSync(dev, 'QUERY_HCA_CAP', { op_mod: 1 }, { opMod: 3 })).toThrow(/op_mod given twice/);
    expect(() => mlx5.execSync(dev, 'QUERY_HCA_CAP', { uid: 1 })).toThrow(/'uid' is not an input \(the kernel writes it\)/);
    expect(() => mlx5.execSync(dev, 'QUERY_HCA_CAP', { opcode: 1 })).toThrow(FwctlTypeError);
    expect(calls.length).toBe(2);
  });

  test('mistakes are refused before any call: unknown commands and fields, values that do not fit', () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    expect(() => mlx5.execSync(dev, 'QUERY_NOTHING')).toThrow(/unknown mlx5 command 'QUERY_NOTHING'/);
    expect(() => mlx5.execSync(dev, 'QUERY_VNIC_ENV', { vport: 1 })).toThrow(/unknown field 'vport' in query_vnic_env_in/);
    expect(() => mlx5.execSync(dev, 'QUERY_VNIC_ENV', { vport_number: 0x10000 })).toThrow(FwctlRangeError);
    // a command of mlx5_ifc.h the driver does not allow: only with an explicit scope
    expect(() => mlx5.execSync(dev, 'CREATE_QP')).toThrow(/not in the driver's table: give options.scope/);
    // no input layout in mlx5_ifc.h: raw body only
    expect(() => mlx5.execSync(dev, 'QUERY_DIAGNOSTIC_COUNTERS', { num_of_samples: 1 })).toThrow(/no input layout.*give options\.body/);
    expect(calls.length).toBe(0);
  });

  test('commands without layouts: body in, body out; the debug-write scope and the taint opt-in are passed on', () => {
    const { dev, calls } = fakeRpcDevice(() => outBox(Buffer.from('abc')));
    const r = mlx5.execSync(dev, 'SET_DIAGNOSTIC_PARAMS', {}, { body: Buffer.from([1, 2]), allowKernelTaint: true });
    expect(calls[0].options).toMatchObject({ scope: Scope.DebugWrite, allowKernelTaint: true, responseLength: 16 + 4096 });
    expect([...calls[0].request.subarray(16)]).toEqual([1, 2]);
    expect(r.data).toBeUndefined();
    expect(r.body.subarray(0, 3).toString()).toBe('abc');
  });

  test('a firmware status is Mlx5FirmwareError naming the command; allowStatus returns it undecoded', async () => {
    const { dev } = fakeRpcDevice(() => outBox(new Uint8Array(0), 3, 0xdead));
    await expect(mlx5.exec(dev, 'QUERY_VNIC_ENV')).rejects.toThrow(/mlx5 QUERY_VNIC_ENV: firmware status 0x3 \(bad parameter\), syndrome 0x0000dead/);
    const r = await mlx5.exec(dev, 'QUERY_VNIC_ENV', {}, { allowStatus: true });
    expect([r.ok, r.status, r.data]).toEqual([false, 3, undefined]);
  });

  test('every command of the driver\'s table plans without a device (layouts and scopes consistent)', () => {
    for (const c of mlx5.MLX5_COMMANDS) {
      const p = mlx5.commandPlan(c.name, {}, c.scope >= Scope.DebugWrite ? { allowKernelTaint: true } : {});
      expect([c.name, p.request.readUInt16BE(0)]).toEqual([c.name, c.opcode]);
      expect([c.name, p.options.scope]).toEqual([c.name, c.byOpMod ? Scope.Configuration : c.scope]);
      if (c.in) expect([c.name, p.request.length]).toEqual([c.name, ifc.sizeOf(c.in)]);
      if (c.out) expect(p.options.responseLength).toBeGreaterThanOrEqual(ifc.sizeOf(c.out));
    }
  });
});

describe('capabilities', () => {
  test('current and max, by name or number; decoded by device.h\'s layout for the type', async () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    const cur = await mlx5.capabilities(dev, 'general');
    const max = mlx5.capabilitiesSync(dev, 0, { max: true });
    expect(calls.map((c) => c.request.readUInt16BE(6))).toEqual([1, 0]);
    expect(calls[0].options).toMatchObject({ scope: Scope.Configuration, responseLength: 16 + 4096 });
    expect(cur).toMatchObject({ type: 0, name: 'GENERAL', max: false, layout: 'cmd_hca_cap', caps: { log_max_qp: 0x11, num_ports: 2 } });
    expect(max).toMatchObject({ name: 'GENERAL', max: true, caps: { log_max_qp: 0x18 } });
    expect(cur.raw.length).toBe(4096);
    const roce = mlx5.capabilitiesSync(dev, 'ROCE');
    expect(calls[2].request.readUInt16BE(6)).toBe((4 << 1) | 1);
    expect(roce.caps).toMatchObject({ roce_apm: 1, l3_type: 3 });
    expect(Object.keys(mlx5.capabilitiesSync(dev, 'general-2').caps!)).toContain('max_reformat_insert_size');
  });

  test('another function; types without a layout; unknown types', () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    mlx5.capabilitiesSync(dev, 'qos', { functionId: 5 });
    const q = ifc.decode('query_hca_cap_in', calls[0].request);
    expect(q).toMatchObject({ other_function: 1, function_id: 5, op_mod: (0xc << 1) | 1 });
    const ipoib = mlx5.capabilitiesSync(dev, 'IPOIB_OFFLOADS');
    expect([ipoib.layout, ipoib.caps, ipoib.raw.length]).toEqual([undefined, undefined, 4096]);
    expect(() => mlx5.capabilitiesSync(dev, 'nope')).toThrow(/unknown capability type 'nope': one of GENERAL, /);
    expect(() => mlx5.capabilitiesSync(dev, 0x8000)).toThrow(FwctlRangeError);
    expect(mlx5.capType(0x99)).toEqual({ type: 0x99, name: '0x99' });
  });
});

describe('registers', () => {
  test('names, ids and layouts from driver.h and mlx5_ifc.h', () => {
    expect(mlx5.register('MTMP')).toEqual({ name: 'MTMP', id: 0x900a, layout: 'mtmp_reg' });
    expect(mlx5.register('mlx5_reg_mcia')).toMatchObject({ id: 0x9014, layout: 'mcia_reg' });
    expect(mlx5.register(0x4022)).toMatchObject({ name: 'FPGA_CAP', layout: 'fpga_cap' });
    expect(mlx5.register(0x1234)).toEqual({ name: '0x1234', id: 0x1234 });
    expect(() => mlx5.register('MZZZ')).toThrow(/unknown register 'MZZZ'/);
    const all = mlx5.registers();
    expect(all.length).toBe(Object.keys(mlx5.MLX5_REG).length);
    expect(all.filter((r) => r.layout).length).toBeGreaterThanOrEqual(60);
    for (const name of ['PTYS', 'PMLP', 'PDDR', 'PPCNT', 'MCAM', 'PCAM', 'QCAM', 'MCQS', 'MCQI', 'MTCAP', 'MTMP', 'MCIA']) {
      expect([name, mlx5.register(name).layout]).toEqual([name, `${name.toLowerCase()}_reg`]);
    }
  });

  test('counter groups: every name is an enum value of device.h and every member is in counter_set', () => {
    for (const [reg, groups] of Object.entries(REGISTER_COUNTER_GROUPS)) {
      const union = ifc.layout(mlx5.register(reg).layout!).member.get('counter_set')!.layout!;
      const values = reg === 'PPCNT' ? mlx5.MLX5_PPCNT_GROUP : mlx5.MLX5_MPCNT_GROUP;
      expect(Object.keys(groups).sort()).toEqual(Object.keys(values).sort());
      for (const m of Object.values(groups)) expect([reg, m, union.member.has(m)]).toEqual([reg, m, true]);
    }
  });

  test('readRegister: ACCESS_REG op_mod 1 (read) at DebugReadOnly with the index fields; the data decoded', async () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    const t = await mlx5.readRegister(dev, 'MTMP', { sensor_index: 2 });
    const req = calls[0].request;
    expect(ifc.decode('access_register_in', req)).toMatchObject({ opcode: 0x805, op_mod: 1, register_id: 0x900a, argument: 0 });
    expect(req.length).toBe(16 + ifc.sizeOf('mtmp_reg'));
    expect(ifc.decode('mtmp_reg', req.subarray(16)).sensor_index).toBe(2);
    expect(calls[0].options).toMatchObject({ scope: Scope.DebugReadOnly, responseLength: 16 + ifc.sizeOf('mtmp_reg') });
    expect(t).toMatchObject({ name: 'MTMP', id: 0x900a, layout: 'mtmp_reg', data: { sensor_index: 2, temperature: 302, sensor_name_hi: 0x41534943 } });
    expect(mlx5.readRegisterSync(dev, 'mtmp', { sensor_index: 2 }).data).toEqual(t.data);
  });

  test('PPCNT by group name: grp encoded, only the selected counter group decoded', () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    const r = mlx5.readRegisterSync(dev, 'PPCNT', { local_port: 1, grp: 'physical_layer' });
    expect(ifc.decode('ppcnt_reg', calls[0].request.subarray(16))).toMatchObject({ local_port: 1, grp: 0x12 });
    expect(Object.keys(r.data!.counter_set as object)).toEqual(['phys_layer_cntrs']);
    expect((r.data!.counter_set as Record<string, Record<string, unknown>>).phys_layer_cntrs).toMatchObject({ time_since_last_clear_low: 77, symbol_errors_low: 5 });
    expect(() => mlx5.readRegisterSync(dev, 'PPCNT', { grp: 'NOPE' })).toThrow(/unknown grp 'NOPE'/);
    // a numeric grp works too
    expect(Object.keys(mlx5.readRegisterSync(dev, 'PPCNT', { grp: 0x12 }).data!.counter_set as object)).toEqual(['phys_layer_cntrs']);
  });

  test('writeRegister is op_mod 0 at Configuration; raw data and argument; firmware errors', async () => {
    const { dev, calls } = fakeRpcDevice(firmware);
    await mlx5.writeRegister(dev, 'MTMP', { sensor_index: 1, mte: 1 });
    expect(ifc.decode('access_register_in', calls[0].request)).toMatchObject({ op_mod: 0, register_id: 0x900a });
    expect(calls[0].options.scope).toBe(Scope.Configuration);
    expect(() => mlx5.readRegisterSync(dev, 'NODE_DESC', { x: 1 })).toThrow(/no layout for register NODE_DESC/);
    expect(() => mlx5.readRegisterSync(dev, 'MTMP', { sensor_index: 1 }, { data: Buffer.alloc(4) })).toThrow(/fields or options.data/);
    expect(() => mlx5.readRegisterSync(dev, 'NODE_DESC', {}, { data: Buffer.alloc(4), argument: 7 })).toThrow(mlx5.Mlx5FirmwareError);
    expect(ifc.decode('access_register_in', calls[calls.length - 1].request)).toMatchObject({ argument: 7, register_id: mlx5.MLX5_REG.NODE_DESC });
    const r = mlx5.readRegisterSync(dev, 'PTYS', { local_port: 1 }, { allowStatus: true });
    expect([r.result.status, r.data]).toEqual([3, undefined]);
  });
});

describe('decodeAdapter reads the table', () => {
  test('QUERY_ADAPTER fields come from query_adapter_param_block', () => {
    const resp = ifc.encode('query_adapter_out', { query_adapter_struct: { ieee_vendor_id: 0x2c9, vsd_vendor_id: 0x15b3, vsd: Buffer.from('V'), vsd_contd_psid: Buffer.from('MT_1') } });
    const a = mlx5.decodeAdapter({ opcode: 0x101, status: 0, syndrome: 0, ok: true, response: resp, length: resp.length, truncated: false });
    expect(a).toMatchObject({ ieeeVendorId: 0x2c9, vsdVendorId: 0x15b3, vsd: 'V', psid: 'MT_1' });
  });
});
