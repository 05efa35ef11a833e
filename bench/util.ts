// Benchmark helpers: timing, statistics, the plain C client (probe), and the
// koffi client (ioctl called directly through the FFI with hand-packed
// structs, what a user would write instead of using this package).
// Benchmarks only: nothing here asserts a timing.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export const SIZES = [64, 64 * 1024, 2 * 1024 * 1024];
export const MOCK_HDR = 16;

export interface Stat {
  median: number;
  min: number;
  max: number;
  reps: number;
  /** calls per repetition (loops), or samples (latency distributions) */
  n: number;
}

export function stat(values: number[], n: number): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], reps: s.length, n };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** ns per call of a sync loop of n calls. */
export function timeSync(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** ns per call of n calls awaited one at a time. */
export async function timeAsync(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

/** ns per call of n calls with `depth` in flight at any time. */
export async function timeInFlight(n: number, depth: number, fn: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = process.hrtime.bigint();
  const lane = async () => {
    while (started < n) {
      started++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: Math.min(depth, n) }, lane));
  return Number(process.hrtime.bigint() - t0) / n;
}

/** Calls per repetition so that one repetition takes about targetMs (at least min). */
export function callsFor(nsPerCall: number, targetMs: number, min = 3, max = 1_000_000): number {
  const n = Math.round((targetMs * 1e6) / Math.max(nsPerCall, 1));
  return Math.max(min, Math.min(max, n));
}

// ---- the plain C client: test/kernel/probe/probe.c bench-* ----

export function probePath(): string {
  const p = process.env.FWCTL_PROBE;
  if (!p || !fs.existsSync(p)) throw new Error('FWCTL_PROBE is not set to the built probe (bench/run.sh sets it)');
  return p;
}

/** Runs `probe DEV bench-info N` or `bench-rpc N PAYLOAD`; returns ns per call (timed inside the C loop). */
export function cBench(dev: string, args: string[]): number {
  const out = execFileSync(probePath(), [dev, ...args], { encoding: 'utf8' });
  const j = JSON.parse(out.trim().split('\n').pop() as string) as { ns_per_call: number };
  return j.ns_per_call;
}

// ---- koffi: ioctl(2) through the FFI, structs packed by hand ----

// struct fwctl_info  { u32 size, flags, out_device_type, device_data_len; u64 out_device_data; }  24 bytes
// struct fwctl_rpc   { u32 size, scope, in_len, out_len; u64 in, out; }                          32 bytes
export const FWCTL_INFO = 0x9a00; // _IO(0x9A, 0)
export const FWCTL_RPC = 0x9a01; // _IO(0x9A, 1)

/* eslint-disable @typescript-eslint/no-explicit-any */
type KoffiFn = ((...a: any[]) => any) & { async: (...a: any[]) => void };
let koffiCache: { koffi: any; ioctl: KoffiFn } | undefined;

export function koffiLib(): { koffi: any; ioctl: KoffiFn } {
  if (!koffiCache) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const koffi = require('koffi');
    const libc = koffi.load('libc.so.6');
    // The non-variadic prototype (same x86_64 calling convention as the
    // variadic one) so that .async is allowed and no per-call type is parsed.
    const ioctl = libc.func('int ioctl(int fd, unsigned long request, void *arg)') as KoffiFn;
    koffiCache = { koffi, ioctl };
  }
  return koffiCache;
}

/** A koffi "client": one fd, reusable buffers, what a careful user writes. */
export class KoffiClient {
  readonly fd: number;
  readonly #k = koffiLib();
  readonly #info = Buffer.alloc(24);
  readonly #infoData = Buffer.alloc(256);
  readonly #rpc = Buffer.alloc(32);

