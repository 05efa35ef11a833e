// FwctlError and the one errno table: what each errno means for each fwctl
// operation, and what to do about it. Shaped like Node's fs errors (code,
// errno, syscall, path) so existing error handling reads it naturally.

import { constants } from 'node:os';

/** The operations an FwctlError can come from. */
export type FwctlSyscall = 'open' | 'ioctl(FWCTL_INFO)' | 'ioctl(FWCTL_RPC)' | 'close';

/** Which errno table column applies: open(), FWCTL_INFO, FWCTL_RPC, or a refusal before any syscall. */
type Op = 'open' | 'info' | 'rpc' | 'close';

interface Meaning {
  /** What the errno means whatever the operation. */
  readonly any: string;
  /** What it means for one operation, when that is more specific. */
  readonly open?: string;
  readonly info?: string;
  readonly rpc?: string;
  /** What the caller can do about it. */
  readonly remedy?: string;
}

/**
 * The errno table (drivers/fwctl/main.c, the drivers in drivers/fwctl/ and
 * drivers/cxl/core/features.c). Keys are errno names from os.constants.errno.
 */
export const ERRNO_TABLE: Readonly<Record<string, Meaning>> = Object.freeze({
  ENOTTY: {
    any: 'not a fwctl device, or a kernel without this ioctl',
    open: 'not a fwctl device node',
  },
  E2BIG: {
    any: 'the argument struct is larger than the kernel\'s and its extra tail is not zero',
    remedy: 'this package is newer than the running kernel\'s fwctl UAPI',
  },
  EOPNOTSUPP: {
    any: 'the kernel does not support a field value',
    info: 'FWCTL_INFO flags must be 0',
    rpc: 'the scope is not one the kernel knows, or the driver does not support the request',
  },
  EINVAL: {
    any: 'an argument is not valid',
    info: 'the argument struct is smaller than the minimum',
    rpc: 'the driver rejected the request: malformed message, unknown endpoint or operation, or a scope too low for it (CXL answers EINVAL for a Set Feature below the scope its effects need)',
  },
  ENOMEM: { any: 'the kernel or the driver ran out of memory' },
  ENODEV: {
    any: 'the device was unplugged or its driver unbound: this handle is orphaned',
    open: 'the device is being removed',
    remedy: 'close this handle; if the device comes back it gets a new fwctlN (find it again with list())',
  },
  EMSGSIZE: {
    any: 'a buffer has the wrong size',
    rpc: 'the request or response length exceeds 2 MiB, or is shorter than the device\'s message header (mlx5: 16 bytes each way)',
  },
  EPERM: {
    any: 'operation not permitted',
    rpc: 'the scope is not allowed: DebugWriteFull needs CAP_SYS_RAWIO, or the driver requires a higher scope for this command (pds, bnxt), or the CXL feature is reserved to the kernel',
    remedy: 'for DebugWriteFull run with CAP_SYS_RAWIO; otherwise ask for the scope the command needs',
  },
  EFAULT: {
    any: 'the kernel could not read or write a user buffer (a bad pointer)',
    remedy: 'this is a bug in fwctl or in a request that embeds pointers (pds); please report it',
  },
  EBADMSG: {
    any: 'the message is not allowed',
    rpc: 'mlx5 does not allow this opcode (or op_mod) in the requested scope',
    remedy: 'use a higher scope if the command needs one, or check the opcode',
  },
  EACCES: {
    any: 'permission denied',
    open: 'no permission to open the device node (fwctl nodes are root-only, mode 0600, by default)',
    remedy: 'run as root, or grant access with a udev rule, e.g. SUBSYSTEM=="fwctl", GROUP="fwctl", MODE="0660"',
  },
  ENOENT: {
    any: 'no such device',
    open: 'no such fwctl device node',
    remedy: 'list the devices with `fwctl list`; fwctlN numbers can change across boots and hot-plug',
  },
  EBADF: {
    any: 'device handle is closed',
    remedy: 'open the device again',
  },
  EIO: { any: 'the device or its firmware reported an I/O error' },
  ETIMEDOUT: { any: 'the firmware did not answer in time' },
  EBUSY: { any: 'the device or firmware is busy', remedy: 'retry later' },
  EAGAIN: { any: 'try again', info: 'the device_data length kept changing between calls' },
});

