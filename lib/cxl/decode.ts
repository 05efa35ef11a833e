// The feature data of the eight CXL features Linux keeps for itself
// (cxl_exclusive_feats in drivers/cxl/core/features.c), decoded from the
// Get Feature bytes (the "readable attributes"). Layouts as
// drivers/cxl/core/edac.c declares them, field names as the CXL r3.2 tables
// those structs cite:
//
//   patrol-scrub         8.2.10.9.11.1 Table 8-222  struct cxl_scrub_rd_attrbs (4 bytes)
//   ecs                  8.2.10.9.11.2 Table 8-225  struct cxl_ecs_rd_attrbs (1 + 4 per media FRU)
//   soft-ppr, hard-ppr   8.2.10.7.2.1/2 Tables 8-128, 8-131  struct cxl_memdev_ppr_rd_attrbs (20 bytes)
//   *-sparing            8.2.10.7.2.3 Table 8-134  struct cxl_memdev_sparing_rd_attrbs (19 bytes)
//
// All little-endian. Pure functions: no device access. Where the kernel turns
// a "restriction" bit into a capability (bit set = not safe), the decoded
// object keeps the raw field and gives the kernel's derived boolean by the
// name edac.c and the EDAC sysfs ABI use. Data shorter than a layout is a
// FwctlDecodeError (lib/wire.ts); longer data is decoded up to the layout.

import { need as needBytes, view } from '../wire';

const bit = (v: number, b: number) => ((v >>> b) & 1) === 1;

/** The data as a DataView, or FwctlDecodeError (code ERR_FWCTL_DECODE) when shorter than `n`. */
function need(data: Uint8Array, n: number, what: string): DataView {
  needBytes(data, n, `${what} feature data`);
  return view(data);
}

// ---- patrol scrub ----

export interface CxlPatrolScrub {
  readonly feature: 'patrol-scrub';
  /** Patrol Scrub Control Capabilities (byte 0). */
  readonly capabilities: {
    readonly raw: number;
    /** Bit 0: the scrub cycle can be changed (CXL_SCRUB_CONTROL_CHANGEABLE). */
    readonly scrubCycleChangeable: boolean;
    /** Bit 1: the device can report scrub results in real time (CXL_SCRUB_CONTROL_REALTIME). */
    readonly realtimeReportCapable: boolean;
  };
  /** Patrol Scrub Cycle (bytes 1-2). */
  readonly scrubCycle: {
    readonly raw: number;
    /** Bits 7:0: the current patrol scrub cycle, in hours. */
    readonly currentHours: number;
    /** Bits 15:8: the minimum patrol scrub cycle the device supports, in hours. */
    readonly minimumHours: number;
  };
  /** Patrol Scrub Flags (byte 3). */
  readonly flags: {
    readonly raw: number;
    /** Bit 0: background patrol scrub is enabled. */
    readonly enabled: boolean;
  };
}

export const PATROL_SCRUB_SIZE = 4;

export function decodePatrolScrub(data: Uint8Array): CxlPatrolScrub {
  const v = need(data, PATROL_SCRUB_SIZE, 'patrol-scrub');
  const cap = v.getUint8(0);
  const cycle = v.getUint16(1, true);
  const flags = v.getUint8(3);
  return {
    feature: 'patrol-scrub',
    capabilities: { raw: cap, scrubCycleChangeable: bit(cap, 0), realtimeReportCapable: bit(cap, 1) },
    scrubCycle: { raw: cycle, currentHours: cycle & 0xff, minimumHours: cycle >>> 8 },
    flags: { raw: flags, enabled: bit(flags, 0) },
  };
}

// ---- DDR5 ECS ----

/** ECS Threshold Count per Gb of memory cells, by the 3-bit encoding (others are reserved). */
export const ECS_THRESHOLDS: Readonly<Record<number, number>> = Object.freeze({ 3: 256, 4: 1024, 5: 4096 });

