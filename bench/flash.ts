// The flash section of the benchmark (issue 25): a 1 MiB mlx5 update
// (fwctl.firmware.update over the kernel's mlx5_fwctl driver and the emulated
// firmware, run.sh boots with --emu), and the library's share of it.
//
// The emulated firmware's per-block cost is a knob (flash_slow_us): the run
// "with firmware work" gives every MCDA block FIRMWARE_BLOCK_US, about what a
// ConnectX flash write of 128 bytes takes (a 30 MB image in ~90 s is ~330
// KB/s); the run "no work" (flash_nowork: blocks checked, not copied, no
// CRC) is the flow's floor: the library, the kernel's path and the FSM
// polls. The library's share: the time the JS thread is busy
// (performance.eventLoopUtilization()'s active time) less the time it spends
// inside the device's sync calls (the kernel and the firmware), over the wall
// time of the update with firmware work; the calls are timed by a wrapper of
// the device (its own cost counts as the library's). The process's user CPU
// time is reported too; the guest's tick-based accounting makes it coarse.
// Kernel-default timing (200 ms polls) in both runs.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as fwctl from '../lib/index';
import * as emu from '../test/kernel/emu/emu';
import { makeMfa2 } from '../test/kernel/emu/mlx5-images';
import { stat, type Stat } from './util';

export const FIRMWARE_BLOCK_US = 330;
const SIZE = 1 << 20;

export interface FlashBench {
  imageBytes: number;
  blocks: number;
  firmwareBlockUs: number;
  reps: number;
  /** wall ms of the update: with the firmware's per-block work, and with none */
  workMs: Stat;
  noWorkMs: Stat;
  /** user CPU ms of this process during the update with firmware work */
  userCpuMs: Stat;
  /** ms the JS thread ran the library (event loop active, less the device's sync calls), with firmware work */
  libraryMs: Stat;
  /** libraryMs / work wall (medians): the library's share of the update */
  libraryShare: number;
  /** noWork / work (the whole flow's floor: library, kernel path, FSM polls) */
  floorShare: number;
}

export async function flashBench(reps: number, log: (m: string) => void): Promise<FlashBench | { skipped: string }> {
  if (!process.env.FWCTL_EMU_PCI_MLX5) return { skipped: 'no emulated mlx5 function in this boot (run.sh --emu)' };
  const image = makeMfa2({ psid: emu.MLX5.PSID, version: '28.41.1000', size: SIZE });
  const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-bench-lock-'));
  const raw = await fwctl.open(emu.device('mlx5').name);
  // The device, its sync calls timed (the JS thread waits in them for the kernel and the firmware).
  let inCalls = 0;
  const timed = <T>(f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      inCalls += performance.now() - t;
    }
  };
  const dev = {
    path: raw.path, typeId: raw.typeId,
    info: (o?: Parameters<typeof raw.info>[0]) => raw.info(o),
    infoSync: (o?: Parameters<typeof raw.infoSync>[0]) => timed(() => raw.infoSync(o)),
    rpc: (r: Uint8Array, o: fwctl.RpcOptions) => raw.rpc(r, o),
    rpcSync: (r: Uint8Array, o: fwctl.RpcOptions) => timed(() => raw.rpcSync(r, o)),
    prepareRpc: <R extends Uint8Array>(r: Uint8Array, o: fwctl.RpcOptions & { responseBuffer: R }) => {
      const p = raw.prepareRpc(r, o);
      return { request: p.request, response: p.response, callSync: () => timed(() => p.callSync()), call: (x?: Parameters<typeof p.call>[0]) => p.call(x) };
    },
  };
  const work: number[] = [], none: number[] = [], cpu: number[] = [], lib: number[] = [];
  try {
    const once = async (knobs: Record<string, number>) => {
      emu.flashReset();
      for (const [k, v] of Object.entries(knobs)) emu.setFlashKnob(k as 'flash_slow_us', v);
      const c0 = process.cpuUsage();
      const e0 = performance.eventLoopUtilization();
      inCalls = 0;
      const t0 = performance.now();
      const r = await fwctl.firmware.update(dev, image, { lockDir });
      const ms = performance.now() - t0;
      const active = performance.eventLoopUtilization(e0).active;
      if (r.status !== 'updated') throw new Error(`flash bench: the update did not write (${r.status})`);
      return { ms, userMs: process.cpuUsage(c0).user / 1000, libMs: active - inCalls };
    };
    await once({ flash_nowork: 1 }); // warm-up: JIT, the archive's decompression path
    for (let i = 0; i < reps; i++) {
      const w = await once({ flash_slow_us: FIRMWARE_BLOCK_US });
      work.push(w.ms);
      cpu.push(w.userMs);
      lib.push(w.libMs);
      none.push((await once({ flash_nowork: 1 })).ms);
      log(`  flash round ${i + 1}/${reps}: ${w.ms.toFixed(0)} ms with firmware work (library ${w.libMs.toFixed(0)} ms, user CPU ${w.userMs.toFixed(0)} ms), ${none.at(-1)!.toFixed(0)} ms without`);
    }
  } finally {
    emu.flashReset();
    await raw.close();
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
  const s = (x: number[]) => stat(x, 1);
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  return {
    imageBytes: SIZE, blocks: Math.ceil(SIZE / emu.MLX5.MCDA_MAX), firmwareBlockUs: FIRMWARE_BLOCK_US, reps,
    workMs: s(work), noWorkMs: s(none), userCpuMs: s(cpu), libraryMs: s(lib),
    libraryShare: med(lib) / med(work), floorShare: med(none) / med(work),
  };
}
