// The addon owns memory safety: against the real fwctl core and the mock
// driver's NESTED (pds-like) and DMA (bnxt-like) ops, which trust the
// lengths in the request exactly as the in-tree drivers do. Every case here
// failed on the code before the addon checked lengths itself (SIGSEGV,
// heap bytes sent to the driver, or a hang).
import { spawnSync } from 'node:child_process';
import * as fwctl from '../../../lib';
import * as emu from '../emu/emu';
import * as mock from '../mock/protocol';

const libPath = require.resolve('../../../lib');
const protocolPath = require.resolve('../mock/protocol');
const cfg = { scope: fwctl.Scope.Configuration, responseLength: 64 };
/**
 * How long a process may take to end once it has nothing left but a call
 * in the kernel: about a second in the emulated guest; node's own exit under
 * ASan (FWCTL_SANITIZED) takes longer. Both far below the calls' 8 s.
 */
const EXIT_MS = process.env.FWCTL_SANITIZED === '1' ? 4000 : 1500;
const le = 'le' as const;
const nestedAttach = (inb: Uint8Array, outb: Uint8Array): fwctl.RpcAttachment[] => [
  { at: mock.NESTED.inPtr, buffer: inb, direction: 'in', length: { at: mock.NESTED.inLen, width: 4, endian: le } },
  { at: mock.NESTED.outPtr, buffer: outb, direction: 'out', length: { at: mock.NESTED.outLen, width: 4, endian: le } },
];

let m: mock.MockDevice;
let d: fwctl.Device;
beforeAll(() => {
  m = mock.add();
  d = fwctl.openSync(m.name);
});
afterAll(() => {
  d.closeSync();
  mock.del(m.name);
});

/** The driver's per-fd RPC counter: proves whether a call reached the kernel. */
function rpcCount(dev: fwctl.Device): number {
  return dev.rpcSync(mock.request(mock.Op.Scope), cfg).response.readUInt32LE(8);
}

/** A 16-byte window inside a canary-filled buffer. */
function window(size = 16) {
  const whole = new Uint8Array(size + 64).fill(0xa5);
  const win = whole.subarray(32, 32 + size);
  return { win, intact: () => whole.subarray(0, 32).every((x) => x === 0xa5) && whole.subarray(32 + size).every((x) => x === 0xa5) };
}

