// Loading and typing the native addon (native/fwctl.cc).
//
// The addon knows two ioctl numbers and nothing about fwctl struct layouts.
// It opens device nodes, patches buffer addresses into argument buffers, and
// issues the ioctl synchronously or on its own thread pool (never libuv's).

/**
 * Pointer patches for one ioctl call: a flat list of triples
 * (target, offset, source). Index 0 is the argument struct, index k >= 1 the
 * k-th extra buffer. Before the call the native layer writes the user address
 * of buffer `source` as a host-endian u64 into buffer `target` at `offset`
 * (a zero-length source yields address 0). The native layer checks the
 * indices and that offset + 8 fits in the target.
 */
export type Patches = Uint32Array;

/** A native device handle: owns one O_RDWR|O_CLOEXEC fd. */
export interface NativeHandle {
  /** The fd number, or -1 once closed. For diagnostics and tests only. */
  readonly fd: number;
  /** Number of async ioctls submitted and not yet completed on this handle. */
  readonly inFlight: number;
  /** fstat() of the open fd: [st_mode, major(st_rdev), minor(st_rdev)] or a negative errno. */
  fstat(): [number, number, number] | number;
  /**
   * Issue ioctl(fd, request, arg) on the calling thread.
   * Returns 0 or a negative errno. -EBADF once the handle is closed.
   */
  ioctlSync(request: number, patches: Patches, arg: Uint8Array, ...buffers: Uint8Array[]): number;
  /**
   * Same as ioctlSync on a thread of the addon's own pool. Every buffer is
   * kept alive until the kernel is done with it. Resolves to 0 or a negative
   * errno; never rejects for an ioctl failure.
   */
  ioctl(request: number, patches: Patches, arg: Uint8Array, ...buffers: Uint8Array[]): Promise<number>;
  /**
   * Close the fd. With async ioctls in flight the fd number stays open until
   * the last one completes (so it can never be reused under them); later
   * ioctls on this handle return -EBADF. Returns 0 or a negative errno.
   */
  close(): number;
}

export interface NativeBinding {
  /** Open path O_RDWR|O_CLOEXEC|O_NOCTTY. Returns a handle or a negative errno. */
  open(path: string): NativeHandle | number;
  /** The two ioctl numbers the addon accepts (FWCTL_INFO, FWCTL_RPC). */
  readonly FWCTL_INFO: number;
  readonly FWCTL_RPC: number;
  /** Pool statistics: threads alive, threads idle, jobs queued. */
  poolStats(): { threads: number; idle: number; queued: number };
}

let cached: NativeBinding | undefined;

/** The addon, loaded on first use (so pure-logic imports never need it). */
export function binding(): NativeBinding {
  if (!cached) {
    // node-gyp-build picks prebuilds/<platform>-<arch>/ or build/Release.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const load = require('node-gyp-build') as (dir: string) => NativeBinding;
    cached = load(packageRoot());
  }
  return cached;
}

function packageRoot(): string {
  // Compiled to dist/lib/binding.js; the package root holds binding.gyp.
  const path = require('node:path') as typeof import('node:path');
  return path.resolve(__dirname, '..', '..');
}
