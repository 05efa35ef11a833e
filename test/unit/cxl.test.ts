// lib/cxl.ts on the host: encoders, decoders (malformed answers included),
// the scope rules of drivers/cxl/core/features.c, paging, and the CLI, against
// a fake CXL driver written after features.c. The real driver is the kernel
// suite's job (test/kernel/suite/features.cxl.test.ts).

import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants } from 'node:os';
import * as cxl from '../../lib/cxl';
import { CxlMailboxError, CxlResponseError } from '../../lib/cxl';
import { Device, setBindingForTesting, splitRdev, type RpcResult } from '../../lib/device';
import { FwctlError, FwctlRangeError, FwctlTypeError } from '../../lib/errors';
import { caught, expectCode } from './helpers/errors';
import { cliWithStdin } from './helpers/cli';
import { Scope } from '../../lib/uapi/constants';
import { HOST_LE } from '../../lib/uapi/layout';
import { FakeBinding, FakeHandle, type IoctlCall } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';
import { inventory, toPrometheus } from '../../lib/inventory';

const { EINVAL, EPERM, EOPNOTSUPP } = constants.errno;
const S_IFCHR = fs.constants.S_IFCHR;
const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const TEST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

// ---- a fake drivers/cxl (features.c semantics, mock mem.c-like device) ----

interface FakeFeature {
  uuid: string;
  getSize: number;
  setSize: number;
  flags: number;
  effects: number;
  setVersion?: number;
  value: Buffer;
}

const entryBytes = (f: FakeFeature, id: number): Buffer => {
  const b = Buffer.alloc(48);
  Buffer.from(f.uuid.replace(/-/g, ''), 'hex').copy(b, 0);
  b.writeUInt16LE(id, 16);
  b.writeUInt16LE(f.getSize, 18);
  b.writeUInt16LE(f.setSize, 20);
  b.writeUInt32LE(f.flags, 22);
  b[26] = 1;
  b[27] = f.setVersion ?? 1;
  b.writeUInt16LE(f.effects, 28);
  return b;
};

const EXCLUSIVE = new Set<string>(Object.values(cxl.CxlFeatureUuid));
const IMM = 0x1e;
const RESET = 0x1 | 0x400 | 0x800;

class FakeCxl {
  features: FakeFeature[] = [];
  /** Entries per Get Supported answer at most (a device that answers short pages). */
  maxPerAnswer = Infinity;
  calls: { opcode: number; scope: number; start?: number; count?: number; flags?: number; version?: number }[] = [];
  /** Replace the answer bytes (malformed-device tests). */
  override?: (opcode: number) => Buffer | undefined;
  typeId = 2;

  feature(uuid: string) {
    return this.features.find((f) => f.uuid === uuid);
  }

  responder = (c: IoctlCall): number => {
    const v = new DataView(c.arg.buffer, c.arg.byteOffset);
    if (c.request === 0x9a00) {
      v.setUint32(8, this.typeId, HOST_LE);
      v.setUint32(12, 0, HOST_LE);
      return 0;
    }
    const scope = v.getUint32(4, HOST_LE);
    const outLen = v.getUint32(12, HOST_LE);
    const [req, out] = c.buffers;
    const result = this.rpc(Buffer.from(req), scope, outLen);
    if (typeof result === 'number') return result;
    // drivers/cxl reports sizeof(struct fwctl_rpc_cxl_out) + size: 8 bytes more than it writes
    const answer = this.override ? result : Buffer.concat([result, Buffer.alloc(8)]);
    Buffer.from(out.buffer, out.byteOffset, out.byteLength).fill(0);
    answer.copy(Buffer.from(out.buffer, out.byteOffset, out.byteLength), 0, 0, Math.min(answer.length, outLen));
    v.setUint32(12, answer.length, HOST_LE);
    return 0;
  };

  rpc(req: Buffer, scope: number, outLen: number): Buffer | number {
    if (req.length < 16) return -EINVAL;
    const opcode = req.readUInt32LE(0);
    const opSize = req.readUInt32LE(8);
    if (opSize > req.length - 16) return -EINVAL;
    const p = req.subarray(16, 16 + opSize);
    const o = this.override?.(opcode);
    if (o) return o;
    switch (opcode) {
      case 0x500: {
        if (opSize !== 8) return -EINVAL;
        const count = p.readUInt32LE(0);
        const start = p.readUInt16LE(4);
        this.calls.push({ opcode, scope, start, count });
        if (start >= this.features.length) return -EINVAL;
        const n = Math.min(Math.floor(count / 48), this.features.length - start, this.maxPerAnswer);
        const b = Buffer.alloc(16 + 48 * n);
        b.writeUInt32LE(8 + 48 * n, 0);
        b.writeUInt16LE(n, 8);
        b.writeUInt16LE(this.features.length, 10);
        for (let i = 0; i < n; i++) {
          const f = this.features[start + i];
          const e = entryBytes(f, start + i);
          if (EXCLUSIVE.has(f.uuid)) {
            e.writeUInt16LE(0, 20);
            e.writeUInt32LE(f.flags & ~1, 22);
          }
          e.copy(b, 16 + 48 * i);
        }
        return b;
      }
      case 0x501: {
        if (opSize !== 21) return -EINVAL;
        const offset = p.readUInt16LE(16);
        const count = p.readUInt16LE(18);
        this.calls.push({ opcode, scope, start: offset, count });
        if (!count || outLen < 8 || count > outLen - 8) return -EINVAL;
        const b = Buffer.alloc(8 + count);
        const f = this.feature(cxl.uuidString(p.subarray(0, 16)));
        if (!f) {
          b.writeUInt32LE(3, 4); // UNSUPPORTED, size 0
          return b.subarray(0, 8);
        }
        if (offset + count > f.value.length) {
          b.writeUInt32LE(2, 4);
          return b.subarray(0, 8);
        }
        f.value.copy(b, 8, offset, offset + count);
        b.writeUInt32LE(count, 0);
        return b;
      }
      case 0x502: {
        // cxlctl_validate_set_features
        if (opSize < 16) return -EINVAL;
        const uuid = cxl.uuidString(p.subarray(0, 16));
        const f = this.feature(uuid);
        if (!f || !(f.flags & 1) || f.effects & 0xf000 || f.effects & 0x40) return -EINVAL;
        if (!(f.effects & IMM) && !(f.effects & RESET)) return -EINVAL;
        const ok = (f.effects & IMM) ? scope >= 3 : scope >= 2;
        if (!ok) return -EINVAL;
        // cxlctl_set_feature
        if (opSize <= 32) return -EINVAL;
        if (EXCLUSIVE.has(uuid)) return -EPERM;
        if (outLen < 8) return -EINVAL;
        const flags = p.readUInt32LE(16);
        const offset = p.readUInt16LE(20);
        this.calls.push({ opcode, scope, start: offset, flags, version: p[22] });
        const b = Buffer.alloc(8);
        if (offset !== 0) b.writeUInt32LE(2, 4);
        else p.subarray(32).copy(f.value, 0);
        return b;
      }
      default:
        return -EINVAL;
    }
  }
}

