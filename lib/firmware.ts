// Firmware update over every device type that registers it (`fwctl.firmware`,
// `fwctl flash`): the type runs its own update flow (lib/mlx5/firmware.ts:
// the MCC/MCDA state machine at Configuration and DebugReadOnly); this layer
// owns what is the same for every type: which types can, the per-adapter
// lock that keeps a second process (or a second function of the same card)
// out, grouping devices by adapter, updates in parallel with one summary,
// and the image's digest for logs. Types that cannot update at the least
// scope say why and what to use instead (bnxt, CXL, pds), and nothing is
// faked.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditNote } from './audit';
import { binding } from './binding';
import type { DeviceLike } from './device-like';
import { errnoName, FwctlError, FwctlTypeError, show } from './errors';
import { pciParentOf } from './parent';
import { deviceTypeModule, typeDisplayName } from './registry';

/** Where a step of an update is; `download` events carry bytes. */
export type FlashPhase = 'check' | 'lock' | 'recover' | 'reactivate' | 'update' | 'download' | 'verify' | 'activate' | 'release' | 'cancel' | 'done';

export interface FlashProgress {
  device: string;
  phase: FlashPhase;
  /** The component being written (the type's index). */
  component?: number;
  /** Bytes of the component downloaded so far, and its size (download). */
  bytes?: number;
  total?: number;
  /** 0..100 of the whole update's bytes. */
  percent?: number;
  message?: string;
}

/** Timing of the firmware's state machine; the defaults are the kernel's (tests shorten them). */
export interface FlashTiming {
  /** Poll interval while waiting for a state (mlxfw: 200 ms). */
  pollMs?: number;
  /** Longest wait for one state change (mlxfw: 30 000 ms). */
  stateTimeoutMs?: number;
  /** Poll interval of a reactivation (fw.c: 20 ms). */
  reactivatePollMs?: number;
  /** Longest reactivation (mlx5 FSM_REACTIVATE default: 5000 ms). */
  reactivateTimeoutMs?: number;
}

export interface FlashOptions {
  /** Required with a plain component image (no PSID inside): must equal the device's. */
  psid?: string;
  /** Write an image made for another PSID (the only override of the PSID check). */
  allowPsidChange?: boolean;
  /** Write an older version than the one running. */
  allowDowngrade?: boolean;
  /** Every check, nothing written: no lock of the firmware, no download. */
  dryRun?: boolean;
  /** Cancel and release a firmware update handle left locked by a holder that is gone (another tool, a killed process). */
  recover?: boolean;
  /** Aborts the update: the firmware's flow is cancelled and released, the device is never left locked. */
  signal?: AbortSignal;
  /** Milliseconds for the whole update; then it aborts like any other abort. */
  timeoutMs?: number;
  onProgress?: (p: FlashProgress) => void;
  timing?: FlashTiming;
  /** The folder of the per-adapter lock files (default /run/lock). */
  lockDir?: string;
}

export interface FlashComponentResult {
  index: number;
  name: string;
  bytes: number;
  /** The version running before, and the one written (when the image says). */
  from?: string;
  to?: string;
  status: 'written' | 'skipped' | 'would-write';
  reason?: string;
}

export interface FlashResult {
  device: string;
  adapter: string;
  type: string;
  status: 'updated' | 'skipped' | 'dry-run';
  /** Why nothing was written (status skipped), in words. */
  reason?: string;
  psid: string;
  image: FlashImageSummary;
  components: FlashComponentResult[];
  /** What runs now, and what runs after the next firmware reset (the update does not reset). */
  running?: string;
  pending?: string;
  pendingReset: boolean;
  durationMs: number;
}

/** What logs keep of an image: never its bytes. */
export interface FlashImageSummary {
  format: string;
  bytes: number;
  sha256: string;
}

export interface FirmwareComponent {
  index: number;
  /** The component's kind ('BOOT_IMG'). */
  name: string;
  running?: string;
  pending?: string;
  /** The firmware's state of the component's update ('IDLE', 'ACTIVE_PENDING_RESET', ...). */
  updateState: string;
  /** Largest image the component takes, and the largest block written at once. */
  maxSize?: number;
  maxWriteSize?: number;
}

