// The PCI function a fwctl device node belongs to, from sysfs (through the
// sysfs layer of lib/ground.ts, so a replay answers it from its transcript),
// cached per node: the tracing events and the audit trail name it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { sysLayer } from './ground';
import { sysfsRootOf } from './discovery';

const cache = new Map<string, string | null>();

function read(op: 'realpath' | 'readlink', p: string): string | null {
  const real = () => {
    try {
      return op === 'realpath' ? fs.realpathSync(p) : fs.readlinkSync(p);
    } catch {
      return null;
    }
  };
  const l = sysLayer();
  return (l ? l.sync(op, p, real) : real()) as string | null;
}

function isPci(dir: string): boolean {
  const t = read('readlink', path.join(dir, 'subsystem'));
  return t !== null && path.basename(t) === 'pci';
}

/** The parent's PCI address (or the PCI device under a CXL memdev), or null. */
export function pciParentOf(devicePath: string): string | null {
  let v = cache.get(devicePath);
  if (v !== undefined) return v;
  const real = read('realpath', path.join(sysfsRootOf(), 'class', 'fwctl', path.basename(devicePath), 'device'));
  v = real === null ? null : isPci(real) ? path.basename(real) : isPci(path.dirname(real)) ? path.basename(path.dirname(real)) : null;
  cache.set(devicePath, v);
  return v;
}

/** @internal Forget the cache (tests, hot-plug). */
export function clearParentCache(): void {
  cache.clear();
}
