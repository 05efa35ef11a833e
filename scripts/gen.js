#!/usr/bin/env node
// Every generated file of the package, from the kernel source:
//
//   npm run gen                       regenerate them all
//   npm run gen -- --check            write nothing; exit 1 naming, for each file that
//                                     differs, its first differing line (expected vs actual)
//   npm run gen -- --source DIR       a kernel tree (default: scripts/gen/kernel-source.js:
//                                     $FWCTL_KERNEL_SRC, else the newest cached linux-source-7.N)
//
// Exit status 2 when there is no kernel source (fetch it with
// test/kernel/scripts/fetch-source.sh) or the arguments are wrong.
// scripts/test.js runs the check as a step of npm test.
//
// The outputs sit in a generated/ folder next to the code that uses them; each
// starts with an SPDX line for the licence of the sources it derives from,
// then the generator, the kernel version and every source file. The
// generators share scripts/gen/: kernel-source.js (the lookup), c.js (comments,
// #defines, tokenizer, constant expressions, the host C programs), emit.js
// (the header, the first difference) and licence.js (SPDX).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { kernelSource, checkSource, kernelVersion } = require('./gen/kernel-source');
const { firstDifference } = require('./gen/emit');
const mlx5Ifc = require('./gen/mlx5-ifc');
const mlx5Nv = require('./gen/mlx5-nv');
const bnxtHwrm = require('./gen/bnxt-hwrm');
const tables = require('./gen/driver-tables');
const bnxtNvm = require('./gen/bnxt-nvm');
const mlxfw = require('./gen/mlxfw');

const ROOT = path.resolve(__dirname, '..');

/** Every generated file: path from the repository root and how it is made (ctx: one source tree, results shared). */
const OUTPUTS = [
  { file: mlx5Ifc.OUT, make: (ctx) => ctx.mlx5().text },
  { file: 'lib/mlx5/generated/opcodes.ts', make: (ctx) => tables.mlx5Ts(ctx.src) },
  { file: mlx5Nv.OUT, make: (ctx) => mlx5Nv.generate(ctx.src).text },
  { file: mlxfw.OUT, make: (ctx) => mlxfw.generate(ctx.src).text },
  { file: bnxtHwrm.OUT, make: (ctx) => ctx.hwrm().text },
  { file: 'lib/bnxt/generated/commands.ts', make: (ctx) => tables.bnxtTs(ctx.src, ctx.hwrm()) },
  { file: bnxtNvm.OUT, make: (ctx) => bnxtNvm.generate(ctx.src).text },
];

/** The folders generated files live in: any other file there is stale. */
const GENERATED_DIRS = [...new Set(OUTPUTS.map((o) => path.dirname(o.file)))];

function context(src) {
  checkSource(src);
  let mlx5;
  let hwrm;
  return {
    src,
    mlx5: () => (mlx5 ??= mlx5Ifc.generate(src)),
    hwrm: () => (hwrm ??= bnxtHwrm.generate(src)),
  };
}

/** [{ file, text }] for every output, from `src`. */
function generateAll(src) {
  const ctx = context(src);
  return OUTPUTS.map((o) => ({ file: o.file, text: o.make(ctx) }));
}

/**
 * The checked-in files under `root` against what `src` generates: one message
 * per problem (a file's first differing line, a missing file, a file in a
 * generated/ folder that nothing generates); [] when everything matches.
 */
function check(src, root = ROOT) {
  const problems = [];
  const outputs = generateAll(src);
  for (const { file, text } of outputs) {
    const p = path.join(root, file);
    if (!fs.existsSync(p)) { problems.push(`${file}: missing (npm run gen writes it)`); continue; }
    const diff = firstDifference(file, text, fs.readFileSync(p, 'utf8'));
    if (diff) problems.push(diff);
  }
  const known = new Set(outputs.map((o) => o.file));
  for (const dir of GENERATED_DIRS) {
    let names = [];
    try { names = fs.readdirSync(path.join(root, dir)); } catch { /* checked above */ }
    for (const n of names) if (!known.has(`${dir}/${n}`)) problems.push(`${dir}/${n}: in a generated/ folder, but no generator writes it (remove it, or add its generator to scripts/gen.js)`);
  }
  return problems;
}

function main(argv) {
  let source;
  let doCheck = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') doCheck = true;
    else if (argv[i] === '--source' && i + 1 < argv.length) source = argv[++i];
    else {
      console.error(`usage: node scripts/gen.js [--check] [--source DIR]; unknown argument ${argv[i]}`);
      return 2;
    }
  }
  source = source ?? kernelSource();
  if (!source) {
    console.error('gen: no kernel source: pass --source DIR, set FWCTL_KERNEL_SRC, or fetch it (bash test/kernel/scripts/fetch-source.sh)');
    return 2;
  }
  const version = kernelVersion(source).text;
  if (doCheck) {
    const problems = check(source);
    for (const p of problems) console.error(p);
    if (problems.length) {
      console.error(`gen --check: ${problems.length} difference(s) from what ${source} generates (${version}); run npm run gen and review the change`);
      return 1;
    }
    console.log(`gen --check: ${OUTPUTS.length} generated files match ${version}`);
    return 0;
  }
  for (const { file, text } of generateAll(source)) {
    const p = path.join(ROOT, file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    console.log(`wrote ${file}: ${text.split('\n').length} lines, ${text.length} bytes`);
  }
  console.log(`from ${version}`);
  return 0;
}

module.exports = { OUTPUTS, GENERATED_DIRS, generateAll, check, main, ROOT };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`gen: ${e.message}`);
    process.exitCode = 1;
  }
}
