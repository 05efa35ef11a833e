// Device: open/info/rpc/close, sync and async, with AbortSignal support.
// Arguments are checked here for the API's sake (types, scope, taint
// opt-in); the addon checks every length and pointer the kernel will use
// against the real buffers and builds the ioctl structs itself (see
// native/), so nothing here stands alone between the kernel and
// the heap.

import { asyncDisposeSymbol, disposeSymbol } from './dispose';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { activeBinding } from './backend';
import { statNode, statNodeSync } from './ground';
import { type NativeBinding, type NativeHandle, type OpenResult } from './binding';
import { DIR_IN, DIR_OUT, LEN_BE, LEN_FROM_TABLE, SPEC_WORDS } from './binding-flags';
import { decodeInfo, type DeviceInfo } from './decode';
import { channels, deviceContext, listening, openContext, openDone, rpcContext, rpcDone, tracePromise, traceSync } from './trace';
import { devRootOf, subsystemOfChar, subsystemOfCharSync, type Roots } from './discovery';
import { closedError, FwctlAbortError, FwctlError, FwctlRangeError, FwctlTypeError, show, throwIfAborted } from './errors';
import { deviceTypeOf, MAX_RPC_LEN, SCOPE_NAMES, Scope, TAINT_FWCTL_BIT } from './uapi/constants';
import { asU8, HOST_LE, type Bytes } from './uapi/layout';

export type { Bytes };

export interface OpenOptions extends Roots {
  /** Abort the open: the promise rejects with the signal's reason; an fd opened meanwhile is closed. */
  signal?: AbortSignal;
}

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
  /** false: skip decoding (no `decoded`): with `data`, only the small result object is allocated. */
  decode?: boolean;
  /**
   * With `data` and `decode: false`: an earlier result to refill instead of
   * allocating one (as RpcOptions.result): then nothing is allocated per call.
   */
  result?: DeviceInfo;
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
  /**
   * Fill this object (a result of an earlier call) instead of allocating a
   * new one. With `responseBuffer`, a sync call then allocates nothing.
   */
  result?: RpcResult<Uint8Array>;
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

/**
 * An RPC checked once and issued many times (like a prepared statement): the
 * request and response buffers are the caller's, their bytes may change
 * between calls (their lengths are taken by the addon at each call).
 */
export interface PreparedRpc<R extends Uint8Array = Uint8Array> {
  readonly request: Uint8Array;
  /** Receives the response: min(returned length, its length) bytes from the start. */
  readonly response: R;
  /** Issue it on this thread; returns the driver's response length. No allocation. */
  callSync(): number;
  /** Issue it on the addon's pool; the response is copied into `response` at completion. */
  call(options?: CallOptions): Promise<number>;
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

/** First device_data buffer; every known driver's data fits, larger ones cost one more call. */
const INFO_FIRST_LENGTH = 256;
const INFO_ATTEMPTS = 3;
const DEFAULT_RESPONSE_LENGTH = 4096;
/**
 * The sync path receives responses up to this size into a per-Device
 * scratch buffer and copies out only the bytes the kernel wrote (see
 * docs/benchmarks.md for the measurement behind it).
 */
const SCRATCH_MAX = 64 * 1024;

// ---- the native binding, replaceable by unit tests ----

let bindingOverride: NativeBinding | undefined;

/** @internal For unit tests: use a fake binding (undefined restores the addon). */
export function setBindingForTesting(fake: NativeBinding | undefined): void {
  bindingOverride = fake;
}

function native(): NativeBinding {
  return bindingOverride ?? activeBinding();
}

// ---- abort ----

let lastJobId = 0;
/** A non-zero id for an abortable async call (0: no signal, not abortable). */
function jobId(signal: AbortSignal | undefined): number {
  if (signal === undefined) return 0;
  lastJobId = lastJobId >= 0xfffffffe ? 1 : lastJobId + 1;
  return lastJobId;
}

function checkInfoData(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!isU8(value)) throw new FwctlTypeError('options.data must be a Uint8Array or Buffer');
  checkView(value, 'options.data');
  checkLength(byteLengthOf(value), 'options.data length');
  return value;
}

function checkInfoResult(value: unknown): DeviceInfo | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null)) throw new FwctlTypeError('options.result must be an object (an earlier info result)');
  return value as DeviceInfo | undefined;
}

function checkSignal(value: unknown, what: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new FwctlTypeError(`${what}.signal must be an AbortSignal`);
  return value;
}

/**
 * The native call's promise, raced against the signal. On abort the call is
 * abandoned in the addon (it stops holding the event loop) and `late`
 * disposes of a result that arrives afterwards.
 */
function abortable<T>(call: Promise<T>, signal: AbortSignal | undefined, id: number, late?: (v: T) => void): Promise<T> {
  if (signal === undefined) return call;
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      native().abandon(id);
      reject(new FwctlAbortError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    call.then((v) => {
      signal.removeEventListener('abort', onAbort);
      if (aborted) late?.(v);
      else resolve(v);
    }, (e) => {
      signal.removeEventListener('abort', onAbort);
      if (!aborted) reject(e);
    });
  });
}

