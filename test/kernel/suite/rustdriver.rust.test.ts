// What only the Rust driver (test/kernel/rust, on the kernel's Rust fwctl
// abstraction rust/kernel/fwctl.rs) can show: both FwRpcResponse forms at
// their edges, the abstraction's own in-place length check, and unloading the
// module with fds open and an RPC in flight. Runs in the rust boot only
// (scripts/test.js: *.rust.test.js), next to core, lifecycle and concurrency,
// which run there unchanged against this driver.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const cfg = { scope: fwctl.Scope.Configuration, responseLength: 64 };

test('the kernel runs the Rust driver on the Rust fwctl abstraction', () => {
  expect(mock.DRIVER).toBe('rust');
  expect(fs.readFileSync('/proc/modules', 'utf8')).toMatch(/^fwctl_rust_mock /m);
  // Loaded with ndevs=1: one device at load, under a faux parent.
  const devs = mock.devices();
  expect(devs.length).toBeGreaterThanOrEqual(1);
  expect(devs[0].parent).toMatch(/^fwctl-rust\d+$/);
  expect(fs.realpathSync(`/sys/class/fwctl/${devs[0].name}/device/subsystem`)).toBe('/sys/bus/faux');
});

describe('FwRpcResponse', () => {
  let m: mock.MockDevice;
  let d: fwctl.Device;
  beforeAll(async () => {
    m = mock.add();
    d = await fwctl.open(m.name);
  });
  afterAll(async () => {
    await d.close();
    mock.del(m.name);
  });

  test('NewBuffer: a 64 KiB answer to a 16-byte request comes back whole (the core kvfree()s the driver buffer)', async () => {
    const res = await d.rpc(mock.request(mock.Op.Fill, 65536), { scope: 0, responseLength: 65536 });
    expect(res.length).toBe(65536);
    expect(Buffer.from(res.response).equals(mock.fillPattern(65536))).toBe(true);
  });

  test('NewBuffer empty: the abstraction hands the core NULL, length 0', async () => {
    const res = await d.rpc(mock.request(mock.Op.Fill, 0), cfg);
    expect(res.length).toBe(0);
    expect(res.response.length).toBe(0);
    expect(res.truncated).toBe(false);
  });

  test('InPlace(n) with n <= in_len: the first n bytes of the request buffer', async () => {
    const req = mock.request(mock.Op.InPlace, 20, Buffer.from('abcdefgh'));
    const res = await d.rpc(req, cfg);
    expect(res.length).toBe(20);
    expect(Buffer.from(res.response)).toEqual(req.subarray(0, 20));
    const whole = d.rpcSync(mock.request(mock.Op.InPlace, 24, Buffer.from('abcdefgh')), cfg);
    expect(whole.length).toBe(24);
  });

  test('InPlace(n) with n > in_len is EINVAL from the abstraction, and the driver did run', async () => {
    const count = () => Buffer.from(d.rpcSync(mock.request(mock.Op.Scope), cfg).response).readUInt32LE(8);
    const before = count();
    const req = mock.request(mock.Op.InPlace, 25, Buffer.from('abcdefgh')); // in_len 24
    expect(() => d.rpcSync(req, cfg)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    await expect(d.rpc(mock.request(mock.Op.InPlace, 1 << 20), cfg)).rejects.toMatchObject({ code: 'EINVAL' });
    // Both calls reached fw_rpc (the counter moved): the EINVAL is the abstraction's check on the answer.
    expect(count()).toBe(before + 3);
    mock.difference('FwRpcResponse::InPlace', 'an in-place answer longer than the request is EINVAL from rust/kernel/fwctl.rs; the C core (drivers/fwctl/main.c) trusts a C driver\'s out_len there and would copy past the request buffer');
  });

  test('the driver sees the scope as fwctl::RpcScope and counts per fd as the C mock does', async () => {
    await using other = await fwctl.open(m.name);
    const a = Buffer.from(d.rpcSync(mock.request(mock.Op.Scope), { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 }).response);
    const b = Buffer.from(other.rpcSync(mock.request(mock.Op.Scope), cfg).response);
    expect(a.readUInt32LE(0)).toBe(fwctl.Scope.DebugReadOnly);
    expect(a.readUInt32LE(12)).toBe(mock.DEFAULT_TYPE);
    expect(b.readUInt32LE(8)).toBe(1); // a new fd: its first RPC
    expect(b.readUInt32LE(4)).toBeGreaterThan(a.readUInt32LE(4));
  });
});

test('rmmod with an fd open and a SLEEP in flight: the RPC finishes, then ENODEV, re-open ENOENT; the module loads again', () => {
  const probe = process.env.FWCTL_PROBE;
  const ko = process.env.FWCTL_MOCK_KO;
  if (!probe || !ko) throw new Error('FWCTL_PROBE and FWCTL_MOCK_KO must be set by the harness');
  const m = mock.add();
  const out = execFileSync(probe, [`/dev/fwctl/${m.name}`, 'unplug', `rmmod:${mock.MODULE}`, '500'], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  expect(r).toMatchObject({ del_errno: 0, inflight_sleep_errno: 0, info_after: 'ENODEV', rpc_after: 'ENODEV', reopen: 'ENOENT' });
  // delete_module returned only after the in-flight SLEEP (500 ms, entered ~100 ms before).
  expect(r.del_ms).toBeGreaterThan(200);
  expect(fs.readFileSync('/proc/modules', 'utf8')).not.toMatch(/^fwctl_rust_mock /m);
  execFileSync('/bin/busybox', ['insmod', ko]);
  expect(mock.devices()).toHaveLength(1);
});
