// Property-based tests (fast-check) over every decoder and packer and over
// the public API's argument checks: random and truncated buffers, counts
// larger than the data, unknown enum values, wrong types, odd lengths,
// detached and shared buffers. Properties:
// - a decoder returns or throws one of the documented typed errors
//   (FwctlDecodeError, CxlResponseError, CxlMailboxError, FwctlRangeError,
//   FwctlTypeError, each with its code), nothing else: a built-in RangeError
//   (an unchecked DataView read) fails the property;
// - a decoder never reads outside the view it is given: the same bytes
//   decoded from an exact-size ArrayBuffer and from a view in the middle of
//   random bytes give the same result (or the same error), and so do they
//   as a plain Uint8Array (no Buffer methods: a raw "readUInt32LE is not a
//   function" TypeError fails the property);
// - a bad argument to Device.rpc/rpcSync is an FwctlTypeError or
//   FwctlRangeError (or the documented ERR_FWCTL_TAINT_REFUSED for tainting
//   scopes) before any syscall.
// Run counts are bounded (FUZZ_RUNS, default 300 per property); the seed is
// printed by fast-check on failure. Figures: $FWCTL_RESULTS_DIR/fuzz.json.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import * as bnxt from '../../lib/bnxt';
import * as cxl from '../../lib/cxl';
import { decodeInfo } from '../../lib/decode';
import { Device, openSync, setBindingForTesting, splitRdev } from '../../lib/device';
import { FwctlError, FwctlRangeError, FwctlTypeError } from '../../lib/errors';
import * as mlx5 from '../../lib/mlx5';
import * as pds from '../../lib/pds';
import { MAX_RPC_LEN, Scope } from '../../lib/uapi/constants';
import { pack, read, unpack, type Bytes, type Layout } from '../../lib/uapi/layout';
import { LAYOUTS } from '../../lib/uapi/structs';
import { FwctlDecodeError } from '../../lib/wire';
import { FakeBinding, FakeHandle } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const RUNS = Number(process.env.FUZZ_RUNS ?? '300');
const params = { numRuns: RUNS };
const figures: Record<string, number> = {};
function count(name: string, runs = RUNS): void {
  figures[name] = (figures[name] ?? 0) + runs;
}
afterAll(() => {
  const total = Object.values(figures).reduce((a, b) => a + b, 0);
  process.stdout.write(`[fuzz] ${Object.keys(figures).length} properties, ${total} runs: ${JSON.stringify(figures)}\n`);
  const dir = process.env.FWCTL_RESULTS_DIR;
  if (dir) fs.writeFileSync(path.join(dir, 'fuzz.json'), `${JSON.stringify({ runsPerProperty: RUNS, total, properties: figures }, null, 2)}\n`);
});

/** The errors decoders may throw (documented); anything else fails the property. */
function typed(e: unknown): boolean {
  const is = (C: abstract new (...a: never[]) => FwctlError, ...codes: string[]) => e instanceof C && codes.includes(e.code);
  return is(FwctlDecodeError, 'ERR_FWCTL_DECODE') || is(cxl.CxlResponseError, 'ERR_FWCTL_CXL_RESPONSE') ||
    is(cxl.CxlMailboxError, 'ERR_FWCTL_CXL_MAILBOX') || is(FwctlRangeError, 'ERR_FWCTL_OUT_OF_RANGE') ||
    is(FwctlTypeError, 'ERR_FWCTL_INVALID_ARG_TYPE', 'ERR_FWCTL_INVALID_ARG_VALUE');
}

type Outcome = { ok: unknown } | { error: string };
/** Run a decoder; typed errors become a comparable outcome, others propagate (and fail the property). */
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!typed(e)) throw e;
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** Replace Buffers/Uint8Arrays in a result by plain arrays, so results from different backing stores compare. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Random bytes, as an exact-size Buffer and as a view between random guard bytes. */
const framed = (maxLength: number) =>
  fc.record({
    data: fc.uint8Array({ maxLength }),
    before: fc.uint8Array({ maxLength: 64 }),
    after: fc.uint8Array({ minLength: 1, maxLength: 256 }),
  }).map(({ data, before, after }) => {
    // Buffer.from(bytes) may copy into the shared pool: build an exact-size ArrayBuffer instead.
    const own = Buffer.from(new Uint8Array(data).buffer);
    const ab = new ArrayBuffer(before.length + data.length + after.length);
    const all = new Uint8Array(ab);
    all.set(before, 0);
    all.set(data, before.length);
    all.set(after, before.length + data.length);
    const inner = Buffer.from(ab, before.length, data.length);
    // The same bytes as a plain Uint8Array (no Buffer methods): callers may pass one.
    const u8 = new Uint8Array(ab, before.length, data.length);
    return { own, inner, u8 };
  });

