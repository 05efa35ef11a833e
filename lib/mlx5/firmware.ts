// mlx5 firmware update over fwctl at the least scope: the MCQS/MCQI/MCC/MCDA
// flow of drivers/net/ethernet/mellanox/mlxfw/mlxfw_fsm.c, with the register
// accesses of mlx5/core/fw.c, sent through mlx5_fwctl: every write (MCC set,
// MCDA, MIRC trigger) is an ACCESS_REG write, which the driver passes at
// Configuration (no taint, no CAP_SYS_RAWIO); every read (MCQS, MCQI, MCC
// query, MCAM, MIRC status) is an ACCESS_REG read at DebugReadOnly.
//
// Abort safety: no RPC of the flow carries the AbortSignal. An abandoned
// ioctl still reaches the firmware, possibly after the cancel that cleans up
// (a LOCK landing after the RELEASE would leave the device locked), so the
// signal is checked between commands and while waiting, and every way out
// (abort, timeout, exception, process exit) cancels the component in
// progress and releases the handle, in order.
//
// The image: an MFA2 archive (lib/mlx5/mfa2.ts; the components its device
// descriptor lists for the PSID, in order) or one plain component with an
// explicit PSID. The library never reads inside a component: the firmware
// verifies it (a corrupted image is the firmware's REJECTED_DIGEST_ERR).

import type { DeviceLike } from '../device-like';
import type { Device, PreparedRpc } from '../device';
import { allocBuffer } from '../device';
import { errnoNumber, FwctlAbortError, FwctlError, FwctlTypeError } from '../errors';
import { type FirmwareComponent, type FirmwareUpdateHooks, type FlashComponentResult, type FlashOptions, type FlashPhase, type FlashProgress, type FlashResult, type FlashImageSummary } from '../firmware';
import { MLX5_UCTX_CAP_TOOLS_RESOURCES } from '../uapi/constants';
import { HOST_LE } from '../uapi/layout';
import { decodeOutHeader, HEADER_LENGTH, Mlx5FirmwareError, queryAdapter, runPlan, runPlanSync, type Plan } from './core';
import { fwVersionText, mcqiVersionSteps, steps } from './facts';
import { decode, encode, layout, sizeOf } from './ifc';
import { isMfa2, parseMfa2 } from './mfa2';
import { regPlan, type Mlx5RegisterResult } from './typed';
import {
  MLXFW_FSM_STATE, MLXFW_FSM_STATE_ERR, MLXFW_FSM_STATE_WAIT_CYCLE_MS, MLXFW_FSM_STATE_WAIT_TIMEOUT_MS,
  MLXFW_REACTIVATE_STATUS, MLX5_REG_MCC_INSTRUCTION, MLXFW_FSM_REACTIVATE_ERRNO, type MlxfwReactivateStatus,
  MCQS_IDENTIFIER, MCQS_UPDATE_STATE, MCQI_INFO_TYPE, MLX5_MCAM_REGS,
} from './generated/mlxfw';

const nameOf = (table: Readonly<Record<string, number>>, v: number) => Object.keys(table).find((k) => table[k] === v);
const identifierName = (id: number) => nameOf(MCQS_IDENTIFIER, id) ?? `0x${id.toString(16)}`;
const updateStateName = (st: number) => nameOf(MCQS_UPDATE_STATE, st) ?? String(st);
/** mcc_reg handle_owner_type (the PRM's values; mlx5_ifc.h has the field, no enum). */
const HANDLE_OWNER = ['unspecified', 'chassis BMC', 'MAD', 'BMC', 'command interface', 'ICMD'];

const STATE_NAME = (s: number) => Object.entries(MLXFW_FSM_STATE).find(([, v]) => v === s)?.[0] ?? `state ${s}`;

