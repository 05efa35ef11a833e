// The bnxt commands that carry DMA buffers (Linux 7.3's FWCTL_BNXT_DMA_COMMANDS),
// typed: NVM directory and reads, NVM variables, coredumps, port statistics,
// structured data, DSCP-to-priority map, direct register reads; and the
// writes, each behind its own name and the taint opt-in. Every buffer is the
// library's (exec.ts: allocated here, attached at the driver's address
// field; the addon writes the address and the length field from it).
// Anything over the driver's 64 KiB bounce buffer is read in pieces.

import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { CallOptions } from '../device';
import type { DeviceLike } from '../device-like';
import { DeviceTypeId } from '../uapi/constants';
import { BNXT_MAX_DMABUF } from './generated/commands';
import { FwctlDecodeError } from '../wire';
import { execNamed, execNamedSync, type BnxtNamedOptions, type BnxtNamedResult } from './exec';
import { decode, sizeOf, type HwrmObject } from './hwrm';
import { NVM_DIR_TYPE } from './generated/hwrm-data';
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from '../errors';

/** uctx_caps bit 3 (FWCTL_BNXT_DMA_COMMANDS): the driver bounces DMA buffers (Linux 7.3 and later). */
export const DMA_CAP_BIT = 3;

/** The device's driver does not bounce DMA buffers: a kernel before 7.3. */
export class BnxtDmaUnsupportedError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_BNXT_NO_DMA';
  readonly uctxCaps: number | undefined;
  constructor(path: string, uctxCaps: number | undefined) {
    super({ code: 'ERR_FWCTL_BNXT_NO_DMA', path, detail: `this bnxt fwctl driver does not carry DMA commands (uctx_caps ${uctxCaps === undefined ? 'not reported' : `0x${uctxCaps.toString(16)}`}, ` +
      `no FWCTL_BNXT_DMA_COMMANDS bit ${DMA_CAP_BIT}): NVM reads, coredumps and port statistics need Linux 7.3 or later` });
    this.name = 'BnxtDmaUnsupportedError';
    this.uctxCaps = uctxCaps;
  }
}

const dmaChecked = new WeakMap<DeviceLike, true>();

/** Throws BnxtDmaUnsupportedError unless the device's driver reports FWCTL_BNXT_DMA_COMMANDS (asked once per handle). */
export async function requireDma(dev: DeviceLike, options: CallOptions = {}): Promise<void> {
  if (dmaChecked.has(dev)) return;
  if (dev.typeId !== DeviceTypeId.Bnxt) throw new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path, detail: `${dev.path} is not a bnxt device (type ${dev.typeId})` });
  const info = await dev.info({ signal: options.signal });
  const caps = (info.decoded as { uctxCaps?: number } | undefined)?.uctxCaps;
  if (caps === undefined || !(caps & (1 << DMA_CAP_BIT))) throw new BnxtDmaUnsupportedError(dev.path, caps);
  dmaChecked.set(dev, true);
}

export function requireDmaSync(dev: DeviceLike): void {
  if (dmaChecked.has(dev)) return;
  if (dev.typeId !== DeviceTypeId.Bnxt) throw new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path, detail: `${dev.path} is not a bnxt device (type ${dev.typeId})` });
  const caps = (dev.infoSync().decoded as { uctxCaps?: number } | undefined)?.uctxCaps;
  if (caps === undefined || !(caps & (1 << DMA_CAP_BIT))) throw new BnxtDmaUnsupportedError(dev.path, caps);
  dmaChecked.set(dev, true);
}

// One mechanism for the async calls and their sync twins: each typed call is
// a generator of steps (the capability check, then commands), stepped by
// runAsync (dev.rpc on the addon's pool) or runSync (dev.rpcSync).
type Step = { kind: 'dma' } | { kind: 'exec'; name: string; fields: Record<string, unknown>; options: BnxtNamedOptions };
type Steps<T> = Generator<Step, T, BnxtNamedResult>;

const needDma = (): Step => ({ kind: 'dma' });
const cmd = (name: string, fields: Record<string, unknown> = {}, options: BnxtNamedOptions = {}): Step => ({ kind: 'exec', name, fields, options });

async function runAsync<T>(dev: DeviceLike, g: Steps<T>, signal?: AbortSignal): Promise<T> {
  let r = g.next(undefined as never);
  while (!r.done) {
    const s = r.value;
    if (s.kind === 'dma') {
      await requireDma(dev, { signal });
      r = g.next(undefined as never);
    } else {
      r = g.next(await execNamed(dev, s.name, s.fields as never, { ...s.options, signal }));
    }
  }
  return r.value;
}

