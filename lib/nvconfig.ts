// NV configuration (what mlxconfig, niccli and devlink params change for the
// next boot), one API over every device type that registers items: the core
// of fwctl.config. A type adds `nvConfig` to its DeviceTypeModule
// (lib/mlx5/nvconfig.ts, lib/bnxt/nvconfig.ts); this module asks the
// registry by type id and imports no type.
//
// Scopes: every write at Scope.Configuration, every read and readback at the
// lowest scope the driver accepts (mlx5 register reads: DebugReadOnly; bnxt
// NVM_GET_VARIABLE: Configuration). Nothing here taints the kernel.

import type { DeviceLike } from './device-like';
import { deviceTypeModule, typeDisplayName } from './registry';
import { FwctlError } from './errors';

/** A value as the API takes and gives it: booleans, integers, or an enumeration's kernel name. */
export type NvValue = boolean | number | string;

/** When a value holds: the firmware's current (running) value, the one the next reset loads, the factory default. */
export type NvWhen = 'current' | 'next' | 'default';

/** One item a type knows. */
export interface NvItemSpec {
  /** The kernel's devlink parameter name where it has one (enable_sriov), else the layout's field name; raw items 'raw:...'. */
  readonly name: string;
  /** Other accepted names (mlxconfig's SRIOV_EN, NUM_OF_VFS) where the mapping is certain. */
  readonly aliases?: readonly string[];
  readonly kind: 'boolean' | 'integer' | 'enum';
  /** kind 'enum': the kernel's names, in value order where it has one. */
  readonly values?: readonly string[];
  /** kind 'integer': the inclusive range the field's width and the kernel's validate callbacks allow (a device's capability may narrow it at set time). */
  readonly min?: number;
  readonly max?: number;
  /** What a write changes: the whole adapter, this PCI function, or one port. */
  readonly appliesTo: 'adapter' | 'function' | 'port';
  /** A capability or other item the host reads but never writes. */
  readonly readOnly?: boolean;
  /** One line for `fwctl config` and the docs. */
  readonly description: string;
}

/** One item's values as read from the device. */
export interface NvReading {
  readonly name: string;
  readonly appliesTo: NvItemSpec['appliesTo'];
  /** Absent where the firmware does not give that value (bnxt has no current/next distinction: `next` only). */
  readonly current?: NvValue;
  readonly next?: NvValue;
  readonly default?: NvValue;
  /** Whether this host may write the item, where the firmware says (mlx5 MNVQC); absent when it does not say. */
  readonly writable?: boolean;
  readonly readOnly?: boolean;
}

/** One change a set makes (or a dry run would make). */
export interface NvChange {
  readonly name: string;
  /** The next-boot value before the write. */
  readonly from: NvValue | undefined;
  readonly to: NvValue;
}

/** A set's outcome per item: written at Configuration, read back, effective at the next reset. */
export interface NvSetResult extends NvChange {
  /** The value read back after the write (at the lowest read scope); equal to `to`, or the set threw. */
  readonly readBack: NvValue;
  /** Always 'next-reset': applying it (a firmware reset or reboot) is outside this package. */
  readonly takesEffect: 'next-reset';
}

export interface NvCallOptions {
  signal?: AbortSignal;
}

/** What a device type registers for NV configuration. */
export interface NvConfigHooks {
  /** The items this type names (raw items not included). */
  items(): readonly NvItemSpec[];
  /** An item by name, alias (case-insensitive for aliases) or 'raw:...' form; undefined when the type has none. */
  resolve(name: string): NvItemSpec | undefined;
  /** Read the named items (all of items() when names is absent). */
  get(dev: DeviceLike, names: readonly string[] | undefined, options: NvCallOptions): Promise<NvReading[]>;
  /**
   * Check a set without writing: names, ranges, the device's capabilities,
   * whether the host may write. Throws a typed error before any write;
   * resolves to the changes a set would make (unchanged items left out).
   */
  plan(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, options: NvCallOptions): Promise<NvChange[]>;
  /** plan(), then write each change at Configuration and read it back. */
  set(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, options: NvCallOptions): Promise<NvSetResult[]>;
  /** Back to the firmware's defaults (all when names is absent); absent where the firmware offers no reset at Configuration. */
  reset?(dev: DeviceLike, names: readonly string[] | undefined, options: NvCallOptions): Promise<NvSetResult[]>;
}

declare module './registry' {
  interface DeviceTypeModule {
    /** NV configuration items (lib/nvconfig.ts). */
    readonly nvConfig?: NvConfigHooks;
  }
}

/** The type's hooks, or ERR_FWCTL_WRONG_TYPE. */
export function nvConfigOf(dev: DeviceLike): NvConfigHooks {
  const hooks = deviceTypeModule(dev.typeId)?.nvConfig;
  if (hooks === undefined) {
    throw new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path, detail: `${dev.path}: ${typeDisplayName(dev.typeId)} devices have no NV configuration items` });
  }
  return hooks;
}
