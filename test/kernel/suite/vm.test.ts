// The test VM itself, as issue 10 set it up: two CPUs (ACPI), and the
// kernel's own mlx5, bnxt and pds fwctl drivers bound to the auxiliary
// devices the emulators registered under QEMU PCI functions (mlx5: two).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';

const AUX_NAME: Readonly<Record<emu.EmuKind, string>> = { mlx5: 'mlx5_core.fwctl', bnxt: 'bnxt_en.fwctl', pds: 'pds_core.fwctl' };

test('the guest has two CPUs online (async and concurrency tests run in parallel)', () => {
  expect(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim()).toBe('0-1');
  expect(os.cpus().length).toBe(2);
});

test('four emulated functions: mlx5 at 0000:00:10.0 and 0000:00:13.0, bnxt, pds', () => {
  expect(emu.pcisOf('mlx5')).toEqual(['0000:00:10.0', '0000:00:13.0']);
  expect(emu.KINDS.flatMap((k) => emu.pcisOf(k))).toHaveLength(emu.DEVICES);
  expect(emu.DEVICES).toBe(4);
});

describe.each(emu.KINDS)('%s', (kind) => {
  test('QEMU edu PCI functions, bound by the emulator', () => {
    for (const pci of emu.pcisOf(kind)) {
      const dev = `/sys/bus/pci/devices/${pci}`;
      expect(fs.readFileSync(`${dev}/vendor`, 'utf8').trim()).toBe('0x1234');
      expect(fs.readFileSync(`${dev}/device`, 'utf8').trim()).toBe('0x11e8');
      expect(path.basename(fs.readlinkSync(`${dev}/driver`))).toBe(`fwctl_emu_${kind}`);
    }
  });

  test('one auxiliary device per function, named as the core driver names it, bound by the kernel\'s fwctl driver', () => {
    const aux = fs.readdirSync('/sys/bus/auxiliary/devices').filter((d) => d.startsWith(`${AUX_NAME[kind]}.`));
    expect(aux).toHaveLength(emu.FUNCTIONS[kind]);
    const reals = aux.map((a) => fs.realpathSync(`/sys/bus/auxiliary/devices/${a}`));
    expect(reals.map((r) => path.dirname(r)).sort()).toEqual(emu.pcisOf(kind).map((pci) => fs.realpathSync(`/sys/bus/pci/devices/${pci}`)).sort());
    // the driver module links against the emulator's exports (mlx5_cmd_do, bnxt_send_msg, pds_client_adminq_cmd)
    expect(fs.readFileSync('/proc/modules', 'utf8')).toMatch(new RegExp(`^fwctl_emu_${kind} \\d+ \\d+ ${emu.DRIVER_MODULE[kind]},`, 'm'));
    for (const real of reals) {
      // auxiliary driver names are "<module>.<driver>"
      expect(path.basename(fs.readlinkSync(`${real}/driver`))).toBe(`${emu.DRIVER_MODULE[kind]}.${kind}_fwctl`);
      // the fwctl device's class directory hangs off that auxiliary device's PCI parent
      const pci = path.basename(path.dirname(real));
      expect(fs.realpathSync(`/sys/class/fwctl/${fwctl.findSync({ pci })!.name}/device`)).toBe(path.dirname(real));
    }
    expect(fs.realpathSync(`/sys/class/fwctl/${emu.device(kind).name}/device`)).toBe(fs.realpathSync(`/sys/bus/pci/devices/${emu.pciOf(kind)}`));
  });
});