export interface CxlEcsFru {
  /** The media FRU index (the N of the EDAC attribute ecs_fruN). */
  readonly fru: number;
  /** ECS Capabilities (byte 0 of the FRU's 4). */
  readonly capabilities: {
    readonly raw: number;
    /** Bit 0: ECS Realtime Report Capability. */
    readonly realtimeReportCapable: boolean;
  };
  /** ECS Configuration (bytes 1-2). */
  readonly configuration: {
    readonly raw: number;
    /** Bits 2:0: the encoding of the threshold count. */
    readonly thresholdCountEncoding: number;
    /** ECS Threshold Count per Gb of memory cells: 256, 1024 or 4096; null for a reserved encoding. */
    readonly thresholdCount: number | null;
    /** Bit 3: Codeword/Row Count Mode (0 rows, 1 codewords): the EDAC attribute `mode`. */
    readonly countMode: number;
    /** 'rows' (ECS counts rows with errors) or 'codewords' (codewords with errors). */
    readonly countModeName: 'rows' | 'codewords';
    /** Bit 4: ECS Reset Counter (a write-only action; reads back as set by the device). */
    readonly resetCounter: boolean;
  };
  /** ECS Flags (byte 3). */
  readonly flags: { readonly raw: number };
}

export interface CxlEcs {
  readonly feature: 'ecs';
  /** ECS Log Capabilities (byte 0). */
  readonly logCapabilities: {
    readonly raw: number;
    /** Bits 1:0: ECS Log Entry Type (0 per DRAM, 1 per memory media FRU): the EDAC attribute `log_entry_type`. */
    readonly logEntryType: number;
    readonly logEntryTypeName: 'per-dram' | 'per-memory-media-fru' | 'reserved';
  };
  /** One entry per media FRU: (getSize - 1) / 4 of them, as edac.c counts num_media_frus. */
  readonly frus: readonly CxlEcsFru[];
}

export const ECS_HEADER_SIZE = 1;
export const ECS_FRU_SIZE = 4;

export function decodeEcs(data: Uint8Array): CxlEcs {
  const v = need(data, ECS_HEADER_SIZE, 'ecs');
  const log = v.getUint8(0);
  const type = log & 0x3;
  const n = Math.floor((data.byteLength - ECS_HEADER_SIZE) / ECS_FRU_SIZE);
  const frus: CxlEcsFru[] = [];
  for (let i = 0; i < n; i++) {
    const at = ECS_HEADER_SIZE + i * ECS_FRU_SIZE;
    const cap = v.getUint8(at);
    const cfg = v.getUint16(at + 1, true);
    const enc = cfg & 0x7;
    const mode = (cfg >>> 3) & 1;
    frus.push({
      fru: i,
      capabilities: { raw: cap, realtimeReportCapable: bit(cap, 0) },
      configuration: {
        raw: cfg, thresholdCountEncoding: enc, thresholdCount: ECS_THRESHOLDS[enc] ?? null,
        countMode: mode, countModeName: mode ? 'codewords' : 'rows', resetCounter: bit(cfg, 4),
      },
      flags: { raw: v.getUint8(at + 3) },
    });
  }
  return {
    feature: 'ecs',
    logCapabilities: {
      raw: log, logEntryType: type,
      logEntryTypeName: type === 0 ? 'per-dram' : type === 1 ? 'per-memory-media-fru' : 'reserved',
    },
    frus,
  };
}

// ---- memory maintenance features (PPR, sparing): the common 16-byte head ----

export interface CxlMaintenanceHeader {
  /** Maximum Maintenance Operation Latency (byte 0), as the device encodes it (not interpreted here). */
  readonly maxMaintenanceOperationLatency: number;
  /** Operation Capabilities (bytes 1-2). */
  readonly operationCapabilities: {
    readonly raw: number;
    /** Bit 0: the device can initiate the maintenance operation itself. */
    readonly deviceInitiated: boolean;
  };
  /** Operation Mode (bytes 3-4). */
  readonly operationMode: {
    readonly raw: number;
    /** Bit 0: device-initiated operation is enabled. */
    readonly deviceInitiated: boolean;
  };
  /** Maintenance Operation Class (byte 5): what Perform Maintenance (0600h) is sent with. */
  readonly maintenanceOperationClass: number;
  /** Maintenance Operation Subclass (byte 6). */
  readonly maintenanceOperationSubclass: number;
}

