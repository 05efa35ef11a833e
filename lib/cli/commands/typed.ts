// Shared plumbing for the per-type commands (fwctl mlx5|pds|bnxt <sub> <device>).

import type { DeviceLike } from '../../device-like';
import { FwctlError } from '../../errors';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Options, type Values } from '../command';
import { openDeviceAsync } from './open';

export interface Output {
  json: unknown;
  text: string;
}

export interface Sub {
  /** ' <device> [--max]' etc., for the usage line. */
  readonly args: string;
  readonly summary: string;
  /** Extra positionals after <device>. */
  readonly extra?: number;
  /** May be async; `signal` comes from --timeout. */
  run(dev: DeviceLike, extra: string[], values: Values, signal?: AbortSignal): Output | Promise<Output>;
}

/** One `fwctl <type>` command with subcommands; the device's type is checked first. */
export function typedCommand(type: 'mlx5' | 'pds' | 'bnxt', subs: Readonly<Record<string, Sub>>, options: Options,
  notes: string): Command {
  const lines = Object.entries(subs).map(([n, s]) => `  fwctl ${type} ${n} <device>${s.args} [--json]\n      ${s.summary}`);
  return {
    name: type,
    summary: `${type} typed commands: ${Object.keys(subs).join(', ')}`,
    help: `usage:\n${lines.join('\n')}\n\n<device> is fwctlN, a path, or a PCI address / parent / net or InfiniBand name.\n${notes}`,
    options: { ...COMMON_OPTIONS, ...options },
    async run(positionals: string[], values: Values, io: Io) {
      const [name, device, ...extra] = positionals;
      const sub = name === undefined ? undefined : Object.hasOwn(subs, name) ? subs[name] : undefined;
      if (!sub) throw new UsageError(`${type}: give one of ${Object.keys(subs).join(', ')}`);
      if (device === undefined || extra.length !== (sub.extra ?? 0)) throw new UsageError(`usage: fwctl ${type} ${name} <device>${sub.args}`);
      const dev = await openDeviceAsync(device, io.signal);
      try {
        const info = await dev.info({ signal: io.signal });
        if (info.type !== type) {
          throw wrongType(dev.path, info, type);
        }
        const out = await sub.run(dev, extra, values, io.signal);
        io.stdout(values.json ? JSON.stringify(out.json, null, 2) + '\n' : out.text);
      } finally {
        await dev.close();
      }
      return Exit.Ok;
    },
  };
}

/**
 * A device of another type than the command needs. The command line was well
 * formed, so this is a failure (exit 1, ERR_FWCTL_WRONG_TYPE), not a usage error.
 */
export function wrongType(path: string, info: { type: string; typeId: number }, type: string): FwctlError {
  return new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path,
    detail: `${path} is a ${info.type} device (type ${info.typeId}), not ${type} (fwctl list shows each device's driver)` });
}

/** Buffers as hex in JSON. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    return v;
  }));
}

export function u(n: number, digits = 0): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}
