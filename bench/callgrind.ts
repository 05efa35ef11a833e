// Runs under `valgrind --tool=callgrind --instr-atstart=no` in the guest
// (bench/main.ts starts it). For each client it warms up (JIT), then counts
// two windows: 0 calls and N calls, each bracketed by cg_start()/cg_stop()
// (bench/cgctl.c, through koffi). Instructions per call =
// (window(N) - window(0)) / N; the bracket's own cost cancels out.
//
//   node dist/bench/callgrind.js DEVPATH CGCTL_SO WARMUP N

import * as fwctl from '../lib/index';
import { request, Op } from '../test/kernel/mock/protocol';
import { KoffiClient, koffiLib, MOCK_HDR } from './util';

const [dev, so, warmArg, nArg] = process.argv.slice(2);
const warm = Number(warmArg);
const n = Number(nArg);
const { koffi } = koffiLib();
const cg = koffi.load(so);
const start = cg.func('void cg_start(void)') as () => void;
const stop = cg.func('void cg_stop(const char *label)') as (l: string) => void;

const req = request(Op.Echo, 0, Buffer.alloc(64 - MOCK_HDR, 0x5a));
const outLen = 64 - MOCK_HDR;
const opts = { scope: fwctl.Scope.Configuration, responseLength: outLen };

const d = fwctl.openSync(dev);
const k = new KoffiClient(dev);
const kOut = Buffer.alloc(outLen);
const kReqAddr = k.address(req);
const kOutAddr = k.address(kOut);

const clients: Record<string, () => void> = {
  'package rpcSync': () => void d.rpcSync(req, opts),
  'koffi rpc': () => void k.rpcSync(req, kReqAddr, kOut, kOutAddr),
  'package infoSync': () => void d.infoSync(),
  'koffi info': () => void k.infoSync(),
};

function window(name: string, calls: number, fn: () => void): void {
  start();
  for (let i = 0; i < calls; i++) fn();
  stop(`${name}|${calls}`);
}

for (const [name, fn] of Object.entries(clients)) {
  for (let i = 0; i < warm; i++) fn();
  window(name, 0, fn);
  window(name, n, fn);
}
d.closeSync();
k.close();
