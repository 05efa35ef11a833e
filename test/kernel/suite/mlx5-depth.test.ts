// fwctl.mlx5 in depth (issue 11) against the kernel's own mlx5_fwctl driver
// over the emulated firmware (test/kernel/emu/fwctl_emu_mlx5.c), which fills
// every answer with MLX5_SET/MLX5_SET64 on include/linux/mlx5/mlx5_ifc.h's
// layouts: a second capability type, registers by name with known values,
// facts() (firmware versions, PSID, temperatures, transceiver), commands by
// name, the diagnostic commands (no layouts: raw bytes), the CLI in-process,
// and the facts in inventory().
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import { cli } from '../../unit/helpers/cli';
import * as emu from '../emu/emu';

const { mlx5, Scope } = fwctl;

/** What fwctl_emu_mlx5.c answers (its ACCESS_REG and QUERY_HCA_CAP cases). */
const EMU = Object.freeze({
  FW_RUNNING: '28.39.1002',
  FW_PENDING: '28.40.1000',
  FW_RUNNING_RAW: ((28 << 24) | (39 << 16) | 1002) >>> 0,
  MODULE: { vendor: 'Mellanox', partNumber: 'MCP1600-C001E30N', serialNumber: 'MT2205VS01234' },
  // include/linux/mlx5/port.h: MLX5E_100GBASE_CR4 = 20, _SR4 = 21, MLX5E_25GBASE_SR = 29
  ETH_CAP: ((1 << 20) | (1 << 21) | (1 << 29)) >>> 0,
  ETH_ADMIN: (1 << 20) | (1 << 21),
  ETH_OPER: 1 << 20,
});

const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));

