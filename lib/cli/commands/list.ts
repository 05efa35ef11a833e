// fwctl list: the devices, from sysfs only (no open(), no native addon).

import { listSync, type FwctlDeviceEntry } from '../../discovery';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { table } from '../format';

export function listRows(entries: readonly FwctlDeviceEntry[]): string[][] {
  return entries.map((e) => {
    const p = e.parent;
    const classDevices = p ? [...p.net, ...p.infiniband, ...(p.cxlMemdev ? [p.cxlMemdev] : [])] : [];
    return [
      e.name,
      e.path,
      `${e.major}:${e.minor}`,
      p?.name ?? '-',
      p?.subsystem ?? '-',
      p?.driver ?? '-',
      p?.pciAddress ?? '-',
      classDevices.join(',') || '-',
    ];
  });
}

/** What `fwctl list` says on stderr when it finds no device. */
export const NO_DEVICE_HINT = 'no fwctl devices found; run `fwctl doctor` to see why\n';

export const LIST_HEADER = ['NAME', 'PATH', 'DEV', 'PARENT', 'SUBSYSTEM', 'DRIVER', 'PCI', 'CLASS-DEVICES'];

export const command: Command = {
  name: 'list',
  summary: 'list fwctl devices and what they belong to (reads sysfs; needs no privileges)',
  help: `usage: fwctl list [--json]

Lists /sys/class/fwctl in numeric order: device node, major:minor, the parent
device (PCI function, CXL memdev, ...), its subsystem and driver, PCI address,
and class devices of the parent (net interfaces, InfiniBand devices, CXL memdev).

  --json   one JSON array, the same objects fwctl.list() returns
`,
  options: COMMON_OPTIONS,
  async run(positionals, values, io) {
    if (positionals.length > 0) throw new UsageError(`list takes no arguments, got ${positionals.join(' ')}`);
    const entries = listSync();
    // The hint goes to stderr with and without --json: stdout stays the JSON.
    if (entries.length === 0) io.stderr(NO_DEVICE_HINT);
    if (values.json) {
      io.stdout(JSON.stringify(entries, null, 2) + '\n');
    } else if (entries.length > 0) {
      io.stdout(table(LIST_HEADER, listRows(entries)));
    }
    return Exit.Ok;
  },
};
