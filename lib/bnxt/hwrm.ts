// Decode and encode any HWRM layout of include/linux/bnxt/hsi.h (the
// generated table in generated/hwrm-data.ts) by the header's field names. The structs
// are little-endian C structs (a few fields are __be16/32 or host-endian);
// offsets are bytes, as the C compiler lays them out.
//
// Values: 8/16/32-bit fields are numbers, 64-bit fields bigints, char arrays
// strings (up to the first NUL), u8 arrays Buffers, other arrays arrays,
// nested structs objects. Fields named unused_N / reserved* / rsvd* are not
// decoded. Bit-fields (hsi.h's _MASK/_SFT #defines under a field) are read
// with subfields() and may be given to encode() as an object of subfields.

import { FwctlDecodeError } from '../wire';
import { HWRM_BITFIELDS, HWRM_LAYOUTS, type HwrmLayoutName } from './generated/hwrm-data';
import { BNXT_COMMAND_TABLE, type BnxtCommandName } from './generated/commands';
import { FwctlRangeError, FwctlTypeError, internalError, show } from '../errors';

export { HWRM_SOURCE, HWRM_LAYOUTS, HWRM_BITFIELDS, type HwrmLayoutName } from './generated/hwrm-data';

/** A command the driver allows, by name without HWRM_. */
export type HwrmCommandName = BnxtCommandName;

/** One DMA address field of a command, by name (the driver's bnxtctl_dma_cmds entry). */
export interface HwrmDmaSpec {
  /** The __le64 address field of the input. */
  readonly addr: string;
  /** DMA_TO_DEVICE: in; DMA_FROM_DEVICE: out. */
  readonly dir: 'in' | 'out';
  /** The input field the driver reads the length from, times unit bytes. */
  readonly len?: string;
  readonly unit?: number;
  /** CMD_DATA_FIXED: always this many bytes; holds: the struct they are. */
  readonly fixed?: number;
  readonly holds?: string;
}

/** A command by name: its request type, layouts (null where the kernel's hsi.h has none) and DMA fields. */
export interface HwrmCommandSpec {
  readonly reqType: number;
  readonly input: HwrmLayoutName | null;
  readonly output: HwrmLayoutName | null;
  readonly dma?: readonly HwrmDmaSpec[];
}

/**
 * Every command the driver allows, in its order (DMA table, then the switch), by name:
 * a view of the one generated table (BNXT_COMMAND_TABLE, generated/commands.ts).
 */
export const HWRM_COMMANDS: Readonly<Record<HwrmCommandName, HwrmCommandSpec>> = Object.freeze(Object.fromEntries(
  BNXT_COMMAND_TABLE.map((e) => [e.name, Object.freeze({
    reqType: e.reqType,
    input: e.input as HwrmLayoutName | null,
    output: e.output as HwrmLayoutName | null,
    ...(e.dma ? {
      dma: Object.freeze(e.dma.map((f): HwrmDmaSpec => Object.freeze(f.len !== undefined
        ? { addr: f.addr, dir: f.direction, len: f.len, unit: f.unit }
        : { addr: f.addr, dir: f.direction, fixed: f.fixedLength, ...(f.holds ? { holds: f.holds } : {}) }))),
    } : {}),
  })]),
)) as Record<HwrmCommandName, HwrmCommandSpec>;

/** A layout name (struct tag): the table's names complete in an editor. */
export type HwrmName = HwrmLayoutName | (string & {});

export type HwrmValue = number | bigint | string | Buffer | HwrmValue[] | HwrmObject;
export interface HwrmObject {
  [field: string]: HwrmValue;
}
export type HwrmInput = number | bigint | boolean | string | Uint8Array | readonly HwrmInput[] | { readonly [field: string]: HwrmInput };

export interface HwrmMember {
  readonly name: string;
  /** Byte offset in the layout. */
  readonly offset: number;
  /** u: u8, c: char, l: little-endian, b: big-endian, h: host-endian; absent for a nested layout. */
  readonly kind?: 'u' | 'c' | 'l' | 'b' | 'h';
  /** Bytes of one element. */
  readonly bytes: number;
  readonly layout?: HwrmLayout;
  /** Array dimensions, outermost first. */
  readonly dims: readonly number[];
  /** Bit-fields: [name, mask, shift]. */
  readonly bits?: readonly (readonly [string, number, number])[];
}

export interface HwrmLayout {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly bytes: number;
  readonly members: readonly HwrmMember[];
  readonly member: ReadonlyMap<string, HwrmMember>;
}

const RAW = HWRM_LAYOUTS as Readonly<Record<string, string>>;
const compiled = new Map<string, HwrmLayout>();
const HIDDEN = /^(unused_?\d*|reserved\w*|rsvd\w*)$/;
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function hasLayout(name: string): name is HwrmLayoutName {
  return Object.prototype.hasOwnProperty.call(RAW, name);
}

export function layoutNames(): HwrmLayoutName[] {
  return Object.keys(RAW) as HwrmLayoutName[];
}