/** A refusal or failure of an mlx5 firmware update. */
export class Mlx5FlashError extends FwctlError {
  /** The FSM error code the firmware reported (MCC error_code), when this is one. */
  readonly fsmError?: number;
  readonly fsmErrorName?: string;
  /** The FSM state at the failure ('DOWNLOAD'). */
  readonly fsmState?: string;
  constructor(o: { code: string; path: string; detail: string; errno?: number; fsmError?: number; fsmErrorName?: string; fsmState?: string; cause?: unknown }) {
    super({ code: o.code, path: o.path, detail: o.detail, errno: o.errno, cause: o.cause });
    this.name = 'Mlx5FlashError';
    if (o.fsmError !== undefined) this.fsmError = o.fsmError;
    if (o.fsmErrorName !== undefined) this.fsmErrorName = o.fsmErrorName;
    if (o.fsmState !== undefined) this.fsmState = o.fsmState;
  }
}

const refuse = (dev: DeviceLike, code: string, detail: string) => new Mlx5FlashError({ code, path: dev.path, detail: `${dev.path}: ${detail}` });

// ---- register accesses (fw.c's, through fwctl) ----

async function read(dev: DeviceLike, reg: string, fields: Record<string, number>, responseLength?: number): Promise<Mlx5RegisterResult> {
  return runPlan(dev, regPlan(reg, fields, responseLength === undefined ? {} : { responseLength }, false));
}

async function write(dev: DeviceLike, reg: string, fields: Record<string, number>): Promise<Mlx5RegisterResult> {
  return runPlan(dev, regPlan(reg, fields, {}, true));
}

interface McqsEntry { index: number; identifier: number; status: number; updateState: number; last: boolean }

async function mcqs(dev: DeviceLike, index: number): Promise<McqsEntry> {
  const d = (await read(dev, 'MCQS', { component_index: index })).data ?? {};
  return { index, identifier: d.identifier as number, status: d.component_status as number, updateState: d.component_update_state as number, last: d.last_index_flag === 1 };
}

async function mcqsAll(dev: DeviceLike): Promise<McqsEntry[]> {
  const out: McqsEntry[] = [];
  for (let i = 0; i <= 0xffff; i++) {
    const e = await mcqs(dev, i);
    out.push(e);
    if (e.last) break;
  }
  return out;
}

async function mcqi(dev: DeviceLike, index: number, infoType: number, size: number, pending = false): Promise<Buffer> {
  const r = await read(dev, 'MCQI', { component_index: index, read_pending_component: pending ? 1 : 0, info_type: infoType, data_size: size },
    HEADER_LENGTH + sizeOf('mcqi_reg') + sizeOf('mcqi_reg_data'));
  return r.raw.subarray(sizeOf('mcqi_reg'), sizeOf('mcqi_reg') + size);
}

interface Caps { maxSize: number; logWordSize: number; maxWriteSize: number }

async function mcqiCaps(dev: DeviceLike, index: number): Promise<Caps> {
  const c = decode('mcqi_cap', await mcqi(dev, index, MCQI_INFO_TYPE.CAPABILITIES, sizeOf('mcqi_cap')));
  return { maxSize: c.max_component_size as number, logWordSize: c.log_mcda_word_size as number, maxWriteSize: c.mcda_max_write_size as number };
}

/** The version word of a component (facts.ts's MCQI VERSION read); undefined for a component without versions (tokens, NV configuration). */
function mcqiVersion(dev: DeviceLike, index: number, pending: boolean): Promise<number | undefined> {
  return steps(dev, mcqiVersionSteps(index, pending)).then((v) => v.raw, () => undefined);
}

interface MccState { handle: number; state: number; error: number; progress: number; idleSeconds: number; ownerType: number }

async function mccQuery(dev: DeviceLike, handle: number): Promise<MccState> {
  const d = (await read(dev, 'MCC', { update_handle: handle })).data ?? {};
  return {
    handle: d.update_handle as number, state: d.control_state as number, error: d.error_code as number,
    progress: d.control_progress as number, idleSeconds: d.time_elapsed_since_last_cmd as number, ownerType: d.handle_owner_type as number,
  };
}

