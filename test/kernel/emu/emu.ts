// The emulated firmware under the kernel's own mlx5, bnxt and pds fwctl
// drivers in the test VM (run-vm.sh --emu; the C side is fwctl_emu_*.c here):
// where each device is, and the emulators' knobs. For the kernel suite.
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';

export type EmuKind = 'mlx5' | 'bnxt' | 'pds';
export const KINDS: readonly EmuKind[] = ['mlx5', 'bnxt', 'pds'];

/** The kernel module of each kind's fwctl driver (drivers/fwctl/<kind>/main.c, unmodified). */
export const DRIVER_MODULE: Readonly<Record<EmuKind, string>> = { mlx5: 'mlx5_fwctl', bnxt: 'bnxt_fwctl', pds: 'pds_fwctl' };
/** The fwctl device type of each kind. */
export const TYPE_ID: Readonly<Record<EmuKind, number>> = { mlx5: 1, bnxt: 3, pds: 4 };

/** The PCI function the emulator of `kind` is bound to (run-vm.sh passes FWCTL_EMU_PCI_<KIND>). */
export function pciOf(kind: EmuKind): string {
  const v = process.env[`FWCTL_EMU_PCI_${kind.toUpperCase()}`];
  if (!v) throw new Error(`FWCTL_EMU_PCI_${kind.toUpperCase()} is not set: the VM was booted without run-vm.sh --emu`);
  return v;
}

/** The fwctl device the kernel's `kind` driver registered over the emulator. */
export function device(kind: EmuKind): fwctl.FwctlDeviceEntry {
  const pci = pciOf(kind);
  const e = fwctl.findSync({ pci });
  if (!e) throw new Error(`no fwctl device under PCI ${pci} (${kind}): did ${DRIVER_MODULE[kind]} bind?`);
  return e;
}

/** The emulated functions of each kind in the VM (mlx5: two, FWCTL_EMU_PCI_MLX5 and FWCTL_EMU_PCI_MLX5_2). */
export const FUNCTIONS: Readonly<Record<EmuKind, number>> = { mlx5: 2, bnxt: 1, pds: 1 };
/** Every fwctl device the emulators give the VM. */
export const DEVICES = KINDS.reduce((n, k) => n + FUNCTIONS[k], 0);

/** Every PCI function the emulator of `kind` is bound to (mlx5: both functions). */
export function pcisOf(kind: EmuKind): string[] {
  return kind === 'mlx5' ? [mlx5Pci(0), mlx5Pci(1)] : [pciOf(kind)];
}

/** The PCI function of mlx5 function `instance` (0: FWCTL_EMU_PCI_MLX5, 1: FWCTL_EMU_PCI_MLX5_2). */
export function mlx5Pci(instance: 0 | 1 = 0): string {
  if (instance === 0) return pciOf('mlx5');
  const v = process.env[MLX5.PCI2_ENV];
  if (!v) throw new Error(`${MLX5.PCI2_ENV} is not set: the VM was booted without run-vm.sh --emu`);
  return v;
}

/** The fwctl device over mlx5 function `instance`. */
export function mlx5Device(instance: 0 | 1 = 0): fwctl.FwctlDeviceEntry {
  const pci = mlx5Pci(instance);
  const e = fwctl.findSync({ pci });
  if (!e) throw new Error(`no fwctl device under PCI ${pci} (mlx5 function ${instance}): did mlx5_fwctl bind?`);
  return e;
}

const paramPath = (kind: EmuKind, name: string) => `/sys/module/fwctl_emu_${kind}/parameters/${name}`;

export function param(kind: EmuKind, name: string): string {
  return fs.readFileSync(paramPath(kind, name), 'utf8').trim();
}

export function setParam(kind: EmuKind, name: 'latency_ms' | 'fault_errno' | 'fault_count' | 'uctx_cap' | 'ulp_stopped', value: number): void {
  fs.writeFileSync(paramPath(kind, name), `${value}\n`);
}