const testFeature = (over: Partial<FakeFeature> = {}): FakeFeature => ({
  uuid: TEST_UUID, getSize: 4, setSize: 4, flags: 0x61, effects: 0x201, value: Buffer.from([0xef, 0xbe, 0xad, 0xde]), ...over,
});

let fakeCxl: FakeCxl;
let handle: FakeHandle;
let dev: Device;

beforeEach(() => {
  fakeCxl = new FakeCxl();
  fakeCxl.features = [testFeature()];
  handle = new FakeHandle(fakeCxl.responder, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]);
  dev = new Device(handle, '/dev/fwctl/fwctl3');
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}
async function rejected(p: Promise<unknown>): Promise<FwctlError> {
  try {
    await p;
  } catch (e) {
    return e as FwctlError;
  }
  throw new Error('did not reject');
}

const rpcCalls = () => handle.calls.filter((c) => c.request === 0x9a01);

// ---- pure encoders / decoders ----

describe('UUIDs', () => {
  test('canonical lower-case strings, from any case, with or without dashes, or bytes', () => {
    const u = cxl.CxlFeatureUuid.PatrolScrub;
    expect(cxl.uuidString(cxl.uuidBytes(u.toUpperCase()))).toBe(u);
    expect(cxl.uuidString(cxl.uuidBytes(u.replace(/-/g, '')))).toBe(u);
    expect([...cxl.uuidBytes(u).subarray(0, 4)]).toEqual([0x96, 0xda, 0xd7, 0xd6]); // UUID_INIT byte order
    expect(cxl.uuidString(cxl.uuidBytes(cxl.uuidBytes(u)))).toBe(u);
  });
  test('malformed UUIDs are TypeError/RangeError', () => {
    expect(() => cxl.uuidBytes('ffff')).toThrow(FwctlTypeError);
    expect(() => cxl.uuidBytes('gfffffff-ffff-ffff-ffff-ffffffffffff')).toThrow(FwctlTypeError);
    expect(() => cxl.uuidBytes(new Uint8Array(15))).toThrow(FwctlRangeError);
    expect(() => cxl.uuidBytes(42 as never)).toThrow(FwctlTypeError);
  });
});

describe('request encoders (struct fwctl_rpc_cxl + mailbox input, little-endian)', () => {
  test('Get Supported Features: opcode 0x500, op_size 8, count = 8 + 48 n, start_idx', () => {
    expect(Buffer.from(cxl.encodeGetSupportedFeatures(0x102, 3)).toString('hex')).toBe(
      '00050000' + '00000000' + '08000000' + '00000000' + '98000000' + '0201' + '0000');
  });
  test('Get Feature: op_size 21, uuid, offset, count, selection', () => {
    const r = Buffer.from(cxl.encodeGetFeature(cxl.uuidBytes(TEST_UUID), 2, 0x0304, 0x0506));
    expect(r.length).toBe(16 + 21);
    expect(r.readUInt32LE(0)).toBe(0x501);
    expect(r.readUInt32LE(8)).toBe(21);
    expect(r.subarray(16, 32).toString('hex')).toBe('ff'.repeat(16));
    expect(r.subarray(32).toString('hex')).toBe('0403' + '0605' + '02');
  });
  test('Set Feature: op_size 32 + data, flags, offset, version, zero reserved, data', () => {
    const r = Buffer.from(cxl.encodeSetFeature(cxl.uuidBytes(TEST_UUID), Buffer.from([9, 8, 7]), 8, 0x10, 3));
    expect(r.length).toBe(16 + 32 + 3);
    expect(r.readUInt32LE(0)).toBe(0x502);
    expect(r.readUInt32LE(8)).toBe(35);
    expect(r.readUInt32LE(16 + 16)).toBe(8);
    expect(r.readUInt16LE(16 + 20)).toBe(0x10);
    expect(r[16 + 22]).toBe(3);
    expect(r.subarray(16 + 23, 16 + 32).every((b) => b === 0)).toBe(true);
    expect([...r.subarray(48)]).toEqual([9, 8, 7]);
  });
});