function maintenanceHeader(v: DataView): CxlMaintenanceHeader {
  const caps = v.getUint16(1, true);
  const mode = v.getUint16(3, true);
  return {
    maxMaintenanceOperationLatency: v.getUint8(0),
    operationCapabilities: { raw: caps, deviceInitiated: bit(caps, 0) },
    operationMode: { raw: mode, deviceInitiated: bit(mode, 0) },
    maintenanceOperationClass: v.getUint8(5),
    maintenanceOperationSubclass: v.getUint8(6),
  };
}

// ---- soft and hard PPR ----

export interface CxlPpr extends CxlMaintenanceHeader {
  readonly feature: 'soft-ppr' | 'hard-ppr';
  /** sPPR / hPPR Flags (byte 16). */
  readonly pprFlags: {
    readonly raw: number;
    /** Bit 0: DPA Support Flag: the repair is addressed by DPA. */
    readonly dpaSupport: boolean;
    /** Bit 1: Nibble Support Flag: a nibble mask narrows the repair. */
    readonly nibbleSupport: boolean;
    /** Bit 2: the device can log a Memory Sparing Event Record for the repair. */
    readonly memorySparingEventRecordSupport: boolean;
    /** Bit 3: the device can initiate PPR at boot. */
    readonly deviceInitiatedAtBootCapable: boolean;
  };
  /** Restriction Flags (bytes 17-18). */
  readonly restrictionFlags: {
    readonly raw: number;
    /** Not bit 0: CXL.mem requests are served while the repair runs (edac.c media_accessible). */
    readonly mediaAccessible: boolean;
    /** Not bit 2: data is retained across the repair (edac.c data_retained). */
    readonly dataRetained: boolean;
    /** Both: the EDAC attribute repair_safe_when_in_use. */
    readonly safeWhenInUse: boolean;
  };
  /** sPPR / hPPR Operation Mode (byte 19). */
  readonly pprOperationMode: {
    readonly raw: number;
    /** Bit 0: Memory Sparing Event Record enabled. */
    readonly memorySparingEventRecordEnable: boolean;
    /** Bit 1: device-initiated PPR at boot enabled. */
    readonly deviceInitiatedAtBootEnable: boolean;
  };
}

export const PPR_SIZE = 20;

export function decodePpr(data: Uint8Array, feature: 'soft-ppr' | 'hard-ppr' = 'soft-ppr'): CxlPpr {
  const v = need(data, PPR_SIZE, feature);
  const flags = v.getUint8(16);
  const restr = v.getUint16(17, true);
  const mode = v.getUint8(19);
  const mediaAccessible = !bit(restr, 0);
  const dataRetained = !bit(restr, 2);
  return {
    feature,
    ...maintenanceHeader(v),
    pprFlags: {
      raw: flags, dpaSupport: bit(flags, 0), nibbleSupport: bit(flags, 1),
      memorySparingEventRecordSupport: bit(flags, 2), deviceInitiatedAtBootCapable: bit(flags, 3),
    },
    restrictionFlags: { raw: restr, mediaAccessible, dataRetained, safeWhenInUse: mediaAccessible && dataRetained },
    pprOperationMode: { raw: mode, memorySparingEventRecordEnable: bit(mode, 0), deviceInitiatedAtBootEnable: bit(mode, 1) },
  };
}

// ---- cacheline, row, bank and rank sparing ----

export type CxlSparingName = 'cacheline-sparing' | 'row-sparing' | 'bank-sparing' | 'rank-sparing';

export interface CxlSparing extends CxlMaintenanceHeader {
  readonly feature: CxlSparingName;
  /** Restriction Flags (bytes 17-18; byte 16 is reserved). */
  readonly restrictionFlags: {
    readonly raw: number;
    /** Not bit 0: sparing can run while the memory is in use (edac.c cap_safe_when_in_use). */
    readonly safeWhenInUse: boolean;
    /** Bit 1: hard (persistent) sparing is supported: EDAC persist_mode 1. */
    readonly hardSparingSupported: boolean;
    /** Bit 2: soft (until reset) sparing is supported: EDAC persist_mode 0. */
    readonly softSparingSupported: boolean;
  };
}

export const SPARING_SIZE = 19;

export function decodeSparing(data: Uint8Array, feature: CxlSparingName): CxlSparing {
  const v = need(data, SPARING_SIZE, feature);
  const restr = v.getUint16(17, true);
  return {
    feature,
    ...maintenanceHeader(v),
    restrictionFlags: {
      raw: restr, safeWhenInUse: !bit(restr, 0), hardSparingSupported: bit(restr, 1), softSparingSupported: bit(restr, 2),
    },
  };
}

