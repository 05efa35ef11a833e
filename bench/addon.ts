// The benchmark's addon (build-bench/build/Release/fwctl_bench.node, built by
// bench/build-addon.sh): the shipped sources plus the N-API floor, rpcNoop
// and bindNoop on a handle (bench/floor.cc). The shipped addon has neither.
// FWCTL_BENCH_ADDON overrides the path.

import * as path from 'node:path';
import type { NativeHandle } from '../lib/binding';

/** A handle of the bench addon: a NativeHandle with the floor functions. */
export interface BenchHandle extends NativeHandle {
  /** A bound function taking rpcSync's arguments and doing nothing (the N-API floor). */
  rpcNoop(scope: number, request: Uint8Array, response: Uint8Array): number;
  /** A bound call taking nothing and doing nothing (the floor for bound calls). */
  bindNoop(): () => undefined;
}

export const BENCH_ADDON = process.env.FWCTL_BENCH_ADDON ??
  path.resolve(__dirname, '..', '..', 'build-bench', 'build', 'Release', 'fwctl_bench.node');

/** Opens `dev` through the bench addon (its own pool and guards; only the floor uses it). */
export function openBenchHandle(dev: string): BenchHandle {
  let addon: { open(p: string): [BenchHandle, unknown] | number };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(BENCH_ADDON);
  } catch (e) {
    throw new Error(`bench addon ${BENCH_ADDON} not loadable (bash bench/build-addon.sh): ${(e as Error).message}`);
  }
  const r = addon.open(dev);
  if (typeof r === 'number') throw new Error(`bench addon: open ${dev}: ${r}`);
  return r[0];
}