function runSync<T>(dev: DeviceLike, g: Steps<T>): T {
  let r = g.next(undefined as never);
  while (!r.done) {
    const s = r.value;
    if (s.kind === 'dma') {
      requireDmaSync(dev);
      r = g.next(undefined as never);
    } else {
      r = g.next(execNamedSync(dev, s.name, s.fields as never, s.options));
    }
  }
  return r.value;
}

async function run(dev: DeviceLike, name: string, fields: Record<string, unknown>, o: BnxtNamedOptions): Promise<BnxtNamedResult> {
  await requireDma(dev, o);
  return execNamed(dev, name, fields as never, o);
}

function chunkSize(n: number | undefined, max = BNXT_MAX_DMABUF, dflt = max): number {
  const c = n ?? dflt;
  if (!Number.isSafeInteger(c) || c <= 0 || c > max) {
    throw new FwctlRangeError(`chunkSize must be 1..${max} bytes${max === BNXT_MAX_DMABUF ? ' (FWCTL_BNXT_MAX_DMABUF, the driver\'s bounce buffer)' : ''}, got ${show(n)}`);
  }
  return c;
}

/**
 * DBG_COREDUMP_LIST/RETRIEVE report the bytes they wrote in an __le16
 * data_len, so a piece is at most 65535 bytes; the default is the largest
 * multiple of bnxt_en's 4 KiB (COREDUMP_RETRIEVE_BUF_LEN) under that, 60 KiB.
 */
export const COREDUMP_MAX_CHUNK = 0xffff;
export const COREDUMP_DEFAULT_CHUNK = 0xf000;

// ---- NVM directory ----

const DIR_TYPE_NAMES = new Map<number, string>(Object.entries(NVM_DIR_TYPE).map(([k, v]) => [v, k]));

/**
 * One NVM directory entry. The kernel headers do not define the entry's
 * layout; this is the HWRM directory entry as NVM_FIND_DIR_ENTRY reports the
 * same facts (dir_type, dir_ordinal, dir_ext, dir_attr, dir_item_length,
 * dir_data_length, fw_ver, dir_idx), in this order, little-endian (24 bytes;
 * `raw` keeps each entry's bytes whatever entry_length the firmware reports).
 */
export interface NvmDirEntry {
  /** Its position in the directory (NVM_READ's dir_idx). */
  index: number;
  type: number;
  /** BNX_DIR_TYPE_* without the prefix (bnxt_nvm_defs.h), when known. */
  typeName?: string;
  ordinal: number;
  /** BNX_DIR_EXT_* bits (1: inactive, 2: update). */
  ext: number;
  /** BNX_DIR_ATTR_* bits (1: no checksum, 2: prop stream). */
  attr: number;
  /** Bytes reserved for the item, and bytes of data in it. */
  itemLength: number;
  dataLength: number;
  /** fw_ver as a.b.c.d (most significant byte first), and as the number. */
  version: string;
  fwVer: number;
  raw: Buffer;
}

export const NVM_DIR_ENTRY_MIN = 24;

export function decodeNvmDirEntries(buf: Uint8Array, entries: number, entryLength: number): NvmDirEntry[] {
  if (entryLength < NVM_DIR_ENTRY_MIN) throw new FwctlDecodeError('bnxt NVM directory entry', NVM_DIR_ENTRY_MIN, entryLength, `entry_length ${entryLength} is shorter than the ${NVM_DIR_ENTRY_MIN}-byte entry`);
  if (entries * entryLength > buf.byteLength) throw new FwctlDecodeError('bnxt NVM directory', entries * entryLength, buf.byteLength);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NvmDirEntry[] = [];
  for (let k = 0; k < entries; k++) {
    const at = k * entryLength;
    const type = b.readUInt16LE(at);
    const fwVer = b.readUInt32LE(at + 16);
    const typeName = DIR_TYPE_NAMES.get(type);
    out.push({
      index: b.readUInt16LE(at + 20), type, ...(typeName ? { typeName } : {}), ordinal: b.readUInt16LE(at + 2),
      ext: b.readUInt16LE(at + 4), attr: b.readUInt16LE(at + 6), itemLength: b.readUInt32LE(at + 8),
      dataLength: b.readUInt32LE(at + 12), version: [24, 16, 8, 0].map((s) => (fwVer >>> s) & 0xff).join('.'), fwVer,
      raw: Buffer.from(b.subarray(at, at + entryLength)),
    });
  }
  return out;
}

export interface NvmDirectory {
  entries: NvmDirEntry[];
  /** NVM_GET_DIR_INFO's entry count and entry length. */
  count: number;
  entryLength: number;
}

