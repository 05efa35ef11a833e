// Device: open/info/rpc/close, sync and async. Struct bytes are packed here
// from the layouts in lib/uapi; the native layer only patches buffer
// addresses in and issues the ioctl.

import './dispose';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { binding as loadBinding, type NativeBinding, type NativeHandle } from './binding';
import { decodeInfo, type DeviceInfo } from './decode';
import { devRootOf, subsystemOfChar, subsystemOfCharSync, type Roots } from './discovery';
import { closedError, FwctlError } from './errors';
import { FWCTL_INFO, FWCTL_RPC, MAX_RPC_LEN, SCOPE_NAMES, Scope, TAINT_FWCTL_BIT } from './uapi/constants';
import { asU8, HOST_LE, type Bytes } from './uapi/layout';
import { fwctlInfo, fwctlRpc } from './uapi/structs';

export type { Bytes };

export type OpenOptions = Roots;

export interface RpcOptions {
  /** The access the RPC needs: Scope.Configuration, DebugReadOnly, DebugWrite or DebugWriteFull. */
  scope: Scope;
  /** Bytes to reserve for the response (default 4096, at most 2 MiB). A longer answer is truncated. */
  responseLength?: number;
  /** Required for DebugWrite and DebugWriteFull, which taint the kernel (TAINT_FWCTL). */
  allowKernelTaint?: boolean;
  /**
   * Further user buffers the driver reads or writes during the call (pds:
   * `fwctl_rpc_pds.in.payload` / `out.payload`). The address of each buffer is
   * written as a host-endian u64 into the request at `at` (a private copy of
   * the request: the caller's bytes are never modified). At most 6.
   */
  attach?: readonly RpcAttachment[];
}

/** A buffer whose address is patched into the request (see RpcOptions.attach). */
export interface RpcAttachment {
  /** Byte offset in the request of the u64 pointer field (at + 8 <= request length). */
  at: number;
  /**
   * 'in': the kernel only reads it. 'out' / 'inout': the kernel writes it; the
   * bytes land in this buffer when the call returns (async calls give the
   * kernel a private copy and copy it back on success, so the caller's memory
   * is never written while the call is in flight). A zero-length buffer is
   * patched as address 0.
   */
  buffer: Bytes;
  direction: 'in' | 'out' | 'inout';
}

/** Extra buffers one call can take besides the request and the response (the addon takes 8). */
export const MAX_ATTACHMENTS = 6;

