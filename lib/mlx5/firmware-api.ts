// mlx5.firmware: the mlx5 update as its own entry (the same flow as
// fwctl.firmware.update on an mlx5 device, with the adapter lock taken here).

import type { DeviceLike } from '../device-like';
import { update as updateAny, type FlashOptions, type FlashResult, type FirmwareComponent } from '../firmware';
import { FwctlError } from '../errors';
import { DeviceTypeId } from '../uapi/constants';
import { components as mlx5Components } from './firmware';

function need(dev: DeviceLike): void {
  if (dev.typeId !== DeviceTypeId.Mlx5) throw new FwctlError({ code: 'ERR_FWCTL_WRONG_TYPE', path: dev.path, detail: `${dev.path} is not an mlx5 device` });
}

/** Each component (MCQS): versions running and pending, update state, size limits (MCQI). */
export function components(dev: DeviceLike, options?: { signal?: AbortSignal }): Promise<FirmwareComponent[]> {
  need(dev);
  return mlx5Components(dev, options);
}

/** Update from an MFA2 archive (or a plain component image with options.psid): see docs/api/firmware.md. */
export function update(dev: DeviceLike, image: Uint8Array, options?: FlashOptions): Promise<FlashResult> {
  need(dev);
  return updateAny(dev, image, options);
}