describe('feature entries and the Set scope rules of drivers/cxl', () => {
  const decode = (f: Partial<FakeFeature>) => cxl.decodeFeatureEntry(entryBytes(testFeature(f), 5));

  test('the cxl_test entry: flags 0x61, effects 0x201 -> DebugWrite', () => {
    const e = decode({});
    expect(e).toMatchObject({ uuid: TEST_UUID, id: 5, getSize: 4, setSize: 4, getVersion: 1, setVersion: 1,
      kernelExclusive: false, requiredScope: Scope.DebugWrite });
    expect(e.name).toBeUndefined();
    expect(e.notSettableReason).toBeUndefined();
    expect(e.flags).toEqual({ raw: 0x61, changeable: true, persistsAcrossFirmwareUpdate: false, defaultSelection: true, savedSelection: true });
  });

  test('every effects bit by name', () => {
    for (const [name, bit] of Object.entries(cxl.CxlEffect)) {
      const eff = cxl.decodeEffects(bit);
      const key = name[0].toLowerCase() + name.slice(1);
      expect(eff[key as keyof cxl.CxlFeatureEffects]).toBe(true);
      const others = Object.entries(eff).filter(([k, v]) => v === true && k !== key);
      expect(others).toEqual([]);
    }
    expect(cxl.decodeEffects(0xf000).reserved).toBe(0xf000);
  });

  test.each([
    ['config change immediate', 0x2, Scope.DebugWriteFull],
    ['data change immediate', 0x4, Scope.DebugWriteFull],
    ['policy change immediate', 0x8, Scope.DebugWriteFull],
    ['log change immediate', 0x10, Scope.DebugWriteFull],
    ['immediate and reset', 0x3, Scope.DebugWriteFull],
    ['cold reset', 0x1, Scope.DebugWrite],
    ['conventional reset', 0x400, Scope.DebugWrite],
    ['CXL reset', 0x800, Scope.DebugWrite],
    ['reset plus security state change', 0x21, Scope.DebugWrite],
  ])('%s (0x%s) -> scope %s', (_, effects, scope) => {
    expect(decode({ effects: effects as number }).requiredScope).toBe(scope);
  });

  test.each([
    ['reserved effects bits', { effects: 0x1001 }, /reserved effects/],
    ['background', { effects: 0x41 }, /background/],
    ['no immediate or reset effect', { effects: 0x200 }, /neither/],
    ['not changeable', { flags: 0x60 }, /not changeable/],
    ['kernel-exclusive', { uuid: cxl.CxlFeatureUuid.HardPpr }, /reserved to the kernel/],
  ])('%s -> no scope, with a reason', (_, over, reason) => {
    const e = decode(over as Partial<FakeFeature>);
    expect(e.requiredScope).toBeNull();
    expect(e.notSettableReason).toMatch(reason);
  });

  test('the eight kernel-exclusive UUIDs have names', () => {
    const names = Object.values(cxl.CxlFeatureUuid).map((u) => decode({ uuid: u }));
    expect(names.map((e) => e.name)).toEqual(['patrol-scrub', 'ecs', 'soft-ppr', 'hard-ppr',
      'cacheline-sparing', 'row-sparing', 'bank-sparing', 'rank-sparing']);
    expect(names.every((e) => e.kernelExclusive)).toBe(true);
  });
});

describe('answers: framing, retval, malformed', () => {
  const res = (bytes: number[] | Buffer, length = bytes.length, reserved = length): RpcResult => {
    const b = Buffer.from(bytes as Uint8Array);
    return { response: b.subarray(0, Math.min(length, reserved)), length, truncated: length > reserved };
  };
  const out = (size: number, retval: number, payload: Buffer = Buffer.alloc(0)) => {
    const b = Buffer.alloc(8 + payload.length);
    b.writeUInt32LE(size, 0);
    b.writeUInt32LE(retval, 4);
    payload.copy(b, 8);
    return b;
  };

  test('retval != 0 is CxlMailboxError with the return code and its name', () => {
    const e = thrown(() => cxl.decodeOut(res(out(0, 0x19)), 0x502, '/dev/fwctl/fwctl1', TEST_UUID));
    expect(e).toBeInstanceOf(CxlMailboxError);
    expect(e).toMatchObject({ code: 'ERR_FWCTL_CXL_MAILBOX', returnCode: 0x19, returnCodeName: 'FEATUREVERSION', opcode: 0x502, path: '/dev/fwctl/fwctl1' });
    expect((e as Error).message).toMatch(/Set Feature \(ffffffff-.*\) failed: CXL mailbox return code 25 FEATUREVERSION \(unsupported feature version\)/);
    expect(e).toBeInstanceOf(FwctlError); // the device speaking: an ERR_FWCTL_* code, no errno
    expect((e as FwctlError).errno).toBeUndefined();
    expect(cxl.cxlReturnCodeName(0x40)).toBe('RC_0x40');
    expect(() => cxl.decodeOut(res(out(0, 0x40)), 0x501)).toThrow(/return code 64 RC_0x40/);
  });

  test('short, truncated or oversized answers are CxlResponseError', () => {
    expect(() => cxl.decodeOut(res([1, 2, 3]), 0x501)).toThrow(CxlResponseError);
    expect(cxl.decodeOut(res(out(4, 0, Buffer.alloc(4)), 20, 12), 0x501).size).toBe(4); // size, not the length, is authoritative
    expect(() => cxl.decodeOut(res(out(8, 0, Buffer.alloc(8)), 20, 12), 0x501)).toThrow(/size says 8 payload bytes, only 4 arrived \(the driver reported 20 bytes, 12 were reserved\)/);
    expect(() => cxl.decodeOut(res(out(9, 0, Buffer.alloc(4))), 0x501)).toThrow(/size says 9 payload bytes, only 4/);
  });

  test('Get Supported Features: counts larger than the data', () => {
    const sup = (n: number, total: number, entries: number) => {
      const p = Buffer.alloc(8 + 48 * entries);
      p.writeUInt16LE(n, 0);
      p.writeUInt16LE(total, 2);
      return res(out(p.length, 0, p));
    };
    expect(cxl.decodeGetSupportedFeatures(sup(1, 1, 1), 1).entries).toHaveLength(1);
    expect(() => cxl.decodeGetSupportedFeatures(sup(2, 2, 1), 2)).toThrow(/num_entries 2 needs 104 bytes, got 56/);
    expect(() => cxl.decodeGetSupportedFeatures(sup(2, 2, 2), 1)).toThrow(/more than the 1 asked/);
    expect(() => cxl.decodeGetSupportedFeatures(res(out(4, 0, Buffer.alloc(4))), 1)).toThrow(/shorter than the 8-byte header/);
  });

  test('any bytes at all: a result or a typed error, never a RangeError from an unchecked read', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 4 }),
      (bytes, length, asked) => {
        const r = res(Buffer.from(bytes), length, bytes.length);
        for (const f of [() => cxl.decodeGetSupportedFeatures(r, asked), () => cxl.decodeOut(r, 0x501)]) {
          try {
            f();
          } catch (e) {
            if (!(e instanceof CxlResponseError || e instanceof CxlMailboxError)) throw e;
          }
        }
      }), { numRuns: 2000 });
  });
});

// ---- the operations against the fake driver ----

