// The benchmark, run inside the test VM with the mock fwctl driver loaded
// (bench/run.sh starts it through test/kernel/scripts/run-vm.sh):
//
//   node --expose-gc dist/bench/main.js [--quick] [--only SECTION,...]
//
// Sections: percall, sizes, concurrency, fsLatency, cli, memory, callgrind, flash.
// Writes $FWCTL_RESULTS_DIR/bench.json and prints the table (bench/report.ts).
// Progress goes to stderr. Nothing here asserts a timing: targets are
// reported as met/missed, never fail the run.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../lib/index';
import * as mock from '../test/kernel/mock/protocol';
import { openBenchHandle } from './addon';
import { flashBench } from './flash';
import { evaluate, renderTable, type BenchResults, type Row } from './report';
import {
  callsFor, cBench, KoffiClient, MOCK_HDR, nowNs, percentile, probePath, SIZES, stat, timeAsync,
  timeInFlight, timeSync,
} from './util';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set(argv[onlyArg + 1].split(',')) : null;
const want = (s: string) => !only || only.has(s);

const REPS = quick ? 5 : 7;
const CALLER_CALLS = 100000; // per call kind, for the no-allocation check (not reduced by --quick: it is a count, not a timing)
const REP_MS = quick ? 100 : 250; // target duration of one repetition of a loop
const CAL_MS = 25;
const WARM_MS = quick ? 150 : 300;
const IN_FLIGHT = 16;
const SLEEP_MS = 50;
const MEM_CALLS = quick ? 10_000 : 50_000; // each: rpcSync and rpc(), so 2x in all
const repo = path.resolve(__dirname, '..', '..');
const resultsDir = process.env.FWCTL_RESULTS_DIR ?? path.join(os.tmpdir(), 'bench');

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

const rows: Row[] = [];
const results: BenchResults = {
  version: 1,
  command: `npm run bench${quick ? ' -- --quick' : ''}`,
  quick,
  reps: REPS,
  env: environment(),
  rows,
};

function environment(): BenchResults['env'] {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1].split(' ') ?? [];
  let koffiVersion = 'unknown';
  try {
    koffiVersion = (JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/koffi/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* reported as unknown */
  }
  return {
    kernel: os.release(),
    guestCpu: model,
    guestCpus: os.cpus().length,
    hypervisorFlag: flags.includes('hypervisor'),
    accel: process.env.FWCTL_BENCH_ACCEL ?? 'unknown',
    hostCpu: process.env.FWCTL_BENCH_HOST_CPU ?? 'unknown',
    hostLoad: process.env.FWCTL_BENCH_HOST_LOAD ?? 'unknown',
    node: process.version,
    koffi: koffiVersion,
    clocksource: readOr('/sys/devices/system/clocksource/clocksource0/current_clocksource'),
    clockResolutionNs: clockResolution(),
    kernelClockArgs: process.env.FWCTL_BENCH_CLOCK_ARGS || 'none',
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    date: new Date().toISOString(),
  };
}

function readOr(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Smallest step of process.hrtime (4 ms with the jiffies clocksource of an uncalibrated TCG guest). */
function clockResolution(): number {
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const a = process.hrtime.bigint();
    let b = a;
    while (b === a) b = process.hrtime.bigint();
    best = Math.min(best, Number(b - a));
  }
  return best;
}

// ---- devices ----------------------------------------------------------------

const devs = mock.devices();
if (devs.length === 0) throw new Error('no mock fwctl device: is fwctl_mock loaded?');
const DEV = `/dev/fwctl/${devs[0].name}`;

function echoReq(size: number): Buffer {
  const payload = Buffer.alloc(size - MOCK_HDR);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  return mock.request(mock.Op.Echo, 0, payload);
}
const sleepReq = (ms: number) => mock.request(mock.Op.Sleep, ms, Buffer.alloc(8));
const SCOPE = fwctl.Scope.Configuration;

// ---- interleaved repetitions ---------------------------------------------------