describe('mlx5 in depth over mlx5_fwctl', () => {
  let name: string;
  let taintBefore: number;
  beforeAll(() => {
    name = emu.device('mlx5').name;
    taintBefore = tainted();
  });

  test('capabilities: ETHERNET_OFFLOADS (per_protocol_networking_offload_caps), current and max; ROCE is refused', async () => {
    await using d = await fwctl.open(name);
    const cur = await mlx5.capabilities(d, 'ethernet-offloads');
    expect(cur).toMatchObject({ type: 1, name: 'ETHERNET_OFFLOADS', max: false, layout: 'per_protocol_networking_offload_caps' });
    expect(cur.caps).toMatchObject({ csum_cap: 1, vlan_cap: 1, lro_cap: 0, max_lso_cap: 18, rss_ind_tbl_cap: 8, tunnel_stateless_vxlan: 1, max_vxlan_udp_ports: 4, lro_min_mss_size: 536 });
    const max = mlx5.capabilitiesSync(d, 1, { max: true });
    expect(max).toMatchObject({ name: 'ETHERNET_OFFLOADS', max: true });
    expect(max.caps).toMatchObject({ lro_cap: 1, rss_ind_tbl_cap: 11 });
    // and the general page is still the general page
    expect((await mlx5.capabilities(d, 'GENERAL', { max: true })).caps).toMatchObject({ log_max_qp: 24 });
    await expect(mlx5.capabilities(d, 'ROCE')).rejects.toBeInstanceOf(mlx5.Mlx5FirmwareError);
    const r = await mlx5.capabilities(d, 'ROCE', { allowStatus: true });
    expect(r.result.status).toBe(3);
    expect(r.caps).toBeUndefined();
  });

  test('registers by name: MTCAP, MTMP per sensor, PTYS, PMLP, MCAM, MCQS, MCQI', async () => {
    await using d = await fwctl.open(name);
    const cap = await mlx5.readRegister(d, 'MTCAP');
    expect(cap).toMatchObject({ name: 'MTCAP', id: 0x9009, layout: 'mtcap_reg', data: { sensor_count: 2, sensor_map: 3n } });
    expect((await mlx5.readRegister(d, 'MTMP', { sensor_index: 1 })).data).toMatchObject({ sensor_index: 1, temperature: 52 * 8 + 4, max_temperature: 58 * 8, sensor_name_hi: 0x50485900 });
    const ptys = mlx5.readRegisterSync(d, 'ptys', { local_port: 1, proto_mask: 4 });
    expect(ptys.data).toMatchObject({ local_port: 1, proto_mask: 4, eth_proto_capability: EMU.ETH_CAP, eth_proto_admin: EMU.ETH_ADMIN, eth_proto_oper: EMU.ETH_OPER, an_status: 1, connector_type: 7 });
    const pmlp = await mlx5.readRegister(d, 'MLX5_REG_PMLP', { local_port: 1 });
    expect(pmlp.data).toMatchObject({ local_port: 1, width: 4, lane0_module_mapping: 0, lane3_module_mapping: 0x03030000 });
    const mcam = await mlx5.readRegister(d, 'MCAM');
    const regs = (mcam.data!.mng_access_reg_cap_mask as fwctl.mlx5.ifc.IfcObject).access_regs;
    expect(regs).toMatchObject({ mcqi: 1, mcqs: 1, mtmp: 1, mcc: 1, mcda: 1 });
    expect((mcam.data!.mng_feature_cap_mask as fwctl.mlx5.ifc.IfcObject).enhanced_features).toMatchObject({ mtpps_fs: 1 });
    expect((await mlx5.readRegister(d, 'MCQS', { component_index: 0 })).data).toMatchObject({ last_index_flag: 1, identifier: 1, component_update_state: 4 });
    const mcqi = await mlx5.readRegister(d, 'MCQI', { info_type: 1, data_size: mlx5.ifc.sizeOf('mcqi_version') },
      { responseLength: 16 + mlx5.ifc.sizeOf('mcqi_reg') + mlx5.ifc.sizeOf('mcqi_reg_data') });
    expect(mcqi.data).toMatchObject({ info_type: 1, info_size: mlx5.ifc.sizeOf('mcqi_version') });
    const v = mlx5.ifc.decode('mcqi_version', mcqi.raw.subarray(mlx5.ifc.sizeOf('mcqi_reg')));
    expect(v).toMatchObject({ version: EMU.FW_RUNNING_RAW, version_string_length: EMU.FW_RUNNING.length });
    // an index the firmware has not: its BAD_PARAM
    await expect(mlx5.readRegister(d, 'MTMP', { sensor_index: 5 })).rejects.toMatchObject({ status: 3 });
  });

  test('PPCNT counter groups by name, with the known counters; another group is refused', async () => {
    await using d = await fwctl.open(name);
    const ieee = await mlx5.readRegister(d, 'PPCNT', { local_port: 1, grp: 'IEEE_802_3' });
    expect(ieee.data).toMatchObject({ local_port: 1, grp: 0 });
    expect(Object.keys(ieee.data!.counter_set as object)).toEqual(['eth_802_3_cntrs_grp_data_layout']);
    expect((ieee.data!.counter_set as fwctl.mlx5.ifc.IfcObject).eth_802_3_cntrs_grp_data_layout).toMatchObject({
      a_frames_transmitted_ok_high: 0, a_frames_transmitted_ok_low: 1000000, a_frames_received_ok_low: 2000000,
      a_frame_check_sequence_errors_low: 3, a_octets_transmitted_ok_high: 1, a_octets_transmitted_ok_low: 5,
    });
    const rfc = mlx5.readRegisterSync(d, 'PPCNT', { local_port: 1, grp: 'rfc_2863' });
    expect((rfc.data!.counter_set as fwctl.mlx5.ifc.IfcObject).eth_2863_cntrs_grp_data_layout).toMatchObject({ if_in_octets_low: 123456789, if_in_discards_low: 7, if_out_errors_low: 2 });
    await expect(mlx5.readRegister(d, 'PPCNT', { local_port: 1, grp: 'PHYSICAL_LAYER' })).rejects.toBeInstanceOf(mlx5.Mlx5FirmwareError);
  });

  test('facts(): PSID, firmware running and pending (MCQS/MCQI), temperatures (MTCAP/MTMP), the QSFP28 of port 1 (PMLP/MCIA)', async () => {
    await using d = await fwctl.open(name);
    const f = await mlx5.facts(d);
    expect(f).toEqual({
      psid: emu.MLX5.PSID, vsd: emu.MLX5.VSD, ieeeVendorId: 0x0002c9, vsdVendorId: 0x15b3,
      firmware: {
        running: { version: EMU.FW_RUNNING, raw: EMU.FW_RUNNING_RAW, versionString: EMU.FW_RUNNING },
        pending: { version: EMU.FW_PENDING, raw: expect.any(Number), versionString: EMU.FW_PENDING },
      },
      temperatures: [{ sensor: 0, name: 'ASIC', celsius: 45, maxCelsius: 61 }, { sensor: 1, name: 'PHY', celsius: 52.5, maxCelsius: 58 }],
      modules: [{ localPort: 1, module: 0, identifier: 0x11, type: 'QSFP28', ...EMU.MODULE }],
    });
    expect(mlx5.factsSync(d)).toEqual(f);
  });

  test('exec by name: QUERY_HCA_CAP with op_mod, QUERY_ADAPTER; fields of the _in layout', async () => {
    await using d = await fwctl.open(name);
    const r = await mlx5.exec(d, 'QUERY_HCA_CAP', { op_mod: (1 << 1) | 1 });
    expect(r).toMatchObject({ ok: true, name: 'QUERY_HCA_CAP', inLayout: 'query_hca_cap_in', outLayout: 'query_hca_cap_out' });
    // query_hca_cap_out.capability starts right after the 16-byte header: body[0]
    const caps = mlx5.ifc.decode('per_protocol_networking_offload_caps', r.body);
    expect(caps).toMatchObject({ csum_cap: 1, max_lso_cap: 18 });
    const a = mlx5.execSync(d, 'MLX5_CMD_OP_QUERY_ADAPTER');
    expect(a.data).toMatchObject({ query_adapter_struct: { ieee_vendor_id: 0x0002c9, vsd_vendor_id: 0x15b3 } });
    expect(() => mlx5.execSync(d, 'QUERY_ADAPTER', { no_such_field: 1 })).toThrow(/no_such_field/);
  });

  test('diagnostic counters: the driver allows QUERY_DIAGNOSTIC_PARAMS/COUNTERS at DebugReadOnly; mlx5_ifc.h has no layouts, so raw bytes', async () => {
    await using d = await fwctl.open(name);
    for (const cmd of ['QUERY_DIAGNOSTIC_PARAMS', 'QUERY_DIAGNOSTIC_COUNTERS']) {
      const r = await mlx5.exec(d, cmd, {}, { allowStatus: true });
      expect(r).toMatchObject({ name: cmd, inLayout: undefined, outLayout: undefined });
      expect(r.data).toBeUndefined();
      // the driver passed it (no EBADMSG); this firmware does not implement it: BAD_OP
      expect(r.status).toBe(2);
      expect(Buffer.isBuffer(r.body)).toBe(true);
      expect(() => mlx5.execSync(d, cmd, { sample_index: 0 })).toThrow(/no input layout/);
    }
    await expect(mlx5.exec(d, 'QUERY_DIAGNOSTIC_COUNTERS', {}, { scope: Scope.Configuration })).rejects.toMatchObject({ code: 'EBADMSG' });
  });

  describe('CLI (in-process): fwctl mlx5 cap|reg|exec|fw', () => {
    const run = cli;

    test('cap: JSON and text, current and --max', async () => {
      const j = await run('mlx5', 'cap', name, 'ethernet_offloads', '--json');
      expect(j.code).toBe(0);
      expect(JSON.parse(j.out)).toMatchObject({ type: 1, name: 'ETHERNET_OFFLOADS', max: false, caps: { csum_cap: 1, max_lso_cap: 18, rss_ind_tbl_cap: 8 } });
      expect(JSON.parse((await run('mlx5', 'cap', emu.pciOf('mlx5'), '1', '--max', '--json')).out).caps).toMatchObject({ lro_cap: 1, rss_ind_tbl_cap: 11 });
      const t = await run('mlx5', 'cap', name, 'ETHERNET_OFFLOADS');
      expect(t.code).toBe(0);
      expect(t.out).toMatch(/^type +ETHERNET_OFFLOADS \(0x1\)$/m);
      expect(t.out).toMatch(/max_lso_cap\b.*\b(18|0x12)\b/);
    });

    test('reg: PPCNT by group name and MTMP by --field, JSON and text', async () => {
      const j = await run('mlx5', 'reg', name, 'PPCNT', '--field', 'local_port=1', '--field', 'grp=IEEE_802_3', '--json');
      expect(j.code).toBe(0);
      expect(JSON.parse(j.out)).toMatchObject({ name: 'PPCNT', layout: 'ppcnt_reg', data: { counter_set: { eth_802_3_cntrs_grp_data_layout: { a_frames_transmitted_ok_low: 1000000 } } } });
      expect(JSON.parse((await run('mlx5', 'reg', name, 'MTCAP', '--json')).out).data).toMatchObject({ sensor_count: 2, sensor_map: '3' });
      const t = await run('mlx5', 'reg', name, 'MTMP', '--field', 'sensor_index=1');
      expect(t.code).toBe(0);
      expect(t.out).toMatch(/^register +MTMP \(0x900a\)$/m);
      expect(t.out).toMatch(/temperature\b.*\b(420|0x1a4)\b/);
    });

    test('exec: QUERY_ADAPTER by name, JSON and text', async () => {
      const j = await run('mlx5', 'exec', name, 'QUERY_ADAPTER', '--json');
      expect(j.code).toBe(0);
      expect(JSON.parse(j.out)).toMatchObject({ name: 'QUERY_ADAPTER', opcode: 0x101, status: 0, data: { query_adapter_struct: { vsd_vendor_id: 0x15b3 } } });
      const t = await run('mlx5', 'exec', name, 'QUERY_HCA_CAP', '--op-mod', '3');
      expect(t.code).toBe(0);
      expect(t.out).toMatch(/^command +QUERY_HCA_CAP \(0x0100\)$/m);
      expect(t.out).toMatch(/^status +0x0 \(OK\)$/m);
    });

    test('fw: JSON and text', async () => {
      const j = await run('mlx5', 'fw', name, '--json');
      expect(j.code).toBe(0);
      expect(JSON.parse(j.out)).toMatchObject({
        psid: emu.MLX5.PSID, firmware: { running: { version: EMU.FW_RUNNING }, pending: { version: EMU.FW_PENDING } },
        temperatures: [{ sensor: 0, celsius: 45 }, { sensor: 1, celsius: 52.5 }], modules: [{ localPort: 1, type: 'QSFP28', ...EMU.MODULE }],
      });
      const t = await run('mlx5', 'fw', emu.pciOf('mlx5'));
      expect(t.code).toBe(0);
      expect(t.out).toMatch(new RegExp(`^firmware +${EMU.FW_RUNNING.replace(/\./g, '\\.')} \\(${EMU.FW_RUNNING.replace(/\./g, '\\.')}\\)$`, 'm'));
      expect(t.out).toMatch(/^firmware pending +28\.40\.1000$/m);
      expect(t.out).toMatch(/^temperature 1 \(PHY\) +52\.5 C \(max 58 C\)$/m);
      expect(t.out).toMatch(/^port 1 module +QSFP28 Mellanox MCP1600-C001E30N MT2205VS01234$/m);
    });
  });

  test('inventory(): the mlx5 record carries the facts; Prometheus has them per device and PCI address', async () => {
    const records = await fwctl.inventory();
    const r = records.find((x) => x.name === name)!;
    expect(r.mlx5).toMatchObject({
      psid: emu.MLX5.PSID, firmware: { running: { version: EMU.FW_RUNNING }, pending: { version: EMU.FW_PENDING } },
      temperatures: [{ sensor: 0, celsius: 45 }, { sensor: 1, celsius: 52.5 }], modules: [{ localPort: 1, type: 'QSFP28', ...EMU.MODULE }],
    });
    expect(r.mlx5!.factErrors).toBeUndefined();
    const text = fwctl.toPrometheus(records);
    const pci = emu.pciOf('mlx5');
    expect(text).toContain(`fwctl_mlx5_temperature_celsius{device="${name}",pci="${pci}",sensor="1",name="PHY"} 52.5\n`);
    expect(text).toContain(`fwctl_mlx5_temperature_max_celsius{device="${name}",pci="${pci}",sensor="0",name="ASIC"} 61\n`);
    expect(text).toContain(`fwctl_mlx5_firmware_info{device="${name}",pci="${pci}",psid="${emu.MLX5.PSID}",running="${EMU.FW_RUNNING}",pending="${EMU.FW_PENDING}"} 1\n`);
    expect(text).toContain(`fwctl_mlx5_module_info{device="${name}",pci="${pci}",port="1",module="0",type="QSFP28",vendor="Mellanox",part_number="MCP1600-C001E30N",serial_number="MT2205VS01234"} 1\n`);
  });

  test('nothing here tainted the kernel', () => {
    expect(tainted()).toBe(taintBefore);
  });
});
