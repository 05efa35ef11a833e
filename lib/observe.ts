// A NativeBinding that passes every call to another one and reports each
// call, with what the kernel answered, to an observer before the result is
// returned (sync) or the promise settles (async): the recorder and the audit
// trail are observers. Requests and in-attachments of async calls are
// copied at submit (the caller may change them while the call runs).

import type { AttachSpec, NativeBinding, NativeHandle, OpenResult } from './binding';
import { DIR_IN, SPEC_WORDS } from './binding-flags';

export interface CallEvent {
  op: 'open' | 'info' | 'rpc' | 'close';
  /** Submit order, process-wide, from 1. */
  seq: number;
  sync: boolean;
  path: string;
  /** Handle number in open order (0: a failed open). */
  h: number;
  /** The handle's device type after the call (-1 before a successful open). */
  type: number;
  /** rpc: scope, request (as submitted), response length asked for, attachments. */
  scope?: number;
  request?: Uint8Array;
  responseLength?: number;
  spec?: AttachSpec;
  /** The attachments after the call (out data), and their bytes at submit (in data). */
  buffers?: readonly Uint8Array[];
  inData?: readonly (Uint8Array | undefined)[];
  /** info: device_data length asked for. */
  length?: number;
  /** The raw result: driver length, close rc, or a negative errno. */
  rc?: number;
  /** rpc: the bytes the kernel wrote; info: the device_data. */
  data?: Uint8Array;
  lost?: number;
  stat?: [number, number, number];
  /** The binding threw (bad arguments): nothing reached the kernel. */
  threw?: unknown;
}

export type Observer = (e: CallEvent) => void;

/** Numbering of one observed binding: calls in submit order, handles in open order. */
class Counters {
  seq = 0;
  handles = 0;
}

function inCopies(spec: AttachSpec | undefined, buffers: readonly Uint8Array[], copy: boolean): (Uint8Array | undefined)[] {
  return buffers.map((b, k) => (spec && spec[k * SPEC_WORDS + 5] & DIR_IN ? (copy ? Uint8Array.from(b) : b) : undefined));
}

class ObservedHandle implements NativeHandle {
  constructor(readonly inner: NativeHandle, readonly h: number, readonly path: string, readonly emit: Observer, readonly n: Counters) {}
  get fd(): number { return this.inner.fd; }
  get inFlight(): number { return this.inner.inFlight; }
  get type(): number { return this.inner.type; }
  fstat() { return this.inner.fstat(); }

  rpcSync(scope: number, request: Uint8Array, response: Uint8Array, spec?: AttachSpec, ...buffers: Uint8Array[]): number {
    const seq = ++this.n.seq;
    const inData = inCopies(spec, buffers, true);
    const base = { op: 'rpc' as const, seq, sync: true, path: this.path, h: this.h, scope, request, responseLength: response.byteLength, spec, buffers, inData };
    let rc: number;
    try {
      rc = spec === undefined ? this.inner.rpcSync(scope, request, response) : this.inner.rpcSync(scope, request, response, spec, ...buffers);
    } catch (e) {
      this.emit({ ...base, type: this.inner.type, threw: e });
      throw e;
    }
    this.emit({ ...base, type: this.inner.type, rc, data: rc >= 0 ? response.subarray(0, Math.min(rc, response.byteLength)) : undefined });
    return rc;
  }

  rpc(id: number, scope: number, request: Uint8Array, response: number | Uint8Array, spec?: AttachSpec,
    ...buffers: Uint8Array[]): Promise<[number, Buffer, number] | number> {
    const seq = ++this.n.seq;
    const responseLength = typeof response === 'number' ? response : response.byteLength;
    const base = {
      op: 'rpc' as const, seq, sync: false, path: this.path, h: this.h, scope, request: Uint8Array.from(request), responseLength,
      spec: spec && Uint32Array.from(spec), buffers, inData: inCopies(spec, buffers, true),
    };
    let p: Promise<[number, Buffer, number] | number>;
    try {
      p = spec === undefined ? this.inner.rpc(id, scope, request, response) : this.inner.rpc(id, scope, request, response, spec, ...buffers);
    } catch (e) {
      this.emit({ ...base, type: this.inner.type, threw: e });
      throw e;
    }
    return p.then((r) => {
      if (typeof r === 'number') this.emit({ ...base, type: this.inner.type, rc: r });
      // (In the `into` form the second element is the caller's view: the kernel's bytes are its first min(length, view) bytes.)
      else this.emit({ ...base, type: this.inner.type, rc: r[0], data: r[1].subarray(0, Math.min(r[0], responseLength)), lost: r[2] });
      return r;
    }, (e) => {
      this.emit({ ...base, type: this.inner.type, threw: e });
      throw e;
    });
  }

  infoSync(data: Uint8Array): number {
    const seq = ++this.n.seq;
    const rc = this.inner.infoSync(data);
    this.emit({ op: 'info', seq, sync: true, path: this.path, h: this.h, type: this.inner.type, length: data.byteLength, rc,
      data: rc >= 0 ? data.subarray(0, Math.min(rc, data.byteLength)) : undefined });
    return rc;
  }

  info(id: number, length: number): Promise<[number, Buffer] | number> {
    const seq = ++this.n.seq;
    return this.inner.info(id, length).then((r) => {
      const e = { op: 'info' as const, seq, sync: false, path: this.path, h: this.h, type: this.inner.type, length };
      this.emit(typeof r === 'number' ? { ...e, rc: r } : { ...e, rc: r[0], data: r[1] });
      return r;
    });
  }

  close(): number {
    const seq = ++this.n.seq;
    const rc = this.inner.close();
    this.emit({ op: 'close', seq, sync: true, path: this.path, h: this.h, type: this.inner.type, rc });
    return rc;
  }

  closeAsync(): Promise<number> {
    const seq = ++this.n.seq;
    return this.inner.closeAsync().then((rc) => {
      this.emit({ op: 'close', seq, sync: false, path: this.path, h: this.h, type: this.inner.type, rc });
      return rc;
    });
  }
}

function observedOpen(r: OpenResult, seq: number, sync: boolean, path: string, emit: Observer, n: Counters): OpenResult {
  if (typeof r === 'number') {
    emit({ op: 'open', seq, sync, path, h: 0, type: -1, rc: r });
    return r;
  }
  const h = ++n.handles;
  const handle = new ObservedHandle(r[0], h, path, emit, n);
  emit({ op: 'open', seq, sync, path, h, type: r[0].type, rc: 0, stat: r[1] });
  return [handle, r[1]];
}

/** `inner` with every call reported to `emit`. */
export function observeBinding(inner: NativeBinding, emit: Observer): NativeBinding {
  const n = new Counters();
  return {
    open(path) {
      const seq = ++n.seq;
      return observedOpen(inner.open(path), seq, true, path, emit, n);
    },
    openAsync(id, path) {
      const seq = ++n.seq;
      return inner.openAsync(id, path).then((r) => observedOpen(r, seq, false, path, emit, n));
    },
    abandon: (id) => inner.abandon(id),
    setPointerGuards: (t) => inner.setPointerGuards(t),
    setErrorFactory: (f) => inner.setErrorFactory(f),
    get FWCTL_INFO() { return inner.FWCTL_INFO; },
    get FWCTL_RPC() { return inner.FWCTL_RPC; },
    poolStats: () => inner.poolStats(),
  };
}
