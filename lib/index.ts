// The public surface of the fwctl package. Everything else is internal.
// Importing it registers the built-in device types (lib/types/builtin.ts)
// and plugs the environment's backends (FWCTL_RECORD, FWCTL_REPLAY,
// FWCTL_AUDIT: lib/environment.ts) into the backend chain.

import './types/builtin';
import './environment';

export { list, listSync, find, findSync } from './discovery';
export type { FwctlDeviceEntry, FwctlParent, FindCriteria, Roots } from './discovery';
export { open, openSync, allocBuffer, Device } from './device';
export type { Bytes, OpenOptions, RpcOptions, RpcResult, RpcAttachment } from './device';
export type { DeviceInfo } from './decode';
export type { Mlx5DeviceData } from './mlx5/type';
export type { PdsDeviceData } from './pds/type';
export type { BnxtDeviceData } from './bnxt/type';
export type { DeviceLike } from './device-like';
/** The one error model (docs/api.md, Errors): every error thrown has a `code` listed in `codes`. */
export { FwctlError, FwctlTypeError, FwctlRangeError, FwctlAbortError, codes } from './errors';
export type { FwctlSyscall, FwctlErrorOptions, CodeEntry, CodeKind, ArgumentCode } from './errors';
// The constants as plain data properties of the CommonJS exports: a
// re-export (`export { Scope } from ...`) compiles to a getter, and
// `fwctl.Scope.DebugReadOnly` in a hot loop then paid a call per read
// (~145 userspace instructions, more than a bound RPC's own N-API call).
import * as constants from './uapi/constants';
export const DeviceType = constants.DeviceType;
export type DeviceType = constants.DeviceType;
export const DeviceTypeId = constants.DeviceTypeId;
export const Scope = constants.Scope;
export type Scope = constants.Scope;
export const MAX_RPC_LEN = constants.MAX_RPC_LEN;
export const MLX5_UCTX_CAP_TOOLS_RESOURCES = constants.MLX5_UCTX_CAP_TOOLS_RESOURCES;
export const PdsCap = constants.PdsCap;
export const BnxtCap = constants.BnxtCap;
export const CxlOpcode = constants.CxlOpcode;
/** Struct layouts (lib/uapi) with pack/unpack, for building per-type requests. */
export * as uapi from './uapi';
/** CXL Features (Get Supported Features, Get Feature, Set Feature); also the subpath 'fwctl/cxl'. */
export * as cxl from './cxl';
/** Typed per-type layers; also the subpaths 'fwctl/mlx5', 'fwctl/pds', 'fwctl/bnxt'. */
export * as mlx5 from './mlx5';
export * as pds from './pds';
export * as bnxt from './bnxt';
export { FwctlDecodeError } from './wire';
export { inventory, toPrometheus } from './inventory';
export type { InventoryRecord } from './inventory';
/** NV configuration (docs/api/config.md): get, set, plan, reset, items, export, apply over every type that registers items. */
export { config, NvConfigError } from './nvconfig';
export type { NvValue, NvWhen, NvItemSpec, NvReading, NvChange, NvSetResult, NvCallOptions, NvConfigHooks, NvConfigDocument, NvApplyOptions, NvApplyResult, NvErrorCode } from './nvconfig';
/** Firmware update (docs/api/firmware.md): `fwctl.firmware.update(dev, image)` over every type that offers one at the least scope. */
export { firmware } from './firmware';
export type { FlashOptions, FlashResult, FlashProgress, FlashPhase, FlashTiming, FlashComponentResult, FlashImageSummary, FlashAllEntry, FirmwareComponent, FirmwareUpdateHooks } from './firmware';
/** Why this host has (or has no) usable fwctl device: `fwctl doctor` (docs/api/doctor.md). */
export { diagnose, DOCTOR_CODES, UDEV_RULE } from './doctor';
export type { Diagnosis, DiagnoseOptions, Finding, Severity, DoctorCode, Candidate, DeviceAccess, KernelState } from './doctor';
/** Record and replay (docs/transcripts.md), tracing channels (docs/api.md). */
export { record } from './record';
export type { Recording, RecordOptions } from './record';
export { replay, useTranscript, ReplayMismatch } from './replay';
export type { Replay, ReplayOptions, ReplayMode, TestHooks } from './replay';
export { CHANNEL_NAMES } from './trace';
export type { TraceContext } from './trace';
export type { AuditLine } from './audit';
