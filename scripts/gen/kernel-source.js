#!/usr/bin/env node
// The one kernel-source lookup: every generator (scripts/gen.js), the unit
// tests that compare with the kernel, and test/kernel/scripts/fetch-source.sh
// (which fetches the tree when this finds none) use this rule:
//
//   $FWCTL_KERNEL_SRC if set (a tree you unpacked yourself), else the newest
//   $FWCTL_CACHE_DIR/src/linux-source-7.<N> (default cache ~/.cache/fwctl-node)
//   that fetch-source.sh finished unpacking (it writes .unpacked last).
//
//   node scripts/gen/kernel-source.js [--cached]   prints the tree, or exits 1
//     --cached: the cache only, $FWCTL_KERNEL_SRC ignored (fetch-source.sh)
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Files every generator reads: a tree without them is not one to generate from. */
const REQUIRED = ['drivers/fwctl/mlx5/main.c', 'drivers/fwctl/bnxt/main.c', 'include/linux/mlx5/mlx5_ifc.h', 'include/linux/bnxt/hsi.h'];

function cacheDir(env = process.env) {
  return env.FWCTL_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'fwctl-node');
}

/** The newest linux-source-7.N of the cache, if fully unpacked; else null (as fetch-source.sh: it would fetch again). */
function cachedSource(env = process.env) {
  const dir = path.join(cacheDir(env), 'src');
  let names;
  try {
    names = fs.readdirSync(dir).filter((n) => /^linux-source-7\.\d+$/.test(n));
  } catch {
    return null;
  }
  names.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const newest = names.pop();
  return newest && fs.existsSync(path.join(dir, newest, '.unpacked')) ? path.join(dir, newest) : null;
}

/** $FWCTL_KERNEL_SRC, else the cached tree, else null. */
function kernelSource(env = process.env) {
  return env.FWCTL_KERNEL_SRC || cachedSource(env);
}

/** Throws naming what is missing when `dir` is not a kernel tree the generators can read. */
function checkSource(dir) {
  const missing = REQUIRED.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`${dir} is not a kernel source tree with the fwctl drivers: no ${missing.join(', ')}`);
}

/** { linux: '7.3.4', debian: '7.3.4-1~bpo13+1' | null, tree: 'linux-source-7.3', text } */
function kernelVersion(dir) {
  let linux = 'unknown';
  try {
    const mk = fs.readFileSync(path.join(dir, 'Makefile'), 'utf8');
    const v = (k) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(mk)?.[1] ?? '';
    linux = `${v('VERSION')}.${v('PATCHLEVEL')}.${v('SUBLEVEL')}${v('EXTRAVERSION')}`;
  } catch {
    // no Makefile: a partial tree
  }
  let debian = null;
  try {
    debian = fs.readFileSync(path.join(dir, '.debian-version'), 'utf8').trim();
  } catch {
    // not unpacked by fetch-source.sh
  }
  const tree = path.basename(dir);
  return { linux, debian, tree, text: `Linux ${linux} (${tree}${debian ? `, Debian ${debian}` : ''})` };
}

module.exports = { kernelSource, cachedSource, checkSource, kernelVersion, cacheDir, REQUIRED };

if (require.main === module) {
  const src = process.argv.includes('--cached') ? cachedSource() : kernelSource();
  if (!src) process.exit(1);
  process.stdout.write(`${src}\n`);
}
