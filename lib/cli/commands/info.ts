// fwctl info <device>: FWCTL_INFO, described by the device type's module
// where the type is known (lib/registry.ts, describeInfo).

import type { DeviceInfo } from '../../decode';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { deviceTypeModule } from '../../registry';
import { fields, hexdump, toHex } from '../format';
import { openDeviceAsync } from './open';

export function infoJson(path: string, info: DeviceInfo): object {
  return { path, type: info.type, typeId: info.typeId, data: toHex(info.data), decoded: info.decoded };
}

export function infoText(path: string, info: DeviceInfo): string {
  const pairs: [string, string][] = [
    ['device', path],
    ['type', `${info.type} (${info.typeId})`],
    ['data', `${info.data.length} bytes`],
  ];
  pairs.push(...(deviceTypeModule(info.typeId)?.describeInfo?.(info.decoded, info.data) ?? []));
  return fields(pairs) + (info.data.length > 0 ? hexdump(info.data) : '');
}

export const command: Command = {
  name: 'info',
  summary: 'show a device\'s type and device data (FWCTL_INFO)',
  help: `usage: fwctl info <device> [--json]

<device> is fwctlN, a path, or a PCI address / parent / net, InfiniBand or
CXL memdev name of the device it belongs to.

  --json   { path, type, typeId, data (hex), decoded }
`,
  options: COMMON_OPTIONS,
  async run(positionals, values, io) {
    if (positionals.length !== 1) throw new UsageError('info takes exactly one <device>');
    const dev = await openDeviceAsync(positionals[0], io.signal);
    try {
      const info = await dev.info({ signal: io.signal });
      io.stdout(values.json ? JSON.stringify(infoJson(dev.path, info), null, 2) + '\n' : infoText(dev.path, info));
    } finally {
      await dev.close();
    }
    return Exit.Ok;
  },
};
