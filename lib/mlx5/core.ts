// mlx5 (FWCTL_DEVICE_TYPE_MLX5): PRM command mailboxes, big-endian.
// The driver (drivers/fwctl/mlx5/main.c) checks the 16-byte headers
// (EMSGSIZE), allows each opcode from a least scope (EBADMSG otherwise),
// overwrites the uid with the fd's firmware user context, and returns the
// output mailbox even when the firmware failed the command: the failure is
// `status` (u8 @0) and `syndrome` (BE32 @4) in the output, with ioctl success.
//
// Design: exec()/execSync() throw Mlx5FirmwareError for a non-zero status
// (pass allowStatus: true to get the result instead); the raw rpc() stays
// available for anything else. Every command is a Plan (request, rpc
// options, and the pure step that reads the answer), run by runPlan (async)
// or runPlanSync: one mechanism for both twins. Layouts come from the
// generated mlx5_ifc.h table (./ifc).

import type { CallOptions, RpcOptions, RpcResult } from '../device';
import type { DeviceLike } from '../device-like';
import { MAX_RPC_LEN, Scope } from '../uapi/constants';
import type { Bytes } from '../uapi/layout';
import { MLX5_OPCODE_TABLE, type Mlx5OpcodeEntry } from './generated/opcodes';
import { cstring, need } from '../wire';
import { decode, encode, sizeOf } from './ifc';
import { HCA_CAP_OPMOD, MLX5_CAP } from './generated/ifc-data';
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from '../errors';

export { MLX5_OPCODE_TABLE, type Mlx5OpcodeEntry };
export { FwctlDecodeError } from '../wire';

/** MLX5_ST_SZ_BYTES(mbox_in_hdr) and (mbox_out_hdr), the fwctl driver's header layouts: both 16. */
export const HEADER_LENGTH = sizeOf('mbox_in_hdr');

const BY_OPCODE: ReadonlyMap<number, Mlx5OpcodeEntry> = new Map(MLX5_OPCODE_TABLE.map((e) => [e.opcode, e]));

/** Opcode numbers by name (MLX5_CMD_OP_ without the prefix), for the opcodes the driver allows. */
export const Mlx5Opcode: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(MLX5_OPCODE_TABLE.map((e) => [e.name, e.opcode])));

/** The name of an opcode the driver allows ('QUERY_HCA_CAP'), or undefined. */
export function opcodeName(opcode: number): string | undefined {
  return BY_OPCODE.get(opcode)?.name;
}

/**
 * The least scope the 7.3 driver allows `opcode` (with `opMod`) in, or
 * undefined when the driver refuses it in every scope (EBADMSG).
 * ACCESS_REG / ACCESS_REGISTER_USER: op_mod 0 (write) is Configuration, a read DebugReadOnly.
 */
export function minScope(opcode: number, opMod = 0): Scope | undefined {
  const e = BY_OPCODE.get(opcode);
  if (!e) return undefined;
  if (e.byOpMod) return opMod === 0 ? Scope.Configuration : Scope.DebugReadOnly;
  return e.scope as Scope;
}

/**
 * What the driver answers for this request before it reaches the firmware:
 * 'EMSGSIZE' (request or response buffer shorter than 16 bytes), 'EBADMSG'
 * (opcode not allowed in `scope`), or null (sent to the firmware).
 */
export function validate(request: Bytes, scope: Scope, responseLength: number): 'EMSGSIZE' | 'EBADMSG' | null {
  if (request.byteLength < HEADER_LENGTH || responseLength < HEADER_LENGTH) return 'EMSGSIZE';
  const h = decode('mbox_in_hdr', request as Uint8Array);
  const min = minScope(h.opcode as number, h.op_mod as number);
  return min === undefined || scope < min ? 'EBADMSG' : null;
}

