// Device logic against a fake native binding and a fake sysfs: argument
// checks happen before any syscall, struct packing, the info size retry,
// truncation, lifecycle. Real ioctl behaviour is the kernel suite's job.

import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import * as path from 'node:path';
import { Device, open, openSync, resolveDevicePath, setBindingForTesting, splitRdev, type RpcOptions } from '../../lib/device';
import { FwctlAbortError, FwctlError, FwctlTypeError, type ArgumentCode } from '../../lib/errors';
import { caught, expectCode } from './helpers/errors';
import { Scope } from '../../lib/uapi/constants';
import { asU8, HOST_LE } from '../../lib/uapi/layout';
import { FakeBinding, FakeHandle, type IoctlCall, type Responder } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const S_IFCHR = fs.constants.S_IFCHR;
const MiB2 = 2 * 1024 * 1024;
const { ENODEV, EACCES } = constants.errno;

// /dev/null is a real character device (1:3) we may open; the fake sysfs
// says which class 1:3 belongs to.
const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, HOST_LE);
const setU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);

let sys: FakeSys;
let fake: FakeBinding;
let responder: Responder;

function fwctlNodeSys(): FakeSys {
  const s = new FakeSys();
  s.addParent('faux/fwctl-mock0', { subsystem: 'faux' });
  s.addFwctl('fwctl0', 'faux/fwctl-mock0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(s.dev, 'fwctl', 'fwctl0'));
  return s;
}

beforeEach(() => {
  sys = fwctlNodeSys();
  responder = () => 0;
  fake = new FakeBinding(() => new FakeHandle((c) => responder(c), [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]));
  setBindingForTesting(fake);
});
afterEach(() => {
  setBindingForTesting(undefined);
  sys.remove();
});

const openFake = () => openSync('fwctl0', sys.roots);
const calls = () => fake.handles.flatMap((h) => h.calls);

describe('resolveDevicePath', () => {
  test('names go under <devRoot>/fwctl, paths stay as given', () => {
    expect(resolveDevicePath('fwctl3', { devRoot: '/d' })).toBe('/d/fwctl/fwctl3');
    expect(resolveDevicePath('/dev/fwctl/fwctl0')).toBe('/dev/fwctl/fwctl0');
    expect(resolveDevicePath('./node')).toBe('./node');
  });
  test.each(['fwctl0/..', 'fwctl/fwctl0', '..', '.', 'a..b', ''])('%j is refused', (bad) => {
    expect(() => resolveDevicePath(bad)).toThrow(FwctlTypeError);
  });
  test('non-strings and NUL bytes are TypeErrors', () => {
    expect(() => resolveDevicePath(3 as unknown as string)).toThrow(FwctlTypeError);
    expect(() => resolveDevicePath('/dev/x\0y')).toThrow(FwctlTypeError);
  });
});

describe('open() refuses non-fwctl nodes without opening them', () => {
  const cases: [string, (p: string) => void][] = [
    ['a regular file', (p) => fs.writeFileSync(p, 'x')],
    ['a directory', (p) => fs.mkdirSync(p)],
    ['a FIFO', (p) => execFileSync('mkfifo', [p])],
    ['a symlink to /dev/zero (a char device of another class)', (p) => fs.symlinkSync('/dev/zero', p)],
  ];
  test.each(cases)('%s', async (_what, make) => {
    const p = path.join(sys.root, 'node');
    make(p);
    expect(() => openSync(p, sys.roots)).toThrow(FwctlError);
    await expect(open(p, sys.roots)).rejects.toMatchObject({ code: 'ENOTTY', syscall: 'open', path: p });
    expect(fake.opened).toEqual([]);
  });

  test('a char device whose class is not fwctl names the class', () => {
    const s = new FakeSys();
    try {
      s.addParent('virtual/mem', {});
      s.addClassDevice('mem', 'null', 'virtual/mem', NULL_DEV.major, NULL_DEV.minor);
      expect(() => openSync('/dev/null', s.roots)).toThrow(/character device 1:3 of class 'mem'/);
      expect(fake.opened).toEqual([]);
    } finally {
      s.remove();
    }
  });

  test('a missing node is ENOENT from open', async () => {
    await expect(open('fwctl77', sys.roots)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(fake.opened).toEqual([]);
  });

  test('the opened fd must be the same char device (fstat), else it is closed and refused', () => {
    fake.next = () => new FakeHandle(() => 0, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor + 1]);
    expect(() => openFake()).toThrow(/changed between stat\(\) and open\(\)/);
    expect(fake.handles[0].closeCount).toBe(1);
    fake.next = () => new FakeHandle(() => 0, [fs.constants.S_IFREG | 0o600, NULL_DEV.major, NULL_DEV.minor]);
    expect(() => openFake()).toThrow(FwctlError);
    expect(fake.handles[1].closeCount).toBe(1);
  });

  test('open errno becomes a FwctlError with the remedy', async () => {
    fake.next = -EACCES;
    await expect(open('fwctl0', sys.roots)).rejects.toMatchObject({ code: 'EACCES', syscall: 'open', message: expect.stringMatching(/udev/) });
  });

  test('a fwctl node opens, and a symlink to it is followed', async () => {
    const d = openFake();
    expect(d).toBeInstanceOf(Device);
    expect(d.path).toBe(path.join(sys.dev, 'fwctl', 'fwctl0'));
    const link = path.join(sys.root, 'link');
    fs.symlinkSync(d.path, link);
    (await open(link, sys.roots)).closeSync();
    expect(fake.opened).toEqual([d.path, link]);
    d.closeSync();
  });
});

describe('rpc() argument checks: before any syscall', () => {
  const req = new Uint8Array(16);
  const bad: [string, unknown, unknown, ArgumentCode][] = [
    ['request not bytes', 'abc', { scope: 0 }, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['request an ArrayBuffer', new ArrayBuffer(4), { scope: 0 }, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['no options', req, undefined, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['scope missing', req, {}, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['scope a string', req, { scope: 'DebugReadOnly' }, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['scope 4', req, { scope: 4 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['scope -1', req, { scope: -1 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['scope 1.5', req, { scope: 1.5 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['responseLength NaN', req, { scope: 0, responseLength: NaN }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['responseLength -1', req, { scope: 0, responseLength: -1 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['responseLength 1.5', req, { scope: 0, responseLength: 1.5 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['responseLength "64"', req, { scope: 0, responseLength: '64' }, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ['responseLength over 2 MiB', req, { scope: 0, responseLength: MiB2 + 1 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['request over 2 MiB', new Uint8Array(MiB2 + 1), { scope: 0 }, 'ERR_FWCTL_OUT_OF_RANGE'],
    ['allowKernelTaint not boolean', req, { scope: 2, allowKernelTaint: 'yes' }, 'ERR_FWCTL_INVALID_ARG_TYPE'],
  ];
  test.each(bad)('%s', async (_what, request, options, code) => {
    const d = openFake();
    expectCode(caught(() => d.rpcSync(request as Uint8Array, options as RpcOptions)), code);
    expectCode(await d.rpc(request as Uint8Array, options as RpcOptions).then(() => undefined, (e: unknown) => e), code);
    expect(calls()).toEqual([]);
  });

  test.each([Scope.DebugWrite, Scope.DebugWriteFull])('scope %i without allowKernelTaint is refused, saying why', async (scope) => {
    const d = openFake();
    for (const opts of [{ scope }, { scope, allowKernelTaint: false }]) {
      let err: FwctlError | undefined;
      try {
        d.rpcSync(req, opts);
      } catch (e) {
        err = e as FwctlError;
      }
      expect(err).toBeInstanceOf(FwctlError);
      expect(err).toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', errno: undefined, syscall: undefined, path: d.path });
      expect(err!.message).toMatch(/taints the kernel.*TAINT_FWCTL.*allowKernelTaint/);
      if (scope === Scope.DebugWriteFull) expect(err!.message).toMatch(/CAP_SYS_RAWIO/);
      await expect(d.rpc(req, opts)).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED' });
    }
    expect(calls()).toEqual([]);
    d.rpcSync(req, { scope, allowKernelTaint: true });
    expect(calls()).toHaveLength(1);
  });

  test('exactly 2 MiB each way is allowed', () => {
    const d = openFake();
    d.rpcSync(new Uint8Array(MiB2), { scope: 0, responseLength: MiB2 });
    expect(calls()).toHaveLength(1);
  });
});

describe('rpc()', () => {
  /** A driver: echoes the request into the response, reports `reported` bytes. */
  const echo = (reported?: number): Responder => (c) => {
    const [req, out] = c.buffers;
    out.set(req.subarray(0, Math.min(req.length, out.length)));
    setU32(c.arg, 12, reported ?? req.length);
    return 0;
  };

  test('packs fwctl_rpc and the in/out patches; the sync path uses the caller\'s buffer', () => {
    responder = echo();
    const d = openFake();
    const req = Buffer.from('hello');
    const res = d.rpcSync(req, { scope: Scope.DebugReadOnly, responseLength: 64 });
    const c = calls()[0];
    expect(c.request).toBe(0x9a01);
    expect(c.async).toBe(false);
    expect(c.patches).toEqual([0, 16, 1, 0, 24, 2]);
    expect([u32(c.arg, 0), u32(c.arg, 4), u32(c.arg, 8)]).toEqual([32, 1, 5]);
    expect(c.buffers[0]).toBe(req);
    expect(c.buffers[1].length).toBeGreaterThanOrEqual(64); // the per-device scratch; out_len says 64
    expect(u32(c.arg, 12)).toBe(5); // written back by the driver
    expect(res).toEqual({ response: Buffer.from('hello'), length: 5, truncated: false });
    expect(Buffer.isBuffer(res.response)).toBe(true);
  });

  test('the sync path hands the addon the caller\'s request and a scratch view of exactly responseLength; the async path its length', async () => {
    responder = echo();
    const d = openFake();
    const r1 = new Uint8Array(4);
    d.rpcSync(r1, { scope: 0, responseLength: 100 });
    d.rpcSync(new Uint8Array(4), { scope: 0, responseLength: 100 });
    const [a, b] = calls();
    expect(a.buffers[0]).toBe(r1); // no copy on the sync path without attachments
    expect(a.buffers[1]).toBe(b.buffers[1]); // the same scratch view, reused
    expect(a.buffers[1].byteLength).toBe(100); // out_len is the view's native length
    const req = Buffer.from([1, 2, 3]);
    const p = d.rpc(req, { scope: 0 });
    req.fill(9); // the caller changes its buffer while the call runs
    const res = await p;
    const c = calls()[2];
    expect(c.async).toBe(true);
    expect(c.buffers[1].byteLength).toBe(4096); // the default responseLength, in memory the addon owns
    expect([...res.response]).toEqual([1, 2, 3]);
  });

  test('truncation: response is what fits, length what the driver reported', async () => {
    responder = echo(1000);
    const d = openFake();
    for (const res of [d.rpcSync(new Uint8Array(200).fill(7), { scope: 0, responseLength: 100 }),
      await d.rpc(new Uint8Array(200).fill(7), { scope: 0, responseLength: 100 })]) {
      expect(res.length).toBe(1000);
      expect(res.truncated).toBe(true);
      expect(res.response.length).toBe(100);
    }
  });

  test('sync responses are copies: a later call does not change an earlier result', () => {
    responder = echo();
    const d = openFake();
    const first = d.rpcSync(Uint8Array.of(1, 1), { scope: 0 });
    d.rpcSync(Uint8Array.of(2, 2), { scope: 0 });
    expect([...first.response]).toEqual([1, 1]);
    const big = d.rpcSync(new Uint8Array(100_000).fill(3), { scope: 0, responseLength: 100_000 });
    expect(big.response.length).toBe(100_000);
    expect(calls()[2].buffers[1].length).toBe(100_000); // above the scratch size: a fresh zeroed buffer
  });

  test('a short response is exactly the reported bytes; the rest is zeroed memory, never exposed', () => {
    responder = (c) => {
      c.buffers[1][0] = 0xab;
      setU32(c.arg, 12, 1);
      return 0;
    };
    const d = openFake();
    const res = d.rpcSync(new Uint8Array(16), { scope: 0, responseLength: 4096 });
    expect([...res.response]).toEqual([0xab]);
    expect(res.truncated).toBe(false);
    expect(calls()[0].buffers[1].every((b, i) => i === 0 || b === 0)).toBe(true);
  });

  test('default responseLength is 4096', () => {
    const d = openFake();
    d.rpcSync(new Uint8Array(1), { scope: 0 });
    expect(u32(calls()[0].arg, 12)).toBe(4096); // out_len as sent (this fake writes nothing back)
    expect(calls()[0].buffers[1].length).toBe(4096);
  });

  test('ioctl errors become FwctlErrors with the path, never retried', async () => {
    responder = () => -ENODEV;
    const d = openFake();
    expect(() => d.rpcSync(new Uint8Array(1), { scope: 0 })).toThrow(expect.objectContaining({
      code: 'ENODEV', errno: -ENODEV, syscall: 'ioctl(FWCTL_RPC)', path: d.path,
    }));
    await expect(d.rpc(new Uint8Array(1), { scope: 0 })).rejects.toMatchObject({ code: 'ENODEV', message: expect.stringMatching(/unplugged/) });
    expect(calls()).toHaveLength(2);
  });
});

describe('info()', () => {
  /** A driver with `data` as device_data and type `type`, as the fwctl core answers. */
  const driver = (type: number, data: Uint8Array): Responder => (c: IoctlCall) => {
    const out = c.buffers[0];
    out.set(data.subarray(0, Math.min(out.length, data.length)));
    setU32(c.arg, 8, type);
    setU32(c.arg, 12, data.length);
    return 0;
  };

  test('one call when the data fits; data is exactly the reported length', async () => {
    const data = new Uint8Array(8);
    setU32(data, 0, 3);
    setU32(data, 4, 4);
    responder = driver(1, data);
    const d = openFake();
    const info = d.infoSync();
    expect(info).toMatchObject({ type: 'mlx5', typeId: 1, decoded: { uid: 3, uctxCaps: 4 } });
    expect(info.data.length).toBe(8);
    expect(await d.info()).toEqual(info);
    const c = calls()[0];
    expect(c.request).toBe(0x9a00);
    expect(c.patches).toEqual([0, 16, 1]);
    expect([u32(c.arg, 0), u32(c.arg, 4)]).toEqual([24, 0]);
    expect(c.buffers[0].length).toBe(256); // device_data_len offered (the fake then wrote 8 back)
    expect(calls()).toHaveLength(2);
  });

  test('larger data: a second call with the reported size', async () => {
    const data = new Uint8Array(5000).map((_, i) => i & 0xff);
    responder = driver(0xfff0, data);
    const d = openFake();
    const info = await d.info();
    expect(info.type).toBe('unknown');
    expect(Buffer.compare(asU8(info.data), data)).toBe(0);
    expect(calls().map((c) => c.buffers[0].length)).toEqual([256, 5000]);
  });

  test('length 0 (pds in 7.x, CXL): empty data, no decoded', () => {
    responder = driver(4, new Uint8Array(0));
    const info = openFake().infoSync();
    expect(info).toMatchObject({ type: 'pds', typeId: 4 });
    expect(info.data.length).toBe(0);
    expect(info.decoded).toBeUndefined();
  });

  test('a length that keeps growing stops after 3 calls', () => {
    let n = 300;
    responder = (c) => {
      setU32(c.arg, 12, (n += 100));
      return 0;
    };
    expect(() => openFake().infoSync()).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    expect(calls()).toHaveLength(3);
  });
});

describe('lifecycle', () => {
  test('close is idempotent; later calls are ERR_FWCTL_CLOSED without a syscall', async () => {
    const d = openFake();
    await d.close();
    await d.close();
    d.closeSync();
    expect(d.closed).toBe(true);
    expect(fake.handles[0].closeCount).toBe(1);
    expect(() => d.infoSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED', errno: undefined, syscall: undefined, message: expect.stringMatching(/device handle is closed/) }));
    expect(() => d.rpcSync(new Uint8Array(1), { scope: 0 })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
    await expect(d.info()).rejects.toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
    await expect(d.rpc(new Uint8Array(1), { scope: 0 })).rejects.toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
    expect(calls()).toEqual([]);
  });

  test('close() resolves after in-flight calls settle', async () => {
    const d = openFake();
    let release!: () => void;
    fake.handles[0].gate = new Promise((r) => (release = r));
    const inflight = d.rpc(new Uint8Array(1), { scope: 0 });
    let closed = false;
    const closing = d.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    await closing;
    await expect(inflight).resolves.toMatchObject({ truncated: false });
  });

  test('using / await using close the handle', async () => {
    {
      using d = openFake();
      expect(d.closed).toBe(false);
    }
    {
      await using d = await open('fwctl0', sys.roots);
      expect(d.closed).toBe(false);
    }
    expect(fake.handles.map((h) => h.closeCount)).toEqual([1, 1]);
    expect(typeof Symbol.dispose).toBe('symbol');
    expect(typeof Symbol.asyncDispose).toBe('symbol');
  });
});

describe('AbortSignal', () => {
  test('an already-aborted signal rejects with ABORT_ERR, cause its reason, before anything is submitted', async () => {
    const d = openFake();
    const reason = new Error('stop');
    const c = new AbortController();
    c.abort(reason);
    const aborted = { name: 'AbortError', code: 'ABORT_ERR', cause: reason };
    for (const p of [d.rpc(new Uint8Array(4), { scope: 0, signal: c.signal }), d.info({ signal: c.signal }),
      open('fwctl0', { ...sys.roots, signal: c.signal })]) {
      const e = await (p as Promise<unknown>).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(FwctlAbortError);
      expect(e).toMatchObject(aborted);
    }
    expect(calls()).toHaveLength(0);
    expect(() => d.rpcSync(new Uint8Array(4), { scope: 0, signal: 'x' as unknown as AbortSignal })).toThrow(/signal must be an AbortSignal/);
  });

  test('abort in flight: rejects at once with the reason, the call is abandoned in the addon, a late answer is dropped', async () => {
    const d = openFake();
    let release!: () => void;
    fake.handles[0].gate = new Promise((r) => { release = r; });
    const c = new AbortController();
    const p = d.rpc(new Uint8Array(4), { scope: 0, signal: c.signal });
    await new Promise((r) => setImmediate(r));
    c.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { name: 'AbortError' } });
    expect(fake.abandoned).toHaveLength(1);
    expect(fake.abandoned[0]).toBeGreaterThan(0); // the id the call was submitted with
    release();
    await d.close(); // does not wait for the abandoned call's promise
    expect(d.closed).toBe(true);
  });

  test('AbortSignal.timeout: ABORT_ERR whose cause is the TimeoutError', async () => {
    const d = openFake();
    fake.handles[0].gate = new Promise(() => undefined); // never answers
    await expect(d.rpc(new Uint8Array(4), { scope: 0, signal: AbortSignal.timeout(20) }))
      .rejects.toMatchObject({ code: 'ABORT_ERR', message: expect.stringMatching(/timed out/), cause: { name: 'TimeoutError' } });
  });
});

describe('caller-provided buffers (responseBuffer, info data)', () => {
  const echo: Responder = (c) => {
    const [req, out] = c.buffers;
    if (c.request === 0x9a00) {
      req.set([1, 2, 3, 4].slice(0, req.length)); // INFO: buffers = [device_data]
      setU32(c.arg, 8, 1);
      setU32(c.arg, 12, 4);
      return 0;
    }
    out.set(req.subarray(0, Math.min(req.length, out.length)));
    setU32(c.arg, 12, req.length);
    return 0;
  };

  test('every call checks its arguments: a changed option or a detached buffer on the same options object is refused', () => {
    responder = echo;
    const d = openFake();
    const req = new Uint8Array([0x61, 0x62, 0x63, 0x64]), buf = new Uint8Array(8);
    const o: RpcOptions & { responseBuffer: Uint8Array } = { scope: 0, responseBuffer: buf };
    for (let i = 0; i < 3; i++) expect(d.rpcSync(req, o).length).toBe(4);
    o.scope = 9 as Scope;
    expect(() => d.rpcSync(req, o)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_OUT_OF_RANGE', message: expect.stringMatching(/scope 9 is not a known scope/) }));
    o.scope = Scope.DebugWrite;
    expect(() => d.rpcSync(req, o)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_TAINT_REFUSED' })); // the taint opt-in
    o.scope = 0;
    expect(d.rpcSync(req, o).length).toBe(4);
    o.responseLength = 3;
    expect(() => d.rpcSync(req, o)).toThrow(/differs from options.responseBuffer's length 8/);
    delete o.responseLength;
    expect(d.rpcSync(req, o).length).toBe(4);
    structuredClone(buf.buffer, { transfer: [buf.buffer] }); // detach the response buffer
    expect(() => d.rpcSync(req, o)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE', message: expect.stringMatching(/responseBuffer is detached/) }));
    o.responseBuffer = new Uint8Array(8);
    expect(d.rpcSync(req, o).length).toBe(4);
    structuredClone(req.buffer, { transfer: [req.buffer] });
    expect(() => d.rpcSync(req, o)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE', message: expect.stringMatching(/request is detached/) }));
    expect(calls().filter((c) => c.request === 0x9a01).length).toBe(6); // only the accepted calls reached the "kernel"
  });

  test('caller buffers through rpcSync / infoSync: the kernel writes them directly, the same checks, typed errors once closed', () => {
    responder = echo;
    const d = openFake();
    const req = new Uint8Array([1, 2, 3, 4, 5]), out = Buffer.alloc(8, 0xee);
    const o = { scope: Scope.Configuration, responseBuffer: out };
    expect(d.rpcSync(req, o).length).toBe(5);
    expect(calls().at(-1)!.buffers[1]).toBe(out); // the kernel writes the caller's buffer directly
    expect([...out]).toEqual([1, 2, 3, 4, 5, 0xee, 0xee, 0xee]);
    expect(() => d.rpcSync(req, { scope: Scope.DebugWrite, responseBuffer: out })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_TAINT_REFUSED' }));
    expect(d.rpcSync(req, { scope: Scope.DebugWrite, responseBuffer: out, allowKernelTaint: true }).length).toBe(5);
    expect(() => d.rpcSync(req, { scope: Scope.Configuration, responseBuffer: 'x' as unknown as Uint8Array })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_TYPE' }));
    const data = Buffer.alloc(4);
    expect(d.infoSync({ data }).data.byteLength).toBe(4);
    expect([...data]).toEqual([1, 2, 3, 4]);
    expect(() => d.infoSync({ data: new Uint8Array(2) })).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
    expect(() => d.infoSync({ data: 'x' as unknown as Uint8Array })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_TYPE' }));
    d.closeSync();
    expect(() => d.rpcSync(req, o)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
    expect(() => d.infoSync({ data })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
  });

  test('rpcSync writes into the caller\'s buffer; response is a view of what the kernel wrote, or the buffer itself', () => {
    responder = echo;
    const d = openFake();
    const buf = new Uint8Array(8).fill(0xee);
    const r1 = d.rpcSync(Buffer.from('abc'), { scope: 0, responseBuffer: buf });
    expect(calls()[0].buffers[1]).toBe(buf); // handed to the "kernel" directly
    expect(r1.response.buffer).toBe(buf.buffer);
    expect([...r1.response]).toEqual([0x61, 0x62, 0x63]);
    expect([r1.length, r1.truncated]).toEqual([3, false]);
    const r2 = d.rpcSync(Buffer.from('xyz'), { scope: 0, responseBuffer: buf });
    expect(r2.response.buffer).toBe(buf.buffer);
    expect(Buffer.from(r2.response).toString()).toBe('xyz');
    expect(Buffer.from(r1.response).toString()).toBe('xyz'); // a view of the caller's buffer: the next call overwrote it
    const full = d.rpcSync(Buffer.from('0123456789'), { scope: 0, responseBuffer: buf });
    expect(full.response).toBe(buf); // the whole buffer: no view needed
    expect([full.length, full.truncated]).toEqual([10, true]);
  });

  test('rpc copies the addon\'s buffer into the caller\'s at completion; a detached one is a TypeError', async () => {
    responder = echo;
    const d = openFake();
    const buf = new Uint8Array(16);
    const r = await d.rpc(Buffer.from('hello'), { scope: 0, responseBuffer: buf });
    expect(r.response.buffer).toBe(buf.buffer);
    expect(Buffer.from(r.response).toString()).toBe('hello');
    expect(() => d.rpcSync(Buffer.from('a'), { scope: 0, responseBuffer: buf, responseLength: 8 })).toThrow(/differs from options.responseBuffer's length 16/);
    expect(() => d.rpcSync(Buffer.from('a'), { scope: 0, responseBuffer: 'x' as unknown as Uint8Array })).toThrow(FwctlTypeError);
    const ab = new ArrayBuffer(16);
    const p = d.rpc(Buffer.from('hello'), { scope: 0, responseBuffer: new Uint8Array(ab) });
    structuredClone(ab, { transfer: [ab] });
    await expect(p).rejects.toThrow(/responseBuffer was detached or shrunk while the call was in flight/);
  });

  test('info into the caller\'s buffer, decoded where the type can; too small is EMSGSIZE', async () => {
    responder = echo;
    const d = openFake();
    const data = new Uint8Array(8);
    const a = d.infoSync({ data });
    expect(a).toMatchObject({ type: 'mlx5', typeId: 1 });
    expect([...a.data]).toEqual([1, 2, 3, 4]);
    expect(a.data.buffer).toBe(data.buffer);
    expect(a.decoded).toBeUndefined(); // 4 bytes: shorter than fwctl_info_mlx5
    const c = await d.info({ data });
    expect([...c.data]).toEqual([1, 2, 3, 4]);
    expect(() => d.infoSync({ data: new Uint8Array(2) })).toThrow(/has 4 bytes of device_data, options.data holds 2/);
  });
});

describe('prepared calls (prepareRpc, prepareInfo)', () => {
  test('checked once, issued many times into the caller\'s buffers; closed handles and errors are typed', async () => {
    let n = 0;
    responder = (c) => {
      if (c.request === 0x9a00) {
        c.buffers[0].set([9, 9]);
        setU32(c.arg, 12, 2);
        return 0;
      }
      const [req, out] = c.buffers;
      out.set(req.subarray(0, Math.min(req.length, out.length)));
      setU32(c.arg, 12, req.length);
      return ++n === 3 ? -ENODEV : 0;
    };
    const d = openFake();
    const req = Buffer.from('ab');
    const out = new Uint8Array(4);
    expect(() => d.prepareRpc(req, { scope: Scope.DebugWrite, responseBuffer: out })).toThrow(/allowKernelTaint/);
    expect(() => d.prepareRpc(req, { scope: 0 } as never)).toThrow(/needs options.responseBuffer/);
    const p = d.prepareRpc(req, { scope: 0, responseBuffer: out });
    expect(p.callSync()).toBe(2);
    expect([...out.subarray(0, 2)]).toEqual([0x61, 0x62]);
    req.write('xy'); // the request's bytes may change between calls
    expect(await p.call()).toBe(2);
    expect([...out.subarray(0, 2)]).toEqual([0x78, 0x79]);
    expect(() => p.callSync()).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    const i = d.prepareInfo(new Uint8Array(8));
    expect(i.callSync()).toBe(2);
    expect([...i.data.subarray(0, 2)]).toEqual([9, 9]);
    d.closeSync();
    expect(() => p.callSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
    expect(() => i.callSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED' }));
    await expect(p.call()).rejects.toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
  });
});
