// Redaction of a transcript: the values a user should not publish (serial
// numbers, PSID, VSD, MAC addresses) are found where each device type puts
// them (its module says where: lib/registry.ts, secretsOf), then every
// occurrence of each value, in requests, responses, attachments,
// device_data and sysfs text, is replaced by a stand-in of the same length,
// the same stand-in for the same value everywhere (so a replayed program
// still sees consistent answers).

import { deviceTypeModule, type Secret } from './registry';
import { hex, unhex, type TranscriptLine } from './transcript';

export type { Secret } from './registry';

/** The secrets one call's answer carries: where its device type's module says they are. */
export function secretsOfCall(typeId: number | undefined, request: Buffer, response: Buffer): Secret[] {
  return deviceTypeModule(typeId)?.secretsOf?.(request, response) ?? [];
}

/** A stand-in of the same length: printable text for text, a locally administered MAC for MACs. */
function standIn(s: Secret, n: number): Buffer {
  if (s.kind === 'mac') return Buffer.from([0x02, 0, 0, 0, (n >> 8) & 0xff, n & 0xff]);
  const text = `REDACTED-${s.kind.toUpperCase()}-${n}-`;
  const b = Buffer.alloc(s.bytes.length);
  for (let i = 0; i < b.length; i++) b[i] = text.charCodeAt(i % text.length);
  return b;
}

function replaceAll(b: Buffer, from: Buffer, to: Buffer): number {
  let count = 0;
  for (let i = b.indexOf(from); i >= 0; i = b.indexOf(from, i + from.length)) {
    to.copy(b, i);
    count++;
  }
  return count;
}

export interface RedactResult {
  lines: TranscriptLine[];
  /** Distinct values replaced, per kind. */
  counts: Record<string, number>;
}

const HEX_FIELDS = ['request', 'response', 'data'] as const;

/**
 * Redact parsed transcript lines (header first). `extra`: further values
 * (strings) the user names. The header gets `redacted` counts.
 */
export function redactLines(lines: TranscriptLine[], extra: readonly string[] = []): RedactResult {
  const types = new Map<number, number>(); // handle -> type
  const secrets: Secret[] = extra.filter((v) => v.length > 0).map((v) => ({ kind: 'value', bytes: Buffer.from(v) }));
  for (const l of lines) {
    if ((l.t === 'open' || l.t === 'info') && l.typeId !== undefined) types.set(l.h, l.typeId);
    if (l.t === 'rpc' && l.response !== undefined) {
      secrets.push(...secretsOfCall(l.typeId ?? types.get(l.h), unhex(l.request), unhex(l.response)));
    }
  }
  // Distinct values, longest first (a value containing another is replaced whole).
  const seen = new Map<string, Secret>();
  for (const s of secrets) if (!seen.has(s.bytes.toString('hex'))) seen.set(s.bytes.toString('hex'), s);
  const list = [...seen.values()].sort((a, b) => b.bytes.length - a.bytes.length);
  const counters: Record<string, number> = {};
  const numbers: Record<string, number> = {};
  const pairs = list.map((s) => {
    numbers[s.kind] = (numbers[s.kind] ?? 0) + 1;
    const to = standIn(s, numbers[s.kind]);
    // Text holds a value as its UTF-8 string (a user's value, sysfs text) or,
    // for firmware bytes that are not UTF-8, byte for byte (latin1).
    const utf8 = s.bytes.toString('utf8'), latin1 = s.bytes.toString('latin1');
    const texts = Buffer.from(utf8, 'utf8').equals(s.bytes) && utf8 !== latin1 ? [utf8, latin1] : [latin1];
    return { kind: s.kind, from: s.bytes, to, texts, toText: to.toString('latin1'), hit: false };
  });
  const bytes = (h: string): string => {
    const b = unhex(h);
    for (const p of pairs) if (replaceAll(b, p.from, p.to) > 0) p.hit = true;
    return hex(b);
  };
  const text = (t: string): string => {
    let out = t;
    for (const p of pairs) {
      for (const f of p.texts) {
        const parts = out.split(f);
        if (parts.length > 1) { p.hit = true; out = parts.join(p.toText); }
      }
    }
    return out;
  };
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  const out = lines.map((l): TranscriptLine => {
    if (pairs.length === 0) return l;
    switch (l.t) {
      case 'header': return l;
      // Paths too: the replay finds a read by its path, and later paths derive from earlier answers.
      case 'sys': return { ...l, path: text(l.path), result: deep(l.result) };
      case 'device': {
        // device_data is hex: its bytes are redacted as a call's are.
        const { deviceData, ...rest } = l;
        const d = deep(rest) as Record<string, unknown>;
        if (typeof deviceData === 'string') d.deviceData = bytes(deviceData);
        return d as unknown as TranscriptLine;
      }
      case 'rpc': case 'info': {
        const c = { ...l, path: text(l.path) } as Record<string, unknown>;
        for (const f of HEX_FIELDS) if (typeof c[f] === 'string') c[f] = bytes(c[f] as string);
        if (l.t === 'rpc' && l.attach) {
          c.attach = l.attach.map((a) => ({ ...a, ...(a.in ? { in: bytes(a.in) } : {}), ...(a.out ? { out: bytes(a.out) } : {}) }));
        }
        return c as unknown as TranscriptLine;
      }
      default: return { ...l, path: text(l.path) };
    }
  });
  // Counted: the values that were replaced somewhere (a value named but absent is not).
  for (const p of pairs) if (p.hit) counters[p.kind] = (counters[p.kind] ?? 0) + 1;
  if (out[0]?.t === 'header') out[0] = { ...out[0], redacted: counters };
  return { lines: out, counts: counters };
}
