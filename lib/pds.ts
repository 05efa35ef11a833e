// pds (FWCTL_DEVICE_TYPE_PDS, AMD/Pensando DSC): the request is a
// struct fwctl_rpc_pds whose in.payload / out.payload hold the addresses of
// further user buffers, which the driver (drivers/fwctl/pds/main.c) reads
// with copy_from_user and writes with copy_to_user during the call. This
// module passes them with Device.rpc's `attach` option: no native code.
//
// The driver checks, in this order: request struct >= 48 bytes, in.len and
// out.len against the firmware's maxima, the endpoint, the operation, the
// scope (EINVAL for the first four, EPERM for a scope below the operation's).
// The operation's result is out.retval (the firmware's code), ioctl success.
//
// device_data: the 7.x driver never sets its length, so info() reports 0
// bytes and no `decoded` (a kernel bug; the driver always grants
// PDS_FWCTL_QUERY_CAP | PDS_FWCTL_SEND_CAP, i.e. the value 1).

import './pds/type';
import type { CallOptions, RpcOptions, RpcResult } from './device';
import type { DeviceLike } from './device-like';
import { MAX_RPC_LEN, Scope } from './uapi/constants';
import { pack, type Bytes } from './uapi/layout';
import { fwctlRpcPds } from './uapi/structs';
import { FwctlDecodeError, need, view } from './wire';
import { FwctlError, FwctlRangeError, FwctlTypeError, show } from './errors';

export { FwctlDecodeError };

const F = fwctlRpcPds.fields;

/** PDS_FWCTL_RPC_OPCODE_*: bits 0-15 the command, bits 16-23 its version. */
export function opcode(command: number, version = 0): number {
  if (!Number.isInteger(command) || command < 0 || command > 0xffff) throw new FwctlRangeError(`command must be a u16, got ${show(command)}`);
  if (!Number.isInteger(version) || version < 0 || version > 0xff) throw new FwctlRangeError(`version must be a u8, got ${show(version)}`);
  return (version << 16) | command;
}

export function splitOpcode(op: number): { command: number; version: number } {
  if (typeof op !== 'number') throw new FwctlTypeError(`opcode must be a number, got ${show(typeof op)}`);
  return { command: op & 0xffff, version: (op >>> 16) & 0xff };
}

/** PDSFC_FW_CMD_ATTR_*: the firmware's attribute of an operation. */
export const PdsAttr = Object.freeze({ Read: 0x00, DebugRead: 0x02, Write: 0x04, DebugWrite: 0x08, Sync: 0x10 } as const);

/** The driver's translation of a firmware attribute to the scope it requires (pdsfc_get_operations()). */
export function scopeOfAttr(attr: number): Scope {
  switch (attr) {
    case PdsAttr.Read: case PdsAttr.Write: case PdsAttr.Sync: return Scope.Configuration;
    case PdsAttr.DebugRead: return Scope.DebugReadOnly;
    case PdsAttr.DebugWrite: return Scope.DebugWrite;
    default: return Scope.DebugWriteFull;
  }
}

/** enum pds_fwctl_query_entity. */
export const QueryEntity = Object.freeze({ Root: 0, Endpoint: 1, Operation: 2 } as const);

export interface PdsEndpoint {
  id: number;
}

export interface PdsOperation {
  /** The full operation id (command | version << 16). */
  id: number;
  command: number;
  version: number;
  /** The firmware's attribute byte (PDSFC_FW_CMD_ATTR_*). */
  attr: number;
  /** The scope the driver requires for it (scopeOfAttr(attr)). */
  scope: Scope;
}

export interface QueryData<E> {
  version: number;
  entries: E[];
}

/** sizeof(struct pds_fwctl_query_data) without entries; entry sizes per entity. */
const QUERY_HEADER = 8;
const ENDPOINT_ENTRY = 4;
const OPERATION_ENTRY = 8;

