#!/usr/bin/env bash
# Build the addon under a sanitizer into a separate directory (never
# build/Release, which the normal tests load). Prints that directory on the
# last stdout line: FWCTL_PREBUILD=<dir> makes node-gyp-build load it.
#
#   build-sanitized.sh asan|tsan [OUT_DIR]     (default OUT_DIR: build-asan/, build-tsan/)
#
# asan: AddressSanitizer + UndefinedBehaviorSanitizer, -fno-sanitize-recover=all
#   (any report aborts); preload "$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)".
# tsan: ThreadSanitizer; preload "$(gcc -print-file-name=libtsan.so)".
# node itself is not instrumented, hence the preload.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
kind=${1:?usage: build-sanitized.sh asan|tsan [OUT_DIR]}
case "$kind" in
  asan) cflags='["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]'; ldflag=-fsanitize=address,undefined; lib=libasan ;;
  tsan) cflags='["-fsanitize=thread"]'; ldflag=-fsanitize=thread; lib=libtsan ;;
  *) echo "build-sanitized: unknown sanitizer '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
out=${2:-$repo/build-$kind}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A copy of binding.gyp (its # comment lines dropped: JSON) with the
# sanitizer flags; the sources stay where they are.
ln -sfn "$repo/native" "$out/native"
node -e '
  const fs = require("fs");
  const g = JSON.parse(fs.readFileSync(process.argv[1], "utf8").replace(/^\s*#.*$/mg, ""));
  const t = g.targets[0];
  const san = [...JSON.parse(process.argv[3]), "-fno-omit-frame-pointer", "-g", "-O1"];
  t.cflags_cc = [...t.cflags_cc, ...san];
  t.ldflags = [...(t.ldflags || []), process.argv[4]];
  t.defines = [...t.defines, "FWCTL_SANITIZED=1"];
  fs.writeFileSync(process.argv[2], JSON.stringify(g, null, 2));
' "$repo/binding.gyp" "$out/binding.gyp" "$cflags" "$ldflag"
# node-gyp-build reads the package name from here (FWCTL_PREBUILD -> this dir).
echo "{ \"name\": \"fwctl-$kind\", \"private\": true }" >"$out/package.json"

stamp=$out/build/Release/fwctl.node
if [ ! -f "$stamp" ] || [ -n "$(find "$repo/native" "$repo/binding.gyp" "$0" -newer "$stamp" -print -quit)" ]; then
  echo "build-sanitized: building the $kind addon in $out" >&2
  # Headers from the installed node (no download), as npm's nodedir setting does for the normal build.
  nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
  (cd "$out" && "$repo/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" >&2)
else
  echo "build-sanitized: the $kind addon is up to date" >&2
fi
ldd "$stamp" | grep -q "$lib" || { echo "build-sanitized: $stamp does not link $lib" >&2; exit 1; }
echo "$out"