export interface RpcResult {
  /** Exactly the bytes the kernel wrote: min(length, responseLength). */
  response: Buffer;
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
 * scratch buffer and copies out only the bytes the kernel wrote: zeroing a
 * fresh 4 KiB buffer per call cost more than the rest of the call together.
 */
const SCRATCH_MAX = 64 * 1024;

const INFO = fwctlInfo.fields;
const RPC = fwctlRpc.fields;
/** Patch triples (target, offset, source): arg.out_device_data <- buffer 1. */
const INFO_PATCHES = Uint32Array.of(0, INFO.out_device_data.offset, 1);
/** arg.in <- buffer 1 (request), arg.out <- buffer 2 (response). */
const RPC_PATCHES = Uint32Array.of(0, RPC.in.offset, 1, 0, RPC.out.offset, 2);

// ---- the native binding, replaceable by unit tests ----

let bindingOverride: NativeBinding | undefined;

/** For unit tests: use a fake binding (undefined restores the addon). Not part of the public API. */
export function setBindingForTesting(fake: NativeBinding | undefined): void {
  bindingOverride = fake;
}

function native(): NativeBinding {
  return bindingOverride ?? loadBinding();
}


// ---- argument checks (all before any syscall) ----

/** A device name ('fwctl0') or a path ('/dev/fwctl/fwctl0', './node'). */
export function resolveDevicePath(nameOrPath: string, roots?: Roots): string {
  if (typeof nameOrPath !== 'string') throw new TypeError('device must be a name like "fwctl0" or a path');
  if (nameOrPath === '' || nameOrPath.includes('\0')) throw new TypeError(`invalid device name ${JSON.stringify(nameOrPath)}`);
  if (path.isAbsolute(nameOrPath) || nameOrPath.startsWith('./') || nameOrPath.startsWith('../')) return nameOrPath;
  if (nameOrPath.includes('/') || nameOrPath.includes('..') || nameOrPath === '.') {
    throw new TypeError(`invalid device name ${JSON.stringify(nameOrPath)}: give a name like "fwctl0" or a path starting with / or ./`);
  }
  return path.join(devRootOf(roots), 'fwctl', nameOrPath);
}

interface CheckedRpc {
  scope: Scope;
  responseLength: number;
  attach: readonly RpcAttachment[];
}

/** The `attach` of every call without attachments (shared, frozen: no per-call array). */
const NO_ATTACH: readonly RpcAttachment[] = Object.freeze([]);

function checkAttach(value: unknown, requestLength: number): readonly RpcAttachment[] {
  if (value === undefined) return NO_ATTACH;
  if (!Array.isArray(value)) throw new TypeError('options.attach must be an array of { at, buffer, direction }');
  if (value.length > MAX_ATTACHMENTS) throw new RangeError(`options.attach takes at most ${MAX_ATTACHMENTS} buffers, got ${value.length}`);
  const taken: number[] = [];
  return value.map((a: unknown, i: number) => {
    const x = (typeof a === 'object' && a !== null ? a : {}) as Partial<Record<keyof RpcAttachment, unknown>>;
    if (!(x.buffer instanceof Uint8Array)) throw new TypeError(`options.attach[${i}].buffer must be a Uint8Array or Buffer`);
    if (x.buffer.byteLength === 0 && isDetached(x.buffer)) throw new TypeError(`options.attach[${i}].buffer is detached (its ArrayBuffer was transferred)`);
    checkLength(x.buffer.byteLength, `options.attach[${i}].buffer length`);
    if (x.direction !== 'in' && x.direction !== 'out' && x.direction !== 'inout') {
      throw new TypeError(`options.attach[${i}].direction must be 'in', 'out' or 'inout'`);
    }
    const at = x.at;
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at + 8 > requestLength) {
      throw new RangeError(`options.attach[${i}].at must be an offset with at + 8 <= ${requestLength} (the request length), got ${String(at)}`);
    }
    if (taken.some((t) => Math.abs(t - at) < 8)) throw new RangeError(`options.attach[${i}].at ${at} overlaps another attachment's pointer field`);
    taken.push(at);
    return { at, buffer: x.buffer, direction: x.direction };
  });
}

/** RPC_PATCHES plus request[at] <- buffer 3 + k for each attachment. */
function attachPatches(attach: readonly RpcAttachment[]): Uint32Array {
  const p = new Uint32Array(RPC_PATCHES.length + 3 * attach.length);
  p.set(RPC_PATCHES);
  attach.forEach((a, k) => p.set([1, a.at, 3 + k], RPC_PATCHES.length + 3 * k));
  return p;
}

/**
 * A view whose ArrayBuffer was transferred (detached): it has no memory to
 * hand the kernel. A detached view reads as byteLength 0, so callers test
 * that first (reading `.buffer` of a small on-heap view costs more than the rest of the check).
 */
function isDetached(view: Uint8Array): boolean {
  const b = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof b.detached === 'boolean') return b.detached;
  // Node 20 lacks ArrayBuffer.prototype.detached: a detached buffer reads as 0 bytes and cannot be sliced.
  if (b.byteLength !== 0) return false;
  try {
    b.slice(0);
    return false;
  } catch {
    return true;
  }
}

function checkLength(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number`);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  if (value > MAX_RPC_LEN) throw new RangeError(`${what} ${value} exceeds the kernel's limit of ${MAX_RPC_LEN} bytes (2 MiB)`);
  return value;
}