interface Variant {
  group: string;
  name: string;
  impl: Row['impl'];
  /** bytes per call (request + response) for MB/s, if a throughput row */
  bytes?: number;
  size?: number;
  /** one repetition of n calls; returns ns per call */
  rep(n: number): Promise<number> | number;
  /** calls per repetition, set by calibration */
  n?: number;
}

/**
 * Calibrate each variant (a short warm-up run sets the calls per repetition),
 * then run REPS rounds, each round one repetition of every variant in turn,
 * so that a slow phase of the (shared, loaded) host hits all of them alike.
 */
async function runInterleaved(variants: Variant[]): Promise<void> {
  for (const v of variants) {
    const t0 = nowNs();
    // Warm up (JIT tiers, lazy loading, page faults) for at least WARM_MS, growing
    // n until one loop takes CAL_MS (the guest clock may be coarse); then
    // measure once more, warm, to size the repetitions.
    let n = 4;
    let ns = await v.rep(n);
    const warmEnd = nowNs() + WARM_MS * 1e6;
    while (nowNs() < warmEnd || ns * n < CAL_MS * 1e6) {
      if (ns * n < CAL_MS * 1e6 && n < 1_000_000) n *= 4;
      ns = await v.rep(n);
    }
    ns = await v.rep(n);
    v.n = callsFor(ns, REP_MS, 3);
    log(`  ${v.name} / ${v.impl}: ${(ns / 1e3).toFixed(1)} us/call, ${v.n} calls per repetition ` +
      `(calibration ${((nowNs() - t0) / 1e6).toFixed(0)} ms)`);
  }
  const samples = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < REPS; r++) {
    const t0 = nowNs();
    for (const v of variants) samples.get(v)!.push(await v.rep(v.n!));
    log(`  round ${r + 1}/${REPS}: ${((nowNs() - t0) / 1e6).toFixed(0)} ms`);
  }
  for (const v of variants) {
    const s = stat(samples.get(v)!, v.n!);
    const row: Row = { group: v.group, name: v.name, impl: v.impl, unit: 'ns/call', stat: s };
    if (v.bytes) {
      row.size = v.size;
      row.mbps = stat(samples.get(v)!.map((ns) => (v.bytes! / ns) * 1e3), v.n!); // bytes/ns * 1e3 = MB/s
    }
    rows.push(row);
  }
}

// ---- sections ------------------------------------------------------------------

