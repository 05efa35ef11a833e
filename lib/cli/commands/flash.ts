// fwctl flash <device>|--all FILE [--psid PSID] [--allow-psid-change]
//   [--allow-downgrade] [--dry-run] [--yes] [--recover] [--timeout MS] [--json]
//
// Firmware update over every type that registers one (lib/firmware.ts): the
// checks first on every device (nothing is written when one fails), what
// would change, a question on a terminal (--yes without one), then the
// updates, one per adapter, in parallel. Ctrl-C, SIGTERM and --timeout abort
// like any abort: the firmware's flow is cancelled and released before exit.

import * as fs from 'node:fs';
import type { Device } from '../../device';
import { open } from '../../device';
import { list } from '../../discovery';
import { firmware, firmwareUpdateOf, type FlashAllEntry, type FlashOptions, type FlashProgress, type FlashResult } from '../../firmware';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { openDeviceAsync } from './open';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Progress on stderr: bars on a terminal, JSON lines with --json, else a line per phase and per 10 %. */
function progressSink(io: Io, values: Values): { onProgress: (p: FlashProgress) => void; stop(): void } {
  if (values.json) return { onProgress: (p) => io.stderr(JSON.stringify({ event: 'progress', ...p }) + '\n'), stop() {} };
  if (process.stderr.isTTY === true) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { MultiBar, Presets } = require('cli-progress') as typeof import('cli-progress');
    const multi = new MultiBar({ format: '{device} [{bar}] {percentage}% {phase}', hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic);
    const bars = new Map<string, ReturnType<typeof multi.create>>();
    return {
      onProgress(p) {
        let b = bars.get(p.device);
        if (!b) bars.set(p.device, (b = multi.create(100, 0, { device: p.device, phase: p.phase })));
        b.update(p.percent ?? (p.phase === 'done' ? 100 : b.getProgress() * 100), { device: p.device, phase: p.phase });
      },
      stop: () => multi.stop(),
    };
  }
  const last = new Map<string, string>();
  return {
    onProgress(p) {
      const key = p.phase === 'download' ? `download ${Math.floor((p.percent ?? 0) / 10) * 10}` : p.phase;
      if (last.get(p.device) === key) return;
      last.set(p.device, key);
      io.stderr(`${p.device}: ${p.phase === 'download' ? `download ${p.percent ?? 0}% (${p.bytes}/${p.total} bytes)` : p.phase}${p.message ? `: ${p.message}` : ''}\n`);
    },
    stop() {},
  };
}