export function checkRpcArgs(request: unknown, options: unknown, devicePath?: string): CheckedRpc {
  if (!(request instanceof Uint8Array)) throw new TypeError('request must be a Uint8Array or Buffer');
  if (request.byteLength === 0 && isDetached(request)) throw new TypeError('request is detached (its ArrayBuffer was transferred)');
  checkLength(request.byteLength, 'request length');
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('rpc() needs options with a scope, e.g. { scope: fwctl.Scope.DebugReadOnly }');
  }
  const o = options as Partial<Record<keyof RpcOptions, unknown>>;
  if (typeof o.scope !== 'number') throw new TypeError('options.scope must be a Scope, e.g. fwctl.Scope.DebugReadOnly');
  if (!Number.isInteger(o.scope) || o.scope < 0 || o.scope >= SCOPE_NAMES.length) {
    throw new RangeError(`options.scope ${o.scope} is not a known scope (0..${SCOPE_NAMES.length - 1})`);
  }
  const responseLength = o.responseLength === undefined
    ? DEFAULT_RESPONSE_LENGTH : checkLength(o.responseLength, 'options.responseLength');
  if (o.allowKernelTaint !== undefined && typeof o.allowKernelTaint !== 'boolean') {
    throw new TypeError('options.allowKernelTaint must be a boolean');
  }
  const attach = checkAttach(o.attach, request.byteLength);
  const scope = o.scope as Scope;
  if (scope >= Scope.DebugWrite && o.allowKernelTaint !== true) {
    const rawio = scope === Scope.DebugWriteFull ? ' It also needs CAP_SYS_RAWIO.' : '';
    throw new FwctlError({
      code: 'EPERM',
      path: devicePath,
      detail: `refused before calling the kernel: scope ${SCOPE_NAMES[scope]} taints the kernel ` +
        `(TAINT_FWCTL, bit ${TAINT_FWCTL_BIT} of /proc/sys/kernel/tainted) on its first use; ` +
        `pass allowKernelTaint: true to allow it.${rawio}`,
    });
  }
  return { scope, responseLength, attach };
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
function openChecked(p: string, dev: { major: number; minor: number }): NativeHandle {
  const handle = native().open(p);
  if (typeof handle === 'number') throw FwctlError.fromErrno(handle, 'open', p);
  const st = handle.fstat();
  const same = typeof st !== 'number' && (st[0] & S_IFMT) === S_IFCHR && st[1] === dev.major && st[2] === dev.minor;
  if (!same) {
    handle.close();
    if (typeof st === 'number') throw FwctlError.fromErrno(st, 'open', p);
    throw notFwctl(p, 'the node changed between stat() and open()');
  }
  return handle;
}

/** Open a fwctl device by name ('fwctl0') or path, after checking it is one. */
export function openSync(nameOrPath: string, options?: OpenOptions): Device {
  const p = resolveDevicePath(nameOrPath, options);
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(p, { bigint: true });
  } catch (e) {
    throw statError(e, p);
  }
  const dev = checkNode(st, p, (ma, mi) => subsystemOfCharSync(ma, mi, options));
  return new Device(openChecked(p, dev), p);
}

export async function open(nameOrPath: string, options?: OpenOptions): Promise<Device> {
  const p = resolveDevicePath(nameOrPath, options);
  let st: fs.BigIntStats;
  try {
    st = await fs.promises.stat(p, { bigint: true });
  } catch (e) {
    throw statError(e, p);
  }
  const dev = splitRdev(st.rdev);
  const sub = st.isCharacterDevice() ? await subsystemOfChar(dev.major, dev.minor, options) : null;
  checkNode(st, p, () => sub);
  // open() itself is synchronous in the addon: it is quick (mlx5 creates a
  // firmware user context, one short command).
  return new Device(openChecked(p, dev), p);
}

// ---- the handle ----

/** An open fwctl device. Get one from open() / openSync(). */
export class Device {
  /** The device node this handle was opened from. */
  readonly path: string;
  readonly #handle: NativeHandle;
  #closed = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  // The sync RPC path reuses one argument struct: a sync call owns the JS
  // thread until it returns, so no two calls can share it at once.
  readonly #rpcArg = new Uint8Array(fwctlRpc.size);
  readonly #rpcView = new DataView(this.#rpcArg.buffer);
  /** Sync responses land here (zeroed once, grown on demand, never exposed past what the kernel wrote). */
  #scratch: Buffer = Buffer.alloc(0);
  // infoSync() likewise: one argument struct and a 256-byte device_data
  // scratch (zeroed once), created on first use; the result is a copy.
  #infoArg: Uint8Array | undefined;
  #infoView: DataView | undefined;
  #infoData: Buffer | undefined;

