// A fake native binding for unit tests: records every call, answers with
// scripted results. Proves argument checks happen before any syscall.

import type { NativeBinding, NativeHandle, Patches } from '../../../lib/binding';

export interface IoctlCall {
  request: number;
  patches: number[];
  arg: Uint8Array;
  buffers: Uint8Array[];
  async: boolean;
}

/** Answers one ioctl: may write into arg/buffers (as the kernel would); returns 0 or -errno. */
export type Responder = (call: IoctlCall) => number;

export class FakeHandle implements NativeHandle {
  fd = 42;
  inFlight = 0;
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

  ioctlSync(request: number, patches: Patches, arg: Uint8Array, ...buffers: Uint8Array[]): number {
    const call = { request, patches: [...patches], arg, buffers, async: false };
    this.calls.push(call);
    return this.fd < 0 ? -9 : this.responder(call);
  }

  async ioctl(request: number, patches: Patches, arg: Uint8Array, ...buffers: Uint8Array[]): Promise<number> {
    const call = { request, patches: [...patches], arg, buffers, async: true };
    this.calls.push(call);
    if (this.fd < 0) return -9;
    this.inFlight++;
    try {
      await this.gate;
      return this.responder(call);
    } finally {
      this.inFlight--;
    }
  }

  close(): number {
    this.closeCount++;
    this.fd = -1;
    return 0;
  }
}

export class FakeBinding implements NativeBinding {
  readonly FWCTL_INFO = 0x9a00;
  readonly FWCTL_RPC = 0x9a01;
  readonly opened: string[] = [];
  readonly handles: FakeHandle[] = [];
  /** What open() returns: a handle factory or a negative errno. */
  next: (() => FakeHandle) | number;

  constructor(next: (() => FakeHandle) | number) {
    this.next = next;
  }

  open(path: string): NativeHandle | number {
    this.opened.push(path);
    if (typeof this.next === 'number') return this.next;
    const h = this.next();
    this.handles.push(h);
    return h;
  }

  poolStats() {
    return { threads: 0, idle: 0, queued: 0 };
  }
}
