// The pointer fields of each device type's requests that its driver
// dereferences, with the length each one is read with: the table the addon
// enforces (lib/binding.ts hands it over once, at load). Each device type
// declares its own (lib/registry.ts, pointerGuards: pds from struct
// fwctl_rpc_pds, bnxt from drivers/fwctl/bnxt/main.c's bnxtctl_dma_cmds);
// this module only lays them out for the addon.

import { pointerGuardSpecs, type PointerGuardSpec } from './registry';

/** Any request of the type (the guard's key is not compared). */
export const ANY_KEY = 0xffffffff;
export const GUARD_WORDS = 8;

export interface PointerGuard extends PointerGuardSpec {
  type: number;
}

function collect(seal: boolean): PointerGuard[] {
  return pointerGuardSpecs(seal).map(({ type, spec }) => ({ type, ...spec }));
}

/** The guards of every registered type. */
export function pointerGuards(): PointerGuard[] {
  return collect(false);
}

/**
 * The table as the addon takes it: GUARD_WORDS u32 per entry. Taking it
 * seals the registry's guards: a type with pointer fields that registered
 * later would not be guarded, so it is refused instead.
 */
export function pointerGuardTable(): Uint32Array {
  const g = collect(true);
  const t = new Uint32Array(g.length * GUARD_WORDS);
  g.forEach((e, i) => t.set([e.type, e.key, e.ptrOffset, e.lenOffset, e.lenFlags, e.unit, e.fixedLength, e.direction], i * GUARD_WORDS));
  return t;
}

/** The guards of one request (for messages and the typed helpers). */
export function guardsFor(type: number, key: number): PointerGuard[] {
  return pointerGuards().filter((g) => g.type === type && (g.key === ANY_KEY || g.key === key));
}