async function perCall(): Promise<void> {
  log('per call: FWCTL_INFO and a 64-byte FWCTL_RPC');
  const d = fwctl.openSync(DEV);
  const k = new KoffiClient(DEV);
  const req = echoReq(64);
  const outLen = 64 - MOCK_HDR;
  const opts = { scope: SCOPE, responseLength: outLen };
  const kOut = Buffer.alloc(outLen);
  const kReqAddr = k.address(req);
  const kOutAddr = k.address(kOut);
  const g = 'per call';
  // Caller buffers: reused ordinary Buffers (and options objects); the response lands in `out`.
  const out = Buffer.alloc(outLen);
  const into = { scope: SCOPE, responseBuffer: out };
  const infoOpts = { data: Buffer.alloc(256) };
  const prepared = d.prepareRpc(req, { scope: SCOPE, responseBuffer: Buffer.alloc(outLen) });
  const preparedInfo = d.prepareInfo(Buffer.alloc(256));
  const kRpc = k.preparedRpc(req, kOut);
  const kInfo = k.preparedInfo();
  // The N-API floor: a bound addon function with rpcSync's arguments that does nothing.
  const raw = openBenchHandle(DEV);  // the bench addon (bench/addon.ts): the floor is not shipped
  // allocBuffer() memory: prepared calls bound once in the addon (no lookup per call).
  const pReq = fwctl.allocBuffer(64);
  pReq.set(req);
  const pPrepared = d.prepareRpc(pReq, { scope: SCOPE, responseBuffer: fwctl.allocBuffer(outLen) });
  const pPreparedInfo = d.prepareInfo(fwctl.allocBuffer(256));
  // Its floor: a bound function taking what a bound call takes (nothing), doing nothing.
  const floor0 = raw.bindNoop();
  await runInterleaved([
    { group: g, name: 'FWCTL_INFO', impl: 'c', rep: (n) => cBench(DEV, ['bench-info', String(n)]) },
    { group: g, name: 'FWCTL_INFO', impl: 'package infoSync()', rep: (n) => timeSync(n, () => d.infoSync()) },
    { group: g, name: 'FWCTL_INFO', impl: 'package await info()', rep: (n) => timeAsync(n, () => d.info()) },
    { group: g, name: 'FWCTL_INFO', impl: 'koffi ioctl', rep: (n) => timeSync(n, () => k.infoSync()) },
    { group: g, name: 'FWCTL_INFO', impl: 'koffi ioctl (careful: struct filled once)', rep: (n) => timeSync(n, kInfo) },
    { group: g, name: 'FWCTL_INFO', impl: 'package infoSync({ data })', rep: (n) => timeSync(n, () => d.infoSync(infoOpts)) },
    { group: g, name: 'FWCTL_INFO', impl: 'package prepareInfo().callSync()', rep: (n) => timeSync(n, preparedInfo.callSync) },
    { group: g, name: 'FWCTL_INFO', impl: 'package prepareInfo(allocBuffer).callSync()', rep: (n) => timeSync(n, pPreparedInfo.callSync) },
    { group: g, name: 'RPC 64 B', impl: 'c', rep: (n) => cBench(DEV, ['bench-rpc', String(n), String(64 - MOCK_HDR)]) },
    { group: g, name: 'RPC 64 B', impl: 'package rpcSync()', rep: (n) => timeSync(n, () => d.rpcSync(req, opts)) },
    { group: g, name: 'RPC 64 B', impl: 'package rpcSync(responseBuffer)', rep: (n) => timeSync(n, () => d.rpcSync(req, into)) },
    { group: g, name: 'RPC 64 B', impl: 'package prepareRpc().callSync()', rep: (n) => timeSync(n, prepared.callSync) },
    { group: g, name: 'RPC 64 B', impl: 'N-API floor (no-op, same arguments)', rep: (n) => timeSync(n, () => raw.rpcNoop(SCOPE, req, out)) },
    { group: g, name: 'RPC 64 B', impl: 'package prepareRpc(allocBuffer).callSync()', rep: (n) => timeSync(n, pPrepared.callSync) },
    { group: g, name: 'RPC 64 B', impl: 'N-API floor, bound (no-op, no arguments)', rep: (n) => timeSync(n, floor0) },
    { group: g, name: 'RPC 64 B', impl: 'package await rpc()', rep: (n) => timeAsync(n, () => d.rpc(req, opts)) },
    {
      group: g, name: 'RPC 64 B', impl: `package rpc() x${IN_FLIGHT} in flight`,
      rep: (n) => timeInFlight(n, IN_FLIGHT, () => d.rpc(req, opts)),
    },
    { group: g, name: 'RPC 64 B', impl: 'koffi ioctl', rep: (n) => timeSync(n, () => k.rpcSync(req, kReqAddr, kOut, kOutAddr)) },
    { group: g, name: 'RPC 64 B', impl: 'koffi ioctl (careful: struct filled once)', rep: (n) => timeSync(n, kRpc) },
    { group: g, name: 'RPC 64 B', impl: 'koffi await ioctl.async', rep: (n) => timeAsync(n, () => k.rpcAsync(req, outLen)) },
  ]);
  d.closeSync();
  raw.close();
  k.close();
}