/**
 * The property for a decoder: typed errors only, and the same outcome from
 * an exact-size buffer as from a view inside larger random memory.
 */
function decoderProperty(name: string, maxLength: number, decode: (b: Buffer) => unknown): void {
  test(`${name}: typed errors only, never reads outside its view`, () => {
    fc.assert(fc.property(framed(maxLength), ({ own, inner, u8 }) => {
      const expected = plain(outcome(() => decode(own)));
      expect(plain(outcome(() => decode(inner)))).toEqual(expected);
      expect(plain(outcome(() => decode(u8 as Buffer)))).toEqual(expected);
    }), params);
    count(name);
  });
}

// A response buffer with a header that often claims more than follows: counts
// drawn from small values (so some fit) and from the full u32 range.
const countField = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 0xffffffff }));

describe('decoders', () => {
  decoderProperty('decodeInfo (every type id)', 64, (b) => decodeInfo(b.length ? b[0] % 8 : 0xfff0, b));
  test('decodeInfo: unknown type numbers read as unknown, any length', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 32 }), (t, d) => {
      const info = decodeInfo(t, Buffer.from(d));
      expect(info.typeId).toBe(t);
      expect(info.data.length).toBe(d.length);
      if (t > 4) expect(info.type).toBe('unknown');
    }), params);
    count('decodeInfo unknown types');
  });

  decoderProperty('mlx5.decodeOutHeader', 40, (b) => mlx5.decodeOutHeader(b));
  decoderProperty('mlx5.decodeHcaCap', 16 + 4096 + 8, (b) =>
    mlx5.decodeHcaCap({ ...mlx5.decodeOutHeader(b), opcode: 0x100, ok: true, response: b, length: b.length, truncated: false }));
  decoderProperty('mlx5.decodeAdapter', 16 + 256 + 8, (b) =>
    mlx5.decodeAdapter({ ...mlx5.decodeOutHeader(b), opcode: 0x101, ok: true, response: b, length: b.length, truncated: false }));
  decoderProperty('mlx5.validate', 40, (b) => mlx5.validate(b, (b[1] ?? 0) % 4 as Scope, b[2] ?? 0));

  decoderProperty('pds.decodeEndpoints', 80, (b) => pds.decodeEndpoints(b));
  decoderProperty('pds.decodeOperations', 120, (b) => pds.decodeOperations(b));
  test('pds lists: a num_entries larger than the data is a FwctlDecodeError', () => {
    fc.assert(fc.property(countField, fc.uint8Array({ maxLength: 64 }), fc.boolean(), (n, rest, ops) => {
      const b = Buffer.alloc(8 + rest.length);
      b.writeUInt32LE(n, 4);
      b.set(rest, 8);
      const entry = ops ? 8 : 4;
      const decode = () => (ops ? pds.decodeOperations(b) : pds.decodeEndpoints(b));
      if (8 + n * entry > b.length) expect(decode).toThrow(FwctlDecodeError);
      else expect(decode().entries).toHaveLength(n);
    }), params);
    count('pds num_entries');
  });

  decoderProperty('bnxt.decodeOutput', 24, (b) => bnxt.decodeOutput(b));
  decoderProperty('bnxt.decodeVerGet', 200, (b) =>
    bnxt.decodeVerGet({ ...bnxt.decodeOutput(b), ok: true, response: b, length: b.length, truncated: false }));
  decoderProperty('bnxt.validate', 140, (b) => bnxt.validate(b, (b[2] ?? 0) % 4 as Scope, b[3] ?? 0));
  test('bnxt.describeErrorCode: every u16 has a kind and a name', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), (c) => {
      const d = bnxt.describeErrorCode(c);
      expect(['ok', 'firmware', 'send']).toContain(d.kind);
      expect(typeof d.name).toBe('string');
    }), params);
    count('bnxt.describeErrorCode');
  });

  decoderProperty('cxl.decodeFeatureEntry', 60, (b) => cxl.decodeFeatureEntry(b, b.length > 0 ? b[0] % 4 : 0));
  decoderProperty('cxl.uuidString', 24, (b) => cxl.uuidString(b));
  decoderProperty('cxl.decodeOut', 64, (b) =>
    cxl.decodeOut({ response: b, length: b.length + ((b[0] ?? 0) & 1), truncated: ((b[0] ?? 0) & 1) === 1 }, 0x0500));
  decoderProperty('cxl.decodeGetSupportedFeatures', 8 + 8 + 48 * 3 + 8, (b) =>
    cxl.decodeGetSupportedFeatures({ response: b, length: b.length, truncated: false }, (b[1] ?? 0) % 5));
  test('cxl Get Supported: num_entries and size larger than the data are CxlResponseError', () => {
    fc.assert(fc.property(countField, fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 120 }), (size, n, rest) => {
      const b = Buffer.alloc(16 + rest.length);
      b.writeUInt32LE(size, 0); // fwctl_rpc_cxl_out.size
      b.writeUInt16LE(n, 8); // num_entries
      b.set(rest, 16);
      const r = outcome(() => cxl.decodeGetSupportedFeatures({ response: b, length: b.length, truncated: false }, 0xffff));
      if (size > b.length - 8 || 8 + n * 48 > Math.min(size, b.length - 8)) expect(r).toHaveProperty('error');
    }), params);
    count('cxl num_entries');
  });
  test('cxl.decodeFlags / decodeEffects: every u32 decodes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (raw) => {
      expect(cxl.decodeFlags(raw).raw).toBe(raw);
      expect(cxl.decodeEffects(raw).raw).toBe(raw);
    }), params);
    count('cxl flags/effects');
  });

  test('layout read/unpack over every struct: typed errors only, never outside the view', () => {
    const layouts = Object.values(LAYOUTS) as Layout[];
    fc.assert(fc.property(fc.constantFrom(...layouts), framed(80), fc.integer({ min: -4, max: 80 }), (l, { own, inner }, base) => {
      expect(plain(outcome(() => unpack(l, inner, base)))).toEqual(plain(outcome(() => unpack(l, own, base))));
      for (const f of Object.values(l.fields)) {
        expect(plain(outcome(() => read(inner, f, base)))).toEqual(plain(outcome(() => read(own, f, base))));
      }
    }), params);
    count('layout read/unpack');
  });
});

