// One error model: every error this package throws is an FwctlError (or a
// subclass) with a stable `code`. Errno names ('ENODEV') are the kernel's
// answers, with `errno` negative as in Node's fs errors; ERR_FWCTL_* are the
// library's own refusals and the devices' failures; ABORT_ERR is a call
// ended by its AbortSignal. `codes` lists them all (docs/api.md has the
// same table; a unit test keeps the two equal). Also here: the errno table,
// what each errno means for each fwctl operation and what to do about it.

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
  EAGAIN: { any: 'resource temporarily unavailable; try again', info: 'the device_data length kept changing between calls' },
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
  /** An errno name ('ENODEV') for the kernel's answers, else an ERR_FWCTL_* code (see `codes`). */
  code: string;
  /** The negative errno; looked up from an errno `code` when absent (a positive number is negated). */
  errno?: number;
  /** The kernel call that answered; absent when the package refused before calling the kernel. */
  syscall?: FwctlSyscall;
  path?: string;
  /** The message (after `CODE: ` for an errno code); replaces the errno table's text. */
  detail?: string;
  cause?: unknown;
}

const isErrnoCode = (code: string) => /^E[A-Z0-9]+$/.test(code);

/** On the prototypes of every error class of the package (a registered symbol: any copy, any realm). */
const FWCTL_ERROR_BRAND = Symbol.for('fwctl.FwctlError');

/**
 * Every error this package throws. `code` is stable: an errno name
 * ('ENODEV') when the kernel answered, an ERR_FWCTL_* code for the package's
 * own refusals and the devices' failures, 'ABORT_ERR' for an aborted call.
 * For errno codes `errno` is the negative number (as Node's fs errors:
 * `err.errno === -os.constants.errno.ENODEV`), `syscall` the operation
 * ('open', 'ioctl(FWCTL_INFO)', 'ioctl(FWCTL_RPC)', 'close'); `path` is the
 * device node when there is one.
 */
export class FwctlError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: FwctlSyscall;
  readonly path?: string;

  constructor(opts: FwctlErrorOptions) {
    const where = [opts.syscall, opts.path].filter(Boolean).join(' ');
    const errnoCode = isErrnoCode(opts.code);
    const text = opts.detail ?? (errnoCode ? describeErrno(opts.code, opts.syscall) : codes[opts.code]?.meaning ?? opts.code);
    super(`${errnoCode ? `${opts.code}: ` : ''}${text}${where ? ` (${where})` : ''}`,
      opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'FwctlError';
    this.code = opts.code;
    const n = opts.errno ?? (errnoCode ? errnoNumber(opts.code) : undefined);
    if (n !== undefined) this.errno = -Math.abs(n);
    if (opts.syscall !== undefined) this.syscall = opts.syscall;
    if (opts.path !== undefined) this.path = opts.path;
  }

  /**
   * `e instanceof FwctlError` holds for every error of this package: its
   * subclasses, and the argument errors, which extend TypeError and
   * RangeError as Node's own do (a brand on their prototypes, shared by
   * every copy of the package and every realm). Subclasses test as usual.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== FwctlError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (typeof value === 'object' || typeof value === 'function') && value !== null &&
      (value as Record<symbol, unknown>)[FWCTL_ERROR_BRAND] === true;
  }

  /** The kernel's answer, from a negative (native layer) or positive errno number. */
  static fromErrno(errno: number, syscall: FwctlSyscall, path?: string): FwctlError {
    const n = Math.abs(errno);
    return new FwctlError({ code: errnoName(n), errno: n, syscall, path });
  }
}

/** The codes of the library's argument errors, after Node's ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE. */
export type ArgumentCode = 'ERR_FWCTL_INVALID_ARG_TYPE' | 'ERR_FWCTL_INVALID_ARG_VALUE' | 'ERR_FWCTL_OUT_OF_RANGE';

/**
 * An argument of the wrong type, or a value the call does not accept
 * (ERR_FWCTL_INVALID_ARG_TYPE, default; ERR_FWCTL_INVALID_ARG_VALUE). As
 * Node's own ERR_INVALID_ARG_TYPE, it is `instanceof TypeError`; it is
 * `instanceof FwctlError` too (see FwctlError's Symbol.hasInstance).
 */
export class FwctlTypeError extends TypeError {
  readonly code: ArgumentCode;
  readonly errno?: number;
  readonly syscall?: FwctlSyscall;
  readonly path?: string;
  constructor(message: string, code: 'ERR_FWCTL_INVALID_ARG_TYPE' | 'ERR_FWCTL_INVALID_ARG_VALUE' = 'ERR_FWCTL_INVALID_ARG_TYPE') {
    super(message);
    this.name = 'FwctlTypeError';
    this.code = code;
  }
}

