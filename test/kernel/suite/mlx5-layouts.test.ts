// fwctl.mlx5's layout-driven layer (commands, capabilities and registers by
// mlx5_ifc.h name) against the kernel's own mlx5_fwctl driver over the
// emulated firmware, which fills its answers with MLX5_SET on the same
// header's layouts: both sides of each field are the kernel header's.
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

const { mlx5, Scope } = fwctl;

describe('mlx5 layouts over mlx5_fwctl', () => {
  let name: string;
  beforeAll(() => { name = emu.device('mlx5').name; });

  test('capabilities(general): cmd_hca_cap decoded, current and max', async () => {
    await using d = await fwctl.open(name);
    const cur = await mlx5.capabilities(d, 'general');
    expect(cur).toMatchObject({ type: 0, name: 'GENERAL', max: false });
    expect(cur.caps).toMatchObject({ uctx_cap: emu.MLX5.UCTX_CAP, log_max_qp: 18, log_max_cq: 24, num_ports: 1, max_tc: 8, log_max_uctx: 8, port_type: 1 });
    const max = mlx5.capabilitiesSync(d, 'GENERAL', { max: true });
    expect(max.caps).toMatchObject({ log_max_qp: 24 });
  });

  test('readRegister: MTMP and PMTU decoded from their mlx5_ifc.h layouts', async () => {
    await using d = await fwctl.open(name);
    const t = await mlx5.readRegister(d, 'MTMP');
    expect(t).toMatchObject({ name: 'MTMP', id: emu.MLX5.REG_MTMP });
    expect(t.data).toMatchObject({ temperature: 45 * 8, max_temperature: 61 * 8, temp_threshold_hi: 105 * 8, sensor_name_hi: 0x41534943 });
    const m = mlx5.readRegisterSync(d, 'pmtu');
    expect(m.data).toMatchObject({ max_mtu: 9978, admin_mtu: 1500, oper_mtu: 1500 });
  });

  test('writeRegister: the driver lets it through at Configuration; this firmware\'s registers are read-only', async () => {
    await using d = await fwctl.open(name);
    const err = await mlx5.writeRegister(d, 'PMTU', { admin_mtu: 9000 }).catch((e) => e);
    expect(err).toBeInstanceOf(mlx5.Mlx5FirmwareError);
    expect(err).toMatchObject({ status: 3, syndrome: emu.MLX5.syndrome(0x805, 3) });
    // and a read below DebugReadOnly is the driver's EBADMSG
    await expect(mlx5.readRegister(d, 'MTMP', {}, { scope: Scope.Configuration })).rejects.toMatchObject({ code: 'EBADMSG' });
  });

  test('commands by name: QUERY_ADAPTER decoded as query_adapter_out', async () => {
    await using d = await fwctl.open(name);
    const r = await mlx5.exec(d, 'QUERY_ADAPTER');
    expect(r).toMatchObject({ ok: true, name: 'QUERY_ADAPTER' });
    expect(JSON.stringify(r.data)).toContain(String(0x0002c9));
  });
});
