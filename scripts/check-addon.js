#!/usr/bin/env node
'use strict';
// The shipped addon carries no benchmark code: fails when a .node file
// given on the command line contains a string of the bench build's N-API
// floor (bench/floor.cc, compiled only with FWCTL_BENCH_FLOOR).
//   node scripts/check-addon.js FILE.node...
// Used by test/unit/native.test.ts (build/Release/fwctl.node) and
// scripts/pack-test.sh (the tarball's prebuilds).
const fs = require('fs');

const FORBIDDEN = ['rpcNoop', 'bindNoop', 'NoopBound', 'BindNoop', 'BoundNoopCall', 'FWCTL_BENCH_FLOOR'];

/** The forbidden strings found in the file's bytes. */
function benchStrings(file) {
  const bytes = fs.readFileSync(file);
  return FORBIDDEN.filter((s) => bytes.includes(Buffer.from(s, 'latin1')));
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: check-addon.js FILE.node...');
    process.exit(2);
  }
  let bad = 0;
  for (const f of files) {
    const found = benchStrings(f);
    if (found.length) {
      bad++;
      console.error(`check-addon: ${f} contains benchmark code: ${found.join(', ')}`);
    } else {
      console.log(`check-addon: ${f}: no benchmark code`);
    }
  }
  process.exit(bad ? 1 : 0);
}

module.exports = { benchStrings, FORBIDDEN };
