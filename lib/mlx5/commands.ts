// Which mlx5_ifc.h layouts are the input and output mailboxes of each opcode
// the fwctl driver allows. The header names them after the opcode
// (MLX5_CMD_OP_QUERY_VNIC_ENV: query_vnic_env_in / query_vnic_env_out); the
// few it names otherwise are listed here, as the kernel's own callers use
// them. About 40 opcodes of the driver's table have no layout in mlx5_ifc.h
// at all (the driver defines their numbers itself: QUERY_DIAGNOSTIC_*,
// QUERY_UCTX, QUERY_DPA_*, ...): exec() sends those with the generic 16-byte
// header and returns the output body as bytes.

import { MLX5_OPCODE_TABLE, type Mlx5OpcodeEntry } from './generated/opcodes';
import { hasLayout, type IfcLayoutName } from './ifc';

/** Layouts the header names other than <opcode>_in / <opcode>_out (as drivers/ and the PRM use them). */
const RENAMED: Readonly<Record<string, { in: string; out?: string }>> = {
  ACCESS_REG: { in: 'access_register_in', out: 'access_register_out' },
  QUERY_SF_PARTITION: { in: 'query_sf_partitions_in', out: 'query_sf_partitions_out' },
  QUERY_FLOW_TABLE_ENTRY: { in: 'query_fte_in', out: 'query_fte_out' },
  QUERY_GENERAL_OBJECT: { in: 'general_obj_in_cmd_hdr', out: 'general_obj_out_cmd_hdr' },
};

export interface Mlx5Command extends Mlx5OpcodeEntry {
  /** The input mailbox layout, when mlx5_ifc.h has one. */
  readonly in?: IfcLayoutName;
  /** The output mailbox layout, when mlx5_ifc.h has one. */
  readonly out?: IfcLayoutName;
}

function layoutsOf(e: Mlx5OpcodeEntry): Mlx5Command {
  const r = RENAMED[e.name];
  const lower = e.name.toLowerCase();
  const pick = (n: string | undefined): IfcLayoutName | undefined => (n !== undefined && hasLayout(n) ? n : undefined);
  return Object.freeze({ ...e, in: pick(r ? r.in : `${lower}_in`), out: pick(r ? r.out : `${lower}_out`) });
}

/** Every opcode the driver allows, in its table's order, with its layouts. */
export const MLX5_COMMANDS: readonly Mlx5Command[] = Object.freeze(MLX5_OPCODE_TABLE.map(layoutsOf));

const BY_NAME: ReadonlyMap<string, Mlx5Command> = new Map(MLX5_COMMANDS.map((c) => [c.name, c]));

/** The command by name ('QUERY_VNIC_ENV', also with the MLX5_CMD_OP_ prefix, any case), or undefined. */
export function command(name: string): Mlx5Command | undefined {
  return BY_NAME.get(name.toUpperCase().replace(/^MLX5_CMD_OP_/, ''));
}

/** The layout names RENAMED refers to (for the test that they all exist). */
export const RENAMED_LAYOUTS: readonly string[] = Object.values(RENAMED).flatMap((r) => (r.out ? [r.in, r.out] : [r.in]));
