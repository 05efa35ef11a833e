// Host instruction counts per call, no VM: the package's sync and async
// calls against an LD_PRELOAD shim that answers FWCTL_INFO / FWCTL_RPC on
// /dev/null by following the patched pointers (bench/host-shim.c), under
// `valgrind --tool=callgrind --instr-atstart=no`. Like bench/callgrind.ts:
// per client a warm-up (JIT), then two windows of 0 and N calls bracketed by
// cg_start()/cg_stop() (bench/cgctl.c through koffi); instructions per call =
// (window(N) - window(0)) / N. Deterministic to within a few instructions;
// every thread is counted (async calls include the pool thread).
//
//   npx tsc -p tsconfig.json && node dist/bench/host-callgrind.js [--n N] [--warm W] [--only a,b] [--label TEXT] [--quiet]
//
// Each client runs in a process of its own (--only: clients whose names
// contain one of the strings). `npm run bench` runs it after the VM run.
//
// Prints a table and writes .results/bench/host-callgrind.json. Needs cc,
// valgrind and koffi (devDependency). Child mode (under valgrind):
//   node dist/bench/host-callgrind.js --child CGCTL_SO SHIM_SO WARM N ONLY

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const MOCK_HDR = 16;

type Client = { name: string; sync: boolean; fn: () => unknown };