/** The compiled layout; TypeError for a name the table does not have. */
export function layout(name: HwrmName): HwrmLayout {
  const have = compiled.get(name);
  if (have) return have;
  if (!hasLayout(name)) throw new FwctlTypeError(`hsi.h has no layout named '${name}' in this package's table`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const [head, ...specs] = RAW[name].split(' ');
  const members: HwrmMember[] = [];
  const l: HwrmLayout = { name, kind: head[0] === 'u' ? 'union' : 'struct', bytes: parseInt(head.slice(1), 16), members, member: new Map() };
  compiled.set(name, l);
  for (const spec of specs) {
    const m = /^(\w+)@([0-9a-f]+):(?:([ucblh])(\d?)|=([\w.]+))((?:\*\d+)*)$/.exec(spec);
    if (!m) throw internalError(`hwrm-data: cannot read member '${spec}' of ${name}`);
    const sub = m[5] === undefined ? undefined : layout(m[5]);
    const bits = HWRM_BITFIELDS[`${name}.${m[1]}`];
    const member: HwrmMember = {
      name: m[1],
      offset: parseInt(m[2], 16),
      kind: sub ? undefined : (m[3] as HwrmMember['kind']),
      bytes: sub ? sub.bytes : Number(m[4] || 1),
      layout: sub,
      dims: m[6] ? m[6].slice(1).split('*').map(Number) : [],
      ...(bits ? { bits } : {}),
    };
    members.push(member);
    (l.member as Map<string, HwrmMember>).set(member.name, member);
  }
  return l;
}

/** sizeof(struct name). */
export function sizeOf(name: HwrmName): number {
  return layout(name).bytes;
}

/** The byte offset of a field path ('cfg' or 'cfg.queue_id'; arrays: the first element). */
export function offsetOf(name: HwrmName, fieldPath: string): number {
  let l = layout(name);
  let at = 0;
  const parts = fieldPath.split('.');
  for (let i = 0; i < parts.length; i++) {
    const m = l.member.get(parts[i]);
    if (!m) throw new FwctlTypeError(`${l.name} has no field '${parts[i]}'`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    at += m.offset;
    if (i < parts.length - 1) {
      if (!m.layout) throw new FwctlTypeError(`${l.name}.${parts[i]} is not a nested layout`, 'ERR_FWCTL_INVALID_ARG_VALUE');
      l = m.layout;
    }
  }
  return at;
}

// ---- scalars ----

function little(m: HwrmMember): boolean {
  return m.kind === 'l' || m.kind === 'u' || m.kind === 'c' || (m.kind === 'h' && HOST_LE);
}

function readScalar(b: Uint8Array, at: number, m: HwrmMember): number | bigint {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = little(m);
  switch (m.bytes) {
    case 1: return b[at];
    case 2: return v.getUint16(at, le);
    case 4: return v.getUint32(at, le);
    default: return v.getBigUint64(at, le);
  }
}

function writeScalar(b: Uint8Array, at: number, m: HwrmMember, value: unknown, where: string): void {
  let x = value;
  if (typeof x === 'boolean') x = x ? 1 : 0;
  if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array) && m.bits) x = packBits(m, x as Record<string, unknown>, where);
  const max = 2n ** BigInt(8 * m.bytes);
  let n: bigint;
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x) || x < 0) throw new FwctlRangeError(`${where} is a ${8 * m.bytes}-bit unsigned field: ${x} does not fit`);
    n = BigInt(x);
  } else if (typeof x === 'bigint') {
    n = x;
  } else {
    throw new FwctlTypeError(`${where}: expected a number or bigint${m.bits ? ` (or an object of ${m.bits.map((f) => f[0]).join(', ')})` : ''}, got ${show(typeof x)}`);
  }
  if (n < 0n || n >= max) throw new FwctlRangeError(`${where} is a ${8 * m.bytes}-bit unsigned field: ${n} does not fit`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = little(m);
  switch (m.bytes) {
    case 1: b[at] = Number(n); break;
    case 2: v.setUint16(at, Number(n), le); break;
    case 4: v.setUint32(at, Number(n), le); break;
    default: v.setBigUint64(at, n, le);
  }
}

