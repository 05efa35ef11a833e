// Proves the kernel harness itself: we are in the VM, on the test kernel,
// the fwctl class exists, the mock driver (when given) registered a device,
// and TMPDIR is writable. Runs only inside the VM (FWCTL_IN_VM=1).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const inVm = process.env.FWCTL_IN_VM === '1';
const mockKo = process.env.FWCTL_MOCK_KO;
const required = process.env.FWCTL_REQUIRE_KERNEL === '1';
const loadedAt = process.uptime();
const timings: string[] = [];

function timed<T>(name: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  try {
    return fn();
  } finally {
    timings.push(`${name} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
  }
}

(inVm ? describe : describe.skip)('kernel harness', () => {
  afterAll(() => {
    process.stderr.write(
      `[harness] guest uptime ${os.uptime().toFixed(1)} s, jest process up ${loadedAt.toFixed(1)} s ` +
        `when this file loaded; ${timings.join(', ')}\n`,
    );
  });

  test('runs on the test kernel', () => {
    const release = timed('uname', () => execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(release).toBe(os.release());
    const want = process.env.FWCTL_KERNEL_RELEASE;
    if (want && want !== 'unknown') expect(release).toBe(want);
  });

  test('the fwctl class is registered', () => {
    expect(timed('stat class', () => fs.statSync('/sys/class/fwctl').isDirectory())).toBe(true);
  });

  (mockKo || required ? test : test.skip)('the mock driver registered a device', () => {
    if (!mockKo) throw new Error('FWCTL_REQUIRE_KERNEL=1 but FWCTL_MOCK_KO is unset: the mock module was not built');
    const modules = fs.readFileSync('/proc/modules', 'utf8');
    expect(modules).toMatch(/^fwctl_mock /m);
    const devs = timed('list class', () => fs.readdirSync('/sys/class/fwctl')).filter((d) => /^fwctl\d+$/.test(d));
    expect(devs.length).toBeGreaterThan(0);
    expect(fs.statSync('/dev/fwctl').isDirectory()).toBe(true);
    for (const d of devs) expect(fs.statSync(path.join('/dev/fwctl', d)).isCharacterDevice()).toBe(true);
  });

  test('TMPDIR is writable', () => {
    const dir = timed('mkdtemp', () => fs.mkdtempSync(path.join(os.tmpdir(), 'harness-')));
    fs.writeFileSync(path.join(dir, 'f'), 'ok');
    expect(fs.readFileSync(path.join(dir, 'f'), 'utf8')).toBe('ok');
    fs.rmSync(dir, { recursive: true });
  });

  test('the probe binary, when given, is executable', () => {
    const probe = process.env.FWCTL_PROBE;
    if (!probe) return;
    fs.accessSync(probe, fs.constants.X_OK);
  });
});
