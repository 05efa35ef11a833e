// Record and replay on the host: a program runs over a fake sysfs and a fake
// binding while it is recorded (the recorder observes the binding the
// backend hands device.ts), then runs again from the transcript alone, the
// fake sysfs deleted: deep-equal results, the same FwctlErrors, attachments
// written back, sync and async; a changed request fails naming the call,
// its position and the first differing byte; mode 'match'; verify();
// useTranscript(); redaction.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import { installBackend } from '../../lib/backend';
import { splitRdev } from '../../lib/device';
import { readTranscript } from '../../lib/transcript';
import { plain } from '../fixtures/session';
import { FakeBinding, FakeHandle, type IoctlCall } from './helpers/fake-binding';
import { FakeSys } from './helpers/fake-sysfs';

const NULL_DEV = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
const S_IFCHR = fs.constants.S_IFCHR;
const ENODEV = os.constants.errno.ENODEV;
const LE = os.endianness() === 'LE';

const setU32 = (a: Uint8Array, off: number, v: number) => new DataView(a.buffer, a.byteOffset, a.byteLength).setUint32(off, v, LE);

/** The fake kernel: answers by the request's first byte. */
function respond(c: IoctlCall): number {
  if (c.request === 0x9a00) {
    const data = c.buffers[0];
    data.set([1, 2, 3, 4, 5, 6, 7, 8].slice(0, data.byteLength));
    setU32(c.arg, 8, 0x77); // a type this package does not know
    setU32(c.arg, 12, 8);
    return 0;
  }
  const [req, res] = c.buffers;
  switch (req[0]) {
    case 1: res.set([0xaa, 0xbb, 0xcc].slice(0, res.byteLength)); setU32(c.arg, 12, 3); return 0;
    case 2: res.fill(0x11); setU32(c.arg, 12, 100); return 0; // longer than asked: truncated
    case 3: return -ENODEV;
    case 4: c.buffers[2].fill(0x5a); setU32(c.arg, 12, 0); return 0; // writes the 'out' attachment
    default: return -os.constants.errno.EINVAL;
  }
}

