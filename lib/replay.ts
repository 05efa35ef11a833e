// Replay: fwctl.replay(FILE) or FWCTL_REPLAY=FILE answers every call of
// this process from a transcript (docs/transcripts.md) instead of the
// kernel: a NativeBinding that never loads the addon, and the sysfs reads
// of discovery and open. Calls are checked against the transcript in order
// per device (mode 'strict', the default) or matched by their request bytes
// (mode 'match'); a call that differs fails at once with a ReplayMismatch
// naming the call, its position and the first differing byte.

import { installBackend, type Backend, type SysLayer, type SysOp } from './backend';
import type { AttachSpec, NativeBinding, NativeHandle, OpenResult } from './binding';
import { DIR_OUT, SPEC_WORDS } from './binding-flags';
import { errnoNumber, FwctlError, FwctlTypeError, internalError, nativeArgumentError, show } from './errors';
import { commandOf, matchElided, readTranscript, unhex, type CallLine, type Transcript } from './transcript';
import { FWCTL_INFO, FWCTL_RPC } from './uapi/constants';

export type ReplayMode = 'strict' | 'match';

export interface ReplayOptions {
  /** 'strict' (default): calls in the transcript's order per device. 'match': rpc calls found by their request bytes. */
  mode?: ReplayMode;
}

/** A call that is not the transcript's: thrown (or rejected) by the call itself. */
export class ReplayMismatch extends FwctlError {
  declare readonly code: 'ERR_FWCTL_REPLAY_MISMATCH';
  declare readonly path: string;
  constructor(
    message: string,
    /** The device node. */
    path: string,
    /** 1-based position of the call among this device's calls. */
    readonly position: number,
    /** The first differing byte of the request (or attachment), when the bytes differ. */
    readonly offset?: number,
  ) {
    super({ code: 'ERR_FWCTL_REPLAY_MISMATCH', detail: message });
    (this as { path?: string }).path = path;
    this.name = 'ReplayMismatch';
  }
}

/** A replay in progress. */
export interface Replay {
  readonly file: string;
  readonly mode: ReplayMode;
  /** Calls of the transcript not made yet. */
  readonly remaining: number;
  /** Every ReplayMismatch thrown so far, first first (a program may catch them). */
  readonly failures: readonly ReplayMismatch[];
  /** Throws when calls of the transcript were not made (a program that did less than it recorded). */
  verify(): void;
  /** Stop answering from the transcript (the addon answers again). Idempotent. */
  stop(): void;
}

const ord = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;
const h2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function errnoValue(name: string): number {
  const n = errnoNumber(name);
  if (n === undefined) throw new FwctlError({ code: 'ERR_FWCTL_TRANSCRIPT', detail: `replay: the transcript's errno ${name} is not known on this system` });
  return -n;
}

/**
 * The addon's argument error of a recorded call, as the addon throws it now:
 * FwctlRangeError for a recorded RangeError or FwctlRangeError (transcripts
 * of earlier versions name the built-ins), FwctlTypeError otherwise.
 */
function rethrow(t: { name: string; message: string }): never {
  throw nativeArgumentError(t.name === 'RangeError' || t.name === 'FwctlRangeError', t.message);
}

/** What a call brings, to compare with the transcript. */
interface Actual {
  op: CallLine['t'];
  h: number;
  scope?: number;
  request?: Uint8Array;
  responseLength?: number;
  spec?: AttachSpec;
  buffers?: readonly Uint8Array[];
  length?: number;
}

export class ReplaySession {
  readonly transcript: Transcript;
  /** Calls per device path, in submit order. */
  readonly #byPath = new Map<string, CallLine[]>();
  readonly #cursor = new Map<string, number>();
  readonly #used = new Set<CallLine>();
  readonly #sys = new Map<string, { results: unknown[]; next: number }>();
  #count = 0;
  readonly failures: ReplayMismatch[] = [];

  constructor(readonly file: string, readonly mode: ReplayMode) {
    this.transcript = readTranscript(file);
    for (const c of this.transcript.calls) {
      let l = this.#byPath.get(c.path);
      if (!l) this.#byPath.set(c.path, (l = []));
      l.push(c);
    }
    for (const s of this.transcript.sys) {
      const k = `${s.op}\0${s.path}`;
      let e = this.#sys.get(k);
      if (!e) this.#sys.set(k, (e = { results: [], next: 0 }));
      e.results.push(s.result);
    }
  }

  get remaining(): number {
    return this.transcript.calls.length - this.#used.size;
  }

