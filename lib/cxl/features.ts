// CXL Features over fwctl: Get Supported Features, Get Feature, Set Feature
// (CXL r3.2 8.2.9.6), as drivers/cxl/core/features.c accepts them.
//
// Each operation is written once, as a generator that yields the RPCs it
// needs and receives their results; a sync and an async runner drive it, so
// the sync and async variants cannot drift apart (the same pattern as
// lib/discovery.ts). Every read of a device answer is bounds-checked: a short
// or inconsistent answer is a CxlResponseError, never a RangeError.

import type { CallOptions, RpcResult } from '../device';
import type { DeviceLike } from '../device-like';
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from '../errors';
import { CxlOpcode, SCOPE_NAMES, Scope } from '../uapi/constants';
import { asU8, pack, read, write, type Bytes } from '../uapi/layout';
import {
  cxlFeatEntry, cxlGetFeatIn, cxlGetSupFeatsIn, cxlGetSupFeatsOut, cxlSetFeatIn, fwctlRpcCxl, fwctlRpcCxlOut,
} from '../uapi/structs';
import { cxlOpcodeName } from './opcodes';
import { decodeByName, edacInfo, MIN_DATA_SIZE, type CxlDecodedFeature, type CxlEdacInfo } from './decode';

export {
  decodePatrolScrub, decodeEcs, decodePpr, decodeSparing, decodedRows, edacInfo, ECS_THRESHOLDS,
  PATROL_SCRUB_SIZE, ECS_HEADER_SIZE, ECS_FRU_SIZE, PPR_SIZE, SPARING_SIZE,
} from './decode';
export type {
  CxlDecodedFeature, CxlPatrolScrub, CxlEcs, CxlEcsFru, CxlPpr, CxlSparing, CxlSparingName, CxlMaintenanceHeader,
  CxlEdacInfo, CxlEdacControl,
} from './decode';

// ---- constants from include/uapi/cxl/features.h and include/cxl/features.h ----

/** The feature UUIDs drivers/cxl reserves to the kernel (cxl_exclusive_feats), by name. */
export const CxlFeatureUuid = Object.freeze({
  PatrolScrub: '96dad7d6-fde8-482b-a733-75774e06db8a',
  Ecs: 'e5b13f22-2328-4a14-b8ba-b9691e893386',
  SoftPpr: '892ba475-fad8-474e-9d3e-692c917568bb',
  HardPpr: '80ea4521-786f-4127-afb1-ec7459fb0e24',
  CachelineSparing: '96c33386-91dd-44c7-9ecb-fdaf6503bac4',
  RowSparing: '450ebf67-b135-4f97-a498-c2d57f279bed',
  BankSparing: '78b79636-90ac-4b64-a4ef-faac5d18a863',
  RankSparing: '34dbaff5-0552-4281-8f76-da0b5e7a76a7',
} as const);

/** `name` of a CxlFeature, by UUID. */
const KNOWN_NAMES: ReadonlyMap<string, string> = new Map([
  [CxlFeatureUuid.PatrolScrub, 'patrol-scrub'],
  [CxlFeatureUuid.Ecs, 'ecs'],
  [CxlFeatureUuid.SoftPpr, 'soft-ppr'],
  [CxlFeatureUuid.HardPpr, 'hard-ppr'],
  [CxlFeatureUuid.CachelineSparing, 'cacheline-sparing'],
  [CxlFeatureUuid.RowSparing, 'row-sparing'],
  [CxlFeatureUuid.BankSparing, 'bank-sparing'],
  [CxlFeatureUuid.RankSparing, 'rank-sparing'],
]);

/** Every known feature is kernel-exclusive in Linux 7.3 (cxl_exclusive_feats in drivers/cxl/core/features.c). */
const KERNEL_EXCLUSIVE: ReadonlySet<string> = new Set(Object.values(CxlFeatureUuid));

/** CXL_FEATURE_F_* bits of cxl_feat_entry.flags. */
export const CxlFeatureFlag = Object.freeze({
  Changeable: 1 << 0,
  PersistAcrossFirmwareUpdate: 1 << 4,
  DefaultSelection: 1 << 5,
  SavedSelection: 1 << 6,
} as const);

/** CXL_CMD_* command effects bits (CXL r3.2 Table 8-87), as include/uapi/cxl/features.h names them. */
export const CxlEffect = Object.freeze({
  ConfigChangeColdReset: 1 << 0,
  ConfigChangeImmediate: 1 << 1,
  DataChangeImmediate: 1 << 2,
  PolicyChangeImmediate: 1 << 3,
  LogChangeImmediate: 1 << 4,
  SecurityStateChange: 1 << 5,
  Background: 1 << 6,
  BackgroundAbortSupported: 1 << 7,
  EffectsValid: 1 << 9,
  ConfigChangeConventionalReset: 1 << 10,
  ConfigChangeCxlReset: 1 << 11,
} as const);
/** CXL_CMD_EFFECTS_RESERVED: bits 15:12. The driver refuses a Set for a feature with any of them. */
export const CXL_EFFECTS_RESERVED = 0xf000;

