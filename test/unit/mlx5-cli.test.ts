// fwctl mlx5 cap|reg|exec|diag|fw: the lists (no device), field parsing, the
// text and JSON forms, over a fake device whose firmware answers from the
// layout table.

import { fakeRpcDevice } from './helpers/fake-device';
import { objectText, parseFields, runSub, toJson } from '../../lib/cli/commands/mlx5';
import * as mlx5 from '../../lib/mlx5';
import { cli } from './helpers/cli';

const { ifc } = mlx5;

function firmware(req: Buffer): Buffer {
  const op = req.readUInt16BE(0);
  const outBox = (body: Uint8Array) => Buffer.concat([Buffer.alloc(16), body]);
  if (op === mlx5.MLX5_CMD_OP.QUERY_ADAPTER) {
    return ifc.encode('query_adapter_out', { query_adapter_struct: { ieee_vendor_id: 0x2c9, vsd: Buffer.from('vsd'), vsd_contd_psid: Buffer.from('MT_0000000001') } });
  }
  if (op === mlx5.MLX5_CMD_OP.QUERY_HCA_CAP) {
    return ifc.encode('query_hca_cap_out', { capability: { cmd_hca_cap: { log_max_qp: 0x11, num_ports: 2, vhca_id: 0x123 } } });
  }
  if (op === mlx5.MLX5_CMD_OP.ACCESS_REG) {
    const id = req.readUInt16BE(10);
    if (id === mlx5.MLX5_REG.MTCAP) return outBox(ifc.encode('mtcap_reg', { sensor_count: 2, sensor_map: 0b101n }));
    if (id === mlx5.MLX5_REG.MTMP) {
      const i = ifc.decode('mtmp_reg', req.subarray(16)).sensor_index as number;
      return outBox(ifc.encode('mtmp_reg', { sensor_index: i, temperature: i === 0 ? 300 : 0x10000 - 8, sensor_name_hi: 0x41534943 }));
    }
  }
  if (op === mlx5.MLX5_CMD_OP.QUERY_VPORT_COUNTER) {
    return ifc.encode('query_vport_counter_out', { received_eth_unicast: { packets: 5n, octets: 1n << 60n } });
  }
  if (op === mlx5.Mlx5Opcode.QUERY_DIAGNOSTIC_PARAMS) return outBox(Buffer.from([1, 2, 3, 4]));
  const b = Buffer.alloc(16);
  b[0] = 2;
  return b;
}

const run = cli;

describe('fwctl mlx5 without a device', () => {
  test('reg --list, exec --list, cap --list: tables and JSON', async () => {
    const reg = await run('mlx5', 'reg', '--list');
    expect(reg.code).toBe(0);
    expect(reg.io.out).toMatch(/^MTMP +0x900a +mtmp_reg$/m);
    const exec = await run('mlx5', 'exec', '--list', '--json');
    const list = JSON.parse(exec.io.out) as { name: string; scope: string; in?: string }[];
    expect(list.length).toBe(mlx5.MLX5_OPCODE_TABLE.length);
    expect(list.find((c) => c.name === 'QUERY_VNIC_ENV')).toMatchObject({ scope: 'debug-read-only', in: 'query_vnic_env_in' });
    expect((await run('mlx5', 'cap', '--list')).io.out).toMatch(/^ROCE +0x4 +roce_cap$/m);
  });

  test('usage errors: unknown subcommand, --list with a device, missing NAME', async () => {
    expect((await run('mlx5', 'frob', 'fwctl0')).code).toBe(2);
    expect((await run('mlx5', 'reg', 'fwctl0', '--list')).code).toBe(2);
    expect((await run('mlx5', 'reg', 'fwctl0')).code).toBe(2);
    expect((await run('mlx5', 'fw', '--list')).code).toBe(2);
    const h = await run('mlx5', '--help');
    expect(h.io.out).toMatch(/fwctl mlx5 reg <device> NAME \[--field NAME=VALUE \.\.\.\]/);
  });
});

