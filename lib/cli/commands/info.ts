// fwctl info <device>: FWCTL_INFO, decoded where the type is known.

import type { DeviceInfo } from '../../decode';
import { COMMON_OPTIONS, Exit, UsageError, type Command } from '../command';
import { BnxtCap, MLX5_UCTX_CAP_TOOLS_RESOURCES } from '../../uapi/constants';
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
  if (info.type === 'mlx5' && info.decoded) {
    const c = info.decoded.uctxCaps;
    pairs.push(['uid', String(info.decoded.uid)]);
    pairs.push(['uctxCaps', `0x${c.toString(16)}${c & MLX5_UCTX_CAP_TOOLS_RESOURCES ? ' (TOOLS_RESOURCES)' : ''}`]);
  } else if (info.type === 'bnxt' && info.decoded) {
    const c = info.decoded.uctxCaps;
    const names = Object.entries(BnxtCap).filter(([, bit]) => c & (1 << bit)).map(([n]) => n.toUpperCase());
    pairs.push(['uctxCaps', `0x${c.toString(16)}${names.length ? ` (${names.join(', ')})` : ''}`]);
  } else if (info.type === 'pds' && info.decoded) {
    pairs.push(['uctxCaps', `0x${info.decoded.uctxCaps.toString(16)}`]);
  } else if (info.type === 'pds') {
    pairs.push(['uctxCaps', 'not reported (the pds driver returns no device_data)']);
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
