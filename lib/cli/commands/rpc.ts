// fwctl rpc <device> --scope S: one FWCTL_RPC with raw request bytes.

import { readFileSync, writeFileSync } from 'node:fs';
import type { RpcResult } from '../../device';
import { asU8 } from '../../uapi/layout';
import { MAX_RPC_LEN, SCOPE_NAMES, type Scope } from '../../uapi/constants';
import { COMMON_OPTIONS, Exit, UsageError, type Command, type Io, type Values } from '../command';
import { hexdump, parseHex, toHex } from '../format';
import { openDeviceAsync } from './open';

/** 'debug-read-only', 'DebugReadOnly', 'debug_read_only' or '1' -> 1. */
export function parseScope(text: string | undefined): Scope {
  if (text === undefined) throw new UsageError(`--scope is required: one of ${scopeChoices()}`);
  if (/^[0-3]$/.test(text)) return Number(text) as Scope;
  const key = text.replace(/[-_]/g, '').toLowerCase();
  const i = SCOPE_NAMES.findIndex((n) => n.toLowerCase() === key);
  if (i < 0) throw new UsageError(`unknown scope '${text}': one of ${scopeChoices()}`);
  return i as Scope;
}

function scopeChoices(): string {
  return SCOPE_NAMES.map((n) => n.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()).join(', ');
}

export function parseLength(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > MAX_RPC_LEN) {
    throw new UsageError(`--response-length must be an integer from 0 to ${MAX_RPC_LEN}, got '${text}'`);
  }
  return Number(text);
}

export interface RpcArgs {
  device: string;
  scope: Scope;
  responseLength: number;
  allowKernelTaint: boolean;
  /** Where the request comes from. */
  input: { file: string } | { hex: string };
  out: string | undefined;
  json: boolean;
}

export function parseRpcArgs(positionals: string[], values: Values): RpcArgs {
  if (positionals.length !== 1) throw new UsageError('rpc takes exactly one <device>');
  const hasIn = typeof values.in === 'string';
  const hasHex = typeof values.hex === 'string';
  if (hasIn === hasHex) throw new UsageError('give the request with exactly one of --in FILE|- or --hex HEX');
  if (values.out === '-' && values.json === true) throw new UsageError('--out - and --json would both write to stdout');
  return {
    device: positionals[0],
    scope: parseScope(values.scope as string | undefined),
    responseLength: parseLength(values['response-length'] as string | undefined, 4096),
    allowKernelTaint: values['allow-kernel-taint'] === true,
    input: hasIn ? { file: values.in as string } : { hex: values.hex as string },
    out: values.out as string | undefined,
    json: values.json === true,
  };
}

async function readRequest(input: RpcArgs['input'], io: Io): Promise<Buffer> {
  if ('hex' in input) {
    try {
      return parseHex(input.hex);
    } catch (e) {
      throw new UsageError(`--hex: ${(e as Error).message}`);
    }
  }
  return input.file === '-' ? io.readStdin() : readFileSync(input.file);
}

export function rpcJson(res: RpcResult, out: string | undefined): object {
  return { length: res.length, truncated: res.truncated, written: res.response.length,
    ...(out === undefined ? { response: toHex(res.response) } : { out }) };
}

export const command: Command = {
  name: 'rpc',
  summary: 'send one raw RPC to the device firmware (FWCTL_RPC)',
  help: `usage: fwctl rpc <device> --scope <scope> (--in FILE|- | --hex HEX)
                 [--response-length N] [--out FILE|-] [--allow-kernel-taint] [--json]

Sends the request bytes as they are (the device type's own message format:
mlx5 PRM mailbox, CXL fwctl_rpc_cxl, bnxt HWRM, ...) and prints the response.

  --scope S               configuration | debug-read-only | debug-write | debug-write-full (or 0-3)
  --in FILE|-             request bytes from a file, or stdin with -
  --hex HEX               request bytes as hex ("01 02 0a", "0x0102", "01:02")
  --response-length N     bytes to reserve for the response (default 4096, max 2097152)
  --out FILE|-            write the raw response bytes to FILE (- for stdout) instead of a hex dump
  --allow-kernel-taint    needed for debug-write and debug-write-full: they taint the kernel
                          (TAINT_FWCTL); debug-write-full also needs CAP_SYS_RAWIO
  --json                  { length, truncated, written, response (hex) | out }

A truncated response (the driver had more than --response-length) is not an
error: the JSON says truncated, and a warning goes to stderr.
`,
  options: {
    ...COMMON_OPTIONS,
    scope: { type: 'string' },
    in: { type: 'string' },
    hex: { type: 'string' },
    'response-length': { type: 'string' },
    out: { type: 'string' },
    'allow-kernel-taint': { type: 'boolean' },
  },
  async run(positionals, values, io) {
    const args = parseRpcArgs(positionals, values);
    const request = await readRequest(args.input, io);
    const dev = await openDeviceAsync(args.device, io.signal);
    let res: RpcResult;
    try {
      res = await dev.rpc(request, {
        scope: args.scope,
        responseLength: args.responseLength,
        allowKernelTaint: args.allowKernelTaint,
        signal: io.signal,
      });
    } finally {
      await dev.close();
    }
    if (args.out === '-') io.stdoutBytes(res.response);
    else if (args.out !== undefined) writeFileSync(args.out, asU8(res.response));
    if (args.json) io.stdout(JSON.stringify(rpcJson(res, args.out)) + '\n');
    else if (args.out === undefined) io.stdout(`length ${res.length}${res.truncated ? ' (truncated)' : ''}\n${hexdump(res.response)}`);
    if (res.truncated) {
      io.stderr(`fwctl rpc: warning: response truncated: the driver reported ${res.length} bytes, ` +
        `${res.response.length} kept; use --response-length ${Math.min(res.length, MAX_RPC_LEN)}\n`);
    }
    return Exit.Ok;
  },
};
