// fwctl.diagnose() and `fwctl doctor`: why this host has (or has no) usable
// fwctl device, and what to do. The fleet layer: it imports no device type;
// what it looks for per type (PCI ids, auxiliary devices, modules, Kconfig
// symbols, why a device can be absent) comes from the registry (HostFacts).
// It reads sysfs, procfs and /dev through the given roots and stats nodes;
// it never opens a device node (an open alone creates a firmware context on
// mlx5) and never sends an RPC, so it needs no privileges and never taints.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { listSync, type FwctlDeviceEntry } from './discovery';
import { deviceTypeModules, type HostFacts } from './registry';

export type Severity = 'ok' | 'info' | 'warn' | 'error';

/** One line of the diagnosis: a stable code, what it is about, and the next step. */
export interface Finding {
  /** Stable: scripts may match on it (DOCTOR_CODES lists them all). */
  code: DoctorCode;
  severity: Severity;
  /** 'kernel', 'process', 'addon', a fwctl device ('fwctl0'), a PCI function, an auxiliary device, 'mem0'. */
  subject: string;
  message: string;
  /** The concrete next step (a command, a kernel option, the udev rule), when there is one. */
  fix?: string;
}

/** Every finding code, with its severity. */
export const DOCTOR_CODES = {
  KERNEL_RELEASE: 'info',
  FWCTL_AVAILABLE: 'ok',
  FWCTL_NOT_CONFIGURED: 'error',
  FWCTL_NOT_LOADED: 'error',
  FWCTL_UNKNOWN: 'warn',
  KCONFIG_OFF: 'info',
  CHAR_MAJOR: 'info',
  KERNEL_FEATURE: 'info',
  NOT_TAINTED: 'ok',
  TAINTED: 'warn',
  LOCKDOWN: 'info',
  NOT_VISIBLE: 'info',
  CANDIDATE_OK: 'ok',
  MODULE_NOT_LOADED: 'error',
  DRIVER_NOT_BUILT: 'error',
  DRIVER_NOT_BOUND: 'warn',
  CORE_DRIVER_NOT_BOUND: 'warn',
  OTHER_DRIVER: 'info',
  NO_FWCTL_BY_DESIGN: 'info',
  NO_CAPABILITY: 'warn',
  REGISTER_FAILED: 'warn',
  NODE_MISSING: 'error',
  NOT_CHAR_DEVICE: 'error',
  STALE_NODE: 'error',
  ACCESS_OK: 'ok',
  ACCESS_DENIED: 'error',
  GROUP_NOT_ACTIVE: 'warn',
  CAP_SYS_RAWIO: 'ok',
  CAP_SYS_RAWIO_MISSING: 'info',
  ADDON_OK: 'ok',
  ADDON_MISSING: 'error',
  ADDON_GLIBC: 'error',
  ADDON_FAILED: 'error',
  DEVICE_NOT_FOUND: 'error',
  USABLE: 'ok',
  NONE_USABLE: 'error',
} as const satisfies Record<string, Severity>;
export type DoctorCode = keyof typeof DOCTOR_CODES;

/** The udev rule that gives a group read-write access to every fwctl node (docs/api/core.md, Permissions, shows the same). */
export const UDEV_RULE = 'SUBSYSTEM=="fwctl", GROUP="fwctl", MODE="0660"';
/** Where it goes and how it takes effect. */
export const UDEV_STEPS = `echo '${UDEV_RULE}' > /etc/udev/rules.d/70-fwctl.rules; groupadd -r fwctl; usermod -aG fwctl $USER; udevadm control --reload; udevadm trigger --subsystem-match=fwctl`;

/** The Linux release fwctl itself arrived in. */
const FWCTL_SINCE = '6.15';
const TAINT_FWCTL = 1 << 19;
const CAP_DAC_OVERRIDE = 1n;
const CAP_SYS_RAWIO = 17n;

export interface DiagnoseOptions {
  /** sysfs mount point; default $FWCTL_SYSFS_ROOT or /sys. */
  sysfsRoot?: string;
  /** procfs mount point; default /proc (self/status says who this process is). */
  procRoot?: string;
  /** /dev; default $FWCTL_DEV_ROOT or /dev. */
  devRoot?: string;
  /** Where config-$(release) is looked for; default /boot. */
  bootRoot?: string;
  /** Where group and passwd are read (a group the user was added to); default /etc. */
  etcRoot?: string;
  /** Narrow to one device: fwctlN, a node path, a PCI address, a parent, auxiliary device or memdev name. */
  device?: string;
  /** @internal Unit tests: how a node is stat()ed and access()ed, and how the addon loads. */
  host?: Partial<DoctorHost>;
}

