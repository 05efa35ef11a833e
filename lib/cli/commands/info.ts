// fwctl info <device>: FWCTL_INFO, decoded where the type is known.

import type { DeviceInfo } from '../../decode';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { fields, hexdump, toHex } from '../format';
import { openDevice } from './open';

export function infoJson(path: string, info: DeviceInfo): object {
  return { path, type: info.type, typeId: info.typeId, data: toHex(info.data), decoded: info.decoded };
}

export function infoText(path: string, info: DeviceInfo): string {
  const pairs: [string, string][] = [
    ['device', path],
    ['type', `${info.type} (${info.typeId})`],
    ['data', `${info.data.length} bytes`],
  ];
  if (info.decoded) {
    for (const [k, v] of Object.entries(info.decoded)) {
      pairs.push([k, k === 'uid' ? String(v) : `0x${(v as number).toString(16)}`]);
    }
  }
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
    const dev = openDevice(positionals[0]);
    try {
      const info = dev.infoSync();
      io.stdout(values.json ? JSON.stringify(infoJson(dev.path, info), null, 2) + '\n' : infoText(dev.path, info));
    } finally {
      dev.closeSync();
    }
    return Exit.Ok;
  },
};
