// The backend chain: what answers this process's fwctl calls. The addon by
// default; plug-ins above it observe it (record, audit) or replace it
// (replay). lib/device.ts asks activeBinding() for the binding at each open;
// the chain's sysfs layers are installed in lib/ground.ts, through which
// discovery, parent.ts and open() read. This module knows no plug-in: they
// install themselves (installBackend), and the environment's (FWCTL_RECORD,
// FWCTL_REPLAY, FWCTL_AUDIT: lib/environment.ts, reached from the entries)
// arrive through setEnvironmentBackends(), asked once, at the first use.
// Nothing here costs more than one variable read when no backend is set.

import type { NativeBinding } from './binding';
import { setSysLayerSource, type SysLayer } from './ground';

export type { SysOp, StatRecord, SysLayer } from './ground';

/** Wraps a binding (record, audit) or replaces it (replay). */
export interface Backend {
  /** The binding to use, given the real one's loader (replay never calls it). */
  binding(load: () => NativeBinding): NativeBinding;
  sys?: SysLayer;
  /** True for a backend that answers instead of the addon (replay). */
  readonly replay?: boolean;
}

let backends: Backend[] | undefined;
let resolved: NativeBinding | undefined;
let layer: SysLayer | undefined;
let environment: (() => Backend[]) | undefined;

/** The addon (lib/binding.ts is loaded only here: `fwctl list` never loads it). */
function loadBinding(): NativeBinding {
  return (require('./binding') as typeof import('./binding')).binding();
}

/**
 * @internal The backends the environment asks for, innermost first (the
 * entries call this once, through lib/environment.ts). Asked at the first
 * use of the chain; when the chain is already in use, added now (innermost).
 */
export function setEnvironmentBackends(f: () => Backend[]): void {
  if (environment !== undefined) return;
  environment = f;
  if (backends !== undefined) {
    backends.unshift(...f());
    rebuild();
  }
}

function init(): Backend[] {
  if (backends === undefined) {
    backends = environment ? environment() : [];
    rebuild();
  }
  return backends;
}

function rebuild(): void {
  resolved = undefined;
  const sys = backends!.map((b) => b.sys).filter((s): s is SysLayer => s !== undefined);
  layer = sys.length === 0 ? undefined : sys.length === 1 ? sys[0] : chainSys(sys);
}

/** Several layers: the first (replay, when present) is innermost, the others observe it. */
function chainSys(list: SysLayer[]): SysLayer {
  return {
    sync: (op, p, real) => list.reduce<() => unknown>((inner, l) => () => l.sync(op, p, inner), real)(),
    async: (op, p, real) => list.reduce<() => Promise<unknown>>((inner, l) => () => l.async(op, p, inner), real)(),
    listed: (e) => list.forEach((l) => l.listed?.(e)),
  };
}

setSysLayerSource(() => {
  if (backends === undefined) init();
  return layer;
});

/** @internal The binding for the next open: the addon, observed or replaced by the installed backends. */
export function activeBinding(): NativeBinding {
  const list = init();
  if (list.length === 0) return loadBinding();
  if (resolved === undefined) {
    let get: () => NativeBinding = loadBinding;
    for (const backend of list) {
      const inner = get;
      let memo: NativeBinding | undefined;
      get = () => (memo ??= backend.binding(inner));
    }
    resolved = get();
  }
  return resolved;
}

/** @internal Install a backend (fwctl.record(), fwctl.replay()); returns its removal. */
export function installBackend(b: Backend, innermost = false): () => void {
  const list = init();
  if (innermost) list.unshift(b);
  else list.push(b);
  rebuild();
  return () => {
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    rebuild();
  };
}

/** @internal True when a replay backend answers (no addon). */
export function replaying(): boolean {
  return init().some((b) => b.replay === true);
}