function queryHeader(buf: Bytes, entrySize: number, what: string): { version: number; count: number } {
  need(buf, QUERY_HEADER, what);
  const v = view(buf);
  const count = v.getUint32(4, true);
  const needed = QUERY_HEADER + count * entrySize;
  if (needed > buf.byteLength) {
    throw new FwctlDecodeError(what, needed, buf.byteLength, `num_entries ${count} needs ${needed} bytes, got ${buf.byteLength}`);
  }
  return { version: v.getUint8(0), count };
}

/** struct pds_fwctl_query_data for entity ROOT: endpoint ids (__le32 each). */
export function decodeEndpoints(buf: Bytes): QueryData<PdsEndpoint> {
  const { version, count } = queryHeader(buf, ENDPOINT_ENTRY, 'pds endpoint list');
  const v = view(buf);
  const entries: PdsEndpoint[] = [];
  for (let i = 0; i < count; i++) entries.push({ id: v.getUint32(QUERY_HEADER + i * ENDPOINT_ENTRY, true) });
  return { version, entries };
}

/** struct pds_fwctl_query_data for entity ENDPOINT: operations (__le32 id, u8 attr, u8 rsvd[3]). */
export function decodeOperations(buf: Bytes): QueryData<PdsOperation> {
  const { version, count } = queryHeader(buf, OPERATION_ENTRY, 'pds operation list');
  const v = view(buf);
  const entries: PdsOperation[] = [];
  for (let i = 0; i < count; i++) {
    const at = QUERY_HEADER + i * OPERATION_ENTRY;
    const id = v.getUint32(at, true);
    const attr = v.getUint8(at + 4);
    entries.push({ id, ...splitOpcode(id), attr, scope: scopeOfAttr(attr) });
  }
  return { version, entries };
}

// ---- calls ----

export interface PdsCallOptions extends CallOptions {
  ep: number;
  /** Operation id (use opcode(command, version)). */
  op: number;
  /** in.payload: bytes the driver copies from user memory (default none). */
  payload?: Bytes;
  /** out.len: bytes the driver copies back into the response payload (default 0). */
  responseLength?: number;
  scope: Scope;
  allowKernelTaint?: boolean;
}

export interface PdsCallResult {
  /** out.retval: the firmware's result code for the operation (0 = success). */
  retval: number;
  /** out.payload: exactly out.len bytes, as the driver copied them back. */
  payload: Buffer;
  /** The struct fwctl_rpc_pds the driver returned. */
  response: Buffer;
}

const U32_MAX = 0xffffffff;

function prepare(o: PdsCallOptions): { request: Uint8Array; out: Buffer; options: RpcOptions } {
  if (typeof o !== 'object' || o === null) throw new FwctlTypeError('pds call needs options { ep, op, scope, ... }');
  for (const k of ['ep', 'op'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > U32_MAX) throw new FwctlRangeError(`${k} must be a u32, got ${show(o[k])}`);
  }
  const payload = o.payload ?? new Uint8Array(0);
  const rl = o.responseLength ?? 0;
  if (!Number.isInteger(rl) || rl < 0 || rl > MAX_RPC_LEN) throw new FwctlRangeError(`responseLength must be an integer from 0 to ${MAX_RPC_LEN}, got ${show(rl)}`);
  const out = Buffer.alloc(rl);
  const request = pack(fwctlRpcPds, { 'in.op': o.op, 'in.ep': o.ep, 'in.len': payload.byteLength, 'out.len': out.length });
  return {
    request,
    out,
    options: {
      scope: o.scope,
      responseLength: fwctlRpcPds.size,
      allowKernelTaint: o.allowKernelTaint,
      signal: o.signal,
      // No length fields given: the addon writes in.len/out.len from these
      // buffers, as the pds driver's table says (lib/guards.ts).
      attach: [
        { at: F['in.payload'].offset, buffer: payload, direction: 'in' },
        { at: F['out.payload'].offset, buffer: out, direction: 'out' },
      ],
    },
  };
}

function finish(r: RpcResult, out: Buffer): PdsCallResult {
  need(r.response, fwctlRpcPds.size, 'pds fwctl_rpc_pds response');
  return { retval: view(r.response).getUint32(F['out.retval'].offset, true), payload: out, response: r.response };
}

