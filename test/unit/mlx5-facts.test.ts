// mlx5 firmware and health facts (lib/mlx5/facts.ts) over a fake device whose
// firmware answers MCQS/MCQI, MTCAP/MTMP, PMLP/MCIA and QUERY_HCA_CAP from the
// layout table: the procedure of the kernel's fw.c and port.c, facts that
// fail in place, and the sync and async twins stepping the same generator.

import { fakeRpcDevice } from './helpers/fake-device';
import * as mlx5 from '../../lib/mlx5';
import { runSub } from '../../lib/cli/commands/mlx5';

const { ifc } = mlx5;

const reg = (body: Buffer, status = 0) => {
  const b = Buffer.concat([Buffer.alloc(16), body]);
  b[0] = status;
  return b;
};

/** A QSFP28 module on port 1 (module 3); port 2's module (4) absent (MCIA status). */
function eeprom(module: number, offset: number, size: number): Buffer {
  const page = Buffer.alloc(256);
  page[0] = 0x11;
  page.write('MELLANOX        ', 148, 'latin1');
  page.write('MCP1600-C001    ', 168, 'latin1');
  page.write('MT1234SN0001    ', 196, 'latin1');
  const dwords = Buffer.alloc(128);
  page.copy(dwords, 0, offset, offset + size);
  return ifc.encode('mcia_reg', { module, size, dwords });
}

function firmware(opts: { pending?: boolean; noMtcap?: boolean } = {}) {
  return (req: Buffer): Buffer => {
    const op = req.readUInt16BE(0);
    if (op === mlx5.MLX5_CMD_OP.QUERY_ADAPTER) {
      return ifc.encode('query_adapter_out', { query_adapter_struct: { ieee_vendor_id: 0x2c9, vsd_vendor_id: 0x15b3, vsd_contd_psid: Buffer.from('MT_0000000008') } });
    }
    if (op === mlx5.MLX5_CMD_OP.QUERY_HCA_CAP) return ifc.encode('query_hca_cap_out', { capability: { cmd_hca_cap: { num_ports: 2 } } });
    if (op !== mlx5.MLX5_CMD_OP.ACCESS_REG) return Buffer.from([2]);
    const id = req.readUInt16BE(10);
    const data = req.subarray(16);
    switch (id) {
      case mlx5.MLX5_REG.MCQS: {
        const i = ifc.decode('mcqs_reg', data).component_index as number;
        // component 0: an NV config, component 1: the boot image
        return reg(ifc.encode('mcqs_reg', { component_index: i, identifier: i === 0 ? 5 : 1, last_index_flag: i >= 1 ? 1 : 0,
          component_update_state: opts.pending ? 4 : 0 }));
      }
      case mlx5.MLX5_REG.MCQI: {
        const q = ifc.decode('mcqi_reg', data);
        const v = q.read_pending_component ? 0x1c230100 : 0x1c22100a; // 28.34.256 / 28.34.4106
        const text = q.read_pending_component ? '28.35.0256' : '28.34.4106';
        const version = ifc.encode('mcqi_version', { version: v, version_string_length: text.length, version_string: Buffer.from(text) });
        return reg(Buffer.concat([ifc.encode('mcqi_reg', { component_index: q.component_index as number, info_type: 1, data_size: version.length }), version,
          Buffer.alloc(ifc.sizeOf('mcqi_reg_data') - version.length)]));
      }
      case mlx5.MLX5_REG.MTCAP:
        return opts.noMtcap ? reg(Buffer.alloc(0), 3) : reg(ifc.encode('mtcap_reg', { sensor_count: 2, sensor_map: (1n << 0n) | (1n << 63n) }));
      case mlx5.MLX5_REG.MTMP: {
        const i = ifc.decode('mtmp_reg', data).sensor_index as number;
        return reg(ifc.encode('mtmp_reg', { sensor_index: i, temperature: i === 0 ? 0x1a4 : 0xfff8, max_temperature: 0x200,
          sensor_name_hi: i === 0 ? 0x41534943 : 0, sensor_name_lo: 0 }));
      }
      case mlx5.MLX5_REG.PMLP: {
        const p = ifc.decode('pmlp_reg', data).local_port as number;
        return reg(ifc.encode('pmlp_reg', { local_port: p, width: 4, lane0_module_mapping: p + 2 }));
      }
      case mlx5.MLX5_REG.MCIA: {
        const q = ifc.decode('mcia_reg', data);
        if (q.module === 4) return reg(ifc.encode('mcia_reg', { module: 4, status: 0x3 }));
        return reg(eeprom(q.module as number, q.device_address as number, q.size as number));
      }
      default:
        return reg(Buffer.alloc(0), 3);
    }
  };
}

