// bnxt core (FWCTL_DEVICE_TYPE_BNXT, Broadcom NetXtreme): raw HWRM messages,
// little-endian. The driver (drivers/fwctl/bnxt/main.c) requires a request of
// 16..128 bytes and a response buffer of at least 8 bytes (EINVAL), an exact
// hwrm_*_input size for commands that carry DMA addresses (EINVAL), and a
// request type allowed in the scope (EPERM). The response length is always
// the caller's responseLength. A firmware failure is `error_code` (LE16 @0)
// with ioctl success; so is a failed send: the driver then writes the
// negative errno into error_code (e.g. -EIO = 0xfffb).
//
// Design: exec()/execSync() throw BnxtFirmwareError for a non-zero
// error_code (allowError: true returns it instead).

import type { CallOptions, RpcOptions, RpcResult } from '../device';
import type { DeviceLike } from '../device-like';
import { errnoName, FwctlError, FwctlRangeError, FwctlTypeError, show } from '../errors';
import { Scope } from '../uapi/constants';
import type { Bytes } from '../uapi/layout';
import { BNXT_COMMAND_TABLE, BNXT_MAX_DMABUF, type BnxtCommandEntry, type BnxtDmaField } from './generated/commands';
import { cstring, need, view } from '../wire';

export { BNXT_COMMAND_TABLE, BNXT_MAX_DMABUF, type BnxtCommandEntry, type BnxtDmaField };
export { FwctlDecodeError } from '../wire';

/** sizeof(struct input): the smallest request. */
export const MIN_REQUEST_LENGTH = 16;
/** HWRM_MAX_REQ_LEN: the largest request. */
export const MAX_REQUEST_LENGTH = 128;
/** sizeof(struct output): the smallest response buffer. */
export const MIN_RESPONSE_LENGTH = 8;

const BY_TYPE: ReadonlyMap<number, BnxtCommandEntry> = new Map(BNXT_COMMAND_TABLE.map((e) => [e.reqType, e]));

/** Request types by name (HWRM_ without the prefix), for the commands the driver allows. */
export const HwrmReqType: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(BNXT_COMMAND_TABLE.map((e) => [e.name, e.reqType])));

export function reqTypeName(reqType: number): string | undefined {
  return BY_TYPE.get(reqType)?.name;
}

/** The least scope the 7.3 driver allows a request type in, or undefined (EPERM in every scope). */
export function minScope(reqType: number): Scope | undefined {
  const e = BY_TYPE.get(reqType);
  return e ? (e.scope as Scope) : undefined;
}

/**
 * What the driver answers before the firmware sees the request: 'EINVAL'
 * (sizes), 'EPERM' (request type not allowed in scope), or null.
 */
export function validate(request: Bytes, scope: Scope, responseLength: number): 'EINVAL' | 'EPERM' | null {
  if (request.byteLength < MIN_REQUEST_LENGTH || request.byteLength > MAX_REQUEST_LENGTH) return 'EINVAL';
  if (responseLength < MIN_RESPONSE_LENGTH) return 'EINVAL';
  const e = BY_TYPE.get(view(request).getUint16(0, true));
  if (e?.dmaRequestSize !== undefined && request.byteLength !== e.dmaRequestSize) return 'EINVAL';
  return e === undefined || scope < e.scope ? 'EPERM' : null;
}

/** HWRM_ERR_CODE_* (include/linux/bnxt/hsi.h). */
export const HwrmError = Object.freeze({
  SUCCESS: 0x0, FAIL: 0x1, INVALID_PARAMS: 0x2, RESOURCE_ACCESS_DENIED: 0x3, RESOURCE_ALLOC_ERROR: 0x4,
  INVALID_FLAGS: 0x5, INVALID_ENABLES: 0x6, UNSUPPORTED_TLV: 0x7, NO_BUFFER: 0x8, UNSUPPORTED_OPTION_ERR: 0x9,
  HOT_RESET_PROGRESS: 0xa, HOT_RESET_FAIL: 0xb, NO_FLOW_COUNTER_DURING_ALLOC: 0xc, KEY_HASH_COLLISION: 0xd,
  KEY_ALREADY_EXISTS: 0xe, HWRM_ERROR: 0xf, BUSY: 0x10, RESOURCE_LOCKED: 0x11, PF_UNAVAILABLE: 0x12,
  ENTITY_NOT_PRESENT: 0x13, SECURE_SOC_ERROR: 0x14, TLV_ENCAPSULATED_RESPONSE: 0x8000, UNKNOWN_ERR: 0xfffe,
  CMD_NOT_SUPPORTED: 0xffff,
} as const);

const ERROR_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(HwrmError).map(([k, v]) => [v, k]));
const MAX_ERRNO = 4095;