describe('getSupportedFeatures', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) =>
    testFeature({ uuid: `00000000-0000-0000-0000-${i.toString(16).padStart(12, '0')}` }));

  test('count first, then pages; sync and async agree; reads at scope Configuration', async () => {
    fakeCxl.features = many(300);
    const feats = await cxl.getSupportedFeatures(dev, { pageSize: 128 });
    expect(feats.map((f) => f.id)).toEqual([...Array(300).keys()]);
    expect(fakeCxl.calls.map((c) => [c.start, c.count])).toEqual([[0, 8], [0, 8 + 48 * 128], [128, 8 + 48 * 128], [256, 8 + 48 * 44]]);
    expect(fakeCxl.calls.every((c) => c.scope === Scope.Configuration)).toBe(true);
    // the response buffer reserved matches the page exactly
    expect(rpcCalls().map((c) => c.buffers[1].byteLength)).toEqual([24, 24 + 48 * 128, 24 + 48 * 128, 24 + 48 * 44]);
    fakeCxl.calls = [];
    expect(cxl.getSupportedFeaturesSync(dev, { pageSize: 128 })).toEqual(feats);
    expect(handle.calls.filter((c) => c.request === 0x9a00)).toHaveLength(1); // the type is checked once per handle
  });

  test('a device answering short pages: continues where each page ended', async () => {
    fakeCxl.features = many(10);
    fakeCxl.maxPerAnswer = 3;
    const feats = await cxl.getSupportedFeatures(dev);
    expect(feats).toHaveLength(10);
    expect(fakeCxl.calls.slice(1).map((c) => c.start)).toEqual([0, 3, 6, 9]);
  });

  test('a device that stops answering entries: CxlResponseError, not a loop', async () => {
    fakeCxl.features = many(10);
    fakeCxl.maxPerAnswer = 0;
    await expect(cxl.getSupportedFeatures(dev)).rejects.toThrow(/no entries from index 0 although supported_feats is 10/);
  });

  test('a mailbox error on the count call', async () => {
    fakeCxl.override = () => Buffer.from([0, 0, 0, 0, 4, 0, 0, 0]);
    await expect(cxl.getSupportedFeatures(dev)).rejects.toMatchObject({ name: 'CxlMailboxError', returnCodeName: 'INTERNAL' });
  });

  test('pageSize checked before any call', async () => {
    for (const pageSize of [0, 1.5, 43691]) {
      expect(() => cxl.getSupportedFeaturesSync(dev, { pageSize })).toThrow(FwctlRangeError);
    }
    expect(rpcCalls()).toHaveLength(0);
  });

  test('a device of another type is refused before any RPC', async () => {
    fakeCxl.typeId = 1;
    await expect(cxl.getSupportedFeatures(dev)).rejects.toThrow(/is a mlx5 device, not CXL/);
    expect(() => cxl.getFeatureSync(dev, TEST_UUID, { length: 4 })).toThrow(FwctlError);
    expect(rpcCalls()).toHaveLength(0);
  });
});

describe('getFeature', () => {
  test('default length is getSize - offset (looked up), selection numbers', async () => {
    expect([...await cxl.getFeature(dev, TEST_UUID)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect([...cxl.getFeatureSync(dev, TEST_UUID, { offset: 1 })]).toEqual([0xbe, 0xad, 0xde]);
    const sel = (s: cxl.CxlSelection) => {
      cxl.getFeatureSync(dev, TEST_UUID, { selection: s, length: 1 });
      const req = rpcCalls().at(-1)!.buffers[0];
      return req[16 + 20];
    };
    expect([sel('current'), sel('default'), sel('saved')]).toEqual([0, 1, 2]);
  });

  test('with a length or the entry, no lookup', async () => {
    const [entry] = await cxl.getSupportedFeatures(dev);
    fakeCxl.calls = [];
    await cxl.getFeature(dev, TEST_UUID, { feature: entry });
    await cxl.getFeature(dev, TEST_UUID, { length: 2 });
    expect(fakeCxl.calls.map((c) => c.opcode)).toEqual([0x501, 0x501]);
    await expect(cxl.getFeature(dev, TEST_UUID, { feature: { ...entry, uuid: cxl.CxlFeatureUuid.Ecs } })).rejects.toThrow(FwctlTypeError);
  });

  test('mailbox failure: CxlMailboxError; unlisted without length: ERR_FWCTL_CXL_NO_FEATURE', async () => {
    await expect(cxl.getFeature(dev, cxl.CxlFeatureUuid.Ecs, { length: 4 }))
      .rejects.toMatchObject({ name: 'CxlMailboxError', returnCode: 3, returnCodeName: 'UNSUPPORTED', opcode: 0x501 });
    await expect(cxl.getFeature(dev, cxl.CxlFeatureUuid.Ecs)).rejects.toMatchObject({ name: 'FwctlError', code: 'ERR_FWCTL_CXL_NO_FEATURE', errno: undefined });
  });

  test('malformed device answers are CxlResponseError', async () => {
    fakeCxl.override = (op) => (op === 0x501 ? Buffer.alloc(8) : undefined); // size 0, retval 0
    await expect(cxl.getFeature(dev, TEST_UUID, { length: 4 })).rejects.toThrow(/no data and no mailbox error/);
    fakeCxl.override = (op) => (op === 0x501 ? Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]) : undefined);
    await expect(cxl.getFeature(dev, TEST_UUID, { length: 4 })).rejects.toThrow(CxlResponseError);
    fakeCxl.override = (op) => (op === 0x501 ? Buffer.from([1, 0]) : undefined);
    await expect(cxl.getFeature(dev, TEST_UUID, { length: 4 })).rejects.toThrow(/shorter than the 8-byte/);
  });

  test('bad arguments before any call', () => {
    const bad: [unknown, string][] = [
      [{ selection: 'latest' }, 'ERR_FWCTL_INVALID_ARG_VALUE'], [{ offset: -1 }, 'ERR_FWCTL_OUT_OF_RANGE'], [{ offset: 65536 }, 'ERR_FWCTL_OUT_OF_RANGE'],
      [{ length: 0 }, 'ERR_FWCTL_OUT_OF_RANGE'], [{ length: 1.5 }, 'ERR_FWCTL_OUT_OF_RANGE'], [7, 'ERR_FWCTL_INVALID_ARG_TYPE'],
    ];
    for (const [o, code] of bad) expectCode(caught(() => cxl.getFeatureSync(dev, TEST_UUID, o as cxl.GetFeatureOptions)), code);
    expect(() => cxl.getFeatureSync(dev, TEST_UUID, { offset: 4 })).toThrow(/past the end/);
    expect(rpcCalls().filter((c) => c.buffers[0][0] === 0x01)).toHaveLength(0);
  });
});

