// A fake native binding for unit tests: records every call, answers with
// scripted results. Proves argument checks happen before any syscall.
//
// Each call is recorded in the shape of the ioctl it stands for: `arg` is
// the struct fwctl_rpc / fwctl_info the addon would build (size, scope,
// in_len, out_len from the real views), `buffers` are [request, response,
// ...attachments] (RPC) or [device_data] (INFO). A responder may write into
// them as the kernel would and write the driver's length back into arg
// (out_len @12, device_data_len @12, out_device_type @8).

import type { NativeBinding, NativeHandle, OpenResult } from '../../../lib/binding';
import { LEN_BE, LEN_FROM_TABLE, SPEC_WORDS } from '../../../lib/binding-flags';
import { HOST_LE } from '../../../lib/uapi/layout';

export interface IoctlCall {
  request: number;
  /** The pointer writes the addon would do: (target, offset, source) triples, as the old contract had them. */
  patches: number[];
  arg: Uint8Array;
  buffers: Uint8Array[];
  async: boolean;
  scope?: number;
}

/** Answers one ioctl: may write into arg/buffers (as the kernel would); returns 0 or -errno. */
export type Responder = (call: IoctlCall) => number;

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const u32 = (a: Uint8Array, off: number) => new DataView(a.buffer, a.byteOffset, a.byteLength).getUint32(off, LE);
const setU32 = (a: Uint8Array, off: number, v: number) => new DataView(a.buffer, a.byteOffset, a.byteLength).setUint32(off, v, LE);

function rpcArg(scope: number, inLen: number, outLen: number): Uint8Array {
  const a = new Uint8Array(32);
  setU32(a, 0, 32);
  setU32(a, 4, scope);
  setU32(a, 8, inLen);
  setU32(a, 12, outLen);
  return a;
}

/** The request as the addon hands it over: a copy with each attachment's length written (where the spec says). */
function patched(request: Uint8Array, spec: Uint32Array | undefined, bufs: Uint8Array[]): Uint8Array {
  if (!spec) return request;
  const req = new Uint8Array(request);
  const v = new DataView(req.buffer);
  for (let k = 0; k < bufs.length; k++) {
    const [, lenOff, flags, unit] = spec.subarray(k * SPEC_WORDS, k * SPEC_WORDS + 4);
    const width = flags & 0xff;
    if (flags === LEN_FROM_TABLE || width === 0) continue;
    const n = bufs[k].byteLength / unit;
    const le = !(flags & LEN_BE);
    if (width === 2) v.setUint16(lenOff, n, le);
    else if (width === 4) v.setUint32(lenOff, n, le);
    else v.setBigUint64(lenOff, BigInt(n), le);
  }
  return req;
}

function rpcPatches(spec: Uint32Array | undefined): number[] {
  const p = [0, 16, 1, 0, 24, 2];
  const n = spec ? spec.length / SPEC_WORDS : 0;
  for (let k = 0; k < n; k++) p.push(1, spec![k * SPEC_WORDS], 3 + k);
  return p;
}

export class FakeHandle implements NativeHandle {
  fd = 42;
  inFlight = 0;
  /** The type the "kernel" answered at open (set by FakeBinding.open). */
  type = 0;
  readonly calls: IoctlCall[] = [];
  closeCount = 0;
  /** Async calls wait for this before answering (tests can hold them in flight). */
  gate: Promise<void> = Promise.resolve();

  constructor(
    public responder: Responder,
    public stat: [number, number, number] | number,
  ) {}

  fstat(): [number, number, number] | number {
    return this.stat;
  }

  rpcSync(scope: number, request: Uint8Array, response: Uint8Array, spec?: Uint32Array, ...bufs: Uint8Array[]): number {
    const arg = rpcArg(scope, request.byteLength, response.byteLength);
    const call: IoctlCall = { request: 0x9a01, patches: rpcPatches(spec), arg, buffers: [patched(request, spec, bufs), response, ...bufs], async: false, scope };
    this.calls.push(call);
    if (this.fd < 0) return -9;
    const rc = this.responder(call);
    return rc < 0 ? rc : u32(arg, 12);
  }

