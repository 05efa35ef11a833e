// bnxt.exec(dev, 'CMD_NAME', fields, options): any command the driver allows,
// by name. The input is built from hsi.h's field names (generated/hwrm-data.ts), the
// output decoded by them; DMA buffers are the library's: it allocates each
// 'out' buffer (or takes the caller's), attaches it at the driver's address
// field, and the addon writes the address and the length field from the
// buffer (lib/guards.ts), so no pointer or length is ever written by hand.
// Lengths the driver would refuse (0, over 64 KiB, not a whole number of
// units) are a RangeError before the syscall.

import type { CallOptions, RpcAttachment, RpcOptions, RpcResult } from '../device';
import type { DeviceLike } from '../device-like';
import { DeviceTypeId, Scope } from '../uapi/constants';
import { BNXT_COMMAND_TABLE, BNXT_MAX_DMABUF } from './generated/commands';
import { BnxtFirmwareError, MAX_REQUEST_LENGTH, MIN_REQUEST_LENGTH, MIN_RESPONSE_LENGTH, decodeOutput, encodeRequest, minScope, type BnxtResult } from './core';
import { HWRM_COMMANDS, decode, encode, layout, offsetOf, sizeOf, type HwrmCommandName, type HwrmDmaSpec, type HwrmInput, type HwrmObject } from './hwrm';
import { FwctlError, FwctlRangeError, FwctlTypeError } from '../errors';

/** The HWRM header fields of every input: set by exec() (seq_id, target_id, cmpl_ring through options). */
const HEADER = new Set(['req_type', 'cmpl_ring', 'seq_id', 'target_id', 'resp_addr']);

export interface BnxtNamedOptions extends CallOptions {
  /** Default: the least scope the driver allows the command in. */
  scope?: Scope;
  allowKernelTaint?: boolean;
  /** Return a non-zero error_code as a result instead of throwing BnxtFirmwareError. */
  allowError?: boolean;
  /** Default: sizeof(hwrm_<cmd>_output), or 4096 for a command hsi.h has no layout for. */
  responseLength?: number;
  seqId?: number;
  /** Default 0xffff (the HWRM firmware). */
  targetId?: number;
  /** Default 0xffff. */
  cmplRing?: number;
  /**
   * DMA buffers by the input's address field name (e.g. host_dest_addr):
   * for an 'out' field a Buffer to fill or a byte count to allocate
   * (default: the length field's value times its unit, or the driver's fixed
   * size); for an 'in' field the bytes to send (required).
   */
  dma?: Readonly<Record<string, Uint8Array | number>>;
  /** Commands hsi.h has no layout for: the bytes after the 16-byte header. */
  body?: Uint8Array;
}

export interface BnxtNamedResult extends BnxtResult {
  /** The command's name (without HWRM_). */
  name: string;
  /** The response decoded as hwrm_<cmd>_output (absent when hsi.h has no layout for it). */
  data?: HwrmObject;
  /** Each DMA buffer by its address field name, as the kernel left it ('out': what the firmware wrote). */
  dma: Record<string, Buffer>;
}

/** What exec(dev, NAME) knows of a command. */
export interface BnxtCommandInfo {
  name: string;
  reqType: number;
  scope: Scope;
  input: string | null;
  output: string | null;
  dma?: readonly HwrmDmaSpec[];
}

const BY_NAME = new Map<string, BnxtCommandInfo>(Object.entries(HWRM_COMMANDS).map(([name, c]) => [name, {
  name, reqType: c.reqType, scope: minScope(c.reqType) as Scope, input: c.input, output: c.output,
  ...('dma' in c ? { dma: c.dma as readonly HwrmDmaSpec[] } : {}),
}]));

/** Every command the driver allows, with its layouts and DMA fields. */
export function commands(): BnxtCommandInfo[] {
  return [...BY_NAME.values()];
}

