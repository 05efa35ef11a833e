// Host tests of the native addon (native/). There is no fwctl device
// here. The addon asks the kernel for the device type at open (FWCTL_INFO),
// so a plain /dev/null is refused; the tests that need an open handle run a
// child node with an LD_PRELOAD shim (compiled here with cc) that plays a
// fwctl "kernel" for ioctl 0x9A00/0x9A01 on /dev/null: INFO answers type
// SHIM_TYPE (default 0xfff0); RPC sleeps SHIM_DELAY_MS, then copies
// min(in_len, out_len) bytes from `in` to `out` and writes that length back;
// a request starting "NEST" (48 bytes) is a nested-payload op like pds's:
// it copies u32@24 bytes from u64@16 and writes u32@40 bytes (0xee) to
// u64@32 (the driver trusts the request's lengths, as pds and bnxt do).
// The real proof is the kernel suite (test/kernel/suite/memsafety.test.ts).

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binding } from '../../lib/binding';

const BINDING = path.resolve(__dirname, '../../lib/binding');
// The package entries register the device types before the addon loads and
// takes their pointer guards (lib/registry.ts); a child that loads the
// binding directly does the same first.
const BUILTIN = path.resolve(__dirname, '../../lib/types/builtin');
const ERRORS = path.resolve(__dirname, '../../lib/errors');
/** The addon itself (node-gyp-build's pick), required without lib/binding.ts. */
const ADDON = path.resolve(__dirname, '../../../build/Release/fwctl.node');
const ENOENT = -2;
const ENOTTY = -25;

const b = binding();

/** The addon's errors come from the main realm, jest's test code runs in a vm context. */
function errName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
}