function packBits(m: HwrmMember, o: Record<string, unknown>, where: string): number {
  let out = 0;
  for (const [k, val] of Object.entries(o)) {
    const f = m.bits!.find((x) => x[0] === k);
    if (!f) throw new FwctlTypeError(`${where} has no bit-field '${k}' (it has ${m.bits!.map((x) => x[0]).join(', ')})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    const [, mask, shift] = f;
    const width = mask / 2 ** shift;
    if (typeof val !== 'number' || !Number.isInteger(val) || val < 0 || val > width) {
      throw new FwctlRangeError(`${where}.${k} is a bit-field of mask 0x${mask.toString(16)}: ${String(val)} does not fit`);
    }
    out = (out + val * 2 ** shift) >>> 0;
  }
  return out;
}

/** A bit-field field's value split by hsi.h's masks: { bw_value, bw_value_unit, ... }. */
export function subfields(name: HwrmName, field: string, value: number | bigint): Record<string, number> {
  const m = layout(name).member.get(field);
  if (!m) throw new FwctlTypeError(`${name} has no field '${field}'`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  if (!m.bits) throw new FwctlTypeError(`${name}.${field} has no bit-fields in hsi.h`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  const v = Number(value);
  const o: Record<string, number> = {};
  for (const [k, mask, shift] of m.bits) o[k] = Math.floor((v >>> 0 & mask) >>> 0) / 2 ** shift;
  return o;
}

// ---- decode ----

function decodeElement(b: Uint8Array, at: number, m: HwrmMember): HwrmValue {
  return m.layout ? decodeAt(m.layout, b, at) : readScalar(b, at, m);
}

function decodeDims(b: Uint8Array, at: number, m: HwrmMember, k: number): HwrmValue {
  if (k === m.dims.length) return decodeElement(b, at, m);
  const stride = m.bytes * m.dims.slice(k + 1).reduce((x, y) => x * y, 1);
  const count = m.dims[k];
  if (k === m.dims.length - 1 && !m.layout && m.bytes === 1) {
    const bytes = b.subarray(at, at + count);
    if (m.kind === 'c') {
      const end = bytes.indexOf(0);
      return Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? count : end).toString('latin1');
    }
    return Buffer.from(bytes);
  }
  const out: HwrmValue[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = decodeDims(b, at + i * stride, m, k + 1);
  return out;
}

function decodeAt(l: HwrmLayout, b: Uint8Array, base: number): HwrmObject {
  const o: HwrmObject = {};
  for (const m of l.members) {
    if (HIDDEN.test(m.name)) continue;
    o[m.name] = m.dims.length ? decodeDims(b, base + m.offset, m, 0) : decodeElement(b, base + m.offset, m);
  }
  return o;
}

/** Decode `bytes` as struct `name` by hsi.h's field names. FwctlDecodeError when shorter than the struct. */
export function decode(name: HwrmName, bytes: Uint8Array): HwrmObject {
  const l = layout(name);
  if (!(bytes instanceof Uint8Array)) throw new FwctlTypeError(`decode(${name}): expected a Uint8Array or Buffer`);
  if (bytes.byteLength < l.bytes) throw new FwctlDecodeError(`bnxt ${name}`, l.bytes, bytes.byteLength);
  return decodeAt(l, bytes, 0);
}

// ---- encode ----

function encodeDims(b: Uint8Array, at: number, m: HwrmMember, k: number, v: unknown, where: string): void {
  if (k === m.dims.length) {
    if (m.layout) encodeAt(b, m.layout, at, v, where);
    else writeScalar(b, at, m, v, where);
    return;
  }
  const stride = m.bytes * m.dims.slice(k + 1).reduce((x, y) => x * y, 1);
  const count = m.dims[k];
  if (k === m.dims.length - 1 && !m.layout && m.bytes === 1 && (typeof v === 'string' || v instanceof Uint8Array)) {
    const bytes = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    if (bytes.length > count) throw new FwctlRangeError(`${where} holds ${count} bytes, got ${show(bytes.length)}`);
    b.fill(0, at, at + count);
    b.set(bytes, at);
    return;
  }
  if (!Array.isArray(v)) throw new FwctlTypeError(`${where} is an array of ${count}: got ${show(typeof v)}`);
  if (v.length > count) throw new FwctlRangeError(`${where} holds ${count} elements, got ${show(v.length)}`);
  v.forEach((x, i) => { if (x !== undefined) encodeDims(b, at + i * stride, m, k + 1, x, `${where}[${i}]`); });
}

function encodeAt(b: Uint8Array, l: HwrmLayout, base: number, fields: unknown, where: string): void {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || fields instanceof Uint8Array) {
    throw new FwctlTypeError(`${where} is a ${l.kind} (${l.name}): give an object of fields`);
  }
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    if (v === undefined) continue;
    const m = l.member.get(k);
    if (!m) throw new FwctlTypeError(`unknown field '${k}' in ${where} (${l.name})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    encodeDims(b, base + m.offset, m, 0, v, `${where}.${k}`);
  }
}

/**
 * Build struct `name` from named fields (any subset; the rest zero). An
 * unknown name is a TypeError naming it; a value that does not fit a
 * RangeError. `into` (at least the struct's size) is written in place.
 */
export function encode(name: HwrmName, fields: { readonly [field: string]: HwrmInput } = {}, into?: Uint8Array): Buffer {
  const l = layout(name);
  if (into && into.length < l.bytes) throw new FwctlRangeError(`encode(${name}) needs ${l.bytes} bytes, the buffer has ${into.length}`);
  const b = into ?? Buffer.alloc(l.bytes);
  encodeAt(b, l, 0, fields, name);
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
