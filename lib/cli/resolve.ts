// A <device> argument: fwctlN, a path, or something find() knows
// (PCI address, parent name, net/InfiniBand/CXL memdev name).

import { findSync, type FwctlDeviceEntry } from '../discovery';

export function isNameOrPath(spec: string): boolean {
  return /^fwctl\d+$/.test(spec) || spec.startsWith('/') || spec.startsWith('./') || spec.startsWith('../');
}

/** The name or path to open, or undefined when nothing matches. */
export function resolveDeviceArg(spec: string): string | undefined {
  if (isNameOrPath(spec)) return spec;
  const entry: FwctlDeviceEntry | undefined =
    findSync({ pci: spec }) ?? findSync({ parent: spec }) ?? findSync({ name: spec });
  return entry?.path;
}
