// fwctl.inventory(): one record per fwctl device with the firmware facts its
// type gives at the least-privileged scope, and a Prometheus textfile
// formatter. Read-only: no query here can taint the kernel. A device that
// refuses (EACCES, EPERM, ENODEV, a firmware or decode error) gets `error` in
// its record; only listing itself can make inventory() reject.

import * as bnxt from './bnxt';
import * as cxl from './cxl';
import { open, type Device } from './device';
import { list, type FwctlDeviceEntry, type Roots } from './discovery';
import { MIN_DATA_SIZE } from './cxl/decode';
import { FwctlDecodeError } from './wire';
import * as mlx5 from './mlx5';
import { throwIfAborted } from './errors';

export interface InventoryRecord {
  name: string;
  path: string;
  parent: { name: string; subsystem: string | null; pciAddress: string | null } | null;
  driver: string | null;
  /** null when FWCTL_INFO was not reached (see error). */
  type: { name: string; id: number } | null;
  /** bnxt HWRM_VER_GET (scope DebugReadOnly). */
  bnxt?: {
    interfaceVersion: string; firmwareVersion: string; firmwareName: string; managementVersion: string;
    netctrlVersion: string; roceVersion: string; activePackage: string; chipNum: number; chipRev: number;
    /** The NVM package version (PKG_LOG, as bnxt_en reads it; Linux 7.3 DMA commands). */
    packageVersion?: string;
    /** PORT_QSTATS totals of port 0 (decimal strings: 64-bit counters). */
    portStats?: { txFrames: string; rxFrames: string; txBytes: string; rxBytes: string; txErrors: string; rxErrors: string; txDiscards: string; rxDiscards: string };
    /** A fact above that could not be read (ERR_FWCTL_BNXT_NO_DMA before Linux 7.3, a firmware error). */
    factErrors?: { name: string; code: string; message: string }[];
  };
  /**
   * mlx5 QUERY_ADAPTER (scope Configuration), then mlx5.facts() (registers at
   * DebugReadOnly): firmware versions (MCQS/MCQI), temperatures (MTCAP/MTMP),
   * the transceiver module of each port (PMLP/MCIA).
   */
  mlx5?: {
    ieeeVendorId: number; vsdVendorId: number; vsd: string; psid: string;
    firmware?: { running: mlx5.FirmwareVersion; pending?: mlx5.FirmwareVersion };
    temperatures?: mlx5.Temperature[];
    modules?: mlx5.ModuleIdentity[];
    /** A fact above (or one port's module) that could not be read: firmware, temperatures, modules, module <port>. */
    factErrors?: { name: string; code: string; message: string }[];
  };
  /** CXL Get Supported Features, and Get Feature of patrol scrub and ECS when listed (scope Configuration). */
  cxl?: {
    featureCount: number; features: { uuid: string; name: string | null }[];
    /** Patrol scrub (cxl.decodePatrolScrub): cycle and minimum cycle in hours. */
    patrolScrub?: { cycleHours: number; minCycleHours: number; enabled: boolean; cycleChangeable: boolean };
    /** DDR5 ECS per media FRU (cxl.decodeEcs): mode 0 counts rows, 1 codewords; threshold per Gb (null: reserved). */
    ecs?: { logEntryType: number; frus: { fru: number; mode: number; modeName: string; threshold: number | null }[] };
    /** A listed feature whose Get Feature failed. */
    featureErrors?: { name: string; code: string; message: string }[];
  };
  /** Why there are no firmware facts for this type (pds, unknown types). */
  note?: string;
  error: { code: string; message: string } | null;
}

