// pds as a device type (FWCTL_DEVICE_TYPE_PDS): what the core, the
// transcripts and the inventory ask of it (lib/registry.ts). Its request
// (struct fwctl_rpc_pds) holds pointers to further user buffers: the guard
// table tells the addon where they are and which length each is read with.

import { DIR_IN, DIR_OUT, LEN_BE } from '../binding-flags';
import { hostU32, registerDeviceType, type DeviceTypeModule } from '../registry';
import { DeviceTypeId } from '../uapi/constants';
import { HOST_LE } from '../uapi/layout';
import { fwctlInfoPds, fwctlRpcPds } from '../uapi/structs';
import { ANY_KEY } from '../guards';

/** struct fwctl_info_pds. */
export interface PdsDeviceData {
  /** Bitmap of PdsCap bits. */
  readonly uctxCaps: number;
}

declare module '../decode' {
  interface DeviceDataMap {
    pds: PdsDeviceData;
  }
}

const P = fwctlRpcPds.fields;
/** A host-endian __u32 of struct fwctl_rpc_pds, or undefined past the request's end. */
const u32 = (r: Uint8Array, o: number) => (r.byteLength >= o + 4 ? hostU32(r, o) : undefined);

export const pdsType: DeviceTypeModule<PdsDeviceData> = {
  id: DeviceTypeId.Pds,
  name: 'pds',
  decodeDeviceData: (data) => (data.length < fwctlInfoPds.size ? undefined : { uctxCaps: hostU32(data, fwctlInfoPds.fields.uctx_caps.offset) }),
  // The driver memdup_user()s in.len bytes of in.payload and copy_to_user()s
  // out.len bytes to out.payload (host-endian u32 / u64).
  pointerGuards() {
    const hostLen = 4 | (HOST_LE ? 0 : LEN_BE);
    return [
      { key: ANY_KEY, ptrOffset: P['in.payload'].offset, lenOffset: P['in.len'].offset, lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_IN },
      { key: ANY_KEY, ptrOffset: P['out.payload'].offset, lenOffset: P['out.len'].offset, lenFlags: hostLen, unit: 1, fixedLength: 0, direction: DIR_OUT },
    ];
  },
  commandOf(request) {
    const op = u32(request, P['in.op'].offset), ep = u32(request, P['in.ep'].offset);
    if (op === undefined || ep === undefined) return { name: `pds request (${request.byteLength} bytes, shorter than struct fwctl_rpc_pds)`, write: false };
    return { name: `pds op 0x${op.toString(16)} ep ${ep}`, write: false };
  },
  describeInfo: (d) => [['uctxCaps', d ? `0x${d.uctxCaps.toString(16)}` : 'not reported (the pds driver returns no device_data)']],
  inventory: {
    async facts(_dev, rec) {
      rec.note = 'pds: no firmware facts beyond FWCTL_INFO (its queries need a device-specific route)';
    },
  },
  firmwareUpdate: {
    via: 'none',
    why: 'pds firmware is updated by pds_core through devlink (`devlink dev flash`, pds_core/devlink.c pdsc_dl_flash_update), not through the pds fwctl driver',
  },
  errorCodes: ['ERR_FWCTL_PDS_RETVAL'],
  host: {
    pciVendorIds: [0x1dd8], // PCI_VENDOR_ID_PENSANDO
    coreDrivers: ['pds_core'],
    auxDevices: ['pds_core.fwctl'],
    fwctlModule: 'pds_fwctl',
    modules: ['pds_fwctl', 'pds_core'],
    kconfig: ['FWCTL', 'PDS_CORE', 'FWCTL_PDS'],
    kconfigDepends: { FWCTL_PDS: ['FWCTL', 'PDS_CORE'] },
    kconfigDriver: 'FWCTL_PDS',
    noDeviceReason: 'pds_core created no pds_core.fwctl device: it adds one on the PF only (pds_core/main.c), not on a VF or the ionic Ethernet functions',
  },
};

registerDeviceType(pdsType);
