#!/usr/bin/env bash
# Build the addon with ThreadSanitizer into a separate directory (default
# build-tsan/), for scripts/test-tsan.sh. Prints that directory on the last
# stdout line: FWCTL_PREBUILD=<dir> makes node-gyp-build load it. node itself
# is not instrumented: preload the runtime, LD_PRELOAD=$(gcc -print-file-name=libtsan.so).
#
#   build-tsan.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-$repo/build-tsan}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ln -sfn "$repo/native" "$out/native"
node -e '
  const fs = require("fs");
  const g = JSON.parse(fs.readFileSync(process.argv[1], "utf8").replace(/^\s*#.*$/mg, ""));
  const t = g.targets[0];
  const san = ["-fsanitize=thread", "-fno-omit-frame-pointer", "-g", "-O1"];
  t.cflags_cc = [...t.cflags_cc, ...san];
  t.ldflags = [...(t.ldflags || []), "-fsanitize=thread"];
  t.defines = [...t.defines, "FWCTL_SANITIZED=1"];
  fs.writeFileSync(process.argv[2], JSON.stringify(g, null, 2));
' "$repo/binding.gyp" "$out/binding.gyp"
echo '{ "name": "fwctl-tsan", "private": true }' >"$out/package.json"
stamp=$out/build/Release/fwctl.node
if [ ! -f "$stamp" ] || [ -n "$(find "$repo/native" "$repo/binding.gyp" -newer "$stamp" -print -quit)" ]; then
  echo "build-tsan: building the ThreadSanitizer addon in $out" >&2
  nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
  (cd "$out" && "$repo/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" >&2)
fi
ldd "$stamp" | grep -q libtsan || { echo "build-tsan: $stamp does not link libtsan" >&2; exit 1; }
echo "$out"
