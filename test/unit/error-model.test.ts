// The one error model (issue 15), checked mechanically: no throw in lib/
// builds a built-in error or hands out a signal's bare reason; every code a
// source names is in the `codes` registry and every registry code is used;
// docs/api/errors.md's code table lists exactly the registry's codes with the same
// classes; and representative failures of each kind are FwctlErrors whose
// code is registered with the class actually thrown.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import * as bnxt from '../../lib/bnxt';
import * as cxl from '../../lib/cxl';
import { Device, type RpcResult } from '../../lib/device';
import { FwctlError, codes } from '../../lib/errors';
import * as mlx5 from '../../lib/mlx5';
import * as pds from '../../lib/pds';
import { parseTranscript } from '../../lib/transcript';
import { Scope } from '../../lib/uapi/constants';
import { HOST_LE, pack } from '../../lib/uapi/layout';
import { LAYOUTS } from '../../lib/uapi/structs';
import { need } from '../../lib/wire';
import { UsageError } from '../../lib/cli/command';
import { FakeHandle, type IoctlCall } from './helpers/fake-binding';
import { caught } from './helpers/errors';

const root = path.resolve(__dirname, '../../..');
const libDir = path.join(root, 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}
const files = sources(libDir).map((p) => ({ rel: path.relative(root, p), text: fs.readFileSync(p, 'utf8') }));

/** Lines of lib/ matching re, as "file:line: text", outside lib/errors.ts. */
function offenders(re: RegExp): string[] {
  return files.filter((f) => f.rel !== path.join('lib', 'errors.ts')).flatMap((f) =>
    f.text.split('\n').flatMap((l, i) => (re.test(l.replace(/\/\/.*$/, '')) ? [`${f.rel}:${i + 1}: ${l.trim()}`] : [])));
}

