// fwctl config <device>|--all [get [NAME...] | set NAME=VALUE... | reset [NAME...]
//   | export | apply FILE [--dry-run] | items]
//
// NV configuration (lib/nvconfig.ts) over every type that registers it: the
// next-boot values, by the kernel's names. Writes show the difference first,
// ask on a terminal, and without one write only with --yes; each says when
// it takes effect (the next firmware reset, which this tool does not do).

import * as fs from 'node:fs';
import type { Device } from '../../device';
import { list } from '../../discovery';
import { open } from '../../device';
import { config, checkDocument, hasNvConfig, TAKES_EFFECT, type NvChange, type NvConfigDocument, type NvReading, type NvSetResult, type NvValue } from '../../nvconfig';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { table } from '../format';
import { openDeviceAsync } from './open';

const SUBS = ['get', 'set', 'reset', 'export', 'apply', 'items'] as const;
type Sub = (typeof SUBS)[number];

const show = (v: NvValue | undefined): string => (v === undefined ? '-' : String(v));

/** The devices the command acts on: the one named, or with --all every device whose type has NV items. */
async function devices(spec: string | undefined, all: boolean, signal?: AbortSignal): Promise<Device[]> {
  if (!all) {
    const d = await openDeviceAsync(spec!, signal);
    await d.info({ signal }).catch(async (e: unknown) => { await d.close(); throw e; });
    return [d];
  }
  const out: Device[] = [];
  for (const e of await list()) {
    const d = await open(e.path, { signal }).catch(() => undefined);
    if (d === undefined) continue;
    const ok = await d.info({ signal }).then(() => hasNvConfig(d), () => false);
    if (ok) out.push(d);
    else await d.close();
  }
  return out;
}

function parseAssignments(dev: Device, args: readonly string[]): Record<string, NvValue> {
  if (args.length === 0) throw new UsageError('set needs NAME=VALUE (see fwctl config <device> items)');
  const values: Record<string, NvValue> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`'${a}' is not NAME=VALUE`);
    const name = a.slice(0, eq);
    const spec = config.resolve(dev, name);
    values[name] = config.parseValue(spec, a.slice(eq + 1));
  }
  return values;
}

function diffText(dev: Device, changes: readonly NvChange[]): string {
  if (changes.length === 0) return `${dev.path}: nothing to change\n`;
  return `${dev.path}: ${changes.length} change(s) of the next-boot configuration:\n`
    + table(['NAME', 'NOW (NEXT BOOT)', 'NEW'], changes.map((c) => [c.name, show(c.from), show(c.to)]));
}

/** Whether to write: --yes, else a yes on the terminal; without a terminal and --yes, a usage error (nothing written). */
async function mayWrite(values: Values, io: Io, what: string): Promise<boolean> {
  if (values.yes) return true;
  if (!io.confirm) throw new UsageError(`not written: ${what}; stdin is not a terminal, so pass --yes to write (or --dry-run to see the changes only)`);
  return io.confirm(`Write ${what}? [y/N] `);
}

interface WriteOutcome { device: string; changes: readonly NvChange[]; written: boolean; results?: readonly NvSetResult[]; takesEffect?: string }