export type CxlDecodedFeature = CxlPatrolScrub | CxlEcs | CxlPpr | CxlSparing;

/** The known features' data sizes (the least a decoder needs; ECS grows by 4 per media FRU). */
export const MIN_DATA_SIZE: Readonly<Record<string, number>> = Object.freeze({
  'patrol-scrub': PATROL_SCRUB_SIZE, ecs: ECS_HEADER_SIZE, 'soft-ppr': PPR_SIZE, 'hard-ppr': PPR_SIZE,
  'cacheline-sparing': SPARING_SIZE, 'row-sparing': SPARING_SIZE, 'bank-sparing': SPARING_SIZE, 'rank-sparing': SPARING_SIZE,
});

/** Decode by feature name ('patrol-scrub', ...); undefined for a name this module has no layout for. */
export function decodeByName(name: string, data: Uint8Array): CxlDecodedFeature | undefined {
  switch (name) {
    case 'patrol-scrub': return decodePatrolScrub(data);
    case 'ecs': return decodeEcs(data);
    case 'soft-ppr': case 'hard-ppr': return decodePpr(data, name);
    case 'cacheline-sparing': case 'row-sparing': case 'bank-sparing': case 'rank-sparing': return decodeSparing(data, name);
    default: return undefined;
  }
}

// ---- where Linux lets the features be changed: EDAC sysfs ----

export interface CxlEdacControl {
  /**
   * The EDAC attribute directory under /sys/bus/edac/devices/. For ECS and
   * the repair features its last component ends in N: one ecs_fruN per media
   * FRU; the mem_repairN whose repair_type reads `repairType`.
   */
  readonly directory: string;
  /** The writable attributes (see Documentation/ABI/testing/sysfs-edac-*). */
  readonly attributes: readonly string[];
  /** The repair_type file's text of the mem_repairN that drives this feature. */
  readonly repairType?: string;
}

export interface CxlEdacInfo {
  /** Always true for the eight known features: fwctl reads them, Set belongs to the kernel. */
  readonly readOnlyThroughFwctl: true;
  /** null when Linux has no EDAC control for the feature (hard PPR in 7.3). */
  readonly control: CxlEdacControl | null;
  readonly note: string;
}

const SPARING_ATTRS: Readonly<Record<CxlSparingName, readonly string[]>> = {
  'rank-sparing': ['persist_mode', 'dpa', 'nibble_mask', 'channel', 'rank', 'repair'],
  'bank-sparing': ['persist_mode', 'dpa', 'nibble_mask', 'channel', 'rank', 'bank_group', 'bank', 'repair'],
  'row-sparing': ['persist_mode', 'dpa', 'nibble_mask', 'channel', 'rank', 'bank_group', 'bank', 'row', 'repair'],
  'cacheline-sparing': ['persist_mode', 'dpa', 'nibble_mask', 'channel', 'rank', 'bank_group', 'bank', 'row',
    'column', 'sub_channel', 'repair'],
};

/**
 * Where a kernel-exclusive feature is changed instead of fwctl Set Feature:
 * the EDAC device drivers/cxl/core/edac.c registers for the memdev
 * (cxl_<memdev>), with the attribute names drivers/edac/{scrub,ecs,mem_repair}.c
 * create. `memdev` null gives the directory with <memdev> in it. Undefined
 * for a feature that is not one of the eight.
 */
