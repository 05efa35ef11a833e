// Decode and encode any PRM layout of mlx5_ifc.h (the generated table in
// generated/ifc-data.ts) by the header's field names. Big-endian bit order as the PRM
// uses it: bit 0 of a layout is the most significant bit of byte 0; fields
// may cross 32-bit words.
//
// Values: a field of up to 53 bits is a number, 54 to 64 bits a bigint, a
// wider whole-byte field (a GID, a key) a Buffer of its bytes (a bigint when
// not byte-aligned); `u8 name[N][0x8]` byte arrays (vsd, psid, module data) are
// Buffers; other arrays are arrays; nested layouts are objects; a union
// decodes as every member's reading of the same bits. Reserved fields are
// not in the table, so never in an object. A flexible array (`[0]`) holds as
// many whole elements as the bytes after it.
//
// Each layout is compiled once, on first use, into a flat list of readers.

import { FwctlDecodeError } from '../wire';
import { IFC_LAYOUTS, type IfcLayoutName } from './generated/ifc-data';
import { FwctlRangeError, FwctlTypeError, internalError, show } from '../errors';

export { IFC_SOURCE, IFC_LAYOUTS, type IfcLayoutName } from './generated/ifc-data';

/** A layout name: the table's names complete in an editor; any string is accepted (TypeError at run time if unknown). */
export type IfcName = IfcLayoutName | (string & {});

export type IfcValue = number | bigint | Buffer | IfcValue[] | IfcObject;
export interface IfcObject {
  [field: string]: IfcValue;
}
/** What encode() takes: numbers, bigints, booleans (1-bit fields), byte arrays, arrays and objects, any subset. */
export type IfcInput = number | bigint | boolean | Uint8Array | readonly IfcInput[] | { readonly [field: string]: IfcInput };

/** One member of a layout, as the table describes it (offsets and widths in bits). */
export interface IfcMember {
  readonly name: string;
  /** Bit offset from the start of the layout (bit 0 = MSB of byte 0). */
  readonly offset: number;
  /** Bits of one element: the field width, or the nested layout's size. */
  readonly bits: number;
  /** The nested layout, for struct/union members. */
  readonly layout?: IfcLayout;
  /** Array dimensions, outermost first; 0 is a flexible array. Empty for a scalar. */
  readonly dims: readonly number[];
}

export interface IfcLayout {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  /** Size in bits (MLX5_ST_SZ_BITS) and bytes (MLX5_ST_SZ_BYTES). */
  readonly bits: number;
  readonly bytes: number;
  readonly members: readonly IfcMember[];
  /** Member by name. */
  readonly member: ReadonlyMap<string, IfcMember>;
}

const compiled = new Map<string, IfcLayout>();
const RAW = IFC_LAYOUTS as Readonly<Record<string, string>>;

/** Whether the table has a layout of this name. */
export function hasLayout(name: string): name is IfcLayoutName {
  return Object.prototype.hasOwnProperty.call(RAW, name);
}

/** All layout names, in the header's order. */
export function layoutNames(): IfcLayoutName[] {
  return Object.keys(RAW) as IfcLayoutName[];
}