/** Runs a script in a child node that has `b` (the binding) and helpers in scope. */
function runNode(script: string, opts: { env?: NodeJS.ProcessEnv; args?: string[]; timeout?: number } = {}) {
  const prelude = `require(${JSON.stringify(BUILTIN)}); const b = require(${JSON.stringify(BINDING)}).binding();
    const open = () => { const r = b.open('/dev/null'); if (typeof r === 'number') throw new Error('open ' + r); return r[0]; };
    const err = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    const out = (...a) => console.log(JSON.stringify(a));
    // Collections that started inside [t0, t1] (performance.now()). The
    // observer's entries arrive asynchronously, well after the collection:
    // count() waits for them, and a window bound keeps forced gc() calls
    // made before it out.
    const gcWindow = () => {
      const { PerformanceObserver } = require('perf_hooks');
      const seen = [];
      const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) seen.push(e.startTime); });
      obs.observe({ entryTypes: ['gc'] });
      return { count: (t0, t1) => new Promise((r) => setTimeout(() => r(seen.filter((t) => t >= t0 && t <= t1).length), 200)),
        stop: () => obs.disconnect() };
    };\n`;
  const r = spawnSync(process.execPath, [...(opts.args ?? []), '-e', prelude + script], {
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 30000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) as string);

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
    unsigned char *a = arg;
    if (req == 0x9A00) {
      const char *t = getenv("SHIM_TYPE");
      uint32_t type = t ? strtoul(t, 0, 0) : 0xfff0, len, want = 8; uint64_t p;
      memcpy(&len, a + 12, 4); memcpy(&p, a + 16, 8);
      for (uint32_t i = 0; i < len; i++) ((unsigned char *)(uintptr_t)p)[i] = i < want ? 0xa0 + i : 0;
      memcpy(a + 8, &type, 4); memcpy(a + 12, &want, 4);
      return 0;
    }
    const char *d = getenv("SHIM_DELAY_MS");
    if (d) usleep(atoi(d) * 1000);
    uint32_t in_len, out_len; uint64_t in, out;
    memcpy(&in_len, a + 8, 4); memcpy(&out_len, a + 12, 4);
    memcpy(&in, a + 16, 8); memcpy(&out, a + 24, 8);
    unsigned char *q = (unsigned char *)(uintptr_t)in;
    if (in_len >= 48 && memcmp(q, "NEST", 4) == 0) {
      uint64_t ip, op; uint32_t il, ol;
      memcpy(&ip, q + 16, 8); memcpy(&il, q + 24, 4); memcpy(&op, q + 32, 8); memcpy(&ol, q + 40, 4);
      for (uint32_t i = 0; i < ol; i++) ((unsigned char *)(uintptr_t)op)[i] = i < il ? ((unsigned char *)(uintptr_t)ip)[i] : 0xee;
    }
    uint32_t n = in_len < out_len ? in_len : out_len;
    if (n) memcpy((void *)(uintptr_t)out, (void *)(uintptr_t)in, n);
    memcpy(a + 12, &in_len, 4);
    return 0;
  }
  return real(fd, req, arg);
}
`;

let shim: string | undefined;
beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-shim-'));
  fs.writeFileSync(path.join(dir, 'shim.c'), SHIM_C);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'shim.so'), path.join(dir, 'shim.c'), '-ldl']);
  shim = path.join(dir, 'shim.so');
});
function withShim(delayMs = 0, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Appended: under scripts/test-tsan.sh the sanitizer runtime stays first.
  const preload = [process.env.LD_PRELOAD, shim].filter(Boolean).join(' ');
  return { LD_PRELOAD: preload, SHIM_DELAY_MS: String(delayMs), ...extra };
}

describe('module', () => {
  test('exports', () => {
    expect(b.FWCTL_INFO).toBe(0x9a00);
    expect(b.FWCTL_RPC).toBe(0x9a01);
    for (const f of ['open', 'openAsync', 'abandon', 'setPointerGuards', 'setErrorFactory', 'poolStats'] as const) expect(typeof b[f]).toBe('function');
    expect(Object.keys(b.poolStats()).sort()).toEqual(['idle', 'queued', 'threads']);
  });

  test('open: errno, argument errors, and a node that answers no FWCTL_INFO is refused', async () => {
    expect(b.open('/nonexistent/fwctl0')).toBe(ENOENT);
    expect(errName(() => b.open(42 as unknown as string))).toBe('FwctlTypeError');
    expect(errName(() => b.open('/dev/null\0x'))).toBe('FwctlTypeError');
    expect(b.open('/dev/null')).toBe(ENOTTY); // the type query fails: not a fwctl device, fd closed
    await expect(b.openAsync(0, '/dev/null')).resolves.toBe(ENOTTY);
    await expect(b.openAsync(0, '/nonexistent')).resolves.toBe(ENOENT);
  });

  test('argument errors: built by the factory binding() registers (FwctlError subclasses, ERR_FWCTL_* codes); in an environment without one, a TypeError / RangeError carrying the code', () => {
    const r = runNode(`
      const { Worker } = require('node:worker_threads');
      const { FwctlError, FwctlTypeError, FwctlRangeError } = require(${JSON.stringify(ERRORS)});
      const shape = (f) => { try { f(); return 'no error'; } catch (e) {
        return [e instanceof FwctlError, e instanceof FwctlTypeError, e instanceof FwctlRangeError, e.name, e.code]; } };
      const h = open();
      const registered = [shape(() => b.open(42)), shape(() => h.rpcSync(0, new Uint8Array(2 * 1024 * 1024 + 1), new Uint8Array(1)))];
      // A worker is another environment: the addon's exports there have no factory until one is registered.
      const w = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const raw = require(\${JSON.stringify(require.resolve(${JSON.stringify(ADDON)}))});
        const shape = (f) => { try { f(); return 'no error'; } catch (e) {
          return [e instanceof TypeError, e instanceof RangeError, e.name, e.code, e.message]; } };
        const before = [shape(() => raw.open(42)), shape(() => raw.setErrorFactory(1))];
        raw.setErrorFactory((range, m) => Object.assign(new Error(m), { code: range ? 'R' : 'T' }));
        parentPort.postMessage([before, shape(() => raw.open(42))]);
      \`, { eval: true });
      w.on('message', (m) => { out(registered, m); w.terminate(); });
    `, { env: withShim() });
    expect(r.stderr).toBe('');
    const [registered, [before, after]] = lastJson(r.stdout);
    expect(registered).toEqual([[true, true, false, 'FwctlTypeError', 'ERR_FWCTL_INVALID_ARG_TYPE'],
      [true, false, true, 'FwctlRangeError', 'ERR_FWCTL_OUT_OF_RANGE']]);
    expect(before).toEqual([[true, false, 'TypeError', 'ERR_FWCTL_INVALID_ARG_TYPE', 'path must be a string'],
      [true, false, 'TypeError', 'ERR_FWCTL_INVALID_ARG_TYPE', 'the error factory must be a function']]);
    expect(after).toEqual([false, false, 'Error', 'T', 'path must be a string']);
  });

  test('the pointer guards are set once per process (at load)', () => {
    expect(errName(() => b.setPointerGuards(new Uint32Array(8)))).toBe('FwctlTypeError');
  });
});

