// Discovery against the real fwctl core, in the test VM: the /proc/devices
// fallback for a masked /sys/dev/char, and that no sysfs root can make open()
// accept a node that is not fwctl (the addon's FWCTL_INFO at open decides).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../../lib';
import { splitRdev } from '../../../lib/device';
import { parseProcDevices, subsystemOfCharSync } from '../../../lib/discovery';
import * as mock from '../mock/protocol';

let dev: mock.MockDevice;
let tmp: string;
beforeAll(() => {
  dev = mock.add();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-sysroot-'));
});
afterAll(() => {
  mock.del(dev.name);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the kernel lists "fwctl" in /proc/devices with the major of every fwctl device', () => {
  const major = parseProcDevices(fs.readFileSync('/proc/devices', 'utf8'), 'fwctl');
  expect(major).toEqual(expect.any(Number));
  const entries = fwctl.listSync();
  expect(entries.map((e) => e.name)).toContain(dev.name);
  for (const e of entries) expect(e.major).toBe(major);
});

test('/sys/dev/char masked (as in containers): open() still identifies the node through /proc/devices', async () => {
  // A sysfs root with class/ and devices/ but no dev/char.
  const root = path.join(tmp, 'masked');
  fs.mkdirSync(root);
  fs.symlinkSync('/sys/class', path.join(root, 'class'));
  fs.symlinkSync('/sys/devices', path.join(root, 'devices'));
  const entry = fwctl.listSync({ sysfsRoot: root }).find((e) => e.name === dev.name)!;
  expect(entry).toBeDefined();
  expect(subsystemOfCharSync(entry.major, entry.minor, { sysfsRoot: root })).toBe('fwctl');
  const d = await fwctl.open(dev.name, { sysfsRoot: root });
  expect(d.infoSync().typeId).toBe(mock.DEFAULT_TYPE);
  await d.close();
  const s = fwctl.openSync(dev.name, { sysfsRoot: root });
  s.closeSync();
  // Another character device's major is not fwctl's: refused before open(2).
  expect(() => fwctl.openSync('/dev/null', { sysfsRoot: root })).toThrow(expect.objectContaining({ code: 'ENOTTY' }));
});

test('a sysfs root that claims /dev/null is fwctl cannot make open() accept it: the kernel answers FWCTL_INFO only on fwctl nodes', async () => {
  const nul = splitRdev(fs.statSync('/dev/null', { bigint: true }).rdev);
  const root = path.join(tmp, 'liar');
  const cls = path.join(root, 'class', 'fwctl');
  fs.mkdirSync(cls, { recursive: true });
  const node = path.join(root, 'dev', 'char', `${nul.major}:${nul.minor}`);
  fs.mkdirSync(node, { recursive: true });
  fs.symlinkSync(cls, path.join(node, 'subsystem'));
  expect(subsystemOfCharSync(nul.major, nul.minor, { sysfsRoot: root })).toBe('fwctl'); // the lie passes the sysfs check
  const refused = { code: 'ENOTTY', syscall: 'open', message: expect.stringMatching(/does not answer FWCTL_INFO/) };
  expect(() => fwctl.openSync('/dev/null', { sysfsRoot: root })).toThrow(expect.objectContaining(refused));
  await expect(fwctl.open('/dev/null', { sysfsRoot: root })).rejects.toMatchObject(refused);
  const saved = process.env.FWCTL_SYSFS_ROOT;
  process.env.FWCTL_SYSFS_ROOT = root;
  try {
    expect(() => fwctl.openSync('/dev/null')).toThrow(expect.objectContaining(refused));
  } finally {
    if (saved === undefined) delete process.env.FWCTL_SYSFS_ROOT;
    else process.env.FWCTL_SYSFS_ROOT = saved;
  }
});