/** A command by name: any case, with or without HWRM_. TypeError when the driver does not allow it. */
export function command(name: string): BnxtCommandInfo {
  const key = name.toUpperCase().replace(/^HWRM_/, '');
  const c = BY_NAME.get(key);
  if (!c) throw new FwctlTypeError(`bnxt: HWRM_${key} is not a command the fwctl driver allows (see bnxt.commands())`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return c;
}

interface Prepared {
  cmd: BnxtCommandInfo;
  request: Buffer;
  options: RpcOptions;
  buffers: [string, Buffer][];
}

function dmaBuffer(cmd: BnxtCommandInfo, f: HwrmDmaSpec, fields: Readonly<Record<string, HwrmInput>>, given: Uint8Array | number | undefined): Buffer {
  const where = `bnxt ${cmd.name} ${f.addr}`;
  let buf: Buffer;
  if (given instanceof Uint8Array) {
    buf = Buffer.isBuffer(given) ? given : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
  } else if (f.dir === 'in') {
    throw new FwctlTypeError(`${where}: give the bytes to send as options.dma.${f.addr}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  } else {
    let n = given;
    if (n === undefined) {
      if (f.fixed !== undefined) n = f.fixed;
      else if (f.len !== undefined && typeof fields[f.len] === 'number') n = (fields[f.len] as number) * (f.unit ?? 1);
      else throw new FwctlTypeError(`${where}: give its size as options.dma.${f.addr} (bytes) or the field ${f.len}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    }
    if (!Number.isSafeInteger(n) || n < 0) throw new FwctlRangeError(`${where}: ${n} is not a byte count`);
    buf = Buffer.alloc(n);
  }
  // The driver's rules (bnxtctl_check_dma_lens), before the syscall.
  const unit = f.unit ?? 1;
  if (f.fixed !== undefined) {
    if (buf.length < f.fixed) throw new FwctlRangeError(`${where}: the driver always transfers ${f.fixed} bytes; the buffer has ${buf.length}`);
  } else {
    if (buf.length === 0) throw new FwctlRangeError(`${where}: a zero-length DMA buffer is refused by the driver (EINVAL)`);
    if (buf.length > BNXT_MAX_DMABUF) throw new FwctlRangeError(`${where}: ${buf.length} bytes exceed the driver's ${BNXT_MAX_DMABUF}-byte bounce buffer (FWCTL_BNXT_MAX_DMABUF); read it in pieces`);
    if (buf.length % unit !== 0) throw new FwctlRangeError(`${where}: ${f.len} counts ${unit}-byte units; ${buf.length} bytes is not a whole number of them`);
    const stated = f.len !== undefined ? fields[f.len] : undefined;
    if (typeof stated === 'number' && stated * unit !== buf.length) {
      throw new FwctlRangeError(`${where}: ${f.len} = ${stated} (${stated * unit} bytes) but the buffer has ${buf.length}: the length field is written from the buffer`);
    }
  }
  return buf;
}

function prepare(nameOrCmd: string, fields: Readonly<Record<string, HwrmInput>>, o: BnxtNamedOptions): Prepared {
  const cmd = command(nameOrCmd);
  for (const k of Object.keys(fields)) {
    if (HEADER.has(k)) throw new FwctlTypeError(`bnxt ${cmd.name}: ${k} is the HWRM header's: use options.seqId/targetId/cmplRing`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    if (cmd.dma?.some((f) => f.addr === k)) throw new FwctlTypeError(`bnxt ${cmd.name}: ${k} is a DMA address: the library owns it (give options.dma.${k})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  let request: Buffer;
  if (cmd.input) {
    request = encode(cmd.input, fields);
    if (request.length < MIN_REQUEST_LENGTH || request.length > MAX_REQUEST_LENGTH) {
      throw new FwctlRangeError(`bnxt ${cmd.name}: sizeof(${cmd.input}) = ${request.length} is outside the driver's ${MIN_REQUEST_LENGTH}..${MAX_REQUEST_LENGTH}`);
    }
    const head = encodeRequest(cmd.reqType, { seqId: o.seqId, targetId: o.targetId, cmplRing: o.cmplRing });
    head.copy(request, 0, 0, MIN_REQUEST_LENGTH);
  } else {
    if (Object.keys(fields).length) throw new FwctlTypeError(`bnxt ${cmd.name}: hsi.h has no layout for it: give options.body, not fields`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    request = encodeRequest(cmd.reqType, { seqId: o.seqId, targetId: o.targetId, cmplRing: o.cmplRing, body: o.body });
  }
  const buffers: [string, Buffer][] = [];
  const attach: RpcAttachment[] = [];
  const table = BNXT_COMMAND_TABLE.find((e) => e.reqType === cmd.reqType);
  for (const [i, f] of (cmd.dma ?? []).entries()) {
    const buf = dmaBuffer(cmd, f, fields, o.dma?.[f.addr]);
    const at = table?.dma?.[i]?.addrOffset ?? offsetOf(cmd.input!, f.addr);
    buffers.push([f.addr, buf]);
    attach.push({ at, buffer: buf, direction: f.dir });
  }
  for (const k of Object.keys(o.dma ?? {})) {
    if (!cmd.dma?.some((f) => f.addr === k)) throw new FwctlTypeError(`bnxt ${cmd.name}: ${k} is not one of its DMA fields (${(cmd.dma ?? []).map((f) => f.addr).join(', ') || 'none'})`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  const responseLength = o.responseLength ?? (cmd.output ? Math.max(sizeOf(cmd.output), MIN_RESPONSE_LENGTH) : 4096);
  return {
    cmd, request, buffers,
    options: { scope: o.scope ?? cmd.scope, responseLength, allowKernelTaint: o.allowKernelTaint, signal: o.signal, ...(attach.length ? { attach } : {}) },
  };
}

function finish(p: Prepared, r: RpcResult, allowError: boolean | undefined): BnxtNamedResult {
  const h = decodeOutput(r.response);
  const result: BnxtNamedResult = {
    ...h, ok: h.errorCode === 0, response: r.response, length: r.length, truncated: r.truncated,
    name: p.cmd.name, dma: Object.fromEntries(p.buffers),
  };
  if (p.cmd.output && r.response.length >= layout(p.cmd.output).bytes) result.data = decode(p.cmd.output, r.response);
  if (!result.ok && !allowError) throw new BnxtFirmwareError(p.cmd.reqType, result);
  return result;
}

function checkType(dev: DeviceLike): void {
  if (dev.typeId !== DeviceTypeId.Bnxt) throw new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path, detail: `${dev.path} is not a bnxt device (type ${dev.typeId})` });
}

/** Any command the driver allows, by name; see BnxtNamedOptions. */
export async function execNamed(dev: DeviceLike, name: HwrmCommandName | (string & {}), fields: Readonly<Record<string, HwrmInput>> = {},
  options: BnxtNamedOptions = {}): Promise<BnxtNamedResult> {
  checkType(dev);
  const p = prepare(name, fields, options);
  return finish(p, await dev.rpc(p.request, p.options), options.allowError);
}

export function execNamedSync(dev: DeviceLike, name: HwrmCommandName | (string & {}), fields: Readonly<Record<string, HwrmInput>> = {},
  options: Omit<BnxtNamedOptions, 'signal'> = {}): BnxtNamedResult {
  checkType(dev);
  const p = prepare(name, fields, options);
  return finish(p, dev.rpcSync(p.request, p.options), options.allowError);
}

/** For tests and messages: the request and attachments exec() would send, without sending. */
export function buildRequest(name: string, fields: Readonly<Record<string, HwrmInput>> = {}, options: BnxtNamedOptions = {}):
  { request: Buffer; options: RpcOptions; buffers: Record<string, Buffer> } {
  const p = prepare(name, fields, options);
  return { request: p.request, options: p.options, buffers: Object.fromEntries(p.buffers) };
}
