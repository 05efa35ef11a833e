// Tracing on node:diagnostics_channel: the events of fwctl:open, fwctl:info,
// fwctl:rpc and fwctl:close fire in order for sync, async, failed and
// aborted calls, with the documented context; nothing fires (and no
// context is built) without a subscriber.

import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import { setBindingForTesting, splitRdev } from '../../lib/device';
import { channels, listening } from '../../lib/trace';
import { FakeBinding, FakeHandle, type IoctlCall } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function respond(c: IoctlCall): number {
  if (c.request === 0x9a00) {
    new DataView(c.arg.buffer).setUint32(12, 0, LE);
    return 0;
  }
  if (c.buffers[0][0] === 3) return -constants.errno.ENODEV;
  c.buffers[1].set([9, 8, 7].slice(0, c.buffers[1].byteLength));
  new DataView(c.arg.buffer).setUint32(12, 3, LE);
  return 0;
}

let sys: FakeSys;
let fake: FakeBinding;
const events: [string, string, Record<string, unknown>][] = [];
const handlers = (name: string) => Object.fromEntries(['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((ev) => [ev,
  (ctx: Record<string, unknown>) => events.push([name, ev, { ...ctx }])])) as unknown as dc.TracingChannelSubscribers<object>;
const subs = (['open', 'info', 'rpc', 'close'] as const).map((n) => [n, handlers(n)] as const);