/** A type's firmware update: over fwctl RPCs, or elsewhere (then `why` says where). */
export interface FirmwareUpdateHooks {
  readonly via: 'fwctl' | 'sysfs' | 'none';
  /** Why the type offers no update through fwctl at the least scope, and what to use. */
  readonly why?: string;
  components?(dev: DeviceLike, options?: { signal?: AbortSignal }): Promise<FirmwareComponent[]>;
  /** The whole update; called with this layer's adapter lock held. */
  update?(dev: DeviceLike, image: Buffer, options: FlashOptions & { adapter: string; image: FlashImageSummary }): Promise<FlashResult>;
}

declare module './registry' {
  interface DeviceTypeModule {
    /** Firmware update (lib/firmware.ts). */
    readonly firmwareUpdate?: FirmwareUpdateHooks;
  }
}

/** The type's update hooks when it updates over fwctl; else ERR_FWCTL_FLASH_UNSUPPORTED saying why. */
export function firmwareUpdateOf(dev: DeviceLike): FirmwareUpdateHooks & Required<Pick<FirmwareUpdateHooks, 'update' | 'components'>> {
  const h = deviceTypeModule(dev.typeId)?.firmwareUpdate;
  if (h?.via !== 'fwctl' || !h.update || !h.components) {
    const why = h?.why ?? `${typeDisplayName(dev.typeId)} devices have no firmware update in this package`;
    throw new FwctlError({ code: 'ERR_FWCTL_FLASH_UNSUPPORTED', path: dev.path, detail: `${dev.path}: ${why}` });
  }
  return h as FirmwareUpdateHooks & Required<Pick<FirmwareUpdateHooks, 'update' | 'components'>>;
}

/** Whether (and how) a device's type updates its firmware. */
export function support(dev: DeviceLike): { via: FirmwareUpdateHooks['via']; why?: string } {
  const h = deviceTypeModule(dev.typeId)?.firmwareUpdate;
  if (!h) return { via: 'none', why: `${typeDisplayName(dev.typeId)} devices have no firmware update in this package` };
  return h.why === undefined ? { via: h.via } : { via: h.via, why: h.why };
}

/** The image as logs show it: format, size and SHA-256, never the bytes. */
export function summarizeImage(image: Uint8Array, format: string): FlashImageSummary {
  return { format, bytes: image.byteLength, sha256: createHash('sha256').update(image).digest('hex') };
}

/**
 * The adapter a device belongs to: functions of one card share one flash.
 * The PCI slot (domain:bus:device, without the function) of its parent;
 * the node's name when it has no PCI parent.
 */
export function adapterOf(dev: { path: string }): string {
  const pci = pciParentOf(dev.path);
  if (pci === null) return path.basename(dev.path);
  return pci.replace(/\.[0-7]$/, '');
}

/** A held per-adapter lock (flock on a file under lockDir); release() is idempotent. */
export interface AdapterLock {
  readonly file: string;
  release(): void;
}

const heldLocks = new Map<string, AdapterLock>();

/**
 * Take the adapter's update lock, or ERR_FWCTL_FLASH_IN_PROGRESS when a live
 * process holds it (the kernel drops a flock when its holder dies, even by
 * SIGKILL: a lock that is free has no live holder). One process holds it
 * once: a second update of the same adapter in this process is refused too.
 */
export function lockAdapter(adapter: string, lockDir = '/run/lock'): AdapterLock {
  const file = path.join(lockDir, `fwctl-flash-${adapter.replace(/[^0-9A-Za-z_.-]/g, '_')}.lock`);
  if (heldLocks.has(file)) {
    throw new FwctlError({ code: 'ERR_FWCTL_FLASH_IN_PROGRESS', detail: `adapter ${adapter}: an update is already in progress in this process (${file})` });
  }
  fs.mkdirSync(lockDir, { recursive: true, mode: 0o755 });
  const b = binding();
  if (!b.lockFile || !b.unlockFile) throw new FwctlError({ code: 'ERR_FWCTL_INTERNAL', detail: 'the addon has no lockFile(): rebuild it' });
  const fd = b.lockFile(file);
  if (fd < 0) {
    const code = errnoName(-fd);
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
      throw new FwctlError({ code: 'ERR_FWCTL_FLASH_IN_PROGRESS', detail: `adapter ${adapter}: another process is updating its firmware (it holds ${file})` });
    }
    throw new FwctlError({ code, errno: -fd, detail: `${code}: cannot take the update lock ${file}` });
  }
  let held = true;
  const unlock = b.unlockFile.bind(b);
  const lock: AdapterLock = {
    file,
    release() {
      if (!held) return;
      held = false;
      heldLocks.delete(file);
      unlock(fd);
    },
  };
  heldLocks.set(file, lock);
  return lock;
}

