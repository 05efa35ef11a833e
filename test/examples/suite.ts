// The jest side of the documented examples in the kernel suite: one test per
// example of this boot (test/examples/examples.ts says how each runs), a
// skipped one for each that needs a newer Node than this one, and a count.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fwctl from '../../lib';
import { allExamples, DeviceKind, Example, label, runExample, Targets, workdir } from './examples';
import { makeMfa2 } from '../kernel/emu/mlx5-images';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: this boot lacks the device the example needs`);
  return v;
};

export function exampleTests(boot: 'main' | 'cxl'): void {
  const all = allExamples();
  const mine = all.filter((e) => e.notRunnable === null && e.boot === boot);
  const major = Number(process.versions.node.split('.')[0]);
  const runnable = mine.filter((e) => e.minNode === null || major >= e.minNode);
  const newer = mine.filter((e) => !runnable.includes(e));
  let dir: string;
  let bin: string;
  const entry = (kind: DeviceKind): fwctl.FwctlDeviceEntry => {
    const where = kind === 'cxl' ? { parent: targets.cxlMemdev() } : { pci: targets.pci(kind) };
    const e = fwctl.findSync(where);
    if (!e) throw new Error(`no fwctl device for ${JSON.stringify(where)} (${kind})`);
    return e;
  };
  const targets: Targets = {
    pci: (kind) => (kind === 'cxl' ? entry(kind).parent!.pciAddress! : env(`FWCTL_EMU_PCI_${kind.toUpperCase()}`)),
    name: (kind) => entry(kind).name,
    driver: (kind) => entry(kind).parent!.driver!,
    cxlMemdev: () => env('FWCTL_CXLEMU_MEMDEV'),
    // the last of cxl_test's memdevs: features.cxl.test.ts works on the first two
    cxlTestMemdev: () => env('FWCTL_CXL_MEMDEVS').trim().split(/\s+/).sort().pop()!,
    get tmp() {
      return dir;
    },
  };

  beforeAll(() => {
    ({ dir, bin } = workdir(process.env.TMPDIR ?? os.tmpdir(), process.execPath));
    // The files the docs name as tmp/NAME: an MFA2 archive for the emulated mlx5 (64 KiB, the examples flash with --dry-run).
    if (boot === 'main') fs.writeFileSync(path.join(dir, 'mlx5-fw.mfa2'), makeMfa2({ psid: 'MT_0000000EMU', version: '28.41.1000', size: 64 * 1024 }));
    process.stderr.write(`[examples] ${boot} boot, node ${process.version}: ${runnable.length} to run, ${newer.length} for a newer Node, `
      + `${all.filter((e) => e.notRunnable !== null).length} marked not-runnable, ${all.filter((e) => e.notRunnable === null && e.boot !== boot).length} in another boot (of ${all.length} in ${new Set(all.map((e) => e.file)).size} files)\n`);
  });

  test(`the docs have examples for the ${boot} boot`, () => {
    expect(mine.length).toBeGreaterThan(0);
    expect(all.flatMap((e) => e.problems.map((p) => `${label(e)}: ${p}`))).toEqual([]);
  });

  const run = (ex: Example, node: string, version: string): void => {
    const r = runExample(ex, targets, { node, dir, bin, timeoutMs: 90_000 });
    const out = `exit ${r.status}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
    if (r.status !== 0) throw new Error(`${label(ex)} failed on node ${version}: ${out}`);
    process.stderr.write(`[examples] ${label(ex)}, node ${version}: ${r.ms} ms\n`);
  };
  test.each(runnable.map((e) => [label(e), e] as [string, Example]))(`%s runs on node ${process.version}`, (_name, ex) => {
    run(ex, process.execPath, process.version);
  });
  // An example for a newer Node is reported, not silently dropped.
  for (const ex of newer) test.skip(`${label(ex)} needs node >= ${ex.minNode} (this is ${process.version})`, () => undefined);

  // FWCTL_EXAMPLE_NODES: more node binaries (':'-separated) to run each
  // example under, in this boot (scripts/test.js sets it for the cxl boot).
  for (const node of (process.env.FWCTL_EXAMPLE_NODES ?? '').split(':').filter(Boolean)) {
    const version = `v${execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()}`;
    const nodeMajor = Number(version.slice(1).split('.')[0]);
    for (const ex of mine) {
      const name = `${label(ex)} runs on node ${version} (${node})`;
      if (ex.minNode !== null && nodeMajor < ex.minNode) test.skip(`${label(ex)} needs node >= ${ex.minNode} (${version})`, () => undefined);
      else test(name, () => run(ex, node, version));
    }
  }
}