describe('handle (shim)', () => {
  test('type, fd, fstat, info, close; a closed handle answers EBADF', () => {
    const r = runNode(`(async () => {
      const h = open(); const fd = h.fd;
      const data = new Uint8Array(16);
      const n = h.infoSync(data);
      const [an, abuf] = await h.info(0, 4);
      const st = h.fstat();
      const closed = h.close();
      out(h.type, fd >= 0, st[0] & 0o170000, st.slice(1), n, Array.from(data.subarray(0, 9)), an, Array.from(abuf), closed, h.fd,
        h.close(), h.rpcSync(0, new Uint8Array(1), new Uint8Array(1)), h.infoSync(data), await h.rpc(0, 0, new Uint8Array(1), 1),
        await h.info(0, 1), await h.closeAsync());
    })();`, { env: withShim(0, { SHIM_TYPE: '4' }) });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([4, true, 0o020000, [1, 3], 8, [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0], 8,
      [0xa0, 0xa1, 0xa2, 0xa3], 0, -1, -9, -9, -9, -9, -9, -9]);
  });

  test('argument checking: one helper for sync and async, before any syscall', () => {
    const r = runNode(`
      const h = open();
      const S = (...w) => new Uint32Array(w);
      const req = new Uint8Array(48), resp = new Uint8Array(8), x = new Uint8Array(16);
      const s = (...a) => err(() => h.rpcSync(...a));
      const as = (...a) => err(() => h.rpc(0, ...a));
      out(
        s('0', req, resp), s(-1, req, resp), s(0, 'x', resp), s(0, req, new ArrayBuffer(4)), s(0, new Uint8Array(2 * 1024 * 1024 + 1), resp),
        s(0, req, resp, new Uint8Array(6), x), s(0, req, resp, S(16, 24, 4, 1, 0, 1)), s(0, req, resp, undefined, x),
        s(0, req, resp, S(41, 24, 4, 1, 0, 1), x), s(0, req, resp, S(16, 0xffff, 0xffff, 1, 0, 1), x),
        s(0, req, resp, S(16, 0, 0, 1, 0, 1), x), s(0, req, resp, S(16, 24, 3, 1, 0, 1), x), s(0, req, resp, S(16, 46, 4, 1, 0, 1), x),
        s(0, req, resp, S(16, 24, 4, 3, 0, 1), x), s(0, req, resp, S(16, 24, 2, 1, 0, 1), new Uint8Array(70000)),
        s(0, req, resp, S(16, 0, 0, 1, 64, 2), x), s(0, req, resp, S(16, 20, 4, 1, 0, 1), x), s(0, req, resp, S(16, 24, 4, 1, 0, 4), x),
        s(0, req, resp, new Uint32Array(42), ...Array.from({ length: 7 }, () => x)),
        as(0, req, 3 * 1024 * 1024), as(0, req, -1), as(0, req, 8, S(16, 24, 4, 1, 64, 2), x), h.inFlight);
    `, { env: withShim() });
    expect(r.stderr).toBe('');
    const msgs = lastJson(r.stdout) as string[];
    const kinds = msgs.slice(0, -1).map((m) => m.split(':')[0]);
    expect(kinds).toEqual(['FwctlTypeError', 'FwctlTypeError', 'FwctlTypeError', 'FwctlTypeError', 'FwctlRangeError', 'FwctlTypeError', 'FwctlTypeError', 'FwctlTypeError',
      'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError',
      'FwctlRangeError', 'FwctlRangeError', 'FwctlRangeError', 'FwctlTypeError', 'FwctlRangeError']);
    expect(msgs[9]).toMatch(/no known length field/);
    expect(msgs[10]).toMatch(/needs its length/);
    expect(msgs[13]).toMatch(/not a multiple of the length unit 3/);
    expect(msgs[14]).toMatch(/does not fit its length field/);
    expect(msgs[15]).toMatch(/always transfers 64 bytes, the buffer has 16/);
    expect(msgs[16]).toMatch(/overlap/);
    expect(msgs.at(-1)).toBe(0 as unknown as string); // nothing submitted
  });

  test('in_len/out_len come from the native views: a spoofed byteLength changes nothing', () => {
    const r = runNode(`(async () => {
      const h = open();
      const req = Buffer.from('0123456789abcdef');
      Object.defineProperty(req, 'byteLength', { value: 8192 });
      Object.defineProperty(req, 'length', { value: 8192 });
      const resp = new Uint8Array(64);
      Object.defineProperty(resp, 'byteLength', { value: 1 << 20 });
      const n = h.rpcSync(0, req, resp);
      const [an, abuf] = await h.rpc(0, 0, req, 64);
      out(n, Buffer.from(resp.subarray(0, 16)).toString(), Array.from(resp.subarray(16)).every((x) => x === 0), an, abuf.toString(), abuf.buffer.byteLength);
    })();`, { env: withShim() });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([16, '0123456789abcdef', true, 16, '0123456789abcdef', 16]);
  });
});

