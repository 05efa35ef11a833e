// The ground the core stands on: how discovery, parent.ts and open() read
// sysfs and stat a device node. Plain fs calls unless a sysfs layer is
// installed (a recording observes the reads, a replay answers them from its
// transcript); lib/backend.ts installs the layer of its chain here. This
// module imports nothing of the package but the error model, so the core's
// readers need not know what record, replay or audit are.

import * as fs from 'node:fs';
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
  /**
   * list()/listSync() returned these entries (FwctlDeviceEntry, for the
   * transcript's device lines; typed loosely so that this module imports no
   * reader of its own).
   */
  listed?(entries: readonly object[]): void;
}

let source: (() => SysLayer | undefined) | undefined;

/** @internal Where the installed layer comes from (lib/backend.ts, once). */
export function setSysLayerSource(f: (() => SysLayer | undefined) | undefined): void {
  source = f;
}

/** @internal The installed sysfs layer, or undefined (the common case). */
export function sysLayer(): SysLayer | undefined {
  return source === undefined ? undefined : source();
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
