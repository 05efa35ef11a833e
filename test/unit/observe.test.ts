// lib/observe.ts: a NativeBinding that passes every call through and
// reports it (with what the "kernel" answered) to an observer, over the
// scripted fake binding (helpers/fake-binding.ts). The recorder and the
// audit trail are built on it (record-replay.test.ts, audit.test.ts test
// what they write); here: the events themselves, their numbering, their
// timing and the copies taken at submit.

import type { NativeHandle } from '../../lib/binding';
import { DIR_IN, DIR_OUT, SPEC_WORDS } from '../../lib/binding-flags';
import { observeBinding, type CallEvent } from '../../lib/observe';
import { FakeBinding, FakeHandle, type IoctlCall, type Responder } from './helpers/fake-binding';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const setU32 = (a: Uint8Array, o: number, v: number) => new DataView(a.buffer, a.byteOffset, a.byteLength).setUint32(o, v, HOST_LE);
const STAT: [number, number, number] = [0o20600, 240, 0];

/** A responder: RPCs answer `length` (the driver's response length) and write 0xab bytes; INFO answers type 4, 4 bytes. */
function responder(length: number): Responder {
  return (c: IoctlCall) => {
    if (c.request === 0x9a00) {
      c.buffers[0].fill(7);
      setU32(c.arg, 8, 4);
      setU32(c.arg, 12, 4);
      return 0;
    }
    c.buffers[1].fill(0xab);
    for (const out of c.buffers.slice(2)) out.fill(0xcd);
    setU32(c.arg, 12, length);
    return 0;
  };
}

function setup(r: Responder = responder(8)) {
  const inner = new FakeBinding(() => new FakeHandle(r, STAT));
  const events: CallEvent[] = [];
  const b = observeBinding(inner, (e) => events.push(e));
  const open = (path = '/dev/fwctl/fwctl0'): NativeHandle => {
    const o = b.open(path);
    if (typeof o === 'number') throw new Error(`open: ${o}`);
    return o[0];
  };
  return { inner, b, events, open };
}

/** An AttachSpec of attachments with these directions (the other words: as the addon takes them). */
function spec(...dirs: number[]): Uint32Array {
  const s = new Uint32Array(dirs.length * SPEC_WORDS);
  dirs.forEach((d, k) => s.set([16 + 8 * k, 0, 0, 1, 0, d], k * SPEC_WORDS));
  return s;
}

describe('open', () => {
  test('a successful open: the event (h 1, the handle\'s type, rc 0, stat), a wrapping handle that forwards fd, inFlight, type, fstat', () => {
    const { inner, b, events } = setup();
    const o = b.open('/dev/fwctl/fwctl3');
    expect(Array.isArray(o)).toBe(true);
    const [h, st] = o as [NativeHandle, [number, number, number]];
    expect(st).toEqual(STAT);
    expect(events).toEqual([{ op: 'open', seq: 1, sync: true, path: '/dev/fwctl/fwctl3', h: 1, type: 0, rc: 0, stat: STAT }]);
    const real = inner.handles[0];
    expect(h).not.toBe(real);
    expect([h.fd, h.inFlight, h.type, h.fstat()]).toEqual([42, 0, 0, STAT]);
    real.type = 2;
    expect(h.type).toBe(2);
  });

  test('a failed open: h 0, type -1, the errno; it takes a seq but no handle number', () => {
    const { inner, b, events, open } = setup();
    inner.next = -2;
    expect(b.open('/dev/fwctl/nope')).toBe(-2);
    inner.next = () => new FakeHandle(responder(0), STAT);
    open();
    expect(events.map(({ op, seq, h, type, rc }) => ({ op, seq, h, type, rc }))).toEqual([
      { op: 'open', seq: 1, h: 0, type: -1, rc: -2 },
      { op: 'open', seq: 2, h: 1, type: 0, rc: 0 },
    ]);
  });

  test('openAsync: its seq is taken at submit, its handle number at completion', async () => {
    const { b, events, open } = setup();
    const p = b.openAsync(9, '/dev/fwctl/fwctl1');
    open('/dev/fwctl/fwctl0'); // submitted after, completes first
    const r = await p;
    expect(Array.isArray(r)).toBe(true);
    expect(events.map(({ seq, sync, path, h }) => ({ seq, sync, path, h }))).toEqual([
      { seq: 2, sync: true, path: '/dev/fwctl/fwctl0', h: 1 },
      { seq: 1, sync: false, path: '/dev/fwctl/fwctl1', h: 2 },
    ]);
  });

  test('the rest of the binding passes through to the inner one', () => {
    const { inner, b } = setup();
    const guards = jest.spyOn(inner, 'setPointerGuards');
    const factory = jest.spyOn(inner, 'setErrorFactory');
    const table = new Uint32Array(8);
    const f = (_k: number, m: string) => new Error(m);
    expect(b.abandon(5)).toBe(true);
    b.setPointerGuards(table);
    b.setErrorFactory(f);
    expect(inner.abandoned).toEqual([5]);
    expect(guards).toHaveBeenCalledWith(table);
    expect(factory).toHaveBeenCalledWith(f);
    expect([b.FWCTL_INFO, b.FWCTL_RPC]).toEqual([0x9a00, 0x9a01]);
    expect(b.poolStats()).toEqual({ threads: 0, idle: 0, queued: 0 });
  });
});