export function edacInfo(name: string, memdev: string | null): CxlEdacInfo | undefined {
  const dev = `/sys/bus/edac/devices/cxl_${memdev ?? '<memdev>'}`;
  const ro = 'read-only through fwctl (drivers/cxl keeps Set Feature of this feature for the kernel)';
  switch (name) {
    case 'patrol-scrub':
      return { readOnlyThroughFwctl: true, note: `${ro}; the kernel's EDAC scrub control changes it (durations in seconds)`,
        control: { directory: `${dev}/scrub0`, attributes: ['enable_background', 'current_cycle_duration'] } };
    case 'ecs':
      return { readOnlyThroughFwctl: true, note: `${ro}; the kernel's EDAC ECS control changes it, one directory per media FRU`,
        control: { directory: `${dev}/ecs_fruN`, attributes: ['log_entry_type', 'mode', 'threshold', 'reset'] } };
    case 'soft-ppr':
      return { readOnlyThroughFwctl: true, note: `${ro}; the kernel's EDAC memory repair control runs it (Perform Maintenance)`,
        control: { directory: `${dev}/mem_repairN`, repairType: 'ppr', attributes: ['dpa', 'nibble_mask', 'repair'] } };
    case 'hard-ppr':
      return { readOnlyThroughFwctl: true, control: null,
        note: `${ro}; Linux 7.3 has no EDAC control for it (drivers/cxl/core/edac.c registers soft PPR only)` };
    case 'cacheline-sparing': case 'row-sparing': case 'bank-sparing': case 'rank-sparing':
      return { readOnlyThroughFwctl: true, note: `${ro}; the kernel's EDAC memory repair control runs it (Perform Maintenance)`,
        control: { directory: `${dev}/mem_repairN`, repairType: name, attributes: SPARING_ATTRS[name] } };
    default:
      return undefined;
  }
}

// ---- text ----

const yn = (b: boolean) => (b ? 'yes' : 'no');
const hex = (n: number) => `0x${n.toString(16)}`;

function maintenanceLines(d: CxlMaintenanceHeader): [string, string][] {
  return [
    ['max maintenance operation latency', hex(d.maxMaintenanceOperationLatency)],
    ['device initiated capability', yn(d.operationCapabilities.deviceInitiated)],
    ['device initiated mode', yn(d.operationMode.deviceInitiated)],
    ['maintenance operation class/subclass', `${hex(d.maintenanceOperationClass)}/${hex(d.maintenanceOperationSubclass)}`],
  ];
}

/** The decoded fields as name/value rows, in the specification's order. */
export function decodedRows(d: CxlDecodedFeature): [string, string][] {
  switch (d.feature) {
    case 'patrol-scrub':
      return [
        ['scrub cycle changeable', yn(d.capabilities.scrubCycleChangeable)],
        ['realtime report capable', yn(d.capabilities.realtimeReportCapable)],
        ['scrub cycle', `${d.scrubCycle.currentHours} h`],
        ['minimum scrub cycle', `${d.scrubCycle.minimumHours} h`],
        ['enabled', yn(d.flags.enabled)],
      ];
    case 'ecs': {
      const rows: [string, string][] = [['log entry type', `${d.logCapabilities.logEntryType} (${d.logCapabilities.logEntryTypeName})`]];
      for (const f of d.frus) {
        const c = f.configuration;
        rows.push([`fru ${f.fru}`, `mode ${c.countMode} (${c.countModeName}), threshold ` +
          `${c.thresholdCount ?? `reserved ${c.thresholdCountEncoding}`}, realtime report ${yn(f.capabilities.realtimeReportCapable)}` +
          `${c.resetCounter ? ', reset counter set' : ''}, flags ${hex(f.flags.raw)}`]);
      }
      return rows;
    }
    case 'soft-ppr': case 'hard-ppr':
      return [
        ...maintenanceLines(d),
        ['dpa support', yn(d.pprFlags.dpaSupport)],
        ['nibble support', yn(d.pprFlags.nibbleSupport)],
        ['memory sparing event record support', yn(d.pprFlags.memorySparingEventRecordSupport)],
        ['device initiated at boot capable', yn(d.pprFlags.deviceInitiatedAtBootCapable)],
        ['media accessible during repair', yn(d.restrictionFlags.mediaAccessible)],
        ['data retained', yn(d.restrictionFlags.dataRetained)],
        ['memory sparing event record enabled', yn(d.pprOperationMode.memorySparingEventRecordEnable)],
        ['device initiated at boot enabled', yn(d.pprOperationMode.deviceInitiatedAtBootEnable)],
      ];
    default:
      return [
        ...maintenanceLines(d),
        ['safe when in use', yn(d.restrictionFlags.safeWhenInUse)],
        ['hard sparing supported', yn(d.restrictionFlags.hardSparingSupported)],
        ['soft sparing supported', yn(d.restrictionFlags.softSparingSupported)],
      ];
  }
}