// ---- argument checks (all before any syscall; each option read once) ----

/** A device name ('fwctl0') or a path ('/dev/fwctl/fwctl0', './node'). */
export function resolveDevicePath(nameOrPath: string, roots?: Roots): string {
  if (typeof nameOrPath !== 'string') throw new FwctlTypeError('device must be a name like "fwctl0" or a path');
  if (nameOrPath === '' || nameOrPath.includes('\0')) throw new FwctlTypeError(`invalid device name ${JSON.stringify(nameOrPath)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  if (path.isAbsolute(nameOrPath) || nameOrPath.startsWith('./') || nameOrPath.startsWith('../')) return nameOrPath;
  if (nameOrPath.includes('/') || nameOrPath.includes('..') || nameOrPath === '.') {
    throw new FwctlTypeError(`invalid device name ${JSON.stringify(nameOrPath)}: give a name like "fwctl0" or a path starting with / or ./`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  return path.join(devRootOf(roots), 'fwctl', nameOrPath);
}

/** An RPC's arguments as checked: plain values, read once from the caller's options. */
export interface CheckedRpc {
  scope: Scope;
  responseLength: number;
  responseBuffer: Uint8Array | undefined;
  result: RpcResult<Uint8Array> | undefined;
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
 * before running anything else (the sync path allocates nothing).
 */
const CHECKED: CheckedRpc = {
  scope: 0, responseLength: 0, responseBuffer: undefined, result: undefined, spec: undefined, buffers: [], signal: undefined,
};

/**
 * The last arguments checkRpcArgs() accepted (without attachments or a
 * signal), for a loop that passes the same ones again: then CHECKED still
 * holds their checked values and nothing needs checking but identity and
 * the two buffers' lengths (a detached view reads 0; only non-empty buffers
 * are remembered). It keeps the last request and buffers reachable until
 * the next call with other arguments.
 */
const MEMO = {
  valid: false, request: undefined as unknown, reqLen: 0, scope: undefined as unknown, rl: undefined as unknown,
  taint: undefined as unknown, into: undefined as unknown, intoLen: 0, result: undefined as unknown,
};

export function checkRpcArgs(request: unknown, options: unknown, devicePath?: string): CheckedRpc {
  if (typeof options === 'object' && options !== null) {
    // Each option is read exactly once: a getter cannot answer the check one
    // value and the call another.
    const o = options as Partial<Record<keyof RpcOptions, unknown>>;
    const scope = o.scope, rl = o.responseLength, taint = o.allowKernelTaint, attach = o.attach, sig = o.signal;
    const into = o.responseBuffer, result = o.result;
    const m = MEMO;
    if (m.valid && request === m.request && scope === m.scope && into === m.into && result === m.result && rl === m.rl &&
      taint === m.taint && attach === undefined && sig === undefined && TA_BYTE_LENGTH.call(request) === m.reqLen &&
      (into === undefined || TA_BYTE_LENGTH.call(into) === m.intoLen)) {
      return CHECKED;
    }
    return checkRpcValues(request, scope, rl, taint, attach, sig, into, result, devicePath);
  }
  if (!(request instanceof Uint8Array)) throw new FwctlTypeError('request must be a Uint8Array or Buffer');
  throw new FwctlTypeError('rpc() needs options with a scope, e.g. { scope: fwctl.Scope.DebugReadOnly }');
}

function checkRpcValues(request: unknown, scope: unknown, rl: unknown, taint: unknown, attach: unknown, sig: unknown,
  into: unknown, result: unknown, devicePath: string | undefined): CheckedRpc {
  MEMO.valid = false;
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
  if (result !== undefined && (typeof result !== 'object' || result === null)) throw new FwctlTypeError('options.result must be an object (an earlier result)');
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
  if (c.result !== result) c.result = result as RpcResult<Uint8Array> | undefined;
  if (c.spec !== spec) c.spec = spec;
  if (c.buffers !== buffers) c.buffers = buffers;
  if (c.signal !== signal) c.signal = signal;
  if (spec === undefined && signal === undefined && requestLength > 0 && (into === undefined || responseLength > 0)) {
    const m = MEMO;
    m.request = request; m.reqLen = requestLength; m.scope = scope; m.rl = rl; m.taint = taint;
    m.into = into; m.intoLen = into === undefined ? 0 : responseLength; m.result = result;
    m.valid = true;
  }
  return c;
}

/** `into` (an earlier result) refilled, or a new result. */
function fillResult<R extends Uint8Array>(into: RpcResult<Uint8Array> | undefined, response: R, length: number, truncated: boolean): RpcResult<R> {
  if (into === undefined) return { response, length, truncated };
  if (into.response !== response) into.response = response;
  into.length = length;
  into.truncated = truncated;
  return into as RpcResult<R>;
}

// ---- what a node must be before we open it ----

const S_IFMT = fs.constants.S_IFMT;
const S_IFCHR = fs.constants.S_IFCHR;

function kindOf(st: fs.BigIntStats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a character device';
}

/** Linux dev_t encoding (glibc gnu_dev_major/minor). */
export function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

function notFwctl(p: string, why: string): FwctlError {
  return new FwctlError({ code: 'ENOTTY', syscall: 'open', path: p, detail: `${p} is not a fwctl device: ${why}` });
}

function statError(e: unknown, p: string): Error {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? new FwctlError({ code, syscall: 'open', path: p }) : (e as Error);
}

/** Before open(): a character device whose MAJ:MIN belongs to the fwctl class. */
function checkNode(st: fs.BigIntStats, p: string, subsystem: (major: number, minor: number) => string | null) {
  if (!st.isCharacterDevice()) throw notFwctl(p, `it is ${kindOf(st)}`);
  const dev = splitRdev(st.rdev);
  const sub = subsystem(dev.major, dev.minor);
  if (sub !== 'fwctl') {
    throw notFwctl(p, `it is character device ${dev.major}:${dev.minor} of ${sub ? `class '${sub}'` : 'no known class'}`);
  }
  return dev;
}

/** After open(): the fd must be the same character device (catches a node swapped in between). */
function openedChecked(r: OpenResult, p: string, dev: { major: number; minor: number }): NativeHandle {
  // The node was a fwctl character device at stat(); a node that now does
  // not answer FWCTL_INFO (the addon's type query at open) was swapped.
  if (r === -ENOTTY) throw notFwctl(p, 'the node changed between stat() and open() (it does not answer FWCTL_INFO)');
  if (typeof r === 'number') throw FwctlError.fromErrno(r, 'open', p);
  const [handle, st] = r;
  if ((st[0] & S_IFMT) !== S_IFCHR || st[1] !== dev.major || st[2] !== dev.minor) {
    handle.close();
    throw notFwctl(p, 'the node changed between stat() and open()');
  }
  return handle;
}

/**
 * A zeroed buffer of `length` bytes (1 to 2 MiB) for prepared calls:
 * `prepareRpc()` over a request and a response buffer from here, and
 * `prepareInfo()` over one, bind their addresses once in the addon, so each
 * `callSync()` reaches the kernel with no lookup (the fastest call the
 * package makes). It is ordinary engine memory, tagged for the addon: it
 * behaves as any Buffer, and its ArrayBuffer moves to another thread with
 * `transfer()` or `postMessage(..., [ab])` as any other (the receiver's
 * views stay valid for as long as it holds them; there it is ordinary
 * memory). A prepared call holds its buffers' ArrayBuffers and checks at
 * every call that they are still attached: once one was moved away, its
 * calls throw FwctlTypeError ERR_FWCTL_INVALID_ARG_VALUE (prepare again
 * over buffers this thread holds).
 */
export function allocBuffer(length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > MAX_RPC_LEN) {
    throw new FwctlRangeError(`allocBuffer(): length must be an integer from 1 to ${MAX_RPC_LEN}, got ${show(length)}`);
  }
  const alloc = native().allocBuffer;
  if (alloc === undefined) return Buffer.alloc(length); // a binding without it (a test fake): ordinary memory
  const ab = alloc(length);
  if (typeof ab === 'number') throw new FwctlError({ code: 'ENOMEM', detail: `allocBuffer(${length}): out of memory` });
  const b = Buffer.from(ab);
  PINNED.add(b);
  return b;
}

/** The Buffers allocBuffer() returned (a hint only: the addon checks the memory itself when binding). */
const PINNED = new WeakSet<object>();

export function openSync(nameOrPath: string, options?: OpenOptions): Device {
  if (listening(channels.open)) return traceSync(channels.open, openContext(nameOrPath, true), () => openSyncUntraced(nameOrPath, options), openDone);
  return openSyncUntraced(nameOrPath, options);
}

function openSyncUntraced(nameOrPath: string, options?: OpenOptions): Device {
  const p = resolveDevicePath(nameOrPath, options);
  let st: fs.BigIntStats;
  try {
    st = statNodeSync(p);
  } catch (e) {
    throw statError(e, p);
  }
  const dev = checkNode(st, p, (ma, mi) => subsystemOfCharSync(ma, mi, options));
  return new Device(openedChecked(native().open(p), p, dev), p);
}

/**
 * Open a fwctl device. open(2) runs on the addon's pool: on mlx5 it is a
 * firmware command (CREATE_UCTX), which must not block the event loop.
 */
export function open(nameOrPath: string, options?: OpenOptions): Promise<Device> {
  if (listening(channels.open)) return tracePromise(channels.open, openContext(nameOrPath, false), () => openUntraced(nameOrPath, options), openDone);
  return openUntraced(nameOrPath, options);
}

async function openUntraced(nameOrPath: string, options?: OpenOptions): Promise<Device> {
  const signal = checkSignal(options?.signal, 'options');
  throwIfAborted(signal);
  const p = resolveDevicePath(nameOrPath, options);
  let st: fs.BigIntStats;
  try {
    st = await statNode(p);
  } catch (e) {
    throw statError(e, p);
  }
  const dev = splitRdev(st.rdev);
  const sub = st.isCharacterDevice() ? await subsystemOfChar(dev.major, dev.minor, options) : null;
  checkNode(st, p, () => sub);
  throwIfAborted(signal);
  const id = jobId(signal);
  const r = await abortable(native().openAsync(id, p), signal, id, (late) => {
    if (typeof late !== 'number') void late[0].closeAsync();
  });
  return new Device(openedChecked(r, p, dev), p);
}

// ---- the handle ----

/** An open fwctl device. Get one from open() / openSync(). */
export class Device {
  /** The device node this handle was opened from. */
  readonly path: string;
  readonly #handle: NativeHandle;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Sync responses land here (zeroed once, grown on demand, never exposed past what the kernel wrote). */
  #scratch: Buffer = Buffer.alloc(0);
  #scratchView: Buffer = this.#scratch;
  #lastViewOf: Uint8Array | undefined;
  #lastView: Uint8Array | undefined;
  /** infoSync()'s device_data scratch, 256 bytes zeroed once; the result is a copy. */
  #infoData: Buffer | undefined;
  /**
   * The last rpcSync()/infoSync() over allocBuffer() memory, bound in the
   * addon (bindRpc/bindInfo): the same buffers again call it directly.
   */
  #pinReq: Uint8Array | undefined;
  #pinInto: Uint8Array | undefined;
  #pinScope = NaN; // equal to no scope until a binding exists
  #pinRpc: (() => number) | undefined;
  #pinData: Uint8Array | undefined;
  #pinInfo: (() => number) | undefined;
  /**
   * Every binding made, by response buffer (and INFO data buffer): a caller
   * alternating between buffer pairs finds its binding again instead of
   * binding anew per call (which allocates). An entry lives as long as its
   * buffer; it holds the regions, never the Buffer objects.
   */
  readonly #boundRpcs = new WeakMap<object, { request: unknown; scope: number; fn: () => number }>();
  readonly #boundInfos = new WeakMap<object, () => number>();
  #typeId: number | undefined;
  /**
   * rpcSyncInto()'s last accepted arguments (reqLen 0: none). A slot of its
   * own, not checkRpcArgs' MEMO: a loop mixing rpcSync() and rpcSyncInto()
   * would evict one with the other at every call (tried: the no-allocation
   * test in test/unit/native.test.ts then counted 3 collections).
   */
  readonly #intoLast = {
    request: undefined as unknown, response: undefined as unknown, scope: -1 as number, taint: undefined as boolean | undefined,
    reqLen: 0, respLen: 0,
  };

  /** @internal Use open() or openSync(). */
  constructor(handle: NativeHandle, devicePath: string) {
    this.#handle = handle;
    this.path = devicePath;
  }

  /** True after close() or closeSync(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The device type number (enum fwctl_device_type), known since open. */
  get typeId(): number {
    return this.#type();
  }

  /** The device type and its device_data (FWCTL_INFO). */
  info(options?: InfoOptions): Promise<DeviceInfo> {
    if (listening(channels.info)) return tracePromise(channels.info, deviceContext(this.path, this.typeId, false), () => this.#info(options));
    return this.#info(options);
  }

  async #info(options?: InfoOptions): Promise<DeviceInfo> {
    const signal = checkSignal(options?.signal, 'options');
    const into = checkInfoData(options?.data), decode = options?.decode !== false, result = checkInfoResult(options?.result);
    this.#checkOpen();
    throwIfAborted(signal);
    if (into !== undefined) {
      // Received in the addon's memory, copied into the caller's buffer now.
      const id = jobId(signal);
      const have = byteLengthOf(into);
      const r = await this.#track(abortable(this.#handle.info(id, have), signal, id));
      if (typeof r === 'number') throw FwctlError.fromErrno(r, 'ioctl(FWCTL_INFO)', this.path);
      const [reported, data] = r;
      if (reported > have) throw this.#infoTooSmall(reported, have);
      if (byteLengthOf(into) < data.length) throw new FwctlTypeError('options.data was detached or shrunk while the call was in flight', 'ERR_FWCTL_INVALID_ARG_VALUE');
      into.set(data);
      return this.#infoOf(this.#viewOf(into, reported), decode, result);
    }
    let length = INFO_FIRST_LENGTH;
    for (let attempt = 0; attempt < INFO_ATTEMPTS; attempt++) {
      const id = jobId(signal);
      const r = await this.#track(abortable(this.#handle.info(id, length), signal, id));
      if (typeof r === 'number') throw FwctlError.fromErrno(r, 'ioctl(FWCTL_INFO)', this.path);
      const [reported, data] = r;
      if (reported <= length) return decodeInfo(this.#type(), data);
      length = this.#retryLength(reported);
    }
    throw this.#infoUnstable();
  }

  infoSync(options?: Omit<InfoOptions, 'signal'>): DeviceInfo {
    if (listening(channels.info)) return traceSync(channels.info, deviceContext(this.path, this.typeId, true), () => this.#infoSync(options));
    return this.#infoSync(options);
  }

  #infoSync(options?: Omit<InfoOptions, 'signal'>): DeviceInfo {
    const into = checkInfoData(options?.data), decode = options?.decode !== false, result = checkInfoResult(options?.result);
    this.#checkOpen();
    if (into !== undefined) {
      const reported = into === this.#pinData ? this.#pinInfo!() : this.#infoSyncInto(into);
      if (reported < 0) throw FwctlError.fromErrno(reported, 'ioctl(FWCTL_INFO)', this.path);
      const have = byteLengthOf(into);
      if (reported > have) throw this.#infoTooSmall(reported, have);
      return this.#infoOf(this.#viewOf(into, reported), decode, result);
    }
    this.#infoData ??= Buffer.alloc(INFO_FIRST_LENGTH);
    let length = INFO_FIRST_LENGTH;
    for (let attempt = 0; attempt < INFO_ATTEMPTS; attempt++) {
      // Larger device_data (no known driver): a fresh zeroed buffer, returned as is.
      const data = length === INFO_FIRST_LENGTH ? this.#infoData : Buffer.alloc(length);
      const reported = this.#handle.infoSync(data);
      if (reported < 0) throw FwctlError.fromErrno(reported, 'ioctl(FWCTL_INFO)', this.path);
      if (reported > length) {
        length = this.#retryLength(reported);
        continue;
      }
      if (data !== this.#infoData) return decodeInfo(this.#type(), data.subarray(0, reported));
      // Exactly the bytes the kernel wrote in this call, in a backing store of the result's own.
      const copy = Buffer.allocUnsafeSlow(reported);
      copy.set(new Uint8Array(data.buffer, data.byteOffset, reported));
      return decodeInfo(this.#type(), copy);
    }
    throw this.#infoUnstable();
  }

  /** FWCTL_INFO into the caller's buffer: bound once if it is allocBuffer() memory. */
  #infoSyncInto(into: Uint8Array): number {
    if (PINNED.has(into)) {
      let bound = this.#boundInfos.get(into);
      if (bound === undefined) {
        bound = this.#handle.bindInfo?.(into) ?? undefined;
        if (bound !== undefined) this.#boundInfos.set(into, bound);
      }
      if (bound !== undefined) {
        this.#pinData = into;
        this.#pinInfo = bound;
        return bound();
      }
    }
    return this.#handle.infoSync(into);
  }

  /** FWCTL_RPC into the caller's buffer: bound once if both are allocBuffer() memory. */
  #rpcSyncInto(scope: number, request: Bytes, into: Uint8Array): number {
    if (PINNED.has(into) && PINNED.has(request)) {
      const known = this.#boundRpcs.get(into);
      let bound = known !== undefined && known.request === request && known.scope === scope ? known.fn : undefined;
      if (bound === undefined) {
        bound = this.#handle.bindRpc?.(scope, request as Uint8Array, into) ?? undefined;
        if (bound !== undefined) this.#boundRpcs.set(into, { request, scope, fn: bound });
      }
      if (bound !== undefined) {
        this.#pinReq = request as Uint8Array;
        this.#pinInto = into;
        this.#pinScope = scope;
        this.#pinRpc = bound;
        return bound();
      }
    }
    return this.#handle.rpcSync(scope, asU8(request), into);
  }

  /**
   * Send one RPC (FWCTL_RPC) on the addon's pool. The addon copies the
   * request and attachments at the call: the caller's buffers are free to
   * change while it runs. Never retried.
   */
  async rpc<R extends Uint8Array>(request: Bytes, options: RpcOptions & { responseBuffer: R }): Promise<RpcResult<R>>;
  async rpc(request: Bytes, options: RpcOptions): Promise<RpcResult>;
  rpc(request: Bytes, options: RpcOptions): Promise<RpcResult<Uint8Array>> {
    if (listening(channels.rpc)) {
      return tracePromise(channels.rpc, rpcContext(this.path, this.typeId, false, request, options), () => this.#rpc(request, options), rpcDone);
    }
    return this.#rpc(request, options);
  }

  async #rpc(request: Bytes, options: RpcOptions): Promise<RpcResult<Uint8Array>> {
    const { scope, responseLength, responseBuffer: into, result, spec, buffers, signal } = checkRpcArgs(request, options, this.path);
    this.#checkOpen();
    throwIfAborted(signal);
    const id = jobId(signal);
    // The addon receives the response in memory of its own; with a
    // responseBuffer it copies it there at completion.
    const response = into ?? responseLength;
    const call = spec === undefined // no spread: a spread call takes V8's generic API-call path
      ? this.#handle.rpc(id, scope, asU8(request), response)
      : this.#handle.rpc(id, scope, asU8(request), response, spec, ...buffers);
    const r = await this.#track(abortable(call, signal, id));
    if (typeof r === 'number') throw FwctlError.fromErrno(r, 'ioctl(FWCTL_RPC)', this.path);
    const [length, got, lost] = r;
    if (lost === -2) {
      throw new FwctlTypeError('options.responseBuffer was detached or shrunk while the call was in flight: the response is lost', 'ERR_FWCTL_INVALID_ARG_VALUE');
    }
    if (lost >= 0) {
      throw new FwctlTypeError(`options.attach[${lost}].buffer was detached or shrunk while the call was in flight: its output is lost`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    }
    const truncated = length > responseLength;
    if (into === undefined) return fillResult(result, got as Buffer, length, truncated);
    return fillResult(result, truncated || length === responseLength ? into : this.#viewOf(into, length), length, truncated);
  }

  /** Send one RPC on the calling thread; the kernel reads the caller's request buffer directly. */
  rpcSync<R extends Uint8Array>(request: Bytes, options: RpcOptions & { responseBuffer: R }): RpcResult<R>;
  rpcSync(request: Bytes, options: RpcOptions): RpcResult;
  rpcSync(request: Bytes, options: RpcOptions): RpcResult<Uint8Array> {
    if (listening(channels.rpc)) {
      return traceSync(channels.rpc, rpcContext(this.path, this.typeId, true, request, options), () => this.#rpcSync(request, options), rpcDone);
    }
    return this.#rpcSync(request, options);
  }

  #rpcSync(request: Bytes, options: RpcOptions): RpcResult<Uint8Array> {
    const { scope, responseLength, responseBuffer: into, result, spec, buffers } = checkRpcArgs(request, options, this.path);
    this.#checkOpen();
    if (into !== undefined) {
      // The kernel writes the caller's buffer (the thread is blocked); the
      // response is a view of it: no allocation with a reused `result`.
      const n = spec !== undefined
        ? this.#handle.rpcSync(scope, asU8(request), into, spec, ...buffers)
        : into === this.#pinInto && request === this.#pinReq && scope === this.#pinScope
          ? this.#pinRpc!()
          : this.#rpcSyncInto(scope, request, into);
      if (n < 0) throw FwctlError.fromErrno(n, 'ioctl(FWCTL_RPC)', this.path);
      return fillResult(result, n >= responseLength ? into : this.#viewOf(into, n), n, n > responseLength);
    }
    // Above SCRATCH_MAX the kernel writes straight into the result: a
    // backing store of its own, not zeroed (no 2 MiB memset), its unwritten
    // tail zeroed below before it is returned (no copy).
    const direct = responseLength > SCRATCH_MAX;
    const target = direct ? Buffer.allocUnsafeSlow(responseLength) : this.#scratchOf(responseLength);
    const length = spec === undefined
      ? this.#handle.rpcSync(scope, asU8(request), target)
      : this.#handle.rpcSync(scope, asU8(request), target, spec, ...buffers);
    if (length < 0) throw FwctlError.fromErrno(length, 'ioctl(FWCTL_RPC)', this.path);
    const written = Math.min(length, responseLength);
    if (direct) {
      if (written < responseLength) target.fill(0, written);
      return fillResult(result, written === responseLength ? target : target.subarray(0, written), length, length > responseLength);
    }
    // Every byte of the copy was written by the kernel in this call (it copies
    // exactly min(out_len, length)). allocUnsafeSlow: a backing store of its
    // own (allocUnsafe would slice Node's shared pool, whose other, stale
    // bytes `response.buffer` would then expose).
    const response = Buffer.allocUnsafeSlow(written);
    response.set(new Uint8Array(target.buffer, target.byteOffset, written));
    return fillResult(result, response, length, length > responseLength);
  }

  /**
   * FWCTL_RPC on the calling thread into `response`, as `fs.readSync(fd,
   * buffer)` reads into one: returns the driver's response length (the
   * kernel copied min(it, response.byteLength) bytes). No options object and
   * no result object: the cheapest call that names its buffers per call. With
   * `allocBuffer()` buffers it binds them once and reuses the binding while
   * the same three arguments come back. Scopes that taint the kernel need
   * `allowKernelTaint` true, as rpcSync()'s option of that name.
   */
  rpcSyncInto(request: Uint8Array, response: Uint8Array, scope: Scope, allowKernelTaint?: boolean): number {
    if (listening(channels.rpc)) {
      return this.rpcSync(request, { scope, responseBuffer: response, allowKernelTaint }).length;
    }
    let n: number;
    if (request === this.#pinReq && response === this.#pinInto && scope === this.#pinScope && (scope < Scope.DebugWrite || allowKernelTaint === true)) {
      n = this.#pinRpc!(); // -EBADF once closed: the addon checks, no ioctl
    } else {
      // The same arguments as the last accepted call (and the same non-zero
      // lengths: a detached view reads 0) need no second check.
      const k = this.#intoLast;
      if (!(request === k.request && response === k.response && scope === k.scope && allowKernelTaint === k.taint &&
        k.reqLen !== 0 && TA_BYTE_LENGTH.call(request) === k.reqLen && TA_BYTE_LENGTH.call(response) === k.respLen)) {
        checkRpcValues(request, scope, undefined, allowKernelTaint, undefined, undefined, response, undefined, this.path);
        k.request = request; k.response = response; k.scope = scope; k.taint = allowKernelTaint;
        k.reqLen = TA_BYTE_LENGTH.call(request); k.respLen = TA_BYTE_LENGTH.call(response);
        if (k.respLen === 0) k.reqLen = 0; // not remembered
      }
      this.#checkOpen();
      n = this.#rpcSyncInto(scope, request, response);
    }
    if (n < 0) throw this.#closed ? closedError(this.path) : FwctlError.fromErrno(n, 'ioctl(FWCTL_RPC)', this.path);
    return n;
  }

  /**
   * FWCTL_INFO on the calling thread into `data`: returns the driver's
   * device_data length (the kernel zeroed the rest of `data`); the type is
   * `typeId`. A driver with more to say than `data` holds is EMSGSIZE, as
   * for infoSync({ data }). Nothing allocated; an `allocBuffer()` buffer is
   * bound once.
   */
  infoSyncInto(data: Uint8Array): number {
    if (listening(channels.info)) return this.infoSync({ data, decode: false }).data.byteLength;
    let n: number;
    if (data === this.#pinData && data !== undefined) {
      n = this.#pinInfo!();
    } else {
      if (checkInfoData(data) === undefined) throw new FwctlTypeError('data must be a Uint8Array or Buffer');
      this.#checkOpen();
      n = this.#infoSyncInto(data);
    }
    if (n < 0) throw this.#closed ? closedError(this.path) : FwctlError.fromErrno(n, 'ioctl(FWCTL_INFO)', this.path);
    if (n > byteLengthOf(data)) throw this.#infoTooSmall(n, byteLengthOf(data));
    return n;
  }

  /**
   * Check an RPC once, issue it many times: for pollers (counters, health).
   * `options` as for rpcSync() with `responseBuffer` required and no
   * attachments; the scope and taint opt-in are checked here, once.
   */
  prepareRpc<R extends Uint8Array>(request: Bytes, options: RpcOptions & { responseBuffer: R }): PreparedRpc<R> {
    const { scope, responseBuffer: into, spec } = checkRpcArgs(request, options, this.path);
    if (into === undefined) throw new FwctlTypeError('prepareRpc() needs options.responseBuffer', 'ERR_FWCTL_INVALID_ARG_VALUE');
    if (spec !== undefined) throw new FwctlTypeError('prepareRpc() takes no attachments: use rpc()/rpcSync()', 'ERR_FWCTL_INVALID_ARG_VALUE');
    const h = this.#handle, req = asU8(request), path = this.path;
    const self = this;
    // Both buffers from allocBuffer(): the addon binds their regions once and
    // a call looks nothing up (checked there, not here: null otherwise).
    const bound = h.bindRpc?.(scope, req, into);
    if (bound) {
      return {
        request: req,
        response: into as R,
        callSync(): number {
          if (listening(channels.rpc)) return self.rpcSync(req, { scope, responseBuffer: into, allowKernelTaint: true }).length;
          const n = bound();
          if (n < 0) throw self.#closed ? closedError(path) : FwctlError.fromErrno(n, 'ioctl(FWCTL_RPC)', path);
          return n;
        },
        call: (o?: CallOptions) => this.#preparedCall(req, into, scope, o),
      };
    }
    return {
      request: req,
      response: into as R,
      callSync(): number {
        // Traced calls take the full path (the subscribers see what rpcSync() publishes).
        if (listening(channels.rpc)) return self.rpcSync(req, { scope, responseBuffer: into, allowKernelTaint: true }).length;
        if (self.#closed) throw closedError(path);
        const n = h.rpcSync(scope, req, into);
        if (n < 0) throw FwctlError.fromErrno(n, 'ioctl(FWCTL_RPC)', path);
        return n;
      },
      call: (o?: CallOptions) => this.#preparedCall(req, into, scope, o),
    };
  }

  /** A prepared RPC on the addon's pool: over the addon's copies, copied into `into` at completion. */
  async #preparedCall(req: Uint8Array, into: Uint8Array, scope: number, o: CallOptions | undefined): Promise<number> {
    const signal = checkSignal(o?.signal, 'options');
    this.#checkOpen();
    throwIfAborted(signal);
    const id = jobId(signal);
    const r = await this.#track(abortable(this.#handle.rpc(id, scope, req, into), signal, id));
    if (typeof r === 'number') throw FwctlError.fromErrno(r, 'ioctl(FWCTL_RPC)', this.path);
    if (r[2] === -2) throw new FwctlTypeError('the prepared response buffer was detached or shrunk while the call was in flight', 'ERR_FWCTL_INVALID_ARG_VALUE');
    return r[0];
  }

  /**
   * FWCTL_INFO into the caller's buffer, checked once: `callSync()` returns
   * the driver's device_data length (the type is `typeId`). No allocation.
   */
  prepareInfo(data: Uint8Array): { readonly data: Uint8Array; callSync(): number } {
    const into = checkInfoData(data) as Uint8Array;
    const h = this.#handle, path = this.path, self = this;
    const bound = h.bindInfo?.(into);
    if (bound) {
      return {
        data: into,
        callSync(): number {
          if (listening(channels.info)) return self.infoSync({ data: into, decode: false }).data.byteLength;
          const n = bound();
          if (n < 0) throw self.#closed ? closedError(path) : FwctlError.fromErrno(n, 'ioctl(FWCTL_INFO)', path);
          return n;
        },
      };
    }
    return {
      data: into,
      callSync(): number {
        if (listening(channels.info)) return self.infoSync({ data: into, decode: false }).data.byteLength;
        if (self.#closed) throw closedError(path);
        const n = h.infoSync(into);
        if (n < 0) throw FwctlError.fromErrno(n, 'ioctl(FWCTL_INFO)', path);
        return n;
      },
    };
  }

  /** The first n bytes of `buf`, as a view kept for the next call with the same buffer and length. */
  #viewOf<R extends Uint8Array>(buf: R, n: number): R {
    if (this.#lastView !== undefined && this.#lastViewOf === buf && this.#lastView.byteLength === n) return this.#lastView as R;
    const v = buf.subarray(0, n) as R;
    this.#lastViewOf = buf;
    this.#lastView = v;
    return v;
  }

  /**
   * Close the handle on the addon's pool (the driver may run a firmware
   * command at close). Calls in flight finish (the fd stays open under
   * them); the promise resolves once they have settled. Idempotent.
   */
  close(): Promise<void> {
    if (listening(channels.close)) return tracePromise(channels.close, deviceContext(this.path, this.typeId, false), () => this.#close());
    return this.#close();
  }

  async #close(): Promise<void> {
    const pending = [...this.#inFlight];
    if (!this.#closed) {
      this.#closed = true;
      const rc = await this.#handle.closeAsync();
      if (rc < 0 && -rc !== EBADF) throw FwctlError.fromErrno(rc, 'close', this.path);
    }
    await Promise.allSettled(pending);
  }

  /** Close now, on this thread; in-flight async calls still complete. Idempotent. */
  closeSync(): void {
    if (listening(channels.close)) return traceSync(channels.close, deviceContext(this.path, this.typeId, true), () => this.#closeSync());
    this.#closeSync();
  }

  #closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    const rc = this.#handle.close();
    if (rc < 0 && -rc !== EBADF) throw FwctlError.fromErrno(rc, 'close', this.path);
  }

  [disposeSymbol](): void {
    this.closeSync();
  }

  [asyncDisposeSymbol](): Promise<void> {
    return this.close();
  }

  /**
   * A view of exactly `length` scratch bytes (the addon takes out_len from
   * the view), kept for the next call of the same length: no view per call.
   */
  #scratchOf(length: number): Buffer {
    if (this.#scratchView.length === length) return this.#scratchView;
    if (this.#scratch.length < length) this.#scratch = Buffer.alloc(Math.max(length, 4096));
    this.#scratchView = this.#scratch.subarray(0, length);
    return this.#scratchView;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError(this.path);
  }

  #track<T>(call: Promise<T>): Promise<T> {
    this.#inFlight.add(call);
    const done = () => this.#inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /** The length to retry INFO with, after the driver reported more than fitted. */
  #retryLength(reported: number): number {
    if (reported > MAX_RPC_LEN) {
      throw new FwctlError({ code: 'EMSGSIZE', syscall: 'ioctl(FWCTL_INFO)', path: this.path,
        detail: `the driver reports ${reported} bytes of device_data, more than this package accepts (2 MiB)` });
    }
    return reported;
  }

  /** The info result over a view of the caller's data buffer. */
  /**
   * The device type, asked of the addon once (an N-API accessor call): a
   * fwctl device's type is its driver's (fwctl_ops.device_type) and never
   * changes under an open fd.
   */
  #type(): number {
    return this.#typeId ??= this.#handle.type;
  }

  #infoOf(data: Uint8Array, decode: boolean, result?: DeviceInfo): DeviceInfo {
    const typeId = this.#type();
    if (decode) return decodeInfo(typeId, data as Buffer); // any Uint8Array: decodeInfo reads bytes, not Buffer methods
    if (result === undefined) return { type: deviceTypeOf(typeId), typeId, data: data as Buffer } as DeviceInfo;
    // Refilled; a field is written only when it changes (no write barrier in a loop).
    const r = result as { type: string; typeId: number; data: Uint8Array; decoded?: unknown };
    if (r.typeId !== typeId) { r.typeId = typeId; r.type = deviceTypeOf(typeId); }
    if (r.data !== data) r.data = data;
    if (r.decoded !== undefined) delete r.decoded;
    return result;
  }

  #infoTooSmall(reported: number, have: number): FwctlError {
    return new FwctlError({ code: 'EMSGSIZE', syscall: 'ioctl(FWCTL_INFO)', path: this.path,
      detail: `the driver has ${reported} bytes of device_data, options.data holds ${have}: pass a buffer of at least ${reported} bytes` });
  }

  #infoUnstable(): FwctlError {
    return new FwctlError({ code: 'EAGAIN', syscall: 'ioctl(FWCTL_INFO)', path: this.path,
      detail: `the device_data length changed on each of ${INFO_ATTEMPTS} calls` });
  }
}

const EBADF = osConstants.errno.EBADF;
const ENOTTY = osConstants.errno.ENOTTY;
