import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareDeviceNames, find, findSync, list, listSync, normalizePci, parseDevAttr } from '../../lib/discovery';
import { FakeSys } from './helpers/fake-sysfs';

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
    expect(() => findSync({}, sys.roots)).toThrow(TypeError);
    expect(() => findSync({ pci: 1 as unknown as string }, sys.roots)).toThrow(TypeError);
    await expect(find(null as unknown as {}, sys.roots)).rejects.toThrow(TypeError);
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