describe('every throw in lib/ goes through the model', () => {
  test('the scan sees the sources (a broken path must not pass vacuously)', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(files.some((f) => /new FwctlTypeError\(/.test(f.text))).toBe(true);
  });

  test('no built-in error is constructed outside lib/errors.ts', () => {
    expect(offenders(/\bnew (Error|TypeError|RangeError|SyntaxError|EvalError|ReferenceError|URIError|AggregateError)\(/)).toEqual([]);
  });

  test('no class extends a built-in error outside lib/errors.ts', () => {
    expect(offenders(/\bextends (Error|TypeError|RangeError|DOMException)\b/)).toEqual([]);
  });

  test('no AbortSignal reason escapes bare (throwIfAborted / FwctlAbortError instead)', () => {
    expect(offenders(/\.throwIfAborted\(\)|(reject|throw)\(?\s*\w*\.?signal\.reason\b/)).toEqual([]);
  });

  test('every ERR_FWCTL_* code a source names is registered, and every registered one is used', () => {
    const named = new Set(files.flatMap((f) => [...f.text.matchAll(/'(ERR_FWCTL_[A-Z0-9_]+|ABORT_ERR)'/g)].map((m) => m[1])));
    expect([...named].filter((c) => !(c in codes)).sort()).toEqual([]);
    const uses = (c: string) => files.reduce((n, f) => n + f.text.split(`'${c}'`).length - 1, 0);
    // The registry's keys are bare; a used code appears quoted at least once.
    const unused = Object.keys(codes).filter((c) => codes[c].kind !== 'kernel' && uses(c) < 1);
    expect(unused).toEqual([]);
  });

  test('every code given to a FwctlError constructor is a registered code or an errno name', () => {
    const given = files.flatMap((f) => [...f.text.matchAll(/\{ code: '([A-Z0-9_]+)'/g)].map((m) => `${f.rel}: ${m[1]}`));
    expect(given.length).toBeGreaterThan(20);
    expect(given.filter((g) => { const c = g.split(': ')[1]; return !(c in codes) && !/^E[A-Z0-9]+$/.test(c); })).toEqual([]);
  });
});

describe('docs/api/errors.md lists every code', () => {
  const doc = fs.readFileSync(path.join(root, 'docs', 'api', 'errors.md'), 'utf8');
  const start = doc.indexOf('\n### Every code\n');
  const end = start < 0 ? -1 : doc.indexOf('\n#', start + 5);
  const section = start < 0 ? '' : doc.slice(start, end < 0 ? undefined : end);
  /** code -> class, from the table rows (a row may list several codes). */
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[1].startsWith('`')) continue;
    for (const m of cells[1].matchAll(/`([A-Z0-9_]+)`/g)) rows.set(m[1], cells[2].replace(/`/g, ''));
  }

  test('the table exists', () => {
    expect(start).toBeGreaterThan(0);
    expect(rows.size).toBeGreaterThan(20);
  });

  test('the same codes as the registry (the first difference named)', () => {
    const docOnly = [...rows.keys()].filter((c) => !(c in codes));
    const registryOnly = Object.keys(codes).filter((c) => !rows.has(c));
    expect({ first: docOnly[0] ?? registryOnly[0], docOnly, registryOnly }).toEqual({ first: undefined, docOnly: [], registryOnly: [] });
  });

  test('with the registry\'s class for each', () => {
    const wrong = [...rows].filter(([c, cls]) => c in codes && cls !== codes[c].class).map(([c, cls]) => `${c}: docs ${cls}, registry ${codes[c].class}`);
    expect(wrong).toEqual([]);
  });
});

describe('representative failures are FwctlErrors with their registered code and class', () => {
  const setU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, HOST_LE);
  /** A device whose "kernel" writes `fill` into the response and answers its full length. */
  const device = (fill: (resp: Uint8Array, c: IoctlCall) => void, type = 0) => {
    const h = new FakeHandle((c) => {
      if (c.request === 0x9a01) {
        fill(c.buffers[1], c);
        setU32(c.arg, 12, c.buffers[1].length);
      }
      return 0;
    }, [0, 0, 0]);
    h.type = type;
    return new Device(h, '/dev/fwctl/fwctl9');
  };
  const rpcResult = (b: number[]): RpcResult => ({ response: Buffer.from(b), length: b.length, truncated: false }) as RpcResult;
  const abortedRpc = () => {
    const c = new AbortController();
    c.abort();
    return device(() => undefined).rpc(new Uint8Array(4), { scope: 0, signal: c.signal });
  };

  const cases: [string, string, () => unknown][] = [
    ['argument type', 'ERR_FWCTL_INVALID_ARG_TYPE', () => device(() => undefined).rpcSync('x' as never, { scope: 0 })],
    ['argument value', 'ERR_FWCTL_INVALID_ARG_VALUE', () => mlx5.ifc.encode('no_such_layout' as never, {})],
    ['out of range', 'ERR_FWCTL_OUT_OF_RANGE', () => pack(Object.values(LAYOUTS)[0], { size: -1 } as never)],
    ['taint refused', 'ERR_FWCTL_TAINT_REFUSED', () => device(() => undefined).rpcSync(new Uint8Array(4), { scope: Scope.DebugWrite })],
    ['closed', 'ERR_FWCTL_CLOSED', () => { const d = device(() => undefined); d.closeSync(); d.infoSync(); }],
    ['wrong type', 'ERR_FWCTL_WRONG_TYPE', () => cxl.getSupportedFeaturesSync(device(() => undefined, 1))],
    ['decode', 'ERR_FWCTL_DECODE', () => need(new Uint8Array(3), 8, 'header')],
    ['mlx5 status', 'ERR_FWCTL_MLX5_STATUS', () => mlx5.execSync(device((r) => { r[0] = 3; }, 1), 0x100, { scope: Scope.Configuration })],
    ['bnxt HWRM', 'ERR_FWCTL_BNXT_HWRM', () => bnxt.execSync(device((r) => { r[0] = 2; }, 3), 0)],
    ['pds retval', 'ERR_FWCTL_PDS_RETVAL', () => { throw new pds.PdsQueryError(7, 'endpoint query'); }],
    ['CXL mailbox', 'ERR_FWCTL_CXL_MAILBOX', () => cxl.decodeOut(rpcResult([0, 0, 0, 0, 3, 0, 0, 0]), 0x501)],
    ['CXL response', 'ERR_FWCTL_CXL_RESPONSE', () => cxl.decodeOut(rpcResult([0, 0]), 0x501)],
    ['transcript', 'ERR_FWCTL_TRANSCRIPT', () => parseTranscript('not json\n')],
    ['usage', 'ERR_FWCTL_USAGE', () => { throw new UsageError('--frob'); }],
  ];

  test.each(cases)('%s: %s', (_what, code, fn) => {
    const e = caught(fn);
    expect(e).toBeInstanceOf(FwctlError);
    expect((e as FwctlError).code).toBe(code);
    expect((e as Error).constructor.name).toBe(codes[code].class);
    // Argument errors are the platform's TypeError / RangeError too, as Node's ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
    const platform = code === 'ERR_FWCTL_OUT_OF_RANGE' ? 'RangeError' : code.startsWith('ERR_FWCTL_INVALID_ARG_') ? 'TypeError' : 'none';
    expect({ code, type: e instanceof TypeError, range: e instanceof RangeError })
      .toEqual({ code, type: platform === 'TypeError', range: platform === 'RangeError' });
  });

  test('a kernel answer: an errno name, the negative errno, the syscall', () => {
    const d = new Device(new FakeHandle((c) => (c.request === 0x9a01 ? -19 : 0), [0, 0, 0]), '/dev/fwctl/fwctl9');
    const e = caught(() => d.rpcSync(new Uint8Array(4), { scope: 0 }));
    expect(e).toMatchObject({ name: 'FwctlError', code: 'ENODEV', errno: -19, syscall: 'ioctl(FWCTL_RPC)', path: '/dev/fwctl/fwctl9' });
    expect(codes.ENODEV.kind).toBe('kernel');
  });

  test('abort: ABORT_ERR (FwctlAbortError), cause the reason', async () => {
    const e = await abortedRpc().then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(fwctl.FwctlAbortError);
    expect(e).toMatchObject({ code: 'ABORT_ERR', name: 'AbortError', cause: { name: 'AbortError' } });
    expect((e as Error).constructor.name).toBe(codes.ABORT_ERR.class);
  });

  test('the public API exports the model', () => {
    expect(fwctl.codes).toBe(codes);
    for (const C of [fwctl.FwctlTypeError, fwctl.FwctlRangeError, fwctl.FwctlAbortError, fwctl.FwctlDecodeError, fwctl.ReplayMismatch,
      cxl.CxlMailboxError, cxl.CxlResponseError, mlx5.Mlx5FirmwareError, bnxt.BnxtFirmwareError, bnxt.BnxtDmaUnsupportedError,
      pds.PdsQueryError]) {
      expect(C.prototype).toBeInstanceOf(fwctl.FwctlError);
    }
  });
});
