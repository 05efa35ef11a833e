// A small declarative description of C struct layouts: each field is an
// offset, a size and a byte order. Every struct the package puts on the wire
// is declared once with these helpers (lib/uapi/structs.ts), and a unit test
// compares each offset and size with a C program built on the real headers.

import { endianness } from 'node:os';
import { FwctlRangeError, FwctlTypeError, internalError, show } from '../errors';

/** Byte order of a field: host (the ioctl structs), little (CXL, HWRM) or big (mlx5 PRM). */
export type Endian = 'host' | 'le' | 'be';

/** The kinds of field and the JS value each one reads as. */
export interface FieldKinds {
  u8: number;
  u16: number;
  u32: number;
  u64: bigint;
  bytes: Uint8Array;
}
export type FieldKind = keyof FieldKinds;

export interface Field<K extends FieldKind = FieldKind> {
  readonly kind: K;
  readonly offset: number;
  /** Size in bytes; 0 for a C flexible array member (it runs to the end of the buffer). */
  readonly size: number;
  readonly endian: Endian;
}

export type Fields = Readonly<Record<string, Field>>;

export interface Layout<F extends Fields = Fields> {
  /** The C struct name, without `struct `. */
  readonly name: string;
  /** sizeof(struct ...). */
  readonly size: number;
  readonly fields: F;
}

/** The JS values of a layout's fields, as unpack() returns them. */
export type Values<F extends Fields> = {
  [N in keyof F]: F[N] extends Field<infer K> ? FieldKinds[K] : never;
};

/**
 * Bytes as Node code holds them. Buffer is listed because with @types/node
 * older than TypeScript 5.7's generic typed arrays, Buffer is not assignable to Uint8Array.
 */
export type Bytes = Uint8Array | Buffer;

/** A Buffer is a Uint8Array at run time; this only tells the type checker so. */
export const asU8 = (b: Bytes): Uint8Array => b as Uint8Array;

/** True when the host stores integers little-endian (every Linux fwctl host today). */
export const HOST_LE = endianness() === 'LE';

const field = <K extends FieldKind>(kind: K, size: number) =>
  (offset: number, endian: Endian = 'host'): Field<K> => ({ kind, offset, size, endian });

export const u8 = (offset: number): Field<'u8'> => ({ kind: 'u8', offset, size: 1, endian: 'host' });
export const u16 = field('u16', 2);
export const u32 = field('u32', 4);
export const u64 = field('u64', 8);
/** A byte array of fixed size, or a flexible array member with size 0. */
export const bytes = (offset: number, size: number): Field<'bytes'> =>
  ({ kind: 'bytes', offset, size, endian: 'host' });

/**
 * Declare a struct. Checks at load time that every field lies inside the
 * struct (flexible arrays may start at its end) and that no two fields
 * overlap unless listed in `unions` (C unions share their offset).
 */
export function struct<F extends Fields>(name: string, size: number, fields: F,
  unions: readonly (readonly (keyof F & string)[])[] = []): Layout<F> {
  const entries = Object.entries(fields);
  for (const [fieldName, f] of entries) {
    const ok = Number.isInteger(f.offset) && f.offset >= 0 && f.offset + f.size <= size;
    if (!ok) throw internalError(`layout ${name}.${fieldName}: [${f.offset}, +${f.size}) outside ${size} bytes`);
  }
  const sameUnion = (a: string, b: string) => unions.some((u) => u.includes(a) && u.includes(b));
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [an, a] = entries[i];
      const [bn, b] = entries[j];
      const overlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (overlap && !sameUnion(an, bn)) throw internalError(`layout ${name}: ${an} overlaps ${bn}`);
    }
  }
  return Object.freeze({ name, size, fields: Object.freeze(fields) });
}

const littleEndian = (e: Endian) => (e === 'host' ? HOST_LE : e === 'le');