describe('attachments (shim nested op)', () => {
  // NEST request: in ptr @16, in len u32 @24, out ptr @32, out len u32 @40.
  const nest = `const nest = (inLen, outLen) => { const r = new Uint8Array(48); r.set(Buffer.from('NEST'));
      const v = new DataView(r.buffer); v.setUint32(24, inLen, true); v.setUint32(40, outLen, true); return r; };
    const S = (...w) => new Uint32Array(w);
    const spec = S(16, 24, 4, 1, 0, 1, 32, 40, 4, 1, 0, 2);`;

  test('a length field claiming 1 MiB with a 16-byte buffer: the addon writes 16, nothing outside is touched (sync and async)', () => {
    const r = runNode(`${nest} (async () => {
      const h = open();
      const big = new Uint8Array(64).fill(0x55); const outb = big.subarray(24, 40);
      const inb = Buffer.from('payload-bytes!!!');
      const req = nest(1 << 20, 1 << 20);
      const n = h.rpcSync(0, req, new Uint8Array(48), spec, inb, outb);
      const sync = [n, Buffer.from(outb).toString(), big.subarray(0, 24).every((x) => x === 0x55), big.subarray(40).every((x) => x === 0x55),
        new DataView(req.buffer).getUint32(40, true)];
      const big2 = new Uint8Array(64).fill(0x55); const out2 = big2.subarray(24, 40);
      const [an, , lost] = await h.rpc(0, 0, req, 48, spec, inb, out2);
      out(sync, an, lost, Buffer.from(out2).toString(), big2.subarray(0, 24).every((x) => x === 0x55), big2.subarray(40).every((x) => x === 0x55));
    })();`, { env: withShim() });
    expect(r.stderr).toBe('');
    // The caller's request still says 1 MiB: the addon patched a private copy.
    expect(lastJson(r.stdout)).toEqual([[48, 'payload-bytes!!!', true, true, 1 << 20], 48, -1, 'payload-bytes!!!', true, true]);
  });

  test('two buffers may share one length field (as bnxt\'s PORT_QSTATS_EXT_PFC_ADV does) only when they need the same value', () => {
    const r = runNode(`${nest}
      const h = open();
      const shared = S(16, 24, 4, 1, 0, 1, 32, 24, 4, 1, 0, 2);
      const req = nest(0, 0);
      const resp = new Uint8Array(48);
      const ok = h.rpcSync(0, req, resp, shared, Buffer.alloc(8, 1), new Uint8Array(8));
      const bad = err(() => h.rpcSync(0, req, resp, shared, Buffer.alloc(8, 1), new Uint8Array(12)));
      out(ok, new DataView(resp.buffer).getUint32(24, true), bad);`, { env: withShim() });
    expect(r.stderr).toBe('');
    const [ok, len, bad] = lastJson(r.stdout);
    expect([ok, len]).toEqual([48, 8]);
    expect(bad).toMatch(/^FwctlRangeError: two attachments share the length field at offset 24/);
  });

  test('async: an out buffer detached or shrunk in flight loses its output, corrupts nothing', () => {
    const r = runNode(`${nest} (async () => {
      const h = open();
      const inb = Buffer.alloc(16, 7);
      const ab = new ArrayBuffer(16, { maxByteLength: 16 });
      const o1 = new Uint8Array(ab);
      const p1 = h.rpc(0, 0, nest(0, 0), 48, spec, inb, o1);
      structuredClone(ab, { transfer: [ab] });
      const rab = new ArrayBuffer(16, { maxByteLength: 16 }); const o2 = new Uint8Array(rab);
      const p2 = h.rpc(0, 0, nest(0, 0), 48, spec, inb, o2);
      rab.resize(4);
      const fill = Array.from({ length: 2000 }, () => Buffer.alloc(16, 0x33));
      const [r1, r2] = await Promise.all([p1, p2]);
      out(r1[2], r2[2], o1.byteLength, Array.from(o2), fill.every((f) => f.every((x) => x === 0x33)));
    })();`, { env: withShim(200) });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([1, 1, 0, [0, 0, 0, 0], true]);
  });

  test('pds devices: raw pointers refused; the length comes from the driver table', () => {
    const r = runNode(`(async () => {
      const h = open();
      const req = new Uint8Array(48); const v = new DataView(req.buffer);
      v.setBigUint64(16, 0x7fff0000n, true);
      const raw = err(() => h.rpcSync(1, req, new Uint8Array(48)));
      const rawAsync = err(() => h.rpc(0, 1, req, 48));
      v.setBigUint64(16, 0n, true); v.setUint32(12, 1 << 20, true); v.setUint32(36, 1 << 20, true);
      const S = (...w) => new Uint32Array(w);
      const inb = Buffer.from('abc'), outb = new Uint8Array(5);
      const resp = new Uint8Array(48);
      const n = h.rpcSync(1, req, resp, S(16, 0, 0xffff, 1, 0, 1, 40, 0, 0xffff, 1, 0, 2), inb, outb);
      const rv = new DataView(resp.buffer);
      const wrongLen = err(() => h.rpcSync(1, req, resp, S(16, 8, 4, 1, 0, 1), inb));
      const notAPointer = err(() => h.rpcSync(1, req, resp, S(0, 0, 0xffff, 1, 0, 1), inb));
      const wrongDir = err(() => h.rpcSync(1, req, resp, S(40, 0, 0xffff, 1, 0, 1), inb));
      out(raw, rawAsync, n, rv.getUint32(12, true), rv.getUint32(36, true), rv.getBigUint64(16, true) !== 0n, wrongLen, notAPointer, wrongDir, h.inFlight);
    })();`, { env: withShim(0, { SHIM_TYPE: '4' }) });
    expect(r.stderr).toBe('');
    const [raw, rawAsync, n, inLen, outLen, patched, wrongLen, notAPointer, wrongDir, inFlight] = lastJson(r.stdout);
    expect(raw).toMatch(/^FwctlRangeError: request holds a raw user pointer at offset 16/);
    expect(rawAsync).toMatch(/^FwctlRangeError: request holds a raw user pointer/);
    expect([n, inLen, outLen, patched]).toEqual([48, 3, 5, true]); // the echo shows the request the "driver" got
    expect(wrongLen).toMatch(/^FwctlRangeError: .*as the driver reads it \(offset 12\)/);
    expect(notAPointer).toMatch(/^FwctlRangeError: .*reads no pointer there/);
    expect(wrongDir).toMatch(/^FwctlRangeError: .*direction/);
    expect(inFlight).toBe(0);
  });
});

