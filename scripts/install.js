#!/usr/bin/env node
// The package's npm install hook. On Linux: node-gyp-build (the shipped
// prebuild for this platform, or a build from source). Elsewhere no addon can
// run (fwctl is a Linux kernel interface), but the package still serves
// transcript replay (fwctl.replay(), FWCTL_REPLAY), which never loads the
// addon: nothing to build, nothing to fail.
'use strict';
if (process.platform !== 'linux') {
  console.log(`fwctl: no native addon on ${process.platform}: devices need Linux; transcript replay works without it`);
  process.exit(0);
}
const { spawnSync } = require('node:child_process');
const r = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
