// Opening the <device> argument of a command.

import { open, openSync, type Device } from '../../device';
import { FwctlError } from '../../errors';
import { resolveDeviceArg } from '../resolve';

function target(spec: string): string {
  const t = resolveDeviceArg(spec);
  if (t === undefined) {
    throw new FwctlError({ code: 'ERR_FWCTL_NO_DEVICE', detail: `no fwctl device matches '${spec}' (see fwctl list)` });
  }
  return t;
}

export function openDevice(spec: string): Device {
  return openSync(target(spec));
}

/** Opened on the addon's pool (mlx5 runs a firmware command at open), abortable by --timeout. */
export function openDeviceAsync(spec: string, signal?: AbortSignal): Promise<Device> {
  return open(target(spec), { signal });
}
