// What tracing costs per call (docs/api/tracing.md):
// Device.rpcSync over a binding that returns at once (no kernel, no addon:
// only this package's JavaScript is timed), with no subscriber and with a
// subscriber on fwctl:rpc; and, A/B in the same process with the rounds
// interleaved, against a copy of the compiled lib/device.js whose
// hasSubscribers check on fwctl:rpc is replaced by `false` (the package as
// if it had no tracing). Runs on the host:
//
//   npm run build:ts && node --expose-gc dist/bench/trace-cost.js [--json]

import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NativeBinding, NativeHandle } from '../lib/binding';
import { Device, setBindingForTesting } from '../lib/device';
import { channels, listening } from '../lib/trace';
import { Scope } from '../lib/uapi/constants';

const handle: NativeHandle = {
  fd: 3, inFlight: 0, type: 1,
  fstat: () => [0o20600, 240, 0],
  rpcSync: (_s: number, _q: Uint8Array, r: Uint8Array) => r.byteLength,
  rpc: async () => -95,
  infoSync: () => 0,
  info: async () => -95,
  close: () => 0,
  closeAsync: async () => 0,
};
setBindingForTesting({ open: () => [handle, [0o20600, 240, 0]] } as unknown as NativeBinding);

const N = 1_000_000;
const ROUNDS = 7;
const dev = new Device(handle, '/dev/fwctl/fwctl0');
const req = Buffer.alloc(16);
const opts = { scope: Scope.DebugReadOnly, responseLength: 64 };

function nsPerCall(f: () => void, n = N): number[] {
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    out.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return out.sort((a, b) => a - b);
}

const median = (a: number[]) => a[a.length >> 1];
let sink = 0;
const rpc = () => { sink += dev.rpcSync(req, opts).length; };
const check = () => { if (listening(channels.rpc)) sink++; };

/** dist/lib copied with the rpc channel's check compiled out. */
function baselineDevice(): typeof Device {
  const src = path.join(__dirname, '..', 'lib');
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-bench-'));
  fs.cpSync(src, path.join(dst, 'lib'), { recursive: true });
  const f = path.join(dst, 'lib', 'device.js');
  const js = fs.readFileSync(f, 'utf8');
  const check = '(0, trace_1.listening)(trace_1.channels.rpc)';
  if (!js.includes(check)) throw new Error('trace-cost: the compiled check is not where expected');
  fs.writeFileSync(f, js.split(check).join('false'));
  return (require(f) as typeof import('../lib/device')).Device;
}
const Base = baselineDevice();
const base = new Base(handle, '/dev/fwctl/fwctl0');
const rpcBase = () => { sink += base.rpcSync(req, opts).length; };

nsPerCall(rpc, N / 4); // warm up
nsPerCall(rpcBase, N / 4);
const ab: [number[], number[]] = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  ab[0].push(nsPerCall(rpcBase, N / 2)[0]);
  ab[1].push(nsPerCall(rpc, N / 2)[0]);
}
const none = nsPerCall(rpc);
const checkOnly = nsPerCall(check, N * 10);
const sub = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
dc.tracingChannel('fwctl:rpc').subscribe(sub);
nsPerCall(rpc, N / 4);
const traced = nsPerCall(rpc);
dc.tracingChannel('fwctl:rpc').unsubscribe(sub);
const after = nsPerCall(rpc);

const diffs = ab[1].map((x, i) => x - ab[0][i]).sort((a, b) => a - b);
const result = {
  node: process.version, calls: N, rounds: ROUNDS,
  ab: { withoutCheck: median([...ab[0]].sort((a, b) => a - b)), withCheck: median([...ab[1]].sort((a, b) => a - b)), medianDifference: median(diffs),
    minDifference: diffs[0], maxDifference: diffs[diffs.length - 1] },
  noSubscriber: { median: median(none), min: none[0], max: none[none.length - 1] },
  noSubscriberAgain: { median: median(after), min: after[0], max: after[after.length - 1] },
  hasSubscribersCheck: { median: median(checkOnly) },
  subscriber: { median: median(traced), min: traced[0], max: traced[traced.length - 1] },
};
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
else {
  const f = (x: number) => `${x.toFixed(1)} ns`;
  process.stdout.write(`Device.rpcSync over a no-op binding, ${N} calls x ${ROUNDS} rounds, node ${process.version} (median [min..max] per call)\n` +
    `  A/B, interleaved: without the check ${f(result.ab.withoutCheck)}, with it ${f(result.ab.withCheck)}; ` +
    `difference per round: median ${f(result.ab.medianDifference)} [${f(result.ab.minDifference)}..${f(result.ab.maxDifference)}]\n` +
    `  no subscriber            ${f(result.noSubscriber.median)} [${f(result.noSubscriber.min)}..${f(result.noSubscriber.max)}]\n` +
    `  no subscriber (after)    ${f(result.noSubscriberAgain.median)} [${f(result.noSubscriberAgain.min)}..${f(result.noSubscriberAgain.max)}]\n` +
    `  the hasSubscribers check ${f(result.hasSubscribersCheck.median)}\n` +
    `  a subscriber on fwctl:rpc ${f(result.subscriber.median)} [${f(result.subscriber.min)}..${f(result.subscriber.max)}]\n`);
}
if (sink < 0) process.stdout.write('');
