// Commands by name with mlx5_ifc.h's field names: exec(dev, 'QUERY_VNIC_ENV',
// { vport_number: 0 }) builds query_vnic_env_in and returns query_vnic_env_out
// decoded, at the least scope the driver allows (the debug-write ones still
// need allowKernelTaint). Capabilities by type (QUERY_HCA_CAP, current or
// max) and registers by name (ACCESS_REG reads; writes only through
// writeRegister) are built on the same plans.

import type { CallOptions, RpcResult } from '../device';
import type { DeviceLike } from '../device-like';
import { Scope } from '../uapi/constants';
import type { Bytes } from '../uapi/layout';
import { command, type Mlx5Command } from './commands';
import {
  HEADER_LENGTH, encodeIn, minScope, requestPlan, runPlan, runPlanSync, type Mlx5ExecOptions, type Mlx5Result, type Plan,
  execOpcode, execOpcodeSync,
} from './core';
import { decode, encode, hasLayout, layout, sizeOf, type IfcInput, type IfcLayoutName, type IfcObject } from './ifc';
import { HCA_CAP_OPMOD, MLX5_CAP, MLX5_CAP_LAYOUT, MLX5_CMD_OP, MLX5_MPCNT_GROUP, MLX5_PPCNT_GROUP, MLX5_REG } from './generated/ifc-data';
import { FwctlRangeError, FwctlTypeError, show } from '../errors';

/** A command name: MLX5_CMD_OP_* names complete in an editor; any of the driver's names is accepted. */
export type Mlx5CommandName = keyof typeof MLX5_CMD_OP | (string & {});

/** Fields of an input layout; PPCNT/MPCNT's grp may also be a group name ('PHYSICAL_LAYER'). */
export type Mlx5Fields = { readonly [field: string]: IfcInput | string };

export interface Mlx5TypedOptions extends Omit<Mlx5ExecOptions, 'body'> {
  /**
   * Bytes after the input layout (its flexible array, e.g. register data), or
   * the whole body after the 16-byte header for a command mlx5_ifc.h has no
   * input layout for.
   */
  body?: Bytes;
}

export interface Mlx5TypedResult extends Mlx5Result {
  /** The command's name ('QUERY_VNIC_ENV'). */
  name: string;
  /** The layouts used, when mlx5_ifc.h has them. */
  inLayout?: IfcLayoutName;
  outLayout?: IfcLayoutName;
  /** The output mailbox decoded as outLayout (when the status is 0 and there is a layout). */
  data?: IfcObject;
  /** The output after the 16-byte header, as bytes. */
  body: Buffer;
}