function* nvmDirectorySteps(): Steps<NvmDirectory> {
  yield needDma();
  const info = yield cmd('NVM_GET_DIR_INFO');
  const count = info.data!.entries as number;
  const entryLength = info.data!.entry_length as number;
  if (count * entryLength > BNXT_MAX_DMABUF) {
    throw new FwctlDecodeError('bnxt NVM directory', count * entryLength, BNXT_MAX_DMABUF, `${count} entries of ${entryLength} bytes do not fit the driver's 64 KiB buffer`);
  }
  const r = yield cmd('NVM_GET_DIR_ENTRIES');
  return { entries: count ? decodeNvmDirEntries(r.dma.host_dest_addr, count, entryLength) : [], count, entryLength };
}

/** NVM_GET_DIR_INFO, then NVM_GET_DIR_ENTRIES into the driver's fixed 64 KiB buffer, decoded. */
export function nvmDirectory(dev: DeviceLike, options: CallOptions = {}): Promise<NvmDirectory> {
  return runAsync(dev, nvmDirectorySteps(), options.signal);
}

export function nvmDirectorySync(dev: DeviceLike): NvmDirectory {
  return runSync(dev, nvmDirectorySteps());
}

export interface NvmReadOptions extends CallOptions {
  /** Byte offset in the item (default 0). */
  offset?: number;
  /** Bytes to read (default: the entry's dataLength; required for a bare index). */
  length?: number;
  /** Bytes per NVM_READ (default and maximum 64 KiB, the driver's bounce buffer). */
  chunkSize?: number;
  onProgress?: (p: { bytes: number; total: number }) => void;
}