let sys: FakeSys;
let dir: string;
beforeEach(() => {
  sys = new FakeSys();
  sys.addParent('pci0000:00/0000:00:10.0', { subsystem: 'pci', driver: 'fake_drv', net: ['eth7'] });
  sys.addFwctl('fwctl0', 'pci0000:00/0000:00:10.0', NULL_DEV.major, NULL_DEV.minor);
  fs.symlinkSync('/dev/null', path.join(sys.dev, 'fwctl', 'fwctl0'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-rr-'));
});
afterEach(() => {
  sys.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

const attach = (b: Uint8Array) => [{ at: 8, buffer: b, direction: 'out' as const, length: { at: 16, width: 4 as const } }];

/** The program under test: discovery, open, info, rpc (sync, async, truncated, attachments, errors), close. */
async function program(roots: fwctl.Roots, variant = 0): Promise<unknown> {
  const out: Record<string, unknown> = {};
  const attempt = async (f: () => unknown) => {
    try {
      return { ok: await f() };
    } catch (e) {
      return { threw: e };
    }
  };
  out.list = fwctl.listSync(roots);
  out.find = await fwctl.find({ pci: '00:10.0' }, roots);
  out.findNet = fwctl.findSync({ name: 'eth7' }, roots);
  const d = fwctl.openSync('fwctl0', roots);
  out.info = d.infoSync();
  out.infoAsync = await d.info();
  out.typeId = d.typeId;
  out.rpc = d.rpcSync(Buffer.from([1, variant, 0, 0]), { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 });
  out.rpcAsync = await d.rpc(Buffer.from([1, 0, 0, 0]), { scope: fwctl.Scope.Configuration, responseLength: 2 });
  out.truncated = await d.rpc(Buffer.from([2]), { scope: fwctl.Scope.DebugReadOnly, responseLength: 8 });
  const b = new Uint8Array(32), c = new Uint8Array(32);
  out.attachSync = d.rpcSync(Buffer.alloc(24, 4), { scope: fwctl.Scope.DebugReadOnly, attach: attach(b) });
  out.attachAsync = await d.rpc(Buffer.alloc(24, 4), { scope: fwctl.Scope.DebugReadOnly, attach: attach(c) });
  out.buffers = [b, c];
  out.enodev = await attempt(() => d.rpc(Buffer.from([3]), { scope: fwctl.Scope.DebugReadOnly }));
  out.enodevSync = await attempt(() => d.rpcSync(Buffer.from([3]), { scope: fwctl.Scope.DebugReadOnly }));
  out.einval = await attempt(() => d.rpcSync(Buffer.from([9]), { scope: fwctl.Scope.DebugReadOnly }));
  out.refused = await attempt(() => d.rpcSync(Buffer.from([1]), { scope: fwctl.Scope.DebugWrite }));
  await d.close();
  out.missing = await attempt(() => fwctl.open('fwctl5', roots));
  return plain(out);
}

/** Record `program` over the fakes into `file`. */
async function recordProgram(file: string, options: fwctl.RecordOptions = {}): Promise<unknown> {
  const fake = new FakeBinding(() => new FakeHandle(respond, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]));
  const removeFake = installBackend({ binding: () => fake }, true);
  const rec = fwctl.record(file, options);
  try {
    return await program(sys.roots);
  } finally {
    rec.stop();
    removeFake();
  }
}

describe('record', () => {
  test('the transcript: a header, the devices, the sysfs reads, every call with the kernel\'s answers', async () => {
    const file = path.join(dir, 't.jsonl');
    await recordProgram(file);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ t: 'header', format: 'fwctl-transcript', version: 1, host: { kernel: os.release() }, package: { name: 'fwctl' } });
    const t = readTranscript(file);
    expect(t.devices).toEqual([{ t: 'device', name: 'fwctl0', path: path.join(sys.dev, 'fwctl', 'fwctl0'),
      parent: { name: '0000:00:10.0', subsystem: 'pci', driver: 'fake_drv', pciAddress: '0000:00:10.0' },
      // completed by a second line after the first FWCTL_INFO
      type: 'unknown', typeId: 0x77, deviceData: '0102030405060708' }]);
    expect(lines.filter((l) => l.t === 'device')).toHaveLength(2);
    expect(t.sys.some((s) => s.op === 'stat')).toBe(true);
    expect(t.calls.map((c) => c.t)).toEqual(['open', 'info', 'info', ...Array(8).fill('rpc'), 'close']);
    const rpc = t.calls.filter((c) => c.t === 'rpc');
    expect(rpc[0]).toMatchObject({ sync: true, scope: 1, request: '01000000', responseLength: 16, length: 3, response: 'aabbcc' });
    expect(rpc[2]).toMatchObject({ sync: false, length: 100, response: '1111111111111111' });
    expect(rpc[3]).toMatchObject({ attach: [{ spec: [8, 16, 4, 1, 0, 2], length: 32, out: '5a'.repeat(32) }] });
    expect(rpc[5]).toMatchObject({ errno: 'ENODEV' });
    expect(rpc[7]).toMatchObject({ errno: 'EINVAL' });
    // the EPERM refusal never reached the binding: not a call
    expect(rpc).toHaveLength(8);
    expect(t.calls.find((c) => c.t === 'info')).toMatchObject({ length: 256, result: 8, data: '0102030405060708', typeId: 0x77 });
  });

  test('FWCTL_RECORD in a child: every line is on disk when the process exits right after a call', () => {
    // (The child replays a transcript, so it needs no device; what it records is what it was answered.)
    const src = path.join(dir, 'src.jsonl');
    return recordProgram(src).then(() => {
      const out = path.join(dir, 'child.jsonl');
      const script = `const f=require(${JSON.stringify(path.join(__dirname, '../../lib'))});` +
        `const d=f.openSync('fwctl0',{devRoot:${JSON.stringify(sys.dev)},sysfsRoot:${JSON.stringify(sys.sys)}});d.infoSync();process.exit(0);`;
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, FWCTL_REPLAY: src, FWCTL_REPLAY_MODE: 'match', FWCTL_RECORD: out }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const t = readTranscript(out);
      expect(t.calls.map((c) => c.t)).toEqual(['open', 'info']);
    });
  });
});

