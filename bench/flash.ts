// The flash section of the benchmark (issue 25): a 1 MiB mlx5 update
// (fwctl.firmware.update over the kernel's mlx5_fwctl driver and the emulated
// firmware, run.sh boots with --emu), and the library's share of it.
//
// The emulated firmware's per-block cost is a knob (flash_slow_us): the run
// "with firmware work" gives every MCDA block FIRMWARE_BLOCK_US, about what a
// ConnectX flash write of 128 bytes takes (a 30 MB image in ~90 s is ~330
// KB/s); the run "no work" (flash_nowork: blocks checked, not copied, no
// CRC) is the flow's floor: the library, the kernel's path and the FSM
// polls. The library's share is the process's user CPU time over the wall
// time of the update with firmware work (the kernel's and the firmware's time
// is the rest), and the floor over the update's time. Kernel-default timing
// (200 ms polls) in both.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  /** userCpu / work wall (the library's share of the update) */
  libraryShare: number;
  /** noWork / work (the whole flow's floor: library, kernel path, FSM polls) */
  floorShare: number;
}

export async function flashBench(reps: number, log: (m: string) => void): Promise<FlashBench | { skipped: string }> {
  if (!process.env.FWCTL_EMU_PCI_MLX5) return { skipped: 'no emulated mlx5 function in this boot (run.sh --emu)' };
  const image = makeMfa2({ psid: emu.MLX5.PSID, version: '28.41.1000', size: SIZE });
  const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-bench-lock-'));
  const dev = await fwctl.open(emu.device('mlx5').name);
  const work: number[] = [], none: number[] = [], cpu: number[] = [];
  try {
    const once = async (knobs: Record<string, number>) => {
      emu.flashReset();
      for (const [k, v] of Object.entries(knobs)) emu.setFlashKnob(k as 'flash_slow_us', v);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const r = await fwctl.firmware.update(dev, image, { lockDir });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 'updated') throw new Error(`flash bench: the update did not write (${r.status})`);
      return { ms, userMs: process.cpuUsage(c0).user / 1000 };
    };
    await once({ flash_nowork: 1 }); // warm-up: JIT, the archive's decompression path
    for (let i = 0; i < reps; i++) {
      const w = await once({ flash_slow_us: FIRMWARE_BLOCK_US });
      work.push(w.ms);
      cpu.push(w.userMs);
      none.push((await once({ flash_nowork: 1 })).ms);
      log(`  flash round ${i + 1}/${reps}: ${w.ms.toFixed(0)} ms with firmware work (user CPU ${w.userMs.toFixed(0)} ms), ${none.at(-1)!.toFixed(0)} ms without`);
    }
  } finally {
    emu.flashReset();
    await dev.close();
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
  const s = (x: number[]) => stat(x, 1);
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  return {
    imageBytes: SIZE, blocks: Math.ceil(SIZE / emu.MLX5.MCDA_MAX), firmwareBlockUs: FIRMWARE_BLOCK_US, reps,
    workMs: s(work), noWorkMs: s(none), userCpuMs: s(cpu),
    libraryShare: med(cpu) / med(work), floorShare: med(none) / med(work),
  };
}