  async rpc(_id: number, scope: number, request: Uint8Array, responseOrInto: number | Uint8Array, spec?: Uint32Array,
    ...bufs: Uint8Array[]): Promise<[number, Buffer, number] | number> {
    const into = typeof responseOrInto === 'number' ? undefined : responseOrInto;
    const responseLength = into ? into.byteLength : (responseOrInto as number);
    // Private copies, as the addon makes them.
    const copies = bufs.map((b, k) => (spec && spec[k * SPEC_WORDS + 5] === 2 ? new Uint8Array(b.byteLength) : new Uint8Array(b)));
    const response = Buffer.alloc(responseLength);
    const arg = rpcArg(scope, request.byteLength, responseLength);
    const call: IoctlCall = { request: 0x9a01, patches: rpcPatches(spec), arg, buffers: [new Uint8Array(patched(request, spec, bufs)), response, ...copies], async: true, scope };
    this.calls.push(call);
    if (this.fd < 0) return -9;
    this.inFlight++;
    try {
      await this.gate;
      const rc = this.responder(call);
      if (rc < 0) return rc;
      let lost = -1;
      copies.forEach((c, k) => {
        if (!spec || !(spec[k * SPEC_WORDS + 5] & 2)) return;
        if (bufs[k].byteLength < c.byteLength) lost = lost < 0 ? k : lost;
        else bufs[k].set(c);
      });
      const length = u32(arg, 12);
      const written = response.subarray(0, Math.min(length, responseLength));
      if (into) {
        if (into.byteLength < written.length) return [length, undefined as unknown as Buffer, lost < 0 ? -2 : lost];
        into.set(written);
        return [length, into as Buffer, lost];
      }
      return [length, Buffer.from(written), lost];
    } finally {
      this.inFlight--;
    }
  }

  #infoCall(data: Uint8Array, async: boolean): IoctlCall {
    const arg = new Uint8Array(24);
    setU32(arg, 0, 24);
    setU32(arg, 12, data.byteLength);
    const call = { request: 0x9a00, patches: [0, 16, 1], arg, buffers: [data], async };
    this.calls.push(call);
    return call;
  }

  infoSync(data: Uint8Array): number {
    const call = this.#infoCall(data, false);
    if (this.fd < 0) return -9;
    const rc = this.responder(call);
    if (rc < 0) return rc;
    this.type = u32(call.arg, 8); // as the addon does: the type the kernel answered
    return u32(call.arg, 12);
  }

  async info(_id: number, length: number): Promise<[number, Buffer] | number> {
    const data = Buffer.alloc(length);
    const call = this.#infoCall(data, true);
    if (this.fd < 0) return -9;
    this.inFlight++;
    try {
      await this.gate;
      const rc = this.responder(call);
      if (rc < 0) return rc;
      const n = u32(call.arg, 12);
      this.type = u32(call.arg, 8);
      return [n, Buffer.from(data.subarray(0, Math.min(n, length)))];
    } finally {
      this.inFlight--;
    }
  }

  close(): number {
    if (this.fd < 0) return -9;
    this.closeCount++;
    this.fd = -1;
    return 0;
  }

  async closeAsync(): Promise<number> {
    return this.close();
  }
}

export class FakeBinding implements NativeBinding {
  readonly FWCTL_INFO = 0x9a00;
  readonly FWCTL_RPC = 0x9a01;
  readonly opened: string[] = [];
  readonly handles: FakeHandle[] = [];
  readonly abandoned: number[] = [];
  /** What open() returns: a handle factory or a negative errno. */
  next: (() => FakeHandle) | number;

  constructor(next: (() => FakeHandle) | number) {
    this.next = next;
  }

  open(path: string): OpenResult {
    this.opened.push(path);
    if (typeof this.next === 'number') return this.next;
    const h = this.next();
    this.handles.push(h);
    const st = h.fstat();
    if (typeof st === 'number') return st;
    // The type the addon asks for at open is learnt from the first INFO
    // call here (as the addon updates it from every INFO answer): the
    // scripted responders answer INFO when the test calls info().
    return [h, st];
  }

  async openAsync(_id: number, path: string): Promise<OpenResult> {
    return this.open(path);
  }

  abandon(id: number): boolean {
    this.abandoned.push(id);
    return true;
  }

  setPointerGuards(): void {}
  setErrorFactory(): void {}

  poolStats() {
    return { threads: 0, idle: 0, queued: 0 };
  }
}

/**
 * fwctl0 as an mlx5 function: FWCTL_INFO (uid 5, uctx caps 1) and
 * QUERY_ADAPTER (vendor 0x02c9, subsystem 0x15b3, PSID MT_0000000001, the
 * given VSD); any other command BAD_OP (status 2).
 */
export function mlx5AdapterResponder(vsd: string): Responder {
  const u32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);
  return (c) => {
    if (c.request === 0x9a00) { // FWCTL_INFO
      u32(c.buffers[0], 0, 5);
      u32(c.buffers[0], 4, 1);
      u32(c.arg, 8, 1); // mlx5
      u32(c.arg, 12, 8);
      return 0;
    }
    const out = c.buffers[1];
    out.fill(0);
    u32(c.arg, 12, out.length);
    if (Buffer.from(c.buffers[0]).readUInt16BE(0) !== 0x101) {
      out[0] = 2; // BAD_OP
      return 0;
    }
    const p = Buffer.from(out.buffer, out.byteOffset + 16, 256);
    p.writeUInt32BE(0x0002c9, 0x18);
    p.writeUInt16BE(0x15b3, 0x1e);
    p.write('MT_0000000001', 0xf0);
    p.write(vsd, 0x20);
    return 0;
  };
}
