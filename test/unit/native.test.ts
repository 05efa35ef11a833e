// Host tests of the native addon (native/fwctl.cc). There is no fwctl device
// here: ioctl(FWCTL_INFO / FWCTL_RPC) on /dev/null returns -ENOTTY at once,
// which exercises the sync and async plumbing, patches and lifecycle. For
// slow calls and for a "kernel" that dereferences the patched pointers, some
// tests run a child node with an LD_PRELOAD shim (compiled here with cc) that
// intercepts ioctl 0x9A00/0x9A01 on /dev/null: it sleeps SHIM_DELAY_MS, then
// for FWCTL_RPC copies min(in_len, out_len) bytes from `in` to `out` through
// the patched pointers, writes the copied length back to out_len, returns 0.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { binding, NativeHandle } from '../../lib/binding';

const BINDING = path.resolve(__dirname, '../../lib/binding');
const ENOENT = -2;
const EBADF = -9;
const ENOTTY = -25;

const b = binding();
const LE = os.endianness() === 'LE';

/** A fwctl-style arg: first u32 = size. */
function arg(size = 32): Uint8Array {
  const a = new Uint8Array(size);
  new DataView(a.buffer).setUint32(0, size, LE);
  return a;
}
const u64 = (v: ArrayBufferView, off: number): bigint =>
  new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(off, LE);
const P = (...t: number[]) => new Uint32Array(t);

/** The addon's errors come from the main realm, jest's test code runs in a vm context. */
function errName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
}
/** The contract types buffers as Uint8Array; the addon takes any ArrayBufferView. */
const view = (v: ArrayBufferView) => v as unknown as Uint8Array;

function openNull(): NativeHandle {
  const h = b.open('/dev/null');
  if (typeof h === 'number') throw new Error(`open /dev/null: ${h}`);
  return h;
}

