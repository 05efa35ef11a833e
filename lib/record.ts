// Recording: FWCTL_RECORD=FILE, fwctl.record(FILE) or `fwctl --record FILE`
// writes a transcript (lib/transcript.ts, docs/transcripts.md) of every call
// this process makes: the addon observed (lib/observe.ts), and the sysfs
// reads of discovery and open. Each line is written with writeSync before
// the call returns, so process.exit() right after a call loses nothing.
// With redaction, the file is rewritten redacted when the process exits
// (or at stop()): serial numbers, PSID, VSD and MAC addresses are found
// only once their answers are known.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installBackend, type Backend, type SysLayer } from './backend';
import { DIR_IN, DIR_OUT, SPEC_WORDS } from './binding-flags';
import type { FwctlDeviceEntry } from './discovery';
import { errnoName, FwctlTypeError } from './errors';
import { observeBinding, type CallEvent } from './observe';
import { redactLines } from './redact';
import {
  elideBulk, hex, parseTranscript, TRANSCRIPT_FORMAT, TRANSCRIPT_VERSION, type AttachLine, type CallLine, type DeviceLine, type HeaderLine,
  type TranscriptLine,
} from './transcript';
import { deviceTypeOf } from './uapi/constants';

export interface RecordOptions {
  /** Rewrite the file with serial numbers, PSID, VSD and MAC addresses replaced (at stop() or exit). */
  redact?: boolean;
  /** Further strings to redact. */
  redactValues?: readonly string[];
}

/** A recording in progress. */
export interface Recording {
  readonly file: string;
  /** Lines written so far. */
  readonly lines: number;
  /** Stop recording (devices opened later are not recorded); redacts when asked. Idempotent. */
  stop(): void;
}