describe('rpcSync', () => {
  test('the event: scope, the request as submitted, response length, spec and buffers, in-data copies, rc, the bytes written', () => {
    const { events, open } = setup(responder(8));
    const h = open();
    const request = Uint8Array.from([1, 2, 3, 4]);
    const response = new Uint8Array(16);
    const inBuf = Uint8Array.from([9, 9]), outBuf = new Uint8Array(3);
    const s = spec(DIR_IN, DIR_OUT);
    expect(h.rpcSync(2, request, response, s, inBuf, outBuf)).toBe(8);
    const e = events[1];
    expect(e).toMatchObject({ op: 'rpc', seq: 2, sync: true, path: '/dev/fwctl/fwctl0', h: 1, type: 0, scope: 2, responseLength: 16, rc: 8 });
    expect(e.request).toBe(request);
    expect(e.spec).toBe(s);
    expect(e.buffers).toEqual([inBuf, outBuf]);
    expect(e.buffers![1]).toBe(outBuf);
    expect([...e.buffers![1]]).toEqual([0xcd, 0xcd, 0xcd]); // the out data, after the call
    expect(e.inData).toHaveLength(2);
    expect(e.inData![0]).not.toBe(inBuf); // a copy taken before the call
    expect([...e.inData![0]!]).toEqual([9, 9]);
    expect(e.inData![1]).toBeUndefined(); // out only: no in data
    expect([...e.data!]).toEqual(Array(8).fill(0xab));
    expect(e.data!.buffer).toBe(response.buffer); // a view of the caller's response
    expect(e.threw).toBeUndefined();
  });

  test('a driver length past the response: data is the whole response; no spec: the inner call gets none', () => {
    const { inner, events, open } = setup(responder(100));
    const h = open();
    expect(h.rpcSync(0, new Uint8Array(4), new Uint8Array(6))).toBe(100);
    expect(events[1]).toMatchObject({ rc: 100, responseLength: 6, spec: undefined, buffers: [], inData: [] });
    expect(events[1].data!.byteLength).toBe(6);
    expect(inner.handles[0].calls[0].buffers).toHaveLength(2);
  });

  test('an errno: rc negative, no data', () => {
    const { events, open } = setup(() => -22);
    const h = open();
    expect(h.rpcSync(1, new Uint8Array(4), new Uint8Array(4))).toBe(-22);
    expect(events[1]).toMatchObject({ op: 'rpc', rc: -22 });
    expect(events[1].data).toBeUndefined();
  });

  test('the binding throws (bad arguments): the event carries it, no rc, and it is rethrown', () => {
    const boom = new TypeError('bad request');
    const { events, open } = setup(() => { throw boom; });
    const h = open();
    expect(() => h.rpcSync(0, new Uint8Array(4), new Uint8Array(4))).toThrow(boom);
    expect(events[1]).toMatchObject({ op: 'rpc', seq: 2, threw: boom });
    expect(events[1].rc).toBeUndefined();
  });
});

