// Device types register, the core asks: the JavaScript counterpart of the
// kernel's struct fwctl_ops. Each device type (lib/mlx5/type.ts,
// lib/bnxt/type.ts, lib/cxl/type.ts, lib/pds/type.ts) describes itself in
// one DeviceTypeModule and registers it; the core (device, decode, guards,
// binding), the session layer (transcript, redact, record, replay, audit)
// and the fleet layer (inventory) ask here by type id and import no type.
// The package entries register the built-in types (lib/types/builtin.ts).
// A layer above the core that asks a type more adds its member to
// DeviceTypeModule itself (lib/inventory.ts: `inventory`), so this module
// stays below everything that uses it.
// A type id nobody registered works everywhere: no decoding, generic names,
// nothing redacted, displayed as unknown(N).

import { internalError } from './errors';
import { DeviceType, deviceTypeOf } from './uapi/constants';
import { HOST_LE } from './uapi/layout';

/** One pointer field of a request that the driver dereferences, with the length it reads it with. */
export interface PointerGuardSpec {
  /** The request's LE16 at offset 0 (bnxt req_type), or ANY_KEY (lib/guards.ts). */
  key: number;
  ptrOffset: number;
  lenOffset: number;
  /** Width | LEN_BE | PTR_LE (lib/binding-flags.ts). */
  lenFlags: number;
  unit: number;
  fixedLength: number;
  direction: number;
}

/** The command a request carries, for transcripts and the audit trail. */
export interface CommandName {
  /** 'QUERY_ADAPTER', 'HWRM_VER_GET', 'CXL Get Feature', 'pds op 0x1 ep 0'. */
  name: string;
  /** A write whatever its scope: Set Feature, ACCESS_REG write, SET_HCA_CAP, NVM writes. */
  write: boolean;
  /**
   * Bytes of a bulk transfer in the request (a block of a firmware image:
   * mlx5 MCDA data): transcripts keep their size and SHA-256, not the bytes,
   * and the audit trail keeps one line per update, not one per block.
   */
  bulk?: { offset: number; length: number };
}

/** A value redaction hides, and its kind (for the stand-in and the header's counts). */
export interface Secret {
  kind: 'psid' | 'vsd' | 'serial' | 'mac' | 'value';
  bytes: Buffer;
}

/** What a host diagnosis looks for of this type (a kernel built with it, the device, the modules): lib/doctor.ts asks. */
export interface HostFacts {
  /** PCI vendor ids of the devices the driver binds (through its auxiliary device); none: any vendor (with pciClasses). */
  readonly pciVendorIds?: readonly number[];
  /** PCI class codes without the programming interface (class >> 8: 0x0200 Ethernet, 0x0502 CXL memory). */
  readonly pciClasses?: readonly number[];
  /** The PCI driver that creates the fwctl parent or auxiliary device ('mlx5_core', 'cxl_pci'). */
  readonly coreDrivers?: readonly string[];
  /** The auxiliary device the fwctl driver binds ('mlx5_core.fwctl'), or none (CXL: the memdev). */
  readonly auxDevices?: readonly string[];
  /** Auxiliary devices of functions that get no fwctl device by design ('mlx5_core.sf': SFs), with why. */
  readonly noFwctlAux?: readonly { readonly prefix: string; readonly why: string }[];
  /** Devices on another bus that parent the fwctl device ({ bus: 'cxl', name: '^mem\\d+$' }: CXL memdevs). */
  readonly busDevices?: { readonly bus: string; readonly name: string };
  /** The fwctl driver's module ('mlx5_fwctl'); none when it is built into a core module (CXL: cxl_core). */
  readonly fwctlModule?: string;
  /** Kernel modules: the fwctl driver and the core driver it needs. */
  readonly modules?: readonly string[];
  /** Kconfig symbols a kernel needs for this type's fwctl device, dependencies first. */
  readonly kconfig?: readonly string[];
  /** Each symbol's own dependencies among kconfig (from its Kconfig `depends on`): a symbol with no config line is off through one of them. */
  readonly kconfigDepends?: Readonly<Record<string, readonly string[]>>;
  /** The symbol that builds the fwctl driver (FWCTL_MLX5; CXL_FEATURES). */
  readonly kconfigDriver?: string;
  /** kconfigDriver is a bool (=y; CXL_FEATURES), not a tristate (=m). */
  readonly kconfigDriverBool?: boolean;
  /** Why a device of this type bound to its core driver has no fwctl device (from the kernel source). */
  readonly noDeviceReason?: string;
  /** UAPI features of this type that arrived with a kernel line ({ since: '7.3', feature: 'bnxt DMA commands' }). */
  readonly kernelFeatures?: readonly { readonly since: string; readonly feature: string }[];
}

