#!/usr/bin/env bash
# `npm run test:asan`: the kernel suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the sync paths under valgrind memcheck, in
# one boot of the test VM. Zero reports required: any report fails the run.
#
#   test-asan.sh [FILE_PATTERN...]
#
# Default files: the main boot's suite (dist/test/kernel/suite, without the
# *.taint, *.cxl and *.rust files: their own boots); stress.test.js runs at FWCTL_STRESS_SCALE=0.1
# (ASan makes every call several times slower). Needs dist/ (npm run build:ts)
# and build/Release (valgrind uses the normal addon). The sanitized addon is
# built into build-asan/ (build-asan.sh). Results: .results/asan/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
t0=$(date +%s)

bash "$here/provision.sh"
[ -f "$REPO/dist/lib/index.js" ] || die "dist/ missing: run npm run build:ts first"
if [ ! -f "$REPO/build/Release/fwctl.node" ]; then
  (cd "$REPO" && npx --no-install node-gyp rebuild >&2)
fi
addon=$(bash "$here/build-asan.sh" | tail -n1)
libasan=$(realpath "$(gcc -print-file-name=libasan.so)")
libubsan=$(realpath "$(gcc -print-file-name=libubsan.so)")
[ -f "$libasan" ] && [ -f "$libubsan" ] || die "gcc's libasan/libubsan are missing (provision.sh installs gcc)"

kbuild=$(bash "$here/build-kernel.sh" base | tail -n1)
ko=$(bash "$here/build-module.sh" "$kbuild" | tail -n1)
probe=$(bash "$here/build-module.sh" "$kbuild" probe | tail -n1)
# The kernel's mlx5/bnxt/pds fwctl drivers over the emulated firmware, as in the main boot.
emu=$(bash "$here/build-drivers.sh" "$kbuild" | tail -n1)

files=()
for f in "$REPO"/dist/test/kernel/suite/*.test.js; do
  case "$f" in *.taint.test.js|*.cxl.test.js|*.rust.test.js) continue ;; esac
  # record.test.js re-runs whole sessions in a dozen child nodes (the
  # transcript format, not the addon): ~30 s of sanitizer start-up each in the
  # guest. It runs in the main boot; here only when asked for by name.
  if [ $# -eq 0 ] && [[ "$f" == */record.test.js ]]; then continue; fi
  # examples.test.js likewise: the documented examples, each a child node
  # (22 of them); they test the docs, not the addon.
  if [ $# -eq 0 ] && [[ "$f" == */examples.test.js ]]; then continue; fi
  # flash-cli.test.js: the CLI in child nodes (kill -9, SIGINT, --all); the
  # library's update runs here in flash.test.js.
  if [ $# -eq 0 ] && [[ "$f" == */flash-cli.test.js ]]; then continue; fi
  if [ $# -gt 0 ]; then
    keep=
    for p in "$@"; do [[ "$f" =~ $p ]] && keep=1; done
    [ -n "$keep" ] || continue
  fi
  files+=("$f")
done
[ ${#files[@]} -gt 0 ] || die "no kernel test files match"

results=$REPO/.results/asan
rm -rf "$results"; mkdir -p "$results"
set +e
bash "$here/run-vm.sh" --kernel "$kbuild" --results "$results" --timeout "${FWCTL_VM_TIMEOUT:-2400}" \
  --emu "$emu" --load-module "$ko" --env "FWCTL_PROBE=$probe" --env "FWCTL_MOCK_KO=$ko" \
  --env "FWCTL_STRESS_SCALE=${FWCTL_STRESS_SCALE:-0.1}" \
  -- bash "$REPO/test/kernel/guest/asan-run.sh" "$addon" "$libasan" "$libubsan" -- "${files[@]}"
rc=$?
set -e
log "test:asan: exit $rc after $(( $(date +%s) - t0 )) s wall (${#files[@]} files; results in $results)"
exit $rc
