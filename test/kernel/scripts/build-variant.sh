#!/usr/bin/env bash
# Build a variant of the addon into a separate directory (never
# build/Release, which the normal tests load). Prints that directory on the
# last stdout line: FWCTL_PREBUILD=<dir> makes node-gyp-build load it.
#
#   build-variant.sh asan|tsan|bench [OUT_DIR]   (default OUT_DIR: build-asan/, build-tsan/, build-bench/)
#
# asan: AddressSanitizer + UndefinedBehaviorSanitizer, -fno-sanitize-recover=all
#   (any report aborts); preload "$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)".
# tsan: ThreadSanitizer; preload "$(gcc -print-file-name=libtsan.so)".
#   node itself is not instrumented, hence the preload.
# bench: the benchmark's addon, build/Release/fwctl_bench.node: the shipped
#   sources plus bench/floor.cc (FWCTL_BENCH_FLOOR: the N-API floor, rpcNoop
#   and bindNoop on a handle), which the shipped addon never contains.
#   Loaded by bench/addon.ts; bench/run.sh builds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
kind=${1:?usage: build-variant.sh asan|tsan|bench [OUT_DIR]}
name=fwctl lib= extra=()
case "$kind" in
  asan) cflags='["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"]'
        ldflag=-fsanitize=address,undefined; lib=libasan; defines='["FWCTL_SANITIZED=1"]'; sources='[]' ;;
  tsan) cflags='["-fsanitize=thread", "-fno-omit-frame-pointer", "-g", "-O1"]'
        ldflag=-fsanitize=thread; lib=libtsan; defines='["FWCTL_SANITIZED=1"]'; sources='[]' ;;
  bench) cflags='[]'; ldflag=; name=fwctl_bench; defines='["FWCTL_BENCH_FLOOR=1"]'; sources='["bench/floor.cc"]'
         extra=("$repo/bench/floor.cc") ;;
  *) echo "build-variant: unknown variant '$kind' (asan, tsan or bench)" >&2; exit 2 ;;
esac
out=${2:-$repo/build-$kind}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A copy of binding.gyp (its # comment lines dropped: JSON) with the
# variant's flags, defines and sources; the sources stay where they are.
ln -sfn "$repo/native" "$out/native"
[ "$kind" = bench ] && ln -sfn "$repo/bench" "$out/bench"
node -e '
  const fs = require("fs");
  const [, src, dst, name, cflags, ldflag, defines, sources] = process.argv;
  const g = JSON.parse(fs.readFileSync(src, "utf8").replace(/^\s*#.*$/mg, ""));
  if (g.targets.length !== 1) throw new Error("build-variant: binding.gyp has more than one target");
  const t = g.targets[0];
  t.target_name = name;
  t.cflags_cc = [...t.cflags_cc, ...JSON.parse(cflags)];
  if (ldflag) t.ldflags = [...(t.ldflags || []), ldflag];
  t.defines = [...t.defines, ...JSON.parse(defines)];
  t.sources = [...t.sources, ...JSON.parse(sources)];
  fs.writeFileSync(dst, JSON.stringify(g, null, 2));
' "$repo/binding.gyp" "$out/binding.gyp" "$name" "$cflags" "$ldflag" "$defines" "$sources"
# node-gyp-build reads the package name from here (FWCTL_PREBUILD -> this dir).
echo "{ \"name\": \"fwctl-$kind\", \"private\": true }" >"$out/package.json"

stamp=$out/build/Release/$name.node
if [ ! -f "$stamp" ] || [ -n "$(find "$repo/native" "$repo/binding.gyp" "$0" ${extra[@]+"${extra[@]}"} -newer "$stamp" -print -quit)" ]; then
  echo "build-variant: building the $kind addon in $out" >&2
  # Headers from the installed node (no download), as npm's nodedir setting does for the normal build.
  nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}
  (cd "$out" && "$repo/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" >&2)
else
  echo "build-variant: the $kind addon is up to date" >&2
fi
if [ -n "$lib" ]; then
  ldd "$stamp" | grep -q "$lib" || { echo "build-variant: $stamp does not link $lib" >&2; exit 1; }
fi
echo "$out"
