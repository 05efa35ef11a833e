// A duck-typed Device for the typed layers' tests (mlx5 commands, facts, the
// CLI's per-type commands): rpc() and rpcSync() hand the request to `fw`, the
// firmware in a few lines, and answer with its reply cut or zero-padded to
// responseLength (4096 when not given), as mlx5 does. Every request is kept,
// with the options it was sent with.
import type { Device, RpcOptions, RpcResult } from '../../../lib/device';

export interface FakeRpcCall {
  request: Buffer;
  options: RpcOptions;
}

export function fakeRpcDevice(fw: (req: Buffer) => Buffer): { dev: Device; requests: Buffer[]; calls: FakeRpcCall[] } {
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
  const dev = {
    rpc: async (request: Uint8Array, options: RpcOptions) => answer(request, options),
    rpcSync: (request: Uint8Array, options: RpcOptions) => answer(request, options),
  } as unknown as Device;
  return { dev, requests, calls };
}
