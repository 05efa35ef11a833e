'use strict';
// Shared by `npm start` and `npm test`: install dependencies when missing,
// build the addon when it is stale, compile TypeScript. Each step logs what
// it does; a failure returns a message (null when all is well).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');

function say(msg) {
  process.stderr.write(`[fwctl] ${msg}\n`);
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.error ? 127 : r.status === null ? 128 : r.status;
}
function newest(paths) {
  let m = 0;
  for (const p of paths) {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      continue;
    }
    m = st.isDirectory() ? Math.max(m, newest(fs.readdirSync(p).map((e) => path.join(p, e)))) : Math.max(m, st.mtimeMs);
  }
  return m;
}

/** npm install when the dev dependencies are not there (a fresh clone). */
function ensureInstalled() {
  if (fs.existsSync(path.join(repo, 'node_modules/typescript/bin/tsc')) && fs.existsSync(path.join(repo, 'node_modules/jest'))) {
    return null;
  }
  say('node_modules is missing: npm install');
  return run('npm', ['install', '--no-audit', '--no-fund']) === 0 ? null : 'npm install failed';
}

/** The addon when missing or older than native/ and binding.gyp. */
function buildNative() {
  const addon = path.join(repo, 'build/Release/fwctl.node');
  const src = newest([path.join(repo, 'native'), path.join(repo, 'binding.gyp')]);
  const built = fs.existsSync(addon) ? fs.statSync(addon).mtimeMs : 0;
  if (built >= src) return null;
  say('building the native addon (node-gyp rebuild)');
  return run('npx', ['--no-install', 'node-gyp', 'rebuild']) === 0 ? null : 'native addon build failed';
}

/** tsc, then the ESM wrappers. */
function buildTs() {
  say('compiling TypeScript (tsc -p tsconfig.json)');
  if (run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']) !== 0) return 'TypeScript compile failed';
  return run(process.execPath, [path.join(repo, 'scripts/write-esm-wrapper.js')]) === 0 ? null : 'scripts/write-esm-wrapper.js failed';
}

module.exports = { repo, say, run, newest, ensureInstalled, buildNative, buildTs };
