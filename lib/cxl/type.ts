// CXL as a device type (FWCTL_DEVICE_TYPE_CXL): what the core, the
// transcripts and the inventory ask of it (lib/registry.ts). CXL has no
// device_data (no info op) and no pointer fields. lib/cxl/features.ts is
// loaded on first use.

import type { DeviceLike } from '../device-like';
import { throwIfAborted } from '../errors';
import { errorOf, registerDeviceType, type DeviceTypeModule } from '../registry';
import { CxlOpcode, DeviceTypeId } from '../uapi/constants';
import { fwctlRpcCxl, fwctlRpcCxlOut } from '../uapi/structs';
import { FwctlDecodeError } from '../wire';
import { MIN_DATA_SIZE } from './decode';
import type { CxlFeature } from './features';
import { cxlOpcodeName } from './opcodes';

/** inventory(): Get Supported Features, and Get Feature of patrol scrub and ECS when listed (scope Configuration). */
export interface CxlInventoryFacts {
  featureCount: number; features: { uuid: string; name: string | null }[];
  /** Patrol scrub (cxl.decodePatrolScrub): cycle and minimum cycle in hours. */
  patrolScrub?: { cycleHours: number; minCycleHours: number; enabled: boolean; cycleChangeable: boolean };
  /** DDR5 ECS per media FRU (cxl.decodeEcs): mode 0 counts rows, 1 codewords; threshold per Gb (null: reserved). */
  ecs?: { logEntryType: number; frus: { fru: number; mode: number; modeName: string; threshold: number | null }[] };
  /** A listed feature whose Get Feature failed. */
  featureErrors?: { name: string; code: string; message: string }[];
}

declare module '../decode' {
  interface DeviceDataMap {
    /** No device_data: the CXL driver has no info op. */
    cxl: never;
  }
}

declare module '../inventory' {
  interface InventoryRecord {
    /** CXL Get Supported Features, and Get Feature of patrol scrub and ECS when listed (scope Configuration). */
    cxl?: CxlInventoryFacts;
  }
}

const features = () => require('./features') as typeof import('./features');
const OPCODE_AT = fwctlRpcCxl.fields.opcode.offset;
const RETVAL_AT = fwctlRpcCxlOut.fields.retval.offset;

