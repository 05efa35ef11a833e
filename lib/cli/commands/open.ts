// Opening the <device> argument of a command.

import { openSync, type Device } from '../../device';
import { FwctlError } from '../../errors';
import { resolveDeviceArg } from '../resolve';

export function openDevice(spec: string): Device {
  const target = resolveDeviceArg(spec);
  if (target === undefined) {
    throw new FwctlError({ code: 'ENOENT', detail: `no fwctl device matches '${spec}' (see fwctl list)` });
  }
  return openSync(target);
}