async function sizes(): Promise<void> {
  log(`payload sizes ${SIZES.join(', ')} B (mock ECHO, response = request - 16 B)`);
  const d = fwctl.openSync(DEV);
  const k = new KoffiClient(DEV);
  const variants: Variant[] = [];
  for (const size of SIZES) {
    const req = echoReq(size);
    const outLen = size - MOCK_HDR;
    const opts = { scope: SCOPE, responseLength: outLen };
    const into = { scope: SCOPE, responseBuffer: Buffer.alloc(outLen) };
    const prep = d.prepareRpc(req, { scope: SCOPE, responseBuffer: Buffer.alloc(outLen) });
    const kOut = Buffer.alloc(outLen);
    const kReqAddr = k.address(req);
    const kOutAddr = k.address(kOut);
    const kPrepared = k.preparedRpc(req, kOut);
    const pReq = fwctl.allocBuffer(size);
    pReq.set(req);
    const pPrep = d.prepareRpc(pReq, { scope: SCOPE, responseBuffer: fwctl.allocBuffer(outLen) });
    const label = size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
    const common = { group: 'throughput', name: `RPC ${label}`, size, bytes: size + outLen };
    variants.push(
      { ...common, impl: 'c', rep: (n) => cBench(DEV, ['bench-rpc', String(n), String(outLen)]) },
      { ...common, impl: 'package rpcSync()', rep: (n) => timeSync(n, () => d.rpcSync(req, opts)) },
      { ...common, impl: 'package rpcSync(responseBuffer)', rep: (n) => timeSync(n, () => d.rpcSync(req, into)) },
      { ...common, impl: 'package prepareRpc().callSync()', rep: (n) => timeSync(n, prep.callSync) },
      { ...common, impl: 'package prepareRpc(allocBuffer).callSync()', rep: (n) => timeSync(n, pPrep.callSync) },
      { ...common, impl: 'package await rpc()', rep: (n) => timeAsync(n, () => d.rpc(req, opts)) },
      { ...common, impl: 'koffi ioctl', rep: (n) => timeSync(n, () => k.rpcSync(req, kReqAddr, kOut, kOutAddr)) },
      { ...common, impl: 'koffi ioctl (careful: struct filled once)', rep: (n) => timeSync(n, kPrepared) },
    );
  }
  await runInterleaved(variants);
  d.closeSync();
  k.close();
}

async function concurrency(): Promise<void> {
  log(`concurrency: mock SLEEP ${SLEEP_MS} ms, 1 vs 8 at once`);
  // 7 more devices for the "across devices" case (deleted at the end)
  const added: mock.MockDevice[] = [];
  for (let i = 0; i < 7; i++) added.push(mock.add());
  const all = [devs[0], ...added].map((m) => `/dev/fwctl/${m.name}`);
  const sameDev = Array.from({ length: 8 }, () => fwctl.openSync(DEV));
  const acrossDevs = all.map((p) => fwctl.openSync(p));
  const koffiSame = Array.from({ length: 8 }, () => new KoffiClient(DEV));
  const req = sleepReq(SLEEP_MS);
  const opts = { scope: SCOPE, responseLength: 8 };
  const msOf = async (fn: () => Promise<unknown>) => {
    const t0 = nowNs();
    await fn();
    return (nowNs() - t0) / 1e6;
  };
  const cases: [string, string, () => Promise<unknown>][] = [
    ['1 RPC', 'package await rpc()', () => sameDev[0].rpc(req, opts)],
    ['8 RPCs, one device (8 handles)', 'package rpc()', () => Promise.all(sameDev.map((d) => d.rpc(req, opts)))],
    ['8 RPCs, 8 devices', 'package rpc()', () => Promise.all(acrossDevs.map((d) => d.rpc(req, opts)))],
    ['1 RPC', 'koffi ioctl.async', () => koffiSame[0].rpcAsync(req, 8)],
    ['8 RPCs, one device (8 handles)', 'koffi ioctl.async', () => Promise.all(koffiSame.map((k) => k.rpcAsync(req, 8)))],
  ];
  const samples = cases.map(() => [] as number[]);
  for (const [, , fn] of cases) await fn(); // warm-up: pool threads, JIT
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < cases.length; i++) samples[i].push(await msOf(cases[i][2]));
  }
  cases.forEach(([name, impl], i) => {
    rows.push({ group: `concurrency (SLEEP ${SLEEP_MS} ms)`, name, impl, unit: 'ms', stat: stat(samples[i], 1) });
  });
  // C reference: 8 probe processes at once, each one SLEEP (the kernel path alone)
  rows.push({
    group: `concurrency (SLEEP ${SLEEP_MS} ms)`, name: '8 RPCs, one device (8 handles)', impl: 'c (8 processes)', unit: 'ms',
    stat: stat(Array.from({ length: REPS }, () => cParallelSleep(DEV, 8, SLEEP_MS)), 1),
  });
  for (const d of [...sameDev, ...acrossDevs]) d.closeSync();
  for (const k of koffiSame) k.close();
  for (const m of added) mock.del(m.name);
}

