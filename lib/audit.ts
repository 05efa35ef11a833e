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
}

/** True for a call the audit trail records. */
export function audited(typeId: number, scope: number, request: Uint8Array): boolean {
  return scope >= Scope.DebugWrite || commandOf(typeId, request).write;
}

function programOf(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]) : process.title;
  return [script, ...process.argv.slice(2)].join(' ');
}

export function auditLineOf(e: CallEvent): AuditLine | undefined {
  if (e.op !== 'rpc' || e.threw !== undefined || e.request === undefined || e.scope === undefined) return undefined;
  if (!audited(e.type, e.scope, e.request)) return undefined;
  const ok = e.rc !== undefined && e.rc >= 0;
  return {
    time: new Date().toISOString(),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    pid: process.pid,
    process: programOf(),
    device: e.path,
    parent: pciParentOf(e.path),
    type: typeName(e.type),
    scope: SCOPE_NAMES[e.scope] ?? String(e.scope),
    command: commandOf(e.type, e.request).name,
    result: ok ? 'ok' : errnoName(-(e.rc ?? 0)),
    ...(ok ? { length: e.rc } : {}),
  };
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
  return {
    binding: (load) => observeBinding(load(), (e) => {
      const line = auditLineOf(e);
      if (line) sink(line);
    }),
  };
}