/** The compiled layout; TypeError for a name the table does not have. */
export function layout(name: IfcName): IfcLayout {
  const have = compiled.get(name);
  if (have) return have;
  if (!hasLayout(name)) throw new FwctlTypeError(`mlx5_ifc.h has no layout named '${name}'`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const [head, ...specs] = RAW[name].split(' ');
  const members: IfcMember[] = [];
  const l: IfcLayout = {
    name,
    kind: head[0] === 'u' ? 'union' : 'struct',
    bits: parseInt(head.slice(1), 16),
    bytes: parseInt(head.slice(1), 16) / 8,
    members,
    member: new Map(),
  };
  compiled.set(name, l); // before members: no layout contains itself, but keep lookups cheap
  for (const spec of specs) {
    const m = /^([\w]+)@([0-9a-f]+):(?:([0-9a-f]+)|=([\w.]+))((?:\*\d+)*)$/.exec(spec);
    if (!m) throw internalError(`ifc-data: cannot read member '${spec}' of ${name}`);
    const sub = m[4] === undefined ? undefined : layout(m[4]);
    const member: IfcMember = {
      name: m[1],
      offset: parseInt(m[2], 16),
      bits: sub ? sub.bits : parseInt(m[3], 16),
      layout: sub,
      dims: m[5] ? m[5].slice(1).split('*').map(Number) : [],
    };
    members.push(member);
    (l.member as Map<string, IfcMember>).set(member.name, member);
  }
  return l;
}

/** MLX5_ST_SZ_BYTES: the layout's size in bytes. */
export function sizeOf(name: IfcName): number {
  return layout(name).bytes;
}

// ---- bits ----

const P32 = 2 ** 32;

/** An unsigned field of up to 32 bits at any bit offset. */
function read32(b: Uint8Array, bit: number, width: number): number {
  const first = bit >>> 3;
  const last = (bit + width - 1) >>> 3;
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + b[i]; // at most 5 bytes: exact
  const tail = ((last + 1) << 3) - (bit + width);
  return Math.floor(v / 2 ** tail) % 2 ** width;
}

function readNumber(b: Uint8Array, bit: number, width: number): number {
  if (width <= 32) return read32(b, bit, width);
  return read32(b, bit, width - 32) * P32 + read32(b, bit + width - 32, 32);
}

function readBigInt(b: Uint8Array, bit: number, width: number): bigint {
  let v = 0n;
  let done = 0;
  const head = width % 32 || 32;
  v = BigInt(read32(b, bit, head));
  done = head;
  while (done < width) {
    v = (v << 32n) | BigInt(read32(b, bit + done, 32));
    done += 32;
  }
  return v;
}

/** Writes the low `width` bits of v (an exact integer, v < 2^53) at `bit`. */
function writeNumber(b: Uint8Array, bit: number, width: number, v: number): void {
  let end = bit + width;
  while (width > 0) {
    const byte = (end - 1) >>> 3;
    const shift = 7 - ((end - 1) & 7);
    const n = Math.min(width, 8 - shift);
    const mask = ((1 << n) - 1) << shift;
    b[byte] = (b[byte] & ~mask) | ((v % (1 << n)) << shift);
    v = Math.floor(v / (1 << n));
    width -= n;
    end -= n;
  }
}

function writeBigInt(b: Uint8Array, bit: number, width: number, v: bigint): void {
  let end = bit + width;
  while (width > 0) {
    const n = Math.min(32, width);
    writeNumber(b, end - n, n, Number(v & ((1n << BigInt(n)) - 1n)));
    v >>= BigInt(n);
    width -= n;
    end -= n;
  }
}

// ---- decode ----

function decodeLeaf(b: Uint8Array, bit: number, width: number): IfcValue {
  if (width <= 53) return readNumber(b, bit, width);
  if (width > 64 && width % 8 === 0 && bit % 8 === 0) return Buffer.from(b.subarray(bit >>> 3, (bit + width) >>> 3));
  return readBigInt(b, bit, width);
}

function decodeElement(b: Uint8Array, m: IfcMember, bit: number): IfcValue {
  return m.layout ? decodeAt(m.layout, b, bit) : decodeLeaf(b, bit, m.bits);
}

/** Elements of dims[k..] from `bit`; `avail` bounds flexible arrays (bits). */
function decodeDims(b: Uint8Array, m: IfcMember, k: number, bit: number, avail: number): IfcValue {
  if (k === m.dims.length) return decodeElement(b, m, bit);
  const stride = m.bits * m.dims.slice(k + 1).reduce((x, y) => x * y, 1);
  let count = m.dims[k];
  if (count === 0) count = stride === 0 ? 0 : Math.max(0, Math.floor((avail - bit) / stride));
  if (k === m.dims.length - 1 && !m.layout && m.bits === 8 && bit % 8 === 0) {
    return Buffer.from(b.subarray(bit >>> 3, (bit >>> 3) + count));
  }
  const out: IfcValue[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = decodeDims(b, m, k + 1, bit + i * stride, avail);
  return out;
}

function decodeAt(l: IfcLayout, b: Uint8Array, base: number): IfcObject {
  const o: IfcObject = {};
  const avail = b.length * 8;
  for (const m of l.members) {
    o[m.name] = m.dims.length ? decodeDims(b, m, 0, base + m.offset, avail) : decodeElement(b, m, base + m.offset);
  }
  return o;
}

/**
 * Decode `bytes` as layout `name` into a plain object with the header's field
 * names. FwctlDecodeError when `bytes` is shorter than the layout.
 */
export function decode(name: IfcName, bytes: Uint8Array): IfcObject {
  const l = layout(name);
  if (!(bytes instanceof Uint8Array)) throw new FwctlTypeError(`decode(${name}): expected a Uint8Array or Buffer`);
  if (bytes.byteLength < l.bytes) throw new FwctlDecodeError(`mlx5 ${name}`, l.bytes, bytes.byteLength);
  return decodeAt(l, bytes, 0);
}

/** One field by its path ('capability.cmd_hca_cap.log_max_qp'), without decoding the rest. */
export function getField(name: IfcName, bytes: Uint8Array, fieldPath: string): IfcValue {
  let l = layout(name);
  let bit = 0;
  const parts = fieldPath.split('.');
  for (let i = 0; i < parts.length; i++) {
    const m = l.member.get(parts[i]);
    if (!m) throw new FwctlTypeError(`${l.name} has no field '${parts[i]}'${i ? ` (in ${fieldPath})` : ''}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    if (i === parts.length - 1) {
      const end = bit + m.offset + m.bits * m.dims.reduce((x, y) => x * y, 1);
      if (bytes.byteLength * 8 < end) throw new FwctlDecodeError(`mlx5 ${name}.${fieldPath}`, Math.ceil(end / 8), bytes.byteLength);
      return m.dims.length ? decodeDims(bytes, m, 0, bit + m.offset, bytes.length * 8) : decodeElement(bytes, m, bit + m.offset);
    }
    if (!m.layout || m.dims.length) throw new FwctlTypeError(`${l.name}.${parts[i]} is not a nested layout (in ${fieldPath})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    bit += m.offset;
    l = m.layout;
  }
  throw new FwctlTypeError('empty field path', 'ERR_FWCTL_INVALID_ARG_VALUE');
}

// ---- encode ----

interface Sink {
  buf: Uint8Array;
}

function ensure(s: Sink, endBit: number): void {
  const need = Math.ceil(endBit / 8);
  if (need > s.buf.length) {
    const grown = Buffer.alloc(need);
    grown.set(s.buf);
    s.buf = grown;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `${v.constructor.name}(${v.length})`;
  try {
    const j = JSON.stringify(v);
    return j === undefined ? String(v) : j.length > 40 ? `${j.slice(0, 40)}...` : j;
  } catch {
    return String(v);
  }
}

function encodeLeaf(s: Sink, bit: number, width: number, v: unknown, where: string): void {
  if (typeof v === 'boolean') {
    if (width !== 1) throw new FwctlTypeError(`${where} is ${width} bits wide: give a number, not a boolean`);
    v = v ? 1 : 0;
  }
  if (v instanceof Uint8Array) {
    if (width % 8 !== 0 || v.length !== width / 8) {
      throw new FwctlRangeError(`${where} is ${width} bits: a byte array must hold exactly ${width / 8} bytes, got ${show(v.length)}`);
    }
    ensure(s, bit + width);
    if (bit % 8 === 0) s.buf.set(v, bit >>> 3);
    else for (let i = 0; i < v.length; i++) writeNumber(s.buf, bit + 8 * i, 8, v[i]);
    return;
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER || (width < 53 && v >= 2 ** width)) {
      throw new FwctlRangeError(`${where} is a ${width}-bit unsigned field: ${v} does not fit`);
    }
    ensure(s, bit + width);
    if (width <= 53) writeNumber(s.buf, bit, width, v);
    else writeBigInt(s.buf, bit, width, BigInt(v));
    return;
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v >= 1n << BigInt(width)) throw new FwctlRangeError(`${where} is a ${width}-bit unsigned field: ${v}n does not fit`);
    ensure(s, bit + width);
    writeBigInt(s.buf, bit, width, v);
    return;
  }
  throw new FwctlTypeError(`${where}: expected a number, bigint${width === 1 ? ', boolean' : ''}${width % 8 === 0 ? ' or byte array' : ''}, got ${show(describe(v))}`);
}

function encodeElement(s: Sink, m: IfcMember, bit: number, v: unknown, where: string): void {
  if (m.layout) {
    if (v instanceof Uint8Array) {
      // a nested layout given as raw bytes (e.g. a register's data)
      if (v.length > m.layout.bytes) throw new FwctlRangeError(`${where} is ${m.layout.bytes} bytes, got ${show(v.length)}`);
      encodeLeaf(s, bit, v.length * 8, v, where);
      return;
    }
    encodeAt(s, m.layout, bit, v, where);
  } else {
    encodeLeaf(s, bit, m.bits, v, where);
  }
}

function encodeDims(s: Sink, m: IfcMember, k: number, bit: number, v: unknown, where: string): void {
  if (k === m.dims.length) {
    encodeElement(s, m, bit, v, where);
    return;
  }
  const stride = m.bits * m.dims.slice(k + 1).reduce((x, y) => x * y, 1);
  const count = m.dims[k];
  const byteArray = k === m.dims.length - 1 && !m.layout && m.bits === 8;
  if (byteArray && v instanceof Uint8Array) {
    if (count !== 0 && v.length > count) throw new FwctlRangeError(`${where} holds ${count} bytes, got ${show(v.length)}`);
    ensure(s, bit + 8 * v.length);
    for (let i = 0; i < v.length; i++) writeNumber(s.buf, bit + 8 * i, 8, v[i]);
    return;
  }
  if (!Array.isArray(v)) throw new FwctlTypeError(`${where} is an array${count ? ` of ${count}` : ''}: got ${show(describe(v))}`);
  if (count !== 0 && v.length > count) throw new FwctlRangeError(`${where} holds ${count} elements, got ${show(v.length)}`);
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== undefined) encodeDims(s, m, k + 1, bit + i * stride, v[i], `${where}[${i}]`);
  }
}

