// Device: open/info/rpc/close, sync and async, with AbortSignal support.
// Arguments are checked in lib/call-args.ts for the API's sake (types,
// scope, taint opt-in); the addon checks every length and pointer the kernel
// will use against the real buffers and builds the ioctl structs itself (see
// native/), so nothing here stands alone between the kernel and
// the heap.

import { asyncDisposeSymbol, disposeSymbol } from './dispose';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { activeBinding } from './backend';
import { statNode, statNodeSync } from './ground';
import { type NativeBinding, type NativeHandle, type OpenResult } from './binding';
import { byteLengthOf, checkInfoData, checkInfoOptions, checkRpcArgs, checkSignal, type CallOptions, type InfoOptions, type RpcOptions, type RpcResult } from './call-args';
import { decodeInfo, type DeviceInfo } from './decode';
import { channels, deviceContext, listening, openContext, openDone, rpcContext, rpcDone, tracePromise, traceSync } from './trace';
import { devRootOf, subsystemOfChar, subsystemOfCharSync, type Roots } from './discovery';
import { closedError, FwctlAbortError, FwctlError, FwctlRangeError, FwctlTypeError, show, throwIfAborted } from './errors';
import { MAX_RPC_LEN } from './uapi/constants';
import { asU8, type Bytes } from './uapi/layout';

export type { Bytes };
export { MAX_ATTACHMENTS } from './call-args';
export type { CallOptions, InfoOptions, LengthField, RpcAttachment, RpcOptions, RpcResult } from './call-args';

export interface OpenOptions extends Roots {
  /** Abort the open: the promise rejects with the signal's reason; an fd opened meanwhile is closed. */
  signal?: AbortSignal;
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

/** First device_data buffer; every known driver's data fits, larger ones cost one more call. */
const INFO_FIRST_LENGTH = 256;
const INFO_ATTEMPTS = 3;
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
  return Buffer.from(ab);
}

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
  /** infoSync()'s device_data scratch, 256 bytes zeroed once; the result is a copy. */
  #infoData: Buffer | undefined;
  #typeId: number | undefined;
  /** The last view #viewOf made, and of what: a loop over one caller buffer makes no view per call. */
  #viewBuf: Uint8Array | undefined;
  #view: Uint8Array | undefined;

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
    const into = checkInfoOptions(options);
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
      return decodeInfo(this.#type(), this.#viewOf(into, reported) as Buffer); // any Uint8Array: decodeInfo reads bytes
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
    const into = checkInfoOptions(options);
    this.#checkOpen();
    if (into !== undefined) {
      const reported = this.#handle.infoSync(into);
      if (reported < 0) throw FwctlError.fromErrno(reported, 'ioctl(FWCTL_INFO)', this.path);
      const have = byteLengthOf(into);
      if (reported > have) throw this.#infoTooSmall(reported, have);
      return decodeInfo(this.#type(), this.#viewOf(into, reported) as Buffer);
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
    const { scope, responseLength, responseBuffer: into, spec, buffers, signal } = checkRpcArgs(request, options, this.path);
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
    if (into === undefined) return { response: got as Buffer, length, truncated };
    return { response: length >= responseLength ? into : this.#viewOf(into, length), length, truncated };
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
    const { scope, responseLength, responseBuffer: into, spec, buffers } = checkRpcArgs(request, options, this.path);
    this.#checkOpen();
    if (into !== undefined) {
      // The kernel writes the caller's buffer (the thread is blocked); the
      // response is that buffer, or a view of what the kernel wrote of it.
      const n = spec === undefined
        ? this.#handle.rpcSync(scope, asU8(request), into)
        : this.#handle.rpcSync(scope, asU8(request), into, spec, ...buffers);
      if (n < 0) throw FwctlError.fromErrno(n, 'ioctl(FWCTL_RPC)', this.path);
      return { response: n >= responseLength ? into : this.#viewOf(into, n), length: n, truncated: n > responseLength };
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
      return { response: written === responseLength ? target : target.subarray(0, written), length, truncated: length > responseLength };
    }
    // Every byte of the copy was written by the kernel in this call (it copies
    // exactly min(out_len, length)). allocUnsafeSlow: a backing store of its
    // own (allocUnsafe would slice Node's shared pool, whose other, stale
    // bytes `response.buffer` would then expose).
    const response = Buffer.allocUnsafeSlow(written);
    response.set(new Uint8Array(target.buffer, target.byteOffset, written));
    return { response, length, truncated: length > responseLength };
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
   * the driver's device_data length (the type is `typeId`), EMSGSIZE when
   * the driver has more than `data` holds. No allocation.
   */
  prepareInfo(data: Uint8Array): { readonly data: Uint8Array; callSync(): number } {
    const into = checkInfoData(data) as Uint8Array;
    const h = this.#handle, path = this.path, self = this;
    const bound = h.bindInfo?.(into);
    // A driver with more device_data than `data` holds is EMSGSIZE, as for
    // infoSync({ data }) (the kernel copied only what fits).
    if (bound) {
      const have = byteLengthOf(into); // bound: held and attached, its length cannot change
      return {
        data: into,
        callSync(): number {
          if (listening(channels.info)) return self.infoSync({ data: into }).data.byteLength;
          const n = bound();
          if (n < 0) throw self.#closed ? closedError(path) : FwctlError.fromErrno(n, 'ioctl(FWCTL_INFO)', path);
          if (n > have) throw self.#infoTooSmall(n, have);
          return n;
        },
      };
    }
    return {
      data: into,
      callSync(): number {
        if (listening(channels.info)) return self.infoSync({ data: into }).data.byteLength;
        if (self.#closed) throw closedError(path);
        const n = h.infoSync(into);
        if (n < 0) throw FwctlError.fromErrno(n, 'ioctl(FWCTL_INFO)', path);
        if (n > byteLengthOf(into)) throw self.#infoTooSmall(n, byteLengthOf(into));
        return n;
      },
    };
  }

  /**
   * The first n bytes of the caller's buffer: the buffer itself when n
   * covers it, else a view, kept for the next call with the same buffer and
   * length (a view costs ~400 instructions, a third of a call: the bench's
   * infoSync({ data }) row).
   */
  #viewOf<R extends Uint8Array>(buf: R, n: number): R {
    if (n >= byteLengthOf(buf)) return buf;
    const v = this.#view;
    if (v !== undefined && this.#viewBuf === buf && v.byteLength === n) return v as R;
    const made = buf.subarray(0, n) as R;
    this.#viewBuf = buf;
    this.#view = made;
    return made;
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

  /**
   * The device type, asked of the addon once (an N-API accessor call): a
   * fwctl device's type is its driver's (fwctl_ops.device_type) and never
   * changes under an open fd.
   */
  #type(): number {
    return this.#typeId ??= this.#handle.type;
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
