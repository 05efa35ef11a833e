#!/usr/bin/env bash
# Build the addon with AddressSanitizer + UndefinedBehaviorSanitizer into a
# separate directory (default build-asan/, never build/Release, which the
# normal tests load). Prints that directory on the last stdout line: point
# FWCTL_PREBUILD at it and node-gyp-build loads the sanitized addon.
#
#   build-asan.sh [OUT_DIR]
#
# The runtime must be preloaded into node (it is not instrumented):
#   LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# UBSan is built with -fno-sanitize-recover=all: any report aborts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-$repo/build-asan}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A copy of binding.gyp with the sanitizer flags; the sources stay where they are.
ln -sfn "$repo/native" "$out/native"
node -e '
  const fs = require("fs");
  const g = JSON.parse(fs.readFileSync(process.argv[1], "utf8").replace(/^\s*#.*$/mg, ""));
  const t = g.targets[0];
  const san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"];
  t.cflags_cc = [...t.cflags_cc, ...san];
  t.ldflags = [...(t.ldflags || []), "-fsanitize=address,undefined"];
  t.defines = [...t.defines, "FWCTL_SANITIZED=1"];
  fs.writeFileSync(process.argv[2], JSON.stringify(g, null, 2));
' "$repo/binding.gyp" "$out/binding.gyp"
# node-gyp-build reads the package name from here (FWCTL_PREBUILD -> this dir).
echo '{ "name": "fwctl-asan", "private": true }' >"$out/package.json"

stamp=$out/build/Release/fwctl.node
if [ ! -f "$stamp" ] || [ -n "$(find "$repo/native" "$repo/binding.gyp" -newer "$stamp" -print -quit)" ]; then
  echo "build-asan: building the sanitized addon in $out" >&2
  # Headers from the installed node (no download), as npm's nodedir setting does for the normal build.
  nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
  (cd "$out" && "$repo/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" >&2)
else
  echo "build-asan: sanitized addon is up to date" >&2
fi
ldd "$stamp" | grep -q libasan || { echo "build-asan: $stamp does not link libasan" >&2; exit 1; }
echo "$out"
