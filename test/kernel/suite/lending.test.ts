// Memory the addon hands to JavaScript (allocBuffer() buffers, async
// results) behaves as any ArrayBuffer: moved to another thread with
// postMessage(..., [ab]) or ArrayBuffer.prototype.transfer(), it stays valid
// for the receiver whatever happens to the sender (worker exit included),
// and every call over the sender's detached views is refused, on every call
// form (prepared, rpcSync/infoSync with caller buffers, a new prepare),
// from the addon's own state: no JavaScript property can fool it. Cases that
// crashed (a read of freed or unmapped memory) run in a child process.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const libPath = require.resolve('../../../lib');
const protocolPath = require.resolve('../mock/protocol');
const bindingPath = require.resolve('../../../lib/binding');
const cfg = { scope: fwctl.Scope.Configuration, responseLength: 64 };
const MIB = 1 << 20;
// Node 20 has no ArrayBuffer.prototype.transfer().
const hasTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

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

/** The driver's per-fd RPC counter: whether a call reached the kernel. */
function rpcCount(dev: fwctl.Device): number {
  return dev.rpcSync(mock.request(mock.Op.Scope), cfg).response.readUInt32LE(8);
}

/** A child node (with gc) running `code` with fwctl, mock, Worker and DEV; its last stdout line as JSON. */
function child(code: string) {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `
    const fwctl = require(${JSON.stringify(libPath)}); const mock = require(${JSON.stringify(protocolPath)});
    const { Worker } = require('node:worker_threads');
    const LIB = ${JSON.stringify(libPath)}, PROTOCOL = ${JSON.stringify(protocolPath)};
    const settle = async () => { for (let i = 0; i < 6; i++) { gc(); await new Promise((r) => setImmediate(r)); } };
    ${code}`], { encoding: 'utf8', env: { ...process.env, DEV: m.name }, timeout: 120_000 });
  const lines = r.stdout.trim().split('\n');
  let out: unknown;
  try {
    out = JSON.parse(lines[lines.length - 1]);
  } catch {
    out = undefined;
  }
  return { status: r.status, signal: r.signal, stderr: r.stderr, out };
}

/**
 * The receiver's side, in a child: `ab` arrived from a worker that has
 * exited; the memory is collected and reused where it could be. Its bytes
 * must be intact and it must work as a call buffer.
 */
const RECEIVE = `
  async function receive(source, expectByte) {
    const w = new Worker(source, { eval: true });
    const ab = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await new Promise((resolve) => w.once('exit', resolve));
    await settle();
    const junk = [];
    for (let i = 0; i < 8; i++) junk.push(Buffer.alloc(${MIB}, 0x11));
    const v = new Uint8Array(ab);
    const intact = v.every((x, i) => x === expectByte(i));
    const dev = fwctl.openSync(process.env.DEV);
    const n = dev.rpcSync(mock.request(mock.Op.Fill, 64), { scope: fwctl.Scope.Configuration, responseBuffer: v.subarray(0, 64) }).length;
    const filled = Buffer.from(v.subarray(0, 64)).equals(mock.fillPattern(64));
    dev.closeSync();
    return { length: ab.byteLength, intact, n, filled };
  }
  const WORKER = \`const { parentPort } = require('node:worker_threads'); const fwctl = require(\${JSON.stringify(LIB)});
    const mock = require(\${JSON.stringify(PROTOCOL)});\`;
`;
const received = { length: MIB, intact: true, n: 64, filled: true };

// One child for the three moves (a node start costs seconds in the emulated guest).
test('memory moved out of a worker that then exits stays valid for the receiver: allocBuffer() and async results, posted or transfer()ed', () => {
  const r = child(`${RECEIVE}
    (async () => {
      const out = {};
      out.posted = await receive(WORKER + \`const b = fwctl.allocBuffer(${MIB}); b.fill(0x5a); parentPort.postMessage(b.buffer, [b.buffer]);\`, () => 0x5a);
      const fill = mock.fillPattern(${MIB});
      out.asyncResult = await receive(WORKER + \`(async () => {
          const d = await fwctl.open(process.env.DEV);
          const r = await d.rpc(mock.request(mock.Op.Fill, ${MIB}), { scope: 0, responseLength: ${MIB} });
          await d.close();
          parentPort.postMessage(r.response.buffer, [r.response.buffer]);
        })();\`, (i) => fill[i]);
      if (ArrayBuffer.prototype.transfer) {
        out.transferred = await receive(WORKER + \`const b = fwctl.allocBuffer(${MIB}); b.fill(0x5a);
          const moved = b.buffer.transfer();
          if (b.byteLength !== 0) throw new Error('not detached');
          parentPort.postMessage(moved, [moved]);\`, () => 0x5a);
      }
      console.log(JSON.stringify(out));
    })();`);
  const want: Record<string, unknown> = { posted: received, asyncResult: received };
  if (hasTransfer) want.transferred = received; // Node >= 22
  expect({ status: r.status, signal: r.signal, out: r.out, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, out: want, stderr: '' });
}, 150_000);

