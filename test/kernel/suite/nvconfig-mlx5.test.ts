// mlx5 NV configuration (issue 24) through the kernel's own mlx5_fwctl driver
// over the emulated firmware (test/kernel/emu/fwctl_emu_mlx5.c: MNVDA with
// default/current/next per item, MNVQC, MNVIA; emu_common.h's knobs
// nv_reset, nv_refuse, nv_writes through emu.ts's nvReset/nvRefuse/nvWrites:
// nv_writes counts the NV writes that reached the firmware, refused ones
// included). The hooks are asked through the registry, as fwctl.config does. Reads at DebugReadOnly, writes at Configuration: nothing
// taints the kernel.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import { deviceTypeModule } from '../../../lib/registry';
import type { NvConfigHooks } from '../../../lib/nvconfig';
import * as emu from '../emu/emu';

const { mlx5, Scope } = fwctl;

/** What the emulator's emu_nv_fixture() holds. */
const FIXTURE = Object.freeze({
  enable_sriov: { current: true, next: true, default: false },
  total_vfs: { current: 4, next: 8, default: 0 },
  max_sfs: { current: 0, next: 0, default: 0 },
  cqe_compress_type: { current: 'balanced', next: 'balanced', default: 'balanced' },
  swp_l4_csum_mode: { current: 'default', next: 'default', default: 'default' },
  ip_over_vxlan_port: { current: 4789, next: 4789, default: 4789 },
  lro_log_timeout0: { current: 6, next: 6, default: 6 },
  max_vfs_per_pf: { current: 16 },
  'raw:0:336': { current: '0xdeadbeef', next: '0xdeadbeef', default: '0xdeadbeef' },
});

/** MNVDA and MNVIA writes that reached the firmware (accepted or refused). */
const writes = () => emu.nvWrites('mlx5');
const tainted = () => Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8'));
const TAINT_USER = 1 << 19;

