// Firmware and health facts of an mlx5 function, for inventories: identity
// (QUERY_ADAPTER: PSID, VSD, vendor), the running and pending firmware
// versions (MCQS/MCQI, as drivers/net/ethernet/mellanox/mlx5/core/fw.c reads
// them), temperatures (MTCAP's sensor map, MTMP per sensor) and the
// transceiver module of each port (PMLP, MCIA page 0: identifier, vendor,
// part and serial number, as port.c and SFF-8472/8636/CMIS lay them out).
//
// A fact that cannot be read (a register the firmware refuses, no module)
// is an { error } in its place, never a failure of the whole record; the
// first command, QUERY_ADAPTER, must succeed.
//
// Each step is a Plan yielded by one generator; steps() runs it async,
// stepsSync() sync: one body for both twins.

import type { DeviceLike } from '../device-like';
import { type Adapter, decodeAdapter, Mlx5Opcode, opcodePlan, type Plan, runPlan, runPlanSync, HEADER_LENGTH } from './core';
import { decode, sizeOf } from './ifc';
import { capPlan, regPlan } from './typed';
import { FwctlError } from '../errors';
import { MCQI_INFO_TYPE, MCQS_IDENTIFIER, MCQS_UPDATE_STATE } from './generated/mlxfw';

/** A generator of plans: each yielded plan's result (or error) is sent back in. */
export type Steps<T> = Generator<Plan<unknown>, T, unknown>;

export async function steps<T>(dev: DeviceLike, gen: Steps<T>, signal?: AbortSignal): Promise<T> {
  let next = gen.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await runPlan(dev, next.value, signal);
    } catch (e) {
      next = gen.throw(e);
      continue;
    }
    next = gen.next(value);
  }
  return next.value;
}

export function stepsSync<T>(dev: DeviceLike, gen: Steps<T>): T {
  let next = gen.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = runPlanSync(dev, next.value);
    } catch (e) {
      next = gen.throw(e);
      continue;
    }
    next = gen.next(value);
  }
  return next.value;
}

/** Yield one plan and get its result back, typed. */
function* step<T>(plan: Plan<T>): Generator<Plan<unknown>, T, unknown> {
  return (yield plan as Plan<unknown>) as T;
}

export interface FactError {
  error: { code: string; message: string };
}

function factError(e: unknown): FactError {
  const err = e as { code?: unknown; message?: unknown };
  return { error: { code: typeof err?.code === 'string' ? err.code : 'ERROR', message: String(err?.message ?? e) } };
}

export interface FirmwareVersion {
  /** 'major.minor.subminor', as devlink shows it. */
  version: string;
  /** The raw u32 (major << 24 | minor << 16 | subminor). */
  raw: number;
  /** The firmware's own version string, when it gives one. */
  versionString?: string;
}

export interface Temperature {
  sensor: number;
  name: string;
  /** Degrees Celsius (MTMP counts 0.125 C, signed). */
  celsius: number;
  maxCelsius: number;
}

export interface ModuleIdentity {
  localPort: number;
  module: number;
  /** SFF-8024 identifier byte (0x03 SFP, 0x0d QSFP+, 0x11 QSFP28, 0x18 QSFP-DD, ...). */
  identifier: number;
  type: string;
  vendor?: string;
  partNumber?: string;
  serialNumber?: string;
}

export interface Mlx5Facts {
  psid: string;
  vsd: string;
  ieeeVendorId: number;
  vsdVendorId: number;
  firmware: { running: FirmwareVersion; pending?: FirmwareVersion } | FactError;
  temperatures: Temperature[] | FactError;
  modules: (ModuleIdentity | (FactError & { localPort: number }))[] | FactError;
}

const I2C_ADDR_LOW = 0x50;

export function fwVersionText(raw: number): string {
  return `${(raw >>> 24) & 0xff}.${(raw >>> 16) & 0xff}.${raw & 0xffff}`;
}

/** The ASCII of an SFF string field: up to NUL, trailing spaces cut. */
function sffString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1').trimEnd();
}

const MODULE_TYPES: Readonly<Record<number, string>> = {
  0x03: 'SFP', 0x0c: 'QSFP', 0x0d: 'QSFP+', 0x11: 'QSFP28', 0x18: 'QSFP-DD', 0x19: 'OSFP', 0x1b: 'DSFP', 0x1e: 'QSFP+ (CMIS)',
};

/** Where vendor name, part and serial number sit (page 0, i2c 0x50), per memory map. */
function identityOffsets(identifier: number): { vendor: number; part: number; serial: number } | undefined {
  if (identifier === 0x03) return { vendor: 20, part: 40, serial: 68 }; // SFF-8472 A0h
  if (identifier === 0x0c || identifier === 0x0d || identifier === 0x11) return { vendor: 148, part: 168, serial: 196 }; // SFF-8636
  if (identifier === 0x18 || identifier === 0x19 || identifier === 0x1b || identifier === 0x1e) return { vendor: 129, part: 148, serial: 166 }; // CMIS
  return undefined;
}

/** At most 16 bytes a read (MCIA answers up to 12 dwords unless MCAM says mcia_32dwords). */
function* readModuleBytes(module: number, offset: number, size: number): Generator<Plan<unknown>, Buffer, unknown> {
  const r = yield* step(regPlan('MCIA', { l: 0, module, i2c_device_address: I2C_ADDR_LOW, page_number: 0, device_address: offset, size }, {}, false));
  const data = r.data ?? {};
  if (data.status) throw new FwctlError({ code: 'ERR_FWCTL_MLX5_MCIA', detail: `MCIA module ${module}: status 0x${(data.status as number).toString(16)}` });
  return (data.dwords as Buffer).subarray(0, size);
}

