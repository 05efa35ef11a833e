// Results of bench/main.ts: types, the targets of the benchmark issue, and
// the printed table. Also a command (run on the host by bench/run.sh):
//
//   node dist/bench/report.js RESULTS.json [--json]
//
// prints the table, or with --json the results file itself (stdout only).

import * as fs from 'node:fs';
import type { FlashBench } from './flash';
import type { Stat } from './util';

export interface Row {
  group: string;
  name: string;
  impl: string;
  unit: string;
  stat: Stat;
  size?: number;
  /** throughput in MB/s (1 MB = 1e6 bytes) of request + response bytes */
  mbps?: Stat;
  /** latency distributions: 99th percentile (stat.median is the p50) */
  p99?: number;
}

interface MemSnap {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface Target {
  name: string;
  /** what is compared, with the raw numbers */
  detail: string;
  value: number | null;
  limit: string;
  met: boolean | null;
}

export interface BenchResults {
  version: 1;
  command: string;
  quick: boolean;
  reps: number;
  env: Record<string, string | number | boolean>;
  rows: Row[];
  memory?: {
    calls: number; warmupCalls: number; gcExposed: boolean; afterWarmup: MemSnap; afterSync: MemSnap; end: MemSnap;
    /** Prepared RPC and INFO calls (allocBuffer and ordinary memory): collections and heap growth over `calls` rounds. */
    callerBuffers?: { calls: number; gcs: number; heapGrowth: number };
  };
  /** Host instruction counts (bench/host-callgrind.ts, run by bench/run.sh after the VM): per client, one process each. */
  hostCallgrind?: { n: number; warm: number; perCall: Record<string, number>; node?: string };
  callgrind?: {
    skipped?: string;
    partial?: string;
    n?: number;
    warmup?: number;
    perCall?: Record<string, number>;
    counts?: Record<string, Record<string, number>>;
    nodeSeconds?: number;
    files?: string;
  };
  /** A 1 MiB mlx5 firmware update over the emulated firmware (bench/flash.ts). */
  flash?: FlashBench | { skipped: string };
  sectionSeconds?: Record<string, number>;
  totalSeconds?: number;
  targets?: Target[];
}

function find(r: BenchResults, group: string, name: string, impl: string): Row | undefined {
  return r.rows.find((x) => x.group.startsWith(group) && x.name === name && x.impl === impl);
}

function ratioTarget(
  name: string, limit: number, cmp: 'le' | 'ge', a: Row | undefined, b: Row | undefined, what: (x: Row) => number, unit: string,
): Target {
  const lim = `${cmp === 'le' ? '<=' : '>='} ${limit}x`;
  if (!a || !b) return { name, detail: 'not measured in this run', value: null, limit: lim, met: null };
  const va = what(a);
  const vb = what(b);
  const ratio = va / vb;
  return {
    name,
    detail: `${a.impl} ${fmt(va)} ${unit} / ${b.impl} ${fmt(vb)} ${unit}`,
    value: ratio,
    limit: lim,
    met: cmp === 'le' ? ratio <= limit : ratio >= limit,
  };
}

/** The issue's targets (ratios within this run), plus memory growth. */
export function evaluate(r: BenchResults): Target[] {
  const t: Target[] = [];
  const med = (x: Row) => x.stat.median;
  const c64 = find(r, 'per call', 'RPC 64 B', 'c');
  t.push(ratioTarget('sync RPC per call vs C', 1.3, 'le', find(r, 'per call', 'RPC 64 B', 'package rpcSync()'), c64, med, 'ns'));
  t.push(ratioTarget('sync INFO per call vs C', 1.3, 'le', find(r, 'per call', 'FWCTL_INFO', 'package infoSync()'),
    find(r, 'per call', 'FWCTL_INFO', 'c'), med, 'ns'));
  t.push(ratioTarget('sync RPC no slower than koffi', 1.0, 'le', find(r, 'per call', 'RPC 64 B', 'package rpcSync()'),
    find(r, 'per call', 'RPC 64 B', 'koffi ioctl'), med, 'ns'));
  t.push(ratioTarget('sync INFO no slower than koffi', 1.0, 'le', find(r, 'per call', 'FWCTL_INFO', 'package infoSync()'),
    find(r, 'per call', 'FWCTL_INFO', 'koffi ioctl'), med, 'ns'));
  t.push(ratioTarget('async RPC latency vs C', 3, 'le', find(r, 'per call', 'RPC 64 B', 'package await rpc()'), c64, med, 'ns'));
  const mb = (x: Row) => x.mbps!.median;
  t.push(ratioTarget('2 MiB throughput vs C (rpcSync)', 0.9, 'ge', find(r, 'throughput', 'RPC 2 MiB', 'package rpcSync()'),
    find(r, 'throughput', 'RPC 2 MiB', 'c'), mb, 'MB/s'));
  t.push(ratioTarget('2 MiB throughput vs C (await rpc)', 0.9, 'ge', find(r, 'throughput', 'RPC 2 MiB', 'package await rpc()'),
    find(r, 'throughput', 'RPC 2 MiB', 'c'), mb, 'MB/s'));
  // The kept call forms against the careful koffi client on the same case
  // (INFO and RPC 64 B per call, RPC 64 KiB in the throughput loop):
  // infoSync/rpcSync with a reused ordinary Buffer within 1.15x of it, the
  // prepared path over allocBuffer() memory at or below it (issue 23).
  const careful = 'koffi ioctl (careful: struct filled once)';
  const vsCareful = (name: string, limit: number, group: string, which: string, impl: string) =>
    t.push(ratioTarget(`${name} vs careful koffi`, limit, 'le', find(r, group, which, impl), find(r, group, which, careful), med, 'ns'));
  vsCareful('rpcSync 64 B, reused Buffer as responseBuffer,', 1.15, 'per call', 'RPC 64 B', 'package rpcSync(responseBuffer)');
  vsCareful('infoSync, reused Buffer as data,', 1.15, 'per call', 'FWCTL_INFO', 'package infoSync({ data })');
  vsCareful('rpcSync 64 KiB, reused Buffer as responseBuffer,', 1.15, 'throughput', 'RPC 64 KiB', 'package rpcSync(responseBuffer)');
  const prepared = (label: string, how: string, limit: number) => {
    vsCareful(`prepared RPC 64 B${label}`, limit, 'per call', 'RPC 64 B', `package prepareRpc(${how}).callSync()`);
    vsCareful(`prepared INFO${label}`, limit, 'per call', 'FWCTL_INFO', `package prepareInfo(${how}).callSync()`);
    vsCareful(`prepared RPC 64 KiB${label}`, limit, 'throughput', 'RPC 64 KiB', `package prepareRpc(${how}).callSync()`);
  };
  prepared(' (allocBuffer)', 'allocBuffer', 1.0);
  t.push(ratioTarget('2 MiB throughput vs C (prepared, allocBuffer buffers)', 0.95, 'ge',
    find(r, 'throughput', 'RPC 2 MiB', 'package prepareRpc(allocBuffer).callSync()'), find(r, 'throughput', 'RPC 2 MiB', 'c'), mb, 'MB/s'));
  // Userspace instructions per call (host, deterministic): against the floor
  // of a call taking the same arguments and doing nothing.
  const hc = r.hostCallgrind?.perCall;
  const insn = (name: string, a: string, b: string): Target => {
    if (!hc || hc[a] === undefined || hc[b] === undefined) {
      return { name, detail: 'not measured in this run (bench/host-callgrind.ts)', value: null, limit: '<= 1.3x', met: null };
    }
    const ratio = hc[a] / hc[b];
    return { name, detail: `${a} ${hc[a]} / ${b} ${hc[b]} instructions`, value: ratio, limit: '<= 1.3x', met: ratio <= 1.3 };
  };
  const bfloor = 'N-API floor, bound (bindNoop)', floor3 = 'N-API floor (rpcNoop)';
  t.push(insn('instructions: prepared RPC 64 B (allocBuffer) vs its floor (bound, no arguments)', 'prepareRpc 64 B callSync (allocBuffer)', bfloor));
  t.push(insn('instructions: prepared INFO (allocBuffer) vs its floor (bound, no arguments)', 'prepareInfo callSync (allocBuffer)', bfloor));
  t.push(insn('instructions: rpcSync 64 B (ordinary caller buffers) vs its floor', 'rpcSync 64 B (caller buffers)', floor3));
  t.push(insn('instructions: infoSync (ordinary caller buffer) vs the bound floor', 'infoSync (caller buffer)', bfloor));
  // The async hand-off on the 2-CPU guest: what await adds over the same
  // call made synchronously, against koffi's ioctl.async over its sync call.
  {
    const pa2 = find(r, 'per call', 'RPC 64 B', 'package await rpc()'), ps = find(r, 'per call', 'RPC 64 B', 'package rpcSync()');
    const ka = find(r, 'per call', 'RPC 64 B', 'koffi await ioctl.async'), ks = find(r, 'per call', 'RPC 64 B', 'koffi ioctl');
    const name = 'async hand-off (await rpc() / rpcSync()) no worse than koffi\'s (ioctl.async / ioctl)';
    if (pa2 && ps && ka && ks) {
      const mine = med(pa2) / med(ps), theirs = med(ka) / med(ks);
      t.push({ name, detail: `package ${fmt(mine)}x (${fmt(med(pa2))} / ${fmt(med(ps))} ns), koffi ${fmt(theirs)}x (${fmt(med(ka))} / ${fmt(med(ks))} ns)`,
        value: mine / theirs, limit: '<= 1x', met: mine / theirs <= 1 });
    } else {
      t.push({ name, detail: 'not measured in this run', value: null, limit: '<= 1x', met: null });
    }
  }
  const cbm = r.memory?.callerBuffers;
  t.push(cbm ? {
    name: `no allocation: ${cbm.calls} rounds of prepared RPC + INFO calls, alternating two prepared pairs (allocBuffer and ordinary memory)`,
    detail: `${cbm.gcs} collections, heapUsed ${cbm.heapGrowth >= 0 ? '+' : ''}${(cbm.heapGrowth / 1024).toFixed(0)} KiB`,
    value: cbm.gcs,
    limit: '0 collections, heap growth < 512 KiB',
    met: cbm.gcs === 0 && cbm.heapGrowth < 512 * 1024,
  } : { name: 'no allocation with caller buffers', detail: 'not measured in this run (memory section)', value: null, limit: '0 collections', met: null });
  prepared('', '', 1.15);
  t.push(ratioTarget('2 MiB throughput vs C (rpcSync, caller buffers)', 0.95, 'ge',
    find(r, 'throughput', 'RPC 2 MiB', 'package rpcSync(responseBuffer)'), find(r, 'throughput', 'RPC 2 MiB', 'c'), mb, 'MB/s'));
  const one = find(r, 'concurrency', '1 RPC', 'package await rpc()');
  t.push(ratioTarget('8 x 50 ms RPCs, one device, vs one', 1.5, 'le', find(r, 'concurrency', '8 RPCs, one device (8 handles)', 'package rpc()'), one, med, 'ms'));
  t.push(ratioTarget('8 x 50 ms RPCs, 8 devices, vs one', 1.5, 'le', find(r, 'concurrency', '8 RPCs, 8 devices', 'package rpc()'), one, med, 'ms'));
  const busy = r.rows.find((x) => x.group.startsWith('fs.readFile') && x.impl === 'package rpc()');
  const idle = r.rows.find((x) => x.group.startsWith('fs.readFile') && x.name === 'idle');
  t.push(ratioTarget('fs.readFile p99 during 8 slow RPCs vs idle', 2, 'le', busy, idle, (x) => x.p99!, 'ms (p99)'));
  t.push(ratioTarget('fwctl list --json vs node -e \'\'', 1.5, 'le', find(r, 'CLI', 'fwctl list --json', 'node'),
    find(r, 'CLI', "node -e ''", 'node'), med, 'ms'));
  if (r.memory) {
    const a = r.memory.afterWarmup;
    const e = r.memory.end;
    const MiB = 1024 * 1024;
    const grow = e.rss - a.rss;
    const ext = e.external - a.external;
    t.push({
      name: `memory after ${r.memory.calls} rpcSync + ${r.memory.calls} rpc (no growth)`,
      detail: `RSS ${(a.rss / MiB).toFixed(1)} -> ${(e.rss / MiB).toFixed(1)} MiB, external ${(a.external / MiB).toFixed(2)} -> ` +
        `${(e.external / MiB).toFixed(2)} MiB, heapUsed ${(a.heapUsed / MiB).toFixed(1)} -> ${(e.heapUsed / MiB).toFixed(1)} MiB`,
      value: grow / MiB,
      limit: 'RSS growth < 5 MiB, external < 1 MiB',
      met: grow < 5 * MiB && ext < 1 * MiB,
    });
  }
  // Firmware update (issue 25): the library's share of a 1 MiB update, under 5 %.
  const f = r.flash;
  if (f && !('skipped' in f)) {
    t.push({
      name: 'flash 1 MiB: library share (JS thread busy outside device calls / wall)', value: f.libraryShare, limit: '< 0.05', met: f.libraryShare < 0.05,
      detail: `library ${f.libraryMs.median.toFixed(0)} ms of ${f.workMs.median.toFixed(0)} ms (${f.blocks} blocks, firmware ${f.firmwareBlockUs} us/block); ` +
        `no-work floor ${f.noWorkMs.median.toFixed(0)} ms (${(f.floorShare * 100).toFixed(1)} %)`,
    });
  }
  return t;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function table(head: string[], body: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

export function renderTable(r: BenchResults): string {
  const out: string[] = [];
  const e = r.env;
  out.push(`fwctl benchmark (${r.command}): kernel ${e.kernel}, accel ${e.accel}, guest CPU ${e.guestCpu} x${e.guestCpus}, ` +
    `host CPU ${e.hostCpu} (load ${e.hostLoad}), node ${e.node}, koffi ${e.koffi}`);
  out.push(`${r.reps} repetitions per figure; median [min..max]; ratio = median / C median (time), or MB/s / C MB/s (throughput).`);
  if (e.accel !== 'kvm') out.push('Software emulation (TCG): absolute figures are inflated ~10x; compare ratios within this run only.');
  const groups = [...new Set(r.rows.map((x) => x.group))];
  for (const g of groups) {
    const rows = r.rows.filter((x) => x.group === g);
    out.push('', `## ${g}`);
    const lat = rows.some((x) => x.p99 !== undefined);
    const thr = rows.some((x) => x.mbps);
    const head = ['case', 'client', lat ? 'p50' : 'median', lat ? 'p99' : 'min', 'max', 'unit', lat ? 'samples' : 'n/rep'];
    if (thr) head.push('MB/s', 'ratio MB/s');
    if (!lat) head.push('ratio');
    const body = rows.map((x) => {
      const c = rows.find((y) => y.name === x.name && y.impl === 'c');
      const base = g.startsWith('concurrency') ? rows.find((y) => y.name === '1 RPC' && y.impl === 'package await rpc()') : c;
      const cells = [x.name, x.impl, fmt(x.stat.median), fmt(lat ? x.p99! : x.stat.min), fmt(x.stat.max), x.unit, String(x.stat.n)];
      if (thr) cells.push(x.mbps ? fmt(x.mbps.median) : '', x.mbps && c?.mbps ? `${fmt(x.mbps.median / c.mbps.median)}x` : '');
      if (!lat) cells.push(base && base !== x ? `${fmt(x.stat.median / base.stat.median)}x` : base === x ? '1x' : '');
      return cells;
    });
    out.push(table(head, body, head.map((_, i) => i >= 2)));
    if (g.startsWith('concurrency')) out.push('(ratio here: to one package rpc() of the same SLEEP)');
  }
  if (r.memory) {
    const MiB = 1024 * 1024;
    const m = r.memory;
    out.push('', `## memory (${m.calls} rpcSync + ${m.calls} rpc after ${m.warmupCalls} warm-up calls; after gc: ${m.gcExposed})`);
    const snaps: [string, MemSnap][] = [['after warm-up', m.afterWarmup], [`after ${m.calls} rpcSync`, m.afterSync], [`after ${m.calls} rpc`, m.end]];
    out.push(table(['point', 'RSS MiB', 'heapUsed MiB', 'external MiB', 'arrayBuffers MiB'],
      snaps.map(([n, s]) => [n, (s.rss / MiB).toFixed(1), (s.heapUsed / MiB).toFixed(2), (s.external / MiB).toFixed(2), (s.arrayBuffers / MiB).toFixed(2)]),
      [false, true, true, true, true]));
  }
  if (r.callgrind) {
    const cg = r.callgrind;
    out.push('', '## userspace instructions per call (valgrind --tool=callgrind, in the guest)');
    if (cg.skipped) out.push(`skipped: ${cg.skipped}`);
    else {
      out.push(`(total for ${cg.n} calls - total for 0 calls) / ${cg.n}; node after ${cg.warmup} warm-up calls`);
      if (cg.partial) out.push(cg.partial);
      const pc = cg.perCall ?? {};
      const rowsCg: [string, string, string][] = [['RPC 64 B', 'c rpc', 'c'], ['RPC 64 B', 'package rpcSync', 'package rpcSync()'],
        ['RPC 64 B', 'koffi rpc', 'koffi ioctl'], ['FWCTL_INFO', 'c info', 'c'], ['FWCTL_INFO', 'package infoSync', 'package infoSync()'],
        ['FWCTL_INFO', 'koffi info', 'koffi ioctl']];
      out.push(table(['case', 'client', 'instructions/call', 'vs C', 'vs koffi'], rowsCg.filter(([, k]) => pc[k] !== undefined).map(([c, k, label]) => {
        const cKey = c === 'RPC 64 B' ? 'c rpc' : 'c info';
        const kKey = c === 'RPC 64 B' ? 'koffi rpc' : 'koffi info';
        return [c, label, pc[k].toFixed(0), pc[cKey] ? `${fmt(pc[k] / pc[cKey])}x` : '', pc[kKey] ? `${fmt(pc[k] / pc[kKey])}x` : ''];
      }), [false, false, true, true, true]));
    }
  }
  if (r.hostCallgrind) {
    const h = r.hostCallgrind;
    out.push('', `## userspace instructions per call (host, LD_PRELOAD shim, one process per client; node ${h.node ?? '?'}, warm-up ${h.warm}, N ${h.n})`);
    out.push(table(['client', 'instructions/call'], Object.entries(h.perCall).map(([k, v]) => [k, String(v)]), [false, true]));
  }
  if (r.flash) {
    const f = r.flash;
    if ('skipped' in f) out.push('', `## flash: skipped (${f.skipped})`);
    else {
      out.push('', `## flash: a 1 MiB mlx5 update over mlx5_fwctl (${f.blocks} MCDA blocks, kernel-default 200 ms polls; ${f.reps} repetitions)`);
      out.push(table(['case', 'wall ms (median [min..max])', 'library ms', 'user CPU ms'], [
        [`firmware work ${f.firmwareBlockUs} us/block`, `${f.workMs.median.toFixed(0)} [${f.workMs.min.toFixed(0)}..${f.workMs.max.toFixed(0)}]`, f.libraryMs.median.toFixed(0), f.userCpuMs.median.toFixed(0)],
        ['no work per block (the floor)', `${f.noWorkMs.median.toFixed(0)} [${f.noWorkMs.min.toFixed(0)}..${f.noWorkMs.max.toFixed(0)}]`, '-', '-'],
      ], [false, true, true, true]));
      out.push(`library share ${(f.libraryShare * 100).toFixed(1)} % (JS thread busy outside device calls / wall); floor ${(f.floorShare * 100).toFixed(1)} % of the update`);
    }
  }
  if (r.targets) {
    out.push('', '## targets (ratios within this run)');
    out.push(table(['target', 'ratio', 'limit', 'result', 'numbers'],
      r.targets.map((t) => [t.name, t.value === null ? '-' : fmt(t.value), t.limit, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED', t.detail]),
      [false, true, false, false, false]));
  }
  if (r.sectionSeconds) {
    out.push('', `section times (s): ${Object.entries(r.sectionSeconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}; total ${r.totalSeconds?.toFixed(1)}`);
  }
  return out.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--host-callgrind');
  if (!file) {
    process.stderr.write('usage: node dist/bench/report.js RESULTS.json [--json]\n');
    process.exit(2);
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  // --host-callgrind FILE: bench/run.sh's host instruction counts, merged
  // into the results (written back) and the targets evaluated again.
  const hi = args.indexOf('--host-callgrind');
  if (hi >= 0 && fs.existsSync(args[hi + 1])) {
    const h = JSON.parse(fs.readFileSync(args[hi + 1], 'utf8')) as { n: number; warm: number; perCall: Record<string, number>; node?: string };
    r.hostCallgrind = { n: h.n, warm: h.warm, perCall: h.perCall, node: h.node };
    r.targets = evaluate(r);
    fs.writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  }
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else process.stdout.write(`${renderTable(r)}\n`);
}