  /** @internal Use open() or openSync(). */
  constructor(handle: NativeHandle, devicePath: string) {
    this.#handle = handle;
    this.path = devicePath;
  }

  /** True after close() or closeSync(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The device type and its device_data (FWCTL_INFO). */
  async info(): Promise<DeviceInfo> {
    this.#checkOpen();
    let length = INFO_FIRST_LENGTH;
    for (let attempt = 0; attempt < INFO_ATTEMPTS; attempt++) {
      const call = infoCall(length);
      const rc = await this.#track(this.#handle.ioctl(FWCTL_INFO, INFO_PATCHES, call.arg, asU8(call.data)));
      const view = new DataView(call.arg.buffer);
      const next = this.#infoResult(rc, view, call.data);
      if (typeof next === 'number') {
        length = next;
        continue;
      }
      return decodeInfo(view.getUint32(INFO.out_device_type.offset, HOST_LE), call.data.subarray(0, next.length));
    }
    throw this.#infoUnstable();
  }

  infoSync(): DeviceInfo {
    this.#checkOpen();
    if (this.#infoArg === undefined) {
      this.#infoArg = new Uint8Array(fwctlInfo.size);
      this.#infoView = new DataView(this.#infoArg.buffer);
      this.#infoData = Buffer.alloc(INFO_FIRST_LENGTH);
    }
    const arg = this.#infoArg;
    const view = this.#infoView as DataView;
    let length = INFO_FIRST_LENGTH;
    for (let attempt = 0; attempt < INFO_ATTEMPTS; attempt++) {
      // Larger device_data (no known driver): a fresh zeroed buffer, returned as is.
      const data = length === INFO_FIRST_LENGTH ? this.#infoData as Buffer : Buffer.alloc(length);
      setInfoArg(view, length);
      const rc = this.#handle.ioctlSync(FWCTL_INFO, INFO_PATCHES, arg, asU8(data));
      const next = this.#infoResult(rc, view, data);
      if (typeof next === 'number') {
        length = next;
        continue;
      }
      const typeId = view.getUint32(INFO.out_device_type.offset, HOST_LE);
      if (data !== this.#infoData) return decodeInfo(typeId, data.subarray(0, next.length));
      // Copy out exactly the bytes the kernel wrote in this call (it copies
      // min(device_data_len, driver's length) and reports the latter), into
      // a backing store of the result's own.
      const copy = Buffer.allocUnsafeSlow(next.length);
      copy.set(new Uint8Array(data.buffer, data.byteOffset, next.length));
      return decodeInfo(typeId, copy);
    }
    throw this.#infoUnstable();
  }

  /**
   * Send one RPC (FWCTL_RPC). The request is copied first, so the caller's
   * buffer is free to change while the call runs. Never retried.
   */
  async rpc(request: Bytes, options: RpcOptions): Promise<RpcResult> {
    const { scope, responseLength, attach } = checkRpcArgs(request, options, this.path);
    this.#checkOpen();
    // One backing store owned by this call holds the argument struct and a
    // copy of the request (one allocation instead of two; a DataView per call
    // cost more than the rest of the packing). Every byte is written here
    // (the struct's in/out by the addon's patches), and it is never exposed.
    const reqLen = request.byteLength;
    const mem = Buffer.allocUnsafeSlow(fwctlRpc.size + reqLen);
    setRpcArgBuf(mem, scope, reqLen, responseLength);
    mem.set(asU8(request), fwctlRpc.size);
    const req = mem.subarray(fwctlRpc.size); // the request copy (0 bytes: patched as address 0)
    // Owned by this call until it completes; not zeroed: rpcResult() zeroes
    // what the kernel did not write before anything can reach it.
    const response = Buffer.allocUnsafeSlow(responseLength);
    // Copy-in: the kernel gets private copies; 'out' buffers start zeroed.
    const extra = attach.length === 0 ? NO_BUFFERS
      : attach.map((a) => (a.direction === 'out' ? new Uint8Array(a.buffer.byteLength) : new Uint8Array(asU8(a.buffer))));
    const call = attach.length === 0 // no spread: a spread call takes V8's generic API-call path
      ? this.#handle.ioctl(FWCTL_RPC, RPC_PATCHES, asU8(mem), asU8(req), asU8(response))
      : this.#handle.ioctl(FWCTL_RPC, attachPatches(attach), asU8(mem), asU8(req), asU8(response), ...extra);
    const rc = await this.#track(call);
    if (rc < 0) throw FwctlError.fromErrno(rc, 'ioctl(FWCTL_RPC)', this.path);
    // Copy-out, only after the kernel is done with the private copies.
    attach.forEach((a, k) => {
      if (a.direction === 'in') return;
      if (a.buffer.byteLength === 0 && isDetached(asU8(a.buffer))) {
        throw new TypeError(`options.attach[${k}].buffer was detached while the call was in flight: its output is lost`);
      }
      asU8(a.buffer).set(extra[k]);
    });
    const outLen = HOST_LE ? mem.readUInt32LE(RPC.out_len.offset) : mem.readUInt32BE(RPC.out_len.offset);
    return rpcResult(response, outLen, responseLength);
  }

  /** Send one RPC on the calling thread; the kernel reads the caller's request buffer directly. */
  rpcSync(request: Bytes, options: RpcOptions): RpcResult {
    const { scope, responseLength, attach } = checkRpcArgs(request, options, this.path);
    this.#checkOpen();
    // Above SCRATCH_MAX the kernel writes straight into the result: a
    // backing store of its own, not zeroed (no 2 MiB memset), its unwritten
    // tail zeroed below before it is returned (no copy).
    const direct = responseLength > SCRATCH_MAX;
    const target = direct ? Buffer.allocUnsafeSlow(responseLength) : this.#scratchOf(responseLength);
    const view = this.#rpcView;
    setRpcArg(view, scope, request.byteLength, responseLength);
    // With attachments the addresses are patched into a copy of the request;
    // the attached buffers themselves are handed to the kernel directly (the thread is blocked).
    const rc = attach.length === 0
      ? this.#handle.ioctlSync(FWCTL_RPC, RPC_PATCHES, this.#rpcArg, asU8(request), asU8(target))
      : this.#handle.ioctlSync(FWCTL_RPC, attachPatches(attach), this.#rpcArg, new Uint8Array(asU8(request)), asU8(target),
        ...attach.map((a) => asU8(a.buffer)));
    if (rc < 0) throw FwctlError.fromErrno(rc, 'ioctl(FWCTL_RPC)', this.path);
    const length = view.getUint32(RPC.out_len.offset, HOST_LE);
    const written = Math.min(length, responseLength);
    if (direct) return rpcResult(target, length, responseLength);
    // Every byte of the copy was written by the kernel in this call (it copies
    // exactly min(out_len, length)). allocUnsafeSlow: a backing store of its
    // own (allocUnsafe would slice Node's shared pool, whose other, stale
    // bytes `response.buffer` would then expose).
    const response = Buffer.allocUnsafeSlow(written);
    response.set(new Uint8Array(target.buffer, target.byteOffset, written));
    return { response, length, truncated: length > responseLength };
  }