// ---- packers ----

/** Values of every JS type, including the awkward numbers. */
const junk = fc.oneof(
  fc.anything(),
  fc.constantFrom(NaN, Infinity, -Infinity, -1, -0, 0.5, 2 ** 53, 2 ** 32, 2 ** 64, -(2 ** 31), 1e300),
  fc.bigInt(),
  fc.integer(),
  fc.double(),
);

describe('packers', () => {
  test('pack: random values for every field of every struct are packed or refused with FwctlRangeError/FwctlTypeError', () => {
    const layouts = Object.values(LAYOUTS) as Layout[];
    fc.assert(fc.property(fc.constantFrom(...layouts), fc.array(junk, { maxLength: 8 }), (l, vals) => {
      const names = Object.keys(l.fields);
      const values: Record<string, unknown> = {};
      vals.forEach((v, i) => (values[names[i % names.length]] = v));
      const r = outcome(() => pack(l, values as never));
      if ('ok' in r) expect((r.ok as Uint8Array).byteLength).toBe(l.size);
    }), params);
    count('pack');
  });

  test('mlx5.encodeIn, bnxt.encodeRequest, cxl encoders: output or FwctlRangeError/FwctlTypeError', () => {
    fc.assert(fc.property(junk, junk, junk, fc.uint8Array({ maxLength: 200 }), (a, b, c, body) => {
      const checks: Array<() => unknown> = [
        () => mlx5.encodeIn(a as number, { opMod: b as number, body, length: c as number }),
        () => bnxt.encodeRequest(a as number, { seqId: b as number, targetId: c as number, body }),
        () => cxl.encodeGetSupportedFeatures(a as number, b as number),
        () => cxl.encodeGetFeature(body, a as number, b as number, c as number),
        () => cxl.encodeSetFeature(body.subarray(0, 16), body, a as number, b as number, c as number),
        () => cxl.uuidBytes(a as string),
        () => pds.splitOpcode(a as number),
        () => pds.scopeOfAttr(a as number),
        () => mlx5.minScope(a as number, b as number),
        () => bnxt.minScope(a as number),
      ];
      for (const f of checks) outcome(f);
    }), params);
    count('encoders', RUNS * 10);
  });

  test('mlx5.encodeIn with valid fields round-trips through decode-side validate', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 }),
      (op, opMod, body) => {
        const b = mlx5.encodeIn(op, { opMod, body });
        expect(b.readUInt16BE(0)).toBe(op);
        expect(b.readUInt16BE(6)).toBe(opMod);
        expect(b.length).toBe(16 + body.length);
        expect([null, 'EBADMSG']).toContain(mlx5.validate(b, Scope.DebugReadOnly, 16));
      }), params);
    count('mlx5.encodeIn round-trip');
  });
});