/** One pds RPC: kernel refusals are FwctlError (EINVAL, EPERM, EFAULT); the operation's own result is `retval`. */
export async function call(dev: DeviceLike, options: PdsCallOptions): Promise<PdsCallResult> {
  const p = prepare(options);
  return finish(await dev.rpc(p.request, p.options), p.out);
}

export function callSync(dev: DeviceLike, options: PdsCallOptions): PdsCallResult {
  const p = prepare(options);
  return finish(dev.rpcSync(p.request, p.options), p.out);
}

// ---- endpoint and operation lists ----

/**
 * Where the firmware answers endpoint/operation queries over RPC. The
 * in-tree driver keeps its own lists (from PDS_FWCTL_CMD_QUERY) internal;
 * firmware that serves them to userspace names its own endpoint and
 * operation. There is no default: on real firmware a guessed route runs
 * whatever that operation is. The project's emulated firmware serves them
 * at MOCK_QUERY_ROUTE (ep 0, op 1), request payload
 * { u8 entity; u8 version; u8 rsvd[2]; __le32 ep }.
 */
export interface QueryRoute {
  ep: number;
  op: number;
  scope?: Scope;
}

/** The route of this project's emulated pds firmware (test/kernel/emu), for tests and the demo. */
export const MOCK_QUERY_ROUTE: Readonly<QueryRoute> = Object.freeze({ ep: 0, op: 1 });

const QUERY_BUFFER = 4096;

function queryOptions(entity: number, ep: number, route: QueryRoute, signal?: AbortSignal): PdsCallOptions {
  if (typeof route !== 'object' || route === null || !Number.isInteger(route.ep) || !Number.isInteger(route.op)) {
    throw new FwctlTypeError('pds endpoint/operation queries need the route your firmware serves them at, ' +
      'e.g. { ep, op }: the in-tree driver keeps these lists to itself (no default: a guessed operation could be a write)', 'ERR_FWCTL_INVALID_ARG_VALUE');
  }
  if (!Number.isInteger(ep) || ep < 0 || ep > U32_MAX) throw new FwctlRangeError(`ep must be a u32, got ${show(ep)}`);
  const payload = Buffer.alloc(8);
  payload[0] = entity;
  payload.writeUInt32LE(ep, 4);
  return { ep: route.ep, op: route.op, payload, responseLength: QUERY_BUFFER, scope: route.scope ?? Scope.Configuration, signal };
}

/** A non-zero retval from a query: the firmware's code. */
export class PdsQueryError extends FwctlError {
  declare readonly code: 'ERR_FWCTL_PDS_RETVAL';
  constructor(readonly retval: number, what: string) {
    super({ code: 'ERR_FWCTL_PDS_RETVAL', detail: `pds ${what}: firmware retval ${retval}` });
    this.name = 'PdsQueryError';
  }
}

function checked(r: PdsCallResult, what: string): Buffer {
  if (r.retval !== 0) throw new PdsQueryError(r.retval, what);
  return r.payload;
}

export async function endpoints(dev: DeviceLike, route: QueryRoute, options?: CallOptions): Promise<QueryData<PdsEndpoint>> {
  return decodeEndpoints(checked(await call(dev, queryOptions(QueryEntity.Root, 0, route, options?.signal)), 'endpoint query'));
}

export function endpointsSync(dev: DeviceLike, route: QueryRoute): QueryData<PdsEndpoint> {
  return decodeEndpoints(checked(callSync(dev, queryOptions(QueryEntity.Root, 0, route)), 'endpoint query'));
}

export async function operations(dev: DeviceLike, ep: number, route: QueryRoute, options?: CallOptions): Promise<QueryData<PdsOperation>> {
  return decodeOperations(checked(await call(dev, queryOptions(QueryEntity.Endpoint, ep, route, options?.signal)), 'operation query'));
}

export function operationsSync(dev: DeviceLike, ep: number, route: QueryRoute): QueryData<PdsOperation> {
  return decodeOperations(checked(callSync(dev, queryOptions(QueryEntity.Endpoint, ep, route)), 'operation query'));
}
