// Discovery, open() safety, close() with calls in flight, hot-unplug and
// fd hygiene, against the real fwctl core in the test VM.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import * as mock from '../mock/protocol';

const cfg = { scope: fwctl.Scope.Configuration, responseLength: 64 };

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-'));
}

/** The driver's per-fd RPC counter: proves whether a call reached the kernel. */
function rpcCount(d: fwctl.Device): number {
  return Buffer.from(d.rpcSync(mock.request(mock.Op.Scope), cfg).response).readUInt32LE(8);
}

describe('list()', () => {
  test('finds every mock device, in numeric order, with its faux parent', async () => {
    const added = [mock.add(), mock.add(), mock.add()];
    try {
      const listed = await fwctl.list();
      expect(fwctl.listSync()).toEqual(listed);
      const names = listed.map((d) => d.name);
      const numbers = names.map((n) => Number(n.slice('fwctl'.length)));
      expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
      for (const m of added) {
        const entry = listed.find((d) => d.name === m.name);
        expect(entry).toBeDefined();
        expect(entry!.path).toBe(`/dev/fwctl/${m.name}`);
        expect(entry!.parent?.subsystem).toBe('faux');
        expect(path.basename(entry!.parent!.sysfsPath)).toBe(m.parent);
        const st = fs.statSync(entry!.path);
        expect(entry!.major).toBe(Math.floor(st.rdev / 256) & 0xfff);
        expect(entry!.minor).toBe((st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
      }
    } finally {
      added.forEach((m) => mock.del(m.name));
    }
  });
});

describe('open() refuses what is not a fwctl device, before any ioctl', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratch();
  });

  test.each([
    ['a symlink to /dev/null', (p: string) => fs.symlinkSync('/dev/null', p)],
    ['a symlink to /dev/zero', (p: string) => fs.symlinkSync('/dev/zero', p)],
    ['a regular file', (p: string) => fs.writeFileSync(p, 'x')],
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a directory', (p: string) => fs.mkdirSync(p)],
  ])('%s', async (_what, make) => {
    const p = path.join(dir, `node-${Math.random().toString(36).slice(2)}`);
    make(p);
    expect(() => fwctl.openSync(p)).toThrow(fwctl.FwctlError);
    await expect(fwctl.open(p)).rejects.toThrow(fwctl.FwctlError);
  });

  test('a missing device is ENOENT', async () => {
    await expect(fwctl.open('fwctl4095')).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
  });

  test('names with path tricks are refused', () => {
    expect(() => fwctl.openSync('../fwctl/fwctl0')).toThrow();
    expect(() => fwctl.openSync('fwctl0/..')).toThrow();
  });

  test('a symlink to a real fwctl device is followed', () => {
    const m = mock.add();
    try {
      const link = path.join(dir, `link-${m.name}`);
      fs.symlinkSync(`/dev/fwctl/${m.name}`, link);
      using d = fwctl.openSync(link);
      expect(d.infoSync().typeId).toBe(mock.DEFAULT_TYPE);
    } finally {
      mock.del(m.name);
    }
  });
});

describe('close()', () => {
  test('is idempotent, and later calls fail with ERR_FWCTL_CLOSED without a syscall', async () => {
    const m = mock.add();
    try {
      const d = await fwctl.open(m.name);
      await d.close();
      await d.close();
      d.closeSync();
      expect(() => d.infoSync()).toThrow(expect.objectContaining({ code: 'ERR_FWCTL_CLOSED', errno: undefined, syscall: undefined }));
      await expect(d.rpc(mock.request(mock.Op.Echo), cfg)).rejects.toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
    } finally {
      mock.del(m.name);
    }
  });

  test('with 100 RPCs in flight: every call settles, no crash, fd released', async () => {
    const m = mock.add();
    try {
      const d = await fwctl.open(m.name);
      expect(mock.openFdsTo(m.name)).toBe(1);
      const calls = Array.from({ length: 100 }, (_, i) =>
        d.rpc(mock.request(mock.Op.Sleep, i % 10 === 0 ? 50 : 1, Buffer.from([i])), cfg),
      );
      const closing = d.close();
      const settled = await Promise.allSettled(calls);
      await closing;
      for (const [i, s] of settled.entries()) {
        if (s.status === 'fulfilled') expect(Buffer.from(s.value.response)).toEqual(Buffer.from([i]));
        else expect(s.reason).toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
      }
      expect(mock.openFdsTo(m.name)).toBe(0);
      await expect(d.info()).rejects.toMatchObject({ code: 'ERR_FWCTL_CLOSED' });
    } finally {
      mock.del(m.name);
    }
  });
});