describe('the sender\'s views after a move: every call form is refused, the receiver\'s memory untouched', () => {
  /** A worker that takes the moved buffers, fills them, and reports whether they stayed so. */
  const HOLDER = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fwctl = require(${JSON.stringify(libPath)}); const mock = require(${JSON.stringify(protocolPath)});
    const { binding } = require(${JSON.stringify(bindingPath)});
    let views;
    parentPort.on('message', (msg) => {
      if (msg.buffers) {
        views = msg.buffers.map((ab) => new Uint8Array(ab).fill(0xee));
        parentPort.postMessage('filled');
        return;
      }
      const untouched = views.every((v) => v.every((x) => x === 0xee));
      // Here the memory is ordinary: the addon binds nothing over it (its
      // tag belongs to the sender's ArrayBuffer), and calls work.
      const r = binding().open(workerData.path);
      const h = r[0];
      const req = Buffer.from(mock.request(mock.Op.Fill, 64));
      const bound = h.bindRpc(0, req, views[0].subarray(0, 64));
      const n = h.rpcSync(0, req, views[0].subarray(0, 64));
      h.close();
      parentPort.postMessage({ untouched, bound: bound === null ? null : typeof bound, n,
        filled: Buffer.from(views[0].subarray(0, 64)).equals(mock.fillPattern(64)) });
    });
  `;
  const next = (w: Worker) => new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  const refused = expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });

  const moves: [string, (ab: ArrayBuffer) => ArrayBuffer][] = [['postMessage', (ab) => ab]];
  if (hasTransfer) moves.push(['transfer() then postMessage', (ab) => (ab as ArrayBuffer & { transfer(): ArrayBuffer }).transfer()]);

  test.each(moves)('%s', async (_how, move) => {
    const req = fwctl.allocBuffer(mock.HEADER);
    req.set(mock.request(mock.Op.Fill, 64));
    const resp = fwctl.allocBuffer(64), data = fwctl.allocBuffer(m.datalen);
    const p = d.prepareRpc(req, { scope: fwctl.Scope.Configuration, responseBuffer: resp });
    const pi = d.prepareInfo(data);
    const o = { scope: fwctl.Scope.Configuration, responseBuffer: resp };
    // Every form used before the move.
    expect([p.callSync(), pi.callSync(), d.rpcSync(req, o).length, d.infoSync({ data }).data.byteLength])
      .toEqual([64, m.datalen, 64, m.datalen]);
    const w = new Worker(HOLDER, { eval: true, workerData: { path: d.path } });
    try {
      const buffers = [move(resp.buffer as ArrayBuffer), move(data.buffer as ArrayBuffer)];
      w.postMessage({ buffers }, buffers);
      expect(await next(w)).toBe('filled');
      expect([resp.byteLength, data.byteLength]).toEqual([0, 0]);
      // A lying own byteLength must fool no check.
      Object.defineProperty(resp, 'byteLength', { value: 64 });
      Object.defineProperty(data, 'byteLength', { value: m.datalen });
      const before = rpcCount(d);
      const tries: [string, () => unknown][] = [
        ['prepared rpc', () => p.callSync()],
        ['prepared info', () => pi.callSync()],
        ['a new prepareRpc', () => d.prepareRpc(req, { scope: fwctl.Scope.Configuration, responseBuffer: resp }).callSync()],
        ['a new prepareInfo', () => d.prepareInfo(data).callSync()],
        ['rpcSync, same options', () => d.rpcSync(req, o)],
        ['rpcSync, new options', () => d.rpcSync(req, { scope: fwctl.Scope.Configuration, responseBuffer: resp })],
        ['infoSync({ data })', () => d.infoSync({ data })],
      ];
      for (const [name, call] of tries) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect({ name, err }).toEqual({ name, err: refused });
        expect({ name, type: err instanceof TypeError, fwctl: err instanceof fwctl.FwctlError }).toEqual({ name, type: true, fwctl: true });
      }
      await expect(p.call()).rejects.toMatchObject({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' });
      expect(rpcCount(d)).toBe(before + 1); // rpcCount's own call: none of the refused ones reached the driver
      w.postMessage({ check: true });
      expect(await next(w)).toEqual({ untouched: true, bound: null, n: 64, filled: true });
    } finally {
      await w.terminate();
    }
  }, 120_000);
});

describe('odd views get typed errors, never a V8 error', () => {
  test('infoSync({ data }) over a view of a shrunk resizable buffer; a plain Uint8Array is decoded as a Buffer', () => {
    const ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(64, { maxByteLength: 64 });
    const fixed = new Uint8Array(ab, 0, 32);
    ab.resize(8); // `fixed` is out of bounds now
    expect(() => d.infoSync({ data: fixed })).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    expect(() => d.prepareInfo(fixed)).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    const cfg8 = (responseBuffer: Uint8Array) => ({ scope: fwctl.Scope.Configuration, responseBuffer });
    expect(() => d.rpcSync(mock.request(mock.Op.Fill, 8), cfg8(fixed))).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    expect(() => d.prepareRpc(mock.request(mock.Op.Fill, 8), cfg8(fixed))).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_INVALID_ARG_VALUE' }));
    const tracking = new Uint8Array(ab); // length-tracking: 8 bytes now
    expect(d.rpcSync(mock.request(mock.Op.Fill, 64), cfg8(tracking)).length).toBe(64);
    expect(Buffer.from(tracking).equals(mock.fillPattern(8))).toBe(true);
    const plain = new Uint8Array(m.datalen + 4);
    const info = d.infoSync({ data: plain });
    expect(Buffer.from(info.data).equals(mock.infoPattern(m.datalen))).toBe(true);
  });
});
