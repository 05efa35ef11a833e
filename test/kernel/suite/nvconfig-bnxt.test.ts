// fwctl.config over the kernel's own bnxt fwctl driver (drivers/fwctl/bnxt,
// unmodified) and the emulated firmware's NVM variables
// (test/kernel/emu/fwctl_emu_bnxt.c: widths, per-function storage, fixture
// and factory-default values, nv_writes, nv_refuse, nv_reset): the kernel's
// nvm_params by their devlink names, NVM_GET/SET_VARIABLE at Configuration,
// every refusal before a write (the firmware's write counter says none was
// made), a firmware refusal as a typed error, raw options, the CLI, and no
// taint (bit 19 of /proc/sys/kernel/tainted) before or after.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import { cli } from '../../unit/helpers/cli';
import * as emu from '../emu/emu';

const { bnxt, config } = fwctl;
const taint = () => (Number(fs.readFileSync('/proc/sys/kernel/tainted', 'utf8')) >> 19) & 1;
const F = emu.BNXT.NV_FIXTURE;

describe('fwctl.config over bnxt_fwctl + fwctl_emu_bnxt', () => {
  let name: string;
  let dev: fwctl.Device;
  beforeAll(async () => {
    expect(taint()).toBe(0);
    emu.nvReset('bnxt');
    name = emu.device('bnxt').name;
    dev = await fwctl.open(name);
  });
  afterAll(async () => {
    await dev?.close();
    emu.nvReset('bnxt');
    expect(taint()).toBe(0);
  });

  test('get: every nvm_params item by its devlink name, from the firmware (gre_ver_check inverted, enable_roce at index_0 fw_fid - 1)', async () => {
    const rs = await config.get(dev);
    expect(rs.map((r) => r.name)).toEqual(['enable_sriov', 'ignore_ari', 'msix_vec_per_pf_max', 'msix_vec_per_pf_min', 'enable_roce', 'gre_ver_check']);
    const by = Object.fromEntries(rs.map((r) => [r.name, r]));
    expect(by.enable_sriov).toMatchObject({ next: F[401] === 1, default: true, appliesTo: 'adapter' });
    expect(by.msix_vec_per_pf_max).toMatchObject({ next: F[108], default: F[108] });
    expect(by.msix_vec_per_pf_min).toMatchObject({ next: F[114] });
    expect(by.gre_ver_check).toMatchObject({ next: F[171] === 0 }); // option 171 is DIS_GRE_VER_CHECK
    expect(by.enable_roce).toMatchObject({ next: false, appliesTo: 'function', target: `fid ${emu.BNXT.FID}` });
    expect(rs.every((r) => r.current === undefined)).toBe(true); // bnxt: one stored value, the next boot's
    expect(emu.nvWrites('bnxt')).toBe(0);
  });

  test('set: written at Configuration, read back, per-function at index_0 1 only, takes effect at the next reset', async () => {
    const res = await config.set(dev, { msix_vec_per_pf_max: 200, gre_ver_check: false, enable_roce: true });
    expect(res).toEqual([
      { name: 'msix_vec_per_pf_max', from: F[108], to: 200, readBack: 200, takesEffect: 'next-reset' },
      { name: 'gre_ver_check', from: true, to: false, readBack: false, takesEffect: 'next-reset' },
      { name: 'enable_roce', from: false, to: true, readBack: true, takesEffect: 'next-reset' },
    ]);
    expect(emu.nvWrites('bnxt')).toBe(3);
    // the firmware's own view: option 171 (disable) is now 1; RoCE set for function index 1, not 0
    expect((await bnxt.nvmGetVariable(dev, 171, { bits: 1 })).value).toBe(1);
    expect((await bnxt.nvmGetVariable(dev, 506, { bits: 1, index: [1], dimensions: 1 })).value).toBe(1);
    expect((await bnxt.nvmGetVariable(dev, 506, { bits: 1, index: [0], dimensions: 1 })).value).toBe(0);
    expect((await config.get(dev, ['msix_vec_per_pf_max']))[0].next).toBe(200);
    // an unchanged value is no write
    expect(await config.set(dev, { msix_vec_per_pf_max: 200 })).toEqual([]);
    expect(emu.nvWrites('bnxt')).toBe(3);
  });

  test('data_len counts bits: a 10-bit option read in 2 bits is refused by the firmware (LEN_TOO_SHORT)', async () => {
    await expect(bnxt.nvmGetVariable(dev, 108, { bits: 2 })).rejects.toMatchObject({ code: 'ERR_FWCTL_BNXT_HWRM', kind: 'firmware' });
  });

  test('refused before any write: widths, the kernel\'s validate limits, types, the RDMA capability; nothing reaches the firmware', async () => {
    const w = emu.nvWrites('bnxt');
    await expect(config.set(dev, { msix_vec_per_pf_max: 513 })).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(config.set(dev, { msix_vec_per_pf_min: 128 })).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    await expect(config.set(dev, { enable_sriov: 1 as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    // one bad value among good ones: none is written
    await expect(config.set(dev, { ignore_ari: true, msix_vec_per_pf_max: 4096 })).rejects.toMatchObject({ code: 'ERR_FWCTL_OUT_OF_RANGE' });
    expect(await config.plan(dev, { msix_vec_per_pf_max: 512, msix_vec_per_pf_min: 127 })).toEqual([
      { name: 'msix_vec_per_pf_max', from: 200, to: 512 }, { name: 'msix_vec_per_pf_min', from: F[114], to: 127 }]);
    // without the RDMA capability (option 161), enable_roce is refused as bnxt_dl_roce_validate refuses it
    await config.set(dev, { 'raw:161:1': false });
    const w2 = emu.nvWrites('bnxt');
    expect(w2).toBe(w + 1);
    await expect(config.set(dev, { enable_roce: false })).rejects.toMatchObject({ code: 'ERR_FWCTL_NV_REFUSED', item: 'enable_roce' });
    expect(emu.nvWrites('bnxt')).toBe(w2);
    await config.set(dev, { 'raw:161:1': true });
  });

  test('a firmware refusal is ERR_FWCTL_NV_WRITE_FAILED with the HWRM error as its cause; the value stays', async () => {
    emu.nvRefuse('bnxt', 1);
    const w = emu.nvWrites('bnxt');
    const err = await config.set(dev, { ignore_ari: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(fwctl.NvConfigError);
    expect(err).toMatchObject({ code: 'ERR_FWCTL_NV_WRITE_FAILED', item: 'ignore_ari', cause: { code: 'ERR_FWCTL_BNXT_HWRM', errorCode: emu.BNXT.NV_REFUSED } });
    expect(emu.nvWrites('bnxt')).toBe(w + 1);
    expect((await config.get(dev, ['ignore_ari']))[0].next).toBe(false);
  });

  test('raw options: one the kernel does not name, one the firmware does not have, an unknown name', async () => {
    expect(await config.get(dev, ['raw:300:8'])).toEqual([expect.objectContaining({ name: 'raw:300:8', next: F[300] })]);
    await expect(config.get(dev, [`raw:${emu.BNXT.NV_NO_OPTION + 7}`])).rejects.toMatchObject({ code: 'ERR_FWCTL_NV_UNKNOWN_ITEM' });
    const e = await config.get(dev, ['no_such_item']).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_NV_UNKNOWN_ITEM', item: 'no_such_item' });
    expect((e as fwctl.NvConfigError).known).toContain('enable_sriov');
  });

  test('export, apply --dry-run (the diff, no write), apply, reset to the factory defaults', async () => {
    const doc = await config.export(dev);
    expect(doc).toMatchObject({ fwctlNvConfig: 1, type: 'bnxt', values: { msix_vec_per_pf_max: 200, gre_ver_check: false } });
    const w = emu.nvWrites('bnxt');
    const dry = await config.apply(dev, { ...doc, values: { ...doc.values, msix_vec_per_pf_max: 300 } }, { dryRun: true });
    expect(dry).toEqual({ changes: [{ name: 'msix_vec_per_pf_max', from: 200, to: 300 }], dryRun: true });
    expect(emu.nvWrites('bnxt')).toBe(w);
    const done = await config.apply(dev, { ...doc, values: { ...doc.values, msix_vec_per_pf_max: 300 } });
    expect(done.results).toEqual([{ name: 'msix_vec_per_pf_max', from: 200, to: 300, readBack: 300, takesEffect: 'next-reset' }]);
    const r = await config.reset(dev, ['msix_vec_per_pf_max', 'gre_ver_check']);
    expect(r.map((x) => [x.name, x.readBack])).toEqual([['msix_vec_per_pf_max', F[108]], ['gre_ver_check', true]]);
  });

  test('the CLI: get --json, set without a terminal refused, set --yes --json, inventory --nv-config --prometheus', async () => {
    const g = await cli('config', name, 'get', 'msix_vec_per_pf_max', '--json');
    expect(g.code).toBe(0);
    expect(JSON.parse(g.out)).toEqual([{ device: `/dev/fwctl/${name}`, items: [expect.objectContaining({ name: 'msix_vec_per_pf_max', next: F[108] })] }]);
    const w = emu.nvWrites('bnxt');
    const no = await cli('config', name, 'set', 'msix_vec_per_pf_max=0x100');
    expect(no.code).toBe(2);
    expect(no.err).toMatch(/msix_vec_per_pf_max +64 +256/);
    expect(no.err).toMatch(/pass --yes/);
    expect(emu.nvWrites('bnxt')).toBe(w);
    const bad = await cli('config', name, 'set', 'msix_vec_per_pf_max=600', '--yes');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ERR_FWCTL_OUT_OF_RANGE/);
    const yes = await cli('config', name, 'set', 'msix_vec_per_pf_max=0x100', 'enable_sriov=false', '--yes', '--json');
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.out)).toEqual([expect.objectContaining({ written: true, takesEffect: 'next-reset', results: [
      expect.objectContaining({ name: 'msix_vec_per_pf_max', readBack: 256 }), expect.objectContaining({ name: 'enable_sriov', readBack: false })] })]);
    expect(emu.nvWrites('bnxt')).toBe(w + 2);
    const p = await cli('inventory', '--prometheus', '--nv-config');
    expect(p.code).toBe(0);
    expect(p.out).toContain(`fwctl_nv_config{device="${name}",name="msix_vec_per_pf_max",when="next"} 256\n`);
    expect(p.out).toContain(`fwctl_nv_config{device="${name}",name="enable_sriov",when="next"} 0\n`);
  });
});