describe('replay', () => {
  let file: string;
  let recorded: unknown;
  beforeEach(async () => {
    file = path.join(dir, 't.jsonl');
    recorded = await recordProgram(file);
  });

  test('the same results, errors and attachment bytes from the transcript alone (no sysfs, no device node)', async () => {
    const roots = sys.roots;
    sys.remove();
    const r = fwctl.replay(file);
    try {
      expect(await program(roots)).toEqual(recorded);
      expect(r.remaining).toBe(0);
      r.verify();
    } finally {
      r.stop();
    }
    const res = recorded as Record<string, any>;
    expect(res.enodev.threw).toMatchObject({ error: 'FwctlError', code: 'ENODEV', syscall: 'ioctl(FWCTL_RPC)' });
    expect(res.buffers[0].hex).toBe('5a'.repeat(32));
    expect(res.truncated).toMatchObject({ length: 100, truncated: true });
  });

  test('a recorded error replays as a FwctlError instance', async () => {
    const r = fwctl.replay(file, { mode: 'match' });
    try {
      const d = fwctl.openSync('fwctl0', sys.roots);
      let err: unknown;
      try {
        d.rpcSync(Buffer.from([3]), { scope: fwctl.Scope.DebugReadOnly });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(fwctl.FwctlError);
      expect(err).toMatchObject({ code: 'ENODEV', errno: -ENODEV });
    } finally {
      r.stop();
    }
  });

  test('a changed request fails at once, naming the call, its position and the first differing byte', async () => {
    const r = fwctl.replay(file);
    try {
      await expect(program(sys.roots, 9)).rejects.toThrow(
        /rpc request 0x901 \(scope 1\) on .*fwctl0 is the 4th call on this device \(seq \d+\): the request differs at byte 1 \(this call 0x09, the transcript 0x00; lengths 4 and 4\)/);
      await expect(program(sys.roots, 9)).rejects.toBeInstanceOf(fwctl.ReplayMismatch);
    } finally {
      r.stop();
    }
  });

  test('strict order: a call out of order names what the transcript has there', async () => {
    const r = fwctl.replay(file);
    try {
      const d = fwctl.openSync('fwctl0', sys.roots);
      expect(() => d.rpcSync(Buffer.from([1, 0, 0, 0]), { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 }))
        .toThrow(/is the 2nd call on this device; the transcript has info on handle 1 there/);
    } finally {
      r.stop();
    }
  });

  test('mode match: calls in another order are found by their request bytes', async () => {
    const r = fwctl.replay(file, { mode: 'match' });
    try {
      const d = fwctl.openSync('fwctl0', sys.roots);
      expect((await d.rpc(Buffer.from([2]), { scope: fwctl.Scope.DebugReadOnly, responseLength: 8 })).length).toBe(100);
      expect(d.rpcSync(Buffer.from([1, 0, 0, 0]), { scope: fwctl.Scope.DebugReadOnly, responseLength: 16 }).response).toEqual(Buffer.from([0xaa, 0xbb, 0xcc]));
      expect(() => d.rpcSync(Buffer.from([7]), { scope: fwctl.Scope.DebugReadOnly })).toThrow(/mode match.*is not in the transcript/);
      expect(() => r.verify()).toThrow(/call\(s\) of the transcript were not made/);
    } finally {
      r.stop();
    }
  });

  test('stop() gives the calls back to the previous backend', async () => {
    const r = fwctl.replay(file);
    r.stop();
    const fake = new FakeBinding(() => new FakeHandle(respond, [S_IFCHR | 0o600, NULL_DEV.major, NULL_DEV.minor]));
    const remove = installBackend({ binding: () => fake }, true);
    try {
      fwctl.openSync('fwctl0', sys.roots).closeSync();
      expect(fake.opened).toHaveLength(1);
    } finally {
      remove();
    }
  });
});

describe('useTranscript (the test helper)', () => {
  test('registers a fresh replay per test and verifies it afterwards', async () => {
    const file = path.join(dir, 't.jsonl');
    const recorded = await recordProgram(file);
    const hooks: { before?: () => void; after?: () => void } = {};
    const current = fwctl.useTranscript(file, { hooks: { beforeEach: (f) => { hooks.before = f; }, afterEach: (f) => { hooks.after = f; } } });
    hooks.before!();
    expect(await program(sys.roots)).toEqual(recorded);
    expect(current().remaining).toBe(0);
    hooks.after!();
    // A test that made fewer calls fails in afterEach.
    hooks.before!();
    fwctl.listSync(sys.roots);
    expect(() => hooks.after!()).toThrow(/call\(s\) of the transcript were not made; the first: open/);
  });
});

describe('redaction', () => {
  test('values given to redact are replaced everywhere, consistently, with stand-ins of the same length', async () => {
    const file = path.join(dir, 't.jsonl');
    await recordProgram(file, { redactValues: ['fake_drv', '0000:00:10.0'] });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('fake_drv');
    expect(text).not.toContain('0000:00:10.0');
    expect(readTranscript(file).header.redacted).toEqual({ value: 2 });
    const t = readTranscript(file);
    expect(t.devices[0].parent!.driver).toHaveLength('fake_drv'.length);
    // consistent: the replayed parent is the same stand-in in list() and find()
    const r = fwctl.replay(file, { mode: 'match' });
    try {
      const [e] = fwctl.listSync(sys.roots);
      expect(e.parent!.pciAddress).toBe(e.parent!.name);
      expect(e.parent!.pciAddress).toMatch(/^REDACTED-VAL/);
    } finally {
      r.stop();
    }
  });

  test('per-type knowledge: mlx5 QUERY_ADAPTER PSID and VSD, bnxt FUNC_QCAPS MAC', () => {
    const { secretsOfCall } = require('../../lib/redact') as typeof import('../../lib/redact');
    const q = Buffer.alloc(16);
    q.writeUInt16BE(0x101, 0);
    const out = Buffer.alloc(16 + 0x100);
    out.write('MT_1234567890', 16 + 0xf0);
    out.write('my vendor data', 16 + 0x20);
    expect(secretsOfCall(1, q, out).map((s) => [s.kind, s.bytes.toString()])).toEqual([['psid', 'MT_1234567890'], ['vsd', 'my vendor data']]);
    const b = Buffer.alloc(24);
    b.writeUInt16LE(0x15, 0);
    const bo = Buffer.alloc(64);
    bo.set([0x00, 0x10, 0x18, 0xaa, 0xbb, 0xcc], 16);
    expect(secretsOfCall(3, b, bo).map((s) => [s.kind, s.bytes.toString('hex')])).toEqual([['mac', '001018aabbcc']]);
  });
});