function readPlan(item: NvmDirEntry | number, options: NvmReadOptions): { index: number; offset: number; length: number; chunk: number } {
  const index = typeof item === 'number' ? item : item.index;
  const offset = options.offset ?? 0;
  const length = options.length ?? (typeof item === 'number' ? undefined : item.dataLength - offset);
  if (length === undefined) throw new FwctlTypeError('nvmRead: give options.length for a directory index (or pass the entry)', 'ERR_FWCTL_INVALID_ARG_VALUE');
  for (const [k, v] of [['offset', offset], ['length', length]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new FwctlRangeError(`nvmRead: ${k} must be a u32, got ${show(v)}`);
  }
  return { index, offset, length, chunk: chunkSize(options.chunkSize) };
}

/** NVM_READ of an item (its directory entry or index), streamed in pieces of at most 64 KiB. */
export async function* nvmReadStream(dev: DeviceLike, item: NvmDirEntry | number, options: NvmReadOptions = {}): AsyncGenerator<Buffer> {
  const { index, offset, length, chunk } = readPlan(item, options);
  await requireDma(dev, options);
  let done = 0;
  while (done < length) {
    const n = Math.min(chunk, length - done);
    const r = await execNamed(dev, 'NVM_READ', { dir_idx: index, offset: offset + done, len: n }, { signal: options.signal });
    done += n;
    options.onProgress?.({ bytes: done, total: length });
    yield r.dma.host_dest_addr;
  }
}

function* nvmReadSteps(item: NvmDirEntry | number, options: NvmReadOptions): Steps<Buffer> {
  const { index, offset, length, chunk } = readPlan(item, options);
  yield needDma();
  const parts: Buffer[] = [];
  for (let done = 0; done < length;) {
    const n = Math.min(chunk, length - done);
    const r = yield cmd('NVM_READ', { dir_idx: index, offset: offset + done, len: n });
    done += n;
    options.onProgress?.({ bytes: done, total: length });
    parts.push(r.dma.host_dest_addr);
  }
  return Buffer.concat(parts);
}

/** The same, collected. */
export function nvmRead(dev: DeviceLike, item: NvmDirEntry | number, options: NvmReadOptions = {}): Promise<Buffer> {
  return runAsync(dev, nvmReadSteps(item, options), options.signal);
}

export function nvmReadSync(dev: DeviceLike, item: NvmDirEntry | number, options: Omit<NvmReadOptions, 'signal'> = {}): Buffer {
  return runSync(dev, nvmReadSteps(item, options));
}

/**
 * The package version, as bnxt_en reads it (bnxt_get_pkginfo): the PKG_LOG
 * item's last line, tab-separated field 2. undefined when there is no
 * PKG_LOG or it holds no version.
 */
export function packageVersion(dev: DeviceLike, options: CallOptions & { directory?: NvmDirectory } = {}): Promise<string | undefined> {
  return runAsync(dev, packageVersionSteps(options.directory), options.signal);
}

export function packageVersionSync(dev: DeviceLike, options: { directory?: NvmDirectory } = {}): string | undefined {
  return runSync(dev, packageVersionSteps(options.directory));
}

function* packageVersionSteps(directory: NvmDirectory | undefined): Steps<string | undefined> {
  const dir = directory ?? (yield* nvmDirectorySteps());
  const e = dir.entries.find((x) => x.type === NVM_DIR_TYPE.PKG_LOG && x.ordinal === 0) ?? dir.entries.find((x) => x.type === NVM_DIR_TYPE.PKG_LOG);
  if (!e || e.dataLength === 0) return undefined;
  return parsePackageLog(yield* nvmReadSteps(e, {}));
}

/** bnxt_parse_pkglog(BNX_PKG_LOG_FIELD_IDX_PKG_VERSION): the last line's field 2, if it starts with a digit. */
export function parsePackageLog(log: Uint8Array): string | undefined {
  const text = Buffer.from(log.buffer, log.byteOffset, log.byteLength).toString('latin1').split('\0')[0];
  const lines = text.split('\n').filter((l) => l.length > 0);
  const v = lines.length ? lines[lines.length - 1].split('\t')[2] : undefined;
  return v && /^\d/.test(v) ? v : undefined;
}

// ---- NVM variables ----

export interface NvmVariable {
  optionNum: number;
  /** The value's bytes (ceil(bits / 8)), and as a number/bigint (little-endian) when at most 64 bits. */
  data: Buffer;
  value?: number | bigint;
  result: BnxtNamedResult;
}

/**
 * NVM_GET_VARIABLE of `optionNum` (bnxt_en's devlink parameters are these).
 * `bits` is the variable's width: the firmware reads data_len in bits, the
 * driver (which bounces data_len bytes) in bytes, so the library attaches a
 * buffer of `bits` bytes, enough either way, and returns the first ceil(bits/8).
 */
export interface NvmVariableOptions {
  bits?: number; index?: readonly number[]; dimensions?: number;
  /** Read the factory default instead of the stored value (NVM_GET_VARIABLE_REQ_FLAGS_FACTORY_DFLT). */
  factoryDefault?: boolean;
}

export function nvmGetVariable(dev: DeviceLike, optionNum: number, options: CallOptions & NvmVariableOptions = {}): Promise<NvmVariable> {
  return runAsync(dev, nvmGetVariableSteps(optionNum, options), options.signal);
}

export function nvmGetVariableSync(dev: DeviceLike, optionNum: number, options: NvmVariableOptions = {}): NvmVariable {
  return runSync(dev, nvmGetVariableSteps(optionNum, options));
}

function* nvmGetVariableSteps(optionNum: number, options: NvmVariableOptions): Steps<NvmVariable> {
  const bits = options.bits ?? 32;
  if (!Number.isSafeInteger(bits) || bits < 1 || bits > BNXT_MAX_DMABUF) throw new FwctlRangeError(`nvmGetVariable: bits must be 1..${BNXT_MAX_DMABUF}, got ${show(bits)}`);
  const idx = options.index ?? [];
  yield needDma();
  const r = yield cmd('NVM_GET_VARIABLE', {
    option_num: optionNum, dimensions: options.dimensions ?? idx.length,
    index_0: idx[0] ?? 0, index_1: idx[1] ?? 0, index_2: idx[2] ?? 0, index_3: idx[3] ?? 0,
    flags: options.factoryDefault ? NVM_GET_VARIABLE_FLAGS_FACTORY_DFLT : 0,
  }, { dma: { dest_data_addr: bits } });
  const data = Buffer.from(r.dma.dest_data_addr.subarray(0, Math.ceil(bits / 8)));
  let value: number | bigint | undefined;
  if (bits <= 48) value = data.readUIntLE(0, data.length);
  else if (bits <= 64) value = Buffer.concat([data, Buffer.alloc(8 - data.length)]).readBigUInt64LE(0);
  return { optionNum, data, ...(value !== undefined ? { value } : {}), result: r };
}

/** hsi.h NVM_GET_VARIABLE_REQ_FLAGS_FACTORY_DFLT. */
const NVM_GET_VARIABLE_FLAGS_FACTORY_DFLT = 0x1;

/**
 * NVM_SET_VARIABLE of `optionNum` (Scope.Configuration, no taint): `value`
 * in the option's `bits` (data_len counts bits, as for the get: the library
 * attaches `bits` bytes, the value little-endian in the first ceil(bits/8),
 * the rest zero). Refuses a value wider than `bits` before the syscall.
 */
export function nvmSetVariable(dev: DeviceLike, optionNum: number, value: number, options: CallOptions & Omit<NvmVariableOptions, 'factoryDefault'> = {}): Promise<BnxtNamedResult> {
  return runAsync(dev, nvmSetVariableSteps(optionNum, value, options), options.signal);
}

export function nvmSetVariableSync(dev: DeviceLike, optionNum: number, value: number, options: Omit<NvmVariableOptions, 'factoryDefault'> = {}): BnxtNamedResult {
  return runSync(dev, nvmSetVariableSteps(optionNum, value, options));
}

function* nvmSetVariableSteps(optionNum: number, value: number, options: NvmVariableOptions): Steps<BnxtNamedResult> {
  const bits = options.bits ?? 32;
  if (!Number.isSafeInteger(bits) || bits < 1 || bits > 48) throw new FwctlRangeError(`nvmSetVariable: bits must be 1..48, got ${show(bits)}`);
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** bits) throw new FwctlRangeError(`nvmSetVariable: option ${optionNum} is ${bits} bits wide: ${show(value)} does not fit`);
  const data = Buffer.alloc(bits);
  data.writeUIntLE(value, 0, Math.ceil(bits / 8));
  const idx = options.index ?? [];
  yield needDma();
  return yield cmd('NVM_SET_VARIABLE', {
    option_num: optionNum, dimensions: options.dimensions ?? idx.length,
    index_0: idx[0] ?? 0, index_1: idx[1] ?? 0, index_2: idx[2] ?? 0, index_3: idx[3] ?? 0,
  }, { dma: { src_data_addr: data } });
}

