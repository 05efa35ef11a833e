// fwctl cxl <features|get-feature|set-feature>: CXL Features (lib/cxl.ts).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as cxl from '../../cxl';
import type { DeviceLike } from '../../device-like';
import { list, sysfsRootOf } from '../../discovery';
import { SCOPE_NAMES, type Scope } from '../../uapi/constants';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { codeText, fields, hexdump, parseHex, table, toHex } from '../format';
import { parseScope } from './rpc';
import { openDeviceAsync } from './open';
import { throwIfAborted } from '../../errors';

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

// ---- the kernel-known features: decoded values and where Linux changes them ----

/** The EDAC control of a kernel-known feature, with its directory found in sysfs when it is there. */
export interface EdacView {
  readOnlyThroughFwctl: true;
  note: string;
  /** The attribute directory (mem_repairN resolved by its repair_type when sysfs has it); null: none in Linux. */
  directory: string | null;
  attributes: string[];
  /** The directory exists (the kernel registered the EDAC control for this memdev). */
  present: boolean;
}

function edacView(uuid: string, memdev: string | null): EdacView | undefined {
  const info = cxl.featureEdacInfo(uuid, memdev);
  if (!info) return undefined;
  const c = info.control;
  if (!c) return { readOnlyThroughFwctl: true, note: info.note, directory: null, attributes: [], present: false };
  const root = sysfsRootOf();
  let dir = root + c.directory.slice('/sys'.length);
  let present = memdev !== null && existsSync(dir);
  if (memdev !== null && /(mem_repair|ecs_fru)N$/.test(dir)) {
    const parent = path.dirname(dir);
    const stem = path.basename(dir).slice(0, -1);
    let found: string[] = [];
    try {
      found = readdirSync(parent).filter((n) => n.startsWith(stem) && /^\d+$/.test(n.slice(stem.length))).sort();
    } catch { /* no EDAC device for this memdev */ }
    if (c.repairType !== undefined) {
      const hit = found.find((n) => {
        try {
          return readFileSync(path.join(parent, n, 'repair_type'), 'utf8').trim() === c.repairType;
        } catch {
          return false;
        }
      });
      if (hit) [dir, present] = [path.join(parent, hit), true];
    } else if (found.length) {
      present = true; // ecs_fruN: one per media FRU
    }
  }
  return { readOnlyThroughFwctl: true, note: info.note, directory: dir, attributes: [...c.attributes], present };
}

/** The fwctl device's CXL memdev (mem0), from sysfs; null when it cannot be told. */
async function memdevOf(dev: DeviceLike): Promise<string | null> {
  try {
    const all = await list();
    const e = all.find((x) => x.path === dev.path) ?? all.find((x) => x.name === path.basename(dev.path));
    return e?.parent?.cxlMemdev ?? null;
  } catch {
    return null;
  }
}

/** A kernel-known feature's current value: its data (hex) and named fields, or why it could not be read. */
interface KnownValue {
  data?: string;
  decoded?: cxl.CxlDecodedFeature | null;
  readError?: { code: string; message: string };
}

async function knownValue(dev: DeviceLike, f: cxl.CxlFeature, signal: AbortSignal | undefined): Promise<KnownValue> {
  try {
    const d = await cxl.getFeature(dev, f.uuid, { feature: f, signal });
    return { data: toHex(d), decoded: d.decoded };
  } catch (e) {
    throwIfAborted(signal);
    const err = e as { code?: unknown; message?: unknown };
    return { readError: { code: typeof err.code === 'string' ? err.code : 'ERROR', message: String(err.message ?? e) } };
  }
}

function edacText(e: EdacView): string {
  if (e.directory === null) return `  ${e.note}\n`;
  const where = `${e.directory}/{${e.attributes.join(',')}}`;
  return `  ${e.note}:\n  ${where}${e.present ? '' : ' (not registered for this memdev)'}\n`;
}

/** The decoded block of one kernel-known feature, for the text output. */
export function knownText(f: { name?: string; uuid: string }, v: KnownValue, e: EdacView | undefined): string {
  let out = `\n${f.name} (${f.uuid})\n`;
  if (v.readError) out += `  value: ${codeText(v.readError.code, v.readError.message)}\n`;
  else if (v.decoded) out += fields(cxl.decodedRows(v.decoded).map(([k, x]) => [`  ${k}`, x]));
  else if (v.data !== undefined) out += `  value: ${v.data} (shorter than its layout: not decoded)\n`;
  if (e) out += edacText(e);
  return out;
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
               and the scope a Set needs (- when it cannot be set through fwctl);
               each kernel-known feature (patrol scrub, ECS, PPR, sparing) read
               and decoded by field name, with the EDAC sysfs attributes under
               /sys/bus/edac/devices/ that change it (it is read-only through fwctl)
get-feature    the feature's data as a hex dump, decoded for a kernel-known feature
               (--json: { uuid, name, selection, offset, length, data (hex),
               decoded, edac }); --length defaults to the rest of the feature
set-feature    write the feature's data at the scope its effects require:
               debug-write (change after reset) or debug-write-full (immediate;
               needs CAP_SYS_RAWIO). Both taint the kernel: --allow-kernel-taint.
               --scope overrides the scope (the driver answers EINVAL when too low).

A mailbox failure exits 1 with code ERR_FWCTL_CXL_MAILBOX and the CXL return code's name.
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
        const memdev = await memdevOf(dev);
        const known = new Map<string, KnownValue & { edac: EdacView | undefined }>();
        for (const f of feats) {
          if (f.name !== undefined) known.set(f.uuid, { ...await knownValue(dev, f, io.signal), edac: edacView(f.uuid, memdev) });
        }
        if (json) {
          io.stdout(JSON.stringify({
            device: dev.path, memdev,
            features: feats.map((f) => ({ ...f, ...known.get(f.uuid) })),
          }, null, 2) + '\n');
        } else {
          let out = featuresText(feats);
          for (const f of feats) {
            const k = known.get(f.uuid);
            if (k) out += knownText(f, k, k.edac);
          }
          io.stdout(out);
        }
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
        const name = cxl.featureName(uuid);
        const edac = name === undefined ? undefined : edacView(uuid, await memdevOf(dev));
        if (json) {
          io.stdout(JSON.stringify({
            device: dev.path, uuid, ...(name !== undefined ? { name } : {}), selection, offset: offset ?? 0,
            length: data.length, data: toHex(data), decoded: data.decoded, ...(edac ? { edac } : {}),
          }) + '\n');
        } else {
          io.stdout(hexdump(data) + (name === undefined ? ''
            : knownText({ name, uuid }, { data: toHex(data), decoded: data.decoded }, edac)));
        }
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