  verify(): void {
    const left = this.transcript.calls.filter((c) => !this.#used.has(c));
    if (left.length > 0) {
      const c = left[0];
      throw new FwctlError({ code: 'ERR_FWCTL_REPLAY_INCOMPLETE',
        detail: `replay (${this.file}): ${left.length} call(s) of the transcript were not made; the first: ` +
        `${this.#describe(c)} on ${c.path} (seq ${c.seq})` });
    }
  }

  /** A sysfs read or stat: the recorded answers for this path in order, the last one repeated. */
  sys(op: SysOp, p: string): unknown {
    const e = this.#sys.get(`${op}\0${p}`);
    if (!e) return op === 'readdir' ? [] : op === 'stat' ? { error: 'ENOENT' } : null;
    const r = e.results[Math.min(e.next, e.results.length - 1)];
    e.next++;
    return Array.isArray(r) ? [...r] : r; // (discovery sorts what it is given)
  }

  #describe(c: CallLine): string {
    if (c.t !== 'rpc') return c.t;
    return `rpc ${commandOf(c.typeId, unhex(c.request)).name} (scope ${c.scope})`;
  }

  #describeActual(a: Actual, typeId: number): string {
    return a.op === 'rpc' ? `rpc ${commandOf(typeId, a.request!).name} (scope ${a.scope})` : a.op;
  }

  /** The transcript's entry for this call, consumed; throws ReplayMismatch when it is not the transcript's. */
  take(p: string, a: Actual, typeId: number): CallLine {
    try {
      return this.#take(p, a, typeId);
    } catch (e) {
      if (e instanceof ReplayMismatch) this.failures.push(e);
      throw e;
    }
  }

  #take(p: string, a: Actual, typeId: number): CallLine {
    this.#count++;
    const list = this.#byPath.get(p) ?? [];
    const what = `${this.#describeActual(a, typeId)} on ${p}`;
    if (this.mode === 'match') {
      const same = (c: CallLine) => !this.#used.has(c) && c.t === a.op && this.#diff(c, a) === undefined;
      const hit = list.find((c) => same(c) && c.h === a.h) ?? list.find(same);
      if (hit) {
        this.#used.add(hit);
        return hit;
      }
      const near = list.find((c) => !this.#used.has(c) && c.t === a.op);
      const d = near ? this.#diff(near, a) : undefined;
      throw new ReplayMismatch(`replay (${this.file}, mode match): ${what} (call ${this.#count} of this process) is not in the transcript` +
        (near && d ? `; the nearest unused ${near.t} (position ${list.indexOf(near) + 1} on this device, seq ${near.seq}): ${d.text}` : ''),
      p, near ? list.indexOf(near) + 1 : 0, d?.offset);
    }
    const i = this.#cursor.get(p) ?? 0;
    const e = list[i];
    const pos = `the ${ord(i + 1)} call on this device`;
    if (!e) {
      throw new ReplayMismatch(`replay (${this.file}): ${what} is ${pos}, but the transcript has only ${list.length} call(s) there`, p, i + 1);
    }
    if (e.t !== a.op || (a.op !== 'open' && e.h !== a.h)) {
      throw new ReplayMismatch(`replay (${this.file}): ${what} on handle ${a.h} is ${pos}; the transcript has ${this.#describe(e)} ` +
        `on handle ${e.h} there (seq ${e.seq})`, p, i + 1);
    }
    const d = this.#diff(e, a);
    if (d) throw new ReplayMismatch(`replay (${this.file}): ${what} is ${pos} (seq ${e.seq}): ${d.text}`, p, i + 1, d.offset);
    this.#cursor.set(p, i + 1);
    this.#used.add(e);
    return e;
  }

  /** How the call differs from the entry, or undefined. */
  #diff(e: CallLine, a: Actual): { text: string; offset?: number } | undefined {
    if (e.t === 'info' && a.length !== e.length) return { text: `device_data length ${a.length}, the transcript's ${e.length}` };
    if (e.t !== 'rpc') return undefined;
    if (a.scope !== e.scope) return { text: `scope ${a.scope}, the transcript's ${e.scope}` };
    const req = unhex(e.request);
    if (e.elided && matchElided(e.elided, a.request!) === undefined) {
      return { text: `the request's bulk bytes ${e.elided.offset}..${e.elided.offset + e.elided.length} differ from the transcript's (SHA-256 ${e.elided.sha256.slice(0, 12)}...)`, offset: e.elided.offset };
    }
    const live = e.elided ? matchElided(e.elided, a.request!)! : a.request!;
    const at = firstDiff(req, live);
    if (at >= 0) {
      const got = at < a.request!.length ? h2(a.request![at]) : 'end';
      const want = at < req.length ? h2(req[at]) : 'end';
      return { text: `the request differs at byte ${at} (this call ${got}, the transcript ${want}; ` +
        `lengths ${a.request!.length} and ${req.length})`, offset: at };
    }
    if (a.responseLength !== e.responseLength) return { text: `responseLength ${a.responseLength}, the transcript's ${e.responseLength}` };
    const n = a.spec ? a.spec.length / SPEC_WORDS : 0;
    if (n !== (e.attach?.length ?? 0)) return { text: `${n} attachment(s), the transcript's ${e.attach?.length ?? 0}` };
    for (let k = 0; k < n; k++) {
      const r = e.attach![k];
      const spec = Array.from(a.spec!.subarray(k * SPEC_WORDS, (k + 1) * SPEC_WORDS));
      if (spec.join() !== r.spec.join()) return { text: `attachment ${k} is [${spec}], the transcript's [${r.spec}]` };
      const b = a.buffers![k];
      if (b.byteLength !== r.length) return { text: `attachment ${k} has ${b.byteLength} bytes, the transcript's ${r.length}` };
      if (r.in !== undefined) {
        const j = firstDiff(unhex(r.in), b);
        if (j >= 0) return { text: `attachment ${k} differs at byte ${j}`, offset: j };
      }
    }
    return undefined;
  }
}