/** Firmware commands the emulator has executed so far. */
export function commands(kind: EmuKind): number {
  return Number(param(kind, 'commands'));
}

/**
 * Count the commands whose signature is `signature` while fn runs (pds: an
 * RPC payload's first 8 bytes, little-endian; bnxt: the req_type): the
 * firmware's own count of what reached it. Returns fn's result and the count.
 */
export async function watching<T>(kind: 'pds' | 'bnxt', signature: bigint, fn: () => Promise<T> | T): Promise<{ value: T; hits: number }> {
  fs.writeFileSync(paramPath(kind, 'watch_hits'), '0\n');
  fs.writeFileSync(paramPath(kind, 'watch'), `${signature}\n`);
  try {
    const value = await fn();
    return { value, hits: Number(param(kind, 'watch_hits')) };
  } finally {
    fs.writeFileSync(paramPath(kind, 'watch'), '0\n');
  }
}

/** Run fn with a knob set, then put the default back (latency 0, no fault, fault_count -1). */
export async function withKnobs<T>(kind: EmuKind, knobs: { latency_ms?: number; fault_errno?: number; fault_count?: number }, fn: () => Promise<T> | T): Promise<T> {
  for (const [k, v] of Object.entries(knobs)) setParam(kind, k as 'latency_ms', v as number);
  try {
    return await fn();
  } finally {
    setParam(kind, 'fault_errno', 0);
    setParam(kind, 'fault_count', -1);
    setParam(kind, 'latency_ms', 0);
  }
}

// NV configuration knobs (emu_common.h, EMU_NV): each emulator that keeps NV
// configuration implements them the same way (mlx5: MNVDA and MNVIA writes;
// bnxt: NVM_SET_VARIABLE).
export type NvEmuKind = 'bnxt' | 'mlx5';

/** The emulator's NV configuration back to its fixture; nv_writes and nv_refuse to 0. */
export function nvReset(kind: NvEmuKind): void {
  fs.writeFileSync(paramPath(kind, 'nv_reset'), '1\n');
}

/** NV writes that reached the firmware since the last nvReset (refused ones included). */
export function nvWrites(kind: NvEmuKind): number {
  return Number(param(kind, 'nv_writes'));
}

/** The firmware refuses the next `n` NV writes (mlx5: status MLX5.NV_REFUSED; bnxt: HWRM error BNXT.NV_REFUSED). */
export function nvRefuse(kind: NvEmuKind, n: number): void {
  fs.writeFileSync(paramPath(kind, 'nv_refuse'), `${n}\n`);
}

// Firmware update knobs of fwctl_emu_mlx5 (its header comment): shared by
// both functions; the FSM state is per function.
export type FlashKnob = 'flash_error' | 'flash_error_at' | 'flash_slow_us' | 'flash_nowork' | 'flash_no_mirc';

/** Every function's FSM to IDLE, its store dropped, the fixture versions; flash_blocks and the flash knobs to 0. */
export function flashReset(): void {
  fs.writeFileSync(paramPath('mlx5', 'flash_reset'), '1\n');
}

/** The MCC control_state of mlx5 function `instance` (mlxfw.h enum mlxfw_fsm_state; MLX5.FSM). */
export function flashState(instance: 0 | 1 = 0): number {
  return Number(param('mlx5', instance === 0 ? 'flash_state' : 'flash_state2'));
}

/** MCDA writes the firmware accepted since flashReset (both functions). */
export function flashBlocks(): number {
  return Number(param('mlx5', 'flash_blocks'));
}

/** Set a firmware update knob (flashReset puts them all back to 0). */
export function setFlashKnob(name: FlashKnob, value: number): void {
  fs.writeFileSync(paramPath('mlx5', name), `${value}\n`);
}

