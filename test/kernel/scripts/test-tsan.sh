#!/usr/bin/env bash
# ThreadSanitizer over the addon's thread pool, completion channel, abort and
# environment-teardown paths (npm run test:tsan). Host-only: the native unit
# tests (test/unit/native.test.ts) drive a fwctl "kernel" emulated by an
# LD_PRELOAD shim, with workers terminated and processes exiting mid-call.
#
# node is not instrumented, so TSan also reports races inside node and V8
# (their own atomics are invisible to it). Only reports with a frame in the
# addon fail this run; the others are counted and listed apart.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$repo"
addon=$(bash "$here/build-tsan.sh" | tail -n 1)
[ -d dist/test/unit ] || npm run build:ts >&2
logs=$(mktemp -d)
tsan=$(gcc -print-file-name=libtsan.so)
export LD_PRELOAD=$tsan FWCTL_PREBUILD=$addon
export TSAN_OPTIONS="log_path=$logs/tsan exitcode=0 report_signal_unsafe=0"
# The TSan build must really be the one loaded.
node -e 'const p = require("node-gyp-build").resolve(process.argv[1]); if (!p.startsWith(process.argv[2])) { console.error("test-tsan: loaded " + p); process.exit(1); }' "$repo" "$addon"
status=0
t0=$(date +%s)
node node_modules/jest/bin/jest.js --config jest.config.js --selectProjects unit --runInBand --ci dist/test/unit/native.test.js || status=1
unset LD_PRELOAD
ours=0 theirs=0
for f in "$logs"/tsan.*; do
  [ -e "$f" ] || continue
  # One report per "WARNING: ThreadSanitizer" block.
  while IFS= read -r verdict; do
    if [ "$verdict" = ours ]; then ours=$((ours + 1)); else theirs=$((theirs + 1)); fi
  done < <(awk '/^WARNING: ThreadSanitizer/ { if (n) print (hit ? "ours" : "theirs"); n = 1; hit = 0 }
                /fwctl\.node|native\/[a-z]+\.(cc|h)/ { hit = 1 }
                END { if (n) print (hit ? "ours" : "theirs") }' "$f")
done
echo "test-tsan: $((`date +%s` - t0)) s; reports in the addon: $ours; in node/V8 (not instrumented, not ours): $theirs; logs: $logs"
if [ "$ours" -gt 0 ]; then
  grep -l 'fwctl' "$logs"/tsan.* | while read -r f; do echo "== $f"; cat "$f"; done
  status=1
fi
echo "tsan: $([ $status = 0 ] && echo 1 || echo 0) passed, $([ $status = 0 ] && echo 0 || echo 1) failed"
exit $status
