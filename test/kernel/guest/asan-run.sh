#!/bin/bash
# In the test VM (started by test/kernel/scripts/test-asan.sh): the kernel
# suite files given as arguments under the ASan+UBSan addon, then the sync
# paths under valgrind memcheck with the normal addon. Any sanitizer or
# valgrind report fails the run. Reports land in $FWCTL_RESULTS_DIR.
#
#   asan-run.sh ASAN_ADDON_DIR LIBASAN LIBUBSAN -- JEST_FILES...
set -u
addon=$1 libasan=$2 libubsan=$3
shift 3; [ "${1:-}" = -- ] && shift
res=${FWCTL_RESULTS_DIR:-/run/results}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
rm -f "$res"/asan.* "$res"/ubsan.* "$res"/valgrind.log
status=0
t0=$(date +%s)

# 1. jest under the sanitizers. The runtimes are preloaded (node itself is not
# instrumented); every child process (test spawns, setpriv) inherits them.
# V8 and Node keep memory until exit by design: leak detection is off.
LD_PRELOAD="$libasan $libubsan" \
ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$res/asan" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$res/ubsan" \
FWCTL_PREBUILD="$addon" FWCTL_SANITIZED=1 \
  node --expose-gc "$repo/node_modules/jest/bin/jest.js" --config "$repo/jest.config.js" --selectProjects kernel \
    --runInBand --ci --json --outputFile "$res/jest.json" --runTestsByPath "$@" || status=1
t1=$(date +%s)
echo "asan-run: jest under ASan+UBSan exited $status after $((t1 - t0)) s (guest clock)"

# The sanitized addon must really have been the one loaded.
LD_PRELOAD="$libasan $libubsan" ASAN_OPTIONS=detect_leaks=0 FWCTL_PREBUILD="$addon" node -e '
  const p = require("node-gyp-build").resolve(process.cwd());
  if (!p.startsWith(process.argv[1])) { console.error("asan-run: loaded " + p); process.exit(1); }
' "$addon" || status=1

# 2. valgrind memcheck over the sync paths (normal addon, no preload).
if command -v valgrind >/dev/null; then
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=no --log-file="$res/valgrind.log" \
    node "$repo/test/kernel/guest/valgrind-sync.js"
  vs=$?
  t2=$(date +%s)
  echo "asan-run: valgrind memcheck exited $vs after $((t2 - t1)) s: $(grep -h 'ERROR SUMMARY' "$res/valgrind.log" | head -n1 | sed 's/^==[0-9]*== //')"
  [ "$vs" = 0 ] || status=1
else
  echo "asan-run: valgrind is not installed (provision.sh installs it): FAIL"
  status=1
fi

reports=$(ls "$res"/asan.* "$res"/ubsan.* 2>/dev/null)
if [ -n "$reports" ]; then
  echo "asan-run: sanitizer reports:"; for f in $reports; do echo "== $f"; cat "$f"; done
  status=1
else
  echo "asan-run: no ASan/UBSan reports"
fi
exit $status
