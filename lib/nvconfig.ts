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
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from './errors';

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
  /** Which function or port the value is this host's for (bnxt: 'fid 2' for a per-function option); absent for adapter-wide items. */
  readonly target?: string;
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

// ---- errors ----

/** What an NV-configuration call refused or what the firmware did (codes ERR_FWCTL_NV_*). */
export type NvErrorCode = 'ERR_FWCTL_NV_UNKNOWN_ITEM' | 'ERR_FWCTL_NV_REFUSED' | 'ERR_FWCTL_NV_WRITE_FAILED' | 'ERR_FWCTL_NV_READBACK' | 'ERR_FWCTL_NV_NO_RESET';

/**
 * ERR_FWCTL_NV_UNKNOWN_ITEM: a name the type does not know (`known` lists its names);
 * ERR_FWCTL_NV_REFUSED: refused before any write (read-only item, a capability the device lacks, the host may not write);
 * ERR_FWCTL_NV_WRITE_FAILED: the firmware refused the write (`cause`: the type's firmware error);
 * ERR_FWCTL_NV_READBACK: the value read back is not the one written;
 * ERR_FWCTL_NV_NO_RESET: the type offers no reset at Configuration.
 */
export class NvConfigError extends FwctlError {
  declare readonly code: NvErrorCode;
  /** The item the error is about, when one. */
  readonly item?: string;
  /** ERR_FWCTL_NV_UNKNOWN_ITEM: the names the type knows. */
  readonly known?: readonly string[];
  constructor(code: NvErrorCode, detail: string, extra: { path?: string; item?: string; known?: readonly string[]; cause?: unknown } = {}) {
    super({ code, detail, path: extra.path, cause: extra.cause });
    this.name = 'NvConfigError';
    if (extra.item !== undefined) this.item = extra.item;
    if (extra.known !== undefined) this.known = extra.known;
  }
}

// ---- values ----