const want: mlx5.Mlx5Facts = {
  psid: 'MT_0000000008', vsd: '', ieeeVendorId: 0x2c9, vsdVendorId: 0x15b3,
  firmware: { running: { version: '28.34.4106', raw: 0x1c22100a, versionString: '28.34.4106' } },
  temperatures: [{ sensor: 0, name: 'ASIC', celsius: 52.5, maxCelsius: 64 }, { sensor: 63, name: '', celsius: -1, maxCelsius: 64 }],
  modules: [
    { localPort: 1, module: 3, identifier: 0x11, type: 'QSFP28', vendor: 'MELLANOX', partNumber: 'MCP1600-C001', serialNumber: 'MT1234SN0001' },
    { localPort: 2, error: { code: 'ERR_FWCTL_MLX5_MCIA', message: 'MCIA module 4: status 0x3' } },
  ],
};

describe('mlx5 facts', () => {
  test('identity, running firmware (boot image found by MCQS scan), temperatures, modules per port', async () => {
    const { dev, requests } = fakeRpcDevice(firmware());
    expect(await mlx5.facts(dev)).toEqual(want);
    // MCQS for components 0 and 1, then MCQI of component 1 for the running version
    const regs = requests.filter((r) => r.readUInt16BE(0) === 0x805).map((r) => r.readUInt16BE(10));
    expect(regs.slice(0, 3)).toEqual([mlx5.MLX5_REG.MCQS, mlx5.MLX5_REG.MCQS, mlx5.MLX5_REG.MCQI]);
    expect(ifc.decode('mcqi_reg', requests[3].subarray(16))).toMatchObject({ component_index: 1, info_type: 1, data_size: ifc.sizeOf('mcqi_version') });
    // every register read is a read (op_mod 1)
    for (const r of requests.filter((x) => x.readUInt16BE(0) === 0x805)) expect(r.readUInt16BE(6)).toBe(1);
  });

  test('the sync twin gives the same facts with the same requests', async () => {
    const a = fakeRpcDevice(firmware());
    const b = fakeRpcDevice(firmware());
    const x = await mlx5.facts(a.dev);
    expect(mlx5.factsSync(b.dev)).toEqual(x);
    expect(b.requests).toEqual(a.requests);
  });

  test('a pending firmware is read too; a refused register is an error in its place', () => {
    const { dev } = fakeRpcDevice(firmware({ pending: true, noMtcap: true }));
    const f = mlx5.factsSync(dev);
    expect(f.firmware).toEqual({ running: (want.firmware as { running: unknown }).running,
      pending: { version: '28.35.256', raw: 0x1c230100, versionString: '28.35.0256' } });
    expect(f.temperatures).toEqual({ error: { code: 'ERR_FWCTL_MLX5_STATUS', message: expect.stringMatching(/ACCESS_REG: firmware status 0x3/) } });
    expect(f.modules).toEqual(want.modules);
  });

  test('QUERY_ADAPTER failing fails the whole record', () => {
    const { dev } = fakeRpcDevice(() => Buffer.from([3]));
    expect(() => mlx5.factsSync(dev)).toThrow(mlx5.Mlx5FirmwareError);
  });

  test('fwVersionText and the CLI\'s fw text', () => {
    expect(mlx5.fwVersionText(0x1c22100a)).toBe('28.34.4106');
    const { dev } = fakeRpcDevice(firmware());
    const out = runSub('fw', dev, [], {});
    expect(out.text).toMatch(/^firmware +28\.34\.4106 \(28\.34\.4106\)$/m);
    expect(out.text).toMatch(/^temperature 0 \(ASIC\) +52\.5 C \(max 64 C\)$/m);
    expect(out.text).toMatch(/^port 1 module +QSFP28 MELLANOX MCP1600-C001 MT1234SN0001$/m);
    expect(out.text).toMatch(/^port 2 module +error: ERR_FWCTL_MLX5_MCIA: MCIA module 4: status 0x3$/m);
    expect(out.json).toMatchObject({ psid: 'MT_0000000008', firmware: { running: { version: '28.34.4106' } } });
  });
});