/** Plan on every device, show every diff, ask once, then write device by device. */
async function writeAll(devs: readonly Device[], values: Values, io: Io,
  planOne: (d: Device) => Promise<readonly NvChange[]>, writeOne: (d: Device) => Promise<readonly NvSetResult[]>): Promise<number> {
  const json = !!values.json;
  const plans: { dev: Device; changes: readonly NvChange[] }[] = [];
  for (const dev of devs) plans.push({ dev, changes: await planOne(dev) });
  if (!json || !values.yes) for (const p of plans) io.stderr(diffText(p.dev, p.changes));
  const total = plans.reduce((n, p) => n + p.changes.length, 0);
  const outcomes: WriteOutcome[] = plans.map((p) => ({ device: p.dev.path, changes: p.changes, written: false }));
  if (values['dry-run'] || total === 0) {
    if (values['dry-run'] && !json) io.stderr('dry run: nothing written\n');
    if (json) io.stdout(JSON.stringify(outcomes, null, 2) + '\n');
    return Exit.Ok;
  }
  if (!(await mayWrite(values, io, `${total} change(s) on ${plans.filter((p) => p.changes.length).length} device(s)`))) {
    io.stderr('not written\n');
    return Exit.Failure;
  }
  for (const [i, p] of plans.entries()) {
    if (p.changes.length === 0) continue;
    const results = await writeOne(p.dev);
    outcomes[i] = { ...outcomes[i], written: true, results, takesEffect: 'next-reset' };
    if (!json) {
      io.stdout(table(['NAME', 'WAS', 'WRITTEN', 'READ BACK'], results.map((r) => [r.name, show(r.from), show(r.to), show(r.readBack)])));
    }
  }
  if (json) io.stdout(JSON.stringify(outcomes, null, 2) + '\n');
  else io.stderr(`written and read back; it ${TAKES_EFFECT}\n`);
  return Exit.Ok;
}

function readingRows(rs: readonly NvReading[]): string[][] {
  return rs.map((r) => [r.name, show(r.current), show(r.next), show(r.default), r.appliesTo + (r.target ? ` (${r.target})` : ''), r.readOnly ? 'read-only' : r.writable === false ? 'not writable' : '']);
}

async function run(sub: Sub, devs: readonly Device[], args: string[], values: Values, io: Io): Promise<number> {
  const json = !!values.json;
  const signal = io.signal;
  switch (sub) {
    case 'items': {
      const out = devs.map((d) => ({ device: d.path, items: config.items(d) }));
      if (json) io.stdout(JSON.stringify(out, null, 2) + '\n');
      else for (const o of out) {
        io.stdout(`${o.device}:\n` + table(['NAME', 'KIND', 'RANGE', 'APPLIES TO', 'DESCRIPTION'], o.items.map((i) => [
          [i.name, ...(i.aliases ?? [])].join(', '), i.kind + (i.readOnly ? ' (read-only)' : ''),
          i.kind === 'integer' ? `${i.min ?? 0}..${i.max ?? ''}` : i.kind === 'enum' ? (i.values ?? []).join('|') : 'true|false',
          i.appliesTo, i.description])));
      }
      return Exit.Ok;
    }
    case 'get': {
      const out: { device: string; items: NvReading[] }[] = [];
      for (const d of devs) out.push({ device: d.path, items: await config.get(d, args.length ? args : undefined, { signal }) });
      if (json) io.stdout(JSON.stringify(out, null, 2) + '\n');
      else for (const o of out) io.stdout(`${o.device}:\n` + table(['NAME', 'CURRENT', 'NEXT BOOT', 'DEFAULT', 'APPLIES TO', ''], readingRows(o.items)));
      return Exit.Ok;
    }
    case 'export': {
      if (args.length) throw new UsageError('export takes no arguments');
      const docs: NvConfigDocument[] = [];
      for (const d of devs) docs.push(await config.export(d, { signal }));
      io.stdout(JSON.stringify(values.all ? docs : docs[0], null, 2) + '\n');
      return Exit.Ok;
    }
    case 'set': {
      const perDev = new Map(devs.map((d) => [d, parseAssignments(d, args)]));
      return writeAll(devs, values, io, (d) => config.plan(d, perDev.get(d)!, { signal }), (d) => config.set(d, perDev.get(d)!, { signal }));
    }
    case 'reset': {
      const names = args.length ? args : undefined;
      // The diff: each item's factory default where the firmware gives one.
      const planOne = async (d: Device): Promise<NvChange[]> => {
        const rs = await config.get(d, names, { signal });
        return rs.filter((r) => !r.readOnly && r.default !== undefined && r.default !== r.next).map((r) => ({ name: r.name, from: r.next, to: r.default! }));
      };
      return writeAll(devs, values, io, planOne, (d) => config.reset(d, names, { signal }));
    }
    case 'apply': {
      if (args.length !== 1) throw new UsageError('usage: fwctl config <device>|--all apply FILE [--dry-run] [--yes] (FILE - reads stdin)');
      const text = args[0] === '-' ? (await io.readStdin()).toString('utf8') : fs.readFileSync(args[0], 'utf8');
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`${args[0]}: not JSON (${(e as Error).message})`);
      }
      const docs = Array.isArray(doc) ? doc : [doc];
      const fits = (d: Device, x: unknown) => { try { checkDocument(d, x); return true; } catch { return false; } };
      // the document of the device's type (an export --all is an array); checkDocument throws the reason when none fits
      const docOf = (d: Device): NvConfigDocument => checkDocument(d, docs.find((x) => fits(d, x)) ?? docs[0]);
      const chosen = new Map(devs.map((d) => [d, docOf(d)]));
      return writeAll(devs, values, io,
        async (d) => (await config.apply(d, chosen.get(d)!, { dryRun: true, signal })).changes,
        async (d) => (await config.apply(d, chosen.get(d)!, { signal })).results ?? []);
    }
  }
}