const IMMEDIATE_MASK = CxlEffect.ConfigChangeImmediate | CxlEffect.DataChangeImmediate |
  CxlEffect.PolicyChangeImmediate | CxlEffect.LogChangeImmediate;
const RESET_MASK = CxlEffect.ConfigChangeColdReset | CxlEffect.ConfigChangeConventionalReset |
  CxlEffect.ConfigChangeCxlReset;

/** enum cxl_get_feat_selection. */
export const CxlSelection = Object.freeze({ current: 0, default: 1, saved: 2 } as const);
export type CxlSelection = keyof typeof CxlSelection;

/** Set Feature flags: data transfer (bits 2:0; drivers/cxl chooses it) and CXL_SET_FEAT_FLAG_DATA_SAVED_ACROSS_RESET. */
export const CXL_SET_FEAT_FLAG_DATA_SAVED_ACROSS_RESET = 1 << 3;

/**
 * CXL mailbox return codes (CXL r3.2 Table 8-34), with the names and texts
 * of CMD_CMD_RC_TABLE in drivers/cxl/cxlmem.h.
 */
export const CXL_MBOX_RETURN_CODES: readonly (readonly [name: string, text: string])[] = Object.freeze([
  ['SUCCESS', 'success'],
  ['BACKGROUND', 'background cmd started successfully'],
  ['INPUT', 'cmd input was invalid'],
  ['UNSUPPORTED', 'cmd is not supported'],
  ['INTERNAL', 'internal device error'],
  ['RETRY', 'temporary error, retry once'],
  ['BUSY', 'ongoing background operation'],
  ['MEDIADISABLED', 'media access is disabled'],
  ['FWINPROGRESS', 'one FW package can be transferred at a time'],
  ['FWOOO', 'FW package content was transferred out of order'],
  ['FWAUTH', 'FW package authentication failed'],
  ['FWSLOT', 'FW slot is not supported for requested operation'],
  ['FWROLLBACK', 'rolled back to the previous active FW'],
  ['FWRESET', 'FW failed to activate, needs cold reset'],
  ['HANDLE', 'one or more Event Record Handles were invalid'],
  ['PADDR', 'physical address specified is invalid'],
  ['POISONLMT', 'poison injection limit has been reached'],
  ['MEDIAFAILURE', 'permanent issue with the media'],
  ['ABORT', 'background cmd was aborted by device'],
  ['SECURITY', 'not valid in the current security state'],
  ['PASSPHRASE', 'phrase doesn\'t match current set passphrase'],
  ['MBUNSUPPORTED', 'unsupported on the mailbox it was issued on'],
  ['PAYLOADLEN', 'invalid payload length'],
  ['LOG', 'invalid or unsupported log page'],
  ['INTERRUPTED', 'asynchronous event occurred'],
  ['FEATUREVERSION', 'unsupported feature version'],
  ['FEATURESELVALUE', 'unsupported feature selection value'],
  ['FEATURETRANSFERIP', 'feature transfer in progress'],
  ['FEATURETRANSFEROOO', 'feature transfer out of order'],
  ['RESOURCEEXHAUSTED', 'resources are exhausted'],
  ['EXTLIST', 'invalid Extent List'],
].map((e) => Object.freeze(e as [string, string])));

/** The return code's name ('INPUT'), or 'RC_0x..' for one the table does not know. */
export function cxlReturnCodeName(rc: number): string {
  return CXL_MBOX_RETURN_CODES[rc]?.[0] ?? `RC_0x${rc.toString(16)}`;
}

const opName = cxlOpcodeName;

// ---- errors ----

/**
 * The device's mailbox answered a CXL command with a return code other than
 * SUCCESS (fwctl_rpc_cxl_out.retval != 0). The ioctl itself succeeded: this
 * is the device speaking, not an errno (those are FwctlError).
 */
export class CxlMailboxError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_CXL_MAILBOX';
  /** The CXL mailbox return code (CXL r3.2 Table 8-34). */
  readonly returnCode: number;
  /** Its name as drivers/cxl/cxlmem.h spells it: 'INPUT', 'UNSUPPORTED', ... */
  readonly returnCodeName: string;
  /** The mailbox opcode (CxlOpcode). */
  readonly opcode: number;

  constructor(returnCode: number, opcode: number, path?: string, what?: string) {
    const name = cxlReturnCodeName(returnCode);
    const text = CXL_MBOX_RETURN_CODES[returnCode]?.[1] ?? 'a return code this package does not know';
    super({ code: 'ERR_FWCTL_CXL_MAILBOX', path, detail: `${opName(opcode)}${what ? ` (${what})` : ''} failed: CXL mailbox return code ` +
      `${returnCode} ${name} (${text})` });
    this.name = 'CxlMailboxError';
    this.returnCode = returnCode;
    this.returnCodeName = name;
    this.opcode = opcode;
  }
}

/** A device answer that does not have the shape its command defines (short, or counts larger than the data). */
export class CxlResponseError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_CXL_RESPONSE';
  readonly opcode: number;

  constructor(opcode: number, detail: string, path?: string) {
    super({ code: 'ERR_FWCTL_CXL_RESPONSE', path, detail: `malformed ${opName(opcode)} answer: ${detail}` });
    this.name = 'CxlResponseError';
    this.opcode = opcode;
  }
}