/** 8 C probes at once, each one mock SLEEP; wall ms from the first spawn to the last exit (spawn included). */
function cParallelSleep(dev: string, count: number, ms: number): number {
  const script = `for i in $(seq ${count}); do "$0" "$1" rpc 4 ${ms} 8 >/dev/null & done; wait`;
  const t0 = nowNs();
  execFileSync('bash', ['-c', script, probePath(), dev]);
  return (nowNs() - t0) / 1e6;
}

async function fsLatency(): Promise<void> {
  const slowMs = 200;
  const windowMs = quick ? 600 : 1500;
  const rounds = 3;
  log(`fs.readFile latency: idle vs 8 x ${slowMs} ms RPCs in flight (${rounds} x ${windowMs} ms each)`);
  const file = path.join(os.tmpdir(), 'fwctl-bench-readfile');
  fs.writeFileSync(file, Buffer.alloc(4096, 1));
  const handles = Array.from({ length: 8 }, () => fwctl.openSync(DEV));
  const koffis = Array.from({ length: 8 }, () => new KoffiClient(DEV));
  const req = sleepReq(slowMs);
  const opts = { scope: SCOPE, responseLength: 8 };

  async function sample(out: number[], load?: (i: number) => Promise<unknown>): Promise<void> {
    let stop = false;
    const lanes = load
      ? Array.from({ length: 8 }, async (_, i) => {
        while (!stop) await load(i);
      })
      : [];
    await new Promise((r) => setTimeout(r, 20)); // let the slow calls start
    const end = nowNs() + windowMs * 1e6;
    while (nowNs() < end) {
      const t0 = nowNs();
      await fs.promises.readFile(file);
      out.push((nowNs() - t0) / 1e6);
    }
    stop = true;
    await Promise.all(lanes);
  }
  await sample([]); // warm-up
  const idle: number[] = [];
  const busy: number[] = [];
  const busyKoffi: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await sample(idle);
    await sample(busy, (i) => handles[i].rpc(req, opts));
    await sample(busyKoffi, (i) => koffis[i].rpcAsync(req, 8));
  }
  const g = 'fs.readFile latency (4 KiB, tmpfs)';
  const put = (name: string, impl: string, v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    rows.push({
      group: g, name, impl, unit: 'ms',
      stat: { median: percentile(s, 50), min: s[0], max: s[s.length - 1], reps: rounds, n: s.length },
      p99: percentile(s, 99),
    });
  };
  put('idle', 'node', idle);
  put(`8 x ${slowMs} ms RPCs in flight`, 'package rpc()', busy);
  put(`8 x ${slowMs} ms RPCs in flight`, 'koffi ioctl.async', busyKoffi);
  for (const d of handles) d.closeSync();
  for (const k of koffis) k.close();
  fs.rmSync(file, { force: true });
}