// ---- the kernel-known features' data, decoded next to the bytes ----

/** Patrol scrub: changeable, cycle 12 h, minimum 1 h, enabled (Table 8-222). */
const SCRUB_VALUE = Buffer.from([0x01, 12, 1, 0x01]);
/** ECS: per-FRU log entries; FRU 0 codewords/256, FRU 1 rows/4096 (Table 8-225). */
const ECS_VALUE = Buffer.from([0x01, 0x01, 0x0b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00]);
/** The eight known features as the fake drivers/cxl lists them (exclusive: setSize and changeable cleared). */
const knownFeatures = (): FakeFeature[] => [
  testFeature({ uuid: cxl.CxlFeatureUuid.PatrolScrub, getSize: 4, value: SCRUB_VALUE }),
  testFeature({ uuid: cxl.CxlFeatureUuid.Ecs, getSize: 9, value: ECS_VALUE }),
  ...[cxl.CxlFeatureUuid.SoftPpr, cxl.CxlFeatureUuid.HardPpr].map((uuid, i) => {
    const v = Buffer.alloc(20);
    v[5] = 1; v[6] = i; v[16] = 0x03; v.writeUInt16LE(0x1, 17);
    return testFeature({ uuid, getSize: 20, value: v });
  }),
  ...[cxl.CxlFeatureUuid.CachelineSparing, cxl.CxlFeatureUuid.RowSparing, cxl.CxlFeatureUuid.BankSparing,
    cxl.CxlFeatureUuid.RankSparing].map((uuid, i) => {
    const v = Buffer.alloc(19);
    v[5] = 2; v[6] = i; v.writeUInt16LE(0x6, 17);
    return testFeature({ uuid, getSize: 19, value: v });
  }),
];

describe('getFeature: .decoded for the kernel-known features', () => {
  test('each of the eight decoded from offset 0, equal to what the device holds', async () => {
    fakeCxl.features = knownFeatures();
    for (const f of fakeCxl.features) {
      const d = await cxl.getFeature(dev, f.uuid);
      expect(Buffer.from(d)).toEqual(f.value);
      expect(d.decoded).toEqual(cxl.decodeFeatureData(f.uuid, f.value));
      expect(d.decoded?.feature).toBe(cxl.featureName(f.uuid));
    }
    const s = cxl.getFeatureSync(dev, cxl.CxlFeatureUuid.PatrolScrub).decoded as cxl.CxlPatrolScrub;
    expect([s.scrubCycle.currentHours, s.scrubCycle.minimumHours, s.flags.enabled]).toEqual([12, 1, true]);
    const e = (await cxl.getFeature(dev, cxl.CxlFeatureUuid.Ecs)).decoded as cxl.CxlEcs;
    expect(e.frus.map((x) => [x.configuration.countModeName, x.configuration.thresholdCount])).toEqual([['codewords', 256], ['rows', 4096]]);
    const r = (await cxl.getFeature(dev, cxl.CxlFeatureUuid.RowSparing)).decoded as cxl.CxlSparing;
    expect(r).toMatchObject({ maintenanceOperationClass: 2, maintenanceOperationSubclass: 1,
      restrictionFlags: { safeWhenInUse: true, hardSparingSupported: true, softSparingSupported: true } });
  });

  test('null for an offset read, a read shorter than the layout and an unknown feature; the Buffer is unchanged', async () => {
    fakeCxl.features = [...knownFeatures(), testFeature()];
    expect((await cxl.getFeature(dev, cxl.CxlFeatureUuid.PatrolScrub, { offset: 1 })).decoded).toBeNull();
    expect((await cxl.getFeature(dev, cxl.CxlFeatureUuid.PatrolScrub, { length: 3 })).decoded).toBeNull();
    const t = await cxl.getFeature(dev, TEST_UUID);
    expect(t.decoded).toBeNull();
    expect(t).toEqual(Buffer.from([0xef, 0xbe, 0xad, 0xde])); // not enumerable: compares as the bytes
    expect(Object.keys(t)).not.toContain('decoded');
    expect(JSON.stringify(await cxl.getFeature(dev, cxl.CxlFeatureUuid.PatrolScrub))).not.toContain('decoded');
  });
});