/** MLX5_CMD_STAT_* (include/linux/mlx5/device.h) and the kernel's text for each. */
export const Mlx5Status = Object.freeze({
  OK: 0x0, INT_ERR: 0x1, BAD_OP_ERR: 0x2, BAD_PARAM_ERR: 0x3, BAD_SYS_STATE_ERR: 0x4,
  BAD_RES_ERR: 0x5, RES_BUSY: 0x6, NOT_READY: 0x7, LIM_ERR: 0x8, BAD_RES_STATE_ERR: 0x9,
  IX_ERR: 0xa, NO_RES_ERR: 0xf, BAD_QP_STATE_ERR: 0x10, BAD_PKT_ERR: 0x30,
  BAD_SIZE_OUTS_CQES_ERR: 0x40, BAD_INP_LEN_ERR: 0x50, BAD_OUTP_LEN_ERR: 0x51,
} as const);

const STATUS_TEXT: Readonly<Record<number, string>> = {
  0x0: 'OK', 0x1: 'internal error', 0x2: 'bad operation', 0x3: 'bad parameter', 0x4: 'bad system state',
  0x5: 'bad resource', 0x6: 'resource busy', 0x7: 'FW not ready', 0x8: 'limits exceeded',
  0x9: 'bad resource state', 0xa: 'bad index', 0xf: 'no resources', 0x10: 'bad QP state',
  0x30: 'bad packet (discarded)', 0x40: 'bad size too many outstanding CQEs', 0x50: 'bad input length',
  0x51: 'bad output length',
};

/** The kernel's text for a status (drivers/net/ethernet/mellanox/mlx5/core/cmd.c), 'unknown status' otherwise. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'unknown status';
}

/** An input mailbox: opcode BE16 @0, uid 0 @2 (the kernel writes it), op_mod BE16 @6, then `body` @16. */
export function encodeIn(opcode: number, options: { opMod?: number; body?: Bytes; length?: number } = {}): Buffer {
  const opMod = options.opMod ?? 0;
  for (const [n, v] of [['opcode', opcode], ['opMod', opMod]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new FwctlRangeError(`${n} must be a u16, got ${show(v)}`);
  }
  const body = options.body ?? new Uint8Array(0);
  const want = options.length;
  if (want !== undefined && (!Number.isInteger(want) || want < 0 || want > MAX_RPC_LEN)) {
    throw new FwctlRangeError(`length must be an integer from 0 to ${MAX_RPC_LEN} (the kernel's RPC limit), got ${show(want)}`);
  }
  const length = Math.max(want ?? 0, HEADER_LENGTH + body.byteLength);
  if (length > MAX_RPC_LEN) throw new FwctlRangeError(`an mlx5 request of ${length} bytes exceeds the kernel's RPC limit (${MAX_RPC_LEN})`);
  const buf = Buffer.alloc(length);
  encode('mbox_in_hdr', { opcode, op_mod: opMod }, buf);
  buf.set(body as Uint8Array, HEADER_LENGTH);
  return buf;
}

export interface Mlx5OutHeader {
  status: number;
  syndrome: number;
}

/** status (u8 @0) and syndrome (BE32 @4) of an output mailbox. FwctlDecodeError when shorter than 16 bytes. */
export function decodeOutHeader(out: Bytes): Mlx5OutHeader {
  need(out, HEADER_LENGTH, 'mlx5 output mailbox');
  const h = decode('mbox_out_hdr', out as Uint8Array);
  return { status: h.status as number, syndrome: h.syndrome as number };
}

export interface Mlx5Result extends Mlx5OutHeader {
  opcode: number;
  /** status === 0 */
  ok: boolean;
  /** The whole output mailbox (header included), as rpc() returned it. */
  response: Buffer;
  /** The driver's length (mlx5 reports the caller's responseLength). */
  length: number;
  truncated: boolean;
}

/** A firmware failure: the ioctl succeeded, the output mailbox carries a non-zero status. */
export class Mlx5FirmwareError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_MLX5_STATUS';
  readonly opcode: number;
  readonly status: number;
  readonly syndrome: number;
  readonly result: Mlx5Result;
  constructor(result: Mlx5Result) {
    const name = opcodeName(result.opcode) ?? `opcode 0x${result.opcode.toString(16)}`;
    super({ code: 'ERR_FWCTL_MLX5_STATUS', detail: `mlx5 ${name}: firmware status 0x${result.status.toString(16)} (${statusText(result.status)}), ` +
      `syndrome 0x${result.syndrome.toString(16).padStart(8, '0')}` });
    this.name = 'Mlx5FirmwareError';
    this.opcode = result.opcode;
    this.status = result.status;
    this.syndrome = result.syndrome;
    this.result = result;
  }
}