// ---- UUIDs ----

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** 16 bytes (in UUID_INIT order, as the mailbox carries them) from a UUID string or bytes. */
export function uuidBytes(uuid: string | Bytes): Uint8Array {
  if (typeof uuid === 'string') {
    if (!UUID_RE.test(uuid)) throw new FwctlTypeError(`not a UUID: ${JSON.stringify(uuid)} (want 8-4-4-4-12 hex digits)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    return new Uint8Array(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
  }
  if (!(uuid instanceof Uint8Array)) throw new FwctlTypeError('uuid must be a string or 16 bytes');
  if (uuid.byteLength !== 16) throw new FwctlRangeError(`a UUID is 16 bytes, got ${show(uuid.byteLength)}`);
  return new Uint8Array(uuid);
}

/** The canonical lower-case string of 16 UUID bytes. */
export function uuidString(bytes: Bytes): string {
  // Checked first: a shorter view must not read the bytes after it in its ArrayBuffer.
  if (!(bytes instanceof Uint8Array)) throw new FwctlTypeError('uuid bytes must be a Uint8Array or Buffer');
  if (bytes.byteLength < 16) throw new FwctlRangeError(`a UUID is 16 bytes, got ${show(bytes.byteLength)}`);
  const h = Buffer.from(asU8(bytes).buffer, asU8(bytes).byteOffset, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const canonical = (uuid: string | Bytes) => uuidString(uuidBytes(uuid));

// ---- the known features' data ----

/** 'patrol-scrub', 'ecs', ... for one of the eight UUIDs drivers/cxl knows; undefined otherwise. */
export function featureName(uuid: string | Bytes): string | undefined {
  return KNOWN_NAMES.get(canonical(uuid));
}

/**
 * The data of a kernel-known feature (Get Feature from offset 0) decoded by
 * name (lib/cxl/decode.ts); null for a feature this package has no layout
 * for. Data shorter than the layout is a FwctlDecodeError.
 */
export function decodeFeatureData(uuid: string | Bytes, data: Bytes): CxlDecodedFeature | null {
  const name = featureName(uuid);
  return name === undefined ? null : decodeByName(name, asU8(data)) ?? null;
}

/** Where Linux changes a kernel-exclusive feature (EDAC sysfs), for the memdev; undefined for other features. */
export function featureEdacInfo(uuid: string | Bytes, memdev: string | null): CxlEdacInfo | undefined {
  const name = featureName(uuid);
  return name === undefined ? undefined : edacInfo(name, memdev);
}

/**
 * What getFeature returns: the data bytes, with `decoded` (not enumerable, so
 * the Buffer compares and prints as before) next to them: the named fields of
 * a kernel-known feature read from offset 0, null otherwise (another feature,
 * an offset read, or data shorter than the layout).
 */
export type CxlFeatureData = Buffer & { readonly decoded: CxlDecodedFeature | null };

function withDecoded(uuid: string, offset: number, data: Buffer): CxlFeatureData {
  const name = KNOWN_NAMES.get(uuid);
  let decoded: CxlDecodedFeature | null = null;
  if (name !== undefined && offset === 0 && data.length >= MIN_DATA_SIZE[name]) decoded = decodeByName(name, data) ?? null;
  return Object.defineProperty(data, 'decoded', { value: decoded, enumerable: false }) as CxlFeatureData;
}

// ---- the decoded feature entry ----

export interface CxlFeatureFlags {
  /** The whole flags field. */
  readonly raw: number;
  /** CXL_FEATURE_F_CHANGEABLE. drivers/cxl clears it (and setSize) for kernel-exclusive features. */
  readonly changeable: boolean;
  /** CXL_FEATURE_F_PERSIST_FW_UPDATE: the value survives a firmware update. */
  readonly persistsAcrossFirmwareUpdate: boolean;
  /** CXL_FEATURE_F_DEFAULT_SEL: Get Feature with selection 'default' is supported. */
  readonly defaultSelection: boolean;
  /** CXL_FEATURE_F_SAVED_SEL: Get Feature with selection 'saved' is supported. */
  readonly savedSelection: boolean;
}

/** The Set Feature command effects, bit by bit (names as in include/uapi/cxl/features.h). */
export interface CxlFeatureEffects {
  readonly raw: number;
  readonly configChangeColdReset: boolean;
  readonly configChangeImmediate: boolean;
  readonly dataChangeImmediate: boolean;
  readonly policyChangeImmediate: boolean;
  readonly logChangeImmediate: boolean;
  readonly securityStateChange: boolean;
  readonly background: boolean;
  readonly backgroundAbortSupported: boolean;
  readonly effectsValid: boolean;
  readonly configChangeConventionalReset: boolean;
  readonly configChangeCxlReset: boolean;
  /** Bits 15:12 (CXL_CMD_EFFECTS_RESERVED); non-zero makes the feature unsettable through fwctl. */
  readonly reserved: number;
}

export interface CxlFeature {
  /** Canonical lower-case UUID. */
  readonly uuid: string;
  /** 'patrol-scrub', 'ecs', 'soft-ppr', 'hard-ppr', '{cacheline,row,bank,rank}-sparing'; undefined for others. */
  readonly name?: string;
  /** Feature index (0 based). */
  readonly id: number;
  /** Bytes of feature data Get Feature returns. */
  readonly getSize: number;
  /** Bytes of feature data Set Feature accepts (0: cannot be set). */
  readonly setSize: number;
  readonly getVersion: number;
  /** The version Set Feature sends (setFeature uses it unless told otherwise). */
  readonly setVersion: number;
  readonly flags: CxlFeatureFlags;
  readonly effects: CxlFeatureEffects;
  /** One of the features drivers/cxl reserves to the kernel: never settable through fwctl. */
  readonly kernelExclusive: boolean;
  /**
   * The scope drivers/cxl requires for a Set Feature of this feature:
   * DebugWriteFull when an effect is immediate, DebugWrite when the change
   * takes effect only after a reset; null when it cannot be set through fwctl
   * (see notSettableReason).
   */
  readonly requiredScope: Scope | null;
  /** Why requiredScope is null. */
  readonly notSettableReason?: string;
}

export function decodeFlags(raw: number): CxlFeatureFlags {
  return {
    raw,
    changeable: (raw & CxlFeatureFlag.Changeable) !== 0,
    persistsAcrossFirmwareUpdate: (raw & CxlFeatureFlag.PersistAcrossFirmwareUpdate) !== 0,
    defaultSelection: (raw & CxlFeatureFlag.DefaultSelection) !== 0,
    savedSelection: (raw & CxlFeatureFlag.SavedSelection) !== 0,
  };
}

export function decodeEffects(raw: number): CxlFeatureEffects {
  const bit = (b: number) => (raw & b) !== 0;
  return {
    raw,
    configChangeColdReset: bit(CxlEffect.ConfigChangeColdReset),
    configChangeImmediate: bit(CxlEffect.ConfigChangeImmediate),
    dataChangeImmediate: bit(CxlEffect.DataChangeImmediate),
    policyChangeImmediate: bit(CxlEffect.PolicyChangeImmediate),
    logChangeImmediate: bit(CxlEffect.LogChangeImmediate),
    securityStateChange: bit(CxlEffect.SecurityStateChange),
    background: bit(CxlEffect.Background),
    backgroundAbortSupported: bit(CxlEffect.BackgroundAbortSupported),
    effectsValid: bit(CxlEffect.EffectsValid),
    configChangeConventionalReset: bit(CxlEffect.ConfigChangeConventionalReset),
    configChangeCxlReset: bit(CxlEffect.ConfigChangeCxlReset),
    reserved: raw & CXL_EFFECTS_RESERVED,
  };
}

/**
 * What drivers/cxl/core/features.c (cxlctl_validate_set_features and
 * cxlctl_set_feature) requires for a Set Feature: the scope, or why none works.
 */
export function setRequirement(uuid: string, flags: number, effects: number):
  { scope: Scope; reason?: undefined } | { scope: null; reason: string } {
  if (KERNEL_EXCLUSIVE.has(uuid)) return { scope: null, reason: 'reserved to the kernel (drivers/cxl refuses it with EPERM or EINVAL)' };
  if (!(flags & CxlFeatureFlag.Changeable)) return { scope: null, reason: 'not changeable (flags)' };
  if (effects & CXL_EFFECTS_RESERVED) return { scope: null, reason: 'reserved effects bits are set (the driver does not comprehend them)' };
  if (effects & CxlEffect.Background) return { scope: null, reason: 'it runs as a background command (no fwctl support)' };
  if (effects & IMMEDIATE_MASK) return { scope: Scope.DebugWriteFull };
  if (effects & RESET_MASK) return { scope: Scope.DebugWrite };
  return { scope: null, reason: 'its effects name neither an immediate nor a reset change (the driver treats that as a device bug)' };
}

/** Decode one 48-byte cxl_feat_entry at `base` of buf (RangeError when buf is too short). */
export function decodeFeatureEntry(buf: Bytes, base = 0): CxlFeature {
  if (!Number.isInteger(base) || base < 0 || asU8(buf).byteLength < base + cxlFeatEntry.size) {
    throw new FwctlRangeError(`cxl_feat_entry needs ${cxlFeatEntry.size} bytes at offset ${base}, the buffer has ${asU8(buf).byteLength}`);
  }
  const F = cxlFeatEntry.fields;
  const uuid = uuidString(read(buf, F.uuid, base));
  const flags = read(buf, F.flags, base);
  const effects = read(buf, F.effects, base);
  const req = setRequirement(uuid, flags, effects);
  const name = KNOWN_NAMES.get(uuid);
  return {
    uuid,
    ...(name !== undefined ? { name } : {}),
    id: read(buf, F.id, base),
    getSize: read(buf, F.get_feat_size, base),
    setSize: read(buf, F.set_feat_size, base),
    getVersion: read(buf, F.get_feat_ver, base),
    setVersion: read(buf, F.set_feat_ver, base),
    flags: decodeFlags(flags),
    effects: decodeEffects(effects),
    kernelExclusive: KERNEL_EXCLUSIVE.has(uuid),
    requiredScope: req.scope,
    ...(req.reason !== undefined ? { notSettableReason: req.reason } : {}),
  };
}

// ---- requests (struct fwctl_rpc_cxl: 16-byte header, then the mailbox input) ----

const HDR = 16; // sizeof(struct fwctl_rpc_cxl_hdr)
const OUT_HDR = fwctlRpcCxlOut.fields.payload.offset; // 8: sizeof(struct fwctl_rpc_cxl_out_hdr)
/**
 * drivers/cxl reports every answer's length as sizeof(struct fwctl_rpc_cxl_out)
 * (16: the union counts as the 8-byte get_sup_feats_out header) + size, 8 more
 * than it writes. Reserving those 8 bytes keeps the answer from looking
 * truncated (and cxlctl_get_feature allocates what the caller reserves).
 */
const OUT_SLACK = fwctlRpcCxlOut.size - OUT_HDR; // 8
const SUP_HDR = cxlGetSupFeatsOut.fields.ents.offset; // 8
const ENTRY = cxlFeatEntry.size; // 48
const SET_HDR = cxlSetFeatIn.fields.feat_data.offset; // 32
const U16_MAX = 0xffff;

function rpcRequest(opcode: number, payload: Uint8Array): Uint8Array {
  // Only the 16-byte header is sent before the payload (the union is as long as the payload, not sizeof).
  const req = new Uint8Array(HDR + payload.byteLength);
  write(req, fwctlRpcCxl.fields.opcode, opcode);
  write(req, fwctlRpcCxl.fields.op_size, payload.byteLength);
  req.set(payload, HDR);
  return req;
}

export function encodeGetSupportedFeatures(startIndex: number, entries: number): Uint8Array {
  if (typeof entries !== 'number') throw new FwctlTypeError(`entries must be a number, got ${show(typeof entries)}`);
  return rpcRequest(CxlOpcode.GetSupportedFeatures,
    pack(cxlGetSupFeatsIn, { count: SUP_HDR + ENTRY * entries, start_idx: startIndex }));
}

export function encodeGetFeature(uuid: Uint8Array, selection: number, offset: number, count: number): Uint8Array {
  return rpcRequest(CxlOpcode.GetFeature, pack(cxlGetFeatIn, { uuid, offset, count, selection }));
}

export function encodeSetFeature(uuid: Uint8Array, data: Uint8Array, flags: number, offset: number, version: number): Uint8Array {
  const payload = new Uint8Array(SET_HDR + data.byteLength);
  pack(cxlSetFeatIn, { uuid, flags, offset, version }, payload);
  payload.set(data, SET_HDR);
  return rpcRequest(CxlOpcode.SetFeature, payload);
}

// ---- answers ----

interface Out {
  /** fwctl_rpc_cxl_out.size */
  size: number;
  /** The bytes after the 8-byte header that the kernel wrote. */
  payload: Buffer;
}

/**
 * Check an RPC result's framing and retval; returns the payload. `size` is
 * authoritative: the length the driver reports is not (see OUT_SLACK), so a
 * "truncated" answer is fine as long as all `size` bytes arrived.
 */
export function decodeOut(res: RpcResult, opcode: number, path?: string, what?: string): Out {
  const r = res.response;
  const cut = res.truncated ? ` (the driver reported ${res.length} bytes, ${r.length} were reserved)` : '';
  if (r.length < OUT_HDR) {
    throw new CxlResponseError(opcode, `${r.length} bytes, shorter than the 8-byte fwctl_rpc_cxl_out header${cut}`, path);
  }
  const retval = read(r, fwctlRpcCxlOut.fields.retval);
  if (retval !== 0) throw new CxlMailboxError(retval, opcode, path, what);
  const size = read(r, fwctlRpcCxlOut.fields.size);
  const payload = r.subarray(OUT_HDR);
  if (size > payload.length) {
    throw new CxlResponseError(opcode, `size says ${size} payload bytes, only ${payload.length} arrived${cut}`, path);
  }
  return { size, payload: payload.subarray(0, size) };
}

interface SupPage {
  /** supported_feats: every feature the device has, kernel-exclusive ones included. */
  total: number;
  entries: CxlFeature[];
}

export function decodeGetSupportedFeatures(res: RpcResult, asked: number, path?: string): SupPage {
  const op = CxlOpcode.GetSupportedFeatures;
  const { payload } = decodeOut(res, op, path);
  if (payload.length < SUP_HDR) {
    throw new CxlResponseError(op, `${payload.length} payload bytes, shorter than the 8-byte header`, path);
  }
  const n = read(payload, cxlGetSupFeatsOut.fields.num_entries);
  const total = read(payload, cxlGetSupFeatsOut.fields.supported_feats);
  if (n > asked) throw new CxlResponseError(op, `num_entries ${n} is more than the ${asked} asked for`, path);
  if (SUP_HDR + n * ENTRY > payload.length) {
    throw new CxlResponseError(op, `num_entries ${n} needs ${SUP_HDR + n * ENTRY} bytes, got ${payload.length}`, path);
  }
  const entries: CxlFeature[] = [];
  for (let i = 0; i < n; i++) entries.push(decodeFeatureEntry(payload, SUP_HDR + i * ENTRY));
  return { total, entries };
}

// ---- the operations as generators of RPCs ----

interface Call {
  request: Uint8Array;
  scope: Scope;
  responseLength: number;
  allowKernelTaint?: boolean;
}
type Op<T> = Generator<Call, T, RpcResult>;

export interface GetSupportedOptions extends CallOptions {
  /** Entries per Get Supported Features call (default 256; 1 to 43690). */
  pageSize?: number;
}

const DEFAULT_PAGE = 256;
/** Entries whose count (8 + 48 n) still fits the 32-bit count and the 2 MiB RPC limit with room. */
const MAX_PAGE = 43690;

function* getSupportedOp(path: string, options: GetSupportedOptions = {}): Op<CxlFeature[]> {
  const op = CxlOpcode.GetSupportedFeatures;
  const page = options.pageSize ?? DEFAULT_PAGE;
  if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) {
    throw new FwctlRangeError(`pageSize must be an integer from 1 to ${MAX_PAGE}, got ${show(page)}`);
  }
  // 1. the count: a header-only answer carries supported_feats.
  const first = decodeGetSupportedFeatures(yield {
    request: encodeGetSupportedFeatures(0, 0), scope: Scope.Configuration, responseLength: OUT_HDR + SUP_HDR + OUT_SLACK,
  }, 0, path);
  const total = first.total;
  // 2. the entries, a page at a time; a short page continues where it ended.
  const out: CxlFeature[] = [];
  while (out.length < total) {
    const ask = Math.min(page, total - out.length);
    const res = decodeGetSupportedFeatures(yield {
      request: encodeGetSupportedFeatures(out.length, ask), scope: Scope.Configuration,
      responseLength: OUT_HDR + SUP_HDR + ask * ENTRY + OUT_SLACK,
    }, ask, path);
    if (res.entries.length === 0) {
      throw new CxlResponseError(op, `no entries from index ${out.length} although supported_feats is ${total}`, path);
    }
    out.push(...res.entries);
  }
  return out;
}

export interface GetFeatureOptions extends CallOptions {
  /** 'current' (default), 'default' or 'saved'. */
  selection?: CxlSelection;
  /** First byte of the feature data (default 0). */
  offset?: number;
  /** Bytes to read (default: the feature's getSize - offset, which needs its entry). */
  length?: number;
  /** The feature's entry, if already known: saves a Get Supported Features. */
  feature?: CxlFeature;
}

function checkU16(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > U16_MAX) {
    throw new FwctlRangeError(`${what} must be an integer from ${min} to ${U16_MAX}, got ${show(v)}`);
  }
  return v;
}

function selectionOf(s: unknown): number {
  if (s === undefined) return CxlSelection.current;
  if (typeof s !== 'string' || !Object.hasOwn(CxlSelection, s)) {
    throw new FwctlTypeError(`selection must be 'current', 'default' or 'saved', got ${typeof s === 'string' ? JSON.stringify(s) : show(s)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  return CxlSelection[s as CxlSelection];
}

function checkOptions(o: unknown, what: string): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null) throw new FwctlTypeError(`${what} options must be an object`);
  return o as Record<string, unknown>;
}

function* findFeature(path: string, uuid: string, given: unknown): Op<CxlFeature | undefined> {
  if (given !== undefined) {
    const f = given as CxlFeature;
    if (typeof f !== 'object' || f === null || f.uuid !== uuid) {
      throw new FwctlTypeError(`options.feature must be the entry of ${uuid} (from getSupportedFeatures)`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    }
    return f;
  }
  return (yield* getSupportedOp(path)).find((f) => f.uuid === uuid);
}

function* getFeatureOp(path: string, uuidIn: string | Bytes, options?: GetFeatureOptions): Op<CxlFeatureData> {
  const op = CxlOpcode.GetFeature;
  const uuid = canonical(uuidIn);
  const o = checkOptions(options, 'getFeature');
  const selection = selectionOf(o.selection);
  const offset = o.offset === undefined ? 0 : checkU16(o.offset, 'offset');
  let length: number;
  if (o.length !== undefined) {
    length = checkU16(o.length, 'length', 1);
  } else {
    const f = yield* findFeature(path, uuid, o.feature);
    if (!f) {
      throw new FwctlError({ code: 'ERR_FWCTL_CXL_NO_FEATURE', path,
        detail: `the device does not list feature ${uuid} (Get Supported Features); give options.length to read it anyway` });
    }
    if (offset >= f.getSize) {
      throw new FwctlRangeError(`offset ${offset} is past the end of feature ${uuid} (getSize ${f.getSize})`);
    }
    length = f.getSize - offset;
  }
  // The driver wants room for all of `count` after the 8-byte header (else EINVAL).
  const out = decodeOut(yield {
    request: encodeGetFeature(uuidBytes(uuid), selection, offset, length),
    scope: Scope.Configuration, responseLength: OUT_HDR + length + OUT_SLACK,
  }, op, path, uuid);
  if (out.size === 0) {
    // cxlctl_get_feature reports a failed transfer as size 0; retval 0 means the driver lost the cause.
    throw new CxlResponseError(op, 'no data and no mailbox error: the transfer failed in the kernel (see dmesg)', path);
  }
  if (out.size > length) throw new CxlResponseError(op, `${out.size} bytes of data, more than the ${length} asked for`, path);
  return withDecoded(uuid, offset, Buffer.from(out.payload));
}

export interface SetFeatureOptions extends CallOptions {
  /** Required: a Set taints the kernel (scope DebugWrite or DebugWriteFull). */
  allowKernelTaint?: boolean;
  /** Byte offset into the feature data (default 0). */
  offset?: number;
  /**
   * CXL_SET_FEAT_FLAG_DATA_SAVED_ACROSS_RESET (default true). Note: Linux
   * 7.3's drivers/cxl sets this flag on every Set Feature whatever is asked.
   */
  saveAcrossReset?: boolean;
  /** The feature data version (default: the feature's setVersion). */
  version?: number;
  /**
   * The scope to send (default: the one the feature's effects require). A
   * lower one is sent as asked; the driver answers EINVAL, explained.
   */
  scope?: Scope;
  /** The feature's entry, if already known: saves a Get Supported Features. */
  feature?: CxlFeature;
}

const effectNames = (effects: number) =>
  Object.entries(CxlEffect).filter(([, b]) => effects & b).map(([n]) => n).join(', ') || 'none';

function* setFeatureOp(path: string, uuidIn: string | Bytes, data: Bytes, options?: SetFeatureOptions): Op<void> {
  const op = CxlOpcode.SetFeature;
  const uuid = canonical(uuidIn);
  if (!(data instanceof Uint8Array)) throw new FwctlTypeError('data must be a Uint8Array or Buffer');
  const o = checkOptions(options, 'setFeature');
  if (o.allowKernelTaint !== undefined && typeof o.allowKernelTaint !== 'boolean') {
    throw new FwctlTypeError('options.allowKernelTaint must be a boolean');
  }
  if (o.saveAcrossReset !== undefined && typeof o.saveAcrossReset !== 'boolean') {
    throw new FwctlTypeError('options.saveAcrossReset must be a boolean');
  }
  const offset = o.offset === undefined ? 0 : checkU16(o.offset, 'offset');
  if (data.byteLength < 1) throw new FwctlRangeError('data is empty: Set Feature needs at least one byte (the driver answers EINVAL)');
  if (offset + data.byteLength > U16_MAX + 1) {
    throw new FwctlRangeError(`offset ${offset} + ${data.byteLength} bytes is past the 16-bit feature offset range`);
  }
  if (KERNEL_EXCLUSIVE.has(uuid)) {
    throw new FwctlError({ code: 'ERR_FWCTL_CXL_NOT_SETTABLE', path,
      detail: `refused before calling the kernel: feature ${KNOWN_NAMES.get(uuid)} (${uuid}) is reserved to the kernel ` +
        '(cxl_exclusive_feats in drivers/cxl/core/features.c); drivers/cxl refuses Set Feature for it' });
  }
  let feature: CxlFeature | undefined;
  if (o.scope === undefined || o.version === undefined || o.feature !== undefined) {
    feature = yield* findFeature(path, uuid, o.feature);
  }
  let scope: Scope;
  if (o.scope !== undefined) {
    if (typeof o.scope !== 'number' || !Number.isInteger(o.scope) || o.scope < 0 || o.scope >= SCOPE_NAMES.length) {
      throw new FwctlRangeError(`options.scope ${String(o.scope)} is not a known scope (0..${SCOPE_NAMES.length - 1})`);
    }
    scope = o.scope as Scope;
  } else {
    if (!feature) {
      throw new FwctlError({ code: 'ERR_FWCTL_CXL_NO_FEATURE', path,
        detail: `refused before calling the kernel: the device does not list feature ${uuid} ` +
          '(Get Supported Features), and drivers/cxl answers EINVAL for a Set of an unlisted feature' });
    }
    if (feature.requiredScope === null) {
      throw new FwctlError({ code: 'ERR_FWCTL_CXL_NOT_SETTABLE', path,
        detail: `refused before calling the kernel: feature ${uuid} cannot be set through fwctl: ${feature.notSettableReason}` });
    }
    scope = feature.requiredScope;
  }
  if (feature && feature.setSize > 0 && offset + data.byteLength > feature.setSize) {
    throw new FwctlRangeError(`offset ${offset} + ${data.byteLength} bytes exceeds feature ${uuid}'s setSize ${feature.setSize}`);
  }
  const version = o.version ?? feature?.setVersion ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 0xff) {
    throw new FwctlRangeError(`version must be an integer from 0 to 255, got ${show(version)}`);
  }
  const flags = o.saveAcrossReset === false ? 0 : CXL_SET_FEAT_FLAG_DATA_SAVED_ACROSS_RESET;
  let res: RpcResult;
  try {
    res = yield {
      request: encodeSetFeature(uuidBytes(uuid), data as Uint8Array, flags, offset, version),
      scope, responseLength: OUT_HDR + OUT_SLACK, allowKernelTaint: o.allowKernelTaint as boolean | undefined,
    };
  } catch (e) {
    throw explainSetError(e, uuid, scope, feature);
  }
  decodeOut(res, op, path, uuid);
}

/** drivers/cxl answers EINVAL for every Set it refuses; say which rule applies when we know it. */
function explainSetError(e: unknown, uuid: string, scope: Scope, feature: CxlFeature | undefined): unknown {
  if (!(e instanceof FwctlError) || e.code !== 'EINVAL' || e.syscall !== 'ioctl(FWCTL_RPC)') return e;
  const what = feature?.name ? `feature ${feature.name} (${uuid})` : `feature ${uuid}`;
  let detail: string;
  if (!feature) {
    detail = `drivers/cxl refused Set Feature: the device does not list ${what}`;
  } else if (feature.requiredScope === null) {
    detail = `drivers/cxl refused Set Feature: ${what} cannot be set through fwctl: ${feature.notSettableReason}`;
  } else if (scope < feature.requiredScope) {
    const kind = feature.requiredScope === Scope.DebugWriteFull ? 'an immediate change' : 'a change after reset only';
    detail = `drivers/cxl refused Set Feature at scope ${SCOPE_NAMES[scope]}: ${what} has effects ` +
      `${effectNames(feature.effects.raw)} (${kind}), which need scope ${SCOPE_NAMES[feature.requiredScope]} ` +
      '(the driver answers a too-low scope with EINVAL, not EPERM)';
  } else {
    detail = `drivers/cxl refused Set Feature of ${what} at scope ${SCOPE_NAMES[scope]}: a malformed request, ` +
      'or a device without Set Feature support (feature capability read-only)';
  }
  return new FwctlError({ code: 'EINVAL', errno: e.errno, syscall: e.syscall, path: e.path, detail });
}

// ---- runners ----

function runSync<T>(dev: DeviceLike, op: Op<T>): T {
  let step = op.next();
  while (!step.done) {
    const call = step.value;
    let res: RpcResult;
    try {
      res = dev.rpcSync(call.request, call);
    } catch (e) {
      step = op.throw(e);
      continue;
    }
    step = op.next(res);
  }
  return step.value;
}

async function run<T>(dev: DeviceLike, op: Op<T>, signal: AbortSignal | undefined): Promise<T> {
  let step = op.next();
  while (!step.done) {
    const call = step.value;
    let res: RpcResult;
    try {
      res = await dev.rpc(call.request, signal ? { ...call, signal } : call);
    } catch (e) {
      step = op.throw(e);
      continue;
    }
    step = op.next(res);
  }
  return step.value;
}

// ---- device type check (once per handle) ----

const checked = new WeakSet<DeviceLike>();

function typeError(dev: DeviceLike, type: string): FwctlError {
  return new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path,
    detail: `refused before calling the kernel: ${dev.path} is a ${type} device, not CXL` });
}