describe.each([
  ['rpcSync', async (req: Uint8Array, o: fwctl.RpcOptions) => d.rpcSync(req, o)],
  ['rpc', (req: Uint8Array, o: fwctl.RpcOptions) => d.rpc(req, o)],
])('%s: nested buffers carry their own lengths', (_name, call) => {
  test('a request whose length fields say 1 MiB with 16-byte buffers: the addon writes 16, nothing outside is touched', async () => {
    const inb = Buffer.from('0123456789abcdef');
    const out = window();
    const req = mock.nestedRequest(1 << 20, 1 << 20);
    const r = await call(req, { ...cfg, attach: nestedAttach(inb, out.win) });
    expect(r.response.readUInt32LE(4)).toBe(16); // out_len the driver saw
    expect(r.response.readUInt32LE(0)).toBe([...inb].reduce((a, b) => a + b, 0));
    expect(Buffer.from(out.win).toString()).toBe('0123456789abcdef');
    expect(out.intact()).toBe(true);
    expect(req.readUInt32LE(mock.NESTED.outLen)).toBe(1 << 20); // the caller's bytes are not patched
  });

  test('an attachment without its length is refused before the syscall', async () => {
    const before = rpcCount(d);
    await expect(call(mock.nestedRequest(0, 1 << 20), { ...cfg, attach: [{ at: mock.NESTED.outPtr, buffer: new Uint8Array(16), direction: 'out' }] }))
      .rejects.toThrow(/no known length field/);
    expect(rpcCount(d)).toBe(before + 1);
  });

  test('DMA-like fields: a fixed 64 KiB transfer into 16 bytes is refused; a count of words is written from the buffer', async () => {
    const before = rpcCount(d);
    await expect(call(mock.dmaRequest(0, true), { ...cfg, attach: [{ at: mock.DMA.addr, buffer: new Uint8Array(16), direction: 'out', fixedLength: mock.DMA.fixed }] }))
      .rejects.toThrow(/always transfers 65536 bytes, the buffer has 16/);
    await expect(call(mock.dmaRequest(0x4000), { ...cfg, attach: [{ at: mock.DMA.addr, buffer: new Uint8Array(10), direction: 'out', length: { at: mock.DMA.lenWords, width: 2, unit: 4, endian: le } }] }))
      .rejects.toThrow(/not a multiple of the length unit 4/);
    expect(rpcCount(d)).toBe(before + 1); // neither reached the driver
    const out = window();
    const r = await call(mock.dmaRequest(0x4000), { ...cfg, attach: [{ at: mock.DMA.addr, buffer: out.win, direction: 'out', length: { at: mock.DMA.lenWords, width: 2, unit: 4, endian: le } }] });
    expect(r.response.readUInt32LE(0)).toBe(16);
    expect(Buffer.from(out.win)).toEqual(mock.fillPattern(16));
    expect(out.intact()).toBe(true);
    const big = new Uint8Array(mock.DMA.fixed);
    const f = await call(mock.dmaRequest(0, true), { ...cfg, attach: [{ at: mock.DMA.addr, buffer: big, direction: 'out', fixedLength: mock.DMA.fixed }] });
    expect(f.response.readUInt32LE(0)).toBe(mock.DMA.fixed);
    expect(Buffer.from(big)).toEqual(mock.fillPattern(mock.DMA.fixed));
  });

  test('lengths come from the native views: a spoofed byteLength reaches neither the core nor the driver', async () => {
    const req = mock.request(mock.Op.Echo, 0, Buffer.from('abcd'));
    Object.defineProperty(req, 'byteLength', { value: 8192 });
    Object.defineProperty(req, 'length', { value: 8192 });
    const r = await call(req, cfg);
    expect(r.length).toBe(4); // the driver got in_len 20, not 8192: no neighbouring heap bytes
    expect(r.response.toString()).toBe('abcd');
    const out = window();
    Object.defineProperty(out.win, 'byteLength', { value: 1 << 20 });
    const n = await call(mock.nestedRequest(0, 0), { ...cfg, attach: nestedAttach(new Uint8Array(0), out.win) });
    expect(n.response.readUInt32LE(4)).toBe(16);
    expect(out.intact()).toBe(true);
  });
});

describe('async calls use memory the addon owns', () => {
  test('an out buffer transferred, or its ArrayBuffer shrunk, in flight: output lost (ERR_FWCTL_INVALID_ARG_VALUE), nothing corrupted', async () => {
    const inb = Buffer.alloc(64, 0x11);
    const ab = new ArrayBuffer(64);
    const p1 = d.rpc(mock.nestedRequest(0, 0, 400), { ...cfg, attach: nestedAttach(inb, new Uint8Array(ab)) });
    structuredClone(ab, { transfer: [ab] });
    const rab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer & { resize(n: number): void })(64, { maxByteLength: 64 });
    const p2 = d.rpc(mock.nestedRequest(0, 0, 400), { ...cfg, attach: nestedAttach(inb, new Uint8Array(rab)) });
    rab.resize(8);
    // Refill the heap while the kernel still holds the (private) copies.
    const fill = Array.from({ length: 4000 }, () => Buffer.alloc(64, 0x33));
    const [r1, r2] = await Promise.allSettled([p1, p2]);
    for (const r of [r1, r2]) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/FwctlTypeError: options.attach\[1\].buffer was detached or shrunk while the call was in flight/);
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
    }
    expect(fill.every((f) => f.every((x) => x === 0x33))).toBe(true);
    expect(new Uint8Array(rab)).toEqual(new Uint8Array(8)); // never written
    expect(d.rpcSync(mock.request(mock.Op.Echo, 0, Buffer.from('ok')), cfg).response.toString()).toBe('ok');
  });

  test('the request and options are read once: a getter cannot pass the taint check with one scope and send another', async () => {
    let reads = 0;
    const o = { responseLength: 64, get scope() { return reads++ === 0 ? fwctl.Scope.Configuration : fwctl.Scope.DebugWriteFull; } };
    const r = await d.rpc(mock.request(mock.Op.Scope), o as unknown as fwctl.RpcOptions);
    expect(r.response.readUInt32LE(0)).toBe(fwctl.Scope.Configuration);
    expect(reads).toBe(1);
  });
});

