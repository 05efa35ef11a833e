// The call's arguments, checked before any syscall: the option types of
// Device's calls and the checks behind them (each option read once, lengths
// through the engine's own getters). The addon checks every length and
// pointer again against the real buffers (native/request.cc); these checks
// are for the API's sake: types, scope, taint opt-in, typed errors.

import { DIR_IN, DIR_OUT, LEN_BE, LEN_FROM_TABLE, SPEC_WORDS } from './binding-flags';
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from './errors';
import { MAX_RPC_LEN, SCOPE_NAMES, Scope, TAINT_FWCTL_BIT } from './uapi/constants';
import { HOST_LE, type Bytes } from './uapi/layout';

export interface CallOptions {
  /**
   * Give up waiting: the promise rejects at once with the signal's reason
   * (AbortSignal.timeout(ms) gives a TimeoutError). The kernel call cannot be
   * interrupted: it finishes in the background on the addon's memory, and an
   * aborted call no longer keeps the process alive.
   */
  signal?: AbortSignal;
}

export interface InfoOptions extends CallOptions {
  /**
   * Receive device_data in this buffer (its byteLength is offered to the
   * driver); `info.data` is then a view of it. A driver with more to say is
   * EMSGSIZE (naming the length it needs).
   */
  data?: Uint8Array;
}

export interface RpcOptions extends CallOptions {
  /** The access the RPC needs: Scope.Configuration, DebugReadOnly, DebugWrite or DebugWriteFull. */
  scope: Scope;
  /** Bytes to reserve for the response (default 4096, at most 2 MiB). A longer answer is truncated. */
  responseLength?: number;
  /**
   * Receive the response in this buffer, as fs.readSync(fd, buffer) does: its
   * byteLength is the response length (a responseLength given too must
   * equal it) and the result's `response` is a view of it. `rpcSync()` lets
   * the kernel write it directly; `rpc()` copies the addon's buffer into it
   * when the call completes (the kernel never writes JS memory while
   * JavaScript runs), checking it was not detached or shrunk meanwhile.
   */
  responseBuffer?: Uint8Array;
  /** Required for DebugWrite and DebugWriteFull, which taint the kernel (TAINT_FWCTL). */
  allowKernelTaint?: boolean;
  /**
   * Further user buffers the driver reads or writes during the call (pds
   * payloads, bnxt DMA fields). The addon writes each buffer's address into
   * the request at `at` and its length into the request's length field for
   * it, from the buffer's real size (a private copy of the request: the
   * caller's bytes are never modified). At most 6.
   */
  attach?: readonly RpcAttachment[];
}

/** Where the driver reads an attached buffer's length in the request. */
export interface LengthField {
  /** Byte offset of the length field in the request. */
  at: number;
  /** Its width in bytes. */
  width: 2 | 4 | 8;
  /** Bytes per unit (default 1; e.g. 4 for a count of 32-bit words). The buffer length must be a multiple. */
  unit?: number;
  /** Byte order (default 'host'). */
  endian?: 'le' | 'be' | 'host';
}

/** A buffer whose address is written into the request (see RpcOptions.attach). */
export interface RpcAttachment {
  /** Byte offset in the request of the u64 pointer field (at + 8 <= request length). */
  at: number;
  /**
   * 'in': the kernel only reads it. 'out' / 'inout': the kernel writes it;
   * the bytes land in this buffer when the call returns (async calls give
   * the kernel a private copy and copy it back at completion, so the
   * caller's memory is never written while the call is in flight). A
   * zero-length buffer is written as address 0, length 0.
   */
  buffer: Bytes;
  direction: 'in' | 'out' | 'inout';
  /**
   * The request field the driver reads this buffer's length from; the addon
   * writes buffer.byteLength / unit into it. Omit it on pds and bnxt devices:
   * the driver's own table (generated from the kernel source) says where.
   */
  length?: LengthField;
  /** A driver that always transfers this many bytes (no length field): the buffer must hold them. */
  fixedLength?: number;
}

/** Extra buffers one call can take besides the request and the response. */
export const MAX_ATTACHMENTS = 6;