function mccSetPlan(instruction: number, handle: number, componentIndex = 0, componentSize = 0): Plan<Mlx5RegisterResult> {
  return regPlan('MCC', { instruction, component_index: componentIndex, update_handle: handle, component_size: componentSize }, {}, true);
}

async function mccSet(dev: DeviceLike, instruction: number, handle: number, componentIndex = 0, componentSize = 0): Promise<void> {
  await runPlan(dev, mccSetPlan(instruction, handle, componentIndex, componentSize));
}

interface Mcam { mcqi: boolean; mcqs: boolean; mcc: boolean; mcda: boolean; mirc: boolean }

async function mcam(dev: DeviceLike): Promise<Mcam> {
  const regs = (g: number, key: string) => read(dev, 'MCAM', { access_reg_group: g })
    .then((r) => (((r.data?.mng_access_reg_cap_mask as Record<string, unknown> | undefined)?.[key] ?? {}) as Record<string, unknown>), () => ({} as Record<string, unknown>));
  const g0 = await regs(0, 'access_regs');
  const g2 = await regs(MLX5_MCAM_REGS['0x9100_0x917F'], 'access_regs2');
  return { mcqi: g0.mcqi === 1, mcqs: g0.mcqs === 1, mcc: g0.mcc === 1, mcda: g0.mcda === 1, mirc: g2.mirc === 1 };
}

// ---- the listing ----

/** Each firmware component (MCQS), with its versions and update limits (MCQI). */
export async function components(dev: DeviceLike, options: { signal?: AbortSignal } = {}): Promise<FirmwareComponent[]> {
  const out: FirmwareComponent[] = [];
  for (const e of await mcqsAll(dev)) {
    if (options.signal?.aborted) throw new FwctlAbortError(options.signal.reason, dev.path);
    const c: FirmwareComponent = { index: e.index, name: identifierName(e.identifier), updateState: updateStateName(e.updateState) };
    const running = await mcqiVersion(dev, e.index, false);
    if (running !== undefined) c.running = fwVersionText(running);
    if (e.updateState === MCQS_UPDATE_STATE.ACTIVE_PENDING_RESET) {
      const pending = await mcqiVersion(dev, e.index, true);
      if (pending !== undefined) c.pending = fwVersionText(pending);
    }
    try {
      const caps = await mcqiCaps(dev, e.index);
      c.maxSize = caps.maxSize;
      c.maxWriteSize = caps.maxWriteSize;
    } catch { /* a component that reports no capabilities */ }
    out.push(c);
  }
  return out;
}

// ---- the image ----

interface ImageComponent { index: number; size: number; version?: number; data(): Promise<Buffer> | Buffer }
interface LoadedImage { format: 'mfa2' | 'plain'; psid: string; components: ImageComponent[] }

