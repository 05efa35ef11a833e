// fwctl cxl <features|get-feature|set-feature>: CXL Features (lib/cxl.ts).

import { readFileSync } from 'node:fs';
import * as cxl from '../../cxl';
import { SCOPE_NAMES, type Scope } from '../../uapi/constants';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { hexdump, parseHex, table, toHex } from '../format';
import { parseScope } from './rpc';
import { openDeviceAsync } from './open';

const kebab = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
const scopeName = (s: Scope | null) => (s === null ? '-' : kebab(SCOPE_NAMES[s]));

function flagNames(f: cxl.CxlFeatureFlags): string {
  const n = [f.changeable && 'changeable', f.defaultSelection && 'default-sel', f.savedSelection && 'saved-sel',
    f.persistsAcrossFirmwareUpdate && 'persist-fw-update'].filter(Boolean);
  return `0x${f.raw.toString(16)}${n.length ? ` (${n.join(',')})` : ''}`;
}

function effectNames(e: cxl.CxlFeatureEffects): string {
  const n = Object.entries(cxl.CxlEffect).filter(([, b]) => e.raw & b).map(([k]) => kebab(k));
  if (e.reserved) n.push(`reserved 0x${e.reserved.toString(16)}`);
  return `0x${e.raw.toString(16)}${n.length ? ` (${n.join(',')})` : ''}`;
}

export function featuresText(feats: readonly cxl.CxlFeature[]): string {
  if (feats.length === 0) return 'no features\n';
  return table(['UUID', 'NAME', 'ID', 'GET', 'SET', 'VER', 'FLAGS', 'EFFECTS', 'SET SCOPE'],
    feats.map((f) => [f.uuid, f.name ?? '-', String(f.id), String(f.getSize), String(f.setSize),
      `${f.getVersion}/${f.setVersion}`, flagNames(f.flags), effectNames(f.effects),
      f.requiredScope === null ? `- (${f.notSettableReason})` : scopeName(f.requiredScope)]));
}

function u16Arg(v: Values[string], what: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^(0x[0-9a-f]+|\d+)$/i.test(v) || Number(v) < min || Number(v) > 0xffff) {
    throw new UsageError(`${what} must be an integer from ${min} to 65535, got '${String(v)}'`);
  }
  return Number(v);
}

function selectionArg(v: Values[string]): cxl.CxlSelection {
  if (v === undefined) return 'current';
  if (v !== 'current' && v !== 'default' && v !== 'saved') {
    throw new UsageError(`--selection must be current, default or saved, got '${String(v)}'`);
  }
  return v;
}

function uuidArg(v: string | undefined): string {
  if (v === undefined) throw new UsageError('a feature <uuid> is required');
  try {
    return cxl.uuidString(cxl.uuidBytes(v));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function dataArg(values: Values, io: Io): Promise<Buffer> {
  const hasIn = typeof values.in === 'string';
  const hasHex = typeof values.hex === 'string';
  if (hasIn === hasHex) throw new UsageError('give the feature data with exactly one of --hex HEX or --in FILE|-');
  if (hasHex) {
    try {
      return parseHex(values.hex as string);
    } catch (e) {
      throw new UsageError(`--hex: ${(e as Error).message}`);
    }
  }
  return values.in === '-' ? io.readStdin() : readFileSync(values.in as string);
}

const SUBCOMMANDS = ['features', 'get-feature', 'set-feature'] as const;

export const command: Command = {
  name: 'cxl',
  summary: 'CXL Features: list, get and set (Get Supported / Get / Set Feature)',
  help: `usage: fwctl cxl features <device> [--json]
       fwctl cxl get-feature <device> <uuid> [--selection current|default|saved]
                             [--offset N] [--length N] [--json]
       fwctl cxl set-feature <device> <uuid> (--hex HEX | --in FILE|-)
                             [--offset N] [--scope S] [--allow-kernel-taint] [--json]

<device> is fwctlN, a path, or the CXL memdev name (mem0) it belongs to.

features       the device's features (Get Supported Features) with flags, effects
               and the scope a Set needs (- when it cannot be set through fwctl)
get-feature    the feature's data as a hex dump (--json: { uuid, selection, offset,
               length, data (hex) }); --length defaults to the rest of the feature
set-feature    write the feature's data at the scope its effects require:
               debug-write (change after reset) or debug-write-full (immediate;
               needs CAP_SYS_RAWIO). Both taint the kernel: --allow-kernel-taint.
               --scope overrides the scope (the driver answers EINVAL when too low).

A mailbox failure exits 1 with code ECXLMBOX and the CXL return code's name.
`,
  options: {
    ...COMMON_OPTIONS,
    selection: { type: 'string' },
    offset: { type: 'string' },
    length: { type: 'string' },
    hex: { type: 'string' },
    in: { type: 'string' },
    scope: { type: 'string' },
    'allow-kernel-taint': { type: 'boolean' },
  },
  async run(positionals, values, io) {
    const [sub, device, uuidText, ...extra] = positionals;
    if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(`cxl needs a subcommand: ${SUBCOMMANDS.join(', ')}`);
    }
    if (device === undefined) throw new UsageError(`cxl ${sub} needs a <device>`);
    const json = values.json === true;
    if (sub === 'features') {
      if (uuidText !== undefined) throw new UsageError('cxl features takes exactly one <device>');
      const dev = await openDeviceAsync(device, io.signal);
      try {
        const feats = await cxl.getSupportedFeatures(dev, { signal: io.signal });
        io.stdout(json ? JSON.stringify({ device: dev.path, features: feats }, null, 2) + '\n' : featuresText(feats));
      } finally {
        await dev.close();
      }
      return Exit.Ok;
    }
    if (extra.length) throw new UsageError(`cxl ${sub} takes <device> <uuid>`);
    const uuid = uuidArg(uuidText);
    const offset = u16Arg(values.offset, '--offset');
    if (sub === 'get-feature') {
      const selection = selectionArg(values.selection);
      const length = u16Arg(values.length, '--length', 1);
      const dev = await openDeviceAsync(device, io.signal);
      try {
        const data = await cxl.getFeature(dev, uuid, { selection, offset, length, signal: io.signal });
        io.stdout(json
          ? JSON.stringify({ device: dev.path, uuid, selection, offset: offset ?? 0, length: data.length, data: toHex(data) }) + '\n'
          : hexdump(data));
      } finally {
        await dev.close();
      }
      return Exit.Ok;
    }
    const data = await dataArg(values, io);
    const scope = values.scope === undefined ? undefined : parseScope(values.scope as string);
    const dev = await openDeviceAsync(device, io.signal);
    try {
      await cxl.setFeature(dev, uuid, data, {
        offset, scope, allowKernelTaint: values['allow-kernel-taint'] === true, signal: io.signal,
      });
      io.stdout(json ? JSON.stringify({ device: dev.path, uuid, offset: offset ?? 0, written: data.length }) + '\n'
        : `wrote ${data.length} bytes to feature ${uuid}\n`);
    } finally {
      await dev.close();
    }
    return Exit.Ok;
  },
};
