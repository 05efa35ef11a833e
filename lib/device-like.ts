// What the typed layers (lib/mlx5, lib/bnxt, lib/pds.ts, lib/cxl.ts) and the
// inventory hooks need of a device: its path and type, and one call each of
// info and rpc, sync and async. A Device is one; so is a test's fake, with no
// cast. The forms of Device beyond these (prepared calls)
// are the caller's business, not the layers'.

import type { DeviceInfo } from './decode';
import type { InfoOptions, RpcOptions, RpcResult } from './device';
import type { Bytes } from './uapi/layout';

export interface DeviceLike {
  /** The device node, e.g. /dev/fwctl/fwctl0. */
  readonly path: string;
  /** The kernel's device type number (enum fwctl_device_type), unknown numbers included. */
  readonly typeId: number;
  info(options?: InfoOptions): Promise<DeviceInfo>;
  infoSync(options?: Omit<InfoOptions, 'signal'>): DeviceInfo;
  rpc(request: Bytes, options: RpcOptions): Promise<RpcResult>;
  rpcSync(request: Bytes, options: RpcOptions): RpcResult;
}