describe('setFeature', () => {
  test('reset-only effects: sent at DebugWrite with the entry\'s version and saved-across-reset', async () => {
    await cxl.setFeature(dev, TEST_UUID, Buffer.from([1, 2, 3, 4]), { allowKernelTaint: true });
    expect(fakeCxl.calls.at(-1)).toEqual({ opcode: 0x502, scope: Scope.DebugWrite, start: 0, flags: 8, version: 1 });
    expect([...fakeCxl.features[0].value]).toEqual([1, 2, 3, 4]);
    cxl.setFeatureSync(dev, TEST_UUID, Buffer.from([5]), { allowKernelTaint: true, saveAcrossReset: false, version: 7 });
    expect(fakeCxl.calls.at(-1)).toMatchObject({ flags: 0, version: 7 });
  });

  test('immediate effects: DebugWriteFull', async () => {
    fakeCxl.features = [testFeature({ effects: 0x202, setVersion: 3 })];
    await cxl.setFeature(dev, TEST_UUID, Buffer.from([1]), { allowKernelTaint: true });
    expect(fakeCxl.calls.at(-1)).toMatchObject({ scope: Scope.DebugWriteFull, version: 3 });
  });

  test('a scope below the required one: the driver\'s EINVAL, explained', async () => {
    fakeCxl.features = [testFeature({ effects: 0x202 })];
    const e = await rejected(cxl.setFeature(dev, TEST_UUID, Buffer.from([1]), { allowKernelTaint: true, scope: Scope.DebugWrite }));
    expect(e).toBeInstanceOf(FwctlError);
    expect(e).toMatchObject({ code: 'EINVAL', errno: -EINVAL, syscall: 'ioctl(FWCTL_RPC)', path: dev.path });
    expect(e.message).toMatch(/refused Set Feature at scope DebugWrite: feature ffffffff-.* has effects ConfigChangeImmediate, EffectsValid \(an immediate change\), which need scope DebugWriteFull \(the driver answers a too-low scope with EINVAL, not EPERM\)/);
    const r = thrown(() => cxl.setFeatureSync(dev, TEST_UUID, Buffer.from([1]), { scope: Scope.DebugReadOnly }));
    expect(r.message).toMatch(/at scope DebugReadOnly.*need scope DebugWriteFull/);
  });

  test('taint needs consent, checked before the RPC', async () => {
    fakeCxl.calls = [];
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.from([1]))).rejects.toMatchObject({ code: 'ERR_FWCTL_TAINT_REFUSED', message: expect.stringMatching(/allowKernelTaint/) });
    expect(fakeCxl.calls.filter((c) => c.opcode === 0x502)).toHaveLength(0);
  });

  test('kernel-exclusive UUIDs: ERR_FWCTL_CXL_NOT_SETTABLE before any call', async () => {
    for (const uuid of Object.values(cxl.CxlFeatureUuid)) {
      const e = await rejected(cxl.setFeature(dev, uuid, Buffer.from([1]), { allowKernelTaint: true, scope: Scope.DebugWriteFull }));
      expect(e).toMatchObject({ code: 'ERR_FWCTL_CXL_NOT_SETTABLE', errno: undefined, message: expect.stringMatching(/reserved to the kernel/) });
      expect(e.syscall).toBeUndefined();
    }
    expect(handle.calls).toHaveLength(1); // only the type check
  });

  test('unsettable or unlisted features: ERR_FWCTL_CXL_NOT_SETTABLE / _NO_FEATURE before the Set', async () => {
    fakeCxl.features = [testFeature({ effects: 0x241 })];
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.from([1]), { allowKernelTaint: true }))
      .rejects.toMatchObject({ code: 'ERR_FWCTL_CXL_NOT_SETTABLE', message: expect.stringMatching(/background/) });
    await expect(cxl.setFeature(dev, cxl.uuidString(Buffer.alloc(16, 0xaa)), Buffer.from([1]), { allowKernelTaint: true }))
      .rejects.toMatchObject({ code: 'ERR_FWCTL_CXL_NO_FEATURE', message: expect.stringMatching(/does not list/) });
    expect(fakeCxl.calls.filter((c) => c.opcode === 0x502)).toHaveLength(0);
    // with scope and version given, it goes to the driver, which says EINVAL (explained as unlisted)
    await expect(cxl.setFeature(dev, cxl.uuidString(Buffer.alloc(16, 0xaa)), Buffer.from([1]),
      { allowKernelTaint: true, scope: Scope.DebugWrite, version: 1 }))
      .rejects.toMatchObject({ code: 'EINVAL', syscall: 'ioctl(FWCTL_RPC)', message: expect.stringMatching(/does not list/) });
  });

  test('data checks before the Set: empty, past setSize, past 64 KiB, not bytes', async () => {
    const set = (data: unknown, o: cxl.SetFeatureOptions = {}) =>
      cxl.setFeature(dev, TEST_UUID, data as Buffer, { allowKernelTaint: true, ...o });
    await expect(set(Buffer.alloc(0))).rejects.toThrow(FwctlRangeError);
    await expect(set(Buffer.alloc(5))).rejects.toThrow(/setSize 4/);
    await expect(set(Buffer.alloc(3), { offset: 2 })).rejects.toThrow(/setSize 4/);
    await expect(set(Buffer.alloc(2), { offset: 65535, scope: Scope.DebugWrite, version: 1 })).rejects.toThrow(/16-bit/);
    await expect(set('abcd')).rejects.toThrow(FwctlTypeError);
    await expect(set(Buffer.alloc(1), { version: 256 })).rejects.toThrow(FwctlRangeError);
    await expect(set(Buffer.alloc(1), { scope: 4 as Scope })).rejects.toThrow(FwctlRangeError);
    expect(fakeCxl.calls.filter((c) => c.opcode === 0x502)).toHaveLength(0);
  });

  test('the device\'s mailbox rejection: CxlMailboxError', async () => {
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.from([1, 2]), { offset: 2, allowKernelTaint: true }))
      .rejects.toMatchObject({ name: 'CxlMailboxError', returnCode: 2, returnCodeName: 'INPUT', opcode: 0x502 });
  });

  test('other errnos pass through untouched', async () => {
    handle.responder = (c) => (c.request === 0x9a00 ? fakeCxl.responder(c) : -EOPNOTSUPP);
    await expect(cxl.setFeature(dev, TEST_UUID, Buffer.from([1]), { allowKernelTaint: true, scope: 2, version: 1 }))
      .rejects.toMatchObject({ code: 'EOPNOTSUPP' });
  });
});

// ---- the CLI ----

