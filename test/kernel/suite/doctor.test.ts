// fwctl doctor in the test VM, through the kernel's own mlx5, bnxt and pds
// drivers over the emulated firmware (and the C mock): every device usable
// as root; mlx5_fwctl removed; a node 0600 for another uid seen from a
// non-root child; CAP_SYS_RAWIO dropped. The tainted kernel is the last test
// of scopes.taint.test.ts (its boot, after its taint: no boot of its own).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fwctl from '../../../lib';
import { diagnose, type Diagnosis } from '../../../lib/doctor';
import * as emu from '../emu/emu';
import { CLI_MAIN, cli } from '../../unit/helpers/cli';

const doctorPath = require.resolve('../../../lib/doctor');
const bindingPath = require.resolve('../../../lib/binding');
const NOBODY = 65534;

/** `fwctl doctor --json ...args` as a program (optionally under setpriv): exit status and the diagnosis. */
function doctorCli(args: string[] = [], setpriv: string[] = []): { status: number | null; d: Diagnosis } {
  const [cmd, argv] = setpriv.length
    ? ['setpriv', [...setpriv, '--', process.execPath, CLI_MAIN, 'doctor', '--json', ...args]]
    : [process.execPath, [CLI_MAIN, 'doctor', '--json', ...args]];
  const r = spawnSync(cmd, argv as string[], { encoding: 'utf8' });
  if (r.stderr) throw new Error(r.stderr);
  return { status: r.status, d: JSON.parse(r.stdout) as Diagnosis };
}

const errors = (d: Diagnosis) => d.findings.filter((f) => f.severity === 'error');

test('as root: every fwctl device usable, each emulated function a candidate with its fwctl device, exit 0', () => {
  const { status, d } = doctorCli();
  expect(status).toBe(0);
  expect(d.usable).toBe(true);
  expect(d.kernel).toMatchObject({ classPresent: true, tainted: false });
  expect(d.process).toMatchObject({ uid: 0, capSysRawio: true, initialUserNamespace: true });
  expect(d.kernel.major).toBe(fwctlMajor());
  expect(errors(d)).toEqual([]);
  expect(d.devices.length).toBeGreaterThanOrEqual(emu.DEVICES); // the emulated functions (mlx5: two), and the mock's
  for (const a of d.devices) expect(a).toMatchObject({ nodeExists: true, numbersMatch: true, readWrite: true, usable: true, owner: { uid: 0, gid: 0, mode: '0600' } });
  for (const kind of emu.KINDS) {
    expect(d.candidates.filter((x) => x.type === kind).map((x) => x.pciAddress).sort()).toEqual(emu.pcisOf(kind));
    for (const pci of emu.pcisOf(kind)) {
      const c = d.candidates.find((x) => x.type === kind && x.pciAddress === pci);
      expect(c).toMatchObject({ source: 'auxiliary', name: expect.stringMatching(new RegExp(`^${kind === 'mlx5' ? 'mlx5_core' : kind === 'bnxt' ? 'bnxt_en' : 'pds_core'}\\.fwctl\\.\\d+$`)), fwctl: fwctl.findSync({ pci })!.name, reason: 'CANDIDATE_OK' });
    }
  }
  expect(d.findings.find((f) => f.code === 'USABLE')!.message).toBe(`${d.devices.length} of ${d.devices.length} fwctl device(s) usable by this process`);
});

/** The fwctl major from /proc/devices, read here independently. */
function fwctlMajor(): number {
  return Number(/^\s*(\d+) fwctl$/m.exec(fs.readFileSync('/proc/devices', 'utf8'))![1]);
}

