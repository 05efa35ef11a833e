import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { openSync, open, splitRdev } from '../../lib/device';
import {
  compareDeviceNames, find, findSync, list, listSync, normalizePci, parseDevAttr, parseProcDevices, subsystemOfChar,
  subsystemOfCharSync,
} from '../../lib/discovery';
import { FakeSys } from './helpers/fake-sysfs';
import { FwctlTypeError } from '../../lib/errors';

const MLX = 'pci0000:00/0000:00:01.0/0000:01:00.0';
const CXL_PCI = 'pci0000:00/0000:00:02.0/0000:0d:00.0';

let sys: FakeSys;
beforeAll(() => {
  sys = new FakeSys();
  sys.addParent(MLX, { subsystem: 'pci', driver: 'mlx5_core', net: ['eth1', 'eth0'], infiniband: ['mlx5_0'] });
  sys.addFwctl('fwctl10', MLX, 240, 10);
  sys.addParent(CXL_PCI, { subsystem: 'pci', driver: 'cxl_pci' });
  sys.addParent(`${CXL_PCI}/mem0`, { subsystem: 'cxl', driver: 'cxl_mem' });
  sys.addFwctl('fwctl2', `${CXL_PCI}/mem0`, 240, 2);
  sys.addParent('faux/fwctl-mock3', { subsystem: 'faux' });
  sys.addFwctl('fwctl0', 'faux/fwctl-mock3', 240, 0);
});
afterAll(() => sys.remove());

describe('list()', () => {
  test('numeric order: fwctl2 before fwctl10', async () => {
    expect((await list(sys.roots)).map((e) => e.name)).toEqual(['fwctl0', 'fwctl2', 'fwctl10']);
  });

  test('listSync() and list() agree', async () => {
    expect(listSync(sys.roots)).toEqual(await list(sys.roots));
  });

  test('a PCI parent: address, driver, class devices (sorted)', () => {
    const e = listSync(sys.roots).find((d) => d.name === 'fwctl10')!;
    expect(e).toMatchObject({
      path: path.join(sys.dev, 'fwctl', 'fwctl10'),
      sysfsPath: path.join(sys.sys, 'class', 'fwctl', 'fwctl10'),
      major: 240,
      minor: 10,
    });
    expect(e.parent).toEqual({
      name: '0000:01:00.0',
      sysfsPath: fs.realpathSync(path.join(sys.sys, 'devices', MLX)),
      subsystem: 'pci',
      driver: 'mlx5_core',
      pciAddress: '0000:01:00.0',
      net: ['eth0', 'eth1'],
      infiniband: ['mlx5_0'],
      cxlMemdev: null,
    });
  });

  test('a CXL memdev parent: memdev name, and the PCI device it sits on', () => {
    const e = listSync(sys.roots).find((d) => d.name === 'fwctl2')!;
    expect(e.parent).toMatchObject({ name: 'mem0', subsystem: 'cxl', driver: 'cxl_mem', cxlMemdev: 'mem0', pciAddress: '0000:0d:00.0' });
  });

  test('a faux parent (the mock driver): no driver, no PCI, no class devices', () => {
    const e = listSync(sys.roots).find((d) => d.name === 'fwctl0')!;
    expect(e.parent).toMatchObject({ name: 'fwctl-mock3', subsystem: 'faux', driver: null, pciAddress: null, net: [], infiniband: [], cxlMemdev: null });
  });

  test('no /sys/class/fwctl (module not loaded): empty, no error', async () => {
    const empty = new FakeSys();
    try {
      expect(await list(empty.roots)).toEqual([]);
      expect(listSync({ sysfsRoot: path.join(empty.root, 'nope') })).toEqual([]);
    } finally {
      empty.remove();
    }
  });

  test('an entry whose dev attribute vanished (removed meanwhile) is skipped', () => {
    const s = new FakeSys();
    try {
      s.addParent('faux/a', { subsystem: 'faux' });
      const dir = s.addFwctl('fwctl1', 'faux/a', 240, 1);
      s.addFwctl('fwctl5', 'faux/a', 240, 5);
      fs.rmSync(path.join(dir, 'dev'));
      expect(listSync(s.roots).map((e) => e.name)).toEqual(['fwctl5']);
    } finally {
      s.remove();
    }
  });

  test('FWCTL_SYSFS_ROOT and FWCTL_DEV_ROOT are the defaults', () => {
    const saved = { ...process.env };
    process.env.FWCTL_SYSFS_ROOT = sys.sys;
    process.env.FWCTL_DEV_ROOT = '/elsewhere';
    try {
      expect(listSync().map((e) => e.path)).toEqual(['fwctl0', 'fwctl2', 'fwctl10'].map((n) => `/elsewhere/fwctl/${n}`));
    } finally {
      process.env = saved;
    }
  });
});