// ---- coredump ----

export interface CoredumpSegment {
  componentId: number;
  segmentId: number;
  maxInstances: number;
  version: string;
  segFlags: number;
  compressFlags: number;
  /** segment_len: the bytes DBG_COREDUMP_RETRIEVE returns for it. */
  length: number;
}

export interface CoredumpOptions extends CallOptions {
  /** The firmware's last crash dump (DBG_COREDUMP_LIST flags CRASHDUMP, retrieve seg_flags CRASHED_DATA) instead of live data. */
  crashed?: boolean;
}

const LIST_CRASHDUMP = 0x1;
const SFLAG_CRASHED_DATA = 0x2;
const FLAGS_MORE = 0x1;

/** DBG_COREDUMP_LIST: the segments (coredump_segment_record), paged by seq_no while the firmware says MORE. */
export function coredumpList(dev: DeviceLike, options: CoredumpOptions = {}): Promise<CoredumpSegment[]> {
  return runAsync(dev, coredumpListSteps(options.crashed), options.signal);
}

export function coredumpListSync(dev: DeviceLike, options: { crashed?: boolean } = {}): CoredumpSegment[] {
  return runSync(dev, coredumpListSteps(options.crashed));
}

function* coredumpListSteps(crashed: boolean | undefined): Steps<CoredumpSegment[]> {
  yield needDma();
  const out: CoredumpSegment[] = [];
  for (let seq = 0; seq < 0x10000; seq++) {
    const r = yield cmd('DBG_COREDUMP_LIST', { seq_no: seq, flags: crashed ? LIST_CRASHDUMP : 0 },
      { dma: { host_dest_addr: 0xfff0 } }); // 4095 records: data_len is an __le16
    const dataLen = r.data!.data_len as number;
    const buf = r.dma.host_dest_addr;
    if (dataLen > buf.length || dataLen % 16 !== 0) throw new FwctlDecodeError('bnxt DBG_COREDUMP_LIST', dataLen, buf.length, `data_len ${dataLen} is not a whole number of 16-byte records in the buffer`);
    for (let at = 0; at < dataLen; at += 16) {
      const rec = decode('coredump_segment_record', buf.subarray(at, at + 16));
      out.push({
        componentId: rec.component_id as number, segmentId: rec.segment_id as number, maxInstances: rec.max_instances as number,
        version: `${rec.version_hi}.${rec.version_low}`, segFlags: rec.seg_flags as number, compressFlags: rec.compress_flags as number,
        length: rec.segment_len as number,
      });
    }
    if (!((r.data!.flags as number) & FLAGS_MORE) || dataLen === 0) break;
  }
  return out;
}

export interface CoredumpProgress {
  /** 0-based segment being retrieved, of `segments`. */
  segment: number;
  segments: number;
  /** Bytes retrieved so far, of `total` (the segments' segment_len). */
  bytes: number;
  total: number;
}