function describe(r: FlashResult): string {
  const comps = r.components.map((c) => `${c.name} ${c.from ?? '?'} -> ${c.to ?? '(version not in the image)'} ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('; ');
  const now = r.running ? `; running ${r.running}${r.pending ? `, pending ${r.pending} (runs after the next firmware reset, which this tool does not do)` : ''}` : '';
  return `${r.device} (adapter ${r.adapter}, ${r.type}, PSID ${r.psid}): ${r.status}${r.reason ? ` (${r.reason})` : ''}: ${comps}${now}\n`;
}

async function devicesFor(all: boolean, spec: string | undefined, io: Io): Promise<{ devs: Device[]; notOffered: { device: string; why: string }[] }> {
  if (!all) return { devs: [await openDeviceAsync(spec!, io.signal)], notOffered: [] };
  const devs: Device[] = [];
  const notOffered: { device: string; why: string }[] = [];
  for (const e of await list()) {
    const d = await open(e.path, { signal: io.signal }).catch(() => undefined);
    if (d === undefined) continue;
    const s = firmware.support(d);
    if (s.via === 'fwctl') devs.push(d);
    else {
      notOffered.push({ device: d.path, why: s.why ?? 'no firmware update' });
      await d.close();
    }
  }
  return { devs, notOffered };
}

export const command: Command = {
  name: 'flash',
  summary: 'update device firmware at the least scope (mlx5: MFA2 over MCC/MCDA at Configuration, no taint); abort-safe',
  help: `usage: fwctl flash <device> FILE [options]
       fwctl flash --all FILE [options]

Writes a firmware image: an MFA2 archive (mlx5: every component its device
descriptor lists for the device's PSID, in order) or a plain component image
with --psid. Every write goes at scope Configuration and every read at
DebugReadOnly: no kernel taint, no CAP_SYS_RAWIO. Every check runs on every
device before anything is written: PSID, size, capabilities, version, a
firmware update handle already held. The same version already running is
skipped. The update does not reset the device: the new image is pending
until the next firmware reset. Types that offer no update at the least scope
say why (bnxt, pds: devlink; CXL: the kernel's fw_upload in sysfs).

Writing asks first when stdin is a terminal; without one it writes only with
--yes. Ctrl-C, SIGTERM and --timeout cancel the firmware's update and release
it before exit, so a device is never left locked.

  --all                every device whose type offers an update, one per
                       adapter (functions of one card share one flash), in
                       parallel; a failure does not stop the others
  --psid PSID          required with a plain image; must be the device's
  --allow-psid-change  write an image made for another PSID
  --allow-downgrade    write an older version than the one running
  --dry-run            every check, nothing written
  --recover            cancel and release an update handle left held by a
                       process that is gone (another tool, kill -9)
  --yes                write without asking
  --timeout MS         abort after MS milliseconds
  --json               the result as JSON on stdout, progress as JSON lines on stderr
`,
  options: {
    ...COMMON_OPTIONS, all: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' }, 'dry-run': { type: 'boolean' },
    psid: { type: 'string' }, 'allow-psid-change': { type: 'boolean' }, 'allow-downgrade': { type: 'boolean' }, recover: { type: 'boolean' },
  },
  async run(positionals, values, io) {
    const all = !!values.all;
    const [spec, file] = all ? [undefined, positionals[0]] : positionals;
    if ((!all && spec === undefined) || file === undefined || positionals.length > (all ? 1 : 2)) {
      throw new UsageError('usage: fwctl flash <device>|--all FILE [--psid PSID] [--dry-run] [--yes] ...');
    }
    let image: Buffer;
    try {
      image = fs.readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const controller = new AbortController();
    const signal = io.signal ? AbortSignal.any([io.signal, controller.signal]) : controller.signal;
    let interrupted: string | undefined;
    const onSignal = (name: NodeJS.Signals) => {
      if (interrupted) return; // already cleaning up
      interrupted = name;
      io.stderr(`\n${name}: cancelling the update and releasing the firmware before exit\n`);
      controller.abort(`interrupted by ${name}`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const sink = progressSink(io, values);
    const base: FlashOptions = {
      ...(str(values.psid) !== undefined ? { psid: str(values.psid) } : {}),
      allowPsidChange: values['allow-psid-change'] === true, allowDowngrade: values['allow-downgrade'] === true,
      recover: values.recover === true, signal,
    };
    const { devs, notOffered } = await devicesFor(all, spec, { ...io, signal });
    try {
      if (!all) firmwareUpdateOf(devs[0]); // a type that offers none: ERR_FWCTL_FLASH_UNSUPPORTED, saying why
      // 1. every check, nothing written
      const plans = await firmware.updateAll(devs, image, { ...base, dryRun: true });
      const failed = plans.filter((p) => p.error);
      const work = plans.filter((p) => p.result && p.result.components.some((c) => c.status === 'would-write'));
      const dry = values['dry-run'] === true;
      if (dry || failed.length || work.length === 0) {
        return report(io, values, plans, notOffered, dry ? 'dry run: nothing written' : failed.length ? 'a check failed: nothing was written anywhere' : 'nothing to write');
      }
      if (!values.json || !values.yes) for (const p of work) io.stderr(`will write: ${describe(p.result!)}`);
      if (!values.yes) {
        if (!io.confirm) throw new UsageError(`not written: ${work.length} device(s) to update; stdin is not a terminal, so pass --yes to write (or --dry-run to check only)`);
        if (!(await io.confirm(`Write the firmware of ${work.length} adapter(s)? [y/N] `))) {
          io.stderr('not written\n');
          return Exit.Failure;
        }
      }
      // 2. the updates, one per adapter, in parallel
      const targets = devs.filter((d) => work.some((w) => w.device === d.path));
      const results = await firmware.updateAll(targets, image, { ...base, onProgress: sink.onProgress });
      sink.stop();
      const merged = plans.map((p) => results.find((r) => r.device === p.device) ?? p);
      const status = report(io, values, merged, notOffered, undefined);
      return interrupted ? 128 + (interrupted === 'SIGINT' ? 2 : 15) : status;
    } finally {
      sink.stop();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await Promise.all(devs.map((d) => d.close().catch(() => undefined)));
    }
  },
};

function report(io: Io, values: Values, entries: readonly FlashAllEntry[], notOffered: readonly { device: string; why: string }[], note: string | undefined): number {
  const failed = entries.filter((e) => e.error);
  if (values.json) {
    io.stdout(JSON.stringify({ ok: failed.length === 0, ...(note ? { note } : {}), devices: entries, notOffered }, null, 2) + '\n');
  } else {
    for (const e of entries) {
      if (e.result) io.stdout(describe(e.result));
      else io.stdout(`${e.device} (adapter ${e.adapter}): failed: ${e.error!.code}: ${e.error!.message}\n`);
      for (const s of e.sameAdapter) io.stdout(`${s}: same adapter as ${e.device} (one flash): not written separately\n`);
    }
    for (const n of notOffered) io.stdout(`${n.device}: not offered: ${n.why}\n`);
    if (note) io.stderr(`${note}\n`);
    io.stderr(`${entries.length - failed.length} of ${entries.length} adapter(s) ok\n`);
  }
  return failed.length ? Exit.Failure : Exit.Ok;
}
