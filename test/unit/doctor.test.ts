// fwctl.diagnose() over fake sysfs, procfs, /dev, /boot and /etc trees: each
// reason the doctor knows, from the tree a host shows (lib/doctor.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { diagnose, DOCTOR_CODES, UDEV_RULE, type DiagnoseOptions, type Diagnosis, type DoctorHost } from '../../lib/doctor';
import { FakeSys } from './helpers/fake-sysfs';

const S_IFCHR = fs.constants.S_IFCHR;
const ROOT_STATUS = 'Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t0\nCapEff:\t000001ffffffffff\n';
const USER_STATUS = 'Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t1000\nCapEff:\t0000000000000000\n';

/** A host tree: FakeSys (class/fwctl, devices) plus bus dirs, procfs, /boot, /etc. */
class FakeHost {
  readonly s = new FakeSys();
  readonly proc = path.join(this.s.root, 'proc');
  readonly boot = path.join(this.s.root, 'boot');
  readonly etc = path.join(this.s.root, 'etc');
  /** A node stat answer per path (the fake /dev holds no character devices). */
  readonly nodes = new Map<string, ReturnType<DoctorHost['stat']>>();
  addonError: string | null = null;
  accessOk = true;

  constructor(opts: { release?: string; config?: string | null; configIn?: 'proc' | 'boot'; status?: string; tainted?: number } = {}) {
    fs.mkdirSync(path.join(this.proc, 'sys', 'kernel'), { recursive: true });
    fs.mkdirSync(path.join(this.proc, 'self'), { recursive: true });
    fs.mkdirSync(this.boot);
    fs.mkdirSync(this.etc);
    const release = opts.release ?? '7.3.4-amd64';
    this.write(this.proc, 'sys/kernel/osrelease', `${release}\n`);
    this.write(this.proc, 'sys/kernel/tainted', `${opts.tainted ?? 0}\n`);
    this.write(this.proc, 'self/status', opts.status ?? ROOT_STATUS);
    this.write(this.proc, 'self/uid_map', '         0          0 4294967295\n');
    this.write(this.proc, 'devices', 'Character devices:\n  1 mem\n240 fwctl\n\nBlock devices:\n  8 sd\n');
    this.write(this.proc, 'modules', '');
    const config = opts.config === undefined ? 'CONFIG_FWCTL=m\nCONFIG_MLX5_CORE=m\nCONFIG_FWCTL_MLX5=m\nCONFIG_BNXT=m\nCONFIG_FWCTL_BNXT=m\nCONFIG_PDS_CORE=m\nCONFIG_FWCTL_PDS=m\nCONFIG_CXL_BUS=m\nCONFIG_CXL_PCI=m\nCONFIG_CXL_FEATURES=y\n' : opts.config;
    if (config !== null) {
      if ((opts.configIn ?? 'proc') === 'proc') fs.writeFileSync(path.join(this.proc, 'config.gz'), zlib.gzipSync(config));
      else this.write(this.boot, `config-${release}`, config);
    }
  }

  write(root: string, rel: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }

  /** A PCI function under /sys/devices/pci0000:00 with vendor and class, listed in /sys/bus/pci/devices. */
  pci(bdf: string, vendor: number, cls: number, driver?: string): string {
    const rel = `pci0000:00/${bdf}`;
    const dir = this.s.addParent(rel, { subsystem: 'pci', driver });
    this.write(dir, 'vendor', `0x${vendor.toString(16).padStart(4, '0')}\n`);
    this.write(dir, 'class', `0x${cls.toString(16).padStart(6, '0')}\n`);
    this.busLink('pci', bdf, dir);
    return rel;
  }

  /** An auxiliary device under a parent (listed in /sys/bus/auxiliary/devices), bound to `driver` when given. */
  aux(name: string, parentRel: string, driver?: string): void {
    const dir = this.s.addParent(`${parentRel}/${name}`, { subsystem: 'auxiliary', driver });
    this.busLink('auxiliary', name, dir);
  }

  /** A CXL memdev under a PCI function. */
  memdev(name: string, parentRel: string): string {
    const rel = `${parentRel}/${name}`;
    const dir = this.s.addParent(rel, { subsystem: 'cxl' });
    this.busLink('cxl', name, dir);
    return rel;
  }