test('rmmod mlx5_fwctl: the emulated PCI function shows up with "module not loaded"; modprobe (insmod) brings it back', async () => {
  const ko = fs.readFileSync('/run/results/modules', 'utf8').split('\n').map((l) => l.split(/\s+/)[0]).find((p) => p.endsWith('/mlx5_fwctl.ko'));
  if (!ko) throw new Error('mlx5_fwctl.ko is not in /run/results/modules (run-vm.sh --emu)');
  const pci = emu.pciOf('mlx5');
  execFileSync('/bin/busybox', ['rmmod', 'mlx5_fwctl']);
  try {
    const d = diagnose();
    const c = d.candidates.find((x) => x.type === 'mlx5' && x.pciAddress === pci)!;
    expect(c).toMatchObject({ source: 'auxiliary', driver: null, fwctl: null, reason: 'MODULE_NOT_LOADED' });
    // both mlx5 functions lost their driver, one finding each
    expect(d.candidates.filter((x) => x.type === 'mlx5' && x.reason === 'MODULE_NOT_LOADED').map((x) => x.pciAddress).sort()).toEqual(emu.pcisOf('mlx5'));
    expect(d.findings.filter((x) => x.code === 'MODULE_NOT_LOADED')).toHaveLength(emu.FUNCTIONS.mlx5);
    const f = d.findings.find((x) => x.code === 'MODULE_NOT_LOADED' && x.subject === `${c.name} (${pci})`)!;
    expect(f).toMatchObject({ severity: 'error', subject: `${c.name} (${pci})`, fix: 'modprobe mlx5_fwctl', message: expect.stringContaining('mlx5_fwctl is not loaded') });
    // Narrowed to that function, nothing is usable: exit 1.
    const one = await cli('doctor', pci, '--json');
    expect(one.code).toBe(1);
    const od = JSON.parse(one.out) as Diagnosis;
    expect(od.devices).toEqual([]);
    expect(od.findings.map((x) => x.code)).toEqual(expect.arrayContaining(['MODULE_NOT_LOADED', 'NONE_USABLE']));
    expect((await cli('doctor', pci)).out).toMatch(/^error\s+mlx5_core\.fwctl\.\d+ \(.*\)\s+mlx5: the driver module mlx5_fwctl is not loaded.*\n\s+-> modprobe mlx5_fwctl$/m);
    // The others still are.
    expect(diagnose({ device: emu.pciOf('bnxt') }).usable).toBe(true);
  } finally {
    execFileSync('/bin/busybox', ['insmod', ko]);
  }
  const after = diagnose({ device: pci });
  expect(after.candidates[0]).toMatchObject({ reason: 'CANDIDATE_OK', fwctl: emu.device('mlx5').name });
  expect(after.usable).toBe(true);
  expect(diagnose({ device: emu.mlx5Pci(1) }).candidates[0]).toMatchObject({ reason: 'CANDIDATE_OK', fwctl: emu.mlx5Device(1).name });
});

test('a node 0600 owned by another uid, seen by a non-root child: denied with owner and mode, the udev rule, exit verdict false', () => {
  const node = emu.device('bnxt');
  fs.chownSync(node.path, 4242, 4242);
  try {
    // The child loads the addon as root (the checkout stays readable either way), then drops to nobody.
    const code = `const { diagnose } = require(${JSON.stringify(doctorPath)});
      require(${JSON.stringify(bindingPath)}).binding();
      process.setgroups([]); process.setgid(${NOBODY}); process.setuid(${NOBODY});
      console.log(JSON.stringify(diagnose()));`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const d = JSON.parse(r.stdout) as Diagnosis;
    expect(d.process).toMatchObject({ uid: NOBODY, capSysRawio: false });
    expect(d.devices.find((a) => a.name === node.name)).toMatchObject({ owner: { uid: 4242, gid: 4242, mode: '0600' }, numbersMatch: true, readWrite: false, usable: false });
    const f = d.findings.find((x) => x.code === 'ACCESS_DENIED' && x.subject === node.name)!;
    expect(f.message).toContain(`(uid ${NOBODY}) cannot open it read-write (owner 4242:4242 mode 0600)`);
    expect(f.fix).toContain('SUBSYSTEM=="fwctl", GROUP="fwctl", MODE="0660"');
    expect(d.usable).toBe(false); // every node is 0600 root (or 4242): nobody can use any
    expect(d.findings.map((x) => x.code)).toEqual(expect.arrayContaining(['CAP_SYS_RAWIO_MISSING', 'NONE_USABLE']));
  } finally {
    fs.chownSync(node.path, 0, 0);
  }
});

test('CAP_SYS_RAWIO dropped (setpriv): said, with what needs it; root still uses every device (exit 0)', () => {
  const { status, d } = doctorCli([], ['--inh-caps=-sys_rawio', '--bounding-set=-sys_rawio']);
  expect(status).toBe(0);
  expect(d.process).toMatchObject({ uid: 0, capSysRawio: false, initialUserNamespace: true });
  expect(d.findings.find((f) => f.code === 'CAP_SYS_RAWIO_MISSING')!.message).toMatch(/^no CAP_SYS_RAWIO: DebugWriteFull answers EPERM/);
});