describe('hot-unplug', () => {
  test('orphaned handles get the typed ENODEV; close still works; re-open is ENOENT', async () => {
    const m = mock.add();
    const d = await fwctl.open(m.name);
    expect(rpcCount(d)).toBe(1);
    mock.del(m.name);
    expect(() => d.infoSync()).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    const err = await d.rpc(mock.request(mock.Op.Echo), cfg).catch((e) => e);
    expect(err).toBeInstanceOf(fwctl.FwctlError);
    expect(err.code).toBe('ENODEV');
    expect(err.message).toMatch(/unplug|orphan|removed/i);
    await d.close();
    await expect(fwctl.open(m.name)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('unplug while RPCs are in flight: they finish, later calls get ENODEV', async () => {
    const m = mock.add();
    const d = await fwctl.open(m.name);
    const inflight = Array.from({ length: 4 }, (_, i) => d.rpc(mock.request(mock.Op.Sleep, 300, Buffer.from([i])), cfg));
    // Give the calls time to enter the kernel; unregister waits for them.
    await new Promise((r) => setTimeout(r, 100));
    mock.del(m.name);
    const settled = await Promise.allSettled(inflight);
    for (const s of settled) {
      if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'ENODEV' });
    }
    await expect(d.info()).rejects.toMatchObject({ code: 'ENODEV' });
    d.closeSync();
  });

  test('a device registered while a stale fd is open gets a new number that list() finds', async () => {
    const m = mock.add();
    const stale = await fwctl.open(m.name);
    mock.del(m.name);
    const again = mock.add();
    try {
      expect(again.name).not.toBe(m.name);
      const listed = (await fwctl.list()).map((e) => e.name);
      expect(listed).toContain(again.name);
      expect(listed).not.toContain(m.name);
      await expect(stale.info()).rejects.toMatchObject({ code: 'ENODEV' });
    } finally {
      await stale.close();
      mock.del(again.name);
    }
  });
});

describe('fd hygiene', () => {
  test('every fd the addon opens is O_CLOEXEC: a child sees none of them', () => {
    const m = mock.add();
    try {
      using d = fwctl.openSync(m.name);
      const target = `/dev/fwctl/${m.name}`;
      const mine = fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === target;
        } catch {
          return false;
        }
      });
      expect(mine.length).toBe(1);
      const flags = fs.readFileSync(`/proc/self/fdinfo/${mine[0]}`, 'utf8').match(/flags:\s+(\d+)/)![1];
      expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000);
      const child = spawnSync('/bin/sh', ['-c', 'ls -l /proc/self/fd/'], { encoding: 'utf8' });
      expect(child.stdout).not.toContain(target);
      void d;
    } finally {
      mock.del(m.name);
    }
  });

  test('1000 open/close cycles leave the fd table as it was', () => {
    const m = mock.add();
    try {
      const before = fs.readdirSync('/proc/self/fd').length;
      for (let i = 0; i < 1000; i++) fwctl.openSync(m.name).closeSync();
      expect(mock.openFdsTo(m.name)).toBe(0);
      // Nothing else ran on this thread meanwhile: the whole table is as it was.
      expect(fs.readdirSync('/proc/self/fd').length).toBe(before);
    } finally {
      mock.del(m.name);
    }
  });
});