  /** A fwctl class device under a parent with its node (a char device of the right numbers, root 0600, unless told). */
  fwctl(name: string, parentRel: string, node: Partial<{ mode: number; uid: number; gid: number; major: number; minor: number }> | null = {}): void {
    const minor = Number(name.replace(/\D/g, ''));
    this.s.addFwctl(name, parentRel, 240, minor);
    const p = path.join(this.s.dev, 'fwctl', name);
    if (node === null) return;
    fs.writeFileSync(p, '');
    this.nodes.set(p, { mode: S_IFCHR | (node.mode ?? 0o600), uid: node.uid ?? 0, gid: node.gid ?? 0, rdevMajor: node.major ?? 240, rdevMinor: node.minor ?? minor });
  }

  loaded(...mods: string[]): void {
    this.write(this.proc, 'modules', mods.map((m) => `${m} 16384 0 - Live 0x0\n`).join(''));
  }

  options(extra: DiagnoseOptions = {}): DiagnoseOptions {
    return {
      sysfsRoot: this.s.sys, procRoot: this.proc, devRoot: this.s.dev, bootRoot: this.boot, etcRoot: this.etc,
      host: {
        stat: (p) => this.nodes.get(p) ?? (fs.existsSync(p) ? { mode: fs.statSync(p).mode, uid: 0, gid: 0, rdevMajor: 0, rdevMinor: 0 } : { error: 'ENOENT' }),
        access: () => this.accessOk,
        loadAddon: () => {
          if (this.addonError !== null) throw new Error(this.addonError);
        },
      },
      ...extra,
    };
  }

  diagnose(extra?: DiagnoseOptions): Diagnosis {
    return diagnose(this.options(extra));
  }

  private busLink(bus: string, name: string, dir: string): void {
    const d = path.join(this.s.sys, 'bus', bus, 'devices');
    fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(path.relative(d, dir), path.join(d, name));
  }
}

const hosts: FakeHost[] = [];
const host = (...a: ConstructorParameters<typeof FakeHost>) => {
  const h = new FakeHost(...a);
  hosts.push(h);
  return h;
};
afterAll(() => hosts.forEach((h) => h.s.remove()));