/** @internal What the doctor asks the host beyond reading files. */
export interface DoctorHost {
  /** lstat-free stat of a node: mode, owner and device numbers; an errno code when it fails. */
  stat(p: string): { mode: number; uid: number; gid: number; rdevMajor: number; rdevMinor: number } | { error: string };
  /** access(p, R_OK | W_OK) by this process. */
  access(p: string): boolean;
  /** Load the addon (throws its load error). */
  loadAddon(): void;
}

export interface KernelState {
  release: string | null;
  /** /sys/class/fwctl exists. */
  classPresent: boolean;
  /** Where the config was read from, or null: not readable ("cannot tell"). */
  configSource: string | null;
  /** The symbols looked at: 'y', 'm', 'n' (is not set) or 'absent' (no line: off through a dependency). */
  config: Record<string, 'y' | 'm' | 'n' | 'absent'>;
  /** The fwctl char major from /proc/devices. */
  major: number | null;
  /** Taint bit 19 (TAINT_FWCTL); null when not readable. */
  tainted: boolean | null;
  /** The lockdown mode in brackets of /sys/kernel/security/lockdown, or null where the file is absent. */
  lockdown: string | null;
}

export interface DeviceAccess {
  name: string;
  path: string;
  parent: string | null;
  pciAddress: string | null;
  nodeExists: boolean;
  owner: { uid: number; gid: number; mode: string } | null;
  /** The node's major:minor match /sys. */
  numbersMatch: boolean | null;
  /** access(2) and the mode both allow read-write. */
  readWrite: boolean;
  /** The addon loads and readWrite: this process can use it. */
  usable: boolean;
}

export interface Candidate {
  /** The registered type's name ('mlx5'). */
  type: string;
  /** The auxiliary device, PCI function or memdev seen. */
  name: string;
  source: 'auxiliary' | 'pci' | 'bus';
  pciAddress: string | null;
  driver: string | null;
  /** The fwctl device under it, or null. */
  fwctl: string | null;
  /** The finding code that explains it. */
  reason: DoctorCode;
}

export interface Diagnosis {
  kernel: KernelState;
  process: { uid: number | null; gids: number[]; capSysRawio: boolean | null; initialUserNamespace: boolean | null };
  addon: { loads: boolean; error: string | null };
  devices: DeviceAccess[];
  candidates: Candidate[];
  findings: Finding[];
  /** At least one device this process can open read-write (with the addon loaded): `fwctl doctor` exits 0. */
  usable: boolean;
}

// ---- reading ----

class Reader {
  readonly unseen: string[] = [];
  constructor(private readonly quiet = false) {}
  text(p: string): string | null {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (e) {
      this.note(p, e);
      return null;
    }
  }
  bytes(p: string): Buffer | null {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      this.note(p, e);
      return null;
    }
  }
  dir(p: string): string[] {
    try {
      return fs.readdirSync(p).sort();
    } catch (e) {
      this.note(p, e);
      return [];
    }
  }
  link(p: string): string | null {
    try {
      return path.basename(fs.readlinkSync(p));
    } catch (e) {
      this.note(p, e);
      return null;
    }
  }
  real(p: string): string | null {
    try {
      return fs.realpathSync(p);
    } catch (e) {
      this.note(p, e);
      return null;
    }
  }
  exists(p: string): boolean {
    try {
      fs.statSync(p);
      return true;
    } catch (e) {
      this.note(p, e);
      return false;
    }
  }
  private note(p: string, e: unknown): void {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (!this.quiet && (code === 'EACCES' || code === 'EPERM')) this.unseen.push(`${p} (${code})`);
  }
}