function clients(shim: string): Client[] {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { binding } = require('../lib/binding') as typeof import('../lib/binding');
  const fwctl = require('../lib/index') as typeof import('../lib/index');
  const koffi = require('koffi');
  const opened = binding().open('/dev/null');
  if (typeof opened === 'number') throw new Error(`open /dev/null: ${opened}`);
  const h = opened[0];
  const d = new fwctl.Device(h, '/dev/null');
  const reqOf = (size: number) => Buffer.alloc(size, 0x5a);
  const opts = (size: number) => ({ scope: fwctl.Scope.Configuration, responseLength: size - MOCK_HDR });
  const r64 = reqOf(64), o64 = opts(64);
  const r64k = reqOf(64 * 1024), o64k = opts(64 * 1024);
  const r2m = reqOf(2 * 1024 * 1024), o2m = opts(2 * 1024 * 1024);
  // koffi: ioctl from the shim itself (dlsym on libc's handle would bypass LD_PRELOAD)
  const ioctl = koffi.load(shim).func('int ioctl(int fd, unsigned long request, void *arg)');
  const fd = fs.openSync('/dev/null', 'r+');
  const ka = Buffer.alloc(32);
  const kOut = Buffer.alloc(64 - MOCK_HDR);
  const kReqAddr = koffi.address(r64) as bigint;
  const kOutAddr = koffi.address(kOut) as bigint;
  const kInfo = Buffer.alloc(24);
  const kInfoData = Buffer.alloc(256);
  kInfo.writeBigUInt64LE(koffi.address(kInfoData) as bigint, 16);
  // Caller buffers: reused ordinary Buffers, the response lands in them.
  const out48 = Buffer.alloc(64 - MOCK_HDR);
  const into64 = { scope: fwctl.Scope.Configuration, responseBuffer: out48 };
  const into64k = { scope: fwctl.Scope.Configuration, responseBuffer: Buffer.alloc(64 * 1024 - MOCK_HDR) };
  const info256 = { data: Buffer.alloc(256) };
  const kOut64k = Buffer.alloc(64 * 1024 - MOCK_HDR);
  const kReq64kAddr = koffi.address(r64k) as bigint;
  const kOut64kAddr = koffi.address(kOut64k) as bigint;
  // The careful koffi client: the struct filled once, out_len rewritten per call.
  const careful = (req: Buffer, out: Buffer) => {
    const a = Buffer.alloc(32);
    a.writeUInt32LE(32, 0); a.writeUInt32LE(0, 4); a.writeUInt32LE(req.length, 8);
    a.writeBigUInt64LE(koffi.address(req) as bigint, 16); a.writeBigUInt64LE(koffi.address(out) as bigint, 24);
    const outLen = out.length;
    return () => { a.writeUInt32LE(outLen, 12); if (ioctl(fd, 0x9a01, a) < 0) throw new Error('koffi rpc'); return a.readUInt32LE(12); };
  };
  const kCareful64 = careful(r64, kOut), kCareful64k = careful(r64k, kOut64k);
  const prep64 = d.prepareRpc(r64, { scope: fwctl.Scope.Configuration, responseBuffer: new Uint8Array(64 - MOCK_HDR) });
  const prep64k = d.prepareRpc(r64k, { scope: fwctl.Scope.Configuration, responseBuffer: new Uint8Array(64 * 1024 - MOCK_HDR) });
  const prepInfo = d.prepareInfo(new Uint8Array(256));
  // Prepared calls over allocBuffer() memory: bound once in the addon.
  const pinned = (size: number) => { const b = fwctl.allocBuffer(size); b.fill(0x5a); return b; };
  const bound64 = d.prepareRpc(pinned(64), { scope: fwctl.Scope.Configuration, responseBuffer: fwctl.allocBuffer(64 - MOCK_HDR) });
  const bound64k = d.prepareRpc(pinned(64 * 1024), { scope: fwctl.Scope.Configuration, responseBuffer: fwctl.allocBuffer(64 * 1024 - MOCK_HDR) });
  const boundInfo = d.prepareInfo(fwctl.allocBuffer(256));
  const { openBenchHandle } = require('./addon') as typeof import('./addon');
  const hb = openBenchHandle('/dev/null');  // the bench addon: the floor is not shipped
  const floor0 = hb.bindNoop();
  const kInfoCareful = () => { kInfo.writeUInt32LE(256, 12); if (ioctl(fd, 0x9a00, kInfo) < 0) throw new Error('koffi info'); return kInfo.readUInt32LE(12); };
  kInfo.writeUInt32LE(24, 0); kInfo.writeUInt32LE(0, 4);
  return [
    { name: 'N-API floor (rpcNoop)', sync: true, fn: () => hb.rpcNoop(0, r64, out48) },
    { name: 'N-API floor, bound (bindNoop)', sync: true, fn: floor0 },
    { name: 'prepareRpc 64 B callSync (allocBuffer)', sync: true, fn: bound64.callSync },
    { name: 'prepareRpc 64 KiB callSync (allocBuffer)', sync: true, fn: bound64k.callSync },
    { name: 'prepareInfo callSync (allocBuffer)', sync: true, fn: boundInfo.callSync },
    { name: 'koffi careful rpc 64 B', sync: true, fn: kCareful64 },
    { name: 'prepareRpc 64 B callSync', sync: true, fn: prep64.callSync },
    { name: 'prepareRpc 64 KiB callSync', sync: true, fn: prep64k.callSync },
    { name: 'prepareInfo callSync', sync: true, fn: prepInfo.callSync },
    { name: 'koffi careful rpc 64 KiB', sync: true, fn: kCareful64k },
    { name: 'koffi careful info', sync: true, fn: kInfoCareful },
    { name: 'rpcSync 64 B (caller buffers)', sync: true, fn: () => d.rpcSync(r64, into64) },
    { name: 'infoSync (caller buffer)', sync: true, fn: () => d.infoSync(info256) },
    { name: 'rpcSync 64 KiB (caller buffers)', sync: true, fn: () => d.rpcSync(r64k, into64k) },
    { name: 'koffi rpc 64 KiB', sync: true, fn: () => {
      ka.writeUInt32LE(32, 0); ka.writeUInt32LE(0, 4); ka.writeUInt32LE(r64k.length, 8); ka.writeUInt32LE(kOut64k.length, 12);
      ka.writeBigUInt64LE(kReq64kAddr, 16); ka.writeBigUInt64LE(kOut64kAddr, 24);
      if (ioctl(fd, 0x9a01, ka) < 0) throw new Error('koffi rpc');
      return kOut64k.subarray(0, Math.min(ka.readUInt32LE(12), kOut64k.length));
    } },
    { name: 'rpcSync 64 B', sync: true, fn: () => d.rpcSync(r64, o64) },
    { name: 'koffi rpc 64 B', sync: true, fn: () => {
      ka.writeUInt32LE(32, 0); ka.writeUInt32LE(0, 4); ka.writeUInt32LE(r64.length, 8); ka.writeUInt32LE(kOut.length, 12);
      ka.writeBigUInt64LE(kReqAddr, 16); ka.writeBigUInt64LE(kOutAddr, 24);
      if (ioctl(fd, 0x9a01, ka) < 0) throw new Error('koffi rpc');
      return kOut.subarray(0, Math.min(ka.readUInt32LE(12), kOut.length));
    } },
    { name: 'infoSync', sync: true, fn: () => d.infoSync() },
    { name: 'koffi info', sync: true, fn: () => {
      kInfo.writeUInt32LE(24, 0); kInfo.writeUInt32LE(0, 4); kInfo.writeUInt32LE(256, 12);
      if (ioctl(fd, 0x9a00, kInfo) < 0) throw new Error('koffi info');
      return kInfo.readUInt32LE(12);
    } },
    { name: 'rpcSync 64 KiB', sync: true, fn: () => d.rpcSync(r64k, o64k) },
    { name: 'rpcSync 2 MiB', sync: true, fn: () => d.rpcSync(r2m, o2m) },
    { name: 'await rpc 64 B', sync: false, fn: () => d.rpc(r64, o64) },
    { name: 'await info', sync: false, fn: () => d.info() },
    { name: 'await rpc 2 MiB', sync: false, fn: () => d.rpc(r2m, o2m) },
  ];
}

