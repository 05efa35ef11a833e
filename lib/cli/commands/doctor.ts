// fwctl doctor [<device>] [--json]: why this host has (or has no) usable fwctl
// device, and what to do (lib/doctor.ts). Reads sysfs, procfs and /dev only:
// no open(), no RPC. Exit 0 when this process can use a device, 1 when not.

import { diagnose, formatDiagnosis } from '../../doctor';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';

export const command: Command = {
  name: 'doctor',
  summary: 'say why there is no usable fwctl device, and what to do (no open, no RPC)',
  help: `usage: fwctl doctor [<device>] [--json]

Checks the kernel (fwctl available, its config, char major, taint bit 19,
lockdown), the devices that could carry fwctl (auxiliary devices, PCI
functions, CXL memdevs) and why one has none, access to each node, and
whether the addon loads. One line per finding: ok, info, warn or error, with
the next step. Never opens a device and never sends an RPC.

<device> narrows it to one device: fwctlN, a path, a PCI address, a parent,
auxiliary device or memdev name.

  --json   the Diagnosis object fwctl.diagnose() returns (findings have stable codes)

Exit status: 0 when at least one device is usable (this process can open it
read-write), 1 when none is, 2 on a usage error.
`,
  options: COMMON_OPTIONS,
  async run(positionals, values, io) {
    if (positionals.length > 1) throw new UsageError(`doctor takes at most one <device>, got ${positionals.join(' ')}`);
    const d = diagnose(positionals.length ? { device: positionals[0] } : {});
    io.stdout(values.json ? JSON.stringify(d, null, 2) + '\n' : formatDiagnosis(d));
    return d.usable ? Exit.Ok : Exit.Failure;
  },
};