/**
 * A number, length or size outside what the call accepts
 * (ERR_FWCTL_OUT_OF_RANGE): `instanceof RangeError`, as Node's own
 * ERR_OUT_OF_RANGE, and `instanceof FwctlError`.
 */
export class FwctlRangeError extends RangeError {
  readonly code: 'ERR_FWCTL_OUT_OF_RANGE';
  readonly errno?: number;
  readonly syscall?: FwctlSyscall;
  readonly path?: string;
  constructor(message: string) {
    super(message);
    this.name = 'FwctlRangeError';
    this.code = 'ERR_FWCTL_OUT_OF_RANGE';
  }
}

for (const c of [FwctlError, FwctlTypeError, FwctlRangeError]) {
  Object.defineProperty(c.prototype, FWCTL_ERROR_BRAND, { value: true });
}

/**
 * A call ended by its AbortSignal: code 'ABORT_ERR' and name 'AbortError',
 * as Node's own AbortError (fs/promises, timers/promises); `cause` is the
 * signal's reason (a DOMException AbortError, the TimeoutError of
 * AbortSignal.timeout(), or whatever was passed to abort()).
 */
export class FwctlAbortError extends FwctlError {
  declare readonly code: 'ABORT_ERR';
  constructor(reason: unknown, path?: string, detail?: string) {
    const why = (reason as { name?: unknown })?.name === 'TimeoutError' ? 'the signal timed out' : 'the operation was aborted';
    super({ code: 'ABORT_ERR', path, cause: reason,
      detail: detail ?? `${why}; a kernel call already made finishes in the background` });
    this.name = 'AbortError';
  }
}

/** Throws FwctlAbortError when the signal is aborted (AbortSignal.throwIfAborted() throws the bare reason). */
export function throwIfAborted(signal: AbortSignal | undefined, path?: string): void {
  if (signal?.aborted) throw new FwctlAbortError(signal.reason, path);
}

/**
 * A value for an error message, whatever it is: String(v) can itself throw
 * (an object whose toString is not a function), and an argument error must
 * not turn into a built-in TypeError while its message is built.
 */
