// Tracing on node:diagnostics_channel: every open, info, rpc and close is
// published on the TracingChannel fwctl:open, fwctl:info, fwctl:rpc or
// fwctl:close (start, end, asyncStart, asyncEnd, error), as undici and
// Node's http do. lib/device.ts checks `hasSubscribers` once per call and
// builds a context only when someone listens: with no subscriber a call
// costs one boolean read more (docs/benchmarks.md).
//
// The context a subscriber sees (docs/api.md, "Tracing, record and replay"):
// device (the node's path), type, typeId, parent (PCI address, read from
// sysfs on first access), sync; rpc adds scope, request (the caller's view,
// not a copy), responseLength, and on success response (the result's view),
// length, truncated; on failure error, errno and code; always durationMs
// by end/asyncEnd.

import * as dc from 'node:diagnostics_channel';
import { pciParentOf } from './parent';
import { deviceTypeOf } from './uapi/constants';

type Tc = dc.TracingChannel<unknown, object>;

function channel(name: string): Tc {
  return dc.tracingChannel(name) as unknown as Tc;
}

/** The four channels. */
export const channels = Object.freeze({
  open: channel('fwctl:open'),
  info: channel('fwctl:info'),
  rpc: channel('fwctl:rpc'),
  close: channel('fwctl:close'),
});

/** The channel names, for dc.tracingChannel(name).subscribe(...). */
export const CHANNEL_NAMES = Object.freeze({ open: 'fwctl:open', info: 'fwctl:info', rpc: 'fwctl:rpc', close: 'fwctl:close' } as const);

/** One boolean: does anybody listen on this channel? (TracingChannel.hasSubscribers, Node >= 20.13.) */
export function listening(tc: Tc): boolean {
  return (tc as unknown as { hasSubscribers: boolean }).hasSubscribers;
}

/** What every event's context carries. */
export interface TraceContext {
  /** The device node ('/dev/fwctl/fwctl0'); for open, set once opened (`name` is the argument). */
  device?: string;
  name?: string;
  type?: string;
  typeId?: number;
  /** The parent PCI address (sysfs, cached), or null. */
  readonly parent?: string | null;
  sync: boolean;
  scope?: number;
  request?: Uint8Array;
  responseLength?: number;
  response?: Uint8Array;
  length?: number;
  truncated?: boolean;
  result?: unknown;
  error?: unknown;
  errno?: number;
  code?: string;
  durationMs?: number;
}

/** A context for a call on an open device (the parent read lazily). */
export function deviceContext(device: string, typeId: number, sync: boolean): TraceContext {
  let parent: string | null | undefined;
  return {
    device, typeId, type: deviceTypeOf(typeId), sync,
    get parent() {
      return (parent ??= pciParentOf(device));
    },
  };
}

function fail(ctx: TraceContext, e: unknown): void {
  const x = e as { errno?: unknown; code?: unknown };
  if (typeof x?.errno === 'number') ctx.errno = x.errno;
  if (typeof x?.code === 'string') ctx.code = x.code;
}

type Done<T> = (ctx: TraceContext, r: T) => void;

/** fn() traced on tc (start, end; error when it throws). */
export function traceSync<T>(tc: Tc, ctx: TraceContext, fn: () => T, done?: Done<T>): T {
  const t0 = performance.now();
  return tc.traceSync(() => {
    try {
      const r = fn();
      done?.(ctx, r);
      return r;
    } catch (e) {
      fail(ctx, e);
      throw e;
    } finally {
      ctx.durationMs = performance.now() - t0;
    }
  }, ctx);
}

/** fn() traced on tc (start, end, then asyncStart/asyncEnd; error when it rejects or throws). */
export function tracePromise<T>(tc: Tc, ctx: TraceContext, fn: () => Promise<T>, done?: Done<T>): Promise<T> {
  const t0 = performance.now();
  return tc.tracePromise(() => fn().then((r) => {
    done?.(ctx, r);
    ctx.durationMs = performance.now() - t0;
    return r;
  }, (e) => {
    fail(ctx, e);
    ctx.durationMs = performance.now() - t0;
    throw e;
  }), ctx);
}

/** An rpc's result into its context. */
export function rpcDone(ctx: TraceContext, r: { response: Uint8Array; length: number; truncated: boolean }): void {
  ctx.response = r.response;
  ctx.length = r.length;
  ctx.truncated = r.truncated;
}

/** An rpc's context: the scope and request as given (read once more, only when someone listens). */
export function rpcContext(device: string, typeId: number, sync: boolean, request: unknown, options: unknown): TraceContext {
  const ctx = deviceContext(device, typeId, sync);
  const o = options as { scope?: unknown; responseLength?: unknown } | null;
  if (request instanceof Uint8Array) ctx.request = request;
  if (typeof o?.scope === 'number') ctx.scope = o.scope;
  ctx.responseLength = typeof o?.responseLength === 'number' ? o.responseLength : 4096;
  return ctx;
}

/** An open's context; the device fields are filled in once it is open. */
export function openContext(name: string, sync: boolean): TraceContext {
  return { name, sync };
}

export function openDone(ctx: TraceContext, dev: { path: string; typeId: number }): void {
  Object.defineProperties(ctx, Object.getOwnPropertyDescriptors(deviceContext(dev.path, dev.typeId, ctx.sync)));
}