function ensureCxlSync(dev: DeviceLike): void {
  if (checked.has(dev)) return;
  const t = dev.infoSync().type;
  if (t !== 'cxl') throw typeError(dev, t);
  checked.add(dev);
}

async function ensureCxl(dev: DeviceLike, signal: AbortSignal | undefined): Promise<void> {
  if (checked.has(dev)) return;
  const t = (await dev.info({ signal })).type;
  if (t !== 'cxl') throw typeError(dev, t);
  checked.add(dev);
}

// ---- the public operations ----

/**
 * Every feature the device supports (Get Supported Features), kernel-exclusive
 * ones included: first the count, then the entries a page at a time.
 */
export async function getSupportedFeatures(dev: DeviceLike, options?: GetSupportedOptions): Promise<CxlFeature[]> {
  await ensureCxl(dev, options?.signal);
  return run(dev, getSupportedOp(dev.path, options), options?.signal);
}

export function getSupportedFeaturesSync(dev: DeviceLike, options?: GetSupportedOptions): CxlFeature[] {
  ensureCxlSync(dev);
  return runSync(dev, getSupportedOp(dev.path, options));
}

/**
 * A feature's data (Get Feature): its current value unless options.selection
 * says 'default' or 'saved'. A Buffer; for a kernel-known feature read from
 * offset 0, `.decoded` holds its named fields (CxlFeatureData).
 */
export async function getFeature(dev: DeviceLike, uuid: string | Bytes, options?: GetFeatureOptions): Promise<CxlFeatureData> {
  await ensureCxl(dev, options?.signal);
  return run(dev, getFeatureOp(dev.path, uuid, options), options?.signal);
}

export function getFeatureSync(dev: DeviceLike, uuid: string | Bytes, options?: GetFeatureOptions): CxlFeatureData {
  ensureCxlSync(dev);
  return runSync(dev, getFeatureOp(dev.path, uuid, options));
}

/**
 * Write a feature's data (Set Feature) at the scope its effects require
 * (see CxlFeature.requiredScope). Taints the kernel: pass allowKernelTaint.
 */
export async function setFeature(dev: DeviceLike, uuid: string | Bytes, data: Bytes, options?: SetFeatureOptions): Promise<void> {
  await ensureCxl(dev, options?.signal);
  return run(dev, setFeatureOp(dev.path, uuid, data, options), options?.signal);
}

export function setFeatureSync(dev: DeviceLike, uuid: string | Bytes, data: Bytes, options?: SetFeatureOptions): void {
  ensureCxlSync(dev);
  runSync(dev, setFeatureOp(dev.path, uuid, data, options));
}