describe('caller buffers (shim)', () => {
  test('a prepared RPC over ordinary Buffers allocates nothing: no collection and a flat heap over 100,000 calls (an allocating loop, measured alike, collects)', () => {
    const r = runNode(`
      const { Device } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/device'))});
      const d = new Device(open(), '/dev/null');
      const req = Buffer.alloc(64, 7), resp = Buffer.alloc(48);
      const p = d.prepareRpc(req, { scope: 0, responseBuffer: resp });
      let length = 0;
      const loop = (n) => { for (let i = 0; i < n; i++) length = p.callSync(); };
      // Warm-up: the same loop, so the measured one is already optimised (an
      // OSR compile installs ~0.9 MB of code and may collect).
      loop(20000); loop(100000);
      const w = gcWindow();
      gc(); gc();
      const t0 = performance.now(), before = process.memoryUsage().heapUsed;
      loop(100000);
      const grew = process.memoryUsage().heapUsed - before, t1 = performance.now();
      // The counter's own check: calls that allocate a result and a response per call.
      const opts = { scope: 0, responseLength: 48 };
      const t2 = performance.now();
      for (let i = 0; i < 100000; i++) d.rpcSync(req, opts);
      const t3 = performance.now();
      Promise.all([w.count(t0, t1), w.count(t2, t3)]).then(([gcs, allocating]) => { w.stop(); out(gcs, allocating, grew, length, resp[0]); });
    `, { env: withShim(), args: ['--expose-gc'], timeout: 90000 });
    expect(r.stderr).toBe('');
    const [gcs, allocating, grew, length, first] = lastJson(r.stdout);
    expect([length, first]).toEqual([64, 7]); // the shim's driver reports in_len
    // A per-call allocation of even 16 bytes would be 1.6 MB over 100,000
    // calls: young-generation scavenges, as the allocating loop shows.
    expect(allocating).toBeGreaterThan(0);
    expect(gcs).toBe(0);
    // The heap moves by a few hundred KB either way with V8's own activity
    // (seen: -120 KB .. +150 KB); 16 bytes per call would be +1.6 MB.
    expect(grew).toBeLessThan(512 * 1024);
  });
});