export interface RpcResult<R extends Uint8Array = Buffer> {
  /** Exactly the bytes the kernel wrote: min(length, responseLength); a view of responseBuffer when given. */
  response: R;
  /** The response length the driver reported. */
  length: number;
  /** length > responseLength: the driver had more to say; call again with a larger responseLength. */
  truncated: boolean;
}

const DEFAULT_RESPONSE_LENGTH = 4096;

export function checkInfoData(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!isU8(value)) throw new FwctlTypeError('options.data must be a Uint8Array or Buffer');
  checkView(value, 'options.data');
  checkLength(byteLengthOf(value), 'options.data length');
  return value;
}

/** An option of 0.x that is gone (docs/api/core.md, Breaking changes): said, not silently ignored. */
function removedOption(name: string, instead: string): never {
  throw new FwctlTypeError(`options.${name} was removed in 0.2: ${instead}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
}

export function checkInfoOptions(o: InfoOptions | undefined): Uint8Array | undefined {
  if (o === undefined) return undefined;
  const x = o as { decode?: unknown; result?: unknown };
  if (x.decode !== undefined) removedOption('decode', 'info results are always decoded; a poller uses prepareInfo()');
  if (x.result !== undefined) removedOption('result', 'a poller uses prepareInfo(), which allocates nothing');
  return checkInfoData(o.data);
}

export function checkSignal(value: unknown, what: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new FwctlTypeError(`${what}.signal must be an AbortSignal`);
  return value;
}

/** An RPC's arguments as checked: plain values, read once from the caller's options. */
export interface CheckedRpc {
  scope: Scope;
  responseLength: number;
  responseBuffer: Uint8Array | undefined;
  /** Undefined without attachments; else SPEC_WORDS u32 per entry of `buffers`. */
  spec: Uint32Array | undefined;
  buffers: readonly Uint8Array[];
  signal: AbortSignal | undefined;
}

const NO_BUFFERS: readonly Uint8Array[] = Object.freeze([]);

/** Shape of one attachment (bounds and lengths are the addon's to check, against the real buffers). */
function checkAttachment(a: unknown, i: number, requestLength: number, spec: Uint32Array): Uint8Array {
  const what = `options.attach[${i}]`;
  if (typeof a !== 'object' || a === null) throw new FwctlTypeError(`${what} must be { at, buffer, direction[, length | fixedLength] }`);
  const x = a as Partial<Record<keyof RpcAttachment, unknown>>;
  const buffer = x.buffer, direction = x.direction, at = x.at, length = x.length, fixedLength = x.fixedLength;
  if (!isU8(buffer)) throw new FwctlTypeError(`${what}.buffer must be a Uint8Array or Buffer`);
  checkView(buffer, `${what}.buffer`);
  const dir = direction === 'in' ? DIR_IN : direction === 'out' ? DIR_OUT : direction === 'inout' ? DIR_IN | DIR_OUT : 0;
  if (dir === 0) throw new FwctlTypeError(`${what}.direction must be 'in', 'out' or 'inout'`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at + 8 > requestLength) {
    throw new FwctlRangeError(`${what}.at must be an offset with at + 8 <= ${requestLength} (the request length), got ${show(at)}`);
  }
  let lenOffset = 0, lenFlags = 0, unit = 1, fixed = 0;
  if (length === undefined && fixedLength === undefined) {
    lenFlags = LEN_FROM_TABLE; // the addon takes it from the driver's table, or refuses
  } else {
    if (fixedLength !== undefined) {
      if (typeof fixedLength !== 'number' || !Number.isInteger(fixedLength) || fixedLength < 1 || fixedLength > MAX_RPC_LEN) {
        throw new FwctlRangeError(`${what}.fixedLength must be an integer from 1 to ${MAX_RPC_LEN}`);
      }
      fixed = fixedLength;
    }
    if (length !== undefined) {
      if (typeof length !== 'object' || length === null) throw new FwctlTypeError(`${what}.length must be { at, width[, unit, endian] }`);
      const l = length as Partial<Record<keyof LengthField, unknown>>;
      const lat = l.at, width = l.width, lunit = l.unit, endian = l.endian;
      if (typeof lat !== 'number' || !Number.isInteger(lat) || lat < 0) throw new FwctlRangeError(`${what}.length.at must be a non-negative integer`);
      if (width !== 2 && width !== 4 && width !== 8) throw new FwctlRangeError(`${what}.length.width must be 2, 4 or 8`);
      if (lunit !== undefined && (typeof lunit !== 'number' || !Number.isInteger(lunit) || lunit < 1 || lunit > 0xffff)) {
        throw new FwctlRangeError(`${what}.length.unit must be an integer from 1 to 65535`);
      }
      if (endian !== undefined && endian !== 'le' && endian !== 'be' && endian !== 'host') {
        throw new FwctlTypeError(`${what}.length.endian must be 'le', 'be' or 'host'`, 'ERR_FWCTL_INVALID_ARG_VALUE');
      }
      const be = endian === 'be' || (endian !== 'le' && !HOST_LE);
      lenOffset = lat;
      lenFlags = width | (be ? LEN_BE : 0);
      unit = (lunit as number | undefined) ?? 1;
    }
  }
  spec.set([at, lenOffset, lenFlags, unit, fixed, dir], i * SPEC_WORDS);
  return buffer;
}

function checkLength(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new FwctlTypeError(`${what} must be a number`);
  if (!Number.isInteger(value) || value < 0) throw new FwctlRangeError(`${what} must be a non-negative integer, got ${show(value)}`);
  if (value > MAX_RPC_LEN) throw new FwctlRangeError(`${what} ${value} exceeds the kernel's limit of ${MAX_RPC_LEN} bytes (2 MiB)`);
  return value;
}

// The engine's own getters: a view's length and buffer as V8 has them, not
// whatever an own property of the object says (the checks and the memos
// below must not be fooled where the addon is not).
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (o: object, name: string) => Object.getOwnPropertyDescriptor(o, name)!.get as (this: unknown) => unknown;
const TA_BYTE_LENGTH = getter(TYPED_ARRAY, 'byteLength') as (this: unknown) => number;
const TA_BUFFER = getter(TYPED_ARRAY, 'buffer') as (this: unknown) => ArrayBufferLike;
const TA_KEYS = Uint8Array.prototype.keys;

/** A real Uint8Array (or Buffer): not a Proxy or a lookalike, which the addon refuses anyway. */
function isU8(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && ArrayBuffer.isView(v);
}

/** The view's byte length, from the engine (0 for a detached or out-of-bounds view). */
export function byteLengthOf(view: Uint8Array): number {
  return TA_BYTE_LENGTH.call(view);
}

/**
 * Refuses a view that cannot carry bytes (ERR_FWCTL_INVALID_ARG_VALUE): its
 * ArrayBuffer was transferred (detached), or it lies past the end of a
 * resizable buffer that shrank (out of bounds). Both read as 0 bytes.
 */
function checkView(view: Uint8Array, what: string): void {
  if (TA_BYTE_LENGTH.call(view) !== 0) return;
  try {
    TA_KEYS.call(view); // ValidateTypedArray: throws for a detached or out-of-bounds view
    return;
  } catch {
    const why = isDetachedBuffer(TA_BUFFER.call(view)) ? 'is detached (its ArrayBuffer was transferred)' : 'is out of bounds (its resizable ArrayBuffer shrank below it)';
    throw new FwctlTypeError(`${what} ${why}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
}

function isDetachedBuffer(b: ArrayBufferLike): boolean {
  const d = (b as ArrayBuffer & { detached?: boolean }).detached;
  if (typeof d === 'boolean') return d;
  // Node 20 lacks ArrayBuffer.prototype.detached: a detached buffer reads as 0 bytes and cannot be sliced.
  if (b.byteLength !== 0) return false;
  try {
    b.slice(0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The one CheckedRpc, refilled by every check: callers take its fields
 * before running anything else (no object per call).
 */
const CHECKED: CheckedRpc = {
  scope: 0, responseLength: 0, responseBuffer: undefined, spec: undefined, buffers: [], signal: undefined,
};

export function checkRpcArgs(request: unknown, options: unknown, devicePath?: string): CheckedRpc {
  if (typeof options === 'object' && options !== null) {
    // Each option is read exactly once: a getter cannot answer the check one
    // value and the call another.
    const o = options as Partial<Record<keyof RpcOptions | 'result', unknown>>;
    if (o.result !== undefined) removedOption('result', 'pass responseBuffer (the response is a view of it), or use prepareRpc() for a poller');
    return checkRpcValues(request, o.scope, o.responseLength, o.allowKernelTaint, o.attach, o.signal, o.responseBuffer, devicePath);
  }
  if (!(request instanceof Uint8Array)) throw new FwctlTypeError('request must be a Uint8Array or Buffer');
  throw new FwctlTypeError('rpc() needs options with a scope, e.g. { scope: fwctl.Scope.DebugReadOnly }');
}

function checkRpcValues(request: unknown, scope: unknown, rl: unknown, taint: unknown, attach: unknown, sig: unknown,
  into: unknown, devicePath: string | undefined): CheckedRpc {
  if (!isU8(request)) throw new FwctlTypeError('request must be a Uint8Array or Buffer');
  checkView(request, 'request');
  if (typeof scope !== 'number') throw new FwctlTypeError('options.scope must be a Scope, e.g. fwctl.Scope.DebugReadOnly');
  if (!Number.isInteger(scope) || scope < 0 || scope >= SCOPE_NAMES.length) {
    throw new FwctlRangeError(`options.scope ${scope} is not a known scope (0..${SCOPE_NAMES.length - 1})`);
  }
  let responseLength: number;
  if (into !== undefined) {
    if (!isU8(into)) throw new FwctlTypeError('options.responseBuffer must be a Uint8Array or Buffer');
    checkView(into, 'options.responseBuffer');
    responseLength = checkLength(TA_BYTE_LENGTH.call(into), 'options.responseBuffer length');
    if (rl !== undefined && rl !== responseLength) {
      throw new FwctlRangeError(`options.responseLength ${String(rl)} differs from options.responseBuffer's length ${responseLength}: give one`);
    }
  } else {
    responseLength = rl === undefined ? DEFAULT_RESPONSE_LENGTH : checkLength(rl, 'options.responseLength');
  }
  if (taint !== undefined && typeof taint !== 'boolean') throw new FwctlTypeError('options.allowKernelTaint must be a boolean');
  const signal = checkSignal(sig, 'options');
  const requestLength = checkLength(TA_BYTE_LENGTH.call(request), 'request length');
  let spec: Uint32Array | undefined;
  let buffers = NO_BUFFERS;
  if (attach !== undefined) {
    if (!Array.isArray(attach)) throw new FwctlTypeError('options.attach must be an array of { at, buffer, direction, length }');
    const list = [...attach];
    if (list.length > MAX_ATTACHMENTS) throw new FwctlRangeError(`options.attach takes at most ${MAX_ATTACHMENTS} buffers, got ${show(list.length)}`);
    if (list.length > 0) {
      spec = new Uint32Array(list.length * SPEC_WORDS);
      const s = spec;
      buffers = list.map((a, i) => checkAttachment(a, i, requestLength, s));
    }
  }
  if (scope >= Scope.DebugWrite && taint !== true) {
    const rawio = scope === Scope.DebugWriteFull ? ' It also needs CAP_SYS_RAWIO.' : '';
    throw new FwctlError({
      code: 'ERR_FWCTL_TAINT_REFUSED',
      path: devicePath,
      detail: `refused before calling the kernel: scope ${SCOPE_NAMES[scope]} taints the kernel ` +
        `(TAINT_FWCTL, bit ${TAINT_FWCTL_BIT} of /proc/sys/kernel/tainted) on its first use; ` +
        `pass allowKernelTaint: true to allow it.${rawio}`,
    });
  }
  // Reference fields are stored only when they change: a loop with the same
  // options then writes no pointer (no write barrier) per call.
  const c = CHECKED;
  c.scope = scope as Scope;
  c.responseLength = responseLength;
  if (c.responseBuffer !== into) c.responseBuffer = into as Uint8Array | undefined;
  if (c.spec !== spec) c.spec = spec;
  if (c.buffers !== buffers) c.buffers = buffers;
  if (c.signal !== signal) c.signal = signal;
  return c;
}
