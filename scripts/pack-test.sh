#!/usr/bin/env bash
# Pack the package and install the tarball into a scratch project, as a user
# would with npm 11 (which runs no dependency install scripts unless the
# project approves them): the addon must load from the shipped linux-x64
# prebuild, with no compiler involved, from CommonJS, ESM, TypeScript and the
# `fwctl` bin. Needs the npm registry for node-gyp-build (a runtime dependency).
#
# Prints `N passed, N failed` for its checks; exits non-zero on any failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fwctl-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check NAME CMD...
  local name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "[pack-test] ok   $name"
  else
    failed=$((failed + 1)); echo "[pack-test] FAIL $name"; printf '%s\n' "$out" | sed 's/^/    /' | tail -n 30
  fi
}

cd "$repo"
echo "[pack-test] building the prebuild and packing"
npm run --silent build:prebuild >"$work/prebuild.log" 2>&1 || { cat "$work/prebuild.log"; exit 1; }
tgz=$(npm pack --silent --pack-destination "$work" 2>"$work/pack.log" | tail -n1)
[ -f "$work/$tgz" ] || { cat "$work/pack.log"; echo "npm pack produced no tarball"; exit 1; }

check "tarball ships the linux-x64 prebuild, dist and types, and no tests" bash -c "
  tar -tzf '$work/$tgz' > '$work/contents'
  grep -qx 'package/prebuilds/linux-x64/fwctl.node' '$work/contents' || grep -q 'package/prebuilds/linux-x64/.*\.node' '$work/contents'
  grep -qx 'package/dist/lib/index.js' '$work/contents'
  grep -qx 'package/dist/lib/index.mjs' '$work/contents'
  grep -qx 'package/dist/lib/index.d.ts' '$work/contents'
  ! grep -q 'package/dist/test/' '$work/contents'
  ! grep -q 'package/build/' '$work/contents'"

app="$work/app"
mkdir -p "$app"
cd "$app"
cat > package.json <<'EOF'
{ "name": "fwctl-pack-test", "version": "1.0.0", "private": true }
EOF
check "npm install of the tarball (dependency install scripts not run)" \
  npm install --no-audit --no-fund --ignore-scripts "$work/$tgz"
check "no compiler output in the installed package" test ! -e node_modules/fwctl/build
check "the addon loads from the prebuild (CommonJS)" node -e "
  const p = require('node-gyp-build').path(require('path').dirname(require.resolve('fwctl/package.json')));
  if (!p.includes('prebuilds/linux-x64')) throw new Error('loaded ' + p);
  const fwctl = require('fwctl');
  const h = require('fwctl/package.json');
  // Opening a missing node goes through the native open: a typed ENOENT.
  try { fwctl.openSync('/nonexistent-fwctl'); throw new Error('opened?'); }
  catch (e) { if (!(e instanceof fwctl.FwctlError) || e.code !== 'ENOENT') throw e; }
  if (!Array.isArray(fwctl.listSync())) throw new Error('listSync');
  if (fwctl.Scope.DebugReadOnly !== 1) throw new Error('Scope');"
check "ESM import, named and subpath exports" node --input-type=module -e "
  import * as fwctl from 'fwctl';
  import { open, Scope, FwctlError } from 'fwctl';
  import * as cxl from 'fwctl/cxl';
  import * as mlx5 from 'fwctl/mlx5';
  if (typeof open !== 'function' || Scope.Configuration !== 0 || typeof FwctlError !== 'function') throw new Error('named');
  if (typeof cxl.getSupportedFeatures !== 'function') throw new Error('cxl');
  if (typeof fwctl.list !== 'function' || !mlx5) throw new Error('ns');
  const req = (await import('module')).createRequire(import.meta.url);
  if (req('fwctl').FwctlError !== FwctlError) throw new Error('two module instances');"
check "the fwctl bin runs (list --json)" bash -c "npx --no-install fwctl list --json | node -e 'JSON.parse(require(\"fs\").readFileSync(0,\"utf8\"))'"
cat > use.ts <<'EOF'
import * as fwctl from 'fwctl';
async function main(): Promise<void> {
  const devices: fwctl.FwctlDeviceEntry[] = await fwctl.list();
  for (const d of devices) {
    await using dev = await fwctl.open(d.name);
    const info: fwctl.DeviceInfo = await dev.info();
    const res: fwctl.RpcResult = await dev.rpc(new Uint8Array(16), { scope: fwctl.Scope.DebugReadOnly });
    console.log(info.type, res.length, res.truncated);
  }
}
void main;
EOF
cat > tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "node16",
  "moduleResolution": "node16", "lib": ["ES2022", "esnext.disposable"], "types": ["node"], "typeRoots": ["TYPEROOTS"] } }
EOF
sed -i "s#TYPEROOTS#$repo/node_modules/@types#" tsconfig.json
check "TypeScript consumers type-check against the shipped .d.ts" node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json

echo "[pack-test] $tgz: $(du -h "$work/$tgz" | cut -f1)"
echo "pack: $passed passed, $failed failed"
[ "$failed" = 0 ]