class ReplayHandle implements NativeHandle {
  #fd: number;
  inFlight = 0;
  constructor(readonly s: ReplaySession, readonly path: string, readonly h: number, public type: number, readonly st: [number, number, number]) {
    this.#fd = 1000 + h;
  }
  get fd(): number { return this.#fd; }
  fstat(): [number, number, number] | number { return this.#fd < 0 ? -9 : this.st; }

  #rpc(scope: number, request: Uint8Array, responseLength: number, spec: AttachSpec | undefined, buffers: Uint8Array[]) {
    const e = this.s.take(this.path, { op: 'rpc', h: this.h, scope, request, responseLength, spec, buffers }, this.type);
    if (e.t !== 'rpc') throw internalError('replay: a transcript entry of the wrong type');
    if (e.threw) rethrow(e.threw);
    if (e.typeId !== undefined) this.type = e.typeId;
    return e;
  }

  #writeOut(e: CallLine & { t: 'rpc' }, buffers: Uint8Array[]): void {
    e.attach?.forEach((a, k) => {
      if (a.out !== undefined && a.spec[5] & DIR_OUT && e.lost !== k) buffers[k].set(unhex(a.out));
    });
  }

  rpcSync(scope: number, request: Uint8Array, response: Uint8Array, spec?: AttachSpec, ...buffers: Uint8Array[]): number {
    const e = this.#rpc(scope, request, response.byteLength, spec, buffers);
    if (e.errno !== undefined) return errnoValue(e.errno);
    response.set(unhex(e.response ?? ''));
    this.#writeOut(e, buffers);
    return e.length ?? 0;
  }

  async rpc(_id: number, scope: number, request: Uint8Array, response: number | Uint8Array, spec?: AttachSpec,
    ...buffers: Uint8Array[]): Promise<[number, Buffer, number] | number> {
    const into = typeof response === 'number' ? undefined : response;
    const e = this.#rpc(scope, request, into ? into.byteLength : (response as number), spec, buffers);
    if (e.errno !== undefined) return errnoValue(e.errno);
    this.#writeOut(e, buffers);
    const bytes = unhex(e.response ?? '');
    if (into === undefined) return [e.length ?? 0, bytes, e.lost ?? -1];
    into.set(bytes);
    return [e.length ?? 0, into as Buffer, e.lost ?? -1];
  }

  #info(length: number) {
    const e = this.s.take(this.path, { op: 'info', h: this.h, length }, this.type);
    if (e.t !== 'info') throw internalError('replay: a transcript entry of the wrong type');
    if (e.threw) rethrow(e.threw);
    if (e.typeId !== undefined && e.errno === undefined) this.type = e.typeId;
    return e;
  }

  infoSync(data: Uint8Array): number {
    const e = this.#info(data.byteLength);
    if (e.errno !== undefined) return errnoValue(e.errno);
    data.set(unhex(e.data ?? ''));
    return e.result ?? 0;
  }

  async info(_id: number, length: number): Promise<[number, Buffer] | number> {
    const e = this.#info(length);
    if (e.errno !== undefined) return errnoValue(e.errno);
    return [e.result ?? 0, unhex(e.data ?? '')];
  }

  close(): number {
    const e = this.s.take(this.path, { op: 'close', h: this.h }, this.type);
    if (e.t !== 'close') throw internalError('replay: a transcript entry of the wrong type');
    if (e.rc >= 0) this.#fd = -1;
    return e.rc;
  }

  async closeAsync(): Promise<number> {
    return this.close();
  }
}