  /**
   * Close the handle. Calls already in flight finish (the fd stays open
   * under them); the promise resolves once they have settled. Idempotent.
   */
  async close(): Promise<void> {
    const pending = [...this.#inFlight];
    this.closeSync();
    await Promise.allSettled(pending);
  }

  /** Close now; in-flight async calls still complete. Idempotent. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    const rc = this.#handle.close();
    if (rc < 0 && -rc !== EBADF) throw FwctlError.fromErrno(rc, 'close', this.path);
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * A scratch buffer of at least `length` bytes. Passed whole (a subarray
   * per call costs more than the copy): the kernel writes at most out_len.
   */
  #scratchOf(length: number): Buffer {
    if (this.#scratch.length < length) this.#scratch = Buffer.alloc(Math.max(length, 4096));
    return this.#scratch;
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

  /** { length } of device_data when it fit in `data`, or the length to retry with. */
  #infoResult(rc: number, view: DataView, data: Buffer): { length: number } | number {
    if (rc < 0) throw FwctlError.fromErrno(rc, 'ioctl(FWCTL_INFO)', this.path);
    const length = view.getUint32(INFO.device_data_len.offset, HOST_LE);
    if (length <= data.byteLength) return { length };
    if (length > MAX_RPC_LEN) {
      throw new FwctlError({ code: 'EMSGSIZE', syscall: 'ioctl(FWCTL_INFO)', path: this.path,
        detail: `the driver reports ${length} bytes of device_data, more than this package accepts (2 MiB)` });
    }
    return length;
  }

  #infoUnstable(): FwctlError {
    return new FwctlError({ code: 'EAGAIN', syscall: 'ioctl(FWCTL_INFO)', path: this.path,
      detail: `the device_data length changed on each of ${INFO_ATTEMPTS} calls` });
  }
}

