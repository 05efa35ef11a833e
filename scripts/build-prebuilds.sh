#!/usr/bin/env bash
# Build every prebuild the package ships: prebuilds/linux-x64 with the host
# compiler and prebuilds/linux-arm64 cross-compiled with Debian's
# g++-aarch64-linux-gnu (N-API, so one build per architecture serves every
# Node release). Run by `npm pack` / `npm publish` (prepack).
#
#   scripts/build-prebuilds.sh [--require-arm64]
#
# The builds run in a scratch copy of binding.gyp and native/, so the
# working tree's build/ (the addon the tests load) is left alone. Without the
# cross compiler the arm64 prebuild is skipped with a warning (an error with
# --require-arm64, FWCTL_REQUIRE_ARM64=1 and under `npm publish`;
# test/kernel/scripts/provision.sh installs it). Prints one line per prebuild: its path, size and build time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "[prebuilds] $*" >&2; }
require_arm64=${FWCTL_REQUIRE_ARM64:-0}
[ "${1:-}" = "--require-arm64" ] && require_arm64=1
# npm publish ships both or nothing.
[ "${npm_command:-}" = "publish" ] && require_arm64=1

cross=0; command -v aarch64-linux-gnu-g++ >/dev/null && cross=1
if [ "$cross" = 0 ] && [ "$require_arm64" = 1 ]; then
  say "error: aarch64-linux-gnu-g++ not found (apt-get install g++-aarch64-linux-gnu, or test/kernel/scripts/provision.sh)"
  exit 1
fi
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { say "error: the prebuilds are built on an x86_64 Linux host"; exit 1; }
[ -x "$repo/node_modules/.bin/prebuildify" ] || { say "error: node_modules/.bin/prebuildify missing: run npm install first"; exit 1; }
# node-gyp takes Node's headers from npm's nodedir (set on this machine kind,
# so nothing is downloaded); outside npm, ask npm for it.
if [ -z "${npm_config_nodedir:-}" ]; then
  nd=$(npm config get nodedir 2>/dev/null || true)
  case "$nd" in ""|undefined|null) ;; *) export npm_config_nodedir=$nd ;; esac
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fwctl-prebuilds.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$repo/package.json" "$repo/binding.gyp" "$work/"
cp -r "$repo/native" "$work/native"
ln -s "$repo/node_modules" "$work/node_modules"

build() { # build ARCH [ENV=VALUE...]: prebuildify in the scratch copy
  local arch=$1; shift
  local t0=$SECONDS
  rm -rf "$work/build"
  if ! (cd "$work" && env "$@" ./node_modules/.bin/prebuildify --napi --strip --arch "$arch" ${STRIP_BIN:+--strip-bin "$STRIP_BIN"}) \
      >"$work/$arch.log" 2>&1; then
    cat "$work/$arch.log" >&2
    say "error: the linux-$arch prebuild failed"
    exit 1
  fi
  local out
  out=$(ls "$work/prebuilds/linux-$arch/"*.node)
  rm -rf "$repo/prebuilds/linux-$arch"
  mkdir -p "$repo/prebuilds"
  cp -r "$work/prebuilds/linux-$arch" "$repo/prebuilds/"
  echo "prebuilds/linux-$arch/$(basename "$out") $(stat -c %s "$out") bytes, $((SECONDS - t0)) s"
}

# Built on Debian 12, the addons need glibc >= 2.34 and GCC 12's libstdc++
# (GLIBCXX_3.4.30) at run time. (Linking libstdc++ statically was tried: its
# archive needs glibc 2.36, a higher floor, and triples the size.)
STRIP_BIN='' build x64

if [ "$cross" = 1 ]; then
  STRIP_BIN=aarch64-linux-gnu-strip build arm64 \
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
  file -b "$repo/prebuilds/linux-arm64/"*.node | grep -q 'ARM aarch64' ||
    { say "error: prebuilds/linux-arm64 is not an aarch64 object: $(file -b "$repo/prebuilds/linux-arm64/"*.node)"; exit 1; }
else
  say "WARNING: aarch64-linux-gnu-g++ not found: no linux-arm64 prebuild (apt-get install g++-aarch64-linux-gnu)"
  rm -rf "$repo/prebuilds/linux-arm64"
fi