function packageVersion(): string {
  try {
    return (require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function header(): HeaderLine {
  return {
    t: 'header', format: TRANSCRIPT_FORMAT, version: TRANSCRIPT_VERSION, created: new Date().toISOString(),
    host: { kernel: os.release(), platform: process.platform, arch: process.arch, node: process.version },
    package: { name: 'fwctl', version: packageVersion() },
    argv: [path.basename(process.argv[1] ?? ''), ...process.argv.slice(2)],
  };
}

const errnoOf = (rc: number) => errnoName(-rc);

function threwOf(e: unknown): { name: string; message: string } {
  const x = e as { name?: unknown; message?: unknown };
  return { name: typeof x?.name === 'string' ? x.name : 'Error', message: typeof x?.message === 'string' ? x.message : String(e) };
}

/** The transcript line of an observed call. */
export function lineOf(e: CallEvent): CallLine {
  const base = { seq: e.seq, sync: e.sync, path: e.path, h: e.h };
  const fail = e.threw !== undefined ? { threw: threwOf(e.threw) } : e.rc !== undefined && e.rc < 0 ? { errno: errnoOf(e.rc) } : undefined;
  switch (e.op) {
    case 'open':
      return fail ? { t: 'open', ...base, ...fail } : { t: 'open', ...base, typeId: e.type, stat: e.stat };
    case 'info':
      return fail ? { t: 'info', ...base, length: e.length!, ...fail }
        : { t: 'info', ...base, length: e.length!, result: e.rc, data: hex(e.data!), typeId: e.type };
    case 'close':
      return { t: 'close', ...base, rc: e.rc ?? 0, ...(fail ?? {}) };
    case 'rpc': {
      const attach: AttachLine[] | undefined = e.spec && e.buffers?.map((b, k) => {
        const spec = Array.from(e.spec!.subarray(k * SPEC_WORDS, (k + 1) * SPEC_WORDS));
        const dir = spec[5];
        const a: AttachLine = { spec, length: b.byteLength };
        if (dir & DIR_IN && e.inData?.[k]) a.in = hex(e.inData[k]!);
        if (dir & DIR_OUT && !fail && e.lost !== k) a.out = hex(b);
        return a;
      });
      const kept = elideBulk(e.type, e.request!);
      const line = {
        t: 'rpc' as const, ...base, typeId: e.type, scope: e.scope!, request: hex(kept.bytes), responseLength: e.responseLength!,
        ...(kept.elided ? { elided: kept.elided } : {}), ...(attach ? { attach } : {}),
      };
      if (fail) return { ...line, ...fail };
      return { ...line, length: e.rc, response: hex(e.data!), ...(e.lost !== undefined && e.lost >= 0 ? { lost: e.lost } : {}) };
    }
  }
}

/** Start recording into `file` (truncated). */
export function startRecording(file: string, options: RecordOptions = {}, onStop: () => void = () => undefined): { backend: Backend; recording: Recording } {
  // 0600: a transcript holds what the firmware answered (serials, keys in device_data).
  const fd = fs.openSync(file, 'w', 0o600);
  let lines = 0;
  let stopped = false;
  const described = new Set<string>();
  const write = (l: TranscriptLine) => {
    if (stopped) return;
    fs.writeSync(fd, `${JSON.stringify(l)}\n`);
    lines++;
  };
  write(header());
  const devices = new Map<string, DeviceLine>();
  const describe = (d: DeviceLine) => {
    if (described.has(d.path)) return;
    described.add(d.path);
    devices.set(d.path, d);
    write(d);
  };
  /** The first successful FWCTL_INFO completes the device's line (type, device_data): a second line for the same path. */
  const complete = (e: CallEvent) => {
    const d = devices.get(e.path);
    if (!d || d.deviceData !== undefined || e.data === undefined) return;
    const full: DeviceLine = { ...d, type: deviceTypeOf(e.type), typeId: e.type, deviceData: hex(e.data) };
    devices.set(e.path, full);
    write(full);
  };
  const sys: SysLayer = {
    sync(op, p, real) {
      const result = real();
      write({ t: 'sys', op, path: p, result });
      return result;
    },
    async async(op, p, real) {
      const result = await real();
      write({ t: 'sys', op, path: p, result });
      return result;
    },
    listed(entries: readonly FwctlDeviceEntry[]) {
      for (const e of entries) {
        const pa = e.parent;
        describe({ t: 'device', name: e.name, path: e.path,
          parent: pa ? { name: pa.name, subsystem: pa.subsystem, driver: pa.driver, pciAddress: pa.pciAddress } : null });
      }
    },
  };
  const backend: Backend = {
    sys,
    binding: (load) => observeBinding(load(), (e) => {
      if (e.op === 'open' && e.h > 0 && !described.has(e.path)) {
        describe({ t: 'device', name: path.basename(e.path), path: e.path, parent: null, type: deviceTypeOf(e.type), typeId: e.type });
      }
      write(lineOf(e));
      if (e.op === 'info' && e.rc !== undefined && e.rc >= 0) complete(e);
    }),
  };
  const finish = () => {
    if (stopped) return;
    stopped = true;
    fs.closeSync(fd);
    if (options.redact || options.redactValues?.length) redactFile(file, options.redactValues ?? []);
  };
  process.once('exit', finish);
  const recording: Recording = {
    file,
    get lines() { return lines; },
    stop() {
      process.removeListener('exit', finish);
      onStop();
      finish();
    },
  };
  return { backend, recording };
}

/** Rewrite a transcript file redacted (fwctl transcript redact, --redact). Returns the counts. */
export function redactFile(file: string, extra: readonly string[] = [], outFile = file): Record<string, number> {
  const text = fs.readFileSync(file, 'utf8');
  parseTranscript(text, file); // validates
  const lines = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TranscriptLine);
  const { lines: out, counts } = redactLines(lines, extra);
  fs.writeFileSync(outFile, out.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return counts;
}

/** @internal The backend FWCTL_RECORD installs. */
export function recordBackend(file: string, options: RecordOptions = {}): Backend {
  // A worker thread sees the same environment: it records into FILE.<threadId>, never over the main thread's file.
  const { isMainThread, threadId } = require('node:worker_threads') as typeof import('node:worker_threads');
  return startRecording(isMainThread ? file : `${file}.${threadId}`, options).backend;
}

/**
 * Record every call of this process from now on into `file` (one JSON
 * object a line: docs/transcripts.md). Devices opened before are not
 * recorded. `FWCTL_RECORD=FILE` does the same from the start.
 */
export function record(file: string, options: RecordOptions = {}): Recording {
  if (typeof file !== 'string' || file === '') throw new FwctlTypeError('record(file): file must be a path');
  let remove: () => void = () => undefined;
  const { backend, recording } = startRecording(file, options, () => remove());
  remove = installBackend(backend);
  return recording;
}