describe('mlx5 NV configuration over mlx5_fwctl', () => {
  let d: Awaited<ReturnType<typeof fwctl.open>>;
  let nv: NvConfigHooks;
  let taintBefore: number;
  const byName = <T extends { name: string }>(rs: T[]): Record<string, T> => Object.fromEntries(rs.map((r) => [r.name, r]));

  beforeAll(async () => {
    emu.nvReset('mlx5');
    taintBefore = tainted();
    expect(taintBefore & TAINT_USER).toBe(0);
    d = await fwctl.open(emu.device('mlx5').name);
    nv = deviceTypeModule(d.typeId)!.nvConfig!;
  });
  afterAll(async () => {
    await d?.close();
    emu.nvReset('mlx5'); // nv_refuse to 0 as well
  });

  test('get: next, current and default of every item, capabilities read-only, MNVQC writability', async () => {
    const all = byName(await nv.get(d, undefined, {}));
    for (const [name, want] of Object.entries(FIXTURE)) {
      if (name.startsWith('raw:')) continue;
      expect({ ...all[name], name }).toMatchObject({ ...want, name });
    }
    expect(all.max_vfs_per_pf).toMatchObject({ readOnly: true, writable: false, appliesTo: 'adapter' });
    expect(all.max_vfs_per_pf.next).toBeUndefined();
    expect(all.total_vfs).toMatchObject({ writable: true, appliesTo: 'function' });
    expect(all.cqe_compress_type.appliesTo).toBe('adapter');
    // by alias (mlxconfig's), by qualified field name, and an item the kernel does not name by raw index
    const some = await nv.get(d, ['NUM_OF_VFS', 'nv_pf_pci_conf.total_vf', 'raw:0:0x150', 'raw:0:0x999'], {});
    expect(some[0]).toMatchObject({ name: 'nv_global_pci_conf.total_vfs', next: 0, current: 0 });
    expect(some[1]).toMatchObject({ name: 'total_vf', current: 4, next: 8, default: 0 });
    expect(some[2]).toMatchObject({ name: 'raw:0:336', ...FIXTURE['raw:0:336'], writable: true });
    // MNVQC: the firmware has no such item: nothing read, not writable
    expect(some[3]).toEqual({ name: 'raw:0:2457', appliesTo: 'adapter', writable: false });
    await expect(nv.get(d, ['no_such_item'], {})).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
  });

  test('current is the PRM\'s access mode 1: the raw MNVDA register agrees with get()', async () => {
    const { encodeMnvda, decodeMnvda } = require('../../../lib/mlx5/nvconfig') as typeof import('../../../lib/mlx5/nvconfig');
    const pf = { key: 'per_host_pf_conf', typeClass: 3, parameterIndex: 0x80, layout: 'nv_pf_pci_conf' as const, capability: false };
    const totalVf = async (mode: number) => {
      const r = await mlx5.readRegister(d, 'MNVDA', {}, { data: encodeMnvda(pf, mode), responseLength: 16 + 268 });
      return decodeMnvda(r.raw).data.readUInt16BE(10); // total_vf: bits 0x50..0x5f
    };
    expect([await totalVf(0), await totalVf(1), await totalVf(2)]).toEqual([8, 4, 0]);
    // a read at Configuration is refused by the driver (EBADMSG), before the firmware
    const before = emu.commands('mlx5');
    await expect(mlx5.readRegister(d, 'MNVDA', {}, { data: encodeMnvda(pf, 0), scope: Scope.Configuration }))
      .rejects.toMatchObject({ code: 'EBADMSG' });
    expect(emu.commands('mlx5')).toBe(before);
  });

  test('set: written at Configuration, read back, next changes and current does not; the composite writes both items', async () => {
    const w0 = writes();
    const planned = await nv.plan(d, { total_vfs: 12, cqe_compress_type: 'aggressive', enable_sriov: true }, {});
    expect(planned).toEqual([{ name: 'total_vfs', from: 8, to: 12 }, { name: 'cqe_compress_type', from: 'balanced', to: 'aggressive' }]);
    expect(writes()).toBe(w0); // a plan writes nothing
    const r = await nv.set(d, { total_vfs: '0xc', CQE_COMPRESSION: 'aggressive' }, {});
    expect(r).toEqual([
      { name: 'total_vfs', from: 8, to: 12, readBack: 12, takesEffect: 'next-reset' },
      { name: 'cqe_compress_type', from: 'balanced', to: 'aggressive', readBack: 'aggressive', takesEffect: 'next-reset' },
    ]);
    expect(writes()).toBe(w0 + 3); // total_vfs: global (sriov_valid, per_pf_total_vf) and per-PF item; cqe: one
    const after = byName(await nv.get(d, ['total_vfs', 'cqe_compress_type', 'sriov_valid'], {}));
    expect(after.total_vfs).toMatchObject({ next: 12, current: 4, default: 0 });
    expect(after.cqe_compress_type).toMatchObject({ next: 'aggressive', current: 'balanced' });
    expect(after.sriov_valid).toMatchObject({ next: true });
    // an unchanged value writes nothing
    expect(await nv.set(d, { total_vfs: 12 }, {})).toEqual([]);
    expect(writes()).toBe(w0 + 3);
  });

  test('refusals before any write: ranges, the capability, read-only items, enum names, unknown names', async () => {
    const w0 = writes();
    const c0 = emu.commands('mlx5');
    await expect(nv.set(d, { total_vfs: 17 }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE', message: expect.stringContaining('at most 16') });
    await expect(nv.set(d, { total_vfs: 0x10000 }, {})).rejects.toBeInstanceOf(RangeError);
    await expect(nv.set(d, { max_sfs: -1 }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(nv.set(d, { lro_log_timeout0: 16 }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(nv.set(d, { swp_l4_csum_mode: 'default' }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(nv.set(d, { swp_l4_csum_mode: 'l4_only' }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_NV_NOT_WRITABLE' });
    await expect(nv.set(d, { max_vfs_per_pf: 32 }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_NV_NOT_WRITABLE' });
    await expect(nv.set(d, { cqe_compress_type: 'fast' }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    await expect(nv.set(d, { enable_sriov: 1 }, {})).rejects.toBeInstanceOf(TypeError);
    await expect(nv.set(d, { no_such_item: 1 }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    await expect(nv.set(d, { 'raw:0:0x150': '0x0102030405' }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(nv.set(d, { 'raw:0:0x999': '0x01020304' }, {})).rejects.toMatchObject({ code: 'ERR_FWCTL_MLX5_NV_NOT_WRITABLE' });
    // a valid change next to a bad one: nothing at all is written
    await expect(nv.set(d, { cqe_compress_type: 'balanced', total_vfs: 99 }, {})).rejects.toBeInstanceOf(RangeError);
    expect(writes()).toBe(w0); // no write reached the firmware, not even one it would have refused
    expect(emu.commands('mlx5')).toBeGreaterThan(c0); // the checks read the capabilities
  });

  test('a firmware refusal is the typed mlx5 status error, and nothing changes', async () => {
    const w0 = writes();
    emu.nvRefuse('mlx5', 1); // the next NV write answers EMU_NV_REFUSED (MLX5_CMD_STAT_BAD_SYS_STATE_ERR)
    try {
      const e = await nv.set(d, { ip_over_vxlan_port: 4790 }, {}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(mlx5.Mlx5FirmwareError);
      expect(e).toMatchObject({ code: 'ERR_FWCTL_MLX5_STATUS', status: emu.MLX5.NV_REFUSED });
      expect(emu.param('mlx5', 'nv_refuse')).toBe('0'); // the refusal was spent on that write
    } finally {
      emu.nvRefuse('mlx5', 0);
    }
    // nv_writes counts the refused write too (it reached the firmware): one
    // write, refused, and no retry. (The emulator's old counter, accepted writes
    // only, stayed at w0 here.)
    expect(writes()).toBe(w0 + 1);
    expect((await nv.get(d, ['ip_over_vxlan_port'], {}))[0].next).toBe(4789);
  });

  test('raw items: written and read back as hex bytes', async () => {
    const r = await nv.set(d, { 'raw:0:0x150': '0x01020304' }, {});
    expect(r).toEqual([{ name: 'raw:0:336', from: '0xdeadbeef', to: '0x01020304', readBack: '0x01020304', takesEffect: 'next-reset' }]);
    expect((await nv.get(d, ['raw:0:336'], {}))[0]).toMatchObject({ next: '0x01020304', current: '0xdeadbeef' });
  });

  test('reset: one item to its default (written as next), then all (MNVIA): next equals default', async () => {
    const one = await nv.reset!(d, ['total_vfs'], {});
    expect(one).toEqual([{ name: 'total_vfs', from: 12, to: 0, readBack: 0, takesEffect: 'next-reset' }]);
    // an MNVIA the firmware refuses: the typed status error, counted, nothing reset
    const wr = writes();
    emu.nvRefuse('mlx5', 1);
    try {
      const e = await nv.reset!(d, undefined, {}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(mlx5.Mlx5FirmwareError);
      expect(e).toMatchObject({ code: 'ERR_FWCTL_MLX5_STATUS', status: emu.MLX5.NV_REFUSED });
    } finally {
      emu.nvRefuse('mlx5', 0);
    }
    expect(writes()).toBe(wr + 1);
    expect((await nv.get(d, ['cqe_compress_type'], {}))[0].next).toBe('aggressive');
    const w0 = writes();
    const all = await nv.reset!(d, undefined, {});
    expect(writes()).toBe(w0 + 1); // one MNVIA
    expect(byName(all)).toMatchObject({
      cqe_compress_type: { from: 'aggressive', to: 'balanced' },
      enable_sriov: { from: true, to: false },
    });
    const after = byName(await nv.get(d, undefined, {}));
    for (const r of Object.values(after)) if (!r.readOnly) expect({ n: r.name, v: r.next }).toEqual({ n: r.name, v: r.default });
    expect(after.total_vfs.current).toBe(4); // current stays until the firmware resets
  });

  test('no call tainted the kernel', () => {
    expect(tainted() & TAINT_USER).toBe(0);
    expect(tainted()).toBe(taintBefore);
  });
});
