// Hot-unplug of a real driver's device: unbinding the emulator from its PCI
// function removes the auxiliary device, so the kernel's mlx5/bnxt/pds fwctl
// driver runs its remove path (fwctl_unregister: close_uctx for every open
// fd, e.g. mlx5's DESTROY_UCTX); binding it again probes a fresh device.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

test.each(emu.KINDS)('%s: unbind -> open fds get ENODEV and the node is gone; bind -> a new device that works', async (kind) => {
  const pci = emu.pciOf(kind);
  const drv = `/sys/bus/pci/drivers/fwctl_emu_${kind}`;
  const before = emu.device(kind);
  const d = await fwctl.open(before.name);
  expect((await d.info()).typeId).toBe(emu.TYPE_ID[kind]);
  const commands = emu.commands(kind);
  fs.writeFileSync(`${drv}/unbind`, pci);
  try {
    await expect(d.info()).rejects.toMatchObject({ code: 'ENODEV' });
    expect(() => d.infoSync()).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(fwctl.findSync({ pci })).toBeUndefined();
    await expect(fwctl.open(before.name)).rejects.toMatchObject({ code: 'ENOENT' });
    // mlx5: the driver's close_uctx ran at unregister (DESTROY_UCTX for the still-open fd)
    if (kind === 'mlx5') expect(emu.commands(kind)).toBe(commands + 1);
    // the second mlx5 function is another PCI function: still there, and it works
    if (kind === 'mlx5') {
      await using other = await fwctl.open(emu.mlx5Device(1).name);
      expect((await fwctl.mlx5.queryAdapter(other)).psid).toBe(emu.MLX5.PSID);
    }
  } finally {
    fs.writeFileSync(`${drv}/bind`, pci);
    await d.close();
  }
  const after = emu.device(kind);
  await using n = await fwctl.open(after.name);
  expect((await n.info()).typeId).toBe(emu.TYPE_ID[kind]);
  if (kind === 'bnxt') expect((await fwctl.bnxt.verGet(n)).ok).toBe(true);
  if (kind === 'mlx5') expect((await fwctl.mlx5.queryAdapter(n)).psid).toBe(emu.MLX5.PSID);
  if (kind === 'pds') expect((await fwctl.pds.call(n, { ep: 1, op: 0x10001, scope: fwctl.Scope.Configuration })).retval).toBe(0);
});
