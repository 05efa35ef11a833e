// fwctl.inventory(): one record per fwctl device with the firmware facts its
// type gives at the least-privileged scope, and a Prometheus textfile
// formatter. Read-only: no query here can taint the kernel. A device that
// refuses (EACCES, EPERM, ENODEV, a firmware or decode error) gets `error` in
// its record; only listing itself can make inventory() reject. Each device
// type reads its own facts and emits its own metric families (its module's
// `inventory` hooks, lib/registry.ts): this module knows no type.

import { open, type Device } from './device';
import { list, type FwctlDeviceEntry, type Roots } from './discovery';
import { internalError, throwIfAborted } from './errors';
import type { DeviceLike } from './device-like';
import { deviceTypeModule, deviceTypeModules, errorOf } from './registry';
import type { NvReading } from './nvconfig';

/** A device type's part of inventory() and of the Prometheus textfile (its module's `inventory`). */
export interface InventoryHooks {
  /**
   * Read this type's firmware facts (least-privileged scope: never taint)
   * into `record` (its own key, or `note`). A failure of the first query
   * rejects (the record gets `error`); later facts record their own failures.
   */
  facts(dev: DeviceLike, record: InventoryRecord, signal: AbortSignal | undefined): Promise<void>;
  /** The metric families it emits (name -> # HELP text), in output order. */
  readonly families?: Readonly<Record<string, string>>;
  /** The samples of one record: `add` takes a family of the core's or its own. */
  samples?(record: InventoryRecord, add: (metric: string, labels: Record<string, string>, value: number) => void): void;
  /** `fwctl inventory`'s one-line firmware summary of a record, or undefined without this type's facts. */
  summary?(record: InventoryRecord): string | undefined;
}

declare module './registry' {
  interface DeviceTypeModule<D = unknown> {
    /** inventory() and its Prometheus families (lib/inventory.ts). */
    readonly inventory?: InventoryHooks;
  }
}

export interface InventoryRecord {
  name: string;
  path: string;
  parent: { name: string; subsystem: string | null; pciAddress: string | null } | null;
  driver: string | null;
  /** null when FWCTL_INFO was not reached (see error). */
  type: { name: string; id: number } | null;
  // Each device type adds its own key (bnxt?, mlx5?, cxl?: declare module '../inventory' in lib/<type>/type.ts).
  /** Why there are no firmware facts for this type (pds, unknown types). */
  note?: string;
  error: { code: string; message: string } | null;
  /**
   * The type's named boolean and integer NV configuration items (lib/nvconfig.ts),
   * current and next-boot values as the firmware gives them, read at the
   * lowest scope; a failure is recorded in `error`. Absent for types without NV items.
   */
  nvConfig?: { items: NvReading[]; error?: { code: string; message: string } };
}

export interface InventoryOptions extends Roots {
  /** Give up: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Also read each device's named boolean and integer NV configuration items (`nvConfig`; more firmware calls per device). */
  nvConfig?: boolean;
}

async function facts(dev: Device, rec: InventoryRecord, signal: AbortSignal | undefined, withNv: boolean): Promise<void> {
  const info = await dev.info({ signal });
  rec.type = { name: info.type, id: info.typeId };
  const hooks = deviceTypeModule(info.typeId)?.inventory;
  if (hooks) await hooks.facts(dev, rec, signal);
  else rec.note = `type ${info.typeId} is not known to this package: FWCTL_INFO only`;
  const nv = deviceTypeModule(info.typeId)?.nvConfig;
  if (nv && withNv) {
    // NV configuration through the type's hooks (reads only, lowest scope); a failure is recorded.
    const names = nv.items().filter((i) => i.kind === 'boolean' || i.kind === 'integer').map((i) => i.name);
    try {
      rec.nvConfig = { items: await nv.get(dev, names, { signal }) };
    } catch (e) {
      rec.nvConfig = { items: [], error: errorOf(e) };
    }
  }
}

async function record(e: FwctlDeviceEntry, options: InventoryOptions): Promise<InventoryRecord> {
  const p = e.parent;
  const rec: InventoryRecord = {
    name: e.name, path: e.path,
    parent: p ? { name: p.name, subsystem: p.subsystem, pciAddress: p.pciAddress } : null,
    driver: p?.driver ?? null, type: null, error: null,
  };
  let dev: Device | undefined;
  try {
    dev = await open(e.name, options);
    await facts(dev, rec, options.signal, options.nvConfig === true);
  } catch (err) {
    rec.error = errorOf(err);
  } finally {
    await dev?.close().catch(() => undefined);
  }
  return rec;
}

/**
 * One record per fwctl device, in list() order. Per-device failures are in
 * `record.error`; the promise rejects only if listing fails.
 */
export async function inventory(options: InventoryOptions = {}): Promise<InventoryRecord[]> {
  const out: InventoryRecord[] = [];
  for (const e of await list(options)) {
    throwIfAborted(options.signal); // an aborted inventory stops, rather than recording every device as failed
    out.push(await record(e, options));
  }
  return out;
}

// ---- Prometheus (node_exporter textfile collector) ----

/** A label value escaped per the exposition format: \\, \" and \n. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The families of every type: the core's, then each registered type's, then the query errors. */
function families(): Readonly<Record<string, string>> {
  return {
    fwctl_device_info: 'A fwctl device: its type, parent and driver.',
    fwctl_firmware_version_info: 'A firmware version a fwctl device reported.',
    ...Object.assign({}, ...deviceTypeModules().map((m) => m.inventory?.families ?? {})),
    fwctl_nv_config: 'A named NV configuration item of a fwctl device (booleans as 0/1): its current value and the one the next firmware reset loads.',
    fwctl_query_error: 'A fwctl device that refused a query (open, FWCTL_INFO or the firmware query).',
  };
}

/** The records as Prometheus text: each metric's # HELP and # TYPE once, then its samples. */
export function toPrometheus(records: readonly InventoryRecord[]): string {
  const HELP = families();
  const samples = new Map<string, string[]>(Object.keys(HELP).map((k) => [k, []]));
  const add = (metric: string, labels: Record<string, string>, value: number) => {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    const list = samples.get(metric);
    if (list === undefined) throw internalError(`metric ${metric} is not a declared family`);
    list.push(`${metric}{${l}} ${value}`);
  };
  for (const r of records) {
    const device = r.name;
    add('fwctl_device_info', {
      device, type: r.type?.name ?? 'unknown', parent: r.parent?.name ?? '', driver: r.driver ?? '',
    }, 1);
    for (const m of deviceTypeModules()) m.inventory?.samples?.(r, add);
    for (const it of r.nvConfig?.items ?? []) {
      for (const when of ['current', 'next'] as const) {
        const v = it[when];
        if (typeof v === 'boolean' || typeof v === 'number') add('fwctl_nv_config', { device, name: it.name, when }, Number(v));
      }
    }
    if (r.error) add('fwctl_query_error', { device, code: r.error.code }, 1);
  }
  let out = '';
  for (const [metric, lines] of samples) {
    if (lines.length === 0) continue;
    out += `# HELP ${metric} ${HELP[metric]}\n# TYPE ${metric} ${metric.endsWith('_total') ? 'counter' : 'gauge'}\n${lines.join('\n')}\n`;
  }
  return out;
}