export interface CoredumpRetrieveOptions extends CoredumpOptions {
  /** Bytes per DBG_COREDUMP_RETRIEVE (default 60 KiB; at most 65535, what its __le16 data_len can report). */
  chunkSize?: number;
  /** Only these segments (default: every one DBG_COREDUMP_LIST reports). */
  segments?: readonly CoredumpSegment[];
  onProgress?: (p: CoredumpProgress) => void;
}

/** DBG_COREDUMP_RETRIEVE of every segment in order, as pieces of at most chunkSize bytes (seq_no pages), while the firmware says MORE. */
export async function* coredumpStream(dev: DeviceLike, options: CoredumpRetrieveOptions = {}): AsyncGenerator<{ segment: CoredumpSegment; data: Buffer }> {
  const chunk = chunkSize(options.chunkSize, COREDUMP_MAX_CHUNK, COREDUMP_DEFAULT_CHUNK);
  const segs = options.segments ?? await coredumpList(dev, options);
  await requireDma(dev, options);
  const total = segs.reduce((a, s) => a + s.length, 0);
  let bytes = 0;
  for (const [i, s] of segs.entries()) {
    for (let seq = 0; ; seq++) {
      const r = await execNamed(dev, 'DBG_COREDUMP_RETRIEVE', {
        component_id: s.componentId, segment_id: s.segmentId, instance: 0, seq_no: seq,
        seg_flags: options.crashed ? SFLAG_CRASHED_DATA : 0,
      }, { signal: options.signal, dma: { host_dest_addr: chunk } });
      const n = r.data!.data_len as number;
      if (n > chunk) throw new FwctlDecodeError('bnxt DBG_COREDUMP_RETRIEVE', n, chunk, `data_len ${n} exceeds the ${chunk}-byte buffer`);
      bytes += n;
      options.onProgress?.({ segment: i, segments: segs.length, bytes, total });
      if (n) yield { segment: s, data: r.dma.host_dest_addr.subarray(0, n) };
      if (!((r.data!.flags as number) & FLAGS_MORE) || n === 0) break;
    }
  }
}

export interface CoredumpResult {
  segments: CoredumpSegment[];
  /** Bytes written. */
  bytes: number;
  /** Wall time and rate, for the record. */
  ms: number;
}

/**
 * The whole coredump, each segment's bytes in DBG_COREDUMP_LIST order, written
 * to a file (created or truncated) or a Node Writable as it arrives, 64 KiB at a time.
 */
export async function coredump(dev: DeviceLike, out: string | Writable, options: CoredumpRetrieveOptions = {}): Promise<CoredumpResult> {
  const t0 = Date.now();
  chunkSize(options.chunkSize, COREDUMP_MAX_CHUNK, COREDUMP_DEFAULT_CHUNK); // refused before any command
  const segments = options.segments ? [...options.segments] : await coredumpList(dev, options);
  let bytes = 0;
  if (typeof out === 'string') {
    const fh = await fs.promises.open(out, 'w');
    try {
      for await (const { data } of coredumpStream(dev, { ...options, segments })) {
        await fh.write(data);
        bytes += data.length;
      }
    } finally {
      await fh.close();
    }
  } else {
    for await (const { data } of coredumpStream(dev, { ...options, segments })) {
      bytes += data.length;
      if (!out.write(data)) await new Promise<void>((resolve, reject) => { out.once('drain', resolve); out.once('error', reject); });
    }
  }
  return { segments, bytes, ms: Date.now() - t0 };
}

// ---- port statistics ----

export interface PortStats {
  /** tx_port_stats / rx_port_stats by hsi.h's field names (bigints). */
  tx: Record<string, bigint>;
  rx: Record<string, bigint>;
  result: BnxtNamedResult;
}

/** PORT_QSTATS: struct tx_port_stats and rx_port_stats (the driver's fixed sizes), decoded by name. */
export function portStats(dev: DeviceLike, options: CallOptions & { port?: number } = {}): Promise<PortStats> {
  return runAsync(dev, portStatsSteps(options.port), options.signal);
}

export function portStatsSync(dev: DeviceLike, options: { port?: number } = {}): PortStats {
  return runSync(dev, portStatsSteps(options.port));
}

function* portStatsSteps(port: number | undefined): Steps<PortStats> {
  yield needDma();
  const r = yield cmd('PORT_QSTATS', { port_id: port ?? 0 });
  return { tx: decode('tx_port_stats', r.dma.tx_stat_host_addr) as Record<string, bigint>, rx: decode('rx_port_stats', r.dma.rx_stat_host_addr) as Record<string, bigint>, result: r };
}

export interface PortStatsExt extends PortStats {
  /** The bytes the firmware filled (tx_stat_size / rx_stat_size of the output); fields past them read 0. */
  txSize: number;
  rxSize: number;
}