function loadImage(dev: DeviceLike, image: Buffer, devicePsid: string, boot: McqsEntry | undefined, o: FlashOptions): LoadedImage {
  if (isMfa2(image)) {
    const a = parseMfa2(image);
    let psid = devicePsid;
    if (!a.psids.includes(devicePsid)) {
      if (!o.allowPsidChange) {
        throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH', `the MFA2 archive has no image for this device's PSID ${devicePsid} (it has ${a.psids.join(', ') || 'none'}); nothing was written`);
      }
      if (a.psids.length !== 1) throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH', `--allow-psid-change needs an archive of one PSID; this one has ${a.psids.join(', ')}`);
      psid = a.psids[0];
    }
    // The MCC/MCQI component index is the descriptor's identifier (mlxfw_mfa2.c: comp.index = identifier).
    const comps = a.components(psid).map((c) => ({ index: c.identifier, size: c.size, version: c.version?.raw, data: () => c.data() }));
    if (comps.length === 0) throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_IMAGE', `the MFA2 archive lists no component for PSID ${psid}`);
    return { format: 'mfa2', psid, components: comps };
  }
  if (o.psid === undefined) {
    throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_IMAGE', 'not an MFA2 archive: a plain component image carries no PSID the library can read, so it is written only with an explicit psid (--psid PSID) that matches the device\'s');
  }
  if (o.psid !== devicePsid && !o.allowPsidChange) {
    throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_PSID_MISMATCH', `psid ${o.psid} is not this device's PSID ${devicePsid}; nothing was written (--allow-psid-change overrides)`);
  }
  if (!boot) throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_UNSUPPORTED', 'MCQS lists no boot image component to write a plain image to');
  return { format: 'plain', psid: o.psid, components: [{ index: boot.index, size: image.length, data: () => image }] };
}

// ---- the flow ----

interface Timing { pollMs: number; stateTimeoutMs: number; reactivatePollMs: number; reactivateTimeoutMs: number }

function timingOf(o: FlashOptions): Timing {
  const t = o.timing ?? {};
  const pick = (v: number | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v <= 0) throw new FwctlTypeError(`options.timing.${name} must be a positive integer`, 'ERR_FWCTL_INVALID_ARG_VALUE');
    return v;
  };
  return {
    pollMs: pick(t.pollMs, MLXFW_FSM_STATE_WAIT_CYCLE_MS, 'pollMs'),
    stateTimeoutMs: pick(t.stateTimeoutMs, MLXFW_FSM_STATE_WAIT_TIMEOUT_MS, 'stateTimeoutMs'),
    reactivatePollMs: pick(t.reactivatePollMs, 20, 'reactivatePollMs'),
    reactivateTimeoutMs: pick(t.reactivateTimeoutMs, 5000, 'reactivateTimeoutMs'),
  };
}

/** A sleep that ends early when the signal aborts (the caller checks it). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function fsmError(dev: DeviceLike, err: number, state: number): Mlx5FlashError {
  // As mlxfw_fsm_state_err(): codes past the enum are its MAX (unknown error, EINVAL).
  const max = MLXFW_FSM_STATE_ERR[MLXFW_FSM_STATE_ERR.length - 1];
  const e = MLXFW_FSM_STATE_ERR.find((x) => x.value === Math.min(err, max.value)) ?? max;
  const name = e === max ? `error 0x${err.toString(16)}` : e.name;
  const errnoName = e.errnoName ?? 'EINVAL';
  return new Mlx5FlashError({
    code: 'ERR_FWCTL_MLX5_FSM', path: dev.path, errno: errnoNumber(errnoName),
    detail: `${dev.path}: firmware update failed: ${e.message} (FSM error ${name} in state ${STATE_NAME(state)}, ${errnoName})`,
    fsmError: err, fsmErrorName: name, fsmState: STATE_NAME(state),
  });
}

class Flow {
  handle = 0;
  locked = false;
  inComponent = false;
  constructor(readonly dev: DeviceLike, readonly t: Timing, readonly signal: AbortSignal | undefined, readonly progress: (p: Omit<FlashProgress, 'device'>) => void) {}

  check(): void {
    if (this.signal?.aborted) throw new FwctlAbortError(this.signal.reason, this.dev.path);
  }

  /** mlxfw_fsm_state_wait: poll until `want`; an FSM error or the timeout fails it. */
  async waitState(want: number): Promise<void> {
    const end = Date.now() + this.t.stateTimeoutMs;
    for (;;) {
      const s = await mccQuery(this.dev, this.handle);
      if (s.error !== 0) throw fsmError(this.dev, s.error, s.state);
      if (s.state === want) return this.check();
      if (Date.now() >= end) {
        throw new Mlx5FlashError({ code: 'ERR_FWCTL_MLX5_FSM_TIMEOUT', path: this.dev.path, errno: 110,
          detail: `${this.dev.path}: the firmware's update state machine stayed in ${STATE_NAME(s.state)} for ${this.t.stateTimeoutMs} ms (waiting for ${STATE_NAME(want)})`, fsmState: STATE_NAME(s.state) });
      }
      this.check();
      await sleep(this.t.pollMs, this.signal);
      this.check();
    }
  }

  async lock(): Promise<void> {
    const s = await mccQuery(this.dev, 0);
    if (s.state !== MLXFW_FSM_STATE.IDLE) throw lockedError(this.dev, s);
    this.handle = s.handle;
    this.progress({ phase: 'lock' });
    this.locked = true; // from here, every way out releases
    await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.LOCK_UPDATE_HANDLE, this.handle);
    await this.waitState(MLXFW_FSM_STATE.LOCKED);
  }

  /** mlx5_fsm_reactivate: MIRC, polled while BUSY. */
  async reactivate(): Promise<void> {
    this.check();
    this.progress({ phase: 'reactivate' });
    await write(this.dev, 'MIRC', {});
    const end = Date.now() + this.t.reactivateTimeoutMs;
    let status: number;
    for (;;) {
      status = ((await read(this.dev, 'MIRC', {})).data?.status_code as number) ?? 0;
      if (status !== MLXFW_REACTIVATE_STATUS.BUSY.value || Date.now() >= end) break;
      this.check();
      await sleep(this.t.reactivatePollMs, this.signal);
      this.check();
    }
    const e = Object.values(MLXFW_REACTIVATE_STATUS).find((x) => x.value === status) as MlxfwReactivateStatus | undefined;
    if (e?.ok) return; // OK, FW_ALREADY_ACTIVATED: mlxfw_fsm_reactivate's successes
    throw new Mlx5FlashError({ code: 'ERR_FWCTL_MLX5_REACTIVATE', path: this.dev.path, errno: errnoNumber(MLXFW_FSM_REACTIVATE_ERRNO),
      detail: `${this.dev.path}: reactivating the firmware (MIRC) failed: ${e?.message ?? 'unexpected error'} (status ${status})` });
  }

  /** mlxfw_flash_component: update, download in blocks, verify. */
  async component(c: ImageComponent, caps: Caps, done: number, total: number): Promise<void> {
    const data = await c.data();
    this.check();
    this.progress({ phase: 'update', component: c.index, bytes: 0, total: data.length });
    this.inComponent = true;
    await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.UPDATE_COMPONENT, this.handle, c.index, data.length);
    await this.waitState(MLXFW_FSM_STATE.DOWNLOAD);
    const align = caps.logWordSize;
    const block = caps.maxWriteSize & ~((1 << align) - 1);
    if (block <= 0) throw refuse(this.dev, 'ERR_FWCTL_MLX5_FLASH_UNSUPPORTED', `MCQI reports mcda_max_write_size ${caps.maxWriteSize} below the word size 2^${align}`);
    await download(this, c.index, data, block, done, total);
    this.progress({ phase: 'verify', component: c.index });
    await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.VERIFY_COMPONENT, this.handle, c.index);
    await this.waitState(MLXFW_FSM_STATE.LOCKED);
    this.inComponent = false;
  }

  async activate(): Promise<void> {
    this.progress({ phase: 'activate' });
    await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.ACTIVATE, this.handle);
    await this.waitState(MLXFW_FSM_STATE.LOCKED);
  }

  /** CANCEL (inside a component), then RELEASE: best effort, each error kept, never the signal. */
  async cleanup(): Promise<void> {
    if (this.inComponent) {
      this.progress({ phase: 'cancel' });
      await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.CANCEL, this.handle).catch(() => undefined);
      this.inComponent = false;
    }
    if (this.locked) {
      this.progress({ phase: 'release' });
      await mccSet(this.dev, MLX5_REG_MCC_INSTRUCTION.RELEASE_UPDATE_HANDLE, this.handle).catch(() => undefined);
      this.locked = false;
    }
  }

  /** The same, synchronously: at process exit, when nothing async runs any more. */
  cleanupSync(): void {
    const run = (instr: number) => {
      try {
        runPlanSync(this.dev, mccSetPlan(instr, this.handle));
      } catch { /* the process is exiting: nothing else to do */ }
    };
    if (this.inComponent) run(MLX5_REG_MCC_INSTRUCTION.CANCEL);
    if (this.locked) run(MLX5_REG_MCC_INSTRUCTION.RELEASE_UPDATE_HANDLE);
    this.inComponent = false;
    this.locked = false;
  }
}

