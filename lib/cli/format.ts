// Human output: aligned tables and hex dumps.

import type { Bytes } from '../uapi/layout';
import { UsageError } from './command';

/** Rows of cells as columns padded to the widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** Label/value lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`.trimEnd()).join('\n') + '\n';
}

export function toHex(bytes: Bytes): string {
  const u = bytes as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
}

/** `00000000  01 02 .. 0f  |................|`, 16 bytes a line. */
export function hexdump(data: Bytes): string {
  const bytes = data as Uint8Array;
  let out = '';
  for (let off = 0; off < bytes.length; off += 16) {
    const line = bytes.subarray(off, off + 16);
    const hex = Array.from(line, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(line, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out += `${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|\n`;
  }
  return out;
}

/** 'CODE: message' (an errno code's message already starts with it: not twice). */
export function codeText(code: string, message: string): string {
  return message.startsWith(`${code}:`) ? message : `${code}: ${message}`;
}

/**
 * Parse hex like "01 02 0a", "0x0102", "01:02"; separators (space, colon,
 * comma, newline) ignored. Text that is not hex is a usage error.
 */
export function parseHex(text: string): Buffer {
  const clean = text.replace(/\b0x/gi, '').replace(/[\s:,_-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new UsageError('not hex: use digits 0-9 a-f');
  if (clean.length % 2 !== 0) throw new UsageError('odd number of hex digits');
  return Buffer.from(clean, 'hex');
}