describe('find()', () => {
  test.each([
    [{ pci: '0000:01:00.0' }, 'fwctl10'],
    [{ pci: '01:00.0' }, 'fwctl10'],
    [{ pci: '0000:0D:00.0' }, 'fwctl2'],
    [{ parent: 'mem0' }, 'fwctl2'],
    [{ parent: 'fwctl-mock3' }, 'fwctl0'],
    [{ name: 'eth1' }, 'fwctl10'],
    [{ name: 'mlx5_0' }, 'fwctl10'],
    [{ name: 'mem0' }, 'fwctl2'],
    [{ name: 'fwctl0' }, 'fwctl0'],
    [{ pci: '0000:01:00.0', name: 'eth0' }, 'fwctl10'],
  ])('%j -> %s', async (criteria, name) => {
    expect((await find(criteria, sys.roots))?.name).toBe(name);
    expect(findSync(criteria, sys.roots)?.name).toBe(name);
  });

  test('no match is undefined; all criteria must hold', async () => {
    expect(await find({ name: 'eth9' }, sys.roots)).toBeUndefined();
    expect(findSync({ pci: '0000:01:00.0', name: 'mem0' }, sys.roots)).toBeUndefined();
  });

  test('bad criteria are TypeErrors', async () => {
    expect(() => findSync({}, sys.roots)).toThrow(FwctlTypeError);
    expect(() => findSync({ pci: 1 as unknown as string }, sys.roots)).toThrow(FwctlTypeError);
    await expect(find(null as unknown as {}, sys.roots)).rejects.toThrow(FwctlTypeError);
  });
});

describe('helpers', () => {
  test('compareDeviceNames', () => {
    expect(['fwctl10', 'fwctl2', 'fwctl1', 'zz', 'fwctl100'].sort(compareDeviceNames)).toEqual(['fwctl1', 'fwctl2', 'fwctl10', 'fwctl100', 'zz']);
  });
  test('parseDevAttr', () => {
    expect(parseDevAttr('240:7\n')).toEqual({ major: 240, minor: 7 });
    expect(parseDevAttr('garbage')).toBeNull();
    expect(parseDevAttr(null)).toBeNull();
  });
  test('normalizePci', () => {
    expect(normalizePci('01:00.0')).toBe('0000:01:00.0');
    expect(normalizePci(' 0000:AB:00.1 ')).toBe('0000:ab:00.1');
  });
});

describe('errors say why (an unreadable /sys is not "no devices")', () => {
  test('a non-ENOENT error (ELOOP) on /sys/class/fwctl is a FwctlError naming the path, sync and async', async () => {
    const s = new FakeSys();
    try {
      const cls = path.join(s.sys, 'class', 'fwctl');
      fs.symlinkSync(cls, cls); // a loop: ELOOP, not ENOENT
      expect(() => listSync(s.roots)).toThrow(expect.objectContaining({ name: 'FwctlError', code: 'ELOOP', path: cls }));
      await expect(list(s.roots)).rejects.toMatchObject({ name: 'FwctlError', code: 'ELOOP', path: cls });
      await expect(find({ name: 'eth0' }, s.roots)).rejects.toMatchObject({ code: 'ELOOP' });
    } finally {
      s.remove();
    }
  });

  test.each(['EACCES', 'EPERM'])('%s reading sysfs (a masked /sys) surfaces with the path and a hint', async (code) => {
    // Root ignores mode bits, so the denial is injected at the fs call.
    const cls = path.join(sys.sys, 'class', 'fwctl');
    const deny = (p: unknown) => {
      if (String(p) === cls) throw Object.assign(new Error(`${code}: permission denied, scandir '${cls}'`), { code, errno: -13 });
    };
    // The module object itself (the import above is a read-only namespace view of it).
    const nodeFs = require('node:fs') as { readdirSync: Function; promises: { readdir: Function } };
    const rs = nodeFs.readdirSync;
    const ra = nodeFs.promises.readdir;
    nodeFs.readdirSync = (p: fs.PathLike, o?: unknown) => {
      deny(p);
      return rs(p, o);
    };
    nodeFs.promises.readdir = async (p: fs.PathLike, o?: unknown) => {
      deny(p);
      return ra(p, o);
    };
    try {
      const want = { name: 'FwctlError', code, path: cls, message: expect.stringMatching(/sysfs is unreadable here/) };
      expect(() => listSync(sys.roots)).toThrow(expect.objectContaining(want));
      await expect(list(sys.roots)).rejects.toMatchObject(want);
      expect(() => findSync({ pci: '01:00.0' }, sys.roots)).toThrow(expect.objectContaining({ code }));
    } finally {
      nodeFs.readdirSync = rs;
      nodeFs.promises.readdir = ra;
    }
    expect(listSync(sys.roots)).toHaveLength(3); // and nothing else changed
  });

  test('absent optional entries (no net/, no driver link) are still just absent', () => {
    const e = listSync(sys.roots).find((d) => d.name === 'fwctl0')!;
    expect(e.parent).toMatchObject({ driver: null, net: [] });
  });
});