function lockedError(dev: DeviceLike, s: MccState): Mlx5FlashError {
  return new Mlx5FlashError({
    code: 'ERR_FWCTL_MLX5_FLASH_LOCKED', path: dev.path, errno: 16, fsmState: STATE_NAME(s.state),
    detail: `${dev.path}: the firmware's update handle is held (state ${STATE_NAME(s.state)}, owner ${HANDLE_OWNER[s.ownerType] ?? s.ownerType}, ` +
      `no command for ${s.idleSeconds} s) and no process of this library holds the adapter's lock: another tool, or an update that was killed. ` +
      'Nothing was written; --recover (options.recover) cancels and releases it',
  });
}

/** Updates this process runs now: alone, the download calls on this thread; with others, on the addon's pool (their firmware waits overlap). */
let running = 0;
/** The JS thread's longest stretch of sync block writes before it yields (abort signals, progress, timers run then). */
const YIELD_MS = 10;

/** MCDA blocks of `block` bytes: each dword packed as fw.c's mlx5_reg_mcda_set does (htonl of the host u32). */
async function download(flow: Flow, index: number, data: Buffer, block: number, done: number, total: number): Promise<void> {
  const dev = flow.dev;
  const regData = Buffer.alloc(sizeOf('mcda_reg') + block);
  encode('mcda_reg', { update_handle: flow.handle, offset: 0, size: block }, regData);
  const plan = regPlan('MCDA', {}, { data: regData }, true);
  const at = (f: string) => HEADER_LENGTH + layout('mcda_reg').member.get(f)!.offset / 8;
  const OFFSET = at('offset'), SIZE = at('size'), DATA = HEADER_LENGTH + sizeOf('mcda_reg');
  const responseLength = plan.options.responseLength ?? HEADER_LENGTH + regData.length;
  // A Device: the prepared path (allocBuffer memory bound once, no allocation per block); any other DeviceLike: rpc().
  const d = dev as Partial<Pick<Device, 'prepareRpc'>>;
  let req: Buffer, resp: Buffer, callSync: () => void, call: () => Promise<void>;
  if (typeof d.prepareRpc === 'function') {
    req = allocBuffer(plan.request.length);
    plan.request.copy(req);
    resp = allocBuffer(responseLength);
    const prepared: PreparedRpc<Buffer> = d.prepareRpc(req, { ...plan.options, responseBuffer: resp });
    callSync = () => { prepared.callSync(); };
    call = async () => { await prepared.call(); };
  } else {
    req = Buffer.from(plan.request);
    resp = Buffer.alloc(responseLength);
    callSync = () => { dev.rpcSync(req, plan.options).response.copy(resp); };
    call = async () => { (await dev.rpc(req, plan.options)).response.copy(resp); };
  }
  const STATUS = 0; // mbox_out_hdr.status (u8 @0)
  let lastPercent = -1;
  let yieldAt = Date.now() + YIELD_MS;
  for (let offset = 0; offset < data.length; offset += block) {
    flow.check();
    const size = Math.min(block, data.length - offset);
    req.writeUInt32BE(offset, OFFSET);
    req.writeUInt16BE(size, SIZE);
    data.copy(req, DATA, offset, offset + size);
    if (size < block) req.fill(0, DATA + size, DATA + block);
    if (HOST_LE) req.subarray(DATA, DATA + ((size + 3) & ~3)).swap32();
    if (running === 1) {
      callSync();
      if (Date.now() >= yieldAt) {
        await new Promise<void>((r) => setImmediate(r));
        yieldAt = Date.now() + YIELD_MS;
      }
    } else {
      await call();
    }
    if (resp[STATUS] !== 0) {
      const h = decodeOutHeader(resp);
      throw new Mlx5FirmwareError({ opcode: 0x805, ...h, ok: false, response: Buffer.from(resp), length: resp.length, truncated: false });
    }
    const percent = Math.floor(((done + offset + size) * 100) / total);
    if (percent !== lastPercent || offset + size === data.length) {
      lastPercent = percent;
      flow.progress({ phase: 'download', component: index, bytes: offset + size, total: data.length, percent });
    }
  }
}

