// The fwctl core's rules and the package's ioctl paths, against the real
// kernel in the test VM with the project's mock driver: the C mock in the
// main boot, the Rust one (FWCTL_MOCK_DRIVER=rust) in the rust boot.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';
import { FwctlRangeError } from '../../../lib/errors';

const MiB2 = 2 * 1024 * 1024;

let dev: mock.MockDevice;
beforeAll(() => {
  dev = mock.add({ datalen: 16 });
});
afterAll(() => {
  mock.del(dev.name);
});

describe('raw core rules (C probe, the cases the package refuses to send)', () => {
  const probe = process.env.FWCTL_PROBE;
  let results: Record<string, { errno: number; name: string }>;
  beforeAll(() => {
    if (!probe) throw new Error('FWCTL_PROBE is not set: the harness must build test/kernel/probe');
    const out = execFileSync(probe, [`/dev/fwctl/${dev.name}`, 'all'], { encoding: 'utf8' });
    results = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const r = JSON.parse(line);
      results[r.case] = r;
    }
  });
  // Each case and the errno drivers/fwctl/main.c gives for it.
  const expected: Array<[string, string]> = [
    ['enotty', 'ENOTTY'],
    ['size_below_min', 'EINVAL'],
    ['zero_tail', 'OK'],
    ['nonzero_tail', 'E2BIG'],
    ['info_flags', 'EOPNOTSUPP'],
    ['bad_scope', 'EOPNOTSUPP'],
    ['in_len_2m', 'EMSGSIZE'],
    ['out_len_2m', 'EMSGSIZE'],
    ['efault', 'EFAULT'],
  ];
  test.each(expected)('%s -> %s', (name, errname) => {
    expect(results[name]).toBeDefined();
    expect(results[name].name).toBe(errname);
  });
});