// ---- the public API: bad arguments never reach the binding ----

const S_IFCHR = fs.constants.S_IFCHR;
const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);

describe('Device.rpc / rpcSync argument checks (fake binding)', () => {
  let sys: FakeSys;
  let fake: FakeBinding;
  let d: Device;
  beforeEach(() => {
    sys = new FakeSys();
    sys.addParent('faux/fwctl-mock0', { subsystem: 'faux' });
    sys.addFwctl('fwctl0', 'faux/fwctl-mock0', NULL_DEV.major, NULL_DEV.minor);
    fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
    fake = new FakeBinding(() => new FakeHandle(() => 0, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]));
    setBindingForTesting(fake);
    d = openSync('fwctl0', sys.roots);
  });
  afterEach(() => {
    setBindingForTesting(undefined);
    sys.remove();
  });
  const ioctls = () => fake.handles.flatMap((h) => h.calls).length;

  /** The documented refusals: FwctlTypeError, FwctlRangeError, or ERR_FWCTL_TAINT_REFUSED for tainting scopes without allowKernelTaint. */
  function refusedOrSent(e: unknown): boolean {
    return (e instanceof FwctlTypeError && /^ERR_FWCTL_INVALID_ARG_(TYPE|VALUE)$/.test(e.code)) ||
      (e instanceof FwctlRangeError && e.code === 'ERR_FWCTL_OUT_OF_RANGE') ||
      (e instanceof FwctlError && e.code === 'ERR_FWCTL_TAINT_REFUSED' && e.syscall === undefined && e.errno === undefined);
  }

  const badLength = fc.oneof(junk, fc.constantFrom(-1, 0.5, NaN, Infinity, MAX_RPC_LEN + 1, 2 ** 53, '16', null));
  const options = fc.oneof(
    junk,
    fc.record({ scope: fc.oneof(junk, fc.integer({ min: -2, max: 6 })), responseLength: fc.option(badLength), allowKernelTaint: fc.option(junk) },
      { requiredKeys: [] }),
    fc.record({
      scope: fc.constantFrom(0, 1),
      attach: fc.oneof(junk, fc.array(fc.record({ at: badLength, buffer: fc.oneof(junk, fc.uint8Array({ maxLength: 8 })), direction: junk }), { maxLength: 8 })),
    }),
  );
  const request = fc.oneof(junk, fc.uint8Array({ maxLength: 32 }), fc.constantFrom(new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), [1, 2, 3], 'abc'));

  test('random requests and options: a result or a refusal; refusals make no ioctl', async () => {
    await fc.assert(fc.asyncProperty(request, options, async (req, opts) => {
      const before = ioctls();
      let syncErr: unknown;
      try {
        d.rpcSync(req as Bytes, opts as never);
      } catch (e) {
        syncErr = e;
      }
      if (syncErr !== undefined) {
        expect(refusedOrSent(syncErr)).toBe(true);
        expect(ioctls()).toBe(before);
      }
      const asyncErr = await d.rpc(req as Bytes, opts as never).then(() => undefined, (e) => e);
      // Same arguments, same verdict, sync or async.
      expect(asyncErr === undefined).toBe(syncErr === undefined);
      if (asyncErr !== undefined) {
        expect(refusedOrSent(asyncErr)).toBe(true);
        expect(ioctls()).toBe(before);
      }
    }), params);
    count('rpc arguments', RUNS * 2);
  });

  test.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['huge', 2 ** 40],
    ['over 2 MiB', MAX_RPC_LEN + 1],
  ])('responseLength %s is an FwctlRangeError before any syscall', async (_what, n) => {
    expect(() => d.rpcSync(new Uint8Array(16), { scope: 0, responseLength: n })).toThrow(FwctlRangeError);
    await expect(d.rpc(new Uint8Array(16), { scope: 0, responseLength: n })).rejects.toThrow(FwctlRangeError);
    expect(ioctls()).toBe(0);
  });

  test('unknown scopes are RangeErrors, non-numbers TypeErrors, before any syscall', () => {
    for (const s of [-1, 4, 99, 1.5, NaN]) expect(() => d.rpcSync(new Uint8Array(16), { scope: s as Scope })).toThrow(FwctlRangeError);
    for (const s of ['0', null, {}, 0n]) expect(() => d.rpcSync(new Uint8Array(16), { scope: s as never })).toThrow(FwctlTypeError);
    expect(ioctls()).toBe(0);
  });

  function detached(): Uint8Array {
    const b = new Uint8Array(32);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    return b;
  }

  test('a detached request buffer is an FwctlTypeError before any syscall', async () => {
    expect(() => d.rpcSync(detached(), { scope: 0 })).toThrow(FwctlTypeError);
    await expect(d.rpc(detached(), { scope: 0 })).rejects.toThrow(FwctlTypeError);
    expect(ioctls()).toBe(0);
  });

  test('a detached attachment is an FwctlTypeError before any syscall', async () => {
    const opts = () => ({ scope: 0 as Scope, attach: [{ at: 0, buffer: detached(), direction: 'out' as const }] });
    expect(() => d.rpcSync(new Uint8Array(16), opts())).toThrow(FwctlTypeError);
    await expect(d.rpc(new Uint8Array(16), opts())).rejects.toThrow(FwctlTypeError);
    expect(ioctls()).toBe(0);
  });

  test('an attachment detached while the async call is in flight: the call settles, no write into it', async () => {
    const h = fake.handles[0];
    let open!: () => void;
    h.gate = new Promise((r) => (open = r));
    const out = new Uint8Array(16);
    const call = d.rpc(new Uint8Array(16), { scope: 0, attach: [{ at: 0, buffer: out, direction: 'out' }] });
    structuredClone(out.buffer, { transfer: [out.buffer] });
    open();
    const e = await call.then(() => undefined, (x) => x);
    // Copy-out into a detached buffer is impossible: the call rejects with an FwctlTypeError saying so.
    expect(e).toBeInstanceOf(FwctlTypeError);
    expect(String(e)).toMatch(/attach\[0\].*detached/);
    expect(out.byteLength).toBe(0);
  });

  test('zero-length requests and views of zero-length buffers are sent as they are (length 0)', async () => {
    d.rpcSync(new Uint8Array(0), { scope: 0 });
    await d.rpc(new Uint8Array(new ArrayBuffer(0)), { scope: 0 });
    expect(ioctls()).toBe(2);
  });

  test('SharedArrayBuffer-backed requests and attachments are accepted (the async path copies them)', async () => {
    const req = new Uint8Array(new SharedArrayBuffer(48));
    const out = new Uint8Array(new SharedArrayBuffer(8));
    const opts = { scope: 0 as Scope, attach: [{ at: 8, buffer: out, direction: 'out' as const }] };
    d.rpcSync(req, opts);
    await d.rpc(req, opts);
    const calls = fake.handles.flatMap((h) => h.calls);
    expect(calls).toHaveLength(2);
    // Sync: the caller's shared memory goes to the kernel; async: private copies.
    expect(calls[0].buffers[2].buffer).toBe(out.buffer);
    expect(calls[1].buffers[2].buffer).not.toBe(out.buffer);
    expect(calls[1].buffers[0].buffer).not.toBe(req.buffer);
  });
});
