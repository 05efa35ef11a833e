// Loading and typing the native addon (native/, entry points in native/module.cc).
//
// The addon owns memory safety: it knows struct fwctl_info and struct
// fwctl_rpc and builds them itself, takes every length the kernel uses from
// the native view of the buffer it describes, pairs every pointer it writes
// into a request with that buffer's length field, and refuses raw pointers in
// the request fields a driver dereferences (the guard table, registered
// once at load from lib/guards.ts), on its own copy of the request: the
// bytes it checks are the bytes the kernel reads. Async calls only ever hand
// the kernel memory the addon owns.

import { nativeArgumentError } from './errors';
import { pointerGuardTable } from './guards';

/**
 * Attachments of one RPC, six u32 per buffer (buffer k is the k-th extra
 * argument): [ptrOffset, lenOffset, lenFlags, unit, fixedLength, direction].
 * lenFlags: width of the length field (0: none, 2, 4, 8) | LEN_BE | PTR_LE,
 * or LEN_FROM_TABLE (lib/binding-flags.ts). direction: DIR_IN, DIR_OUT or both.
 */
export type AttachSpec = Uint32Array;

export { DIR_IN, DIR_OUT, LEN_BE, LEN_FROM_TABLE, PTR_LE, SPEC_WORDS } from './binding-flags';

/** A native device handle: owns one O_RDWR|O_CLOEXEC fd (shared with its calls in flight). */
export interface NativeHandle {
  /** The fd number, or -1 once closed. For diagnostics and tests only. */
  readonly fd: number;
  /** Async calls submitted on this handle and not yet delivered. */
  readonly inFlight: number;
  /** The device type number, asked of the kernel at open (FWCTL_INFO). */
  readonly type: number;
  /** fstat() of the open fd: [st_mode, major(st_rdev), minor(st_rdev)] or a negative errno. */
  fstat(): [number, number, number] | number;
  /**
   * FWCTL_RPC on the calling thread. in_len and out_len are the native
   * lengths of `request` and `response`. Returns the driver's response
   * length (the kernel copied min(it, response length)) or a negative errno.
   * -EBADF once closed. Throws FwctlTypeError/FwctlRangeError for bad arguments.
   */
  rpcSync(scope: number, request: Uint8Array, response: Uint8Array, spec?: AttachSpec, ...buffers: Uint8Array[]): number;
  /**
   * FWCTL_RPC on the addon's pool, over copies the addon owns. `response`
   * is the response length, or a view the response is copied into at
   * completion. Resolves [driver's length, the bytes the kernel wrote (a
   * Buffer; the view itself in the `into` form), index of the first 'out'
   * attachment that could not be copied back (detached or shrunk), -2 for
   * the response view, or -1], or a negative errno. `id` (non-zero) makes
   * it abandonable.
   */
  rpc(id: number, scope: number, request: Uint8Array, response: number | Uint8Array, spec?: AttachSpec,
    ...buffers: Uint8Array[]): Promise<[number, Buffer, number] | number>;
  /**
   * A function issuing this RPC on the calling thread, bound once to
   * `request` and `response`, or null unless both lie inside allocBuffer()
   * ArrayBuffers of this thread (a 0-length view needs none). The function
   * holds those ArrayBuffers and checks at every call that they are still
   * attached (FwctlTypeError ERR_FWCTL_INVALID_ARG_VALUE once one was
   * transferred). It returns the driver's response length or a negative
   * errno (-EBADF once the handle is closed); on pds and bnxt it checks the
   * request's pointer fields per call, on its copy (FwctlRangeError).
   */
  bindRpc?(scope: number, request: Uint8Array, response: Uint8Array): (() => number) | null;
  /** The same for FWCTL_INFO into `data`. */
  bindInfo?(data: Uint8Array): (() => number) | null;
  /** FWCTL_INFO on the calling thread into `data` (its native length). The driver's length or -errno. */
  infoSync(data: Uint8Array): number;
  /** FWCTL_INFO on the pool: [driver's length, Buffer of min(length, it)] or -errno. */
  info(id: number, length: number): Promise<[number, Buffer] | number>;
  /**
   * Drop the handle's fd reference on this thread: returns close()'s result,
   * or 0 when calls in flight keep the fd open until the last one returns.
   * -EBADF once closed.
   */
  close(): number;
  /** The same on the addon's pool (the driver may run a firmware command at close). */
  closeAsync(): Promise<number>;
}

