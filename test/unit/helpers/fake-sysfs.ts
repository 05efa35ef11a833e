// A fake sysfs (and /dev) tree in a temp dir, shaped like the real one:
// /sys/class/fwctl/fwctlN -> ../../devices/<parent>/fwctl/fwctlN, with dev,
// device and subsystem; parents with subsystem/driver links and class dirs;
// /sys/dev/char/MAJ:MIN -> the class device.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ParentSpec {
  subsystem?: string;
  driver?: string;
  net?: string[];
  infiniband?: string[];
}

export class FakeSys {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'fwctl-fakesys-'));
  readonly sys = path.join(this.root, 'sys');
  readonly dev = path.join(this.root, 'dev');

  constructor() {
    fs.mkdirSync(path.join(this.sys, 'class'), { recursive: true });
    fs.mkdirSync(path.join(this.sys, 'dev', 'char'), { recursive: true });
    fs.mkdirSync(path.join(this.dev, 'fwctl'), { recursive: true });
  }

  get roots() {
    return { sysfsRoot: this.sys, devRoot: this.dev };
  }

  /** A device directory under /sys/devices (e.g. 'pci0000:00/0000:01:00.0'). */
  addParent(rel: string, spec: ParentSpec = {}): string {
    const dir = path.join(this.sys, 'devices', rel);
    fs.mkdirSync(dir, { recursive: true });
    if (spec.subsystem) this.link(dir, 'subsystem', path.join(this.sys, 'bus', spec.subsystem));
    if (spec.driver && spec.subsystem) {
      this.link(dir, 'driver', path.join(this.sys, 'bus', spec.subsystem, 'drivers', spec.driver));
    }
    for (const n of spec.net ?? []) fs.mkdirSync(path.join(dir, 'net', n), { recursive: true });
    for (const n of spec.infiniband ?? []) fs.mkdirSync(path.join(dir, 'infiniband', n), { recursive: true });
    return dir;
  }

  /** A class device `name` of class `cls` under parent `rel`, registered in /sys/dev/char. */
  addClassDevice(cls: string, name: string, parentRel: string, major: number, minor: number): string {
    const parent = path.join(this.sys, 'devices', parentRel);
    const dir = path.join(parent, cls, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'dev'), `${major}:${minor}\n`);
    this.link(dir, 'device', parent);
    this.link(dir, 'subsystem', path.join(this.sys, 'class', cls));
    fs.mkdirSync(path.join(this.sys, 'class', cls), { recursive: true });
    this.link(path.join(this.sys, 'class', cls), name, dir);
    this.link(path.join(this.sys, 'dev', 'char'), `${major}:${minor}`, dir);
    return dir;
  }

  addFwctl(name: string, parentRel: string, major = 240, minor = Number(name.replace(/\D/g, '')) || 0): string {
    return this.addClassDevice('fwctl', name, parentRel, major, minor);
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** A relative symlink, as sysfs has. */
  private link(dir: string, name: string, target: string): void {
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(path.relative(dir, target), path.join(dir, name));
  }
}