// The emulated firmware's fixed content (fwctl_emu_*.c's header comments).
export const MLX5 = Object.freeze({
  UCTX_CAP: 0x7,
  PSID: 'MT_0000000EMU',
  VSD: 'fwctl emulated ConnectX',
  /** EMU_SYNDROME(opcode, status) */
  syndrome: (opcode: number, status: number) => (0x454d0000 | (status << 8) | (opcode & 0xff)) >>> 0,
  REG_MTMP: 0x900a,
  REG_PMTU: 0x5003,
  /** EMU_NV_REFUSED: the status of an NV write refused by nv_refuse (MLX5_CMD_STAT_BAD_SYS_STATE_ERR). */
  NV_REFUSED: 0x4,
  /** The environment variable with the second mlx5 function's PCI address (run-vm.sh: 0000:00:13.0). */
  PCI2_ENV: 'FWCTL_EMU_PCI_MLX5_2',
  /** Firmware versions after load and after flash_reset (MCQI VERSION; MCQS ACTIVE_PENDING_RESET). */
  FW_RUNNING: '28.39.1002',
  FW_PENDING: '28.40.1000',
  FW_RUNNING_RAW: ((28 << 24) | (39 << 16) | 1002) >>> 0,
  FW_PENDING_RAW: ((28 << 24) | (40 << 16) | 1000) >>> 0,
  /** MCQI CAPABILITIES: max_component_size (EMU_FW_MAX), mcda_max_write_size (EMU_MCDA_MAX), component_size. */
  FW_MAX: 2 * 1024 * 1024,
  MCDA_MAX: 128,
  FW_RUNNING_SIZE: 1024 * 1024,
  /** The component the firmware accepts: the "EMU component" (test/kernel/emu/mlx5-flash.ts builds one). */
  IMAGE_MAGIC: 'FWCTLEMU',
  /** mlxfw.h enum mlxfw_fsm_state */
  FSM: Object.freeze({ IDLE: 0, LOCKED: 1, INITIALIZE: 2, DOWNLOAD: 3, VERIFY: 4, APPLY: 5, ACTIVATE: 6 }),
  /** mlxfw.h enum mlxfw_fsm_state_err (the ones this firmware sets) */
  FSM_ERR: Object.freeze({ OK: 0, ERROR: 1, REJECTED_DIGEST_ERR: 2, REJECTED_NOT_APPLICABLE: 3, REJECTED_BAD_FORMAT: 8, BLOCKED_PENDING_RESET: 9 }),
  /** flash_error_at for the next MCDA write (the register id's low byte) */
  ERROR_AT_MCDA: 0x63,
  /** mlxfw.h enum mlxfw_fsm_reactivate_status (MIRC status_code) */
  MIRC: Object.freeze({ OK: 0, BUSY: 1, FW_ALREADY_ACTIVATED: 7 }),
});
export const BNXT = Object.freeze({
  NVM_ITEMS: 4,
  NVM_ENTRY_LEN: 24,
  NVM_ITEM_LEN: 4096,
  SEGMENTS: 3,
  SEG_LEN: 10000,
  nvmByte: (item: number, i: number) => (item * 31 + i * 7) & 0xff,
  /** FUNC_QCAPS fid (the second PF: per-function NVM options at index_0 1). */
  FID: 2,
  /** emu_nv_vars[] fixture values by option (option 300, 8 bits, is not named by the kernel). */
  NV_FIXTURE: Object.freeze({ 401: 1, 164: 0, 108: 64, 114: 4, 161: 1, 171: 0, 506: 0, 300: 0x5a } as Record<number, number>),
  /** Options from here on do not exist (cmd_err VAR_NOT_EXIST). */
  NV_NO_OPTION: 1024,
  /** The HWRM error of an NVM_SET_VARIABLE refused by nv_refuse (HWRM_ERR_CODE_RESOURCE_ACCESS_DENIED). */
  NV_REFUSED: 0x3,
  segByte: (seg: number, i: number) => ((seg - 1) * 17 + i) & 0xff,
});