/** bnxt facts that need the 7.3 DMA commands; each failure is recorded, not thrown. */
async function bnxtDmaFacts(dev: Device, b: NonNullable<InventoryRecord['bnxt']>, signal: AbortSignal | undefined): Promise<void> {
  const errors: { name: string; code: string; message: string }[] = [];
  try {
    const v = await bnxt.packageVersion(dev, { signal });
    if (v !== undefined) b.packageVersion = v;
  } catch (e) {
    errors.push({ name: 'packageVersion', ...errorOf(e) });
  }
  try {
    const t = bnxt.portTotals(await bnxt.portStats(dev, { signal }));
    b.portStats = Object.fromEntries(Object.entries(t).map(([k, x]) => [k, x.toString()])) as NonNullable<typeof b.portStats>;
  } catch (e) {
    errors.push({ name: 'portStats', ...errorOf(e) });
  }
  if (errors.length) b.factErrors = errors;
}

function errorOf(e: unknown): { code: string; message: string } {
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : 'ERROR', message: typeof err?.message === 'string' ? err.message : String(e) };
}

export interface InventoryOptions extends Roots {
  /** Give up: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

async function facts(dev: Device, rec: InventoryRecord, signal: AbortSignal | undefined): Promise<void> {
  const info = await dev.info({ signal });
  rec.type = { name: info.type, id: info.typeId };
  switch (info.type) {
    case 'bnxt': {
      const v = await bnxt.verGet(dev, { signal });
      const s = (x: number[]) => x.join('.');
      rec.bnxt = {
        interfaceVersion: s(v.interfaceVersion), firmwareVersion: s(v.firmwareVersion), firmwareName: v.firmwareName,
        managementVersion: s(v.managementVersion), netctrlVersion: s(v.netctrlVersion), roceVersion: s(v.roceVersion),
        activePackage: v.activePackage, chipNum: v.chipNum, chipRev: v.chipRev,
      };
      await bnxtDmaFacts(dev, rec.bnxt, signal);
      break;
    }
    case 'mlx5': {
      const a = await mlx5.queryAdapter(dev, { signal });
      rec.mlx5 = { ieeeVendorId: a.ieeeVendorId, vsdVendorId: a.vsdVendorId, vsd: a.vsd, psid: a.psid };
      await mlx5Facts(dev, rec.mlx5, signal);
      break;
    }
    case 'cxl': {
      const f = await cxl.getSupportedFeatures(dev, { signal });
      rec.cxl = { featureCount: f.length, features: f.map((x) => ({ uuid: x.uuid, name: x.name ?? null })) };
      await cxlRas(dev, f, rec.cxl, signal);
      break;
    }
    case 'pds':
      rec.note = 'pds: no firmware facts beyond FWCTL_INFO (its queries need a device-specific route)';
      break;
    default:
      rec.note = `type ${info.typeId} is not known to this package: FWCTL_INFO only`;
  }
}

/** mlx5.facts() into the record; each failure is recorded, not thrown. */
async function mlx5Facts(dev: Device, m: NonNullable<InventoryRecord['mlx5']>, signal: AbortSignal | undefined): Promise<void> {
  const errors: { name: string; code: string; message: string }[] = [];
  try {
    const f = await mlx5.facts(dev, { signal });
    if ('error' in f.firmware) errors.push({ name: 'firmware', ...f.firmware.error });
    else m.firmware = f.firmware;
    if ('error' in f.temperatures) errors.push({ name: 'temperatures', ...f.temperatures.error });
    else m.temperatures = f.temperatures;
    if ('error' in f.modules) errors.push({ name: 'modules', ...f.modules.error });
    else {
      m.modules = [];
      for (const x of f.modules) {
        if ('error' in x) errors.push({ name: `module ${x.localPort}`, ...x.error });
        else m.modules.push(x);
      }
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    errors.push({ name: 'facts', ...errorOf(e) });
  }
  if (errors.length) m.factErrors = errors;
}

/** Patrol scrub cycle and ECS mode, when the device lists them: a failure is recorded, not thrown. */
async function cxlRas(dev: Device, feats: cxl.CxlFeature[], out: NonNullable<InventoryRecord['cxl']>,
  signal: AbortSignal | undefined): Promise<void> {
  for (const f of feats) {
    if (f.uuid !== cxl.CxlFeatureUuid.PatrolScrub && f.uuid !== cxl.CxlFeatureUuid.Ecs) continue;
    try {
      const d = (await cxl.getFeature(dev, f.uuid, { feature: f, signal })).decoded;
      if (d?.feature === 'patrol-scrub') {
        out.patrolScrub = {
          cycleHours: d.scrubCycle.currentHours, minCycleHours: d.scrubCycle.minimumHours,
          enabled: d.flags.enabled, cycleChangeable: d.capabilities.scrubCycleChangeable,
        };
      } else if (d?.feature === 'ecs') {
        out.ecs = {
          logEntryType: d.logCapabilities.logEntryType,
          frus: d.frus.map((x) => ({
            fru: x.fru, mode: x.configuration.countMode, modeName: x.configuration.countModeName,
            threshold: x.configuration.thresholdCount,
          })),
        };
      } else {
        throw new FwctlDecodeError(`${f.name} data`, MIN_DATA_SIZE[f.name ?? ''] ?? f.getSize, f.getSize, `${f.getSize}-byte ${f.name} data is shorter than its layout`);
      }
    } catch (e) {
      throwIfAborted(signal);
      (out.featureErrors ??= []).push({ name: f.name ?? f.uuid, ...errorOf(e) });
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
    await facts(dev, rec, options.signal);
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

const HELP: Readonly<Record<string, string>> = {
  fwctl_device_info: 'A fwctl device: its type, parent and driver.',
  fwctl_firmware_version_info: 'A firmware version a fwctl device reported.',
  fwctl_mlx5_adapter_info: 'mlx5 QUERY_ADAPTER identity: PSID, VSD and vendor ids.',
  fwctl_mlx5_firmware_info: 'mlx5 firmware versions (MCQS/MCQI boot image): running, and pending activation ("" if none).',
  fwctl_mlx5_temperature_celsius: 'mlx5 temperature per sensor (MTCAP sensor map, MTMP), degrees Celsius.',
  fwctl_mlx5_temperature_max_celsius: 'mlx5 highest temperature recorded per sensor (MTMP max_temperature), degrees Celsius.',
  fwctl_mlx5_module_info: 'mlx5 transceiver module per port (PMLP, MCIA page 0): SFF-8024 type, vendor, part and serial number.',
  fwctl_cxl_features: 'CXL features the device supports (Get Supported Features).',
  fwctl_cxl_patrol_scrub_cycle_seconds: 'CXL patrol scrub cycle of the memdev, in seconds (Get Feature, patrol scrub: whole hours).',
  fwctl_cxl_patrol_scrub_min_cycle_seconds: 'CXL minimum patrol scrub cycle the memdev supports, in seconds (whole hours).',
  fwctl_cxl_patrol_scrub_enabled: 'CXL background patrol scrub enabled (1) or not (0).',
  fwctl_cxl_ecs_mode: 'CXL DDR5 ECS count mode per media FRU: 0 counts rows with errors, 1 codewords.',
  fwctl_cxl_ecs_threshold: 'CXL DDR5 ECS threshold count per Gb of memory cells, per media FRU.',
  fwctl_bnxt_port_frames_total: 'bnxt port 0 frames (PORT_QSTATS tx_total_frames / rx_total_frames).',
  fwctl_bnxt_port_bytes_total: 'bnxt port 0 bytes (PORT_QSTATS tx_bytes / rx_bytes).',
  fwctl_bnxt_port_errors_total: 'bnxt port 0 errors (PORT_QSTATS tx_err / rx_stat_err).',
  fwctl_bnxt_port_discards_total: 'bnxt port 0 discards (PORT_QSTATS tx_stat_discard / rx_stat_discard).',
  fwctl_query_error: 'A fwctl device that refused a query (open, FWCTL_INFO or the firmware query).',
};

/** The records as Prometheus text: each metric's # HELP and # TYPE once, then its samples. */
export function toPrometheus(records: readonly InventoryRecord[]): string {
  const samples = new Map<string, string[]>(Object.keys(HELP).map((k) => [k, []]));
  const add = (metric: string, labels: Record<string, string>, value: number) => {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    samples.get(metric)!.push(`${metric}{${l}} ${value}`);
  };
  for (const r of records) {
    const device = r.name;
    add('fwctl_device_info', {
      device, type: r.type?.name ?? 'unknown', parent: r.parent?.name ?? '', driver: r.driver ?? '',
    }, 1);
    if (r.bnxt) {
      const b = r.bnxt;
      for (const [component, version, name] of [
        ['interface', b.interfaceVersion, ''], ['firmware', b.firmwareVersion, b.firmwareName],
        ['management', b.managementVersion, ''], ['netctrl', b.netctrlVersion, ''], ['roce', b.roceVersion, ''],
      ]) add('fwctl_firmware_version_info', { device, component, version, name }, 1);
      if (b.packageVersion) add('fwctl_firmware_version_info', { device, component: 'package', version: b.packageVersion, name: '' }, 1);
      const p = b.portStats;
      if (p) {
        for (const [metric, tx, rx] of [['frames', p.txFrames, p.rxFrames], ['bytes', p.txBytes, p.rxBytes],
          ['errors', p.txErrors, p.rxErrors], ['discards', p.txDiscards, p.rxDiscards]]) {
          add(`fwctl_bnxt_port_${metric}_total`, { device, direction: 'tx' }, Number(tx));
          add(`fwctl_bnxt_port_${metric}_total`, { device, direction: 'rx' }, Number(rx));
        }
      }
    }
    if (r.mlx5) {
      const hex = (n: number, d: number) => `0x${n.toString(16).padStart(d, '0')}`;
      add('fwctl_mlx5_adapter_info', {
        device, psid: r.mlx5.psid, vsd: r.mlx5.vsd, ieee_vendor_id: hex(r.mlx5.ieeeVendorId, 6), vsd_vendor_id: hex(r.mlx5.vsdVendorId, 4),
      }, 1);
      const pci = r.parent?.pciAddress ?? '';
      const fw = r.mlx5.firmware;
      if (fw) add('fwctl_mlx5_firmware_info', { device, pci, psid: r.mlx5.psid, running: fw.running.version, pending: fw.pending?.version ?? '' }, 1);
      for (const t of r.mlx5.temperatures ?? []) {
        add('fwctl_mlx5_temperature_celsius', { device, pci, sensor: String(t.sensor), name: t.name }, t.celsius);
        add('fwctl_mlx5_temperature_max_celsius', { device, pci, sensor: String(t.sensor), name: t.name }, t.maxCelsius);
      }
      for (const mod of r.mlx5.modules ?? []) {
        add('fwctl_mlx5_module_info', {
          device, pci, port: String(mod.localPort), module: String(mod.module), type: mod.type,
          vendor: mod.vendor ?? '', part_number: mod.partNumber ?? '', serial_number: mod.serialNumber ?? '',
        }, 1);
      }
    }
    if (r.cxl) add('fwctl_cxl_features', { device }, r.cxl.featureCount);
    const memdev = r.parent?.subsystem === 'cxl' ? r.parent.name : '';
    if (r.cxl?.patrolScrub) {
      const p = r.cxl.patrolScrub;
      // Prometheus' base unit (promtool check metrics refuses hours); the record keeps hours.
      add('fwctl_cxl_patrol_scrub_cycle_seconds', { device, memdev }, p.cycleHours * 3600);
      add('fwctl_cxl_patrol_scrub_min_cycle_seconds', { device, memdev }, p.minCycleHours * 3600);
      add('fwctl_cxl_patrol_scrub_enabled', { device, memdev }, p.enabled ? 1 : 0);
    }
    for (const f of r.cxl?.ecs?.frus ?? []) {
      add('fwctl_cxl_ecs_mode', { device, memdev, fru: String(f.fru) }, f.mode);
      if (f.threshold !== null) add('fwctl_cxl_ecs_threshold', { device, memdev, fru: String(f.fru) }, f.threshold);
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