const EBADF = osConstants.errno.EBADF;

interface InfoCall {
  arg: Uint8Array;
  data: Buffer;
}

function infoCall(length: number): InfoCall {
  const arg = new Uint8Array(fwctlInfo.size);
  setInfoArg(new DataView(arg.buffer), length);
  // The kernel zero-fills past the driver's data; allocating zeroed keeps that true if it ever does not.
  const data = Buffer.alloc(length);
  return { arg, data };
}

/** size, flags = 0, device_data_len (the outputs are overwritten by the kernel). */
function setInfoArg(view: DataView, length: number): void {
  view.setUint32(INFO.size.offset, fwctlInfo.size, HOST_LE);
  view.setUint32(INFO.flags.offset, 0, HOST_LE);
  view.setUint32(INFO.device_data_len.offset, length, HOST_LE);
}

const NO_BUFFERS: readonly Uint8Array[] = Object.freeze([]);

/** setRpcArg() through a Buffer's own writers (host endian). */
function setRpcArgBuf(b: Buffer, scope: number, inLen: number, outLen: number): void {
  if (HOST_LE) {
    b.writeUInt32LE(fwctlRpc.size, RPC.size.offset);
    b.writeUInt32LE(scope, RPC.scope.offset);
    b.writeUInt32LE(inLen, RPC.in_len.offset);
    b.writeUInt32LE(outLen, RPC.out_len.offset);
  } else {
    b.writeUInt32BE(fwctlRpc.size, RPC.size.offset);
    b.writeUInt32BE(scope, RPC.scope.offset);
    b.writeUInt32BE(inLen, RPC.in_len.offset);
    b.writeUInt32BE(outLen, RPC.out_len.offset);
  }
}

function setRpcArg(view: DataView, scope: number, inLen: number, outLen: number): void {
  view.setUint32(RPC.size.offset, fwctlRpc.size, HOST_LE);
  view.setUint32(RPC.scope.offset, scope, HOST_LE);
  view.setUint32(RPC.in_len.offset, inLen, HOST_LE);
  view.setUint32(RPC.out_len.offset, outLen, HOST_LE);
}

/**
 * The result of a call whose response buffer (allocUnsafeSlow, responseLength
 * bytes, a backing store of its own) the kernel wrote into: it copies exactly
 * min(out_len, responseLength) bytes from the start and reports out_len. The
 * rest is zeroed here, before the buffer is reachable from JavaScript, so no
 * uninitialised byte is exposed, through `response.buffer` either.
 */
function rpcResult(response: Buffer, length: number, responseLength: number): RpcResult {
  const written = Math.min(length, responseLength);
  if (written < responseLength) response.fill(0, written);
  return { response: written === responseLength ? response : response.subarray(0, written), length, truncated: length > responseLength };
}
