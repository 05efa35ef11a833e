// The audit trail: FWCTL_AUDIT=FILE (or =syslog) appends one JSON line for
// every RPC at DebugWrite or above, and for every write command whatever its
// scope (CXL Set Feature, mlx5 ACCESS_REG write and SET_HCA_CAP, bnxt NVM
// writes), with who sent it to which device and what the kernel answered.
// The line is written synchronously (write(2) on an O_APPEND fd, or
// logger(1) run to completion) after the ioctl and before the call returns
// to its caller, so a process.exit() right after the call loses nothing.
// Calls the package or the addon refuse before the kernel are not audited.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './backend';
import { errnoName } from './errors';
import { observeBinding, type CallEvent } from './observe';
import { pciParentOf } from './parent';
import { commandOf, typeName } from './transcript';
import { SCOPE_NAMES, Scope } from './uapi/constants';

export interface AuditLine {
  time: string;
  uid: number | null;
  pid: number;
  /** The program: node's argv[1] basename and its arguments, or process.title. */
  process: string;
  device: string;
  /** The PCI function the device belongs to (the parent, or the PCI device under a CXL memdev), or null. */
  parent: string | null;
  type: string;
  scope: string;
  command: string;
  /** 'ok' or the errno name. */
  result: string;
  /** The driver's response length, when ok. */
  length?: number;
  /** Bulk transfers (firmware image blocks) summarised in this one line: how many calls, how many bytes, how many failed. */
  bulk?: { calls: number; bytes: number; failed: number };
  /** An event of the package's own (a firmware update: the image's format, size and SHA-256, and the outcome). */
  event?: { name: string; [k: string]: unknown };
}

/** True for a call the audit trail records. */
export function audited(typeId: number, scope: number, request: Uint8Array): boolean {
  return scope >= Scope.DebugWrite || commandOf(typeId, request).write;
}

function programOf(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]) : process.title;
  return [script, ...process.argv.slice(2)].join(' ');
}

function lineBase(device: string, type: number | string): Omit<AuditLine, 'scope' | 'command' | 'result'> {
  return {
    time: new Date().toISOString(),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    pid: process.pid,
    process: programOf(),
    device,
    parent: pciParentOf(device),
    type: typeof type === 'string' ? type : typeName(type),
  };
}

export function auditLineOf(e: CallEvent): AuditLine | undefined {
  if (e.op !== 'rpc' || e.threw !== undefined || e.request === undefined || e.scope === undefined) return undefined;
  if (!audited(e.type, e.scope, e.request)) return undefined;
  const ok = e.rc !== undefined && e.rc >= 0;
  return {
    ...lineBase(e.path, e.type),
    scope: SCOPE_NAMES[e.scope] ?? String(e.scope),
    command: commandOf(e.type, e.request).name,
    result: ok ? 'ok' : errnoName(-(e.rc ?? 0)),
    ...(ok ? { length: e.rc } : {}),
  };
}

/**
 * Audit lines of a stream of calls: a run of bulk transfers on a device (the
 * blocks of a firmware image) becomes one line, written before the device's
 * next audited call (or at flush), with the number of calls and bytes.
 */
export function auditStream(sink: (line: AuditLine) => void): { onCall(e: CallEvent): void; flush(): void } {
  const runs = new Map<string, AuditLine & { bulk: NonNullable<AuditLine['bulk']> }>();
  const close = (path: string) => {
    const r = runs.get(path);
    if (!r) return;
    runs.delete(path);
    if (r.bulk.failed) r.result = `${r.bulk.failed} failed`;
    sink(r);
  };
  return {
    onCall(e) {
      const line = auditLineOf(e);
      if (!line) return;
      const bulk = commandOf(e.type, e.request!).bulk;
      if (bulk) {
        const r = runs.get(e.path);
        const failed = line.result === 'ok' ? 0 : 1;
        if (r && r.command === line.command && r.scope === line.scope) {
          r.bulk.calls++;
          r.bulk.bytes += bulk.length;
          r.bulk.failed += failed;
          return;
        }
        close(e.path);
        const { length: _l, ...rest } = line;
        void _l;
        runs.set(e.path, { ...rest, bulk: { calls: 1, bytes: bulk.length, failed } });
        return;
      }
      close(e.path);
      sink(line);
    },
    flush() {
      for (const p of [...runs.keys()]) close(p);
    },
  };
}

const noteSinks = new Set<(line: AuditLine) => void>();

/** @internal An event of the package's own to every audit trail installed (a firmware update's summary). */
export function auditNote(device: string, type: string, command: string, result: string, event: AuditLine['event']): void {
  if (noteSinks.size === 0) return;
  const line: AuditLine = { ...lineBase(device, type), scope: '-', command, result, event };
  for (const s of noteSinks) s(line);
}

/** A sink for audit lines: a file (O_APPEND, write(2) per line) or syslog through logger(1). */
export function auditSink(target: string): (line: AuditLine) => void {
  if (target === 'syslog') {
    return (line) => {
      const text = JSON.stringify(line);
      const r = spawnSync('logger', ['--id=' + process.pid, '-t', 'fwctl-audit', '-p', 'auth.notice', '--', text], { stdio: 'ignore' });
      // Never lose a line silently: without logger(1) it goes to stderr.
      if (r.error || r.status !== 0) process.stderr.write(`fwctl-audit: ${text}\n`);
    };
  }
  const fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  return (line) => {
    fs.writeSync(fd, `${JSON.stringify(line)}\n`);
  };
}

/** @internal The backend FWCTL_AUDIT installs. */
export function auditBackend(target: string): Backend {
  const sink = auditSink(target);
  const stream = auditStream(sink);
  noteSinks.add((line) => {
    stream.flush();
    sink(line);
  });
  process.once('exit', () => stream.flush());
  return {
    binding: (load) => observeBinding(load(), (e) => stream.onCall(e)),
  };
}