/** One device type, as the kernel's struct fwctl_ops describes a driver. */
export interface DeviceTypeModule<D = unknown> {
  /** enum fwctl_device_type (or an out-of-tree driver's number). */
  readonly id: number;
  /** 'mlx5', 'bnxt', ...: the CLI's and the transcripts' name for it. */
  readonly name: string;
  /**
   * Decode FWCTL_INFO device_data (exactly the driver's length); undefined
   * when shorter than the type's struct. Without it, info().decoded is absent.
   */
  decodeDeviceData?(data: Buffer): D | undefined;
  /** The pointer fields its requests carry (the addon refuses raw pointers there). Asked once, at the addon's load. */
  pointerGuards?(): readonly PointerGuardSpec[];
  /** The command a request names. */
  commandOf?(request: Uint8Array): CommandName;
  /** The values in one call's answer a published transcript must not show. */
  secretsOf?(request: Buffer, response: Buffer): Secret[];
  /** The firmware's own status in a response ('' when there is none or it is too short). */
  firmwareStatus?(response: Buffer): string;
  /** `fwctl info`: the decoded device_data as label/value pairs. */
  describeInfo?(decoded: D | undefined, data: Buffer): [string, string][];
  // inventory?: what inventory() and its Prometheus families ask (lib/inventory.ts adds it, InventoryHooks).
  /** The ERR_FWCTL_* codes (lib/errors.ts `codes`) its layer throws of its own. */
  readonly errorCodes?: readonly string[];
  /** What a host diagnosis looks for. */
  readonly host?: HostFacts;
  // nvConfig?: NV configuration items (lib/nvconfig.ts adds it, NvConfigHooks).
  // firmwareUpdate?: firmware update, or why there is none at the least scope (lib/firmware.ts adds it, FirmwareUpdateHooks).
}

const byId = new Map<number, DeviceTypeModule>();
let guardsTaken = false;

/**
 * Register a device type. Registering the same module again is a no-op;
 * another module with a registered id, or a type with pointer guards after
 * the addon took the guard table, is a bug (ERR_FWCTL_INTERNAL).
 */
export function registerDeviceType<D>(m: DeviceTypeModule<D>): void {
  const had = byId.get(m.id);
  if (had === m) return;
  if (!Number.isInteger(m.id) || m.id < 0 || m.id > 0xffffffff) throw internal(`device type id ${String(m.id)} is not a u32`);
  if (had !== undefined) throw internal(`device type ${m.id} is already registered (${had.name}), not ${m.name}`);
  if (guardsTaken && m.pointerGuards !== undefined) {
    throw internal(`device type ${m.name} registers pointer guards after the addon was loaded: register it before the first open`);
  }
  byId.set(m.id, m as DeviceTypeModule);
}

const internal = internalError;

/** The module of a type id, or undefined (unknown types work everywhere without one). */
export function deviceTypeModule(typeId: number | undefined): DeviceTypeModule | undefined {
  return typeId === undefined ? undefined : byId.get(typeId);
}

/** The registered types, in registration order. */
export function deviceTypeModules(): readonly DeviceTypeModule[] {
  return [...byId.values()];
}

/**
 * A type id as people read it: the module's name, else the UAPI enum's
 * ('error', or a built-in type not registered here), else 'unknown(N)';
 * 'unknown' when there is no id at all.
 */
export function typeDisplayName(typeId: number | undefined): string {
  if (typeId === undefined) return 'unknown';
  const m = byId.get(typeId);
  if (m !== undefined) return m.name;
  const uapi = deviceTypeOf(typeId);
  return uapi === DeviceType.Unknown ? `unknown(${typeId})` : uapi;
}

/**
 * @internal The guard specs of every registered type. `seal` (the addon's
 * load): from then on, no type with pointer guards may register.
 */
export function pointerGuardSpecs(seal = false): { type: number; spec: PointerGuardSpec }[] {
  if (seal) guardsTaken = true;
  return [...byId.values()].flatMap((m) => (m.pointerGuards?.() ?? []).map((spec) => ({ type: m.id, spec })));
}

/** @internal Forget a test-only type (unit tests). */
export function unregisterDeviceTypeForTesting(typeId: number): void {
  byId.delete(typeId);
}

/** The command a request carries: the type's name for it, else its first u32. */
export function commandOf(typeId: number | undefined, r: Uint8Array): CommandName {
  const m = deviceTypeModule(typeId);
  if (m?.commandOf) return m.commandOf(r);
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return { name: r.byteLength >= 4 ? `request 0x${v.getUint32(0, true).toString(16)}` : 'request', write: false };
}

/** A failure as an inventory record keeps it: its code ('ERROR' when it has none) and message. */
export function errorOf(e: unknown): { code: string; message: string } {
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : 'ERROR', message: typeof err?.message === 'string' ? err.message : String(e) };
}

/**
 * A host-endian u32 of device_data, any Uint8Array (byte reads: no DataView
 * and no Buffer method, which a plain Uint8Array lacks; the caller checked
 * the length).
 */
export function hostU32(data: Uint8Array, o: number): number {
  return (HOST_LE
    ? data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24)
    : (data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3]) >>> 0;
}