function view(buf: Bytes): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Read one field at `base` (the struct's offset in buf). Throws FwctlRangeError past the end. */
export function read<K extends FieldKind>(buf: Bytes, f: Field<K>, base = 0): FieldKinds[K] {
  const at = base + f.offset;
  const le = littleEndian(f.endian);
  const v = view(buf);
  if (f.kind !== 'bytes') inBounds(buf, at, f.size);
  switch (f.kind) {
    case 'u8': return v.getUint8(at) as FieldKinds[K];
    case 'u16': return v.getUint16(at, le) as FieldKinds[K];
    case 'u32': return v.getUint32(at, le) as FieldKinds[K];
    case 'u64': return v.getBigUint64(at, le) as FieldKinds[K];
    default: {
      const end = f.size === 0 ? buf.byteLength : at + f.size;
      if (at > buf.byteLength || end > buf.byteLength) throw new FwctlRangeError(`field past the end of a ${buf.byteLength}-byte buffer`);
      return (buf as Uint8Array).subarray(at, end) as FieldKinds[K];
    }
  }
}

/** Write one field at `base`. Integers are range-checked; bytes are copied (a short source leaves the rest untouched). */
export function write<K extends FieldKind>(buf: Bytes, f: Field<K>, value: FieldKinds[K], base = 0): void {
  const at = base + f.offset;
  const le = littleEndian(f.endian);
  const v = view(buf);
  if (f.kind === 'bytes') {
    const src = value as Uint8Array;
    if (!(src instanceof Uint8Array)) throw new FwctlTypeError(`a bytes field takes a Uint8Array or Buffer, got ${show(src === null ? 'null' : typeof src)}`);
    inBounds(buf, at, src.byteLength);
    if (f.size !== 0 && src.byteLength > f.size) throw new FwctlRangeError(`${src.byteLength} bytes do not fit a ${f.size}-byte field`);
    (buf as Uint8Array).set(src, at);
    return;
  }
  if (f.kind === 'u64') {
    inBounds(buf, at, 8);
    v.setBigUint64(at, BigInt.asUintN(64, checkU64(value as bigint)), le);
    return;
  }
  inBounds(buf, at, f.size);
  const n = value as number;
  const max = 2 ** (8 * f.size) - 1;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new FwctlRangeError(`${show(n)} does not fit ${f.kind}`);
  if (f.kind === 'u8') v.setUint8(at, n);
  else if (f.kind === 'u16') v.setUint16(at, n, le);
  else v.setUint32(at, n, le);
}

/** An integer field's bytes [at, at + size) inside buf (DataView would throw a built-in RangeError). */
function inBounds(buf: Bytes, at: number, size: number): void {
  if (!Number.isInteger(at) || at < 0 || at + size > buf.byteLength) {
    throw new FwctlRangeError(`a ${size}-byte field at offset ${at} is outside a ${buf.byteLength}-byte buffer`);
  }
}

function checkU64(n: bigint): bigint {
  if (typeof n !== 'bigint' || n < 0n || n >= 1n << 64n) throw new FwctlRangeError(`${String(n)} does not fit u64`);
  return n;
}

/** Read every field of a struct at `base`. Throws FwctlRangeError when buf is too short. */
export function unpack<F extends Fields>(layout: Layout<F>, buf: Bytes, base = 0): Values<F> {
  if (buf.byteLength < base + layout.size) {
    throw new FwctlRangeError(`${layout.name} needs ${layout.size} bytes, got ${show(buf.byteLength - base)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(layout.fields)) out[name] = read(buf, f, base);
  return out as Values<F>;
}

/**
 * Write the given fields into `into` (default: a new zeroed buffer of
 * layout.size). Fields not given are left as they are (zero in a new buffer).
 */
export function pack<F extends Fields, B extends Bytes = Uint8Array>(layout: Layout<F>, values: Partial<Values<F>>,
  into: B = new Uint8Array(layout.size) as B, base = 0): B {
  if (into.byteLength < base + layout.size) {
    throw new FwctlRangeError(`${layout.name} needs ${layout.size} bytes, got ${show(into.byteLength - base)}`);
  }
  for (const name of Object.keys(values)) {
    const f = layout.fields[name];
    if (!f) throw new FwctlTypeError(`${layout.name} has no field ${name}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    const value = values[name];
    if (value !== undefined) write(into, f, value as FieldKinds[FieldKind], base);
  }
  return into;
}