/** An opcode the driver allows, or any MLX5_CMD_OP_* name (then options.scope is needed). */
function resolve(name: string): Mlx5Command {
  const c = command(name);
  if (c) return c;
  const key = name.toUpperCase().replace(/^MLX5_CMD_OP_/, '');
  const opcode = (MLX5_CMD_OP as Record<string, number>)[key];
  if (opcode === undefined || !Object.hasOwn(MLX5_CMD_OP, key)) throw new FwctlTypeError(`unknown mlx5 command '${name}' (not an MLX5_CMD_OP_* of mlx5_ifc.h)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const lower = key.toLowerCase();
  return {
    opcode, name: key, scope: -1,
    in: hasLayout(`${lower}_in`) ? (`${lower}_in` as IfcLayoutName) : undefined,
    out: hasLayout(`${lower}_out`) ? (`${lower}_out` as IfcLayoutName) : undefined,
  };
}

const hasFlexible = (l: IfcLayoutName) => layout(l).members.some((m) => m.dims.includes(0));

/** The plan of a command by name: `fields` of its _in layout, the answer decoded as its _out layout. */
export function commandPlan(name: Mlx5CommandName, fields: Mlx5Fields = {}, o: Mlx5TypedOptions = {}): Plan<Mlx5TypedResult> {
  const c = resolve(name);
  for (const k of ['opcode', 'uid'] as const) {
    if (fields[k] !== undefined) throw new FwctlTypeError(`${c.name}: '${k}' is not an input (${k === 'uid' ? 'the kernel writes it' : 'it is the command'})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (fields.op_mod !== undefined && o.opMod !== undefined && fields.op_mod !== o.opMod) {
    throw new FwctlTypeError(`${c.name}: op_mod given twice (fields ${String(fields.op_mod)}, options ${o.opMod})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  const opModIn = fields.op_mod ?? o.opMod ?? 0;
  if (typeof opModIn !== 'number') throw new FwctlTypeError(`${c.name}: op_mod must be a number`);
  let request: Buffer;
  if (c.in) {
    const { op_mod: _m, ...rest } = fields;
    void _m;
    // every input layout starts with the mailbox header (mbox_in_hdr); query_vuid_in
    // has no op_mod field of its own, the header still carries it
    const inBytes = encode(c.in, rest as Record<string, IfcInput>);
    request = o.body ? Buffer.concat([inBytes, o.body]) : inBytes;
  } else {
    const extra = Object.keys(fields).filter((k) => k !== 'op_mod' && fields[k] !== undefined);
    if (extra.length) throw new FwctlTypeError(`${c.name}: mlx5_ifc.h has no input layout for it, so no field '${extra[0]}': give options.body`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    request = encodeIn(c.opcode, { body: o.body });
  }
  if (request.length < HEADER_LENGTH) throw new FwctlRangeError(`${c.name}: an input mailbox is at least ${HEADER_LENGTH} bytes`);
  if (!Number.isInteger(opModIn) || opModIn < 0 || opModIn > 0xffff) throw new FwctlRangeError(`${c.name}: op_mod must be a u16, got ${show(opModIn)}`);
  encode('mbox_in_hdr', { opcode: c.opcode, op_mod: opModIn }, request);
  const out = c.out;
  const responseLength = o.responseLength ?? (out ? sizeOf(out) + (hasFlexible(out) ? 4096 : 0) : HEADER_LENGTH + 4096);
  const raw = requestPlan(c.opcode, request, {
    ...o, opMod: opModIn, responseLength,
    scope: o.scope ?? (c.scope < 0 ? undefined : minScope(c.opcode, opModIn)),
  });
  return {
    request: raw.request,
    options: raw.options,
    finish(r: RpcResult): Mlx5TypedResult {
      const base = raw.finish(r);
      const result: Mlx5TypedResult = { ...base, name: c.name, inLayout: c.in, outLayout: out, body: base.response.subarray(HEADER_LENGTH) };
      if (base.ok && out) result.data = decode(out, base.response);
      return result;
    },
  };
}

/**
 * Run one PRM command: by name with the fields of its mlx5_ifc.h input layout
 * (`exec(dev, 'QUERY_VNIC_ENV', { vport_number: 1 })`, the result's `data` is
 * the decoded output), or by opcode number with a raw body
 * (`exec(dev, 0x100, { opMod: 1 })`). The scope defaults to the least the
 * driver allows. Kernel refusals are FwctlError (EBADMSG, EMSGSIZE, ...);
 * firmware failures Mlx5FirmwareError unless allowStatus.
 */
export function exec(dev: DeviceLike, name: Mlx5CommandName, fields?: Mlx5Fields, options?: Mlx5TypedOptions): Promise<Mlx5TypedResult>;
export function exec(dev: DeviceLike, opcode: number, options?: Mlx5ExecOptions): Promise<Mlx5Result>;
export function exec(dev: DeviceLike, what: string | number, a?: object, b?: Mlx5TypedOptions): Promise<Mlx5Result | Mlx5TypedResult> {
  if (typeof what === 'number') return execOpcode(dev, what, a as Mlx5ExecOptions);
  return runPlan(dev, commandPlan(what, a as Mlx5Fields, b), b?.signal);
}

export function execSync(dev: DeviceLike, name: Mlx5CommandName, fields?: Mlx5Fields, options?: Mlx5TypedOptions): Mlx5TypedResult;
export function execSync(dev: DeviceLike, opcode: number, options?: Mlx5ExecOptions): Mlx5Result;
export function execSync(dev: DeviceLike, what: string | number, a?: object, b?: Mlx5TypedOptions): Mlx5Result | Mlx5TypedResult {
  if (typeof what === 'number') return execOpcodeSync(dev, what, a as Mlx5ExecOptions);
  return runPlanSync(dev, commandPlan(what, a as Mlx5Fields, b));
}

// ---- capabilities ----

export type Mlx5CapName = keyof typeof MLX5_CAP;
/** A capability type: MLX5_CAP_* names (any case, '-' for '_') or the number. */
export type Mlx5CapType = Mlx5CapName | (string & {}) | number;

export interface CapabilityOptions extends CallOptions {
  /** The maximum the device supports (HCA_CAP_OPMOD_GET_MAX) instead of the current values. */
  max?: boolean;
  /** Another function's capabilities (other_function = 1, function_id), as the driver allows. */
  functionId?: number;
  allowStatus?: boolean;
}

export interface Mlx5Capabilities {
  /** MLX5_CAP_* number and name ('GENERAL'). */
  type: number;
  name: string;
  max: boolean;
  /** The layout `caps` is decoded as (device.h's accessor for this type), if any. */
  layout?: IfcLayoutName;
  caps?: IfcObject;
  /** The 4096-byte capability area. */
  raw: Buffer;
  result: Mlx5TypedResult;
}

/** A capability type by MLX5_CAP_* name ('general', 'GENERAL_2', 'roce', 'ethernet-offloads') or number. */
export function capType(type: Mlx5CapType): { type: number; name: string } {
  if (typeof type === 'number') {
    const name = Object.entries(MLX5_CAP).find(([, v]) => v === type)?.[0];
    if (!Number.isInteger(type) || type < 0 || type > 0x7fff) throw new FwctlRangeError(`capability type must be 0..0x7fff, got ${show(type)}`);
    return { type, name: name ?? `0x${type.toString(16)}` };
  }
  const key = type.toUpperCase().replace(/^MLX5_CAP_/, '').replace(/-/g, '_');
  if (!Object.hasOwn(MLX5_CAP, key)) throw new FwctlTypeError(`unknown capability type '${type}': one of ${Object.keys(MLX5_CAP).join(', ')}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return { type: MLX5_CAP[key as Mlx5CapName], name: key };
}

export function capPlan(type: Mlx5CapType, o: CapabilityOptions): Plan<Mlx5Capabilities> {
  const t = capType(type);
  const max = o.max === true;
  const fields: Record<string, number> = { op_mod: (t.type << 1) | (max ? HCA_CAP_OPMOD.MAX : HCA_CAP_OPMOD.CUR) };
  if (o.functionId !== undefined) Object.assign(fields, { other_function: 1, function_id: o.functionId });
  const plan = commandPlan('QUERY_HCA_CAP', fields, { allowStatus: o.allowStatus });
  const l = (MLX5_CAP_LAYOUT as Record<string, IfcLayoutName>)[t.name];
  return {
    ...plan,
    finish(r: RpcResult): Mlx5Capabilities {
      const result = plan.finish(r);
      const raw = result.body.subarray(0, sizeOf('hca_cap_union'));
      const out: Mlx5Capabilities = { type: t.type, name: t.name, max, raw, result };
      if (l) out.layout = l;
      if (l && result.ok) out.caps = decode(l, raw);
      return out;
    },
  };
}

/** QUERY_HCA_CAP for one capability type, decoded by mlx5_ifc.h's layout for it. */
export function capabilities(dev: DeviceLike, type: Mlx5CapType, options: CapabilityOptions = {}): Promise<Mlx5Capabilities> {
  return runPlan(dev, capPlan(type, options), options.signal);
}

export function capabilitiesSync(dev: DeviceLike, type: Mlx5CapType, options: CapabilityOptions = {}): Mlx5Capabilities {
  return runPlanSync(dev, capPlan(type, options));
}

// ---- registers ----

export type Mlx5RegName = keyof typeof MLX5_REG;
/** A register: MLX5_REG_* names (any case, with or without the prefix) or the id. */
export type Mlx5RegId = Mlx5RegName | (string & {}) | number;

export interface Mlx5Register {
  /** MLX5_REG_* name ('MTMP') and id. */
  name: string;
  id: number;
  /** Its mlx5_ifc.h layout (mtmp_reg), when the header has one. */
  layout?: IfcLayoutName;
}

function regLayout(name: string): IfcLayoutName | undefined {
  const lower = name.toLowerCase();
  if (hasLayout(`${lower}_reg`)) return `${lower}_reg` as IfcLayoutName;
  return hasLayout(lower) ? (lower as IfcLayoutName) : undefined;
}

/** Every MLX5_REG_* of driver.h with its layout. */
export function registers(): Mlx5Register[] {
  return Object.entries(MLX5_REG).map(([name, id]) => ({ name, id, layout: regLayout(name) }));
}

/** A register by MLX5_REG_* name (any case, with or without the prefix) or id. */
export function register(reg: Mlx5RegId): Mlx5Register {
  if (typeof reg === 'number') {
    if (!Number.isInteger(reg) || reg < 0 || reg > 0xffff) throw new FwctlRangeError(`register id must be a u16, got ${show(reg)}`);
    const name = Object.entries(MLX5_REG).find(([, v]) => v === reg)?.[0];
    return name ? { name, id: reg, layout: regLayout(name) } : { name: `0x${reg.toString(16)}`, id: reg };
  }
  const key = reg.toUpperCase().replace(/^MLX5_REG_/, '');
  if (!Object.hasOwn(MLX5_REG, key)) throw new FwctlTypeError(`unknown register '${reg}' (not an MLX5_REG_* of driver.h)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return { name: key, id: MLX5_REG[key as Mlx5RegName], layout: regLayout(key) };
}

/** PPCNT/MPCNT `grp` values and the counter_set member each selects. */
const COUNTER_GROUPS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  PPCNT: {
    IEEE_802_3: 'eth_802_3_cntrs_grp_data_layout', RFC_2863: 'eth_2863_cntrs_grp_data_layout',
    RFC_2819: 'eth_2819_cntrs_grp_data_layout', RFC_3635: 'eth_3635_cntrs_grp_data_layout',
    ETHERNET_EXTENDED: 'eth_extended_cntrs_grp_data_layout', PER_PRIORITY: 'eth_per_prio_grp_data_layout',
    PER_TRAFFIC_CLASS: 'eth_per_tc_prio_grp_data_layout', PER_TRAFFIC_CLASS_CONGESTION: 'eth_per_tc_congest_prio_grp_data_layout',
    PHYSICAL_LAYER: 'phys_layer_cntrs', PHYSICAL_LAYER_STATISTICAL: 'phys_layer_statistical_cntrs',
    PHYSICAL_LAYER_RECOVERY: 'phys_layer_recovery_cntrs', INFINIBAND_PORT: 'ib_port_cntrs_grp_data_layout',
    INFINIBAND_EXTENDED_PORT: 'ib_ext_port_cntrs_grp_data_layout', RS_FEC_HISTOGRAM: 'rs_histogram_cntrs',
  },
  MPCNT: { PCIE_PERFORMANCE: 'pcie_perf_cntrs_grp_data_layout' },
};
const GROUP_VALUES: Readonly<Record<string, Readonly<Record<string, number>>>> = { PPCNT: MLX5_PPCNT_GROUP, MPCNT: MLX5_MPCNT_GROUP };

/** Every counter group name and the union member it selects. */
export const REGISTER_COUNTER_GROUPS = COUNTER_GROUPS;

export interface RegisterOptions extends CallOptions {
  /** ACCESS_REG's `argument` (register-specific; default 0). */
  argument?: number;
  /** Register data bytes to send instead of fields (the register's whole data, or its start). */
  data?: Bytes;
  /** Output size (default 16 + the register layout's size, or 16 + 4096 when the header has no layout). */
  responseLength?: number;
  allowStatus?: boolean;
  /** Scope (default: the least the driver allows: DebugReadOnly to read, Configuration to write). */
  scope?: Scope;
}

export interface Mlx5RegisterResult extends Mlx5Register {
  /** The register data decoded as its layout (for PPCNT/MPCNT only the selected counter group of counter_set). */
  data?: IfcObject;
  /** The register data as bytes. */
  raw: Buffer;
  result: Mlx5TypedResult;
}

export function regPlan(reg: Mlx5RegId, fields: Mlx5Fields, o: RegisterOptions, write: boolean): Plan<Mlx5RegisterResult> {
  const r = register(reg);
  let f = { ...fields } as Record<string, IfcInput>;
  let group: string | undefined;
  const groups = COUNTER_GROUPS[r.name];
  const grp: unknown = f.grp;
  if (groups && typeof grp === 'string') {
    const g = grp.toUpperCase();
    if (!Object.hasOwn(groups, g)) throw new FwctlTypeError(`${r.name}: unknown grp '${grp}': one of ${Object.keys(groups).join(', ')}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    f = { ...f, grp: GROUP_VALUES[r.name][g] };
  }
  if (groups && typeof f.grp === 'number') group = Object.entries(GROUP_VALUES[r.name]).find(([, v]) => v === f.grp)?.[0];
  let data: Buffer;
  if (o.data !== undefined) {
    if (Object.keys(f).length) throw new FwctlTypeError(`${r.name}: give fields or options.data, not both`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    data = Buffer.from(o.data);
  } else if (r.layout) {
    data = encode(r.layout, f);
  } else {
    if (Object.keys(f).length) throw new FwctlTypeError(`mlx5_ifc.h has no layout for register ${r.name}, so no field '${Object.keys(f)[0]}': give options.data`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    data = Buffer.alloc(0);
  }
  const size = r.layout ? sizeOf(r.layout) : 4096;
  const plan = commandPlan('ACCESS_REG', { op_mod: write ? 0 : 1, register_id: r.id, argument: o.argument ?? 0 }, {
    body: data, responseLength: o.responseLength ?? HEADER_LENGTH + Math.max(size, data.length),
    allowStatus: o.allowStatus, scope: o.scope,
  });
  return {
    ...plan,
    finish(rr: RpcResult): Mlx5RegisterResult {
      const result = plan.finish(rr);
      const raw = result.body;
      const out: Mlx5RegisterResult = { ...r, raw, result };
      if (result.ok && r.layout && raw.length >= sizeOf(r.layout)) {
        const d = decode(r.layout, raw);
        const member = group && groups ? groups[group] : undefined;
        if (member && d.counter_set && typeof d.counter_set === 'object') {
          d.counter_set = { [member]: (d.counter_set as IfcObject)[member] };
        }
        out.data = d;
      }
      return out;
    },
  };
}

/**
 * Read a register (ACCESS_REG, op_mod 1: DebugReadOnly) by name, its index
 * fields (e.g. MTMP { sensor_index }, MCIA { module, page_number, ... },
 * PPCNT { local_port, grp: 'PHYSICAL_LAYER' }) given as fields of its layout.
 */
export function readRegister(dev: DeviceLike, reg: Mlx5RegId, fields: Mlx5Fields = {}, options: RegisterOptions = {}): Promise<Mlx5RegisterResult> {
  return runPlan(dev, regPlan(reg, fields, options, false), options.signal);
}

export function readRegisterSync(dev: DeviceLike, reg: Mlx5RegId, fields: Mlx5Fields = {}, options: RegisterOptions = {}): Mlx5RegisterResult {
  return runPlanSync(dev, regPlan(reg, fields, options, false));
}

/** Write a register (ACCESS_REG op_mod 0): the driver requires Scope.Configuration. Changes device state. */
export function writeRegister(dev: DeviceLike, reg: Mlx5RegId, fields: Mlx5Fields, options: RegisterOptions = {}): Promise<Mlx5RegisterResult> {
  return runPlan(dev, regPlan(reg, fields, options, true), options.signal);
}

export function writeRegisterSync(dev: DeviceLike, reg: Mlx5RegId, fields: Mlx5Fields, options: RegisterOptions = {}): Mlx5RegisterResult {
  return runPlanSync(dev, regPlan(reg, fields, options, true));
}
