// The pointer fields of each device type's requests that the in-tree drivers
// dereference, with the length each one is read with: the table the addon
// enforces (lib/binding.ts registers it once at load). Generated tables only:
// bnxt from drivers/fwctl/bnxt/main.c's bnxtctl_dma_cmds (lib/bnxt/generated/commands.ts,
// npm run gen), pds from struct fwctl_rpc_pds (lib/uapi/structs.ts,
// checked against include/uapi/fwctl/pds.h by test/unit/layout.test.ts).

import { DIR_IN, DIR_OUT, LEN_BE, PTR_LE } from './binding-flags';
import { BNXT_COMMAND_TABLE } from './bnxt/generated/commands';
import { DeviceTypeId } from './uapi/constants';
import { HOST_LE } from './uapi/layout';
import { fwctlRpcPds } from './uapi/structs';

/** Any request of the type (the guard's key is not compared). */
export const ANY_KEY = 0xffffffff;
export const GUARD_WORDS = 8;

export interface PointerGuard {
  type: number;
  /** The request's LE16 at offset 0 (bnxt req_type), or ANY_KEY. */
  key: number;
  ptrOffset: number;
  lenOffset: number;
  /** Width | LEN_BE | PTR_LE (see lib/binding.ts). */
  lenFlags: number;
  unit: number;
  fixedLength: number;
  direction: number;
}

export function pointerGuards(): PointerGuard[] {
  const out: PointerGuard[] = [];
  const P = fwctlRpcPds.fields;
  // pds: the driver memdup_user()s in.len bytes of in.payload and
  // copy_to_user()s out.len bytes to out.payload (host-endian u32 / u64).
  const hostLen = 4 | (HOST_LE ? 0 : LEN_BE);
  out.push({ type: DeviceTypeId.Pds, key: ANY_KEY, ptrOffset: P['in.payload'].offset, lenOffset: P['in.len'].offset,
    lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_IN });
  out.push({ type: DeviceTypeId.Pds, key: ANY_KEY, ptrOffset: P['out.payload'].offset, lenOffset: P['out.len'].offset,
    lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_OUT });
  // bnxt 7.3: each DMA field is an __le64 address with an LE length field
  // (times a unit) or a fixed length.
  for (const cmd of BNXT_COMMAND_TABLE) {
    for (const f of cmd.dma ?? []) {
      out.push({
        type: DeviceTypeId.Bnxt, key: cmd.reqType, ptrOffset: f.addrOffset, lenOffset: f.lenOffset ?? 0,
        lenFlags: (f.lenWidth ?? 0) | PTR_LE, unit: f.unit, fixedLength: f.fixedLength ?? 0,
        direction: f.direction === 'in' ? DIR_IN : DIR_OUT,
      });
    }
  }
  return out;
}

/** The table as the addon takes it: GUARD_WORDS u32 per entry. */
export function pointerGuardTable(): Uint32Array {
  const g = pointerGuards();
  const t = new Uint32Array(g.length * GUARD_WORDS);
  g.forEach((e, i) => t.set([e.type, e.key, e.ptrOffset, e.lenOffset, e.lenFlags, e.unit, e.fixedLength, e.direction], i * GUARD_WORDS));
  return t;
}

/** The guards of one request (for messages and the typed helpers). */
export function guardsFor(type: number, key: number): PointerGuard[] {
  return pointerGuards().filter((g) => g.type === type && (g.key === ANY_KEY || g.key === key));
}