describe('allocBuffer memory and bound calls (shim)', () => {
  test('allocBuffer: zeroed, 1 byte to 2 MiB, else RangeError', () => {
    const ab = b.allocBuffer!(4096) as ArrayBuffer;
    // jest's code runs in a vm context: the addon's ArrayBuffer is the main realm's.
    expect(Object.prototype.toString.call(ab)).toBe('[object ArrayBuffer]');
    expect(ab.byteLength).toBe(4096);
    expect(new Uint8Array(ab).every((x) => x === 0)).toBe(true);
    expect(errName(() => b.allocBuffer!(0))).toBe('FwctlRangeError');
    expect(errName(() => b.allocBuffer!(2 * 1024 * 1024 + 1))).toBe('FwctlRangeError');
    expect(errName(() => b.allocBuffer!(-1))).toBe('FwctlTypeError');
    expect(b.allocBuffer!(2 * 1024 * 1024)).toHaveProperty('byteLength', 2 * 1024 * 1024);
  });

  test('bindRpc/bindInfo bind only allocBuffer memory; a transferred buffer refuses the call; freed with the buffers and the calls', () => {
    const r = runNode(`(async () => {
      const alloc = (n) => Buffer.from(b.allocBuffer(n));
      const base = b.regionStats().regions;
      const h = open();
      let req = alloc(64).fill(7), resp = alloc(48);
      const plainReq = h.bindRpc(0, Buffer.alloc(64), resp), plainResp = h.bindRpc(0, req, new Uint8Array(48));
      let f = h.bindRpc(0, req, resp);
      const n1 = f(), got1 = resp.every((x) => x === 7);
      // Parts of regions bind too (checked against the region's bounds).
      let sub = h.bindRpc(0, req.subarray(16), resp.subarray(40));
      const n2 = sub();
      const badArgs = err(() => h.bindRpc(0, req)), tooBig = err(() => h.bindRpc(0, req, new Uint8Array(3 << 20)));
      // Node >= 22: ArrayBuffer.prototype.transfer() detaches the buffers JS
      // holds and moves their memory to new owners: the bound call refuses
      // (ERR_FWCTL_INVALID_ARG_VALUE) and writes nothing there.
      // (In a function of its own: the new owners must become garbage.)
      const transferAway = () => {
        const t1 = req.buffer.transfer(), t2 = resp.buffer.transfer();
        let m = [req.byteLength, resp.byteLength, t1.byteLength, t2.byteLength].join(',');
        new Uint8Array(t1).fill(9);
        new Uint8Array(t2).fill(0); // the earlier call echoed 7s into it
        const a = err(() => f());
        if (!new Uint8Array(t2).every((x) => x === 0)) m += ' written';
        return [m, a];
      };
      const [moved, after] = ArrayBuffer.prototype.transfer ? transferAway() : ['n/a', -1];
      // The transferred ArrayBuffers are garbage now; f still holds the two
      // (detached) allocBuffer ArrayBuffers, and refuses.
      for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setImmediate(r)); }
      const held = [b.regionStats().regions - base, ArrayBuffer.prototype.transfer ? err(() => f()) : f()];
      let fi = h.bindInfo(alloc(16));
      const info = fi();
      const g = h.bindRpc(0, alloc(8), alloc(8));
      h.close();
      const closed = g();
      const live = b.regionStats().regions - base;
      f = sub = fi = null; req = resp = null;
      for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setImmediate(r)); }
      // g (still referenced) keeps its two regions; everything else is gone.
      const left = b.regionStats().regions - base;
      out(plainReq, plainResp, n1, got1, n2, badArgs, tooBig, moved, after, info, closed, live, left, typeof g, held);
    })();`, { env: withShim(), args: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    const [plainReq, plainResp, n1, got1, n2, badArgs, tooBig, moved, after, info, closed, live, left, g, held] = lastJson(r.stdout);
    expect([plainReq, plainResp]).toEqual([null, null]);
    expect([n1, got1, n2]).toEqual([64, true, 48]); // the shim reports in_len and echoes min(in, out)
    expect(badArgs).toMatch(/^FwctlTypeError: expected \(scope, request, response\)/);
    expect(tooBig).toMatch(/^FwctlRangeError: .*2 MiB/);
    if (moved !== 'n/a') {
      expect(moved).toBe('0,0,64,48');
      expect(after).toMatch(/^FwctlTypeError: a buffer of this prepared call was detached/);
    }
    expect(info).toBe(8);
    expect(closed).toBe(-9); // -EBADF: the fd is never used after close (its number may be reused)
    expect(live).toBe(5); // req, resp, the info buffer and g's two
    expect(held).toEqual([2, moved === 'n/a' ? 64 : expect.stringMatching(/^FwctlTypeError: a buffer of this prepared call was detached/)]);
    expect(left).toBe(2);
    expect(g).toBe('function');
  });

  test('pds device: a bound request is checked for raw pointers at every call, not only at bind', () => {
    const r = runNode(`
      const h = open();
      const req = Buffer.from(b.allocBuffer(48)), resp = Buffer.from(b.allocBuffer(48));
      const f = h.bindRpc(1, req, resp);
      const ok = f();
      req.writeBigUInt64LE(0x7fff0000n, 16);
      const raw = err(() => f());
      req.writeBigUInt64LE(0n, 16);
      out(ok, raw, f());
    `, { env: withShim(0, { SHIM_TYPE: '4' }) });
    expect(r.stderr).toBe('');
    const [ok, raw, again] = lastJson(r.stdout);
    expect(ok).toBe(48);
    expect(raw).toMatch(/^FwctlRangeError: request holds a raw user pointer at offset 16/);
    expect(again).toBe(48);
  });

  test('pds device: a request that ends inside a pointer field is refused, sync, async and bound', () => {
    const r = runNode(`(async () => {
      const h = open();
      const short = Buffer.alloc(44), resp = new Uint8Array(48); // out.payload is bytes 40..47
      const sync = err(() => h.rpcSync(0, short, resp));
      let async;
      try { await h.rpc(0, 0, short, 48); async = 'no error'; } catch (e) { async = e.name + ': ' + e.message; }
      const req = Buffer.from(b.allocBuffer(44)), resp2 = Buffer.from(b.allocBuffer(48));
      const bound = err(() => h.bindRpc(0, req, resp2)());
      const whole = h.rpcSync(0, Buffer.alloc(40), resp); // ends before the field: not in this request
      out(sync, async, bound, whole);
    })();`, { env: withShim(0, { SHIM_TYPE: '4' }) });
    expect(r.stderr).toBe('');
    const [sync, async, bound, whole] = lastJson(r.stdout);
    for (const e of [sync, async, bound]) expect(e).toMatch(/^FwctlRangeError: the request ends inside the pointer field at offset 40/);
    expect(whole).toBe(40);
  });

  test('Device: prepared calls over allocBuffer memory bind once, allocate nothing, and refuse after close; rpcSync()/infoSync() over it bind nothing', () => {
    const r = runNode(`
      const fwctl = require(${JSON.stringify(path.resolve(__dirname, '../../lib/index'))});
      const h = open();
      // Count the bindings the Device asks the addon for.
      let binds = 0;
      // (defineProperty: the prototype's methods are read-only, an assignment would be ignored)
      for (const k of ['bindRpc', 'bindInfo']) { const f = h[k]; Object.defineProperty(h, k, { value: (...a) => { binds++; return f.apply(h, a); } }); }
      const d = new fwctl.Device(h, '/dev/null');
      const req = fwctl.allocBuffer(64).fill(3), resp = fwctl.allocBuffer(48), data2 = fwctl.allocBuffer(16);
      const p = d.prepareRpc(req, { scope: 0, responseBuffer: resp });
      const pi = d.prepareInfo(fwctl.allocBuffer(16));
      // A second prepared pair: a caller alternating between two finds each bound.
      const p2 = d.prepareRpc(req, { scope: 0, responseBuffer: fwctl.allocBuffer(48) }), pi2 = d.prepareInfo(fwctl.allocBuffer(16));
      const after2 = b.regionStats().regions, binds2 = binds;
      const loop = (n) => { for (let i = 0; i < n; i++) { p.callSync(); pi.callSync(); p2.callSync(); pi2.callSync(); } };
      loop(20000); // warm-up: the same function, so the measured call runs optimised code
      const w = gcWindow();
      gc(); gc();
      const t0 = performance.now();
      loop(60000);
      const t1 = performance.now();
      const same = b.regionStats().regions === after2 && binds === binds2; // no buffer and no binding per call
      // The plain forms over the same memory: no binding made, same answers.
      const o = { scope: 0, responseBuffer: resp };
      const vals = [p.callSync(), pi.callSync(), d.rpcSync(req, o).length, d.rpcSync(req, o).response === resp, resp[47], d.infoSync({ data: data2 }).data.byteLength];
      const plainBound = binds - binds2;
      d.close();
      const e = (f) => { try { f(); return 'no error'; } catch (x) { return x.code; } };
      w.count(t0, t1).then((gcs) => { w.stop(); out(gcs, same, binds2, plainBound, vals, e(() => p.callSync()), e(() => pi.callSync()), e(() => d.rpcSync(req, o)), e(() => d.infoSync())); });
    `, { env: withShim(), args: ['--expose-gc'], timeout: 90000 });
    expect(r.stderr).toBe('');
    const [gcs, same, bound, plainBound, vals, ...closed] = lastJson(r.stdout);
    expect(vals).toEqual([64, 8, 64, true, 3, 8]);
    expect(gcs).toBe(0); // 240,000 calls: not one collection
    expect(same).toBe(true); // no region bound per call
    expect(bound).toBe(4); // each prepared call bound once, when prepared
    expect(plainBound).toBe(0); // rpcSync()/infoSync() bind nothing
    expect(closed).toEqual(Array(4).fill('ERR_FWCTL_CLOSED'));
  });

  test('the removed options are refused by name', () => {
    const r = runNode(`
      const fwctl = require(${JSON.stringify(path.resolve(__dirname, '../../lib/index'))});
      const d = new fwctl.Device(open(), '/dev/null');
      const e = (f) => { try { f(); return 'no error'; } catch (x) { return x.code + ': ' + x.message; } };
      const req = Buffer.alloc(64);
      out(e(() => d.rpcSync(req, { scope: 0, responseLength: 48, result: {} })), e(() => d.infoSync({ data: Buffer.alloc(16), decode: false })),
        e(() => d.infoSync({ result: {} })), typeof d.rpcSyncInto, typeof d.infoSyncInto);
    `, { env: withShim() });
    expect(r.stderr).toBe('');
    const [rpcResult, infoDecode, infoResult, into, infoInto] = lastJson(r.stdout);
    expect(rpcResult).toMatch(/^ERR_FWCTL_INVALID_ARG_VALUE: options\.result was removed in 0\.2: pass responseBuffer/);
    expect(infoDecode).toMatch(/^ERR_FWCTL_INVALID_ARG_VALUE: options\.decode was removed in 0\.2/);
    expect(infoResult).toMatch(/^ERR_FWCTL_INVALID_ARG_VALUE: options\.result was removed in 0\.2/);
    expect([into, infoInto]).toEqual(['undefined', 'undefined']);
  });
});

describe('async lifetimes (shim)', () => {
  test('the loop stays alive while a call is in flight; an abandoned call does not hold it', () => {
    const t0 = Date.now();
    const r = runNode(`const h = open(); h.rpc(0, 0, new Uint8Array(4), 4).then((x) => out('done', x[0], h.inFlight));`, { env: withShim(300) });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual(['done', 4, 0]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    const t1 = Date.now();
    const a = runNode(`const h = open(); h.rpc(7, 0, new Uint8Array(4), 4).then(() => out('late'));
      out('abandoned', b.abandon(7), b.abandon(8));`, { env: withShim(3000) });
    expect(a.stderr).toBe('');
    expect(lastJson(a.stdout)).toEqual(['abandoned', true, false]);
    expect(Date.now() - t1).toBeLessThan(2500);
  });

  test('close with calls in flight: the fd closes when the last one returns (on the pool)', () => {
    const r = runNode(`(async () => {
      const fs = require('fs'); const h = open(); const fd = h.fd;
      const ps = [1, 2, 3].map(() => h.rpc(0, 0, new Uint8Array(4), 4));
      const c = h.close();
      const during = fs.readlinkSync('/proc/self/fd/' + fd);
      const rs = await Promise.all(ps);
      let after; try { after = fs.readlinkSync('/proc/self/fd/' + fd); } catch { after = 'closed'; }
      out(c, during, rs.map((x) => x[0]), after, h.close());
    })();`, { env: withShim(200) });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([0, '/dev/null', [4, 4, 4], 'closed', -9]);
  });

  test('openAsync, closeAsync and the GC finaliser run open/close on the pool ("fwctl-pool" threads)', () => {
    const r = runNode(`(async () => {
      const fs = require('fs');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const before = count();
      const [h] = await b.openAsync(0, '/dev/null');
      const names = fs.readdirSync('/proc/self/task').map((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); } catch { return ''; } });
      const c = await h.closeAsync();
      (function () { for (let i = 0; i < 100; i++) open(); })();
      for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
      out(h.type, names.includes('fwctl-pool'), c, count() - before <= 2);
    })();`, { env: withShim(), args: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([0xfff0, true, 0, true]);
  });

  test('worker.terminate() with calls in the "kernel" does not wait for them', () => {
    const r = runNode(`const { Worker } = require('worker_threads');
      const code = 'const { parentPort } = require("worker_threads"); require(${JSON.stringify(BUILTIN)}); const b = require(${JSON.stringify(BINDING)}).binding();' +
        'const h = b.open("/dev/null")[0]; for (let i = 0; i < 4; i++) h.rpc(0, 0, new Uint8Array(16).fill(i), 16); parentPort.postMessage("submitted");';
      (async () => {
        const w = new Worker(code, { eval: true });
        await new Promise((r) => w.once('message', r));
        const t0 = Date.now(); await w.terminate(); const waited = Date.now() - t0;
        const h = open(); const [n] = await h.rpc(0, 0, new Uint8Array(3), 3);
        out(waited < 1500, n, b.poolStats().queued);
      })();`, { env: withShim(3000), timeout: 20000 });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([true, 3, 0]);
  });

  test('the addon is never unmapped (a worker that loaded it dlclose()s it at exit, pool threads run its code)', () => {
    if (!fs.existsSync(ADDON)) return; // loaded from prebuilds/: pack-test checks that build
    expect(execFileSync('readelf', ['-d', ADDON], { encoding: 'utf8' })).toMatch(/FLAGS_1.*NODELETE/);
  });

  test('the benchmark floor is not in the shipped addon: no rpcNoop/bindNoop on a handle, none in the .node file', () => {
    const r = runNode(`const h = open(); out('rpcNoop' in h, 'bindNoop' in h, Object.getOwnPropertyNames(h).sort());`, { env: withShim() });
    expect(r.stderr).toBe('');
    expect(lastJson(r.stdout)).toEqual([false, false, ['info', 'infoSync', 'rpc', 'rpcSync']]);
    if (!fs.existsSync(ADDON)) return; // loaded from prebuilds/: pack-test scans those
    const { benchStrings } = require(path.resolve(__dirname, '../../../scripts/check-addon.js'));
    expect(benchStrings(ADDON)).toEqual([]);
  });

  test.each([1, 2, 3])('process.exit() with a worker\'s call in the "kernel" exits at once (run %i; only the worker loads the addon)', () => {
    const t0 = Date.now();
    const code = `const { Worker } = require('worker_threads');
      const w = new Worker('const { parentPort } = require("worker_threads"); require(${JSON.stringify(BUILTIN)}); const b = require(${JSON.stringify(BINDING)}).binding();' +
        'const h = b.open("/dev/null")[0]; h.rpc(0, 0, new Uint8Array(4), 4); setTimeout(() => parentPort.postMessage("in"), 100);', { eval: true });
      w.once('message', () => process.exit(3));`;
    const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...withShim(5000) }, encoding: 'utf8', timeout: 20000 });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 3, signal: null, stderr: '' });
    expect(Date.now() - t0).toBeLessThan(4000);
  });
});