describe('fwctl cxl', () => {
  let sys: FakeSys;
  const saved = { ...process.env };
  beforeEach(() => {
    sys = new FakeSys();
    sys.addParent('platform/cxl_mem.0/mem3', { subsystem: 'cxl' });
    sys.addFwctl('fwctl5', 'platform/cxl_mem.0/mem3', NULL_DEV.major, NULL_DEV.minor);
    fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl5'));
    process.env.FWCTL_SYSFS_ROOT = sys.sys;
    process.env.FWCTL_DEV_ROOT = sys.dev;
    setBindingForTesting(new FakeBinding(() => {
      handle = new FakeHandle(fakeCxl.responder, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]);
      return handle;
    }));
  });
  afterEach(() => {
    setBindingForTesting(undefined);
    process.env = { ...saved };
    sys.remove();
  });
  const run = cliWithStdin(Buffer.from([0xaa, 0xbb, 0xcc, 0xdd]));

  test('features: a table, and JSON, by memdev name', async () => {
    fakeCxl.features.push(testFeature({ uuid: cxl.CxlFeatureUuid.PatrolScrub }));
    const { code, io } = await run('cxl', 'features', 'mem3');
    expect(code).toBe(0);
    const lines = io.out.trim().split('\n');
    expect(lines[0]).toMatch(/^UUID +NAME +ID +GET +SET +VER +FLAGS +EFFECTS +SET SCOPE$/);
    expect(lines[1]).toMatch(/^ffffffff-ffff-ffff-ffff-ffffffffffff +- +0 +4 +4 +1\/1 +0x61 \(changeable,default-sel,saved-sel\) +0x201 \(config-change-cold-reset,effects-valid\) +debug-write$/);
    expect(lines[2]).toMatch(/^96dad7d6-\S+ +patrol-scrub +1 +4 +0 .* - \(reserved to the kernel/);
    const j = JSON.parse((await run('cxl', 'features', 'fwctl5', '--json')).io.out);
    expect(j.device).toMatch(/fwctl5$/);
    expect(j.features[0]).toMatchObject({ uuid: TEST_UUID, requiredScope: 2, flags: { raw: 0x61 } });
  });

  test('get-feature and set-feature', async () => {
    let r = await run('cxl', 'get-feature', 'mem3', TEST_UUID.toUpperCase(), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.io.out)).toMatchObject({ uuid: TEST_UUID, selection: 'current', offset: 0, length: 4, data: 'efbeadde' });
    r = await run('cxl', 'get-feature', 'mem3', TEST_UUID, '--selection', 'saved', '--offset', '1', '--length', '2');
    expect(r.io.out).toMatch(/^00000000  be ad /);
    r = await run('cxl', 'set-feature', 'mem3', TEST_UUID, '--hex', '01 02 03 04', '--allow-kernel-taint');
    expect([r.code, r.io.out]).toEqual([0, `wrote 4 bytes to feature ${TEST_UUID}\n`]);
    expect([...fakeCxl.features[0].value]).toEqual([1, 2, 3, 4]);
    r = await run('cxl', 'set-feature', 'mem3', TEST_UUID, '--in', '-', '--allow-kernel-taint', '--json');
    expect(JSON.parse(r.io.out)).toMatchObject({ written: 4 });
    expect([...fakeCxl.features[0].value]).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
  });

  test('errors: mailbox (exit 1, ERR_FWCTL_CXL_MAILBOX), too-low scope (exit 1, EINVAL), usage (exit 2)', async () => {
    let r = await run('cxl', 'get-feature', 'mem3', cxl.CxlFeatureUuid.Ecs, '--length', '4', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.io.err).error).toMatchObject({ code: 'ERR_FWCTL_CXL_MAILBOX', message: expect.stringMatching(/UNSUPPORTED/) });
    r = await run('cxl', 'set-feature', 'mem3', TEST_UUID, '--hex', '01', '--scope', 'debug-read-only');
    expect(r.code).toBe(1);
    expect(r.io.err).toMatch(/^fwctl cxl: EINVAL: .*need scope DebugWrite/);
    for (const argv of [['cxl'], ['cxl', 'frob', 'mem3'], ['cxl', 'features'], ['cxl', 'get-feature', 'mem3'],
      ['cxl', 'get-feature', 'mem3', 'nope'], ['cxl', 'get-feature', 'mem3', TEST_UUID, '--selection', 'x'],
      ['cxl', 'get-feature', 'mem3', TEST_UUID, '--length', '0'], ['cxl', 'set-feature', 'mem3', TEST_UUID],
      ['cxl', 'set-feature', 'mem3', TEST_UUID, '--hex', 'zz']]) {
      const u = await run(...argv);
      expect({ argv, code: u.code }).toEqual({ argv, code: 2 });
    }
  });
  test('features --json: every kernel-known feature read and decoded by name, with its EDAC control', async () => {
    fakeCxl.features = [testFeature(), ...knownFeatures()];
    const edac = path.join(sys.sys, 'bus', 'edac', 'devices', 'cxl_mem3');
    for (const [n, t] of [['mem_repair0', 'bank-sparing'], ['mem_repair1', 'ppr']]) {
      fs.mkdirSync(path.join(edac, n), { recursive: true });
      fs.writeFileSync(path.join(edac, n, 'repair_type'), `${t}\n`);
    }
    fs.mkdirSync(path.join(edac, 'scrub0'));
    const { code, io } = await run('cxl', 'features', 'mem3', '--json');
    expect(code).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.memdev).toBe('mem3');
    expect(j.features[0]).not.toHaveProperty('decoded');
    expect(j.features[0]).not.toHaveProperty('edac');
    const by = Object.fromEntries(j.features.slice(1).map((f: { name: string }) => [f.name, f]));
    expect(Object.keys(by).sort()).toEqual(['bank-sparing', 'cacheline-sparing', 'ecs', 'hard-ppr', 'patrol-scrub',
      'rank-sparing', 'row-sparing', 'soft-ppr']);
    for (const f of fakeCxl.features.slice(1)) {
      const n = cxl.featureName(f.uuid)!;
      expect(by[n].data).toBe(f.value.toString('hex'));
      expect(by[n].decoded).toEqual(JSON.parse(JSON.stringify(cxl.decodeFeatureData(f.uuid, f.value))));
      expect(by[n].edac.readOnlyThroughFwctl).toBe(true);
    }
    expect(by['patrol-scrub'].decoded.scrubCycle).toEqual({ raw: 0x10c, currentHours: 12, minimumHours: 1 });
    expect(by['patrol-scrub'].edac).toMatchObject({ directory: path.join(edac, 'scrub0'), present: true,
      attributes: ['enable_background', 'current_cycle_duration'] });
    expect(by['bank-sparing'].edac).toMatchObject({ directory: path.join(edac, 'mem_repair0'), present: true });
    expect(by['soft-ppr'].edac).toMatchObject({ directory: path.join(edac, 'mem_repair1'), present: true });
    expect(by['row-sparing'].edac).toMatchObject({ directory: path.join(edac, 'mem_repairN'), present: false });
    expect(by.ecs.edac).toMatchObject({ directory: path.join(edac, 'ecs_fruN'), present: false });
    expect(by['hard-ppr'].edac).toMatchObject({ directory: null, note: expect.stringMatching(/soft PPR only/) });
  });

  test('features text: the table, then each known feature\'s fields and the EDAC attributes; a failed read is shown', async () => {
    fakeCxl.features = [testFeature(), ...knownFeatures()];
    fakeCxl.features[2] = { ...fakeCxl.features[2], value: Buffer.alloc(1) }; // ECS: Get Feature fails (INPUT)
    const { code, io } = await run('cxl', 'features', 'fwctl5');
    expect(code).toBe(0);
    const out = io.out;
    expect(out).toMatch(/^UUID +NAME/);
    expect(out).toMatch(/\npatrol-scrub \(96dad7d6-fde8-482b-a733-75774e06db8a\)\n +scrub cycle changeable +yes\n(.*\n)* +scrub cycle +12 h\n +minimum scrub cycle +1 h\n +enabled +yes\n/);
    expect(out).toMatch(/read-only through fwctl .*:\n +\S*\/bus\/edac\/devices\/cxl_mem3\/scrub0\/\{enable_background,current_cycle_duration\} \(not registered for this memdev\)/);
    expect(out).toMatch(/\necs \(e5b13f22-[^)]*\)\n +value: ERR_FWCTL_CXL_MAILBOX: .*INPUT/);
    expect(out).toMatch(/\nrank-sparing \([^)]*\)\n(.*\n)* +maintenance operation class\/subclass +0x2\/0x3\n/);
    expect(out).toMatch(/\nhard-ppr [^\n]*\n(.*\n)* +.*Linux 7\.3 has no EDAC control for it/);
  });

  test('get-feature: decoded fields for a known feature (text and JSON); none for others or offset reads', async () => {
    fakeCxl.features = [testFeature(), ...knownFeatures()];
    let r = await run('cxl', 'get-feature', 'mem3', cxl.CxlFeatureUuid.Ecs, '--json');
    expect(r.code).toBe(0);
    let j = JSON.parse(r.io.out);
    expect(j).toMatchObject({ name: 'ecs', data: ECS_VALUE.toString('hex'), edac: { readOnlyThroughFwctl: true } });
    expect(j.decoded.frus.map((f: { configuration: { countMode: number } }) => f.configuration.countMode)).toEqual([1, 0]);
    r = await run('cxl', 'get-feature', 'mem3', cxl.CxlFeatureUuid.PatrolScrub);
    expect(r.io.out).toMatch(/^00000000  01 0c 01 01 .*\n\npatrol-scrub \(96dad7d6[^)]*\)\n(.*\n)* +scrub cycle +12 h\n/);
    r = await run('cxl', 'get-feature', 'mem3', cxl.CxlFeatureUuid.PatrolScrub, '--offset', '1', '--json');
    expect(JSON.parse(r.io.out)).toMatchObject({ name: 'patrol-scrub', offset: 1, decoded: null });
    r = await run('cxl', 'get-feature', 'mem3', TEST_UUID, '--json');
    j = JSON.parse(r.io.out);
    expect(j.decoded).toBeNull();
    expect(j).not.toHaveProperty('edac');
    expect(j).not.toHaveProperty('name');
  });

  test('inventory: patrol scrub cycle and ECS mode per memdev, in JSON, text and Prometheus', async () => {
    fakeCxl.features = [testFeature(), ...knownFeatures()];
    const recs = await inventory();
    expect(recs).toHaveLength(1);
    expect(recs[0].cxl).toEqual({
      featureCount: 9, features: expect.any(Array),
      patrolScrub: { cycleHours: 12, minCycleHours: 1, enabled: true, cycleChangeable: true },
      ecs: { logEntryType: 1, frus: [{ fru: 0, mode: 1, modeName: 'codewords', threshold: 256 },
        { fru: 1, mode: 0, modeName: 'rows', threshold: 4096 }] },
    });
    const prom = toPrometheus(recs);
    expect(prom).toContain('fwctl_cxl_patrol_scrub_cycle_seconds{device="fwctl5",memdev="mem3"} 43200\n');
    expect(prom).toContain('fwctl_cxl_patrol_scrub_min_cycle_seconds{device="fwctl5",memdev="mem3"} 3600\n');
    expect(prom).toContain('fwctl_cxl_patrol_scrub_enabled{device="fwctl5",memdev="mem3"} 1\n');
    expect(prom).toContain('fwctl_cxl_ecs_mode{device="fwctl5",memdev="mem3",fru="0"} 1\n');
    expect(prom).toContain('fwctl_cxl_ecs_mode{device="fwctl5",memdev="mem3",fru="1"} 0\n');
    expect(prom).toContain('fwctl_cxl_ecs_threshold{device="fwctl5",memdev="mem3",fru="1"} 4096\n');
    expect(prom.match(/^# HELP fwctl_cxl_ecs_mode /gm)).toHaveLength(1);
    const t = await run('inventory');
    expect(t.io.out).toMatch(/fwctl5 .*9 features: .*; patrol scrub 12 h \(enabled\); ecs counts codewords\/rows\n/);
    const p = await run('inventory', '--prometheus');
    expect(p.io.out).toContain('fwctl_cxl_ecs_threshold{device="fwctl5",memdev="mem3",fru="0"} 256\n');
  });

  test('inventory: a patrol scrub read that fails is recorded, the rest still reported', async () => {
    fakeCxl.features = [testFeature(), ...knownFeatures()];
    fakeCxl.features[1] = { ...fakeCxl.features[1], getSize: 2, value: Buffer.from([1, 12]) }; // shorter than its layout
    fakeCxl.features[2] = { ...fakeCxl.features[2], value: Buffer.alloc(1) }; // ECS read fails (INPUT)
    const [r] = await inventory();
    expect(r.error).toBeNull();
    expect(r.cxl?.patrolScrub).toBeUndefined();
    expect(r.cxl?.ecs).toBeUndefined();
    expect(r.cxl?.featureErrors).toEqual([
      { name: 'patrol-scrub', code: 'ERR_FWCTL_DECODE', message: expect.stringMatching(/shorter than its layout/) },
      { name: 'ecs', code: 'ERR_FWCTL_CXL_MAILBOX', message: expect.stringMatching(/INPUT/) },
    ]);
    expect(toPrometheus([r])).not.toContain('patrol_scrub');
  });
});
