// Async behaviour against the real kernel: parallelism, no starvation of
// libuv's shared pool, worker_threads, and GC while calls are in flight.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const cfg = { scope: fwctl.Scope.Configuration, responseLength: 64 };
const sleepReq = (ms: number, tag: number) => mock.request(mock.Op.Sleep, ms, Buffer.from([tag]));

let devs: mock.MockDevice[];
beforeAll(() => {
  devs = [mock.add(), mock.add()];
});
afterAll(() => devs.forEach((d) => mock.del(d.name)));

test('slow RPCs on separate handles of one device overlap in the kernel', async () => {
  const handles = await Promise.all(Array.from({ length: 8 }, () => fwctl.open(devs[0].name)));
  try {
    // Ordering, not timing: while 8 calls sleep 1500 ms each, a 1 ms call on
    // a further handle completes before any of them.
    const order: string[] = [];
    const slow = handles.map((h, i) => h.rpc(sleepReq(1500, i), cfg).then(() => order.push(`slow${i}`)));
    await new Promise((r) => setTimeout(r, 200));
    await using quick = await fwctl.open(devs[1].name);
    await quick.rpc(sleepReq(1, 99), cfg).then(() => order.push('quick'));
    await Promise.all(slow);
    expect(order[0]).toBe('quick');
    expect(order).toHaveLength(9);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
});

test("slow RPCs do not starve libuv's pool: fs work finishes while they sleep", async () => {
  // libuv's default pool has 4 threads; 8 blocked calls there would stall fs.
  const handles = await Promise.all(Array.from({ length: 8 }, () => fwctl.open(devs[0].name)));
  try {
    let rpcsDone = 0;
    const slow = handles.map((h, i) => h.rpc(sleepReq(3000, i), cfg).then(() => rpcsDone++));
    await new Promise((r) => setTimeout(r, 200));
    const reads = await Promise.all(Array.from({ length: 8 }, () => fs.promises.readFile('/proc/self/status', 'utf8')));
    expect(reads.every((r) => r.includes('VmRSS'))).toBe(true);
    // Every fs read completed while all eight RPCs were still in the kernel.
    expect(rpcsDone).toBe(0);
    await Promise.all(slow);
    expect(rpcsDone).toBe(8);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
});

test('many concurrent calls on one handle all return their own response', async () => {
  await using d = await fwctl.open(devs[0].name);
  const n = 200;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => d.rpc(mock.request(mock.Op.Echo, 0, Buffer.from(`call-${i}`)), cfg)),
  );
  results.forEach((r, i) => expect(Buffer.from(r.response).toString()).toBe(`call-${i}`));
});

test('responses stay intact under forced GC between submit and completion', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  expect(typeof gc).toBe('function'); // the suite runs with --expose-gc
  await using d = await fwctl.open(devs[0].name);
  for (let round = 0; round < 5; round++) {
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(4096, (round * 20 + i) & 0xff));
    const calls = payloads.map((p) => d.rpc(mock.request(mock.Op.Sleep, 20, p), { ...cfg, responseLength: 4096 }));
    payloads.length = 0; // drop our references to the requests
    for (let i = 0; i < 3; i++) gc!();
    const res = await Promise.all(calls);
    res.forEach((r, i) => expect(Buffer.from(r.response)).toEqual(Buffer.alloc(4096, (round * 20 + i) & 0xff)));
  }
  // 15 full collections of jest's heap in the TCG guest: 28 s under node 20 in
  // the main boot, over 46 s under node 22 in its matrix boot (host at load 8);
  // an ASan heap is slower still.
}, 120_000);

function runWorker(source: string, data: unknown): Worker {
  return new Worker(source, { eval: true, workerData: data });
}

const workerPrelude = (lib: string, protocol: string) => `
  const { parentPort, workerData } = require('node:worker_threads');
  const fwctl = require(${JSON.stringify(lib)});
  const mock = require(${JSON.stringify(protocol)});
`;
const libPath = require.resolve('../../../lib');
const protocolPath = require.resolve('../mock/protocol');

test('works inside worker_threads, in parallel with the main thread', async () => {
  const w = runWorker(
    workerPrelude(libPath, protocolPath) +
      `
      (async () => {
        const d = await fwctl.open(workerData.name);
        const info = d.infoSync();
        const r = await d.rpc(mock.request(mock.Op.Echo, 0, Buffer.from('from-worker')), { scope: 0, responseLength: 64 });
        await d.close();
        parentPort.postMessage({ typeId: info.typeId, text: Buffer.from(r.response).toString() });
      })().catch((e) => parentPort.postMessage({ error: String(e) }));
    `,
    { name: devs[0].name },
  );
  await using d = await fwctl.open(devs[0].name);
  const mine = await d.rpc(mock.request(mock.Op.Echo, 0, Buffer.from('from-main')), cfg);
  const msg = await new Promise<{ typeId: number; text: string; error?: string }>((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
  });
  expect(msg.error).toBeUndefined();
  expect(msg).toEqual({ typeId: mock.DEFAULT_TYPE, text: 'from-worker' });
  expect(Buffer.from(mine.response).toString()).toBe('from-main');
  await w.terminate();
});

test('terminating a worker mid-RPC: no crash, terminate() does not wait for the kernel, the fds are released when the calls return', async () => {
  // fds on this device only: the process's total moves with jest's own files.
  const fdsBefore = mock.openFdsTo(devs[0].name);
  const w = runWorker(
    workerPrelude(libPath, protocolPath) +
      `
      (async () => {
        const handles = await Promise.all([0,1,2,3].map(() => fwctl.open(workerData.name)));
        handles.forEach((h, i) => h.rpc(mock.request(mock.Op.Sleep, 3000, Buffer.from([i])), { scope: 0 }));
        const d = handles[0];
        d.rpc(mock.request(mock.Op.Sleep, 3000), { scope: 0 });
        parentPort.postMessage('submitted');
      })();
    `,
    { name: devs[0].name },
  );
  await new Promise((r) => w.once('message', r));
  await new Promise((r) => setTimeout(r, 100));
  const t = Date.now();
  const code = await w.terminate();
  expect(typeof code).toBe('number');
  expect(Date.now() - t).toBeLessThan(2500); // the calls sleep 3 s in the driver: terminate did not wait
  // The calls' memory is the addon's: their pool threads free it, and drop
  // the fd references, when the kernel returns; the last one closes the fd.
  const deadline = Date.now() + 10_000;
  while (mock.openFdsTo(devs[0].name) !== fdsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(mock.openFdsTo(devs[0].name)).toBe(fdsBefore);
  await using d = await fwctl.open(devs[0].name);
  const r = await d.rpc(mock.request(mock.Op.Echo, 0, Buffer.from('alive')), cfg);
  expect(Buffer.from(r.response).toString()).toBe('alive');
});