function cli(): void {
  const reps = quick ? 5 : 9;
  log(`CLI start-up: fwctl list --json vs node -e '' (${reps} runs each, interleaved)`);
  const main = path.join(repo, 'dist/lib/cli/main.js');
  const check = spawnSync(process.execPath, [main, 'list', '--json'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`fwctl list --json failed: ${check.stderr}`);
  const cases: [string, string[]][] = [
    ["node -e ''", ['-e', '']],
    ['fwctl list --json', [main, 'list', '--json']],
  ];
  const samples = cases.map(() => [] as number[]);
  for (const [, a] of cases) spawnSync(process.execPath, a); // warm the page cache
  for (let r = 0; r < reps; r++) {
    cases.forEach(([, a], i) => {
      const t0 = nowNs();
      const p = spawnSync(process.execPath, a, { stdio: 'ignore' });
      samples[i].push((nowNs() - t0) / 1e6);
      if (p.status !== 0) throw new Error(`${a.join(' ')} exited ${p.status}`);
    });
  }
  cases.forEach(([name], i) => rows.push({ group: 'CLI start-up (wall)', name, impl: 'node', unit: 'ms', stat: stat(samples[i], 1) }));
}

async function memory(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  log(`memory: ${MEM_CALLS} rpcSync() + ${MEM_CALLS} rpc() (${IN_FLIGHT} in flight) after a warm-up`);
  const d = fwctl.openSync(DEV);
  const req = echoReq(64);
  const opts = { scope: SCOPE, responseLength: 64 - MOCK_HDR };
  const snap = () => {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
  };
  const warm = Math.round(MEM_CALLS / 10);
  for (let i = 0; i < warm; i++) d.rpcSync(req, opts);
  await timeInFlight(warm, IN_FLIGHT, () => d.rpc(req, opts));
  const afterWarmup = snap();
  for (let i = 0; i < MEM_CALLS; i++) d.rpcSync(req, opts);
  const afterSync = snap();
  await timeInFlight(MEM_CALLS, IN_FLIGHT, () => d.rpc(req, opts));
  const end = snap();
  // The prepared path, the one that promises no allocation: 100,000 rounds
  // of a prepared RPC and INFO over allocBuffer() memory, alternating with a
  // second pair over ordinary Buffers, after a warm-up. Any per-call
  // allocation would show as young-generation collections (PerformanceObserver
  // 'gc' entries) and heap growth; the ioctls run in the guest's real kernel.
  const pReq = fwctl.allocBuffer(64);
  pReq.set(req);
  const pRpc = d.prepareRpc(pReq, { scope: SCOPE, responseBuffer: fwctl.allocBuffer(64 - MOCK_HDR) });
  const pInfo = d.prepareInfo(fwctl.allocBuffer(256));
  const oRpc = d.prepareRpc(Buffer.from(req), { scope: SCOPE, responseBuffer: Buffer.alloc(64 - MOCK_HDR) });
  const oInfo = d.prepareInfo(Buffer.alloc(256));
  // One function for the warm-up and the measured run: the same loops, so
  // the measured ones are already optimised (an OSR compile allocates).
  const run = (n: number) => {
    for (let i = 0; i < n; i++) { pRpc.callSync(); pInfo.callSync(); oRpc.callSync(); oInfo.callSync(); }
  };
  run(20000);
  run(20000);
  // Collections that started inside the measured window: the observer's
  // entries arrive asynchronously, well after the collection (the two forced
  // gc() calls before the window were counted in it by an earlier version).
  const { PerformanceObserver, performance } = await import('node:perf_hooks');
  const starts: number[] = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) starts.push(e.startTime); });
  obs.observe({ entryTypes: ['gc'] });
  gc?.();
  gc?.();
  const t0 = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  run(CALLER_CALLS);
  const heapAfter = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 200));
  obs.disconnect();
  const gcs = starts.filter((t) => t >= t0 && t <= t1).length;
  d.closeSync();
  results.memory = {
    calls: MEM_CALLS, warmupCalls: warm * 2, gcExposed: !!gc, afterWarmup, afterSync, end,
    callerBuffers: { calls: CALLER_CALLS, gcs, heapGrowth: heapAfter - heapBefore },
  };
}

