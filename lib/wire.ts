// Bounds-checked reads for the per-type decoders (mlx5, pds, bnxt): every
// read is checked against the buffer first and fails with FwctlDecodeError,
// never a silent short read or an out-of-range DataView access.

import { FwctlError, FwctlTypeError } from './errors';
import type { Bytes } from './uapi/layout';

/**
 * A response (or request) that does not have the shape its type requires:
 * shorter than a header, or a count larger than the data that follows.
 * `code` is 'ERR_FWCTL_DECODE'; `need` and `got` are byte counts.
 */
export class FwctlDecodeError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_DECODE';
  readonly need: number;
  readonly got: number;
  constructor(what: string, need: number, got: number, detail?: string) {
    super({ code: 'ERR_FWCTL_DECODE', detail: `${what}: ${detail ?? `needs ${need} bytes, got ${got}`}` });
    this.name = 'FwctlDecodeError';
    this.need = need;
    this.got = got;
  }
}

/** Throw FwctlDecodeError unless buf holds at least `need` bytes. */
export function need(buf: Bytes, bytes: number, what: string): void {
  if (!(buf instanceof Uint8Array)) throw new FwctlTypeError(`${what}: expected a Uint8Array or Buffer`);
  if (buf.byteLength < bytes) throw new FwctlDecodeError(what, bytes, buf.byteLength);
}

export function view(buf: Bytes): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A NUL-terminated (or full-length) ASCII string field. */
export function cstring(buf: Bytes, offset: number, length: number): string {
  const b = (buf as Uint8Array).subarray(offset, offset + length);
  const end = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, end < 0 ? b.byteLength : end).toString('latin1');
}