const codes = (d: Diagnosis) => d.findings.map((f) => f.code);
const finding = (d: Diagnosis, code: string) => {
  const f = d.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${JSON.stringify(d.findings, null, 1)}`);
  return f;
};

describe('the kernel', () => {
  test('no fwctl in the config (/proc/config.gz): which symbol, and a missing line is off through its dependency', () => {
    // This workplace's kind of machine: CONFIG_FWCTL not set, CXL_FEATURES without a line because CXL_BUS is off.
    const d = host({ release: '6.18.44', config: '# CONFIG_FWCTL is not set\n# CONFIG_CXL_BUS is not set\nCONFIG_MLX5_CORE=m\n' }).diagnose();
    expect(d.kernel).toMatchObject({ classPresent: false, config: { FWCTL: 'n', CXL_BUS: 'n', CXL_FEATURES: 'absent', FWCTL_MLX5: 'absent', MLX5_CORE: 'm' } });
    expect(d.kernel.configSource).toMatch(/config\.gz$/);
    const f = finding(d, 'FWCTL_NOT_CONFIGURED');
    expect(f).toMatchObject({ severity: 'error', message: expect.stringContaining('CONFIG_FWCTL is not set'), fix: expect.stringContaining('CONFIG_FWCTL=m') });
    const cxl = d.findings.find((x) => x.code === 'KCONFIG_OFF' && x.message.startsWith('cxl:'))!;
    expect(cxl.message).toContain('CONFIG_CXL_FEATURES has no line: off through a dependency (CONFIG_CXL_PCI has no line <- CONFIG_CXL_BUS is not set)');
    const mlx5 = d.findings.find((x) => x.code === 'KCONFIG_OFF' && x.message.startsWith('mlx5:'))!;
    expect(mlx5.message).toBe('mlx5: CONFIG_FWCTL_MLX5 has no line: off through a dependency (CONFIG_FWCTL is not set)');
    expect(d.usable).toBe(false);
    expect(codes(d)).toContain('NONE_USABLE');
  });

  test('/boot/config-$(release) when there is no /proc/config.gz; FWCTL=m but not loaded', () => {
    const d = host({ config: 'CONFIG_FWCTL=m\n', configIn: 'boot' }).diagnose();
    expect(d.kernel.configSource).toMatch(/boot\/config-7\.3\.4-amd64$/);
    expect(finding(d, 'FWCTL_NOT_LOADED')).toMatchObject({ severity: 'error', fix: expect.stringContaining('modprobe fwctl') });
  });

  test('neither config readable: "cannot tell", never a guess', () => {
    const d = host({ config: null }).diagnose();
    expect(d.kernel.configSource).toBeNull();
    expect(d.kernel.config).toEqual({});
    expect(finding(d, 'FWCTL_UNKNOWN').message).toMatch(/cannot tell/);
    expect(codes(d)).not.toContain('FWCTL_NOT_CONFIGURED');
    expect(codes(d)).not.toContain('KCONFIG_OFF');
  });

  test('the class present: available, the char major from /proc/devices, the 7.3 features, not tainted', () => {
    const h = host();
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0');
    const d = h.diagnose();
    expect(d.kernel).toMatchObject({ classPresent: true, major: 240, tainted: false, lockdown: null });
    expect(finding(d, 'FWCTL_AVAILABLE').message).toContain('char major 240');
    expect(finding(d, 'KERNEL_FEATURE').message).toMatch(/^bnxt DMA commands.*: yes \(Linux 7\.3\+; this is 7\.3\)/);
    expect(codes(d)).toContain('NOT_TAINTED');
    expect(codes(d)).not.toContain('LOCKDOWN');
  });

  test('before 7.3: no bnxt DMA commands', () => {
    expect(finding(host({ release: '7.2.13' }).diagnose(), 'KERNEL_FEATURE').message).toMatch(/: no \(Linux 7\.3\+; this is 7\.2\)/);
  });

  test('tainted by fwctl (bit 19), lockdown shown and said not to matter', () => {
    const h = host({ tainted: (1 << 19) | 1 });
    h.write(h.s.sys, 'kernel/security/lockdown', 'none [integrity] confidentiality\n');
    const d = h.diagnose();
    expect(d.kernel).toMatchObject({ tainted: true, lockdown: 'integrity' });
    expect(finding(d, 'TAINTED')).toMatchObject({ severity: 'warn', fix: expect.stringMatching(/reboot/) });
    expect(finding(d, 'LOCKDOWN').message).toMatch(/integrity.*does not consult lockdown/);
  });
});

describe('candidates and why they have no fwctl device', () => {
  const mlx5 = (h: FakeHost, auxDriver?: string) => {
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', auxDriver);
  };

  test('fwctl device present: CANDIDATE_OK, the PCI function not listed twice', () => {
    const h = host();
    mlx5(h, 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0');
    const d = h.diagnose();
    expect(d.candidates).toEqual([{ type: 'mlx5', name: 'mlx5_core.fwctl.0', source: 'auxiliary', pciAddress: '0000:01:00.0', driver: 'mlx5_fwctl.mlx5_fwctl', fwctl: 'fwctl0', reason: 'CANDIDATE_OK' }]);
    expect(d.usable).toBe(true);
    expect(finding(d, 'USABLE').message).toBe('1 of 1 fwctl device(s) usable by this process');
  });

  test('module not loaded: the aux device has no driver, mlx5_fwctl not in /proc/modules', () => {
    const h = host();
    mlx5(h);
    const d = h.diagnose();
    expect(finding(d, 'MODULE_NOT_LOADED')).toMatchObject({ subject: 'mlx5_core.fwctl.0 (0000:01:00.0)', fix: 'modprobe mlx5_fwctl', message: expect.stringContaining('not loaded') });
  });

  test('driver not built: the kernel has no FWCTL_MLX5 to load', () => {
    const h = host({ config: 'CONFIG_FWCTL=m\nCONFIG_MLX5_CORE=m\n# CONFIG_FWCTL_MLX5 is not set\n' });
    mlx5(h);
    expect(finding(h.diagnose(), 'DRIVER_NOT_BUILT')).toMatchObject({ message: expect.stringContaining('CONFIG_FWCTL_MLX5 is not set'), fix: 'a kernel with CONFIG_FWCTL_MLX5=m' });
  });

  test('module loaded but the aux device unbound', () => {
    const h = host();
    mlx5(h);
    h.loaded('mlx5_fwctl', 'mlx5_core');
    expect(finding(h.diagnose(), 'DRIVER_NOT_BOUND').fix).toMatch(/drivers_probe/);
  });

  test('bound but nothing registered: REGISTER_FAILED', () => {
    const h = host();
    mlx5(h, 'mlx5_fwctl.mlx5_fwctl');
    expect(finding(h.diagnose(), 'REGISTER_FAILED').fix).toMatch(/dmesg/);
  });

  test('an mlx5 SF gets none by design', () => {
    const h = host();
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0');
    h.aux('mlx5_core.sf.2', 'pci0000:00/0000:01:00.0', 'mlx5_core.sf');
    const d = h.diagnose();
    expect(finding(d, 'NO_FWCTL_BY_DESIGN')).toMatchObject({ subject: 'mlx5_core.sf.2', severity: 'info', message: expect.stringMatching(/SF.*parent PCI function/) });
  });

  test('mlx5_core bound, no fwctl aux device: uctx_cap 0 (no capability)', () => {
    const h = host();
    h.pci('0000:02:00.0', 0x15b3, 0x020700, 'mlx5_core');
    expect(finding(h.diagnose(), 'NO_CAPABILITY')).toMatchObject({ subject: '0000:02:00.0', message: expect.stringContaining('uctx_cap is 0') });
  });

  test('a Broadcom function with no driver, another with tg3; a non-candidate vendor ignored', () => {
    const h = host();
    h.pci('0000:03:00.0', 0x14e4, 0x020000);
    h.pci('0000:03:00.1', 0x14e4, 0x020000, 'tg3');
    h.pci('0000:00:02.0', 0x8086, 0x030000, 'i915');
    const d = h.diagnose();
    expect(finding(d, 'CORE_DRIVER_NOT_BOUND')).toMatchObject({ subject: '0000:03:00.0', fix: 'modprobe bnxt_en bnxt_fwctl' });
    expect(finding(d, 'OTHER_DRIVER').message).toBe('bnxt: PCI 0000:03:00.1 is bound to tg3, not bnxt_en: no fwctl device from it');
    expect(d.candidates.map((c) => c.name)).toEqual(['0000:03:00.0', '0000:03:00.1']);
  });

  test('pds: a Pensando function bound to pds_core without the aux device', () => {
    const h = host();
    h.pci('0000:04:00.0', 0x1dd8, 0x120000, 'pds_core');
    expect(finding(h.diagnose(), 'NO_CAPABILITY').message).toMatch(/^pds: .*PF only/);
  });

  test('CXL memdev: fwctl under memN; none (no user-accessible feature); CXL_FEATURES off', () => {
    const h = host();
    const p0 = h.pci('0000:0d:00.0', 0x8086, 0x050210, 'cxl_pci');
    h.fwctl('fwctl1', h.memdev('mem0', p0));
    const p1 = h.pci('0000:0e:00.0', 0x8086, 0x050210, 'cxl_pci');
    h.memdev('mem1', p1);
    const d = h.diagnose();
    expect(d.candidates.filter((c) => c.type === 'cxl')).toEqual([
      { type: 'cxl', name: 'mem0', source: 'bus', pciAddress: '0000:0d:00.0', driver: null, fwctl: 'fwctl1', reason: 'CANDIDATE_OK' },
      { type: 'cxl', name: 'mem1', source: 'bus', pciAddress: '0000:0e:00.0', driver: null, fwctl: null, reason: 'NO_CAPABILITY' },
    ]);
    expect(finding(d, 'NO_CAPABILITY').message).toMatch(/mem1.*feat_cap.*no user-accessible feature.*no module to load/);

    const off = host({ config: 'CONFIG_FWCTL=m\nCONFIG_CXL_BUS=m\nCONFIG_CXL_PCI=m\n# CONFIG_CXL_FEATURES is not set\n' });
    off.memdev('mem0', off.pci('0000:0d:00.0', 0x8086, 0x050210, 'cxl_pci'));
    expect(finding(off.diagnose(), 'DRIVER_NOT_BUILT')).toMatchObject({ subject: 'mem0', fix: 'a kernel with CONFIG_CXL_FEATURES=y' });
  });
});

describe('access', () => {
  const one = (h: FakeHost, node?: Parameters<FakeHost['fwctl']>[2]) => {
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0', node);
  };

  test('root: read-write, owner and mode shown', () => {
    const h = host();
    one(h);
    const d = h.diagnose();
    expect(d.devices).toEqual([{ name: 'fwctl0', path: path.join(h.s.dev, 'fwctl', 'fwctl0'), parent: '0000:01:00.0', pciAddress: '0000:01:00.0',
      nodeExists: true, owner: { uid: 0, gid: 0, mode: '0600' }, numbersMatch: true, readWrite: true, usable: true }]);
    expect(finding(d, 'ACCESS_OK').message).toContain('owner 0:0 mode 0600');
  });

  test('a user and a 0600 root node: denied, the udev rule as the fix', () => {
    const h = host({ status: USER_STATUS });
    one(h);
    const d = h.diagnose();
    expect(d.usable).toBe(false);
    const f = finding(d, 'ACCESS_DENIED');
    expect(f.message).toMatch(/uid 1000 cannot|\(uid 1000\) cannot open it read-write \(owner 0:0 mode 0600\)/);
    expect(f.fix).toContain(UDEV_RULE);
    expect(codes(d)).not.toContain('GROUP_NOT_ACTIVE');
  });

  test('access(2) refusing is enough to deny, whatever the mode says', () => {
    const h = host();
    one(h);
    h.accessOk = false;
    expect(codes(h.diagnose())).toContain('ACCESS_DENIED');
  });

  test('a group the user was added to but this session does not have yet', () => {
    const h = host({ status: USER_STATUS });
    one(h, { gid: 990, mode: 0o660 });
    h.write(h.etc, 'group', 'root:x:0:\nfwctl:x:990:bob,alice\nalice:x:1000:\n');
    h.write(h.etc, 'passwd', 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    const d = h.diagnose();
    expect(finding(d, 'GROUP_NOT_ACTIVE')).toMatchObject({ message: 'alice is in group fwctl (/etc/group), but this session does not have it yet', fix: 'log in again (or: newgrp fwctl)' });
    // With the group active, the node is usable.
    h.write(h.proc, 'self/status', USER_STATUS.replace('Groups:\t1000', 'Groups:\t990 1000'));
    expect(h.diagnose().usable).toBe(true);
  });

  test('a stale node: major:minor differ from /sys', () => {
    const h = host();
    one(h, { minor: 7 });
    const d = h.diagnose();
    expect(finding(d, 'STALE_NODE').message).toMatch(/240:7 but \/sys says 240:0/);
    expect(d.usable).toBe(false);
  });

  test('not a character device (a real stat of a regular file)', () => {
    const h = host();
    one(h);
    const p = path.join(h.s.dev, 'fwctl', 'fwctl0');
    h.nodes.delete(p);
    expect(finding(h.diagnose(), 'NOT_CHAR_DEVICE').subject).toBe('fwctl0');
  });

  test('the class shows the device but /dev has no node: a container, pass it in', () => {
    const h = host();
    one(h, null);
    fs.rmSync(path.join(h.s.dev, 'fwctl'), { recursive: true });
    const f = finding(h.diagnose(), 'NODE_MISSING');
    expect(f.message).toMatch(/a container without the device/);
    expect(f.fix).toMatch(/docker run --device .*fwctl0.*mknod .*fwctl0 c 240 0/);
  });

  test('CAP_SYS_RAWIO: present, missing, and held only in a user namespace', () => {
    expect(host().diagnose().process).toMatchObject({ capSysRawio: true, initialUserNamespace: true });
    const missing = host({ status: ROOT_STATUS.replace('000001ffffffffff', '000001fffffdffff') }).diagnose();
    expect(finding(missing, 'CAP_SYS_RAWIO_MISSING').message).toMatch(/^no CAP_SYS_RAWIO: DebugWriteFull answers EPERM/);
    const ns = host();
    ns.write(ns.proc, 'self/uid_map', '         0       1000          1\n');
    const d = ns.diagnose();
    expect(d.process).toMatchObject({ capSysRawio: false, initialUserNamespace: false });
    expect(finding(d, 'CAP_SYS_RAWIO_MISSING').message).toMatch(/user namespace only.*capable\(\)/);
    // A kernel without user namespaces has no uid_map: only the initial namespace exists.
    const nons = host();
    fs.rmSync(path.join(nons.proc, 'self', 'uid_map'));
    expect(nons.diagnose().process).toMatchObject({ capSysRawio: true, initialUserNamespace: true });
  });

  test('what it could not see for lack of privileges (a real EACCES, as an unprivileged user)', () => {
    const h = host({ status: USER_STATUS });
    one(h);
    const hidden = path.join(h.s.sys, 'bus', 'pci', 'devices');
    fs.chmodSync(hidden, 0o000);
    fs.chmodSync(h.s.root, 0o755);
    try {
      let out: string;
      const script = `const { diagnose } = require(${JSON.stringify(require.resolve('../../lib/doctor'))});
        const d = diagnose({ sysfsRoot: ${JSON.stringify(h.s.sys)}, procRoot: ${JSON.stringify(h.proc)}, devRoot: ${JSON.stringify(h.s.dev)}, host: { loadAddon() {} } });
        console.log(JSON.stringify(d.findings.find((f) => f.code === 'NOT_VISIBLE') ?? null));`;
      if (process.getuid?.() === 0) {
        // Root reads through any mode: run the check as nobody, with a node
        // binary nobody can reach (the Node matrix's live under /root/.cache).
        const node = path.join(h.s.root, 'node');
        try { fs.linkSync(process.execPath, node); } catch { fs.copyFileSync(process.execPath, node); fs.chmodSync(node, 0o755); }
        const r = spawnSync(node, ['-e', script], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: '/' });
        expect(r.error).toBeUndefined();
        expect(r.stderr).toBe('');
        out = r.stdout;
      } else {
        out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
      }
      expect(JSON.parse(out)).toMatchObject({ severity: 'info', message: expect.stringContaining(`${hidden} (EACCES)`) });
    } finally {
      fs.chmodSync(hidden, 0o755);
    }
  });
});

describe('the addon', () => {
  const withAddon = (msg: string | null) => {
    const h = host();
    h.addonError = msg;
    return h.diagnose();
  };
  test('loads', () => expect(finding(withAddon(null), 'ADDON_OK').message).toContain(`ABI ${process.versions.modules}`));
  test('no prebuild for this platform: build from source', () => {
    const d = withAddon(`No native build was found for platform=linux arch=riscv64 runtime=node abi=${process.versions.modules} uv=1 libc=glibc node=20.0.0\n    loaded from: /x`);
    expect(finding(d, 'ADDON_MISSING').fix).toMatch(/--build-from-source/);
  });
  test('a glibc too old', () => {
    const d = withAddon("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by fwctl.node)");
    expect(finding(d, 'ADDON_GLIBC').fix).toMatch(/glibc 2\.34\+/);
  });
  test('any other load failure', () => expect(codes(withAddon('invalid ELF header'))).toContain('ADDON_FAILED'));
  test('a node this process can open is not usable without the addon', () => {
    const h = host();
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0');
    h.addonError = 'invalid ELF header';
    const d = h.diagnose();
    expect(d.devices[0]).toMatchObject({ readWrite: true, usable: false });
    expect(d.usable).toBe(false);
  });
});

describe('narrowing to one device', () => {
  const two = () => {
    const h = host();
    h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.0', 'pci0000:00/0000:01:00.0', 'mlx5_fwctl.mlx5_fwctl');
    h.fwctl('fwctl0', 'pci0000:00/0000:01:00.0');
    h.pci('0000:02:00.0', 0x15b3, 0x020000, 'mlx5_core');
    h.aux('mlx5_core.fwctl.1', 'pci0000:00/0000:02:00.0');
    return h;
  };
  test('by fwctl name, PCI address (short form too) or aux name', () => {
    const h = two();
    const a = h.diagnose({ device: 'fwctl0' });
    expect(a.devices.map((x) => x.name)).toEqual(['fwctl0']);
    expect(a.candidates.map((c) => c.name)).toEqual(['mlx5_core.fwctl.0']);
    expect(a.usable).toBe(true);
    expect(codes(a)).not.toContain('MODULE_NOT_LOADED');
    const b = h.diagnose({ device: '02:00.0' });
    expect(b.devices).toEqual([]);
    expect(codes(b)).toContain('MODULE_NOT_LOADED');
    expect(b.usable).toBe(false);
    expect(h.diagnose({ device: 'mlx5_core.fwctl.1' }).candidates).toHaveLength(1);
  });
  test('nothing matches: DEVICE_NOT_FOUND', () => {
    expect(finding(two().diagnose({ device: 'eth9' }), 'DEVICE_NOT_FOUND').severity).toBe('error');
  });
});

test('every code has its severity, and every finding uses it', () => {
  const h = host({ status: USER_STATUS, tainted: 1 << 19 });
  h.pci('0000:03:00.0', 0x14e4, 0x020000);
  h.fwctl('fwctl0', h.pci('0000:01:00.0', 0x15b3, 0x020000, 'mlx5_core'));
  for (const f of h.diagnose().findings) expect(f.severity).toBe(DOCTOR_CODES[f.code]);
});