function callgrind(): void {
  const so = process.env.FWCTL_BENCH_CGCTL;
  const valgrind = ['/usr/bin/valgrind', '/usr/local/bin/valgrind'].find((p) => fs.existsSync(p));
  if (!so || !fs.existsSync(so) || !valgrind) {
    results.callgrind = { skipped: `valgrind or the cgctl helper is missing (valgrind: ${valgrind ?? 'none'}, cgctl: ${so ?? 'unset'})` };
    return;
  }
  const n = quick ? 100 : 200;
  const warm = quick ? 1000 : 1500;
  const limitS = quick ? 180 : 300; // node under callgrind under TCG is very slow: bounded
  const dir = path.join(resultsDir, 'callgrind');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const perCall: Record<string, number> = {};
  const counts: Record<string, Record<string, number>> = {};

  // C: whole program, N calls vs 0 calls
  for (const [name, mode, extra] of [['c rpc', 'bench-rpc', [String(64 - MOCK_HDR)]], ['c info', 'bench-info', []]] as const) {
    const tot: Record<string, number> = {};
    for (const calls of [0, n]) {
      const out = path.join(dir, `${name.replace(' ', '-')}.${calls}.out`);
      log(`callgrind: ${name} x ${calls}`);
      execFileSync(valgrind, ['--tool=callgrind', `--callgrind-out-file=${out}`, probePath(), DEV, mode, String(calls), ...extra],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      tot[String(calls)] = totalsOf(out);
    }
    counts[name] = tot;
    perCall[name] = (tot[String(n)] - tot['0']) / n;
  }
  // node: one process under valgrind, instrumentation only inside the windows
  log(`callgrind: node (package, koffi), warm-up ${warm}, windows of 0 and ${n} calls (slow under TCG)`);
  const t0 = nowNs();
  const r = spawnSync(valgrind, [
    '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${path.join(dir, 'node.%p.out')}`,
    process.execPath, path.join(__dirname, 'callgrind.js'), DEV, so, String(warm), String(n),
  ], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: limitS * 1000, killSignal: 'SIGKILL' });
  const timedOut = r.status !== 0;
  if (timedOut) log(`callgrind: node stopped after ${limitS} s (status ${r.status}, ${r.signal ?? ''}): partial counts`);
  const nodeSecs = (nowNs() - t0) / 1e9;
  for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('node.'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const label = /^desc: Trigger: Client Request: (.*)$/m.exec(text)?.[1];
    if (!label) continue;
    const [name, calls] = label.split('|');
    (counts[name] ??= {})[calls] = totalsOf(path.join(dir, f));
  }
  for (const name of ['package rpcSync', 'koffi rpc', 'package infoSync', 'koffi info']) {
    const c = counts[name];
    if (c && c['0'] !== undefined && c[String(n)] !== undefined) perCall[name] = (c[String(n)] - c['0']) / n;
  }
  results.callgrind = {
    n, warmup: warm, perCall, counts, nodeSeconds: nodeSecs, files: path.relative(resultsDir, dir),
    ...(timedOut ? { partial: `node under callgrind stopped after ${limitS} s; clients without both windows are missing` } : {}),
  };
}

function totalsOf(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  const m = /^(?:totals|summary):\s*(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

function save(): void {
  results.targets = evaluate(results);
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
}

// ---- main ------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  log(`device ${DEV}, probe ${probePath()}, ${REPS} repetitions${quick ? ' (quick)' : ''}`);
  log(`env: ${JSON.stringify(results.env)}`);
  const sections: [string, () => unknown][] = [
    ['percall', perCall], ['sizes', sizes], ['concurrency', concurrency], ['fsLatency', fsLatency],
    ['cli', cli], ['memory', memory], ['callgrind', callgrind],
    ['flash', async () => { results.flash = await flashBench(quick ? 1 : 3, log); }],
  ];
  results.sectionSeconds = {};
  for (const [name, fn] of sections) {
    if (!want(name)) continue;
    const s0 = Date.now();
    await fn();
    results.sectionSeconds[name] = (Date.now() - s0) / 1000;
    log(`${name}: ${results.sectionSeconds[name].toFixed(1)} s`);
    save(); // a run cut short still leaves the finished sections
  }
  results.totalSeconds = (Date.now() - t0) / 1000;
  save();
  log(`wrote ${path.join(resultsDir, 'bench.json')}`);
  process.stderr.write(`\n${renderTable(results)}\n`);
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
