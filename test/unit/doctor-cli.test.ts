// `fwctl doctor` and the `fwctl list` hint as the CLI runs them, the udev
// rule's one source, and this host's verdict against its own /sys and config.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UDEV_RULE, UDEV_STEPS, type Diagnosis } from '../../lib/doctor';
import { NO_DEVICE_HINT } from '../../lib/cli/commands/list';
import { CLI_MAIN, cli } from './helpers/cli';

const REPO = path.resolve(__dirname, '../../..');

describe('fwctl list with no device points at fwctl doctor', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-nodev-'));
  const saved = process.env.FWCTL_SYSFS_ROOT;
  beforeAll(() => void (process.env.FWCTL_SYSFS_ROOT = empty));
  afterAll(() => {
    if (saved === undefined) delete process.env.FWCTL_SYSFS_ROOT;
    else process.env.FWCTL_SYSFS_ROOT = saved;
    fs.rmSync(empty, { recursive: true, force: true });
  });
  test('text: stderr one hint line, stdout empty, exit 0', async () => {
    const r = await cli('list');
    expect(r).toMatchObject({ code: 0, out: '', err: NO_DEVICE_HINT });
    expect(NO_DEVICE_HINT).toMatch(/^[^\n]*fwctl doctor[^\n]*\n$/);
  });
  test('--json: stdout stays the JSON ([]), the hint on stderr', async () => {
    const r = await cli('list', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([]);
    expect(r.err).toBe(NO_DEVICE_HINT);
  });
});

test('usage error: more than one device is exit 2', async () => {
  const r = await cli('doctor', 'fwctl0', 'fwctl1');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/at most one <device>/);
});

test('the udev rule has one source: docs/api/core.md (Permissions, which the README links) shows the rule and steps the doctor prints', () => {
  const core = fs.readFileSync(path.join(REPO, 'docs/api/core.md'), 'utf8');
  const section = core.slice(core.indexOf('## Permissions'), core.indexOf('\n## ', core.indexOf('## Permissions') + 1));
  const block = /```\n([^\n]+)\n```/.exec(section);
  expect(block?.[1]).toBe(UDEV_RULE);
  expect(section).toContain('/etc/udev/rules.d/70-fwctl.rules');
  for (const step of ['groupadd -r fwctl', 'usermod -aG fwctl $USER', 'udevadm control --reload', 'udevadm trigger --subsystem-match=fwctl']) {
    expect(section).toContain(step);
    expect(UDEV_STEPS).toContain(step);
  }
  expect(UDEV_STEPS).toContain('/etc/udev/rules.d/70-fwctl.rules');
  expect(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')).toContain('docs/api/core.md#permissions');
});

/** This process's environment without the root overrides: the real /sys and /dev. */
function realRootsEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.FWCTL_SYSFS_ROOT;
  delete env.FWCTL_DEV_ROOT;
  return env;
}

/** What this host's /sys and readable config say, read here without the doctor. */
function expectedKernelCode(): string {
  if (fs.existsSync('/sys/class/fwctl')) return 'FWCTL_AVAILABLE';
  let config: string | null = null;
  try {
    config = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString();
  } catch {
    try {
      config = fs.readFileSync(`/boot/config-${os.release()}`, 'utf8');
    } catch { /* neither readable */ }
  }
  if (config === null) return 'FWCTL_UNKNOWN';
  if (/^CONFIG_FWCTL=m$/m.test(config)) return 'FWCTL_NOT_LOADED';
  return 'FWCTL_NOT_CONFIGURED';
}

test('on this host, the CLI against the real roots: the verdict agrees with /sys/class/fwctl and the readable config', () => {
  const r = spawnSync(process.execPath, [CLI_MAIN, 'doctor', '--json'], { encoding: 'utf8', env: realRootsEnv() });
  expect(r.stderr).toBe('');
  const d = JSON.parse(r.stdout) as Diagnosis;
  const kernelCodes = d.findings.filter((f) => f.subject === 'kernel').map((f) => f.code);
  const expected = expectedKernelCode();
  expect(kernelCodes).toContain(expected);
  expect(d.kernel.release).toBe(os.release());
  expect(d.kernel.classPresent).toBe(fs.existsSync('/sys/class/fwctl'));
  const classDevices = fs.existsSync('/sys/class/fwctl') ? fs.readdirSync('/sys/class/fwctl') : [];
  expect(d.devices.map((a) => a.name).sort()).toEqual([...classDevices].sort());
  // Exit 0 exactly when a device is usable; none can be without the class.
  expect(r.status).toBe(d.usable ? 0 : 1);
  if (classDevices.length === 0) expect(d.usable).toBe(false);
  if (expected === 'FWCTL_NOT_CONFIGURED') expect(d.kernel.config.FWCTL).toMatch(/^(n|absent)$/);
  // The text form gives the same verdict line.
  const t = spawnSync(process.execPath, [CLI_MAIN, 'doctor'], { encoding: 'utf8', env: realRootsEnv() });
  expect(t.status).toBe(r.status);
  expect(t.stdout).toMatch(d.usable ? /^ok\s+verdict/m : /^error\s+verdict\s+no usable fwctl device/m);
});
