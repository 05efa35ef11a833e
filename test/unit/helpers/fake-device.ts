// A DeviceLike (lib/device-like.ts) for the typed layers' tests (mlx5
// commands, facts, the CLI's per-type commands): rpc() and rpcSync() hand
// the request to `fw`, the firmware in a few lines, and answer with its
// reply cut or zero-padded to responseLength (4096 when not given), as mlx5
// does. Every request is kept, with the options it was sent with. info()
// reports the type with no device_data. A DeviceLike as it stands: no cast.

import type { DeviceInfo } from '../../../lib/decode';
import type { RpcOptions, RpcResult } from '../../../lib/device';
import type { DeviceLike } from '../../../lib/device-like';
import { deviceTypeOf } from '../../../lib/uapi/constants';

export interface FakeRpcCall {
  request: Buffer;
  options: RpcOptions;
}

export function fakeRpcDevice(fw: (req: Buffer) => Buffer, typeId = 1, path = '/dev/fwctl/fwctl0'):
  { dev: DeviceLike; requests: Buffer[]; calls: FakeRpcCall[] } {
  const requests: Buffer[] = [];
  const calls: FakeRpcCall[] = [];
  const answer = (request: Uint8Array, options: RpcOptions): RpcResult => {
    const req = Buffer.from(request);
    requests.push(req);
    calls.push({ request: req, options });
    const out = Buffer.alloc(options.responseLength ?? 4096);
    fw(req).copy(out);
    return { response: out, length: out.length, truncated: false };
  };
  const info = (): DeviceInfo => ({ type: deviceTypeOf(typeId), typeId, data: Buffer.alloc(0) }) as DeviceInfo;
  const dev: DeviceLike = {
    path, typeId,
    info: async () => info(),
    infoSync: info,
    rpc: async (request, options) => answer(request as Uint8Array, options),
    rpcSync: (request, options) => answer(request as Uint8Array, options),
  };
  return { dev, requests, calls };
}