describe('the fwctl major from /proc/devices when /sys/dev/char is masked', () => {
  const PROC = 'Character devices:\n  1 mem\n  4 /dev/vc/0\n240 fwctl\n\nBlock devices:\n  7 loop\n  8 fwctl\n';

  test('parseProcDevices: the character section only', () => {
    expect(parseProcDevices(PROC, 'fwctl')).toBe(240);
    expect(parseProcDevices(PROC, 'mem')).toBe(1);
    expect(parseProcDevices(PROC, 'loop')).toBeNull();
    expect(parseProcDevices('Character devices:\n  1 mem\n', 'fwctl')).toBeNull();
    expect(parseProcDevices(null, 'fwctl')).toBeNull();
  });

  test('no /sys/dev/char link: the major listed for fwctl answers; another major does not', async () => {
    const s = new FakeSys();
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-proc-'));
    try {
      s.addParent('faux/a', { subsystem: 'faux' });
      s.addFwctl('fwctl3', 'faux/a', 240, 3);
      fs.rmSync(path.join(s.sys, 'dev', 'char'), { recursive: true }); // masked
      const roots = { ...s.roots, procRoot: proc };
      expect(subsystemOfCharSync(240, 3, roots)).toBeNull(); // no /proc/devices either
      fs.writeFileSync(path.join(proc, 'devices'), PROC);
      expect(subsystemOfCharSync(240, 3, roots)).toBe('fwctl');
      expect(await subsystemOfChar(240, 3, roots)).toBe('fwctl');
      expect(subsystemOfCharSync(1, 3, roots)).toBeNull();
      expect(listSync(roots).map((e) => e.name)).toEqual(['fwctl3']); // list() never needed /sys/dev/char
    } finally {
      s.remove();
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });
});

describe('the root overrides cannot make open() accept a node that is not fwctl', () => {
  // A fake sysfs that claims /dev/null (1:3) is a fwctl device, through both
  // the sysfs link and /proc/devices, passed as options and as the environment.
  // The real addon asks the node FWCTL_INFO at open, which /dev/null does not
  // answer (ENOTTY): open() refuses whatever the roots say.
  test('FWCTL_SYSFS_ROOT / FWCTL_DEV_ROOT / roots naming /dev/null as fwctl: ENOTTY from the native open', async () => {
    const nul = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
    const s = new FakeSys();
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-proc-'));
    const saved = { ...process.env };
    try {
      s.addParent('faux/liar', { subsystem: 'faux' });
      s.addFwctl('fwctl0', 'faux/liar', nul.major, nul.minor);
      fs.symlinkSync('/dev/null', path.join(s.dev, 'fwctl', 'fwctl0'));
      fs.writeFileSync(path.join(proc, 'devices'), `Character devices:\n${nul.major} fwctl\n`);
      expect(subsystemOfCharSync(nul.major, nul.minor, s.roots)).toBe('fwctl'); // the lie gets past the sysfs check
      const refused = { name: 'FwctlError', code: 'ENOTTY', syscall: 'open', message: expect.stringMatching(/does not answer FWCTL_INFO/) };
      expect(() => openSync('fwctl0', { ...s.roots, procRoot: proc })).toThrow(expect.objectContaining(refused));
      await expect(open('fwctl0', { ...s.roots, procRoot: proc })).rejects.toMatchObject(refused);
      process.env.FWCTL_SYSFS_ROOT = s.sys;
      process.env.FWCTL_DEV_ROOT = s.dev;
      expect(() => openSync('fwctl0')).toThrow(expect.objectContaining(refused));
      expect(() => openSync('/dev/null')).toThrow(expect.objectContaining(refused));
      await expect(open('/dev/null')).rejects.toMatchObject(refused);
    } finally {
      process.env = saved;
      s.remove();
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });
});