type UpdateOptions = FlashOptions & { adapter: string; image: FlashImageSummary };

/** The whole update (the adapter lock is the caller's: lib/firmware.ts update()). */
export async function update(dev: DeviceLike, image: Buffer, o: UpdateOptions): Promise<FlashResult> {
  const t0 = Date.now();
  const t = timingOf(o);
  const signal = o.signal;
  const emit = (p: Omit<FlashProgress, 'device'>) => o.onProgress?.({ device: dev.path, ...p });
  const throwIfAborted = () => { if (signal?.aborted) throw new FwctlAbortError(signal.reason, dev.path); };
  throwIfAborted();
  emit({ phase: 'check' });

  // Every check reads: nothing is written until all pass.
  const info = await dev.info();
  const caps = (info.decoded as { uctxCaps?: number } | undefined)?.uctxCaps ?? 0;
  if (!(caps & MLX5_UCTX_CAP_TOOLS_RESOURCES)) {
    throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_NO_TOOLS_RESOURCES', `this fwctl context has no TOOLS_RESOURCES (uctx_caps 0x${caps.toString(16)}): the firmware refuses update registers to it (firmware too old for the tools uid); nothing was written`);
  }
  const regs = await mcam(dev);
  if (!regs.mcqi || !regs.mcc || !regs.mcda) {
    throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_UNSUPPORTED', `the running firmware does not report ${['mcqi', 'mcc', 'mcda'].filter((r) => !regs[r as keyof Mcam]).join(', ')} in MCAM: flashing is not supported (as fw.c's mlx5_firmware_flash)`);
  }
  const psid = (await queryAdapter(dev)).psid;
  const listing = await mcqsAll(dev);
  const img = loadImage(dev, image, psid, listing.find((e) => e.identifier === MCQS_IDENTIFIER.BOOT_IMG), o);
  const summary: FlashImageSummary = { ...o.image, format: img.format };
  const plan: { c: ImageComponent; caps: Caps; entry: McqsEntry; from?: number; pending?: number; skip?: string }[] = [];
  for (const c of img.components) {
    throwIfAborted();
    const entry = listing.find((e) => e.index === c.index);
    if (!entry) throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_IMAGE', `the image has component ${c.index}, which MCQS does not list`);
    const cc = await mcqiCaps(dev, c.index);
    if (c.size > cc.maxSize) throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_TOO_LARGE', `component ${c.index} is ${c.size} bytes, larger than the ${cc.maxSize} the firmware takes (MCQI max_component_size); nothing was written`);
    const from = await mcqiVersion(dev, c.index, false);
    const pending = entry.updateState === MCQS_UPDATE_STATE.ACTIVE_PENDING_RESET ? await mcqiVersion(dev, c.index, true) : undefined;
    let skip: string | undefined;
    if (c.version !== undefined && from !== undefined) {
      if (c.version === from) skip = `version ${fwVersionText(from)} is already running`;
      else if (c.version === pending) skip = `version ${fwVersionText(c.version)} is already written, pending a firmware reset`;
      else if (c.version < from && !o.allowDowngrade) {
        throw refuse(dev, 'ERR_FWCTL_MLX5_FLASH_DOWNGRADE', `the image's version ${fwVersionText(c.version)} is older than the running ${fwVersionText(from)}: nothing was written (--allow-downgrade writes it)`);
      }
    }
    plan.push({ c, caps: cc, entry, from, pending, skip });
  }
  const componentResult = (p: (typeof plan)[number], status: FlashComponentResult['status']): FlashComponentResult => ({
    index: p.c.index, name: identifierName(p.entry.identifier), bytes: p.c.size,
    ...(p.from !== undefined ? { from: fwVersionText(p.from) } : {}), ...(p.c.version !== undefined ? { to: fwVersionText(p.c.version) } : {}),
    status: p.skip ? 'skipped' : status, ...(p.skip ? { reason: p.skip } : {}),
  });
  const finish = async (status: FlashResult['status'], reason?: string): Promise<FlashResult> => {
    const now = await components(dev).catch(() => []);
    const boot = now.find((x) => x.name === 'BOOT_IMG') ?? now[0];
    return {
      device: dev.path, adapter: o.adapter, type: 'mlx5', status, ...(reason ? { reason } : {}), psid, image: summary,
      components: plan.map((p) => componentResult(p, status === 'dry-run' ? 'would-write' : 'written')),
      ...(boot?.running ? { running: boot.running } : {}), ...(boot?.pending ? { pending: boot.pending } : {}),
      pendingReset: boot?.updateState === 'ACTIVE_PENDING_RESET', durationMs: Date.now() - t0,
    };
  };
  const work = plan.filter((p) => !p.skip);
  if (work.length === 0) return finish('skipped', plan.map((p) => p.skip).join('; '));

  // A handle held with no live holder of the lock (the caller holds it): cancelled only on request.
  let s = await mccQuery(dev, 0);
  if (s.state !== MLXFW_FSM_STATE.IDLE) {
    if (!o.recover) throw lockedError(dev, s);
    if (o.dryRun) return finish('dry-run', `the handle held in ${STATE_NAME(s.state)} would be cancelled and released first (recover)`);
    emit({ phase: 'recover', message: `cancelling a handle left in ${STATE_NAME(s.state)}` });
    await mccSet(dev, MLX5_REG_MCC_INSTRUCTION.CANCEL, s.handle).catch(() => undefined);
    await mccSet(dev, MLX5_REG_MCC_INSTRUCTION.RELEASE_UPDATE_HANDLE, s.handle);
    s = await mccQuery(dev, 0);
    if (s.state !== MLXFW_FSM_STATE.IDLE) throw lockedError(dev, s);
  }
  if (o.dryRun) return finish('dry-run');

  const flow = new Flow(dev, t, signal, emit);
  const onExit = () => flow.cleanupSync();
  process.once('exit', onExit);
  running++;
  try {
    await flow.lock();
    if (regs.mirc) {
      await flow.reactivate();
      await flow.waitState(MLXFW_FSM_STATE.LOCKED);
    }
    const total = work.reduce((n, p) => n + p.c.size, 0);
    let done = 0;
    for (const p of work) {
      flow.check();
      await flow.component(p.c, p.caps, done, total);
      done += p.c.size;
    }
    flow.check();
    await flow.activate();
    emit({ phase: 'release' });
    await mccSet(dev, MLX5_REG_MCC_INSTRUCTION.RELEASE_UPDATE_HANDLE, flow.handle);
    flow.locked = false;
  } catch (e) {
    await flow.cleanup();
    throw e;
  } finally {
    running--;
    process.removeListener('exit', onExit);
  }
  const r = await finish('updated');
  emit({ phase: 'done', percent: 100 });
  return r;
}

export const mlx5FirmwareUpdate: FirmwareUpdateHooks = {
  via: 'fwctl',
  components,
  update,
};

export type { FlashPhase };