/** [handle, [st_mode, major, minor] of the opened fd] or a negative errno. */
export type OpenResult = [NativeHandle, [number, number, number]] | number;

export interface NativeBinding {
  /** open(path, O_RDWR|O_CLOEXEC|O_NOCTTY), fstat and the type query on the calling thread. */
  open(path: string): OpenResult;
  /** The same on the addon's pool. -ECANCELED if abandoned (the fd is then closed by the addon). */
  openAsync(id: number, path: string): Promise<OpenResult>;
  /** Abandon the async call submitted with `id`: it no longer keeps the process alive. */
  abandon(id: number): boolean;
  /** The pointer-guard table (8 u32 per entry); once per process, done at load. */
  setPointerGuards(table: Uint32Array): void;
  /**
   * The function the addon builds its argument errors with (`kind`: 0 a
   * wrong type, 1 a value out of range, 2 a value the call cannot take, such
   * as a detached buffer); per environment, done at load (errors.ts
   * nativeArgumentError). Without one the addon throws a plain TypeError /
   * RangeError with `code` ERR_FWCTL_INVALID_ARG_TYPE, ERR_FWCTL_OUT_OF_RANGE
   * or ERR_FWCTL_INVALID_ARG_VALUE.
   */
  setErrorFactory(factory: (kind: number, message: string) => Error): void;
  /** The two ioctl numbers the addon issues. */
  readonly FWCTL_INFO: number;
  readonly FWCTL_RPC: number;
  /**
   * A zeroed ArrayBuffer of `length` bytes (1 to 2 MiB), engine memory
   * tagged as the addon's: bindRpc()/bindInfo() accept views of it. It moves
   * between threads as any ArrayBuffer. -ENOMEM when it cannot be allocated.
   */
  allocBuffer?(length: number): ArrayBuffer | number;
  /** allocBuffer() ArrayBuffers alive (held by JavaScript or by bound calls) and their bytes. */
  regionStats?(): { regions: number; bytes: number };
  /** Pool statistics: threads alive, threads idle, jobs queued. */
  poolStats(): { threads: number; idle: number; queued: number };
  /** open(path, O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, 0644) and flock(LOCK_EX|LOCK_NB): the fd, or -errno (-EWOULDBLOCK: held). */
  lockFile?(path: string): number;
  /** close(2) a fd of lockFile() (dropping its lock): 0 or -errno. */
  unlockFile?(fd: number): number;
}

let cached: NativeBinding | undefined;

/** The addon, loaded on first use (so pure-logic imports never need it). */
export function binding(): NativeBinding {
  if (!cached) {
    // node-gyp-build picks prebuilds/<platform>-<arch>/ or build/Release.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const load = require('node-gyp-build') as (dir: string) => NativeBinding;
    const b = load(packageRoot());
    // First, so that every argument error of this environment's addon
    // (setPointerGuards' own included) is an FwctlError.
    b.setErrorFactory(nativeArgumentError);
    // The addon is process-wide (one guard table for every environment);
    // a second copy of this module (another worker) finds it set.
    try {
      b.setPointerGuards(pointerGuardTable());
    } catch (e) {
      // (The addon's errors come from its own realm: compare the message.)
      if (!/set once/.test(String((e as Error)?.message))) throw e;
    }
    cached = b;
  }
  return cached;
}

function packageRoot(): string {
  // Compiled to dist/lib/binding.js; the package root holds binding.gyp.
  const path = require('node:path') as typeof import('node:path');
  return path.resolve(__dirname, '..', '..');
}