beforeEach(() => {
  sys = new FakeSys();
  sys.addParent('pci0000:00/0000:00:10.0', { subsystem: 'pci', driver: 'fake' });
  sys.addFwctl('fwctl0', 'pci0000:00/0000:00:10.0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
  fake = new FakeBinding(() => new FakeHandle(respond, [fs.constants.S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]));
  setBindingForTesting(fake);
  events.length = 0;
});
afterEach(() => {
  for (const [n, h] of subs) dc.tracingChannel(`fwctl:${n}`).unsubscribe(h);
  setBindingForTesting(undefined);
  sys.remove();
});
const subscribe = () => {
  for (const [n, h] of subs) dc.tracingChannel(`fwctl:${n}`).subscribe(h);
};
const seq = () => events.map(([n, ev]) => `${n}:${ev}`);

test('no subscriber: nothing is published, hasSubscribers is false on every channel', async () => {
  for (const c of Object.values(channels)) expect(listening(c)).toBe(false);
  const d = fwctl.openSync('fwctl0', sys.roots);
  d.rpcSync(Buffer.from([1]), { scope: fwctl.Scope.DebugReadOnly });
  await d.close();
  expect(events).toEqual([]);
  expect(fwctl.CHANNEL_NAMES).toEqual({ open: 'fwctl:open', info: 'fwctl:info', rpc: 'fwctl:rpc', close: 'fwctl:close' });
});

test('sync calls: start then end, with the device, type, parent PCI address, scope, request and response views', () => {
  subscribe();
  const d = fwctl.openSync('fwctl0', sys.roots);
  const req = Buffer.from([1, 2, 3, 4]);
  const r = d.rpcSync(req, { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 });
  d.closeSync();
  expect(seq()).toEqual(['open:start', 'open:end', 'rpc:start', 'rpc:end', 'close:start', 'close:end']);
  const [, , start] = events[2];
  const [, , end] = events[3];
  expect(start).toMatchObject({ device: path.join(sys.dev, 'fwctl', 'fwctl0'), sync: true, scope: 1, responseLength: 16, typeId: 0, type: 'error' });
  expect(start.request).toBe(req); // the caller's view, not a copy
  expect(end).toMatchObject({ length: 3, truncated: false });
  expect(end.response).toBe(r.response);
  expect(end.durationMs).toEqual(expect.any(Number));
  expect(events[1][2]).toMatchObject({ name: 'fwctl0', device: path.join(sys.dev, 'fwctl', 'fwctl0') });
});

test('the parent PCI address is read from sysfs on first access', () => {
  let parent: unknown;
  const h = { start: (ctx: { parent?: unknown }) => { parent = ctx.parent; } } as unknown as dc.TracingChannelSubscribers<object>;
  const tc = dc.tracingChannel('fwctl:rpc');
  tc.subscribe(h);
  const prev = process.env.FWCTL_SYSFS_ROOT;
  process.env.FWCTL_SYSFS_ROOT = sys.sys;
  try {
    // (the lookup is cached per device node; each test's fake tree has nodes of its own)
    const d = fwctl.openSync(path.join(sys.dev, 'fwctl', 'fwctl0'), sys.roots);
    d.rpcSync(Buffer.from([1]), { scope: fwctl.Scope.Configuration });
    expect(parent).toBe('0000:00:10.0');
  } finally {
    tc.unsubscribe(h);
    if (prev === undefined) delete process.env.FWCTL_SYSFS_ROOT;
    else process.env.FWCTL_SYSFS_ROOT = prev;
  }
});

test('async calls: start, end, asyncStart, asyncEnd', async () => {
  subscribe();
  const d = await fwctl.open('fwctl0', sys.roots);
  await d.info();
  await d.rpc(Buffer.from([1]), { scope: fwctl.Scope.Configuration });
  await d.close();
  expect(seq()).toEqual([
    'open:start', 'open:end', 'open:asyncStart', 'open:asyncEnd',
    'info:start', 'info:end', 'info:asyncStart', 'info:asyncEnd',
    'rpc:start', 'rpc:end', 'rpc:asyncStart', 'rpc:asyncEnd',
    'close:start', 'close:end', 'close:asyncStart', 'close:asyncEnd',
  ]);
  expect(events[11][2]).toMatchObject({ sync: false, length: 3, scope: 0 });
});

test('failed calls: error with errno and code (sync: start, error, end; async: start, end, error, asyncStart, asyncEnd)', async () => {
  subscribe();
  const d = fwctl.openSync('fwctl0', sys.roots);
  events.length = 0;
  expect(() => d.rpcSync(Buffer.from([3]), { scope: fwctl.Scope.DebugReadOnly })).toThrow(/ENODEV/);
  await expect(d.rpc(Buffer.from([3]), { scope: fwctl.Scope.DebugReadOnly })).rejects.toMatchObject({ code: 'ENODEV' });
  expect(seq()).toEqual(['rpc:start', 'rpc:error', 'rpc:end', 'rpc:start', 'rpc:end', 'rpc:error', 'rpc:asyncStart', 'rpc:asyncEnd']);
  expect(events[1][2]).toMatchObject({ errno: -constants.errno.ENODEV, code: 'ENODEV', error: expect.any(fwctl.FwctlError) });
  // a refusal before the kernel is an error event too
  events.length = 0;
  expect(() => d.rpcSync(Buffer.from([1]), { scope: fwctl.Scope.DebugWrite })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_TAINT_REFUSED' }));
  expect(events[1][2]).toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED' });
  expect(events[1][2].errno).toBeUndefined();
  expect(seq()).toEqual(['rpc:start', 'rpc:error', 'rpc:end']);
  const e = await fwctl.open('fwctl9', sys.roots).catch((x: unknown) => x);
  expect(e).toMatchObject({ code: 'ENOENT' });
  expect(seq().slice(3)).toEqual(['open:start', 'open:end', 'open:error', 'open:asyncStart', 'open:asyncEnd']);
});

test('aborted calls: error ABORT_ERR, its cause the signal\'s reason', async () => {
  subscribe();
  const d = fwctl.openSync('fwctl0', sys.roots);
  let release!: () => void;
  fake.handles[0].gate = new Promise((r) => { release = r; });
  events.length = 0;
  const ac = new AbortController();
  const p = d.rpc(Buffer.from([1]), { scope: fwctl.Scope.DebugReadOnly, signal: ac.signal });
  const reason = new Error('enough');
  ac.abort(reason);
  await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR', cause: reason });
  release();
  expect(seq()).toEqual(['rpc:start', 'rpc:end', 'rpc:error', 'rpc:asyncStart', 'rpc:asyncEnd']);
  expect(events[2][2]).toMatchObject({ code: 'ABORT_ERR', error: { cause: reason } });
  await d.close();
});