export interface Mlx5ExecOptions extends CallOptions {
  opMod?: number;
  /** Command-specific input after the 16-byte header. */
  body?: Bytes;
  /** Default: minScope(opcode, opMod); required for opcodes outside the table. */
  scope?: Scope;
  /** Output mailbox size (default 16 + 4096). */
  responseLength?: number;
  allowKernelTaint?: boolean;
  /** Return a non-zero firmware status as a result instead of throwing Mlx5FirmwareError. */
  allowStatus?: boolean;
}

/**
 * One command ready to send: the request, the rpc options, and the pure step
 * that turns the kernel's answer into T (it may throw, e.g. Mlx5FirmwareError).
 */
export interface Plan<T> {
  readonly request: Buffer;
  readonly options: RpcOptions;
  finish(r: RpcResult): T;
}

/** Run a plan on the addon's pool; `signal` (if any) overrides the plan's. */
export async function runPlan<T>(dev: DeviceLike, plan: Plan<T>, signal?: AbortSignal): Promise<T> {
  return plan.finish(await dev.rpc(plan.request, signal ? { ...plan.options, signal } : plan.options));
}

export function runPlanSync<T>(dev: DeviceLike, plan: Plan<T>): T {
  return plan.finish(dev.rpcSync(plan.request, plan.options));
}

/** The plan of one PRM command by opcode: header + options.body in, the output header checked. */
export function opcodePlan(opcode: number, o: Mlx5ExecOptions = {}): Plan<Mlx5Result> {
  return requestPlan(opcode, encodeIn(opcode, { opMod: o.opMod, body: o.body }), o);
}