describe('helpers', () => {
  test('parseFields: numbers, hex, bigints, booleans, bytes, dotted paths, names', () => {
    expect(parseFields(['sensor_index=3', 'a.b=0x10', 'big=0x10000000000000000', 'on=true', 'k=hex:0102', 'grp=PHYSICAL_LAYER'])).toEqual({
      sensor_index: 3, a: { b: 16 }, big: 0x10000000000000000n, on: true, k: Buffer.from([1, 2]), grp: 'PHYSICAL_LAYER',
    });
    expect(() => parseFields(['novalue'])).toThrow(/NAME=VALUE/);
    expect(() => parseFields(['__proto__.polluted=1'])).toThrow(/not a field name/);
    expect(() => parseFields(['a..b=1'])).toThrow(/not a field name/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseFields(undefined)).toEqual({});
  });

  test('objectText: aligned, nested indented, arrays summarised, bytes as text or hex', () => {
    const text = objectText({ a: 1, long_name: 300, nested: { x: 2n ** 60n }, arr: Array.from({ length: 20 }, (_, i) => i), zeros: [0, 0, 0],
      psid: Buffer.from('MT_1\0\0'), key: Buffer.from([0xde, 0xad]), objs: [{ p: 1 }, { p: 2 }] });
    expect(text).toBe([
      'a          1',
      'long_name  300 (0x12c)',
      'nested:',
      '  x  1152921504606846976 (0x1000000000000000)',
      'arr    [0, 1, 2, 3, 4, 5, 6, 7, ... 12 more]',
      'zeros  [0 x 3]',
      "psid   'MT_1'",
      'key    dead',
      'objs[0]:',
      '  p  1',
      'objs[1]:',
      '  p  2',
      '',
    ].join('\n'));
    expect(toJson({ b: 1n, buf: Buffer.from([1]), u: undefined, list: [2n] })).toEqual({ b: '1', buf: '01', list: ['2'] });
  });
});

describe('subcommands on a device', () => {
  test('cap: decoded current values; --raw is the hex dump', () => {
    const { dev, requests } = fakeRpcDevice(firmware);
    const out = runSub('cap', dev, ['general'], {});
    expect(out.text).toMatch(/^type +GENERAL \(0x0\)$/m);
    expect(out.text).toMatch(/^log_max_qp +17 \(0x11\)$/m);
    expect(requests[0].readUInt16BE(6)).toBe(1);
    expect((out.json as { caps: Record<string, unknown> }).caps.vhca_id).toBe(0x123);
    runSub('cap', dev, [], { max: true });
    expect(runSub('cap', dev, ['0x20'], {}).text).toMatch(/^type +GENERAL_2 \(0x20\)$/m);
    expect(requests[1].readUInt16BE(6)).toBe(0);
    expect(runSub('cap', dev, ['general'], { raw: true }).text).toMatch(/^00000000  /m);
  });

  test('reg: fields from --field; exec by name with 64-bit counters', () => {
    const { dev, requests } = fakeRpcDevice(firmware);
    const t = runSub('reg', dev, ['MTMP'], { field: ['sensor_index=0'] });
    expect(t.text).toMatch(/^temperature +300 \(0x12c\)$/m);
    expect(t.text).toMatch(/^sensor_name_hi +1095977283 \(0x41534943\)$/m);
    expect(ifc.decode('access_register_in', requests[0])).toMatchObject({ op_mod: 1, register_id: 0x900a });
    const e = runSub('exec', dev, ['QUERY_VPORT_COUNTER'], { field: ['port_num=1'], json: true });
    expect((e.json as { data: Record<string, Record<string, string>> }).data.received_eth_unicast).toEqual({ packets: '5', octets: String(1n << 60n) });
    expect(runSub('exec', dev, ['QUERY_VPORT_COUNTER'], {}).text).toMatch(/^received_eth_unicast:\n  packets +5\n  octets +1152921504606846976 \(0x1000000000000000\)$/m);
    expect(() => runSub('exec', dev, ['QUERY_VPORT_COUNTER'], { field: ['nope=1'] })).toThrow(/unknown field 'nope'/);
    expect(runSub('exec', dev, ['0x770'], {}).text).toMatch(/^command +QUERY_VPORT_COUNTER \(0x0770\)$/m);
    expect(() => runSub('exec', dev, ['0x999'], {})).toThrow(/opcode 0x999 is not one the driver allows/);
    expect(runSub('reg', dev, ['0x900a'], { field: ['sensor_index=0'] }).text).toMatch(/^register +MTMP \(0x900a\)$/m);
  });

  test('fw: PSID and temperatures per sensor of MTCAP\'s map, unreadable facts as errors in place; diag raw', () => {
    const { dev } = fakeRpcDevice(firmware);
    const f = runSub('fw', dev, [], {});
    expect(f.json).toMatchObject({ psid: 'MT_0000000001', vsd: 'vsd', ieeeVendorId: 0x2c9, vsdVendorId: 0,
      temperatures: [{ sensor: 0, celsius: 37.5, name: 'ASIC' }, { sensor: 2, celsius: -1, name: 'ASIC' }],
      firmware: { error: { code: 'ERR_FWCTL_MLX5_STATUS' } } });
    expect(f.text).toMatch(/^temperature 0 \(ASIC\) +37\.5 C \(max 0 C\)$/m);
    expect(f.text).toMatch(/^firmware +error: ERR_FWCTL_MLX5_STATUS: /m);
    const d = runSub('diag', dev, [], {});
    expect(d.json).toEqual({ status: 0, syndrome: 0, body: expect.stringMatching(/^01020304/) });
  });
});