function checkOptions(o: FlashOptions): void {
  if (o.psid !== undefined && (typeof o.psid !== 'string' || o.psid.length === 0 || o.psid.length > 16)) {
    throw new FwctlTypeError(`options.psid must be a PSID of 1 to 16 characters, got ${show(o.psid)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (o.timeoutMs !== undefined && (!Number.isInteger(o.timeoutMs) || o.timeoutMs <= 0)) {
    throw new FwctlTypeError(`options.timeoutMs must be a positive integer, got ${show(o.timeoutMs)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new FwctlTypeError('options.onProgress must be a function', 'ERR_FWCTL_INVALID_ARG_TYPE');
  }
}

function withTimeout(o: FlashOptions): AbortSignal | undefined {
  if (o.timeoutMs === undefined) return o.signal;
  const t = AbortSignal.timeout(o.timeoutMs);
  return o.signal ? AbortSignal.any([o.signal, t]) : t;
}

function asBuffer(image: Uint8Array): Buffer {
  if (!(image instanceof Uint8Array)) throw new FwctlTypeError('image must be a Buffer or Uint8Array', 'ERR_FWCTL_INVALID_ARG_TYPE');
  return Buffer.isBuffer(image) ? image : Buffer.from(image.buffer, image.byteOffset, image.byteLength);
}

/** The firmware components of a device (type's listing; ERR_FWCTL_FLASH_UNSUPPORTED when it has none). */
export function components(dev: DeviceLike, options?: { signal?: AbortSignal }): Promise<FirmwareComponent[]> {
  return firmwareUpdateOf(dev).components(dev, options);
}

/**
 * Update a device's firmware from `image`: every check first (nothing is
 * written when one fails), then the type's flow under the adapter's lock.
 * Abort (signal, timeoutMs) at any point leaves the firmware idle.
 */
export async function update(dev: DeviceLike, image: Uint8Array, options: FlashOptions = {}): Promise<FlashResult> {
  checkOptions(options);
  const hooks = firmwareUpdateOf(dev);
  const buf = asBuffer(image);
  const adapter = adapterOf(dev);
  const lock = lockAdapter(adapter, options.lockDir);
  const summary = summarizeImage(buf, 'image');
  const type = typeDisplayName(dev.typeId);
  try {
    const r = await hooks.update(dev, buf, { ...options, signal: withTimeout(options), adapter, image: summary });
    if (r.status !== 'dry-run') auditNote(dev.path, type, 'firmware update', r.status, { name: 'firmware-update', image: r.image, components: r.components, running: r.running, pending: r.pending });
    return r;
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    if (!options.dryRun) auditNote(dev.path, type, 'firmware update', typeof code === 'string' ? code : 'ERROR', { name: 'firmware-update', image: summary });
    throw e;
  } finally {
    lock.release();
  }
}

export interface FlashAllEntry {
  device: string;
  adapter: string;
  /** The devices of the same adapter that were not written (one flash per card). */
  sameAdapter: string[];
  result?: FlashResult;
  error?: { code: string; message: string };
}

/**
 * Update several devices in parallel, one per adapter (the first device of
 * each; the others share its flash and are listed, not written). A failure
 * on one does not stop the others; the summary has every device.
 */
export async function updateAll(devs: readonly DeviceLike[], image: Uint8Array, options: FlashOptions = {}): Promise<FlashAllEntry[]> {
  checkOptions(options);
  const byAdapter = new Map<string, DeviceLike[]>();
  for (const d of devs) {
    const a = adapterOf(d);
    const list = byAdapter.get(a);
    if (list) list.push(d);
    else byAdapter.set(a, [d]);
  }
  return Promise.all([...byAdapter.entries()].map(async ([adapter, [first, ...rest]]): Promise<FlashAllEntry> => {
    const entry: FlashAllEntry = { device: first.path, adapter, sameAdapter: rest.map((d) => d.path) };
    try {
      entry.result = await update(first, image, options);
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      entry.error = { code: typeof err?.code === 'string' ? err.code : 'ERROR', message: String(err?.message ?? e) };
    }
    return entry;
  }));
}

/** The namespace `fwctl.firmware`. */
export const firmware = Object.freeze({ components, update, updateAll, support, adapterOf, summarizeImage });