/** Linux errnos a driver can return that os.constants.errno (libuv's list) lacks. */
const LINUX_ONLY: Readonly<Record<string, number>> = { EREMOTEIO: 121, ENOTSUPP: 524 };

/** Positive errno number to name, from os.constants.errno (first name wins for aliases). */
const NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  for (const [name, n] of Object.entries({ ...constants.errno, ...LINUX_ONLY })) if (!m.has(n)) m.set(n, name);
  // Prefer the names the table uses where Linux has aliases (EOPNOTSUPP = ENOTSUP, EAGAIN = EWOULDBLOCK).
  for (const name of Object.keys(ERRNO_TABLE)) {
    const n = (constants.errno as Record<string, number | undefined>)[name];
    if (n !== undefined) m.set(n, name);
  }
  return m;
})();

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

export function errnoNumber(name: string): number | undefined {
  return (constants.errno as Record<string, number | undefined>)[name] ?? LINUX_ONLY[name];
}

const OP_OF: Record<FwctlSyscall, Op> = {
  open: 'open',
  'ioctl(FWCTL_INFO)': 'info',
  'ioctl(FWCTL_RPC)': 'rpc',
  close: 'close',
};

/** The table's text for an errno in an operation: meaning, then remedy. */
export function describeErrno(code: string, syscall?: FwctlSyscall): string {
  const m = ERRNO_TABLE[code];
  if (!m) return 'unexpected error from the kernel or driver';
  const op = syscall ? OP_OF[syscall] : undefined;
  const meaning = (op && op !== 'close' && m[op]) || m.any;
  return m.remedy ? `${meaning}; ${m.remedy}` : meaning;
}

export interface FwctlErrorOptions {
  /** The errno name, e.g. 'ENODEV'. */
  code: string;
  /** The positive errno; looked up from `code` when absent. */
  errno?: number;
  /** Absent when the package refused a call before reaching the kernel. */
  syscall?: FwctlSyscall;
  path?: string;
  /** Replaces the table's text. */
  detail?: string;
}

/**
 * An error from a fwctl device, or a refusal to make a call.
 * `code` is the errno name ('ENODEV'), `errno` the positive number,
 * `syscall` the operation ('open', 'ioctl(FWCTL_INFO)', 'ioctl(FWCTL_RPC)';
 * absent when the package refused before calling the kernel), `path` the device node.
 */
export class FwctlError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall?: FwctlSyscall;
  readonly path?: string;

  constructor(opts: FwctlErrorOptions) {
    const where = [opts.syscall, opts.path].filter(Boolean).join(' ');
    super(`${opts.code}: ${opts.detail ?? describeErrno(opts.code, opts.syscall)}${where ? ` (${where})` : ''}`);
    this.name = 'FwctlError';
    this.code = opts.code;
    this.errno = opts.errno ?? errnoNumber(opts.code) ?? 0;
    if (opts.syscall !== undefined) this.syscall = opts.syscall;
    if (opts.path !== undefined) this.path = opts.path;
  }

  /** From a negative (native layer) or positive errno number. */
  static fromErrno(errno: number, syscall: FwctlSyscall, path?: string): FwctlError {
    const n = Math.abs(errno);
    return new FwctlError({ code: errnoName(n), errno: n, syscall, path });
  }
}

/** The error every call on a closed handle throws, without a syscall. */
export function closedError(path: string): FwctlError {
  return new FwctlError({ code: 'EBADF', path, detail: 'device handle is closed; open the device again' });
}