/** PORT_QSTATS_EXT: struct tx_port_stats_ext / rx_port_stats_ext, decoded by name. */
export function portStatsExt(dev: DeviceLike, options: CallOptions & { port?: number } = {}): Promise<PortStatsExt> {
  return runAsync(dev, portStatsExtSteps(options.port), options.signal);
}

export function portStatsExtSync(dev: DeviceLike, options: { port?: number } = {}): PortStatsExt {
  return runSync(dev, portStatsExtSteps(options.port));
}

function* portStatsExtSteps(port: number | undefined): Steps<PortStatsExt> {
  const tx = Buffer.alloc(sizeOf('tx_port_stats_ext'));
  const rx = Buffer.alloc(sizeOf('rx_port_stats_ext'));
  yield needDma();
  const r = yield cmd('PORT_QSTATS_EXT', { port_id: port ?? 0 }, { dma: { tx_stat_host_addr: tx, rx_stat_host_addr: rx } });
  return {
    tx: decode('tx_port_stats_ext', tx) as Record<string, bigint>, rx: decode('rx_port_stats_ext', rx) as Record<string, bigint>,
    txSize: r.data!.tx_stat_size as number, rxSize: r.data!.rx_stat_size as number, result: r,
  };
}

/** Totals for inventories: frames and bytes each way, errors and discards. */
export function portTotals(s: Pick<PortStats, 'tx' | 'rx'>): { txFrames: bigint; rxFrames: bigint; txBytes: bigint; rxBytes: bigint; txErrors: bigint; rxErrors: bigint; txDiscards: bigint; rxDiscards: bigint } {
  return {
    txFrames: s.tx.tx_total_frames, rxFrames: s.rx.rx_total_frames, txBytes: s.tx.tx_bytes, rxBytes: s.rx.rx_bytes,
    txErrors: s.tx.tx_err, rxErrors: s.rx.rx_stat_err, txDiscards: s.tx.tx_stat_discard, rxDiscards: s.rx.rx_stat_discard,
  };
}

// ---- structured data, DSCP map, direct reads ----

export interface StructuredDataOptions { length?: number; subtype?: number; count?: number }
export interface StructuredData { data: Buffer; output: HwrmObject; result: BnxtNamedResult }

/** FW_GET_STRUCTURED_DATA: `length` bytes (default 4096) of structure `structureId` (subtype, count as hsi.h). */
export function fwStructuredData(dev: DeviceLike, structureId: number, options: CallOptions & StructuredDataOptions = {}): Promise<StructuredData> {
  return runAsync(dev, fwStructuredDataSteps(structureId, options), options.signal);
}

export function fwStructuredDataSync(dev: DeviceLike, structureId: number, options: StructuredDataOptions = {}): StructuredData {
  return runSync(dev, fwStructuredDataSteps(structureId, options));
}

function* fwStructuredDataSteps(structureId: number, o: StructuredDataOptions): Steps<StructuredData> {
  yield needDma();
  const r = yield cmd('FW_GET_STRUCTURED_DATA', { structure_id: structureId, subtype: o.subtype ?? 0, count: o.count ?? 0 },
    { dma: { dest_data_addr: o.length ?? 4096 } });
  return { data: r.dma.dest_data_addr, output: r.data!, result: r };
}

/** One DSCP-to-priority entry: bnxt_en's struct bnxt_dscp2pri_entry { u8 dscp, mask, pri } (bnxt_dcb.h). */
export interface Dscp2PriEntry { dscp: number; mask: number; pri: number }
export interface Dscp2Pri { entries: Dscp2PriEntry[]; defaultPri: number; result: BnxtNamedResult }

/** QUEUE_DSCP2PRI_QCFG: the port's DSCP-to-priority map (entry_cnt entries of 3 bytes) and default priority. */
export function dscp2pri(dev: DeviceLike, options: CallOptions & { port?: number } = {}): Promise<Dscp2Pri> {
  return runAsync(dev, dscp2priSteps(options.port), options.signal);
}

export function dscp2priSync(dev: DeviceLike, options: { port?: number } = {}): Dscp2Pri {
  return runSync(dev, dscp2priSteps(options.port));
}

function* dscp2priSteps(port: number | undefined): Steps<Dscp2Pri> {
  yield needDma();
  const r = yield cmd('QUEUE_DSCP2PRI_QCFG', { port_id: port ?? 0 }, { dma: { dest_data_addr: 64 * 3 } });
  const n = r.data!.entry_cnt as number;
  const b = r.dma.dest_data_addr;
  if (n * 3 > b.length) throw new FwctlDecodeError('bnxt QUEUE_DSCP2PRI_QCFG', n * 3, b.length);
  const entries = Array.from({ length: n }, (_, i) => ({ dscp: b[3 * i], mask: b[3 * i + 1], pri: b[3 * i + 2] }));
  return { entries, defaultPri: r.data!.default_pri as number, result: r };
}