function fdTarget(fd: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Runs a script in a child node that has `b` (the binding) in scope. */
function runNode(script: string, opts: { env?: NodeJS.ProcessEnv; args?: string[]; timeout?: number } = {}) {
  const prelude = `const b = require(${JSON.stringify(BINDING)}).binding();\n`;
  const r = spawnSync(process.execPath, [...(opts.args ?? []), '-e', prelude + script], {
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 30000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------
const SHIM_C = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
int ioctl(int fd, unsigned long req, ...) {
  static int (*real)(int, unsigned long, ...);
  va_list ap; va_start(ap, req); void *arg = va_arg(ap, void *); va_end(ap);
  if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
  struct stat st;
  if ((req == 0x9A00 || req == 0x9A01) && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
      major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
    const char *d = getenv("SHIM_DELAY_MS");
    if (d) usleep(atoi(d) * 1000);
    if (req == 0x9A01) {
      unsigned char *a = arg; uint32_t in_len, out_len; uint64_t in, out;
      memcpy(&in_len, a + 8, 4); memcpy(&out_len, a + 12, 4);
      memcpy(&in, a + 16, 8); memcpy(&out, a + 24, 8);
      uint32_t n = in_len < out_len ? in_len : out_len;
      if (n) memcpy((void *)(uintptr_t)out, (void *)(uintptr_t)in, n);
      memcpy(a + 12, &n, 4);
    }
    return 0;
  }
  return real(fd, req, arg);
}
`;

let shim: string | undefined;
beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-shim-'));
  fs.writeFileSync(path.join(dir, 'shim.c'), SHIM_C);
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'shim.so'), path.join(dir, 'shim.c'), '-ldl']);
    shim = path.join(dir, 'shim.so');
  } catch {
    shim = undefined; // no C compiler: the shim tests are skipped (they log why)
  }
});
function withShim(delayMs: number): NodeJS.ProcessEnv | undefined {
  if (!shim) {
    console.warn('cc not available: shim test skipped');
    return undefined;
  }
  return { LD_PRELOAD: shim, SHIM_DELAY_MS: String(delayMs) };
}

// ---------------------------------------------------------------------------
describe('module', () => {
  test('exports', () => {
    expect(b.FWCTL_INFO).toBe(0x9a00);
    expect(b.FWCTL_RPC).toBe(0x9a01);
    expect(typeof b.open).toBe('function');
    const s = b.poolStats();
    expect(Object.keys(s).sort()).toEqual(['idle', 'queued', 'threads']);
  });

  test('open: errno and argument errors', () => {
    expect(b.open('/nonexistent/fwctl0')).toBe(ENOENT);
    expect(errName(() => b.open(42 as unknown as string))).toBe('TypeError');
    expect(errName(() => (b.open as unknown as () => void)())).toBe('TypeError');
    expect(errName(() => b.open('/dev/null\0x'))).toBe('TypeError');
  });

  test('the handle class cannot be constructed from JS', () => {
    const h = openNull();
    const C = (h as unknown as { constructor: new (...a: unknown[]) => unknown }).constructor;
    expect(errName(() => new C({}, 0))).toBe('TypeError');
    expect(errName(() => new C())).toBe('TypeError');
    h.close();
  });
});

describe('handle', () => {
  test('fd, fstat, close, closed handle', async () => {
    const h = openNull();
    const fd = h.fd;
    expect(fd).toBeGreaterThanOrEqual(0);
    const st = h.fstat() as number[];
    expect(st[0] & 0o170000).toBe(0o020000); // S_IFCHR
    expect(st.slice(1)).toEqual([1, 3]);
    expect(h.inFlight).toBe(0);
    expect(h.close()).toBe(0);
    expect(h.fd).toBe(-1);
    expect(fdTarget(fd)).not.toBe('/dev/null');
    expect(h.close()).toBe(EBADF);
    expect(h.fstat()).toBe(EBADF);
    expect(h.ioctlSync(b.FWCTL_INFO, P(), arg())).toBe(EBADF);
    await expect(h.ioctl(b.FWCTL_RPC, P(), arg())).resolves.toBe(EBADF);
    expect(h.inFlight).toBe(0);
  });

  test('sync ioctl on /dev/null: -ENOTTY for both requests', () => {
    const h = openNull();
    expect(h.ioctlSync(b.FWCTL_INFO, P(), arg(24))).toBe(ENOTTY);
    expect(h.ioctlSync(b.FWCTL_RPC, P(), arg(32))).toBe(ENOTTY);
    h.close();
  });
});

describe('argument checking', () => {
  const h = openNull();
  afterAll(() => h.close());
  const sync = (...a: unknown[]) => () => (h.ioctlSync as (...x: unknown[]) => number)(...a);
  const I = b.FWCTL_INFO;

  test('request', () => {
    for (const r of [0, 0x9a02, 0x9aff, 0x40189a00, -1, NaN, 0x9a00 + 0.5]) expect(errName(sync(r, P(), arg()))).toBe('RangeError');
    expect(errName(sync('0x9a00', P(), arg()))).toBe('TypeError');
    expect(errName(sync())).toBe('TypeError');
    expect(errName(sync(I, P()))).toBe('TypeError');
  });

  test('arg', () => {
    for (const a of [null, undefined, 3, 'x', [1, 2, 3, 4], new ArrayBuffer(8), {}]) expect(errName(sync(I, P(), a))).toBe('TypeError');
    expect(errName(sync(I, P(), new Uint8Array(3)))).toBe('RangeError'); // no room for the size field
    const a = arg(16);
    new DataView(a.buffer).setUint32(0, 17, LE); // size larger than the buffer
    expect(errName(sync(I, P(), a))).toBe('RangeError');
    // Any view type is accepted.
    const dv = new DataView(new ArrayBuffer(24));
    dv.setUint32(0, 24, LE);
    expect(sync(I, P(), dv)()).toBe(ENOTTY);
    const f64 = new Float64Array(3);
    new DataView(f64.buffer).setUint32(0, 24, LE);
    expect(sync(I, P(), f64)()).toBe(ENOTTY);
    expect(sync(I, P(), Buffer.from(arg(24)))()).toBe(ENOTTY);
  });

  test('buffers', () => {
    expect(errName(sync(I, P(), arg(), new ArrayBuffer(4)))).toBe('TypeError');
    expect(errName(sync(I, P(), arg(), 'x'))).toBe('TypeError');
    const eight = Array.from({ length: 8 }, () => new Uint8Array(8));
    expect(sync(I, P(), arg(), ...eight)()).toBe(ENOTTY);
    expect(errName(sync(I, P(), arg(), ...eight, new Uint8Array(8)))).toBe('RangeError');
  });

  test('patches', () => {
    const a = arg(32);
    const x = new Uint8Array(8);
    for (const p of [null, [0, 16, 1], new Uint8Array(12), new Int32Array(3), new DataView(new ArrayBuffer(12))])
      expect(errName(sync(I, p, a, x))).toBe('TypeError');
    expect(errName(sync(I, P(0, 16), a, x))).toBe('RangeError'); // not triples
    expect(errName(sync(I, P(2, 16, 1), a, x))).toBe('RangeError'); // target index
    expect(errName(sync(I, P(0, 16, 2), a, x))).toBe('RangeError'); // source index
    expect(errName(sync(I, P(0, 25, 1), a, x))).toBe('RangeError'); // offset + 8 > 32
    expect(errName(sync(I, P(0, 0xffffffff, 1), a, x))).toBe('RangeError'); // no wrap-around
    expect(errName(sync(I, P(1, 1, 0), a, x))).toBe('RangeError'); // 1 + 8 > 8
    expect(errName(sync(I, P(0, 2, 1), a, x))).toBe('RangeError'); // overwrites the size field
    expect(errName(sync(I, new Uint32Array(65 * 3), a, x))).toBe('RangeError');
    // Nothing is written when any triple is invalid.
    expect(errName(sync(I, P(0, 8, 1, 0, 24, 9), a, x))).toBe('RangeError');
    expect(u64(a, 8)).toBe(0n);
    expect(sync(I, P(0, 24, 1), a, x)()).toBe(ENOTTY);
    expect(u64(a, 24)).not.toBe(0n);
    // The async entry point uses the same checks, and throws synchronously.
    expect(errName(() => h.ioctl(0x1234, P(), a))).toBe('RangeError');
    expect(errName(() => h.ioctl(I, P(0, 25, 1), a, x))).toBe('RangeError');
    expect(h.inFlight).toBe(0);
  });
});

describe('patches', () => {
  const h = openNull();
  afterAll(() => h.close());

  test('addresses of views, offsets and zero-length views', () => {
    const ab = new ArrayBuffer(256);
    const v1 = new Uint8Array(ab, 16, 32);
    const v2 = new Uint16Array(ab, 64, 8);
    const v3 = new DataView(ab, 100, 10);
    const empty = new Uint8Array(ab, 128, 0);
    const a = arg(64);
    expect(h.ioctlSync(b.FWCTL_INFO, P(0, 8, 1, 0, 16, 2, 0, 24, 3, 0, 32, 4, 0, 40, 0), a, v1, view(v2), view(v3), empty)).toBe(ENOTTY);
    const base = u64(a, 8) - 16n;
    expect(base).not.toBe(0n);
    expect(u64(a, 16) - base).toBe(64n);
    expect(u64(a, 24) - base).toBe(100n);
    expect(u64(a, 32)).toBe(0n); // zero-length view -> 0
    // arg's own address; patches into an extra buffer (target >= 1).
    const out = new Uint8Array(24);
    expect(h.ioctlSync(b.FWCTL_INFO, P(1, 0, 0, 1, 8, 2, 2, 0, 1), a, out, v1)).toBe(ENOTTY);
    expect(u64(out, 0)).toBe(u64(a, 40));
    expect(u64(out, 8)).toBe(base + 16n);
    const outAddr = u64(v1, 0); // v1 (target 2) got out's (source 1) address
    expect(h.ioctlSync(b.FWCTL_INFO, P(0, 48, 1), a, out)).toBe(ENOTTY);
    expect(u64(a, 48)).toBe(outAddr);
  });

  test('SharedArrayBuffer-backed views: target and source are the shared memory', () => {
    const sab = new SharedArrayBuffer(64);
    const a = new Uint8Array(sab, 0, 32);
    new DataView(sab).setUint32(0, 32, LE);
    const src = new Uint8Array(sab, 40, 8);
    expect(h.ioctlSync(b.FWCTL_INFO, P(0, 8, 0, 0, 16, 1), a, src)).toBe(ENOTTY);
    const other = new BigUint64Array(sab); // another view of the same memory sees the write
    expect(other[1]).not.toBe(0n);
    expect(other[2] - other[1]).toBe(40n);
  });

  test('Buffer (possibly from the pool) and small on-heap typed arrays keep their address', () => {
    const small = new Uint8Array(8); // V8 may keep tiny typed arrays on the heap
    const buf = Buffer.alloc(8);
    const a = arg(32);
    expect(h.ioctlSync(b.FWCTL_INFO, P(0, 8, 1, 0, 16, 2), a, small, view(buf))).toBe(ENOTTY);
    const first = [u64(a, 8), u64(a, 16)];
    if (typeof global.gc === 'function') global.gc();
    expect(h.ioctlSync(b.FWCTL_INFO, P(0, 8, 1, 0, 16, 2), a, small, view(buf))).toBe(ENOTTY);
    expect([u64(a, 8), u64(a, 16)]).toEqual(first);
  });
});

describe('async ioctl', () => {
  test('resolves -ENOTTY on the addon pool, inFlight tracks it', async () => {
    const h = openNull();
    const p = h.ioctl(b.FWCTL_INFO, P(), arg(24));
    expect(typeof p.then).toBe('function');
    expect(h.inFlight).toBe(1);
    await expect(p).resolves.toBe(ENOTTY);
    expect(h.inFlight).toBe(0);
    const s = b.poolStats();
    expect(s.threads).toBeGreaterThanOrEqual(1);
    expect(s.threads).toBeLessThanOrEqual(256);
    h.close();
  });

  test('many concurrent calls on several handles', async () => {
    const hs = Array.from({ length: 4 }, openNull);
    const ps: Promise<number>[] = [];
    for (let i = 0; i < 4000; i++) {
      const h = hs[i % 4];
      const a = arg(32);
      const x = new Uint8Array(16);
      ps.push(h.ioctl(i % 2 ? b.FWCTL_RPC : b.FWCTL_INFO, P(0, 16, 1, 0, 24, 2), a, x, new Uint8Array(0)));
    }
    expect(hs.reduce((n, h) => n + h.inFlight, 0)).toBe(4000);
    const rs = await Promise.all(ps);
    expect(rs.every((r) => r === ENOTTY)).toBe(true);
    expect(hs.every((h) => h.inFlight === 0)).toBe(true);
    const s = b.poolStats();
    expect(s.threads).toBeLessThanOrEqual(256);
    expect(s.queued).toBe(0);
    for (const h of hs) expect(h.close()).toBe(0);
  });

  test('close with calls in flight: fd stays open until the last completion', async () => {
    const h = openNull();
    const fd = h.fd;
    const ps = [1, 2, 3].map(() => h.ioctl(b.FWCTL_RPC, P(), arg(32)));
    expect(h.inFlight).toBe(3);
    expect(h.close()).toBe(0);
    expect(h.fd).toBe(-1);
    expect(fdTarget(fd)).toBe('/dev/null'); // completions run on this thread, not yet
    expect(h.ioctlSync(b.FWCTL_INFO, P(), arg())).toBe(EBADF);
    await expect(h.ioctl(b.FWCTL_INFO, P(), arg())).resolves.toBe(EBADF);
    expect(h.close()).toBe(EBADF);
    expect(await Promise.all(ps)).toEqual([ENOTTY, ENOTTY, ENOTTY]);
    expect(h.inFlight).toBe(0);
    expect(fdTarget(fd)).not.toBe('/dev/null');
  });

  test('pool threads are the addon\'s own ("fwctl-pool"), not libuv\'s', async () => {
    const h = openNull();
    await Promise.all(Array.from({ length: 8 }, () => h.ioctl(b.FWCTL_INFO, P(), arg())));
    const names = fs.readdirSync('/proc/self/task').map((t) => {
      try {
        return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    });
    expect(names).toContain('fwctl-pool');
    h.close();
  });
});

describe('child processes', () => {
  test('the loop stays alive while a call is in flight, and exits when idle', () => {
    const env = withShim(300);
    if (!env) return;
    const t0 = Date.now();
    const r = runNode(
      `const h = b.open('/dev/null');
       const a = new Uint8Array(32); new DataView(a.buffer).setUint32(0, 32, true);
       h.ioctl(b.FWCTL_INFO, new Uint32Array(0), a).then((r) => console.log('done', r, h.inFlight));`,
      { env, timeout: 10000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done 0 0');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    // Idle: an open handle and a finished pool do not keep the process alive.
    const idle = runNode(`const h = b.open('/dev/null'); h.ioctl(b.FWCTL_INFO, new Uint32Array(0), new Uint8Array([4,0,0,0])).then(() => {});`, { timeout: 5000 });
    expect(idle.status).toBe(0);
  });

  test('the patched pointers reach the "kernel": RPC through the shim, sync and async, SAB too', () => {
    const env = withShim(0);
    if (!env) return;
    const r = runNode(
      `(async () => {
        const h = b.open('/dev/null');
        const rpc = (input, out) => { const a = new Uint8Array(32); const dv = new DataView(a.buffer);
          dv.setUint32(0, 32, true); dv.setUint32(8, input.byteLength, true); dv.setUint32(12, out.byteLength, true);
          return a; };
        const P = new Uint32Array([0, 16, 1, 0, 24, 2]);
        const in1 = Buffer.from('hello, firmware'); const out1 = new Uint8Array(64);
        const a1 = rpc(in1, out1);
        const s = h.ioctlSync(b.FWCTL_RPC, P, a1, in1, out1);
        const in2 = new Uint8Array(new SharedArrayBuffer(8)); in2.set([1,2,3,4,5,6,7,8]);
        const out2 = new Uint8Array(new SharedArrayBuffer(4));
        const a2 = rpc(in2, out2);
        const p = await h.ioctl(b.FWCTL_RPC, P, a2, in2, out2);
        console.log(JSON.stringify([s, Buffer.from(out1.subarray(0, 15)).toString(), new DataView(a1.buffer).getUint32(12, true),
          p, Array.from(out2), new DataView(a2.buffer).getUint32(12, true)]));
      })();`,
      { env },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([0, 'hello, firmware', 15, 0, [1, 2, 3, 4], 4]);
  });

  test('async calls do not use libuv\'s threadpool (UV_THREADPOOL_SIZE=1, pool blocked)', () => {
    const env = withShim(200);
    if (!env) return;
    const fifo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-fifo-')), 'f');
    execFileSync('mkfifo', [fifo]);
    const r = runNode(
      `const fs = require('fs');
       fs.open(${JSON.stringify(fifo)}, 'r', (e, fd) => { console.log('fifo', e ? e.code : 'open'); fs.closeSync(fd); }); // blocks the only libuv thread
       const h = b.open('/dev/null');
       const a = () => { const x = new Uint8Array(32); x[0] = 32; return x; };
       const t0 = Date.now();
       Promise.all([1,2,3,4].map(() => h.ioctl(b.FWCTL_INFO, new Uint32Array(0), a()))).then((rs) => {
         const ms = Date.now() - t0;
         console.log('ioctl', rs.join(','), ms < 700 ? 'parallel' : 'serial ' + ms, b.poolStats().threads >= 4);
         fs.openSync(${JSON.stringify(fifo)}, 'w'); // release the libuv thread
       });`,
      { env: { ...env, UV_THREADPOOL_SIZE: '1' }, timeout: 10000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['ioctl 0,0,0,0 parallel true', 'fifo open']);
  });

  test('idle pool threads exit (FWCTL_POOL_IDLE_MS)', () => {
    const r = runNode(
      `const h = b.open('/dev/null');
       const a = () => { const x = new Uint8Array(32); x[0] = 32; return x; };
       Promise.all(Array.from({ length: 64 }, () => h.ioctl(b.FWCTL_INFO, new Uint32Array(0), a()))).then(() => {
         const busy = b.poolStats();
         setTimeout(() => console.log(JSON.stringify([busy.threads > 0, b.poolStats()])), 600);
       });`,
      { env: { FWCTL_POOL_IDLE_MS: '100' } },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, { threads: 0, idle: 0, queued: 0 }]);
  });

  test('GC closes the fds of unreachable handles', () => {
    const r = runNode(
      `const fs = require('fs');
       const count = () => fs.readdirSync('/proc/self/fd').length;
       const before = count();
       (function () { for (let i = 0; i < 200; i++) b.open('/dev/null'); })();
       const opened = count();
       const tick = () => new Promise((r) => setImmediate(r));
       (async () => { for (let i = 0; i < 5; i++) { gc(); await tick(); }
         console.log(JSON.stringify([opened - before, count() - before])); })();`,
      { args: ['--expose-gc'] },
    );
    expect(r.stderr).toBe('');
    const [opened, left] = JSON.parse(r.stdout);
    expect(opened).toBe(200);
    expect(left).toBeLessThanOrEqual(2);
  });

  test('process.exit with a slow call in flight exits promptly and cleanly', () => {
    const env = withShim(3000);
    if (!env) return;
    const t0 = Date.now();
    const r = runNode(
      `const h = b.open('/dev/null'); const a = new Uint8Array(32); a[0] = 32;
       h.ioctl(b.FWCTL_INFO, new Uint32Array(0), a); setTimeout(() => process.exit(7), 100);`,
      { env },
    );
    expect(r.status).toBe(7);
    expect(r.stderr).toBe('');
    expect(Date.now() - t0).toBeLessThan(2500);
  });
});

describe('worker_threads', () => {
  const workerCode = (body: string) => `const { parentPort } = require('worker_threads');
    const b = require(${JSON.stringify(BINDING)}).binding();
    const a = () => { const x = new Uint8Array(32); x[0] = 32; return x; };
    ${body}`;

  test('each worker has its own environment and completion channel', async () => {
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const w = new Worker(
          workerCode(`const h = b.open('/dev/null');
            Promise.all(Array.from({ length: 300 }, (_, i) => i % 3 ? h.ioctl(b.FWCTL_RPC, new Uint32Array([0, 16, 1]), a(), new Uint8Array(4))
              : Promise.resolve(h.ioctlSync(b.FWCTL_INFO, new Uint32Array(0), a()))))
              .then((rs) => { parentPort.postMessage([...new Set(rs)]); h.close(); });`),
          { eval: true },
        );
        w.once('message', resolve);
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    for (const r of results) expect(r).toEqual([ENOTTY]);
    // The main thread still works after the workers are gone.
    const h = openNull();
    await expect(h.ioctl(b.FWCTL_INFO, P(), arg())).resolves.toBe(ENOTTY);
    h.close();
  });

  test('worker.terminate() with calls in flight (instant calls, repeated)', () => {
    const r = runNode(
      `const { Worker } = require('worker_threads');
       const code = ${JSON.stringify(
         workerCode(`const h = b.open('/dev/null');
           const go = () => h.ioctl(b.FWCTL_INFO, new Uint32Array([0, 16, 1]), a(), new Uint8Array(8)).then(go);
           for (let i = 0; i < 64; i++) go();
           setTimeout(() => parentPort.postMessage('busy'), 20);`),
       )};
       (async () => {
         for (let i = 0; i < 10; i++) {
           const w = new Worker(code, { eval: true });
           await new Promise((r) => w.once('message', r));
           await w.terminate();
         }
         const h = b.open('/dev/null'); const x = new Uint8Array(32); x[0] = 32;
         console.log('ok', await h.ioctl(b.FWCTL_INFO, new Uint32Array(0), x), JSON.stringify(b.poolStats().queued));
       })();`,
      { timeout: 60000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`ok ${ENOTTY} 0`);
    expect(r.status).toBe(0);
  });

  test('worker.terminate() waits for its calls to leave the "kernel", main thread unaffected', () => {
    const env = withShim(400);
    if (!env) return;
    const r = runNode(
      `const { Worker } = require('worker_threads');
       const code = ${JSON.stringify(
         workerCode(`const h = b.open('/dev/null');
           for (let i = 0; i < 4; i++) h.ioctl(b.FWCTL_RPC, new Uint32Array([0, 16, 1, 0, 24, 2]),
             (() => { const x = a(); x[8] = 4; x[12] = 4; return x; })(), new Uint8Array([1,2,3,4]), new Uint8Array(4));
           parentPort.postMessage('submitted');`),
       )};
       (async () => {
         const h = b.open('/dev/null'); const x = new Uint8Array(32); x[0] = 32;
         const mine = h.ioctl(b.FWCTL_INFO, new Uint32Array(0), x);
         const w = new Worker(code, { eval: true });
         await new Promise((r) => w.once('message', r));
         const t0 = Date.now();
         await w.terminate();
         const waited = Date.now() - t0;
         console.log(JSON.stringify([await mine, waited >= 250, b.poolStats().queued]));
       })();`,
      { env, timeout: 20000 },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([0, true, 0]);
  });
});
