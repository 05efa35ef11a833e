// A <device> argument: fwctlN, a path, or something find() knows
// (PCI address, parent name, net/InfiniBand/CXL memdev name).

import { listSync, matches, type FwctlDeviceEntry } from '../discovery';
import { FwctlError } from '../errors';

export function isNameOrPath(spec: string): boolean {
  return /^fwctl\d+$/.test(spec) || spec.startsWith('/') || spec.startsWith('./') || spec.startsWith('../');
}

/** Every device the argument names, as a PCI address, a parent name or a class device name, in list() order. */
export function devicesMatching(spec: string): FwctlDeviceEntry[] {
  return listSync().filter((e) => matches(e, { pci: spec }) || matches(e, { parent: spec }) || matches(e, { name: spec }));
}

/**
 * The name or path to open, or undefined when nothing matches. An argument
 * that names several devices (a PCI function with a fwctl device and a CXL
 * memdev's, a parent with several) is an error listing them: picking the
 * first would act on a device the user did not mean.
 */
export function resolveDeviceArg(spec: string): string | undefined {
  if (isNameOrPath(spec)) return spec;
  const found = devicesMatching(spec);
  if (found.length > 1) {
    const names = found.map((e) => `${e.name} (${e.parent?.name ?? 'no parent'})`).join(', ');
    throw new FwctlError({ code: 'ERR_FWCTL_AMBIGUOUS',
      detail: `'${spec}' matches ${found.length} fwctl devices: ${names}; give one of them by name` });
  }
  return found[0]?.path;
}