describe('rpc (async)', () => {
  test('request, spec and in-data are copied at submit; the event comes with the result, before the promise settles', async () => {
    const { events, open } = setup(responder(5));
    const h = open();
    const request = Uint8Array.from([1, 2, 3, 4]);
    const inBuf = Uint8Array.from([5, 6]), outBuf = new Uint8Array(2);
    const s = spec(DIR_IN | DIR_OUT, DIR_OUT);
    const order: string[] = [];
    const p = h.rpc(7, 3, request, 16, s, inBuf, outBuf).then((r) => (order.push(`settled after ${events.length} events`), r));
    request.fill(0);
    inBuf.fill(0);
    const r = await p;
    expect(order).toEqual(['settled after 2 events']);
    expect(Array.isArray(r) && r[0]).toBe(5);
    const e = events[1];
    expect(e).toMatchObject({ op: 'rpc', seq: 2, sync: false, h: 1, scope: 3, responseLength: 16, rc: 5, lost: -1 });
    expect([...e.request!]).toEqual([1, 2, 3, 4]);
    expect(e.request).not.toBe(request);
    expect(e.spec).not.toBe(s);
    expect([...e.spec!]).toEqual([...spec(DIR_IN | DIR_OUT, DIR_OUT)]);
    expect([...e.inData![0]!]).toEqual([5, 6]);
    expect(e.inData![1]).toBeUndefined();
    expect([...e.data!]).toEqual(Array(5).fill(0xab));
    expect(e.buffers![1]).toBe(outBuf);
    expect([...outBuf]).toEqual([0xcd, 0xcd]);
  });

  test('an errno: rc only; a rejection and a synchronous throw: threw, passed on', async () => {
    const { events, open, inner } = setup(() => -16);
    const h = open();
    expect(await h.rpc(0, 0, new Uint8Array(4), 8)).toBe(-16);
    expect(events[1]).toMatchObject({ rc: -16 });
    expect(events[1].data).toBeUndefined();

    const boom = new RangeError('no');
    inner.handles[0].responder = () => { throw boom; };
    await expect(h.rpc(0, 0, new Uint8Array(4), 8)).rejects.toBe(boom);
    expect(events[2]).toMatchObject({ op: 'rpc', seq: 3, threw: boom });

    const sync = new TypeError('not a view');
    inner.handles[0].rpc = () => { throw sync; };
    expect(() => h.rpc(0, 0, new Uint8Array(4), 8)).toThrow(sync);
    expect(events[3]).toMatchObject({ op: 'rpc', seq: 4, sync: false, threw: sync });
    expect(events).toHaveLength(4);
  });
});

describe('info, close, numbering', () => {
  test('infoSync: length asked, rc, the device_data written, the type the kernel answered (after the call)', () => {
    const { events, open } = setup();
    const h = open();
    const data = new Uint8Array(8);
    expect(h.infoSync(data)).toBe(4);
    expect(events[1]).toMatchObject({ op: 'info', seq: 2, sync: true, h: 1, type: 4, length: 8, rc: 4 });
    expect([...events[1].data!]).toEqual([7, 7, 7, 7]);
    expect(events[1].data!.buffer).toBe(data.buffer);
  });

  test('info (async): its seq at submit, the event when it completes; an errno has no data', async () => {
    const { events, open, inner } = setup();
    const h = open();
    const p = h.info(3, 16);
    h.close(); // seq 3, submitted while info (seq 2) is in flight
    const r = await p;
    expect(Array.isArray(r) && r[0]).toBe(4);
    expect(events.map(({ op, seq, sync }) => `${op}:${seq}:${sync}`)).toEqual(['open:1:true', 'close:3:true', 'info:2:false']);
    expect(events[2]).toMatchObject({ type: 4, length: 16, rc: 4 });
    expect([...events[2].data!]).toEqual([7, 7, 7, 7]);

    const h2 = open();
    inner.handles[1].responder = () => -5;
    expect(await h2.info(0, 8)).toBe(-5);
    expect(events[4]).toMatchObject({ op: 'info', h: 2, rc: -5 });
    expect(events[4].data).toBeUndefined();
  });

  test('close and closeAsync: the rc, -EBADF the second time', async () => {
    const { events, open } = setup();
    const h = open();
    expect(h.close()).toBe(0);
    expect(await h.closeAsync()).toBe(-9);
    expect(events.slice(1).map(({ op, seq, sync, h: n, rc }) => ({ op, seq, sync, h: n, rc }))).toEqual([
      { op: 'close', seq: 2, sync: true, h: 1, rc: 0 },
      { op: 'close', seq: 3, sync: false, h: 1, rc: -9 },
    ]);
  });

  test('one binding: seq in submit order across its handles, handles in open order, each event naming its own', () => {
    const { events, open } = setup();
    const a = open('/dev/fwctl/fwctl0');
    const c = open('/dev/fwctl/fwctl1');
    c.rpcSync(0, new Uint8Array(4), new Uint8Array(4));
    a.rpcSync(0, new Uint8Array(4), new Uint8Array(4));
    c.close();
    expect(events.map(({ op, seq, h, path }) => `${seq} ${op} h${h} ${path}`)).toEqual([
      '1 open h1 /dev/fwctl/fwctl0', '2 open h2 /dev/fwctl/fwctl1', '3 rpc h2 /dev/fwctl/fwctl1', '4 rpc h1 /dev/fwctl/fwctl0', '5 close h2 /dev/fwctl/fwctl1',
    ]);
  });
});