describe('pointer fields of typed devices', () => {
  test('a pds-typed device refuses raw pointers in in.payload / out.payload; attach with the driver table\'s lengths passes', () => {
    const p = mock.add({ type: fwctl.DeviceTypeId.Pds }); // the mock's generic ops under the pds type number
    const dev = fwctl.openSync(p.name);
    try {
      const before = rpcCount(dev);
      const req = mock.request(mock.Op.Echo, 0, Buffer.alloc(32));
      req.writeBigUInt64LE(0x7fff12345678n, 16);
      expect(() => dev.rpcSync(req, cfg)).toThrow(/raw user pointer at offset 16/);
      req.writeBigUInt64LE(0n, 16);
      req.writeBigUInt64LE(0x7fff12345678n, 40);
      expect(() => dev.rpcSync(req, cfg)).toThrow(/raw user pointer at offset 40/);
      expect(rpcCount(dev)).toBe(before + 1);
      req.writeBigUInt64LE(0n, 40);
      // attach without a length: the addon writes in.len/out.len (pds's own fields) from the buffers.
      const r = dev.rpcSync(req, { ...cfg, attach: [{ at: 16, buffer: Buffer.alloc(5), direction: 'in' }, { at: 40, buffer: Buffer.alloc(7), direction: 'out' }] });
      // ECHO answers the request from offset 16 on: both pointers written, out.len (@36) = 7.
      const echoed = Buffer.concat([Buffer.alloc(16), r.response]);
      expect(echoed.readBigUInt64LE(16)).not.toBe(0n);
      expect(echoed.readBigUInt64LE(40)).not.toBe(0n);
      expect(echoed.readUInt32LE(36)).toBe(7);
    } finally {
      dev.closeSync();
      mock.del(p.name);
    }
  });
});

