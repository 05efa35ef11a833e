// The transcript format (docs/transcripts.md): one JSON object a line. The
// first line is the header (host, package); then, in the order they
// happened, `device` lines (each device listed or opened, once), `sys`
// lines (the sysfs reads and node stats discovery and open made) and one
// line per call (open, info, rpc, close) with its arguments and what the
// kernel answered. Bytes are lowercase hex. Errors are errno names.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { FwctlError } from './errors';
import { commandOf as registryCommandOf, typeDisplayName } from './registry';

export const TRANSCRIPT_FORMAT = 'fwctl-transcript';
export const TRANSCRIPT_VERSION = 1;

export interface HeaderLine {
  t: 'header';
  format: typeof TRANSCRIPT_FORMAT;
  version: number;
  created: string;
  host: { kernel: string; platform: string; arch: string; node: string };
  package: { name: string; version: string };
  argv: string[];
  /** Values replaced by --redact, counted per kind (the values themselves are not kept). */
  redacted?: Record<string, number>;
}

export interface DeviceLine {
  t: 'device';
  name: string;
  path: string;
  parent: { name: string; subsystem: string | null; driver: string | null; pciAddress: string | null } | null;
  /** From the first open (FWCTL_INFO at open), when opened. */
  type?: string;
  typeId?: number;
  /** The device_data of the first successful FWCTL_INFO, hex. */
  deviceData?: string;
}

export interface SysLine {
  t: 'sys';
  op: 'readdir' | 'readlink' | 'readFile' | 'realpath' | 'stat';
  path: string;
  result: unknown;
}

interface CallBase {
  /** Submit order over the whole process, from 1. */
  seq: number;
  sync: boolean;
  /** The device node. */
  path: string;
  /** The handle, numbered in open order from 1 (0: the open failed). */
  h: number;
  /** The addon threw (bad arguments): { name, message }; nothing reached the kernel. */
  threw?: { name: string; message: string };
  /** The kernel's errno name, when the call failed. */
  errno?: string;
}

export interface OpenLine extends CallBase {
  t: 'open';
  /** The device type the kernel answered at open. */
  typeId?: number;
  /** fstat() of the fd: [st_mode, major, minor]. */
  stat?: [number, number, number];
}

export interface InfoLine extends CallBase {
  t: 'info';
  /** The device_data length asked for. */
  length: number;
  /** The driver's device_data length. */
  result?: number;
  /** The device_data bytes the kernel wrote (hex). */
  data?: string;
  typeId?: number;
}

export interface AttachLine {
  /** The six AttachSpec words (lib/binding.ts). */
  spec: number[];
  /** The buffer's length. */
  length: number;
  /** Its bytes at submit (direction in/inout), hex. */
  in?: string;
  /** Its bytes after the call (direction out/inout), hex. */
  out?: string;
}

export interface RpcLine extends CallBase {
  t: 'rpc';
  scope: number;
  request: string;
  responseLength: number;
  attach?: AttachLine[];
  /** The driver's response length (may exceed responseLength: truncated). */
  length?: number;
  /** The bytes the kernel wrote: min(length, responseLength), hex. */
  response?: string;
  /** Index of an out attachment the addon could not copy back (async), or -1. */
  lost?: number;
  /** The device type (for decoding). */
  typeId?: number;
  /** Bulk bytes of the request (a firmware image block) kept as size and SHA-256: zeros in `request` there. */
  elided?: Elided;
}

export interface Elided {
  offset: number;
  length: number;
  sha256: string;
}

/**
 * The request as a transcript keeps it: a bulk transfer's bytes (the type's
 * commandOf().bulk: a firmware image block) zeroed, with their size and SHA-256.
 */
export function elideBulk(typeId: number | undefined, request: Uint8Array): { bytes: Uint8Array; elided?: Elided } {
  const b = registryCommandOf(typeId, request).bulk;
  if (!b || b.length <= 0 || b.offset + b.length > request.byteLength) return { bytes: request };
  const region = request.subarray(b.offset, b.offset + b.length);
  const sha256 = createHash('sha256').update(region).digest('hex');
  const bytes = Uint8Array.from(request);
  bytes.fill(0, b.offset, b.offset + b.length);
  return { bytes, elided: { offset: b.offset, length: b.length, sha256 } };
}

/** A live request as the transcript line that elided bulk bytes compares it: zeroed there, or undefined when those bytes differ. */
export function matchElided(e: Elided, request: Uint8Array): Uint8Array | undefined {
  if (e.offset + e.length > request.byteLength) return undefined;
  if (createHash('sha256').update(request.subarray(e.offset, e.offset + e.length)).digest('hex') !== e.sha256) return undefined;
  const bytes = Uint8Array.from(request);
  bytes.fill(0, e.offset, e.offset + e.length);
  return bytes;
}

export interface CloseLine extends CallBase {
  t: 'close';
  rc: number;
}

export type CallLine = OpenLine | InfoLine | RpcLine | CloseLine;
export type TranscriptLine = HeaderLine | DeviceLine | SysLine | CallLine;

export interface Transcript {
  header: HeaderLine;
  devices: DeviceLine[];
  sys: SysLine[];
  calls: CallLine[];
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Parse a transcript's text; throws naming the line that is not one. */
export function parseTranscript(text: string, file = 'transcript'): Transcript {
  const lines = text.split('\n');
  const out: Transcript = { header: undefined as unknown as HeaderLine, devices: [], sys: [], calls: [] };
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    let l: TranscriptLine;
    try {
      l = JSON.parse(raw) as TranscriptLine;
    } catch (e) {
      throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `${file}:${i + 1}: not JSON (${(e as Error).message})` });
    }
    if (i === 0 || out.header === undefined) {
      const h = l as HeaderLine;
      if (h.t !== 'header' || h.format !== TRANSCRIPT_FORMAT) throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `${file}:${i + 1}: not a fwctl transcript (no header line)` });
      if (h.version > TRANSCRIPT_VERSION) {
        throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `${file}: transcript version ${h.version} is newer than this package reads (${TRANSCRIPT_VERSION})` });
      }
      out.header = h;
      return;
    }
    switch (l.t) {
      case 'device': {
        // A later line for the same device completes the earlier one (type and device_data once known).
        const seen = out.devices.find((d) => d.path === l.path);
        if (seen) Object.assign(seen, l);
        else out.devices.push(l);
        break;
      }
      case 'sys': out.sys.push(l); break;
      case 'open': case 'info': case 'rpc': case 'close': out.calls.push(l); break;
      default: throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `${file}:${i + 1}: unknown line type ${JSON.stringify((l as { t?: unknown }).t)}` });
    }
  });
  if (out.header === undefined) throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `${file}: empty transcript` });
  // Async calls are written when they complete: order by submission.
  out.calls.sort((a, b) => a.seq - b.seq);
  return out;
}

export function readTranscript(file: string): Transcript {
  return parseTranscript(fs.readFileSync(file, 'utf8'), file);
}

// ---- naming a call, per device type: the type's module names it (lib/registry.ts) ----

export { commandOf, type CommandName } from './registry';

/** A type id as a transcript listing shows it: 'mlx5', ..., 'unknown(N)' (lib/registry.ts). */
export const typeName = typeDisplayName;