function encodeAt(s: Sink, l: IfcLayout, base: number, fields: unknown, where: string): void {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new FwctlTypeError(`${where} is a ${l.kind} (${l.name}): give an object of fields, got ${show(describe(fields))}`);
  }
  ensure(s, base + l.bits);
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    if (v === undefined) continue;
    const m = l.member.get(k);
    if (!m) throw new FwctlTypeError(`unknown field '${k}' in ${where} (${l.name})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    const at = base + m.offset;
    if (m.dims.length) encodeDims(s, m, 0, at, v, `${where}.${k}`);
    else encodeElement(s, m, at, v, `${where}.${k}`);
  }
}

/**
 * Build layout `name` from named fields (any subset; the rest are zero).
 * Unknown names are a TypeError naming the field; values that do not fit are
 * a RangeError. A flexible array grows the result past the layout's size.
 * `into` (at least the layout's size) is written in place instead.
 */
export function encode(name: IfcName, fields: { readonly [field: string]: IfcInput } = {}, into?: Uint8Array): Buffer {
  const l = layout(name);
  if (into && into.length < l.bytes) throw new FwctlRangeError(`encode(${name}) needs ${l.bytes} bytes, the buffer has ${into.length}`);
  const s: Sink = { buf: into ?? Buffer.alloc(l.bytes) };
  encodeAt(s, l, 0, fields, name);
  if (into && s.buf !== into) throw new FwctlRangeError(`encode(${name}): the fields need ${s.buf.length} bytes, the buffer has ${into.length}`);
  return Buffer.isBuffer(s.buf) ? s.buf : Buffer.from(s.buf.buffer, s.buf.byteOffset, s.buf.byteLength);
}