/** The plan of a whole input mailbox already built (opcode and op_mod in its header); options.body is ignored. */
export function requestPlan(opcode: number, request: Buffer, o: Mlx5ExecOptions = {}): Plan<Mlx5Result> {
  if (request.length > MAX_RPC_LEN) throw new FwctlRangeError(`an mlx5 request of ${request.length} bytes exceeds the kernel's RPC limit (${MAX_RPC_LEN})`);
  const scope = o.scope ?? minScope(opcode, o.opMod ?? 0);
  if (scope === undefined) {
    throw new FwctlTypeError(`mlx5 opcode 0x${opcode.toString(16)} is not in the driver's table: give options.scope explicitly`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  return {
    request,
    options: { scope, responseLength: o.responseLength ?? HEADER_LENGTH + 4096, allowKernelTaint: o.allowKernelTaint, signal: o.signal },
    finish(r: RpcResult): Mlx5Result {
      const h = decodeOutHeader(r.response);
      const result: Mlx5Result = { opcode, ...h, ok: h.status === 0, response: r.response, length: r.length, truncated: r.truncated };
      if (!result.ok && !o.allowStatus) throw new Mlx5FirmwareError(result);
      return result;
    },
  };
}

/** Run one PRM command by opcode. Kernel refusals are FwctlError (EBADMSG, EMSGSIZE, ...); firmware failures Mlx5FirmwareError. */
export async function execOpcode(dev: DeviceLike, opcode: number, options: Mlx5ExecOptions = {}): Promise<Mlx5Result> {
  return runPlan(dev, opcodePlan(opcode, options));
}

export function execOpcodeSync(dev: DeviceLike, opcode: number, options: Mlx5ExecOptions = {}): Mlx5Result {
  return runPlanSync(dev, opcodePlan(opcode, options));
}

// ---- typed commands ----

/** The capability types most tools want (MLX5_CAP_*; every type: MLX5_CAP and capabilities()). */
export const HcaCapType = Object.freeze({
  General: MLX5_CAP.GENERAL, Ethernet: MLX5_CAP.ETHERNET_OFFLOADS, Odp: MLX5_CAP.ODP, Atomic: MLX5_CAP.ATOMIC,
  Roce: MLX5_CAP.ROCE, General2: MLX5_CAP.GENERAL_2,
} as const);

export interface QueryHcaCapOptions extends CallOptions {
  /** MLX5_CAP_* type (default General). */
  capType?: number;
  /** true: current values (HCA_CAP_OPMOD_GET_CUR, the default); false: maximum. */
  current?: boolean;
}

/** QUERY_HCA_CAP output: the 4096-byte capability union, raw (decoded by capabilities()). */
export interface HcaCap extends Mlx5Result {
  capability: Buffer;
}

/** MLX5_ST_SZ_BYTES(hca_cap_union): 4096. */
const CAP_LENGTH = sizeOf('hca_cap_union');

function hcaCapOptions(o: QueryHcaCapOptions): Mlx5ExecOptions {
  const capType = o.capType ?? HcaCapType.General;
  if (!Number.isInteger(capType) || capType < 0 || capType > 0x7fff) throw new FwctlRangeError(`capType must be 0..0x7fff, got ${show(capType)}`);
  return {
    opMod: (capType << 1) | (o.current === false ? HCA_CAP_OPMOD.MAX : HCA_CAP_OPMOD.CUR),
    responseLength: HEADER_LENGTH + CAP_LENGTH,
    signal: o.signal,
  };
}

export function decodeHcaCap(result: Mlx5Result): HcaCap {
  need(result.response, HEADER_LENGTH + CAP_LENGTH, 'mlx5 QUERY_HCA_CAP output');
  return { ...result, capability: result.response.subarray(HEADER_LENGTH, HEADER_LENGTH + CAP_LENGTH) };
}

export async function queryHcaCap(dev: DeviceLike, options: QueryHcaCapOptions = {}): Promise<HcaCap> {
  return decodeHcaCap(await execOpcode(dev, Mlx5Opcode.QUERY_HCA_CAP, hcaCapOptions(options)));
}

export function queryHcaCapSync(dev: DeviceLike, options: QueryHcaCapOptions = {}): HcaCap {
  return decodeHcaCap(execOpcodeSync(dev, Mlx5Opcode.QUERY_HCA_CAP, hcaCapOptions(options)));
}

/** QUERY_ADAPTER output: struct mlx5_ifc_query_adapter_param_block_bits, decoded. */
export interface Adapter extends Mlx5Result {
  ieeeVendorId: number;
  vsdVendorId: number;
  /** Vendor-specific data, up to the first NUL. */
  vsd: string;
  /** The board's PSID. */
  psid: string;
}

/** MLX5_ST_SZ_BYTES(query_adapter_param_block): 256. */
const ADAPTER_LENGTH = sizeOf('query_adapter_param_block');

/** Decode QUERY_ADAPTER's output (FwctlDecodeError when short). */
export function decodeAdapter(result: Mlx5Result): Adapter {
  need(result.response, HEADER_LENGTH + ADAPTER_LENGTH, 'mlx5 QUERY_ADAPTER output');
  const p = decode('query_adapter_param_block', result.response.subarray(HEADER_LENGTH, HEADER_LENGTH + ADAPTER_LENGTH));
  const vsd = p.vsd as Buffer;
  const psid = p.vsd_contd_psid as Buffer;
  return {
    ...result,
    ieeeVendorId: p.ieee_vendor_id as number,
    vsdVendorId: p.vsd_vendor_id as number,
    vsd: cstring(vsd, 0, vsd.length),
    psid: cstring(psid, 0, psid.length),
  };
}

export async function queryAdapter(dev: DeviceLike, options?: CallOptions): Promise<Adapter> {
  return decodeAdapter(await execOpcode(dev, Mlx5Opcode.QUERY_ADAPTER, { responseLength: HEADER_LENGTH + ADAPTER_LENGTH, signal: options?.signal }));
}

export function queryAdapterSync(dev: DeviceLike): Adapter {
  return decodeAdapter(execOpcodeSync(dev, Mlx5Opcode.QUERY_ADAPTER, { responseLength: HEADER_LENGTH + ADAPTER_LENGTH }));
}
