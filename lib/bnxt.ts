// fwctl.bnxt: Broadcom NetXtreme (FWCTL_DEVICE_TYPE_BNXT), raw HWRM messages,
// little-endian. The entry point of 'fwctl/bnxt'; the parts live in lib/bnxt/:
//   core.ts      the driver's rules, struct input/output, exec by req_type, VER_GET
//   generated/   from the kernel source (npm run gen): commands.ts, the driver's command
//                table; hwrm-data.ts, every HWRM layout its commands use (hsi.h)
//   hwrm.ts      decode/encode of those layouts by field name
//   exec.ts      exec(dev, 'NAME', fields): any allowed command by name, DMA buffers owned here
//   dma.ts       the typed DMA commands (Linux 7.3): NVM, coredump, port statistics, ...
//   type.ts      bnxt as a device type (lib/registry.ts): registered on import

import './bnxt/type';
import type { DeviceLike } from './device-like';
import { exec as execRaw, execSync as execRawSync, type BnxtExecOptions, type BnxtResult } from './bnxt/core';
import { execNamed, execNamedSync, type BnxtNamedOptions, type BnxtNamedResult } from './bnxt/exec';
import type { HwrmInput } from './bnxt/hwrm';
import type { HwrmCommandName } from './bnxt/hwrm';

export * from './bnxt/core';
export * from './bnxt/dma';
export { commands, command, buildRequest, type BnxtNamedOptions, type BnxtNamedResult, type BnxtCommandInfo } from './bnxt/exec';
export { HWRM_COMMANDS, type HwrmCommandName } from './bnxt/hwrm';
export { NVM_DIR_TYPE } from './bnxt/generated/hwrm-data';
export * as hwrm from './bnxt/hwrm';

type Fields = Readonly<Record<string, HwrmInput>>;

/**
 * A command the driver allows, by name (`'NVM_GET_DIR_INFO'`, any case, with
 * or without HWRM_): the input built from hsi.h's field names, the output
 * decoded into `data`, the least scope, DMA buffers owned by the library.
 * Or, with a number, the raw form: struct input + `options.body`.
 * A non-zero error_code throws BnxtFirmwareError unless allowError.
 */
export function exec(dev: DeviceLike, name: HwrmCommandName | (string & {}), fields?: Fields, options?: BnxtNamedOptions): Promise<BnxtNamedResult>;
export function exec(dev: DeviceLike, reqType: number, options?: BnxtExecOptions): Promise<BnxtResult>;
export function exec(dev: DeviceLike, what: string | number, a?: unknown, b?: unknown): Promise<BnxtResult | BnxtNamedResult> {
  return typeof what === 'string' ? execNamed(dev, what, a as Fields, b as BnxtNamedOptions) : execRaw(dev, what, a as BnxtExecOptions);
}

export function execSync(dev: DeviceLike, name: HwrmCommandName | (string & {}), fields?: Fields, options?: Omit<BnxtNamedOptions, 'signal'>): BnxtNamedResult;
export function execSync(dev: DeviceLike, reqType: number, options?: BnxtExecOptions): BnxtResult;
export function execSync(dev: DeviceLike, what: string | number, a?: unknown, b?: unknown): BnxtResult | BnxtNamedResult {
  return typeof what === 'string' ? execNamedSync(dev, what, a as Fields, b as BnxtNamedOptions) : execRawSync(dev, what, a as BnxtExecOptions);
}