describe('info()', () => {
  test('reports the type number and the whole device_data', async () => {
    await using d = await fwctl.open(dev.name);
    const info = await d.info();
    expect(info.typeId).toBe(mock.DEFAULT_TYPE);
    if (mock.DRIVER === 'rust') {
      expect(info.type).toBe('cxl');
      mock.difference('info()', `the default device reports type ${info.typeId} (cxl), not an unknown number: fwctl::DeviceType has only Mlx5, Cxl, Bnxt and Pds`);
    } else {
      expect(info.type).toBe('unknown');
    }
    expect(Buffer.from(info.data)).toEqual(mock.infoPattern(16));
    expect(d.infoSync()).toEqual(info);
  });

  test.each([0, 1, 255, 256, 257, 5 * 1024, 64 * 1024])(
    'device_data of %i bytes comes back whole (size retry past any first guess)',
    async (datalen) => {
      const big = mock.add({ datalen });
      try {
        using d = fwctl.openSync(`/dev/fwctl/${big.name}`);
        const sync = d.infoSync();
        expect(sync.data.length).toBe(datalen);
        // Buffer.equals, not toEqual: jest's deep compare of 64 KiB is slow under emulation.
        expect(Buffer.from(sync.data).equals(mock.infoPattern(datalen))).toBe(true);
        const async = await d.info();
        expect(Buffer.from(async.data).equals(mock.infoPattern(datalen))).toBe(true);
      } finally {
        mock.del(big.name);
      }
    },
  );

  test.each([
    [1, 'mlx5'],
    [2, 'cxl'],
    [3, 'bnxt'],
    [4, 'pds'],
    [0, 'error'],
    [5, 'unknown'],
  ])('type number %i reads as %s', async (type, name) => {
    if (!mock.canRegisterType(type)) {
      // The Rust driver cannot register it: its add is refused before any registration.
      expect(() => mock.add({ type, datalen: 0 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(mock.devices().some((d) => d.type === type)).toBe(false);
      mock.difference(`type number ${type}`, `a Rust driver cannot register a device of type ${type} (${name}): fwctl::DeviceType is a closed enum without ERROR or unknown numbers, which the C core and UAPI allow`);
      return;
    }
    const t = mock.add({ type, datalen: 0 });
    try {
      using d = fwctl.openSync(t.name);
      const info = d.infoSync();
      expect(info.typeId).toBe(type);
      expect(info.type).toBe(name);
    } finally {
      mock.del(t.name);
    }
  });
});

describe('rpc()', () => {
  let d: fwctl.Device;
  beforeAll(async () => {
    d = await fwctl.open(dev.name);
  });
  afterAll(async () => {
    await d.close();
  });

  test('echo and transform round-trip, sync and async', async () => {
    const payload = Buffer.from('hello, firmware');
    const inverted = Buffer.from(payload.map((b) => ~b & 0xff));
    const opts = { scope: fwctl.Scope.Configuration, responseLength: 64 };
    const a = await d.rpc(mock.request(mock.Op.Echo, 0, payload), opts);
    expect(Buffer.from(a.response)).toEqual(payload);
    expect(a.length).toBe(payload.length);
    expect(a.truncated).toBe(false);
    const s = d.rpcSync(mock.request(mock.Op.Transform, 0, payload), opts);
    expect(Buffer.from(s.response)).toEqual(inverted);
    expect(s.length).toBe(payload.length);
  });

  test('a response larger than responseLength is truncated, and says so', async () => {
    for (const call of [
      (r: Buffer) => d.rpc(r, { scope: fwctl.Scope.DebugReadOnly, responseLength: 100 }),
      async (r: Buffer) => d.rpcSync(r, { scope: fwctl.Scope.DebugReadOnly, responseLength: 100 }),
    ]) {
      const res = await call(mock.request(mock.Op.Fill, 1000));
      expect(res.length).toBe(1000);
      expect(res.truncated).toBe(true);
      expect(res.response.length).toBe(100);
      expect(Buffer.from(res.response)).toEqual(mock.fillPattern(1000).subarray(0, 100));
    }
  });

  test('a shorter response gives exactly the bytes the kernel wrote', async () => {
    const res = await d.rpc(mock.request(mock.Op.Fill, 10), {
      scope: fwctl.Scope.Configuration,
      responseLength: 4096,
    });
    expect(res.response.length).toBe(10);
    expect(Buffer.from(res.response)).toEqual(mock.fillPattern(10));
    expect(res.truncated).toBe(false);
  });

  test('the driver sees the scope the caller chose', async () => {
    for (const scope of [fwctl.Scope.Configuration, fwctl.Scope.DebugReadOnly]) {
      const res = d.rpcSync(mock.request(mock.Op.Scope), { scope, responseLength: 16 });
      expect(Buffer.from(res.response).readUInt32LE(0)).toBe(scope);
    }
  });

  test('each open() gets its own driver context', async () => {
    await using other = await fwctl.open(dev.name);
    const opts = { scope: fwctl.Scope.Configuration, responseLength: 16 };
    const a = Buffer.from(d.rpcSync(mock.request(mock.Op.Scope), opts).response);
    const b = Buffer.from(other.rpcSync(mock.request(mock.Op.Scope), opts).response);
    expect(a.readUInt32LE(4)).not.toBe(b.readUInt32LE(4));
  });

  test('2 MiB request and response (the kernel limit) round-trip', async () => {
    const payload = Buffer.alloc(MiB2 - mock.HEADER);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const opts = { scope: fwctl.Scope.Configuration, responseLength: MiB2 };
    const s = d.rpcSync(mock.request(mock.Op.Echo, 0, payload), opts);
    expect(Buffer.compare(Buffer.from(s.response), payload)).toBe(0);
    const a = await d.rpc(mock.request(mock.Op.Echo, 0, payload), opts);
    expect(Buffer.compare(Buffer.from(a.response), payload)).toBe(0);
  });

  test('requests and responses over 2 MiB are refused before the syscall', async () => {
    const before = d.rpcSync(mock.request(mock.Op.Scope), { scope: 0, responseLength: 16 });
    const count = (r: fwctl.RpcResult) => Buffer.from(r.response).readUInt32LE(8);
    expect(() => d.rpcSync(Buffer.alloc(MiB2 + 1), { scope: fwctl.Scope.Configuration })).toThrow(FwctlRangeError);
    await expect(
      d.rpc(mock.request(mock.Op.Echo), { scope: fwctl.Scope.Configuration, responseLength: MiB2 + 1 }),
    ).rejects.toThrow(FwctlRangeError);
    const after = d.rpcSync(mock.request(mock.Op.Scope), { scope: 0, responseLength: 16 });
    // The driver counted exactly one RPC in between: the refused ones never reached it.
    expect(count(after)).toBe(count(before) + 1);
  });

  test.each(['EINVAL', 'EIO', 'ETIMEDOUT', 'EBADMSG', 'ENOMEM', 'EOPNOTSUPP'])(
    'a driver error %s surfaces as a typed FwctlError',
    async (name) => {
      const errno = (os.constants.errno as Record<string, number>)[name];
      const req = mock.request(mock.Op.Fail, errno);
      const opts = { scope: fwctl.Scope.Configuration };
      let err: unknown;
      try {
        d.rpcSync(req, opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(fwctl.FwctlError);
      expect((err as fwctl.FwctlError).code).toBe(name);
      expect((err as fwctl.FwctlError).errno).toBe(-errno);
      expect((err as fwctl.FwctlError).syscall).toBe('ioctl(FWCTL_RPC)');
      await expect(d.rpc(req, opts)).rejects.toMatchObject({ code: name, errno: -errno, path: `/dev/fwctl/${dev.name}` });
    },
  );

  test('a request shorter than the mock header is the driver\'s EINVAL', () => {
    expect(() => d.rpcSync(Buffer.alloc(4), { scope: fwctl.Scope.Configuration })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  test('zero-length requests reach the driver (its answer is the error)', async () => {
    await expect(d.rpc(new Uint8Array(0), { scope: fwctl.Scope.Configuration })).rejects.toMatchObject({
      code: 'EINVAL',
    });
  });
});