/**
 * What an error_code means: a firmware HWRM_ERR_CODE_*, or (the driver's
 * habit for a send that failed before the firmware answered) a negative
 * errno stored as u16 (`errno` is that negative number, as FwctlError's).
 * The firmware's own codes win where both could apply.
 */
export function describeErrorCode(code: number): { kind: 'ok' | 'firmware' | 'send'; name: string; errno?: number } {
  if (code === 0) return { kind: 'ok', name: 'SUCCESS' };
  const fw = ERROR_NAMES.get(code);
  if (fw) return { kind: 'firmware', name: fw };
  const errno = 0x10000 - code;
  if (errno > 0 && errno <= MAX_ERRNO) return { kind: 'send', name: errnoName(errno), errno: -errno };
  return { kind: 'firmware', name: `0x${code.toString(16)}` };
}

export interface RequestOptions {
  seqId?: number;
  /** Default 0xffff (the HWRM firmware). */
  targetId?: number;
  /** Default 0xffff (no completion ring). */
  cmplRing?: number;
  /** Bytes after the 16-byte struct input header. */
  body?: Bytes;
  /** Pad the request to this length (a command's hwrm_*_input size). */
  length?: number;
}

/** A request: struct input (req_type, cmpl_ring, seq_id, target_id LE16, resp_addr LE64 = 0), then `body`. */
export function encodeRequest(reqType: number, options: RequestOptions = {}): Buffer {
  const body = options.body ?? new Uint8Array(0);
  const length = Math.max(options.length ?? 0, MIN_REQUEST_LENGTH + body.byteLength);
  if (length > MAX_REQUEST_LENGTH) throw new FwctlRangeError(`HWRM request of ${length} bytes exceeds ${MAX_REQUEST_LENGTH} (HWRM_MAX_REQ_LEN)`);
  const fields = [['reqType', reqType], ['seqId', options.seqId ?? 0], ['targetId', options.targetId ?? 0xffff],
    ['cmplRing', options.cmplRing ?? 0xffff]] as const;
  for (const [n, v] of fields) if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new FwctlRangeError(`${n} must be a u16, got ${show(v)}`);
  const buf = Buffer.alloc(length);
  buf.writeUInt16LE(reqType, 0);
  buf.writeUInt16LE(fields[3][1], 2);
  buf.writeUInt16LE(fields[1][1], 4);
  buf.writeUInt16LE(fields[2][1], 6);
  buf.set(body as Uint8Array, MIN_REQUEST_LENGTH);
  return buf;
}

export interface HwrmOutput {
  errorCode: number;
  reqType: number;
  seqId: number;
  respLen: number;
}

/** struct output (8 bytes, LE). FwctlDecodeError when shorter. */
export function decodeOutput(buf: Bytes): HwrmOutput {
  need(buf, MIN_RESPONSE_LENGTH, 'HWRM output');
  const v = view(buf);
  return { errorCode: v.getUint16(0, true), reqType: v.getUint16(2, true), seqId: v.getUint16(4, true), respLen: v.getUint16(6, true) };
}

export interface BnxtResult extends HwrmOutput {
  ok: boolean;
  /** The whole response buffer (responseLength bytes: bnxt reports the caller's length). */
  response: Buffer;
  length: number;
  truncated: boolean;
}

export class BnxtFirmwareError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_BNXT_HWRM';
  readonly reqType: number;
  readonly errorCode: number;
  /** 'firmware': an HWRM_ERR_CODE_*; 'send': the driver's send failed, errorCode is -errno. */
  readonly kind: 'firmware' | 'send';
  /** For a failed send: the driver's errno, negative (as FwctlError's). */
  declare readonly errno?: number;
  readonly result: BnxtResult;
  constructor(reqType: number, result: BnxtResult) {
    const d = describeErrorCode(result.errorCode);
    const what = reqTypeName(reqType) ?? `req_type 0x${reqType.toString(16)}`;
    super({ code: 'ERR_FWCTL_BNXT_HWRM', errno: d.errno, detail: d.kind === 'send'
      ? `bnxt ${what}: the driver could not send the command (${d.name}, error_code 0x${result.errorCode.toString(16)})`
      : `bnxt ${what}: firmware error_code 0x${result.errorCode.toString(16)} (${d.name})` });
    this.name = 'BnxtFirmwareError';
    this.reqType = reqType;
    this.errorCode = result.errorCode;
    this.kind = d.kind === 'send' ? 'send' : 'firmware';
    this.result = result;
  }
}

export interface BnxtExecOptions extends RequestOptions, CallOptions {
  /** Default: minScope(reqType); required for request types outside the table. */
  scope?: Scope;
  /** Response buffer (default 4096). */
  responseLength?: number;
  allowKernelTaint?: boolean;
  /** Return a non-zero error_code as a result instead of throwing BnxtFirmwareError. */
  allowError?: boolean;
}

