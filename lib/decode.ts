// Decoding FWCTL_INFO device_data: by the device type's module
// (lib/registry.ts). A blob shorter than the type's struct decodes to
// undefined (pds in 7.x reports length 0); a longer one decodes its known
// prefix (newer kernels may append fields). A type nobody registered gets
// no `decoded`.

import { deviceTypeModule } from './registry';
import { deviceTypeOf, type DeviceType } from './uapi/constants';

/**
 * The decoded device_data of each device type, by its `type` string. Each
 * type's module adds its own member (declare module '../decode'); the
 * types without device_data map to never.
 */
export interface DeviceDataMap {
  error: never;
  unknown: never;
}

interface InfoBase<T extends string, D> {
  /** The device type as a string; 'unknown' for a number this package does not know. */
  readonly type: T;
  /** The kernel's device type number (enum fwctl_device_type), unknown numbers included. */
  readonly typeId: number;
  /** The driver's whole device_data: exactly the length the kernel reported. */
  readonly data: Buffer;
  /** device_data decoded, for the types with a known struct; undefined if too short. */
  readonly decoded?: D;
}

export type DeviceInfo = { [T in keyof DeviceDataMap & DeviceType]: InfoBase<T, DeviceDataMap[T]> }[keyof DeviceDataMap & DeviceType];

/** Build the info result from the kernel's answer. */
export function decodeInfo(typeId: number, data: Buffer): DeviceInfo {
  const type = deviceTypeOf(typeId);
  const decoded = deviceTypeModule(typeId)?.decodeDeviceData?.(data);
  return (decoded === undefined ? { type, typeId, data } : { type, typeId, data, decoded }) as DeviceInfo;
}
