// Firmware update by hand against fwctl_emu_mlx5 (its header comment): the
// image it accepts (the "EMU component" of the issue 25 contract, the format
// scripts/make-mlx5-fw-image.js writes) and the registers mlxfw drives
// (MCC, MCDA, MIRC, MCQI), through the library's raw register access. For the
// kernel suite's tests of the emulator itself; the library never parses the
// image.
import * as fwctl from '../../../lib';
import type { DeviceLike } from '../../../lib/device-like';
import { MLX5 } from './emu';
import { makeImageRaw } from './mlx5-images';

const { mlx5 } = fwctl;

/** fw.c's enum mlxsw_reg_mcc_instruction */
export const MCC = Object.freeze({ LOCK: 1, RELEASE: 2, UPDATE_COMPONENT: 3, VERIFY: 4, ACTIVATE: 6, CANCEL: 8 });

/** major << 24 | minor << 16 | subminor */
export const version = (major: number, minor: number, sub: number) => ((major << 24) | (minor << 16) | sub) >>> 0;

/** An EMU component (the repo's writer, scripts/lib/mlx5-fw-image.js): 68 + payloadLen bytes, the CRC-32 last. */
export function emuImage(o: { version?: number; payloadLen?: number; psid?: string } = {}): Buffer {
  return makeImageRaw({ psid: o.psid ?? MLX5.PSID, version: o.version ?? version(28, 41, 1000), payloadLen: o.payloadLen ?? 1000 });
}

export interface MccState { handle: number; state: number; error: number; progress: number; elapsed: number; ownerType: number; size: number }

/** MCC query (ACCESS_REG read): what mlx5_reg_mcc_query reads, and the rest of the register. */
export async function mccQuery(d: DeviceLike, handle = 0): Promise<MccState> {
  const r = (await mlx5.readRegister(d, 'MCC', { update_handle: handle })).data!;
  return {
    handle: r.update_handle as number, state: r.control_state as number, error: r.error_code as number,
    progress: r.control_progress as number, elapsed: r.time_elapsed_since_last_cmd as number,
    ownerType: r.handle_owner_type as number, size: r.component_size as number,
  };
}

/** An MCC instruction (ACCESS_REG write, as mlx5_reg_mcc_set): the mailbox status (0: OK). */
export async function mcc(d: DeviceLike, instruction: number, handle: number, componentSize = 0, componentIndex = 0): Promise<number> {
  const r = await mlx5.writeRegister(d, 'MCC', { instruction, update_handle: handle, component_size: componentSize, component_index: componentIndex }, { allowStatus: true });
  return r.result.status;
}

/** One MCDA write, the data packed as fw.c's mlx5_reg_mcda_set packs it (htonl of each host-order dword). */
export async function mcda(d: DeviceLike, handle: number, offset: number, chunk: Uint8Array): Promise<number> {
  const padded = Buffer.alloc(Math.ceil(chunk.length / 4) * 4);
  padded.set(chunk);
  for (let i = 0; i < padded.length; i += 4) padded.writeUInt32BE(padded.readUInt32LE(i), i);
  const hdr = mlx5.ifc.encode('mcda_reg', { update_handle: handle, offset, size: chunk.length });
  const r = await mlx5.writeRegister(d, 'MCDA', {}, { data: Buffer.concat([hdr, padded]), allowStatus: true });
  return r.result.status;
}

/** The image in MCDA_MAX-byte writes; the first non-zero status, or 0. */
export async function download(d: DeviceLike, handle: number, image: Uint8Array): Promise<number> {
  for (let off = 0; off < image.length; off += MLX5.MCDA_MAX) {
    const st = await mcda(d, handle, off, image.subarray(off, off + MLX5.MCDA_MAX));
    if (st) return st;
  }
  return 0;
}

/** MIRC: start a reactivation. */
export async function mircStart(d: DeviceLike): Promise<void> {
  await mlx5.writeRegister(d, 'MIRC', {});
}

/** MIRC: the reactivation's status_code (mlxfw.h enum mlxfw_fsm_reactivate_status). */
export async function mircStatus(d: DeviceLike): Promise<number> {
  return (await mlx5.readRegister(d, 'MIRC')).data!.status_code as number;
}

/** MCQI VERSION of component 0: the running or the pending version (raw and string). */
export async function mcqiVersion(d: DeviceLike, pending = false): Promise<{ version: number; string: string }> {
  const size = mlx5.ifc.sizeOf('mcqi_version');
  const r = await mlx5.readRegister(d, 'MCQI', { info_type: 1, read_pending_component: pending ? 1 : 0, data_size: size },
    { responseLength: 16 + mlx5.ifc.sizeOf('mcqi_reg') + mlx5.ifc.sizeOf('mcqi_reg_data') });
  const v = mlx5.ifc.decode('mcqi_version', r.raw.subarray(mlx5.ifc.sizeOf('mcqi_reg')));
  const off = mlx5.ifc.sizeOf('mcqi_reg') + 0x100 / 8; // version_string
  return { version: v.version as number, string: r.raw.subarray(off, off + (v.version_string_length as number)).toString('latin1') };
}

/** MCQS component 0's component_update_state (4: ACTIVE_PENDING_RESET). */
export async function updateState(d: DeviceLike): Promise<number> {
  return (await mlx5.readRegister(d, 'MCQS', { component_index: 0 })).data!.component_update_state as number;
}