/** Patrol scrub cycle and ECS mode, when the device lists them: a failure is recorded, not thrown. */
async function cxlRas(dev: DeviceLike, feats: CxlFeature[], out: CxlInventoryFacts, signal: AbortSignal | undefined): Promise<void> {
  const cxl = features();
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

export const cxlType: DeviceTypeModule<never> = {
  id: DeviceTypeId.Cxl,
  name: 'cxl',
  commandOf(request) {
    const op = request.byteLength >= OPCODE_AT + 4 ? Buffer.from(request.buffer, request.byteOffset, request.byteLength).readUInt32LE(OPCODE_AT) : -1;
    return { name: `CXL ${cxlOpcodeName(op)}`, write: op === CxlOpcode.SetFeature };
  },
  firmwareStatus(response) {
    if (response.length < RETVAL_AT + 4) return '';
    const rv = response.readUInt32LE(RETVAL_AT);
    return rv === 0 ? 'retval SUCCESS' : `retval ${rv}`;
  },
  inventory: {
    async facts(dev, rec, signal) {
      const f = await features().getSupportedFeatures(dev, { signal });
      const c: CxlInventoryFacts = { featureCount: f.length, features: f.map((x) => ({ uuid: x.uuid, name: x.name ?? null })) };
      rec.cxl = c;
      await cxlRas(dev, f, c, signal);
    },
    families: {
      fwctl_cxl_features: 'CXL features the device supports (Get Supported Features).',
      fwctl_cxl_patrol_scrub_cycle_seconds: 'CXL patrol scrub cycle of the memdev, in seconds (Get Feature, patrol scrub: whole hours).',
      fwctl_cxl_patrol_scrub_min_cycle_seconds: 'CXL minimum patrol scrub cycle the memdev supports, in seconds (whole hours).',
      fwctl_cxl_patrol_scrub_enabled: 'CXL background patrol scrub enabled (1) or not (0).',
      fwctl_cxl_ecs_mode: 'CXL DDR5 ECS count mode per media FRU: 0 counts rows with errors, 1 codewords.',
      fwctl_cxl_ecs_threshold: 'CXL DDR5 ECS threshold count per Gb of memory cells, per media FRU.',
    },
    samples(r, add) {
      const c = r.cxl;
      if (!c) return;
      const device = r.name;
      add('fwctl_cxl_features', { device }, c.featureCount);
      const memdev = r.parent?.subsystem === 'cxl' ? r.parent.name : '';
      if (c.patrolScrub) {
        const p = c.patrolScrub;
        // Prometheus' base unit (promtool check metrics refuses hours); the record keeps hours.
        add('fwctl_cxl_patrol_scrub_cycle_seconds', { device, memdev }, p.cycleHours * 3600);
        add('fwctl_cxl_patrol_scrub_min_cycle_seconds', { device, memdev }, p.minCycleHours * 3600);
        add('fwctl_cxl_patrol_scrub_enabled', { device, memdev }, p.enabled ? 1 : 0);
      }
      for (const f of c.ecs?.frus ?? []) {
        add('fwctl_cxl_ecs_mode', { device, memdev, fru: String(f.fru) }, f.mode);
        if (f.threshold !== null) add('fwctl_cxl_ecs_threshold', { device, memdev, fru: String(f.fru) }, f.threshold);
      }
    },
    summary(r) {
      const c = r.cxl;
      if (!c) return undefined;
      const names = c.features.map((f) => f.name ?? f.uuid);
      const ps = c.patrolScrub;
      const modes = [...new Set(c.ecs?.frus.map((f) => f.modeName) ?? [])];
      return `${c.featureCount} feature${c.featureCount === 1 ? '' : 's'}${names.length ? `: ${names.join(', ')}` : ''}` +
        (ps ? `; patrol scrub ${ps.cycleHours} h (${ps.enabled ? 'enabled' : 'disabled'})` : '') +
        (modes.length ? `; ecs counts ${modes.join('/')}` : '');
    },
  },
  errorCodes: ['ERR_FWCTL_CXL_RESPONSE', 'ERR_FWCTL_CXL_MAILBOX', 'ERR_FWCTL_CXL_NO_FEATURE', 'ERR_FWCTL_CXL_NOT_SETTABLE'],
  host: {
    // A CXL memdev (PCI class 0x0502), any vendor; no auxiliary device: the fwctl device hangs off memN.
    pciClasses: [0x0502],
    coreDrivers: ['cxl_pci'],
    busDevices: { bus: 'cxl', name: '^mem\\d+$' },
    modules: ['cxl_pci', 'cxl_core', 'cxl_mem'],
    kconfig: ['FWCTL', 'CXL_BUS', 'CXL_PCI', 'CXL_FEATURES'],
    kconfigDepends: { CXL_PCI: ['CXL_BUS'], CXL_FEATURES: ['CXL_PCI'] },
    kconfigDriver: 'CXL_FEATURES',
    kconfigDriverBool: true,
    noDeviceReason: 'the memdev\'s mailbox lacks Features support (feat_cap below read-only) or lists no user-accessible feature: cxl/core/features.c registers no fwctl device then (built into cxl_core: no module to load)',
  },
  firmwareUpdate: {
    via: 'sysfs',
    why: 'CXL firmware is updated through the kernel\'s fw_upload interface, not fwctl: write the image to /sys/bus/cxl/devices/memX/firmware/memX/data '
      + 'with loading set to 1 then 0, and read status, error and remaining_size there (drivers/cxl/core/memdev.c: Transfer/Activate FW)',
  },
};

registerDeviceType(cxlType);