function prepare(reqType: number, o: BnxtExecOptions): { request: Buffer; options: RpcOptions } {
  const request = encodeRequest(reqType, o);
  const scope = o.scope ?? minScope(reqType);
  if (scope === undefined) throw new FwctlTypeError(`HWRM req_type 0x${reqType.toString(16)} is not in the driver's table: give options.scope explicitly`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return { request, options: { scope, responseLength: o.responseLength ?? 4096, allowKernelTaint: o.allowKernelTaint, signal: o.signal } };
}

function finish(reqType: number, r: RpcResult, allowError: boolean | undefined): BnxtResult {
  const h = decodeOutput(r.response);
  const result: BnxtResult = { ...h, ok: h.errorCode === 0, response: r.response, length: r.length, truncated: r.truncated };
  if (!result.ok && !allowError) throw new BnxtFirmwareError(reqType, result);
  return result;
}

export async function exec(dev: DeviceLike, reqType: number, options: BnxtExecOptions = {}): Promise<BnxtResult> {
  const p = prepare(reqType, options);
  return finish(reqType, await dev.rpc(p.request, p.options), options.allowError);
}

export function execSync(dev: DeviceLike, reqType: number, options: BnxtExecOptions = {}): BnxtResult {
  const p = prepare(reqType, options);
  return finish(reqType, dev.rpcSync(p.request, p.options), options.allowError);
}

// ---- HWRM_VER_GET ----

/** sizeof(struct hwrm_ver_get_input) / (struct hwrm_ver_get_output). */
export const VER_GET_REQUEST_LENGTH = 24;
export const VER_GET_RESPONSE_LENGTH = 176;
/** The HWRM interface version this package speaks (hwrm_ver_get_input.hwrm_intf_{maj,min,upd}). */
const INTF = [1, 10, 3] as const;

type Version = [number, number, number, number];

export interface VerGet extends BnxtResult {
  /** hwrm_intf_major.minor.build.patch */
  interfaceVersion: Version;
  firmwareVersion: Version;
  managementVersion: Version;
  netctrlVersion: Version;
  roceVersion: Version;
  firmwareName: string;
  managementName: string;
  netctrlName: string;
  activePackage: string;
  roceName: string;
  devCapsCfg: number;
  chipNum: number;
  chipRev: number;
  chipMetal: number;
  maxReqWinLen: number;
  maxRespLen: number;
  defReqTimeout: number;
  maxExtReqLen: number;
  maxReqTimeout: number;
  /** The `valid` byte: 1 when the firmware finished writing the response. */
  valid: boolean;
}

export function decodeVerGet(result: BnxtResult): VerGet {
  const b = result.response;
  need(b, VER_GET_RESPONSE_LENGTH, 'HWRM_VER_GET output');
  const v = view(b);
  const ver = (at: number): Version => [v.getUint16(at, true), v.getUint16(at + 2, true), v.getUint16(at + 4, true), v.getUint16(at + 6, true)];
  return {
    ...result,
    interfaceVersion: ver(128),
    firmwareVersion: ver(136),
    managementVersion: ver(144),
    netctrlVersion: ver(152),
    roceVersion: ver(160),
    firmwareName: cstring(b, 32, 16),
    managementName: cstring(b, 48, 16),
    netctrlName: cstring(b, 64, 16),
    activePackage: cstring(b, 80, 16),
    roceName: cstring(b, 96, 16),
    devCapsCfg: v.getUint32(24, true),
    chipNum: v.getUint16(112, true),
    chipRev: v.getUint8(114),
    chipMetal: v.getUint8(115),
    maxReqWinLen: v.getUint16(118, true),
    maxRespLen: v.getUint16(120, true),
    defReqTimeout: v.getUint16(122, true),
    maxExtReqLen: v.getUint16(168, true),
    maxReqTimeout: v.getUint16(170, true),
    valid: v.getUint8(175) === 1,
  };
}

function verGetOptions(seqId?: number): BnxtExecOptions {
  return { body: Uint8Array.from(INTF), length: VER_GET_REQUEST_LENGTH, responseLength: VER_GET_RESPONSE_LENGTH, seqId };
}

export async function verGet(dev: DeviceLike, options: { seqId?: number } & CallOptions = {}): Promise<VerGet> {
  return decodeVerGet(await exec(dev, HwrmReqType.VER_GET, { ...verGetOptions(options.seqId), signal: options.signal }));
}

export function verGetSync(dev: DeviceLike, options: { seqId?: number } = {}): VerGet {
  return decodeVerGet(execSync(dev, HwrmReqType.VER_GET, verGetOptions(options.seqId)));
}