const realHost: DoctorHost = {
  stat(p) {
    try {
      const st = fs.statSync(p, { bigint: true });
      const rdev = st.rdev;
      // glibc's gnu_dev_major/minor
      const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
      const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
      return { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), rdevMajor: major, rdevMinor: minor };
    } catch (e) {
      return { error: String((e as NodeJS.ErrnoException).code ?? 'EIO') };
    }
  },
  access(p) {
    try {
      fs.accessSync(p, fs.constants.R_OK | fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  loadAddon() {
    (require('./binding') as typeof import('./binding')).binding();
  },
};

/** Parse a kernel config: every CONFIG_X=y|m, "# CONFIG_X is not set". */
export function parseKconfig(text: string): Map<string, 'y' | 'm' | 'n' | string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    let m = /^CONFIG_(\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
    else if ((m = /^# CONFIG_(\w+) is not set$/.exec(line))) out.set(m[1], 'n');
  }
  return out;
}

/** '7.3.4-amd64' -> [7, 3]. */
function lineOf(release: string | null): [number, number] | null {
  const m = release === null ? null : /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
const atLeast = (have: [number, number], since: string) => {
  const [a, b] = since.split('.').map(Number);
  return have[0] > a || (have[0] === a && have[1] >= b);
};

interface Identity { uid: number | null; gids: number[]; capEff: bigint | null; initialNs: boolean | null }

function identityOf(r: Reader, procRoot: string): Identity {
  const status = r.text(path.join(procRoot, 'self', 'status')) ?? '';
  const field = (n: string) => new RegExp(`^${n}:\\s*(.*)$`, 'm').exec(status)?.[1].trim();
  const uid = field('Uid')?.split(/\s+/)[1];
  const gid = field('Gid')?.split(/\s+/)[1];
  const groups = (field('Groups') ?? '').split(/\s+/).filter(Boolean).map(Number);
  const cap = field('CapEff');
  const mapPath = path.join(procRoot, 'self', 'uid_map');
  const map = r.text(mapPath);
  // No uid_map at all (a kernel without CONFIG_USER_NS): there is only the initial namespace.
  const initialNs = map !== null ? /^\s*0\s+0\s+4294967295\s*$/.test(map)
    : status !== '' && !fs.existsSync(mapPath) ? true : null;
  return {
    uid: uid === undefined ? null : Number(uid),
    gids: [...new Set([...(gid === undefined ? [] : [Number(gid)]), ...groups])],
    capEff: cap === undefined ? null : BigInt(`0x${cap}`),
    initialNs,
  };
}

const hasCap = (id: Identity, bit: bigint) => id.capEff !== null && ((id.capEff >> bit) & 1n) === 1n;

/** What the mode allows this identity (the kernel's generic_permission for rw, with CAP_DAC_OVERRIDE). */
function modeAllows(id: Identity, st: { mode: number; uid: number; gid: number }): boolean {
  if (id.uid === null) return true; // no status to judge by: access(2) alone decides
  if (hasCap(id, CAP_DAC_OVERRIDE) && id.initialNs !== false) return true;
  const bits = id.uid === st.uid ? (st.mode >> 6) & 7 : id.gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 6) === 6;
}

/** The built-in name of a registered type's facts. */
interface TypeFacts { name: string; host: HostFacts }

function typesWithFacts(): TypeFacts[] {
  return deviceTypeModules().filter((m) => m.host !== undefined).map((m) => ({ name: m.name, host: m.host! }));
}

function fmtMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

// ---- the diagnosis ----

/** 'CONFIG_FWCTL_MLX5=m'; a bool driver symbol (CXL_FEATURES) is =y. */
function optionOf(h: HostFacts, symbol: string): string {
  return `CONFIG_${symbol}=${symbol === h.kconfigDriver && h.kconfigDriverBool ? 'y' : 'm'}`;
}

function findingOf(code: DoctorCode, subject: string, message: string, fix?: string): Finding {
  return { code, severity: DOCTOR_CODES[code], subject, message, ...(fix === undefined ? {} : { fix }) };
}

/**
 * Diagnose this host (or the trees under the given roots): the kernel, the
 * candidate devices, access to each fwctl node, the addon. Synchronous and
 * read-only: no open(), no RPC, no privileges needed.
 */
export function diagnose(options: DiagnoseOptions = {}): Diagnosis {
  const sys = options.sysfsRoot ?? process.env.FWCTL_SYSFS_ROOT ?? '/sys';
  const proc = options.procRoot ?? '/proc';
  const devRoot = options.devRoot ?? process.env.FWCTL_DEV_ROOT ?? '/dev';
  const boot = options.bootRoot ?? '/boot';
  const etc = options.etcRoot ?? '/etc';
  const host: DoctorHost = { ...realHost, ...options.host };
  const r = new Reader();
  const findings: Finding[] = [];
  const add = (code: DoctorCode, subject: string, message: string, fix?: string) => void findings.push(findingOf(code, subject, message, fix));
  const types = typesWithFacts();

  // -- the kernel --
  const release = r.text(path.join(proc, 'sys', 'kernel', 'osrelease'))?.trim() || null;
  const classPresent = r.exists(path.join(sys, 'class', 'fwctl'));
  let configText: string | null = null;
  let configSource: string | null = null;
  const gz = r.bytes(path.join(proc, 'config.gz'));
  if (gz !== null) {
    try {
      configText = zlib.gunzipSync(gz).toString('utf8');
      configSource = path.join(proc, 'config.gz');
    } catch { /* not gzip: try /boot */ }
  }
  if (configText === null && release !== null) {
    const p = path.join(boot, `config-${release}`);
    configText = r.text(p);
    if (configText !== null) configSource = p;
  }
  const kconfig = configText === null ? null : parseKconfig(configText);
  const symbols = [...new Set(['FWCTL', ...types.flatMap((t) => t.host.kconfig ?? [])])];
  const config: KernelState['config'] = {};
  if (kconfig) {
    for (const s of symbols) {
      const v = kconfig.get(s);
      config[s] = v === undefined ? 'absent' : v === 'y' || v === 'm' ? v : 'n';
    }
  }
  const on = (s: string) => config[s] === 'y' || config[s] === 'm';
  const devices = r.text(path.join(proc, 'devices'));
  const majorLine = devices === null ? null : /^\s*(\d+)\s+fwctl\s*$/m.exec(devices);
  const major = majorLine ? Number(majorLine[1]) : null;
  const taintText = r.text(path.join(proc, 'sys', 'kernel', 'tainted'));
  const tainted = taintText === null ? null : (Number(taintText.trim()) & TAINT_FWCTL) !== 0;
  const lockdownText = fs.existsSync(path.join(sys, 'kernel', 'security', 'lockdown'))
    ? r.text(path.join(sys, 'kernel', 'security', 'lockdown')) : null;
  const lockdown = lockdownText === null ? null : (/\[(\w+)\]/.exec(lockdownText)?.[1] ?? lockdownText.trim());
  const kernel: KernelState = { release, classPresent, configSource, config, major, tainted, lockdown };

  add('KERNEL_RELEASE', 'kernel', `Linux ${release ?? '(release not readable)'}; config ${configSource ?? 'not readable'}`);
  const depsOf = (s: string) => types.map((t) => t.host.kconfigDepends?.[s]).find((d) => d !== undefined) ?? [];
  const state = (s: string) => `CONFIG_${s}${config[s] === 'n' ? ' is not set' : ' has no line'}`;
  // A symbol with no line is off through a dependency: follow the chain to the symbols that are off themselves.
  const chain = (s: string, seen = new Set<string>()): string => {
    const off = depsOf(s).filter((d) => !on(d) && !seen.has(d));
    if (off.length === 0 || config[s] === 'n') return state(s);
    off.forEach((d) => seen.add(d));
    return `${state(s)} <- ${off.map((d) => chain(d, seen)).join(', ')}`;
  };
  const why = (s: string): string => {
    if (config[s] === 'n') return state(s);
    return depsOf(s).some((d) => !on(d))
      ? `${state(s)}: off through a dependency (${chain(s).split(' <- ').slice(1).join(' <- ')})`
      : `${state(s)}: off through a dependency in its own Kconfig (depends on)`;
  };
  if (classPresent) {
    add('FWCTL_AVAILABLE', 'kernel', `fwctl is available (/sys/class/fwctl exists${major !== null ? `, char major ${major}` : ''})`);
  } else if (!kconfig) {
    add('FWCTL_UNKNOWN', 'kernel', 'no /sys/class/fwctl, and neither /proc/config.gz nor /boot/config-$(uname -r) is readable: cannot tell whether this kernel has fwctl',
      'modprobe fwctl; if that fails, the kernel needs CONFIG_FWCTL (Linux 6.15+)');
  } else if (config.FWCTL === 'm') {
    add('FWCTL_NOT_LOADED', 'kernel', 'CONFIG_FWCTL=m but the fwctl module is not loaded (no /sys/class/fwctl)', 'modprobe fwctl (a fwctl driver module loads it too)');
  } else {
    add('FWCTL_NOT_CONFIGURED', 'kernel', `this kernel has no fwctl: ${why('FWCTL')} (${configSource})`,
      `a kernel built with CONFIG_FWCTL=m and the drivers you need (${types.filter((t) => t.host.kconfigDriver).map((t) => optionOf(t.host, t.host.kconfigDriver!)).join(', ')}); Linux ${FWCTL_SINCE}+`);
  }
  if (kconfig) {
    for (const t of types) {
      const off = (t.host.kconfig ?? []).filter((s) => s !== 'FWCTL' && !on(s));
      if (off.length) add('KCONFIG_OFF', 'kernel', `${t.name}: ${off.map(why).join('; ')}`, `${optionOf(t.host, t.host.kconfigDriver ?? off[off.length - 1])} and what it depends on`);
    }
  }
  if (major !== null || classPresent) {
    if (major !== null) add('CHAR_MAJOR', 'kernel', `fwctl char major ${major} (/proc/devices)`);
  }
  const lineV = lineOf(release);
  if (lineV) {
    for (const t of types) {
      for (const f of t.host.kernelFeatures ?? []) {
        add('KERNEL_FEATURE', 'kernel', `${f.feature}: ${atLeast(lineV, f.since) ? 'yes' : 'no'} (Linux ${f.since}+; this is ${lineV.join('.')})`);
      }
    }
  }
  if (tainted === true) {
    add('TAINTED', 'kernel', 'the kernel is tainted by fwctl (bit 19 of /proc/sys/kernel/tainted): a DebugWrite or DebugWriteFull RPC was sent since boot',
      'the taint is sticky: only a reboot clears it (bug reports from this boot carry it)');
  } else if (tainted === false) {
    add('NOT_TAINTED', 'kernel', 'the kernel is not tainted by fwctl (bit 19 of /proc/sys/kernel/tainted is clear)');
  }
  if (lockdown !== null) {
    add('LOCKDOWN', 'kernel', `lockdown: ${lockdown} (fwctl does not consult lockdown in Linux 7.3; tools that claim it does are wrong)`);
  }

  // -- the process --
  const id = identityOf(r, proc);
  const rawio = id.capEff === null ? null : hasCap(id, CAP_SYS_RAWIO) && id.initialNs !== false;
  if (rawio === true) {
    add('CAP_SYS_RAWIO', 'process', 'this process has CAP_SYS_RAWIO in the initial user namespace (DebugWriteFull is possible)');
  } else if (rawio === false) {
    add('CAP_SYS_RAWIO_MISSING', 'process', hasCap(id, CAP_SYS_RAWIO)
      ? 'CAP_SYS_RAWIO is held in a user namespace only: the kernel checks it with capable() in the initial one, so DebugWriteFull answers EPERM'
      : 'no CAP_SYS_RAWIO: DebugWriteFull answers EPERM (the other scopes do not need it)',
    'only for DebugWriteFull: run as root in the initial namespace, setcap cap_sys_rawio+ep on a dedicated binary, or AmbientCapabilities=CAP_SYS_RAWIO in a systemd unit');
  }

  // -- the addon --
  let addonError: string | null = null;
  try {
    host.loadAddon();
    add('ADDON_OK', 'addon', `the native addon loads (${process.platform}-${process.arch}, Node ${process.versions.node}, ABI ${process.versions.modules})`);
  } catch (e) {
    addonError = String((e as Error)?.message ?? e);
    if (/GLIBC_[\d.]+'? not found/.test(addonError)) {
      add('ADDON_GLIBC', 'addon', `the addon needs a newer glibc than this system's: ${addonError.split('\n')[0]}`,
        'the prebuilt addons need glibc 2.34+: upgrade, or build from source (npm install --build-from-source; docs/install.md)');
    } else if (/No native build was found/.test(addonError)) {
      add('ADDON_MISSING', 'addon', `no prebuilt addon for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules})`,
        'build it from source: npm install --build-from-source (needs python3, make, a C++ compiler; docs/install.md)');
    } else {
      add('ADDON_FAILED', 'addon', `the native addon does not load: ${addonError.split('\n')[0]}`, 'npm rebuild fwctl; docs/install.md');
    }
  }

  // -- the fwctl devices and their access --
  let entries: FwctlDeviceEntry[] = [];
  try {
    entries = listSync({ sysfsRoot: sys, devRoot });
  } catch (e) {
    r.unseen.push(`${path.join(sys, 'class', 'fwctl')} (${String((e as { code?: string }).code)})`);
  }
  const groupFile = new Reader(true).text(path.join(etc, 'group'));
  const passwd = new Reader(true).text(path.join(etc, 'passwd'));
  const userName = id.uid === null || passwd === null ? null
    : passwd.split('\n').map((l) => l.split(':')).find((f) => Number(f[2]) === id.uid)?.[0] ?? null;
  const groupOf = (gid: number) => groupFile?.split('\n').map((l) => l.split(':')).find((f) => Number(f[2]) === gid);
  // A container: its cgroup says so, or /sys shows fwctl devices while the /dev it was given has no fwctl directory.
  const inContainer = /\b(docker|lxc|kubepods|containerd|podman|libpod)\b/.test(new Reader(true).text(path.join(proc, '1', 'cgroup')) ?? '')
    || (entries.length > 0 && !fs.existsSync(path.join(devRoot, 'fwctl')));

  const access: DeviceAccess[] = [];
  for (const e of entries) {
    const subject = e.name;
    const da: DeviceAccess = {
      name: e.name, path: e.path, parent: e.parent?.name ?? null, pciAddress: e.parent?.pciAddress ?? null,
      nodeExists: false, owner: null, numbersMatch: null, readWrite: false, usable: false,
    };
    access.push(da);
    const st = host.stat(e.path);
    if ('error' in st) {
      add('NODE_MISSING', subject, `/sys/class/fwctl/${e.name} exists but ${e.path} does not (${st.error})${inContainer ? ': a container without the device' : ''}`,
        inContainer
          ? `pass the node into the container: docker run --device ${e.path} (podman: the same), or mknod ${e.path} c ${e.major} ${e.minor}`
          : `mknod ${e.path} c ${e.major} ${e.minor} (udev or devtmpfs normally creates it: udevadm trigger --subsystem-match=fwctl)`);
      continue;
    }
    da.nodeExists = true;
    da.owner = { uid: st.uid, gid: st.gid, mode: fmtMode(st.mode) };
    if ((st.mode & fs.constants.S_IFMT) !== fs.constants.S_IFCHR) {
      add('NOT_CHAR_DEVICE', subject, `${e.path} is not a character device`, `rm ${e.path}; mknod ${e.path} c ${e.major} ${e.minor}`);
      continue;
    }
    da.numbersMatch = st.rdevMajor === e.major && st.rdevMinor === e.minor;
    if (!da.numbersMatch) {
      add('STALE_NODE', subject, `${e.path} is ${st.rdevMajor}:${st.rdevMinor} but /sys says ${e.major}:${e.minor}: a stale node (copied, or left from an earlier boot)`,
        `rm ${e.path}; mknod ${e.path} c ${e.major} ${e.minor} (or udevadm trigger --subsystem-match=fwctl)`);
      continue;
    }
    da.readWrite = host.access(e.path) && modeAllows(id, st);
    da.usable = da.readWrite && addonError === null;
    const own = `owner ${st.uid}:${st.gid} mode ${fmtMode(st.mode)}`;
    if (da.readWrite) {
      add('ACCESS_OK', subject, `${e.path} (${e.parent?.name ?? 'no parent'}): this process can open it read-write (${own})`);
      continue;
    }
    add('ACCESS_DENIED', subject, `${e.path}: this process (uid ${id.uid ?? '?'}) cannot open it read-write (${own})`,
      `a udev rule: ${UDEV_STEPS}`);
    const g = groupOf(st.gid);
    if (g && userName !== null && (g[3] ?? '').split(',').map((s) => s.trim()).includes(userName) && !id.gids.includes(st.gid) && ((st.mode >> 3) & 6) === 6) {
      add('GROUP_NOT_ACTIVE', subject, `${userName} is in group ${g[0]} (/etc/group), but this session does not have it yet`, `log in again (or: newgrp ${g[0]})`);
    }
  }

  // -- the candidates --
  const candidates: Candidate[] = [];
  const fwctlUnder = (dir: string | null) => (dir === null ? null : entries.find((e) => e.parent?.sysfsPath === dir)?.name ?? null);
  const covered = new Set<string>();
  const modulesText = r.text(path.join(proc, 'modules'));
  const loaded = (m: string) => (modulesText !== null && new RegExp(`^${m} `, 'm').test(modulesText)) || r.exists(path.join(sys, 'module', m));
  const auxDir = path.join(sys, 'bus', 'auxiliary', 'devices');
  const auxNames = r.dir(auxDir);
  const pciOf = (dir: string) => (r.link(path.join(dir, 'subsystem')) === 'pci' ? path.basename(dir) : null);
  const cand = (c: Candidate) => candidates.push(c);
  for (const t of types) {
    const h = t.host;
    // the core drivers' auxiliary devices
    for (const prefix of h.auxDevices ?? []) {
      for (const aux of auxNames.filter((n) => n.startsWith(`${prefix}.`) && /^\d+$/.test(n.slice(prefix.length + 1)))) {
        const real = r.real(path.join(auxDir, aux));
        const parentDir = real === null ? null : path.dirname(real);
        if (parentDir) covered.add(parentDir);
        const driver = real === null ? null : r.link(path.join(real, 'driver'));
        const fw = fwctlUnder(parentDir);
        const pci = parentDir === null ? null : pciOf(parentDir);
        const subject = `${aux}${pci ? ` (${pci})` : ''}`;
        let reason: DoctorCode;
        if (fw) {
          reason = 'CANDIDATE_OK';
          add(reason, subject, `${t.name}: ${aux} is bound (${driver ?? '?'}), fwctl device ${fw}`);
        } else if (driver === null) {
          const mod = h.fwctlModule ?? '';
          if (mod && loaded(mod)) {
            reason = 'DRIVER_NOT_BOUND';
            add(reason, subject, `${t.name}: ${mod} is loaded but ${aux} is bound to no driver`, `echo ${aux} > /sys/bus/auxiliary/drivers_probe (or: modprobe -r ${mod}; modprobe ${mod}); see dmesg`);
          } else if (kconfig && h.kconfigDriver && !on(h.kconfigDriver)) {
            reason = 'DRIVER_NOT_BUILT';
            add(reason, subject, `${t.name}: ${aux} has no driver and this kernel has none to load: ${why(h.kconfigDriver)}`, `a kernel with ${optionOf(h, h.kconfigDriver)}`);
          } else {
            reason = 'MODULE_NOT_LOADED';
            add(reason, subject, `${t.name}: the driver module ${mod} is not loaded (${aux} has no driver)`, `modprobe ${mod}`);
          }
        } else {
          reason = 'REGISTER_FAILED';
          add(reason, subject, `${t.name}: ${aux} is bound to ${driver} but no fwctl device is registered under ${pci ?? 'its parent'}`, 'see dmesg for the driver\'s probe error');
        }
        cand({ type: t.name, name: aux, source: 'auxiliary', pciAddress: pci, driver, fwctl: fw, reason });
      }
    }
    for (const nf of h.noFwctlAux ?? []) {
      for (const aux of auxNames.filter((n) => n.startsWith(`${nf.prefix}.`))) {
        const real = r.real(path.join(auxDir, aux));
        if (real) covered.add(real);
        cand({ type: t.name, name: aux, source: 'auxiliary', pciAddress: null, driver: real === null ? null : r.link(path.join(real, 'driver')), fwctl: null, reason: 'NO_FWCTL_BY_DESIGN' });
        add('NO_FWCTL_BY_DESIGN', aux, `${t.name}: ${nf.why}`);
      }
    }
    // devices on another bus (CXL memdevs)
    if (h.busDevices) {
      const busDir = path.join(sys, 'bus', h.busDevices.bus, 'devices');
      const re = new RegExp(h.busDevices.name);
      for (const n of r.dir(busDir).filter((x) => re.test(x))) {
        const real = r.real(path.join(busDir, n));
        if (real === null) continue;
        covered.add(path.dirname(real));
        const fw = fwctlUnder(real);
        const pci = pciOf(path.dirname(real));
        const driver = r.link(path.join(real, 'driver'));
        let reason: DoctorCode;
        if (fw) {
          reason = 'CANDIDATE_OK';
          add(reason, n, `${t.name}: ${n}${pci ? ` (${pci})` : ''} has fwctl device ${fw}`);
        } else if (kconfig && h.kconfigDriver && !on(h.kconfigDriver)) {
          reason = 'DRIVER_NOT_BUILT';
          add(reason, n, `${t.name}: ${n} has no fwctl device: ${why(h.kconfigDriver)}`, `a kernel with ${optionOf(h, h.kconfigDriver)}`);
        } else {
          reason = 'NO_CAPABILITY';
          add(reason, n, `${t.name}: ${n} has no fwctl device: ${h.noDeviceReason ?? 'the driver registered none'}`, 'nothing to load: the device (or its firmware) must offer it');
        }
        cand({ type: t.name, name: n, source: 'bus', pciAddress: pci, driver, fwctl: fw, reason });
      }
    }
  }
  // PCI functions that could carry fwctl, not already explained by an auxiliary or bus device
  const pciDir = path.join(sys, 'bus', 'pci', 'devices');
  for (const bdf of r.dir(pciDir)) {
    const real = r.real(path.join(pciDir, bdf));
    if (real === null || covered.has(real)) continue;
    const vendor = Number(r.text(path.join(real, 'vendor'))?.trim() ?? NaN);
    const cls = Number(r.text(path.join(real, 'class'))?.trim() ?? NaN) >> 8;
    const t = types.find((x) => (x.host.pciVendorIds !== undefined || x.host.pciClasses !== undefined)
      && (x.host.pciVendorIds === undefined || x.host.pciVendorIds.includes(vendor))
      && (x.host.pciClasses === undefined || x.host.pciClasses.includes(cls)));
    if (!t) continue;
    const h = t.host;
    const driver = r.link(path.join(real, 'driver'));
    const fw = fwctlUnder(real);
    const core = h.coreDrivers?.[0];
    let reason: DoctorCode;
    if (fw) {
      reason = 'CANDIDATE_OK';
      add(reason, bdf, `${t.name}: ${bdf} has fwctl device ${fw}`);
    } else if (driver === null) {
      reason = 'CORE_DRIVER_NOT_BOUND';
      add(reason, bdf, `${t.name}: PCI ${bdf} (vendor 0x${vendor.toString(16)}, class 0x${cls.toString(16).padStart(4, '0')}) is bound to no driver`,
        core ? `modprobe ${core}${h.fwctlModule ? ` ${h.fwctlModule}` : ''}` : undefined);
    } else if (h.coreDrivers && !h.coreDrivers.includes(driver)) {
      reason = 'OTHER_DRIVER';
      add(reason, bdf, `${t.name}: PCI ${bdf} is bound to ${driver}, not ${h.coreDrivers.join(' or ')}: no fwctl device from it`);
    } else {
      reason = 'NO_CAPABILITY';
      add(reason, bdf, `${t.name}: PCI ${bdf} (${driver}) has no fwctl device: ${h.noDeviceReason ?? 'the driver registered none'}`);
    }
    cand({ type: t.name, name: bdf, source: 'pci', pciAddress: bdf, driver, fwctl: fw, reason });
  }

  if (r.unseen.length) {
    add('NOT_VISIBLE', 'process', `not readable without more privileges: ${[...new Set(r.unseen)].join(', ')}`);
  }

  // -- narrowing to one device --
  let shownDevices = access;
  let shownCandidates = candidates;
  let shownFindings = findings;
  if (options.device !== undefined) {
    const d = options.device;
    const match = (...names: (string | null)[]) => names.some((n) => n !== null && (n === d || n === `0000:${d}`));
    shownDevices = access.filter((a) => match(a.name, a.path, a.parent, a.pciAddress));
    shownCandidates = candidates.filter((c) => match(c.name, c.pciAddress, c.fwctl) || shownDevices.some((a) => a.name === c.fwctl));
    const subjects = new Set([...shownDevices.map((a) => a.name), ...shownCandidates.map((c) => c.name)]);
    shownFindings = findings.filter((f) => f.subject === 'kernel' || f.subject === 'process' || f.subject === 'addon'
      || subjects.has(f.subject) || [...subjects].some((s) => f.subject.startsWith(`${s} `)));
    if (shownDevices.length === 0 && shownCandidates.length === 0) {
      shownFindings.push(findingOf('DEVICE_NOT_FOUND', d, `no fwctl device or candidate matches ${d}`, 'fwctl doctor (without a device) lists what this host has'));
    }
  }
  const usable = shownDevices.some((a) => a.usable);
  const nUsable = shownDevices.filter((a) => a.usable).length;
  shownFindings.push(usable
    ? findingOf('USABLE', 'verdict', `${nUsable} of ${shownDevices.length} fwctl device(s) usable by this process`)
    : findingOf('NONE_USABLE', 'verdict', shownDevices.length === 0
      ? 'no usable fwctl device: none exists here (see above why)'
      : `no usable fwctl device: ${shownDevices.length} exist but this process can use none (see above)`));
  return {
    kernel,
    process: { uid: id.uid, gids: id.gids, capSysRawio: rawio, initialUserNamespace: id.initialNs },
    addon: { loads: addonError === null, error: addonError },
    devices: shownDevices,
    candidates: shownCandidates,
    findings: shownFindings,
    usable,
  };
}

/** The diagnosis as `fwctl doctor` prints it: one line per finding, then its next step. */
export function formatDiagnosis(d: Diagnosis): string {
  const width = Math.max(...d.findings.map((f) => f.subject.length), 6);
  return d.findings.map((f) => `${f.severity.padEnd(5)} ${f.subject.padEnd(width)}  ${f.message}${f.fix ? `\n${' '.repeat(width + 8)}-> ${f.fix}` : ''}`).join('\n') + '\n';
}