async function child(argv: string[]): Promise<void> {
  const [so, shim, warmArg, nArg, only] = argv;
  const koffi = require('koffi');
  const cg = koffi.load(so);
  const start = cg.func('void cg_start(void)') as () => void;
  const stop = cg.func('void cg_stop(const char *label)') as (l: string) => void;
  const warm = Number(warmArg);
  const n = Number(nArg);
  for (const c of clients(shim)) {
    if (c.name !== only) continue;
    const big = c.name.includes('MiB') || c.name.includes('KiB');
    const w = big ? Math.max(20, Math.floor(warm / 50)) : warm;
    const calls = big ? Math.max(5, Math.floor(n / 100)) : n;
    if (c.sync) {
      for (let i = 0; i < w; i++) c.fn();
      for (const k of [0, calls]) {
        start();
        for (let i = 0; i < k; i++) c.fn();
        stop(`${c.name}|${k}`);
      }
    } else {
      for (let i = 0; i < w; i++) await c.fn();
      for (const k of [0, calls]) {
        start();
        for (let i = 0; i < k; i++) await c.fn();
        stop(`${c.name}|${k}`);
      }
    }
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const n = Number(opt('--n', '2000'));
  const warm = Number(opt('--warm', '20000'));
  const only = opt('--only', '');
  const label = opt('--label', '');
  const quiet = args.includes('--quiet');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-hcg-'));
  const shim = path.join(dir, 'shim.so');
  const so = path.join(dir, 'cgctl.so');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, path.join(ROOT, 'bench/host-shim.c'), '-ldl']);
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', so, path.join(ROOT, 'bench/cgctl.c')]);
  const env = { ...process.env, LD_PRELOAD: shim };
  const names = (JSON.parse(execFileSync(process.execPath, [__filename, '--list', shim], { encoding: 'utf8', env })) as string[])
    .filter((x) => !only || only.split(',').some((s) => x.includes(s)));
  // One process per client: a client measured after others would run code
  // whose inline caches the others made polymorphic (seen: infoSync 1,839
  // instructions alone, 3,543 after eight other clients).
  for (const name of names) {
    const r = spawnSync('valgrind', [
      '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${path.join(dir, 'node.%p.out')}`,
      // Synchronous TurboFan compiles: under valgrind the background compiler
      // thread may not finish within the warm-up, and the windows would then
      // count baseline code (what the VM run's callgrind section saw).
      process.execPath, '--no-concurrent-recompilation', __filename, '--child', so, shim, String(warm), String(n), name,
    ], { encoding: 'utf8', env, stdio: ['ignore', 'inherit', 'pipe'] });
    // node under valgrind sometimes aborts in a thread's exit (glibc tcache
    // check) after the last window was dumped: only missing windows matter.
    if (r.status !== 0 && !quiet) console.warn(`${name}: node under valgrind: status ${r.status} ${r.signal ?? ''} (windows dumped so far are used)`);
  }
  const counts: Record<string, Record<string, number>> = {};
  for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('node.'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const lbl = /^desc: Trigger: Client Request: (.*)$/m.exec(text)?.[1];
    const tot = /^(?:totals|summary):\s*(\d+)/m.exec(text)?.[1];
    if (!lbl || !tot) continue;
    const [name, calls] = lbl.split('|');
    (counts[name] ??= {})[calls] = (counts[name][calls] ?? 0) + Number(tot);
  }
  const perCall: Record<string, number> = {};
  for (const [name, c] of Object.entries(counts)) {
    const k = Object.keys(c).map(Number).find((x) => x > 0);
    // With several threads, an empty window can come out "negative" (a wrapped
    // u64: callgrind zeroes the counters while another thread's block is in
    // progress); the bracket then counts as 0 (it is ~4,000 instructions).
    const zero = c['0'] !== undefined && c['0'] < 2 ** 62 ? c['0'] : 0;
    if (k !== undefined) perCall[name] = Math.round((c[String(k)] - zero) / k);
  }
  console.log(`host callgrind (LD_PRELOAD shim, node ${process.version}, warm-up ${warm}, N ${n}; KiB/MiB cases: N/100)${label ? `: ${label}` : ''}`);
  for (const [name, v] of Object.entries(perCall)) console.log(`${name.padEnd(18)} ${String(v).padStart(10)} instructions/call`);
  const out = opt('--out', path.join(ROOT, '.results/bench'));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'host-callgrind.json'), JSON.stringify({ label, n, warm, node: process.version, perCall, counts }, null, 2));
  if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--list') {
  console.log(JSON.stringify(clients(process.argv[3]).map((c) => c.name)));
  process.exit(0);
} else if (process.argv[2] === '--child') {
  child(process.argv.slice(3)).then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main();
}
