// Decoding FWCTL_INFO device_data per device type. A blob shorter than the
// type's struct decodes to undefined (pds in 7.x reports length 0); a longer
// one decodes its known prefix (newer kernels may append fields).

import { DeviceType, deviceTypeOf } from './uapi/constants';
import { fwctlInfoBnxt, fwctlInfoMlx5, fwctlInfoPds } from './uapi/structs';
import { HOST_LE, type Field } from './uapi/layout';

/**
 * A host-endian u32 field of `data`, any Uint8Array (byte reads: no DataView
 * and no object per field, unlike unpack(), and no Buffer method, which a
 * plain Uint8Array lacks; callers checked the length).
 */
const u32 = (data: Uint8Array, f: Field<'u32'>): number => {
  const o = f.offset;
  return (HOST_LE
    ? data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24)
    : (data[o] << 24) | (data[o + 1] << 16) | (data[o + 2] << 8) | data[o + 3]) >>> 0;
};

const MLX5 = fwctlInfoMlx5.fields;
const PDS = fwctlInfoPds.fields;
const BNXT = fwctlInfoBnxt.fields;

/** struct fwctl_info_mlx5: the firmware user context bound to this open handle. */
export interface Mlx5DeviceData {
  /** The FW UID the kernel forces into every command header. */
  readonly uid: number;
  /** Capabilities of that user context (MLX5_UCTX_CAP_* bits). */
  readonly uctxCaps: number;
}

/** struct fwctl_info_pds. */
export interface PdsDeviceData {
  /** Bitmap of PdsCap bits. */
  readonly uctxCaps: number;
}

/** struct fwctl_info_bnxt. */
export interface BnxtDeviceData {
  /** Bitmap of BnxtCap bits. */
  readonly uctxCaps: number;
}

interface InfoBase<T extends DeviceType, D> {
  /** The device type as a string; 'unknown' for a number this package does not know. */
  readonly type: T;
  /** The kernel's device type number (enum fwctl_device_type), unknown numbers included. */
  readonly typeId: number;
  /** The driver's whole device_data: exactly the length the kernel reported. */
  readonly data: Buffer;
  /** device_data decoded, for the types with a known struct; undefined if too short. */
  readonly decoded?: D;
}

export type DeviceInfo =
  | InfoBase<'mlx5', Mlx5DeviceData>
  | InfoBase<'pds', PdsDeviceData>
  | InfoBase<'bnxt', BnxtDeviceData>
  | InfoBase<'cxl' | 'error' | 'unknown', never>;

/** Build the info result from the kernel's answer. */
export function decodeInfo(typeId: number, data: Buffer): DeviceInfo {
  const type = deviceTypeOf(typeId);
  switch (type) {
    case DeviceType.Mlx5: {
      if (data.length < fwctlInfoMlx5.size) return { type, typeId, data };
      return { type, typeId, data, decoded: { uid: u32(data, MLX5.uid), uctxCaps: u32(data, MLX5.uctx_caps) } };
    }
    case DeviceType.Pds: {
      if (data.length < fwctlInfoPds.size) return { type, typeId, data };
      return { type, typeId, data, decoded: { uctxCaps: u32(data, PDS.uctx_caps) } };
    }
    case DeviceType.Bnxt: {
      if (data.length < fwctlInfoBnxt.size) return { type, typeId, data };
      return { type, typeId, data, decoded: { uctxCaps: u32(data, BNXT.uctx_caps) } };
    }
    default:
      return { type, typeId, data };
  }
}