export interface DirectRead { words: number[]; crc32: number; result: BnxtNamedResult }

/**
 * DBG_READ_DIRECT: `words` 32-bit words from `address` (read_len32 counts
 * words: the driver bounces words x 4 bytes, at most 16384 words).
 */
export function dbgReadDirect(dev: DeviceLike, address: number, words: number, options: CallOptions = {}): Promise<DirectRead> {
  return runAsync(dev, dbgReadDirectSteps(address, words), options.signal);
}

export function dbgReadDirectSync(dev: DeviceLike, address: number, words: number): DirectRead {
  return runSync(dev, dbgReadDirectSteps(address, words));
}

function* dbgReadDirectSteps(address: number, words: number): Steps<DirectRead> {
  if (!Number.isSafeInteger(words) || words < 1 || words * 4 > BNXT_MAX_DMABUF) {
    throw new FwctlRangeError(`dbgReadDirect: words must be 1..${BNXT_MAX_DMABUF / 4} (read_len32 counts 32-bit words; the driver bounces at most 64 KiB), got ${show(words)}`);
  }
  yield needDma();
  const r = yield cmd('DBG_READ_DIRECT', { read_addr: address, read_len32: words });
  const b = r.dma.host_dest_addr;
  return { words: Array.from({ length: words }, (_, i) => b.readUInt32LE(4 * i)), crc32: r.data!.crc32 as number, result: r };
}

// ---- writes: each named, each behind the taint opt-in ----

interface WriteOptions extends CallOptions {
  /** Required: these commands run at DebugWrite or DebugWriteFull, which taint the kernel. */
  allowKernelTaint: true;
}

function mustTaint(name: string, o: Partial<WriteOptions> | undefined): void {
  if (o?.allowKernelTaint !== true) throw new FwctlError({ code: 'ERR_FWCTL_TAINT_REFUSED', detail: `refused before calling the kernel: bnxt ${name} writes to the device and taints the kernel: pass { allowKernelTaint: true }` });
}

/** NVM_MODIFY: write `data` (at most 64 KiB) into item dir_idx at `offset` (DebugWrite). */
export async function nvmModify(dev: DeviceLike, dirIdx: number, offset: number, data: Uint8Array, options: WriteOptions): Promise<BnxtNamedResult> {
  mustTaint('NVM_MODIFY', options);
  return run(dev, 'NVM_MODIFY', { dir_idx: dirIdx, offset }, { signal: options.signal, allowKernelTaint: true, dma: { host_src_addr: data } });
}

/** NVM_WRITE: a whole directory item (type, ordinal, ext, attr as hsi.h's hwrm_nvm_write_input) from `data` (DebugWrite). */
export async function nvmWrite(dev: DeviceLike, fields: { dir_type: number; dir_ordinal?: number; dir_ext?: number; dir_attr?: number; option?: number; flags?: number; dir_item_length?: number },
  data: Uint8Array, options: WriteOptions): Promise<BnxtNamedResult> {
  mustTaint('NVM_WRITE', options);
  return run(dev, 'NVM_WRITE', fields, { signal: options.signal, allowKernelTaint: true, dma: { host_src_addr: data } });
}

/** FW_LIVEPATCH with a patch image (DebugWriteFull: also needs CAP_SYS_RAWIO). */
export async function fwLivepatch(dev: DeviceLike, fields: { opcode: number; fw_target: number; loadtype?: number; flags?: number }, patch: Uint8Array, options: WriteOptions): Promise<BnxtNamedResult> {
  mustTaint('FW_LIVEPATCH', options);
  return run(dev, 'FW_LIVEPATCH', fields, { signal: options.signal, allowKernelTaint: true, dma: { host_addr: patch } });
}

/** DBG_TOKEN_CFG with a debug token (DebugWriteFull: also needs CAP_SYS_RAWIO). */
export async function dbgTokenCfg(dev: DeviceLike, token: Uint8Array, options: WriteOptions & { flags?: number }): Promise<BnxtNamedResult> {
  mustTaint('DBG_TOKEN_CFG', options);
  return run(dev, 'DBG_TOKEN_CFG', { flags: options.flags ?? 0 }, { signal: options.signal, allowKernelTaint: true, dma: { host_src_addr: token } });
}