  constructor(path: string) {
    this.fd = fs.openSync(path, 'r+'); // O_RDWR (libuv adds O_CLOEXEC)
    this.#info.writeBigUInt64LE(this.#k.koffi.address(this.#infoData) as bigint, 16);
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** FWCTL_INFO into a reused 256-byte buffer; returns device_data_len. */
  infoSync(): number {
    const a = this.#info;
    a.writeUInt32LE(24, 0);
    a.writeUInt32LE(0, 4);
    a.writeUInt32LE(this.#infoData.length, 12);
    if (this.#k.ioctl(this.fd, FWCTL_INFO, a) < 0) throw new Error(`FWCTL_INFO errno ${this.#k.koffi.errno()}`);
    return a.readUInt32LE(12);
  }

  /**
   * FWCTL_RPC from `req` into `out` (both reused by the caller; addresses
   * cached by the caller as a bigint). Returns the response as a view of
   * `out` (no copy).
   */
  rpcSync(req: Buffer, reqAddr: bigint, out: Buffer, outAddr: bigint, scope = 0): Buffer {
    const a = this.#rpc;
    a.writeUInt32LE(32, 0);
    a.writeUInt32LE(scope, 4);
    a.writeUInt32LE(req.length, 8);
    a.writeUInt32LE(out.length, 12);
    a.writeBigUInt64LE(reqAddr, 16);
    a.writeBigUInt64LE(outAddr, 24);
    if (this.#k.ioctl(this.fd, FWCTL_RPC, a) < 0) throw new Error(`FWCTL_RPC errno ${this.#k.koffi.errno()}`);
    return out.subarray(0, Math.min(a.readUInt32LE(12), out.length));
  }

  /**
   * The careful client: the struct is filled once (size, scope, in_len, in,
   * out, addresses computed once); a call rewrites only out_len (the kernel
   * overwrites it), issues the ioctl and returns the driver's length. No
   * allocation, no BigInt, no view per call: what a hand-written koffi
   * client that polls a device would do.
   */
  preparedRpc(req: Buffer, out: Buffer, scope = 0): () => number {
    const a = Buffer.alloc(32);
    const k = this.#k;
    a.writeUInt32LE(32, 0);
    a.writeUInt32LE(scope, 4);
    a.writeUInt32LE(req.length, 8);
    a.writeBigUInt64LE(k.koffi.address(req) as bigint, 16);
    a.writeBigUInt64LE(k.koffi.address(out) as bigint, 24);
    const fd = this.fd, outLen = out.length, ioctl = k.ioctl;
    return () => {
      a.writeUInt32LE(outLen, 12);
      if (ioctl(fd, FWCTL_RPC, a) < 0) throw new Error(`FWCTL_RPC errno ${k.koffi.errno()}`);
      return a.readUInt32LE(12);
    };
  }

  /** The careful INFO: the struct filled once; a call rewrites device_data_len only. */
  preparedInfo(): () => number {
    const a = this.#info, k = this.#k, fd = this.fd, len = this.#infoData.length, ioctl = k.ioctl;
    a.writeUInt32LE(24, 0);
    a.writeUInt32LE(0, 4);
    return () => {
      a.writeUInt32LE(len, 12);
      if (ioctl(fd, FWCTL_INFO, a) < 0) throw new Error(`FWCTL_INFO errno ${k.koffi.errno()}`);
      return a.readUInt32LE(12);
    };
  }

  /** koffi's .async: its own struct and buffers per call (they must outlive the call). */
  rpcAsync(req: Buffer, outLen: number, scope = 0): Promise<Buffer> {
    const k = this.#k;
    const a = Buffer.alloc(32);
    const out = Buffer.alloc(outLen);
    a.writeUInt32LE(32, 0);
    a.writeUInt32LE(scope, 4);
    a.writeUInt32LE(req.length, 8);
    a.writeUInt32LE(outLen, 12);
    a.writeBigUInt64LE(k.koffi.address(req) as bigint, 16);
    a.writeBigUInt64LE(k.koffi.address(out) as bigint, 24);
    return new Promise((resolve, reject) => {
      k.ioctl.async(this.fd, FWCTL_RPC, a, (err: unknown, rc: number) => {
        if (err) return reject(err);
        // errno of a pool thread is not observable from here; the rc is enough for a benchmark
        if (rc < 0) return reject(new Error('FWCTL_RPC failed (koffi async)'));
        resolve(out.subarray(0, Math.min(a.readUInt32LE(12), outLen)));
      });
    });
  }

  address(b: Buffer): bigint {
    return this.#k.koffi.address(b) as bigint;
  }
}
