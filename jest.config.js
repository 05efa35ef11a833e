'use strict';
// Jest runs the JavaScript that tsc compiled into dist/ (no transforms, no
// ts-jest): `unit` on the host, `kernel` inside the test VM (see
// scripts/test.js and test/kernel/scripts/run-vm.sh). In the VM the repo is
// read-only, so the cache lives in TMPDIR (/run/tmp there) and nothing else
// is written (no coverage; run with --ci so snapshots are never written).
const fs = require('fs');
const os = require('os');
const path = require('path');

const existing = (dir) => (fs.existsSync(path.join(__dirname, dir)) ? [`<rootDir>/${dir}`] : []);

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {},
  moduleFileExtensions: ['js', 'json', 'node'],
  testMatch: ['**/*.test.js'],
  cacheDirectory: path.join(os.tmpdir(), 'jest-fwctl'),
  // Tests import lib's modules directly, not only the package entry: register
  // the built-in device types first, as requiring 'fwctl' does (before the
  // addon loads and takes their pointer guards).
  setupFiles: ['<rootDir>/dist/lib/types/builtin.js'],
};

module.exports = {
  // In the VM everything is several times slower (TCG emulation when there is
  // no usable KVM): a larger default per-test timeout there. (A global option:
  // jest ignores testTimeout inside a project.)
  ...(process.env.FWCTL_IN_VM === '1' ? { testTimeout: 30000 } : {}),
  watchman: false,
  collectCoverage: false,
  projects: [
    { ...common, displayName: 'unit', roots: existing('dist/test/unit') },
    { ...common, displayName: 'kernel', roots: existing('dist/test/kernel/suite') },
  ],
};