/** A value as the CLI gives it: true/false, decimal or 0x integers, an enumeration's name. */
export function parseNvValue(spec: NvItemSpec, text: string): NvValue {
  const t = text.trim();
  if (spec.kind === 'boolean') {
    if (/^(true|1)$/i.test(t)) return true;
    if (/^(false|0)$/i.test(t)) return false;
    throw new FwctlTypeError(`${spec.name}: ${show(text)} is not a boolean (true or false)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (spec.kind === 'enum') {
    const v = spec.values?.find((x) => x.toLowerCase() === t.toLowerCase());
    if (v !== undefined) return v;
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t) && spec.values?.[Number(t)] !== undefined) return spec.values[Number(t)];
    throw new FwctlTypeError(`${spec.name}: ${show(text)} is not one of ${(spec.values ?? []).join(', ')}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new FwctlTypeError(`${spec.name}: ${show(text)} is not an integer (decimal or 0x hex)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new FwctlRangeError(`${spec.name}: ${text} is larger than a safe integer`);
  return n;
}

/**
 * A value checked against its item's kind, range and enumeration (the
 * generic part of every type's plan(); the type adds its device checks).
 * Throws FwctlTypeError (wrong kind, unknown enum name), FwctlRangeError
 * (outside min..max) or NvConfigError ERR_FWCTL_NV_REFUSED (read-only).
 */
export function checkNvValue(spec: NvItemSpec, value: NvValue, path?: string): NvValue {
  if (spec.readOnly) throw new NvConfigError('ERR_FWCTL_NV_REFUSED', `${spec.name} is read-only (${spec.description}): refused before any write`, { path, item: spec.name });
  if (spec.kind === 'boolean') {
    if (typeof value !== 'boolean') throw new FwctlTypeError(`${spec.name} takes a boolean, got ${show(value)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    return value;
  }
  if (spec.kind === 'enum') {
    const v = typeof value === 'string' ? spec.values?.find((x) => x.toLowerCase() === value.toLowerCase()) : undefined;
    if (v === undefined) throw new FwctlTypeError(`${spec.name} takes one of ${(spec.values ?? []).join(', ')}, got ${show(value)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    return v;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new FwctlTypeError(`${spec.name} takes an integer, got ${show(value)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const lo = spec.min ?? 0;
  const hi = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (value < lo || value > hi) throw new FwctlRangeError(`${spec.name} must be ${lo}..${hi}, got ${value}: refused before any write`);
  return value;
}

// ---- the API (fwctl.config) ----

/** An item of the device's type by name, alias or raw form; ERR_FWCTL_NV_UNKNOWN_ITEM naming the known items otherwise. */
export function resolve(dev: DeviceLike, name: string): NvItemSpec {
  return resolveAll(dev, nvConfigOf(dev), [name])[0];
}

function resolveAll(dev: DeviceLike, hooks: NvConfigHooks, names: readonly string[]): NvItemSpec[] {
  return names.map((n) => {
    if (typeof n !== 'string') throw new FwctlTypeError(`an item name must be a string, got ${show(n)}`);
    const spec = hooks.resolve(n);
    if (spec === undefined) {
      const known = hooks.items().map((i) => i.name);
      throw new NvConfigError('ERR_FWCTL_NV_UNKNOWN_ITEM', `${dev.path}: ${typeDisplayName(dev.typeId)} has no NV item ${show(n)}; known: ${known.join(', ')} (and raw items, see fwctl config items)`,
        { path: dev.path, item: n, known });
    }
    return spec;
  });
}

function canonical(dev: DeviceLike, hooks: NvConfigHooks, values: Readonly<Record<string, NvValue>>): Record<string, NvValue> {
  if (values === null || typeof values !== 'object') throw new FwctlTypeError(`values must be an object of name: value, got ${show(values)}`);
  const out: Record<string, NvValue> = {};
  for (const [k, v] of Object.entries(values)) {
    const [spec] = resolveAll(dev, hooks, [k]);
    if (spec.name in out) throw new FwctlTypeError(`${k} and another name both set ${spec.name}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    out[spec.name] = checkNvValue(spec, v, dev.path);
  }
  return out;
}

/** The items a device's type names (raw items not included). */
export function items(dev: DeviceLike): readonly NvItemSpec[] {
  return nvConfigOf(dev).items();
}

/** Read the named items (every item of items() when names is absent), at the lowest scope the driver reads them. */
export async function get(dev: DeviceLike, names?: readonly string[], options: NvCallOptions = {}): Promise<NvReading[]> {
  const hooks = nvConfigOf(dev);
  const n = names === undefined ? undefined : resolveAll(dev, hooks, names).map((s) => s.name);
  return hooks.get(dev, n, options);
}

/** A dry run: the changes set() would make (unchanged items left out), every check made, nothing written. */
export async function plan(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, options: NvCallOptions = {}): Promise<NvChange[]> {
  const hooks = nvConfigOf(dev);
  return hooks.plan(dev, canonical(dev, hooks, values), options);
}

/**
 * Write next-boot values at Configuration and read each back. Every value is
 * checked before the first write; the results say each takes effect at the
 * next reset (a firmware reset or reboot, which this package does not do).
 */
export async function set(dev: DeviceLike, values: Readonly<Record<string, NvValue>>, options: NvCallOptions = {}): Promise<NvSetResult[]> {
  const hooks = nvConfigOf(dev);
  return hooks.set(dev, canonical(dev, hooks, values), options);
}

/** Back to the firmware's defaults (every item when names is absent); ERR_FWCTL_NV_NO_RESET where the type offers none. */
export async function reset(dev: DeviceLike, names?: readonly string[], options: NvCallOptions = {}): Promise<NvSetResult[]> {
  const hooks = nvConfigOf(dev);
  if (hooks.reset === undefined) {
    throw new NvConfigError('ERR_FWCTL_NV_NO_RESET', `${dev.path}: ${typeDisplayName(dev.typeId)} offers no reset to defaults at Configuration; set the values instead`, { path: dev.path });
  }
  const n = names === undefined ? undefined : resolveAll(dev, hooks, names).map((s) => s.name);
  return hooks.reset(dev, n, options);
}

/** What export() writes and apply() reads. */
export interface NvConfigDocument {
  /** The document's format version: 1. */
  readonly fwctlNvConfig: 1;
  /** The device type's name ('bnxt', 'mlx5'): apply() refuses a document of another type. */
  readonly type: string;
  /** Where it was read, for people (apply() does not check it). */
  readonly device?: string;
  /** Next-boot values of every writable item, by name. */
  readonly values: Readonly<Record<string, NvValue>>;
}

/** The next-boot values of every writable named item, as a document apply() reads back. */
export async function exportConfig(dev: DeviceLike, options: NvCallOptions = {}): Promise<NvConfigDocument> {
  const hooks = nvConfigOf(dev);
  const writable = hooks.items().filter((i) => !i.readOnly).map((i) => i.name);
  const values: Record<string, NvValue> = {};
  for (const r of await hooks.get(dev, writable, options)) if (r.next !== undefined && r.writable !== false) values[r.name] = r.next;
  return { fwctlNvConfig: 1, type: typeDisplayName(dev.typeId), device: dev.path, values };
}

export interface NvApplyOptions extends NvCallOptions {
  /** Plan only: the diff, nothing written. */
  dryRun?: boolean;
}

export interface NvApplyResult {
  /** What differs between the device's next-boot values and the document (what a write changes). */
  readonly changes: readonly NvChange[];
  readonly dryRun: boolean;
  /** The writes, read back (absent on a dry run). */
  readonly results?: readonly NvSetResult[];
}

/** Check a document (format, type, names, values) and throw a typed error, before anything is read or written. */
export function checkDocument(dev: DeviceLike, doc: unknown): NvConfigDocument {
  const d = doc as Partial<NvConfigDocument> | null;
  if (d === null || typeof d !== 'object' || d.fwctlNvConfig !== 1 || typeof d.values !== 'object' || d.values === null) {
    throw new FwctlTypeError('not an NV configuration document (fwctl config export writes one: { "fwctlNvConfig": 1, "type", "values" })', 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  const type = typeDisplayName(dev.typeId);
  if (d.type !== type) throw new FwctlTypeError(`the document is for ${show(d.type)} devices, ${dev.path} is ${type}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return d as NvConfigDocument;
}

/** Apply a document of export(): plan the changes (the diff), and unless dryRun write and read them back. */
export async function apply(dev: DeviceLike, doc: NvConfigDocument, options: NvApplyOptions = {}): Promise<NvApplyResult> {
  const d = checkDocument(dev, doc);
  const hooks = nvConfigOf(dev);
  const values = canonical(dev, hooks, d.values);
  const changes = await hooks.plan(dev, values, options);
  if (options.dryRun || changes.length === 0) return { changes, dryRun: !!options.dryRun, ...(options.dryRun ? {} : { results: [] }) };
  const changed = Object.fromEntries(changes.map((c) => [c.name, values[c.name]]));
  return { changes, dryRun: false, results: await hooks.set(dev, changed, options) };
}

/** Whether a device's type registers NV configuration. */
export function hasNvConfig(dev: Pick<DeviceLike, 'typeId'>): boolean {
  return deviceTypeModule(dev.typeId)?.nvConfig !== undefined;
}

/** How a change is applied: the same words for the API's docs, the CLI and inventory. */
export const TAKES_EFFECT = 'takes effect at the next firmware reset or reboot (this package does not reset the device: use devlink dev reload action fw_activate, the vendor tool, or reboot)';

/** fwctl.config: NV configuration over every type that registers it. */
export const config = Object.freeze({ items, resolve, get, plan, set, reset, export: exportConfig, apply, parseValue: parseNvValue });