function* moduleOf(localPort: number): Generator<Plan<unknown>, ModuleIdentity, unknown> {
  const p = yield* step(regPlan('PMLP', { local_port: localPort }, {}, false));
  const module = ((p.data?.lane0_module_mapping as number) ?? 0) & 0xff;
  const identifier = (yield* readModuleBytes(module, 0, 1))[0];
  const id: ModuleIdentity = { localPort, module, identifier, type: MODULE_TYPES[identifier] ?? `0x${identifier.toString(16)}` };
  const at = identityOffsets(identifier);
  if (at) {
    id.vendor = sffString(yield* readModuleBytes(module, at.vendor, 16));
    id.partNumber = sffString(yield* readModuleBytes(module, at.part, 16));
    id.serialNumber = sffString(yield* readModuleBytes(module, at.serial, 16));
  }
  return id;
}

/** MCQI VERSION of a component, running or pending (fw.c's mlx5_reg_mcqi_version_query): a step list for steps(). */
export function* mcqiVersionSteps(componentIndex: number, pending: boolean): Generator<Plan<unknown>, FirmwareVersion, unknown> {
  const size = sizeOf('mcqi_version');
  const r = yield* step(regPlan('MCQI', { component_index: componentIndex, read_pending_component: pending ? 1 : 0, info_type: MCQI_INFO_TYPE.VERSION, data_size: size },
    { responseLength: HEADER_LENGTH + sizeOf('mcqi_reg') + sizeOf('mcqi_reg_data') }, false));
  const v = decode('mcqi_version', r.raw.subarray(sizeOf('mcqi_reg'), sizeOf('mcqi_reg') + size));
  const raw = v.version as number;
  const out: FirmwareVersion = { version: fwVersionText(raw), raw };
  const len = v.version_string_length as number;
  if (len) out.versionString = (v.version_string as Buffer).subarray(0, len).toString('latin1').replace(/\0.*$/, '');
  return out;
}

function* firmware(): Generator<Plan<unknown>, Mlx5Facts['firmware'], unknown> {
  try {
    let index = 0;
    for (;;) {
      const q = (yield* step(regPlan('MCQS', { component_index: index }, {}, false))).data ?? {};
      if (q.identifier === MCQS_IDENTIFIER.BOOT_IMG) {
        const running = yield* mcqiVersionSteps(index, false);
        if (q.component_update_state !== MCQS_UPDATE_STATE.ACTIVE_PENDING_RESET) return { running };
        return { running, pending: yield* mcqiVersionSteps(index, true) };
      }
      if (q.last_index_flag || ++index > 0xffff) throw new FwctlError({ code: 'ERR_FWCTL_MLX5_NO_BOOT_IMAGE', detail: 'MCQS lists no boot image component' });
    }
  } catch (e) {
    return factError(e);
  }
}

function* temperatures(): Generator<Plan<unknown>, Mlx5Facts['temperatures'], unknown> {
  try {
    const cap = (yield* step(regPlan('MTCAP', {}, {}, false))).data ?? {};
    const map = BigInt((cap.sensor_map as bigint | number | undefined) ?? 0);
    const out: Temperature[] = [];
    const c = (raw: number) => (raw >= 0x8000 ? raw - 0x10000 : raw) / 8;
    for (let i = 0; i < 64; i++) {
      if (!((map >> BigInt(i)) & 1n)) continue;
      const t = (yield* step(regPlan('MTMP', { sensor_index: i }, {}, false))).data ?? {};
      const name = Buffer.alloc(8);
      name.writeUInt32BE(Number(t.sensor_name_hi ?? 0), 0);
      name.writeUInt32BE(Number(t.sensor_name_lo ?? 0), 4);
      out.push({ sensor: i, name: sffString(name), celsius: c(Number(t.temperature ?? 0)), maxCelsius: c(Number(t.max_temperature ?? 0)) });
    }
    return out;
  } catch (e) {
    return factError(e);
  }
}

function* modules(): Generator<Plan<unknown>, Mlx5Facts['modules'], unknown> {
  let ports: number;
  try {
    const general = yield* step(capPlan('GENERAL', {}));
    ports = Math.max(1, Number(general.caps?.num_ports ?? 1));
  } catch (e) {
    return factError(e);
  }
  const out: Mlx5Facts['modules'] = [];
  for (let p = 1; p <= ports; p++) {
    try {
      out.push(yield* moduleOf(p));
    } catch (e) {
      out.push({ localPort: p, ...factError(e) });
    }
  }
  return out;
}

/** The facts as a generator of plans (run with steps() or stepsSync()). */
export function* factSteps(): Steps<Mlx5Facts> {
  const a: Adapter = decodeAdapter(yield* step(opcodePlan(Mlx5Opcode.QUERY_ADAPTER, { responseLength: HEADER_LENGTH + sizeOf('query_adapter_param_block') })));
  return {
    psid: a.psid, vsd: a.vsd, ieeeVendorId: a.ieeeVendorId, vsdVendorId: a.vsdVendorId,
    firmware: yield* firmware(),
    temperatures: yield* temperatures(),
    modules: yield* modules(),
  };
}

/** Identity, firmware versions, temperatures and transceiver modules of an mlx5 function. */
export function facts(dev: DeviceLike, options?: { signal?: AbortSignal }): Promise<Mlx5Facts> {
  return steps(dev, factSteps(), options?.signal);
}

export function factsSync(dev: DeviceLike): Mlx5Facts {
  return stepsSync(dev, factSteps());
}
