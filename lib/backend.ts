// What answers this process's fwctl calls: the addon (default), the addon
// observed by a recorder and/or an audit trail, or a transcript (replay, no
// addon at all). lib/device.ts asks activeBinding() for the binding at each
// open, lib/discovery.ts and device.ts route their sysfs reads and the
// device-node stat through sysLayer() when one is installed. Nothing here
// costs more than one variable read when neither FWCTL_RECORD, FWCTL_REPLAY
// nor FWCTL_AUDIT is set.

import * as fs from 'node:fs';
import type { NativeBinding } from './binding';
import type { FwctlDeviceEntry } from './discovery';
import { FwctlError } from './errors';

/** The sysfs reads discovery makes, plus the stat of a device node before open. */
export type SysOp = 'readdir' | 'readlink' | 'readFile' | 'realpath' | 'stat';

/** A stat result as a transcript holds it: mode and rdev, or the error code. */
export type StatRecord = { mode: number; rdev: string } | { error: string };

/** Answers (or observes) the filesystem reads of discovery and open. */
export interface SysLayer {
  /** `real` performs the read (never throws for reads; stat returns a StatRecord). */
  sync(op: SysOp, path: string, real: () => unknown): unknown;
  async(op: SysOp, path: string, real: () => Promise<unknown>): Promise<unknown>;
  /** list()/listSync() returned these entries (for the transcript's device lines). */
  listed?(entries: readonly FwctlDeviceEntry[]): void;
}

/** Wraps a binding (record, audit) or replaces it (replay). */
export interface Backend {
  /** The binding to use, given the real one's loader (replay never calls it). */
  binding(load: () => NativeBinding): NativeBinding;
  sys?: SysLayer;
}

let backends: Backend[] | undefined;
let resolved: NativeBinding | undefined;
let layer: SysLayer | undefined;

/** The addon (lib/binding.ts is loaded only here: `fwctl list` never loads it). */
function loadBinding(): NativeBinding {
  return (require('./binding') as typeof import('./binding')).binding();
}

function fromEnvironment(): Backend[] {
  const out: Backend[] = [];
  const env = process.env;
  if (env.FWCTL_REPLAY) out.push((require('./replay') as typeof import('./replay')).replayBackend(env.FWCTL_REPLAY, {
    mode: env.FWCTL_REPLAY_MODE === 'match' ? 'match' : 'strict',
  }));
  if (env.FWCTL_RECORD) out.push((require('./record') as typeof import('./record')).recordBackend(env.FWCTL_RECORD, {
    redact: env.FWCTL_RECORD_REDACT === '1',
  }));
  if (env.FWCTL_AUDIT) out.push((require('./audit') as typeof import('./audit')).auditBackend(env.FWCTL_AUDIT));
  return out;
}

function init(): Backend[] {
  if (backends === undefined) {
    backends = fromEnvironment();
    rebuild();
  }
  return backends;
}

function rebuild(): void {
  resolved = undefined;
  const sys = backends!.map((b) => b.sys).filter((s): s is SysLayer => s !== undefined);
  layer = sys.length === 0 ? undefined : sys.length === 1 ? sys[0] : chainSys(sys);
}

/** Several layers: the first (replay, when present) is innermost, the others observe it. */
function chainSys(list: SysLayer[]): SysLayer {
  return {
    sync: (op, p, real) => list.reduce<() => unknown>((inner, l) => () => l.sync(op, p, inner), real)(),
    async: (op, p, real) => list.reduce<() => Promise<unknown>>((inner, l) => () => l.async(op, p, inner), real)(),
    listed: (e) => list.forEach((l) => l.listed?.(e)),
  };
}

/** @internal The binding for the next open: the addon, observed or replaced by the installed backends. */
export function activeBinding(): NativeBinding {
  const list = init();
  if (list.length === 0) return loadBinding();
  if (resolved === undefined) {
    let get: () => NativeBinding = loadBinding;
    for (const backend of list) {
      const inner = get;
      let memo: NativeBinding | undefined;
      get = () => (memo ??= backend.binding(inner));
    }
    resolved = get();
  }
  return resolved;
}

/** @internal The installed sysfs layer, or undefined (the common case). */
export function sysLayer(): SysLayer | undefined {
  if (backends === undefined) init();
  return layer;
}

/** @internal Install a backend (fwctl.record(), fwctl.replay()); returns its removal. */
export function installBackend(b: Backend, innermost = false): () => void {
  const list = init();
  if (innermost) list.unshift(b);
  else list.push(b);
  rebuild();
  return () => {
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    rebuild();
  };
}

/** @internal True when a replay backend answers (no addon). */
export function replaying(): boolean {
  return init().some((b) => (b as { replay?: boolean }).replay === true);
}

// ---- the device-node stat, through the layer ----

const S_IFMT = fs.constants.S_IFMT;

/** A real stat as a transcript holds it. */
export function statRecordSync(p: string): StatRecord {
  try {
    const st = fs.statSync(p, { bigint: true });
    return { mode: Number(st.mode), rdev: st.rdev.toString() };
  } catch (e) {
    return { error: String((e as NodeJS.ErrnoException).code ?? 'EIO') };
  }
}

export async function statRecord(p: string): Promise<StatRecord> {
  try {
    const st = await fs.promises.stat(p, { bigint: true });
    return { mode: Number(st.mode), rdev: st.rdev.toString() };
  } catch (e) {
    return { error: String((e as NodeJS.ErrnoException).code ?? 'EIO') };
  }
}

/** The BigIntStats members open() uses, from a StatRecord; throws the recorded error. */
function statsOf(r: StatRecord, p: string): fs.BigIntStats {
  if ('error' in r) {
    // The recorded errno of stat(); open() reports it as its own (statError).
    throw new FwctlError({ code: r.error, path: p, detail: `stat '${p}'` });
  }
  const fmt = r.mode & S_IFMT;
  const is = (t: number) => () => fmt === t;
  const c = fs.constants;
  return {
    mode: BigInt(r.mode), rdev: BigInt(r.rdev),
    isFile: is(c.S_IFREG), isDirectory: is(c.S_IFDIR), isCharacterDevice: is(c.S_IFCHR), isBlockDevice: is(c.S_IFBLK),
    isFIFO: is(c.S_IFIFO), isSocket: is(c.S_IFSOCK), isSymbolicLink: () => false,
  } as unknown as fs.BigIntStats;
}

/** @internal fs.statSync(p, { bigint: true }), or the transcript's answer. */
export function statNodeSync(p: string): fs.BigIntStats {
  const l = sysLayer();
  if (l === undefined) return fs.statSync(p, { bigint: true });
  return statsOf(l.sync('stat', p, () => statRecordSync(p)) as StatRecord, p);
}

/** @internal fs.promises.stat(p, { bigint: true }), or the transcript's answer. */
export async function statNode(p: string): Promise<fs.BigIntStats> {
  const l = sysLayer();
  if (l === undefined) return fs.promises.stat(p, { bigint: true });
  return statsOf(await l.async('stat', p, () => statRecord(p)) as StatRecord, p);
}