describe('allocBuffer memory: prepared calls bound once in the addon', () => {
  test('FILL into a bound response: the kernel writes min(out_len, region) bytes and nothing else; INFO too', () => {
    const req = fwctl.allocBuffer(mock.HEADER);
    req.set(mock.request(mock.Op.Fill, 100));
    const small = fwctl.allocBuffer(64).fill(0xa5), big = fwctl.allocBuffer(256).fill(0xa5);
    const p1 = d.prepareRpc(req, { ...cfg, responseLength: undefined, responseBuffer: small });
    const p2 = d.prepareRpc(req, { ...cfg, responseLength: undefined, responseBuffer: big });
    const before = rpcCount(d);
    expect(p1.callSync()).toBe(100); // the driver's length: truncated to the region's 64
    expect(Buffer.from(small).equals(mock.fillPattern(100).subarray(0, 64))).toBe(true);
    expect(p2.callSync()).toBe(100);
    expect(Buffer.from(big.subarray(0, 100)).equals(mock.fillPattern(100))).toBe(true);
    expect(big.subarray(100).every((x) => x === 0xa5)).toBe(true);
    // The request's bytes are read at each call: FILL 20 now.
    req.writeUInt32LE(20, 4);
    expect(p2.callSync()).toBe(20);
    expect(rpcCount(d)).toBe(before + 4); // rpcCount's own call, then these three
    const data = fwctl.allocBuffer(m.datalen + 8).fill(0xa5);
    const pi = d.prepareInfo(data);
    expect(pi.callSync()).toBe(m.datalen);
    expect(Buffer.from(data.subarray(0, m.datalen)).equals(mock.infoPattern(m.datalen))).toBe(true);
    expect(data.subarray(m.datalen).every((x) => x === 0)).toBe(true); // the core zero-fills the rest of device_data
  });

  // Node 20 has no ArrayBuffer.prototype.transfer(); postMessage moves are in lending.test.ts.
  const hasTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';
  (hasTransfer ? test : test.skip)('the buffers\' ArrayBuffers transferred away and collected (Node >= 22): the bound call refuses, reaching no driver', async () => {
    const stats = () => (require('../../../lib/binding') as typeof import('../../../lib/binding')).binding().regionStats!().regions;
    const collect = async () => { for (let i = 0; i < 10; i++) { gc!(); await new Promise((r) => setImmediate(r)); } }; // the suite runs with --expose-gc
    await collect(); // earlier tests' garbage allocBuffers go first, so the count below moves only with this test's
    const base = stats();
    let req: Buffer | undefined = fwctl.allocBuffer(mock.HEADER + 32);
    req.set(mock.request(mock.Op.Echo, 0, Buffer.alloc(32, 0x3c)));
    let resp: Buffer | undefined = fwctl.allocBuffer(32);
    const p = d.prepareRpc(req, { scope: fwctl.Scope.Configuration, responseBuffer: resp });
    expect(p.callSync()).toBe(32);
    (req.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer();
    (resp.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer();
    expect([req.byteLength, resp.byteLength]).toEqual([0, 0]);
    req = resp = undefined;
    await collect();
    expect(stats() - base).toBe(2); // the two (detached) allocBuffer ArrayBuffers, held by p
    const before = rpcCount(d);
    expect(() => p.callSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    expect(rpcCount(d)).toBe(before + 1); // rpcCount's own: the refused call reached no driver
  });

  test('caller buffers, plain and prepared: FILL truncated to the response, ordinary and allocBuffer buffers alike; INFO into data', () => {
    // The native paths the removed rpcSyncInto/infoSyncInto took: the plain
    // sync call (rpcSync/infoSync with a caller buffer) and the bound call
    // (prepared over allocBuffer memory); prepared over ordinary memory too.
    const fill = mock.request(mock.Op.Fill, 100);
    const pinnedReq = fwctl.allocBuffer(fill.length);
    pinnedReq.set(fill);
    const S = fwctl.Scope.Configuration;
    for (const [req, out] of [[fill, new Uint8Array(64)], [pinnedReq, fwctl.allocBuffer(64)]] as const) {
      const o = { scope: S, responseBuffer: out };
      const p = d.prepareRpc(req, { scope: S, responseBuffer: out });
      for (const call of [() => d.rpcSync(req, o).length, () => p.callSync()]) {
        for (let i = 0; i < 3; i++) {
          out.fill(0xa5);
          expect(call()).toBe(100);
          expect(Buffer.from(out).equals(mock.fillPattern(100).subarray(0, 64))).toBe(true);
        }
      }
    }
    for (const data of [new Uint8Array(m.datalen + 4), fwctl.allocBuffer(m.datalen + 4)]) {
      const p = d.prepareInfo(data);
      for (const call of [() => d.infoSync({ data }).data.byteLength, () => p.callSync()]) {
        data.fill(0xa5);
        expect(call()).toBe(m.datalen);
        expect(Buffer.from(data.subarray(0, m.datalen)).equals(mock.infoPattern(m.datalen))).toBe(true);
        expect(data.subarray(m.datalen).every((x) => x === 0)).toBe(true);
      }
    }
    expect(() => d.infoSync({ data: new Uint8Array(m.datalen - 1) })).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
    expect(() => d.prepareInfo(fwctl.allocBuffer(m.datalen - 1)).callSync()).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
  });

  test('a pds-typed device: a raw pointer written into a bound request after prepare is refused at the call', () => {
    const t = mock.add({ type: fwctl.DeviceTypeId.Pds });
    const dev = fwctl.openSync(t.name);
    try {
      const req = fwctl.allocBuffer(48);
      req.set(mock.request(mock.Op.Echo, 0, Buffer.alloc(32)));
      const p = dev.prepareRpc(req, { scope: fwctl.Scope.Configuration, responseBuffer: fwctl.allocBuffer(32) });
      const before = rpcCount(dev);
      expect(p.callSync()).toBe(32);
      req.writeBigUInt64LE(0x7fff12345678n, 40);
      expect(() => p.callSync()).toThrow(/raw user pointer at offset 40/);
      expect(rpcCount(dev)).toBe(before + 2); // the first call and rpcCount's own: the refused one never reached the driver
      req.writeBigUInt64LE(0n, 40);
      expect(p.callSync()).toBe(32);
    } finally {
      dev.closeSync();
      mock.del(t.name);
    }
  });

  test('after close a bound call throws ERR_FWCTL_CLOSED and never issues an ioctl on the old fd number', () => {
    const t = mock.add();
    const dev = fwctl.openSync(t.name);
    const p = dev.prepareRpc(fwctl.allocBuffer(mock.HEADER), { scope: fwctl.Scope.Configuration, responseBuffer: fwctl.allocBuffer(16) });
    dev.closeSync();
    // Another open may now reuse the fd number: the bound call must not reach it.
    const other = fwctl.openSync(m.name);
    try {
      const before = rpcCount(other);
      expect(() => p.callSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
      expect(rpcCount(other)).toBe(before + 1);
    } finally {
      other.closeSync();
      mock.del(t.name);
    }
  });
});

describe('pointer fields of the real drivers (bnxt_fwctl, pds_fwctl over the emulated firmware)', () => {
  test('bnxt: a raw DMA address in NVM_READ never reaches the driver; attached, the length comes from the driver\'s table', async () => {
    await using dev = await fwctl.open(emu.device('bnxt').name);
    const { bnxt } = fwctl;
    const e = bnxt.BNXT_COMMAND_TABLE.find((c) => c.name === 'NVM_READ')!;
    const f = e.dma![0];
    const sent = emu.commands('bnxt');
    const req = bnxt.encodeRequest(e.reqType, { length: e.dmaRequestSize });
    req.writeBigUInt64LE(0x7fff00001000n, f.addrOffset);
    req.writeUInt16LE(2, 24); // dir_idx 2, offset 10 (the emulated NVM image)
    req.writeUInt32LE(10, 28);
    req.writeUInt32LE(65536, f.lenOffset!); // a length the buffer below does not have
    const o = { scope: fwctl.Scope.DebugReadOnly, responseLength: 64 };
    expect(() => dev.rpcSync(req, o)).toThrow(/raw user pointer at offset 16/);
    await expect(dev.rpc(req, o)).rejects.toThrow(/raw user pointer at offset 16/);
    expect(emu.commands('bnxt')).toBe(sent); // nothing reached the firmware
    req.writeBigUInt64LE(0n, f.addrOffset);
    const out = window(100);
    const r = await dev.rpc(req, { ...o, attach: [{ at: f.addrOffset, buffer: out.win, direction: 'out' }] });
    expect(bnxt.decodeOutput(r.response).errorCode).toBe(0);
    expect(out.intact()).toBe(true); // the driver bounced 100 bytes (written from the buffer), not 65536
    expect(req.readUInt32LE(f.lenOffset!)).toBe(65536); // the caller's request is not patched
    // A length field the driver does not read is refused: the table says where it is.
    await expect(dev.rpc(req, { ...o, attach: [{ at: f.addrOffset, buffer: out.win, direction: 'out', length: { at: 24, width: 2, endian: le } }] }))
      .rejects.toThrow(/as the driver reads it/);
  }, 120000);

  test('pds: raw in.payload / out.payload pointers are refused; pds.call passes the buffers with their lengths', async () => {
    await using dev = await fwctl.open(emu.device('pds').name);
    const req = Buffer.alloc(48);
    req.writeUInt32LE(0x10001, 0);
    req.writeUInt32LE(1, 4);
    req.writeUInt32LE(1 << 20, 36);
    req.writeBigUInt64LE(0x7fff00002000n, 40);
    expect(() => dev.rpcSync(req, { scope: fwctl.Scope.Configuration, responseLength: 48 })).toThrow(/raw user pointer at offset 40/);
    const r = await fwctl.pds.call(dev, { ep: 1, op: 0x10001, payload: Buffer.from('hello'), responseLength: 5, scope: fwctl.Scope.Configuration });
    expect([r.retval, r.payload.toString()]).toEqual([0, 'hello']);
  }, 120000);
});

describe('abort and timeouts', () => {
  test('AbortSignal.timeout rejects promptly with ABORT_ERR, cause the TimeoutError; the device keeps working', async () => {
    const t = Date.now();
    await expect(d.rpc(mock.request(mock.Op.Sleep, 4000), { ...cfg, signal: AbortSignal.timeout(200) }))
      .rejects.toMatchObject({ code: 'ABORT_ERR', cause: { name: 'TimeoutError' } });
    expect(Date.now() - t).toBeLessThan(3000);
    expect((await d.rpc(mock.request(mock.Op.Echo, 0, Buffer.from('x')), cfg)).response.toString()).toBe('x');
  });

  test('an already-aborted signal never reaches the kernel; abort() gives ABORT_ERR (name AbortError, cause the reason)', async () => {
    const before = rpcCount(d);
    const aborted = { name: 'AbortError', code: 'ABORT_ERR', cause: { name: 'AbortError' } };
    await expect(d.rpc(mock.request(mock.Op.Echo), { ...cfg, signal: AbortSignal.abort() })).rejects.toMatchObject(aborted);
    await expect(d.info({ signal: AbortSignal.abort() })).rejects.toMatchObject(aborted);
    await expect(fwctl.open(m.name, { signal: AbortSignal.abort() })).rejects.toMatchObject(aborted);
    expect(rpcCount(d)).toBe(before + 1);
    const c = new AbortController();
    const p = d.rpc(mock.request(mock.Op.Sleep, 1500), { ...cfg, signal: c.signal });
    c.abort();
    await expect(p).rejects.toMatchObject(aborted);
  });

  function node(code: string, timeout = 150_000) {
    const t = Date.now();
    const r = spawnSync(process.execPath, ['-e', `const fwctl = require(${JSON.stringify(libPath)}); const mock = require(${JSON.stringify(protocolPath)});\n${code}`],
      { encoding: 'utf8', env: { ...process.env, DEV: m.name }, timeout });
    return { ...r, ms: Date.now() - t, end: Date.now() };
  }

  test('a pending aborted call does not keep the process alive', () => {
    const r = node(`const d = fwctl.openSync(process.env.DEV);
      d.rpc(mock.request(mock.Op.Sleep, 8000), { scope: 0, signal: AbortSignal.timeout(100) })
        .catch((e) => console.log(e.cause.name, 'at', Date.now()));`);
    expect(r.stderr).toBe('');
    const [, name, at] = /^(\w+) at (\d+)$/.exec(r.stdout.trim()) ?? [];
    expect(name).toBe('TimeoutError');
    expect(r.status).toBe(0);
    // From the rejection to the process's end: the call still has ~7.9 s to
    // go in the kernel; the process does not wait for it (node's own exit,
    // slow under ASan in an emulated guest, is far below that).
    expect(r.end - Number(at)).toBeLessThan(EXIT_MS);
  }, 180000);

  test.each([
    ['process.exit()', 'process.exit(5)', 5],
    ['an uncaught exception', 'throw new Error("boom")', 1],
  ])('%s with a worker\'s 8-second call in the kernel exits at once', (_what, ending, code) => {
    const r = node(`const { Worker } = require('node:worker_threads');
      const w = new Worker(\`const { parentPort } = require('node:worker_threads');
        const fwctl = require(${JSON.stringify(libPath)}); const mock = require(${JSON.stringify(protocolPath)});
        const d = fwctl.openSync(process.env.DEV);
        d.rpc(mock.request(mock.Op.Sleep, 8000), { scope: 0 });
        setTimeout(() => parentPort.postMessage('in'), 300);\`, { eval: true });
      w.once('message', () => { console.log('exiting at', Date.now()); ${ending}; });`);
    expect({ status: r.status, signal: r.signal, err: r.stderr.split('\n').filter((l) => !/boom|at |^\s*$|throw|\^|Node.js v|^node:internal/.test(l)) })
      .toEqual({ status: code, signal: null, err: [] });
    // From the exit to the process's end: the worker's call has >= 7.7 s to
    // go in the kernel; a teardown that waited for it would take that long.
    const at = Number(/exiting at (\d+)/.exec(r.stdout)?.[1]);
    expect(r.end - at).toBeLessThan(EXIT_MS);
  }, 180_000);
});

describe('async open and close on the addon\'s pool', () => {
  test('open() of a device whose open blocks 2 s in the driver does not block timers', async () => {
    const slow = mock.add({ opendelay: 2000 });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 50);
      const t = Date.now();
      const dev = await fwctl.open(slow.name);
      const ms = Date.now() - t;
      clearInterval(timer);
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ticks).toBeGreaterThanOrEqual(10); // the event loop ran meanwhile
      ticks = 0;
      const closing = setInterval(() => ticks++, 20);
      await dev.close();
      clearInterval(closing);
      expect(dev.closed).toBe(true);
    } finally {
      mock.del(slow.name);
    }
  }, 120000);
});