export const command: Command = {
  name: 'config',
  summary: 'NV configuration: next-boot firmware settings by the kernel\'s names (get, set, reset, export, apply)',
  help: `usage: fwctl config <device>|--all [get [NAME...]]
       fwctl config <device>|--all set NAME=VALUE... [--dry-run] [--yes]
       fwctl config <device>|--all reset [NAME...] [--dry-run] [--yes]
       fwctl config <device>|--all export
       fwctl config <device>|--all apply FILE [--dry-run] [--yes]
       fwctl config <device>|--all items

NV configuration (what mlxconfig, niccli and devlink params change) by the
kernel's devlink names (enable_sriov, msix_vec_per_pf_max, ...) and raw:...
for items the kernel does not name (bnxt raw:<option>[:<bits>]). Values:
true/false, integers (decimal or 0x), enumeration names. Reads never taint
the kernel; writes go at scope Configuration (no taint).

  get       current, next-boot and default values (bnxt keeps one stored
            value: the next boot's)
  set       check every value (names, ranges, the device's capabilities)
            before any write, show the difference, write, read back
  reset     back to the firmware's defaults, the same way
  export    the next-boot values as JSON that apply reads back
  apply     the difference between FILE (an export; - for stdin) and the
            device, then the writes; with --all, each device of the
            document's type
  items     the items and their ranges

Writing asks first when stdin is a terminal; without one it writes only
with --yes (nothing is written otherwise: exit 2). A change ${TAKES_EFFECT}.

  --all       every device whose type has NV items
  --dry-run   show the changes, write nothing
  --yes       write without asking
  --json      machine-readable output (the diff goes to stderr unless --yes)
`,
  options: { ...COMMON_OPTIONS, all: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, 'dry-run': { type: 'boolean' } },
  async run(positionals, values, io) {
    const all = !!values.all;
    const spec = all ? undefined : positionals[0];
    const rest = all ? positionals : positionals.slice(1);
    if (!all && spec === undefined) throw new UsageError('usage: fwctl config <device>|--all [get|set|reset|export|apply|items] ...');
    const sub = (rest[0] ?? 'get') as Sub;
    if (!SUBS.includes(sub)) throw new UsageError(`unknown config subcommand '${rest[0]}' (${SUBS.join(', ')})`);
    const devs = await devices(spec, all, io.signal);
    try {
      if (devs.length === 0) {
        io.stderr('no fwctl device with NV configuration items\n');
        return Exit.Failure;
      }
      return await run(sub, devs, rest.slice(1), values, io);
    } finally {
      for (const d of devs) await d.close().catch(() => undefined);
    }
  },
};
