#!/usr/bin/env node
// `npm start`, the main job: show this machine's fwctl devices with the CLI
// (list, then info for each). On a machine without fwctl hardware it boots the
// test VM (npm run demo): the kernel's own mlx5, bnxt and pds fwctl drivers
// over emulated firmware on three PCI functions and drivers/cxl over an
// emulated CXL memdev, with list, inventory and a typed command per type.
'use strict';
const fs = require('fs');
const path = require('path');
const { repo, say, run, ensureInstalled, buildNative, buildTs } = require('./build');

for (const step of [ensureInstalled, buildNative, buildTs]) {
  const err = step();
  if (err) {
    say(`error: ${err}`);
    process.exit(1);
  }
}

let devices = [];
try {
  devices = fs.readdirSync('/sys/class/fwctl').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
} catch {
  // no fwctl class: the kernel has no fwctl core loaded
}
const cli = path.join(repo, 'dist/lib/cli/main.js');
if (devices.length === 0) {
  say('this machine has no fwctl device: running the CLI in the test VM, on the kernel\'s mlx5/bnxt/pds fwctl drivers over emulated firmware and drivers/cxl over an emulated CXL memdev (npm run demo)');
  process.exit(run('bash', [path.join(repo, 'test/kernel/scripts/demo.sh')]));
}
let status = run(process.execPath, [cli, 'list']);
for (const d of devices) {
  process.stdout.write(`\n$ fwctl info ${d}\n`);
  status = run(process.execPath, [cli, 'info', d]) || status;
}
process.exit(status);
