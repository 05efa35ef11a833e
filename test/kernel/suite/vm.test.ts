// The test VM itself, as issue 10 set it up: two CPUs (ACPI), and the
// kernel's own mlx5, bnxt and pds fwctl drivers bound to the auxiliary
// devices the emulators registered under QEMU PCI functions.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as emu from '../emu/emu';

const AUX_NAME: Readonly<Record<emu.EmuKind, string>> = { mlx5: 'mlx5_core.fwctl', bnxt: 'bnxt_en.fwctl', pds: 'pds_core.fwctl' };

test('the guest has two CPUs online (async and concurrency tests run in parallel)', () => {
  expect(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim()).toBe('0-1');
  expect(os.cpus().length).toBe(2);
});

describe.each(emu.KINDS)('%s', (kind) => {
  test('a QEMU edu PCI function, bound by the emulator', () => {
    const dev = `/sys/bus/pci/devices/${emu.pciOf(kind)}`;
    expect(fs.readFileSync(`${dev}/vendor`, 'utf8').trim()).toBe('0x1234');
    expect(fs.readFileSync(`${dev}/device`, 'utf8').trim()).toBe('0x11e8');
    expect(path.basename(fs.readlinkSync(`${dev}/driver`))).toBe(`fwctl_emu_${kind}`);
  });

  test('its auxiliary device, named as the core driver names it, is bound by the kernel\'s fwctl driver', () => {
    const aux = fs.readdirSync('/sys/bus/auxiliary/devices').filter((d) => d.startsWith(`${AUX_NAME[kind]}.`));
    expect(aux).toHaveLength(1);
    const real = fs.realpathSync(`/sys/bus/auxiliary/devices/${aux[0]}`);
    expect(path.dirname(real)).toBe(fs.realpathSync(`/sys/bus/pci/devices/${emu.pciOf(kind)}`));
    // auxiliary driver names are "<module>.<driver>"
    expect(path.basename(fs.readlinkSync(`${real}/driver`))).toBe(`${emu.DRIVER_MODULE[kind]}.${kind}_fwctl`);
    // the driver module links against the emulator's exports (mlx5_cmd_do, bnxt_send_msg, pds_client_adminq_cmd)
    expect(fs.readFileSync('/proc/modules', 'utf8')).toMatch(new RegExp(`^fwctl_emu_${kind} \\d+ \\d+ ${emu.DRIVER_MODULE[kind]},`, 'm'));
    // the fwctl device's class directory hangs off that auxiliary device's PCI parent
    expect(fs.realpathSync(`/sys/class/fwctl/${emu.device(kind).name}/device`)).toBe(path.dirname(real));
  });
});