export function show(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** A package bug: an internal table or state that cannot be (ERR_FWCTL_INTERNAL). */
export function internalError(detail: string): FwctlError {
  return new FwctlError({ code: 'ERR_FWCTL_INTERNAL', detail: `${detail} (a bug in fwctl; please report it)` });
}

/** The error every call on a closed handle throws, without a syscall. */
export function closedError(path: string): FwctlError {
  return new FwctlError({ code: 'ERR_FWCTL_CLOSED', path, detail: 'device handle is closed; open the device again' });
}

/**
 * The factory the addon builds its argument errors with (registered once per
 * environment at load, lib/binding.ts): `kind` 0 a wrong type, 1 a value
 * out of range, 2 a value the call cannot take (a detached buffer).
 */
export function nativeArgumentError(kind: number | boolean, message: string): FwctlTypeError | FwctlRangeError {
  if (kind === 1 || kind === true) return new FwctlRangeError(message);
  return new FwctlTypeError(message, kind === 2 ? 'ERR_FWCTL_INVALID_ARG_VALUE' : 'ERR_FWCTL_INVALID_ARG_TYPE');
}

export type CodeKind = 'kernel' | 'library' | 'device' | 'abort';

export interface CodeEntry {
  /** Who says it: the kernel (an errno), the package, the device's firmware, or an AbortSignal. */
  readonly kind: CodeKind;
  /** The class thrown with this code (all extend FwctlError). */
  readonly class: string;
  /** One line: what it means. */
  readonly meaning: string;
  /** Fields beyond code, message and name. */
  readonly fields: readonly string[];
}

const lib = (meaning: string, cls = 'FwctlError', fields: readonly string[] = []): CodeEntry =>
  Object.freeze({ kind: 'library', class: cls, meaning, fields: Object.freeze([...fields]) });
const dev = (meaning: string, cls = 'FwctlError', fields: readonly string[] = []): CodeEntry =>
  Object.freeze({ kind: 'device', class: cls, meaning, fields: Object.freeze([...fields]) });

/**
 * Every code this package throws, with its class, meaning and fields. The
 * kernel's answers are errno names: the ones below are those the fwctl
 * drivers return; any other errno a driver returns keeps its name
 * (os.constants.errno, EREMOTEIO, ENOTSUPP, else 'E<n>') with the same class
 * and fields.
 */
export const codes: Readonly<Record<string, Readonly<CodeEntry>>> = Object.freeze({
  ...Object.fromEntries(Object.keys(ERRNO_TABLE).map((code) => [code, Object.freeze({
    kind: 'kernel', class: 'FwctlError', meaning: ERRNO_TABLE[code].any,
    fields: Object.freeze(['errno', 'syscall', 'path']),
  } as CodeEntry)])),
  ERR_FWCTL_INVALID_ARG_TYPE: lib('an argument of the wrong type', 'FwctlTypeError'),
  ERR_FWCTL_INVALID_ARG_VALUE: lib('an argument of the right type with a value the call does not accept', 'FwctlTypeError'),
  ERR_FWCTL_OUT_OF_RANGE: lib('a number, length or size outside what the call (or the kernel) accepts', 'FwctlRangeError'),
  ERR_FWCTL_CLOSED: lib('the device handle is closed', 'FwctlError', ['path']),
  ERR_FWCTL_TAINT_REFUSED: lib('a call that would taint the kernel without allowKernelTaint: true', 'FwctlError', ['path']),
  ERR_FWCTL_WRONG_TYPE: lib('the device is not of the type the call is for', 'FwctlError', ['path']),
  ERR_FWCTL_AMBIGUOUS: lib('a device specification matches more than one device (CLI)', 'FwctlError'),
  ERR_FWCTL_NO_DEVICE: lib('no fwctl device matches the specification (CLI)', 'FwctlError'),
  ERR_FWCTL_CXL_NO_FEATURE: lib('the CXL device does not list the feature (Get Supported Features)', 'FwctlError', ['path']),
  ERR_FWCTL_CXL_NOT_SETTABLE: lib('the CXL feature cannot be set through fwctl (reserved to the kernel, or no Set Feature effects the driver allows)', 'FwctlError', ['path']),
  ERR_FWCTL_BNXT_NO_DMA: lib('the bnxt driver does not carry DMA commands (a kernel before 7.3)', 'BnxtDmaUnsupportedError', ['uctxCaps']),
  ERR_FWCTL_TRANSCRIPT: lib('a transcript file that cannot be read (not JSON, no header, a newer version, an unknown errno)', 'FwctlError'),
  ERR_FWCTL_REPLAY_MISMATCH: lib('a call that is not the transcript\'s', 'ReplayMismatch', ['path', 'position', 'offset']),
  ERR_FWCTL_REPLAY_INCOMPLETE: lib('verify(): calls of the transcript were not made', 'FwctlError'),
  ERR_FWCTL_INVALID_STATE: lib('a call made where it cannot work (useTranscript\'s getter outside a test)', 'FwctlError'),
  ERR_FWCTL_USAGE: lib('a bad command line (CLI, exit status 2)', 'UsageError'),
  ERR_FWCTL_INTERNAL: lib('a bug in fwctl: an internal table or state that cannot be', 'FwctlError'),
  ERR_FWCTL_DECODE: dev('a response (or data) shorter than its layout, or counts larger than the data', 'FwctlDecodeError', ['need', 'got']),
  ERR_FWCTL_MLX5_MFA2_FORMAT: lib('an MFA2 firmware archive the kernel\'s mlxfw_mfa2.c would refuse (the message names the offset and field)', 'Mfa2Error', ['offset', 'field']),
  ERR_FWCTL_MLX5_MFA2_NO_PSID: lib('an MFA2 firmware archive without a device descriptor for the PSID', 'Mfa2Error', ['psid', 'psids']),
  ERR_FWCTL_MLX5_MFA2_XZ: lib('the component block of an MFA2 firmware archive does not decompress (corrupt or truncated XZ)', 'Mfa2Error', ['offset', 'field', 'cause']),
  ERR_FWCTL_CXL_RESPONSE: dev('a CXL answer without the shape its command defines (short, or counts larger than the data)', 'CxlResponseError', ['opcode', 'path']),
  ERR_FWCTL_MLX5_STATUS: dev('mlx5 firmware answered with a non-zero status', 'Mlx5FirmwareError', ['opcode', 'status', 'syndrome', 'result']),
  ERR_FWCTL_MLX5_MCIA: dev('mlx5 MCIA (module EEPROM) register access answered a non-zero status', 'FwctlError'),
  ERR_FWCTL_MLX5_NO_BOOT_IMAGE: dev('mlx5 MCQS lists no boot image component', 'FwctlError'),
  ERR_FWCTL_MLX5_NV_NOT_WRITABLE: dev('mlx5 NV configuration: the item cannot be written from this host (a capability item, MNVQC support_wr clear, or a device capability the kernel\'s devlink validate callback checks); nothing was written', 'FwctlError', ['path']),
  ERR_FWCTL_MLX5_NV_READBACK: dev('mlx5 NV configuration: the value read back after a write is not the one written', 'FwctlError', ['path']),
  ERR_FWCTL_FLASH_UNSUPPORTED: lib('the device type offers no firmware update through fwctl at the least scope (the message says why and what to use)', 'FwctlError', ['path']),
  ERR_FWCTL_FLASH_IN_PROGRESS: lib('another update of the same adapter is in progress (a live process holds its lock under /run/lock)', 'FwctlError'),
  ERR_FWCTL_MLX5_FLASH_NO_TOOLS_RESOURCES: dev('mlx5 firmware update: the fwctl context lacks TOOLS_RESOURCES (uctx_caps bit 0x4); nothing was written', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_UNSUPPORTED: dev('mlx5 firmware update: the running firmware does not report MCQI, MCC and MCDA in MCAM; nothing was written', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_IMAGE: lib('mlx5 firmware update: the image cannot be used as given (a plain image without psid, no component for the PSID)', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH: lib('mlx5 firmware update: the image is for another PSID; nothing was written', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_TOO_LARGE: lib('mlx5 firmware update: a component is larger than the firmware takes (MCQI max_component_size); nothing was written', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_DOWNGRADE: lib('mlx5 firmware update: the image is older than the running firmware and allowDowngrade is not set; nothing was written', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_MLX5_FLASH_LOCKED: dev('mlx5 firmware update: the firmware\'s update handle is held with no live holder of the adapter lock; nothing was written (recover cancels it)', 'Mlx5FlashError', ['path', 'fsmState']),
  ERR_FWCTL_MLX5_FSM: dev('mlx5 firmware update: the firmware\'s state machine reported an error (MCC error_code); the update was cancelled and released', 'Mlx5FlashError', ['path', 'errno', 'fsmError', 'fsmErrorName', 'fsmState']),
  ERR_FWCTL_MLX5_FSM_TIMEOUT: dev('mlx5 firmware update: the state machine did not reach the state in time; the update was cancelled and released', 'Mlx5FlashError', ['path', 'fsmState']),
  ERR_FWCTL_MLX5_REACTIVATE: dev('mlx5 firmware update: reactivating the firmware (MIRC) failed; the handle was released', 'Mlx5FlashError', ['path']),
  ERR_FWCTL_CXL_MAILBOX: dev('the CXL mailbox answered a return code other than SUCCESS', 'CxlMailboxError', ['returnCode', 'returnCodeName', 'opcode', 'path']),
  ERR_FWCTL_BNXT_HWRM: dev('a bnxt HWRM response with a non-zero error_code (firmware, or a send the driver could not complete)', 'BnxtFirmwareError', ['reqType', 'errorCode', 'kind', 'errno', 'result']),
  ERR_FWCTL_PDS_RETVAL: dev('a pds query answered a non-zero firmware retval', 'PdsQueryError', ['retval']),
  ERR_FWCTL_NV_UNKNOWN_ITEM: lib('an NV configuration item the device type does not know (raw items: fwctl config items)', 'NvConfigError', ['path', 'item', 'known']),
  ERR_FWCTL_NV_REFUSED: lib('an NV configuration write refused before any write: a read-only item, a capability the device lacks, or the host may not write it', 'NvConfigError', ['path', 'item']),
  ERR_FWCTL_NV_NO_RESET: lib('the device type offers no NV configuration reset at Configuration', 'NvConfigError', ['path']),
  ERR_FWCTL_NV_WRITE_FAILED: dev('the firmware refused an NV configuration write (cause: its own error)', 'NvConfigError', ['path', 'item', 'cause']),
  ERR_FWCTL_NV_READBACK: dev('an NV configuration item read back other than what was written', 'NvConfigError', ['path', 'item']),
  ABORT_ERR: Object.freeze({ kind: 'abort', class: 'FwctlAbortError', meaning: 'the call\'s AbortSignal fired (abort() or AbortSignal.timeout())', fields: Object.freeze(['cause', 'path']) } as CodeEntry),
} satisfies Record<string, CodeEntry>);