/** A NativeBinding answering from the session (never loads the addon). */
export function replayBinding(s: ReplaySession): NativeBinding {
  let handles = 0;
  const open = (p: string): OpenResult => {
    // Handles are numbered in open order, as the recorder numbered them.
    const e = s.take(p, { op: 'open', h: handles + 1 }, -1);
    if (e.t !== 'open') throw internalError('replay: a transcript entry of the wrong type');
    if (e.threw) rethrow(e.threw);
    if (e.errno !== undefined) {
      return errnoValue(e.errno);
    }
    handles++;
    return [new ReplayHandle(s, p, e.h, e.typeId ?? 0, e.stat ?? [0, 0, 0]), e.stat ?? [0, 0, 0]];
  };
  return {
    open,
    openAsync: async (_id, p) => open(p),
    abandon: () => true,
    setPointerGuards: () => undefined,
    setErrorFactory: () => undefined,
    FWCTL_INFO, FWCTL_RPC,
    poolStats: () => ({ threads: 0, idle: 0, queued: 0 }),
  };
}

function sysOf(s: ReplaySession): SysLayer {
  return {
    sync: (op, p) => s.sys(op, p),
    async: async (op, p) => s.sys(op, p),
  };
}

/** @internal The backend FWCTL_REPLAY installs. */
export function replayBackend(file: string, options: ReplayOptions = {}): Backend & { replay: true; session: ReplaySession } {
  const session = new ReplaySession(file, checkMode(options.mode));
  let b: NativeBinding | undefined;
  return { replay: true, session, sys: sysOf(session), binding: () => (b ??= replayBinding(session)) };
}

function checkMode(mode: unknown): ReplayMode {
  if (mode === undefined) return 'strict';
  if (mode !== 'strict' && mode !== 'match') throw new FwctlTypeError(`replay: mode must be 'strict' or 'match', got ${show(mode)}`, 'ERR_FWCTL_INVALID_ARG_VALUE');
  return mode;
}

/**
 * Answer every call of this process (list, find, open, info, rpc, close,
 * the typed helpers, inventory, the CLI) from the transcript `file`, in
 * place of the kernel; no addon is loaded. Devices opened before keep
 * their real handles.
 */
export function replay(file: string, options: ReplayOptions = {}): Replay {
  if (typeof file !== 'string' || file === '') throw new FwctlTypeError('replay(file): file must be a path');
  const backend = replayBackend(file, options);
  const remove = installBackend(backend, true);
  let stopped = false;
  const s = backend.session;
  return {
    file, mode: s.mode,
    get remaining() { return s.remaining; },
    get failures() { return s.failures; },
    verify: () => s.verify(),
    stop: () => {
      if (!stopped) remove();
      stopped = true;
    },
  };
}

export interface TestHooks {
  beforeEach(fn: () => void): void;
  afterEach(fn: () => void): void;
}

/**
 * For a test file (Jest, Mocha, node:test): each test runs against the
 * transcript from its start (a fresh replay), and fails afterwards when it
 * did not make every call the transcript holds (unless `verify: false`).
 * Returns a getter of the current replay. node:test: pass its hooks,
 * `useTranscript(file, { hooks: require('node:test') })`.
 */
export function useTranscript(file: string, options: ReplayOptions & { verify?: boolean; hooks?: TestHooks } = {}): () => Replay {
  const hooks = options.hooks ?? (globalThis as unknown as TestHooks);
  if (typeof hooks.beforeEach !== 'function' || typeof hooks.afterEach !== 'function') {
    throw new FwctlTypeError('useTranscript: no beforeEach/afterEach here; pass { hooks } (e.g. require("node:test"))');
  }
  let current: Replay | undefined;
  hooks.beforeEach(() => {
    current = replay(file, options);
  });
  hooks.afterEach(() => {
    const r = current;
    current = undefined;
    r?.stop();
    if (r && options.verify !== false) r.verify();
  });
  return () => {
    if (!current) throw new FwctlError({ code: 'ERR_FWCTL_INVALID_STATE', detail: 'useTranscript: no test is running' });
    return current;
  };
}
