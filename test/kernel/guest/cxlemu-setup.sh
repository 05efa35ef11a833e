#!/bin/bash
# In the VM (cxl-profile kernel): load this project's emulated CXL memdev
# (fwctl_cxlemu, test/kernel/cxlemu) without cxl_test's mock topology, so the
# real drivers/cxl registers one CXL fwctl device for it, then exec the
# command. Used by the demo, next to the mlx5, bnxt and pds drivers.
#
#   cxlemu-setup.sh CXL_TEST_DIR -- CMD ARGS...
#
# CXL_TEST_DIR is the output of test/kernel/scripts/build-cxl-test.sh (the
# module tree fwctl_cxlemu is built into). modprobe loads what it needs of
# the CXL core from that tree. Exports FWCTL_CXLEMU_MEMDEV. Exit 125 (before
# running CMD) when the device does not appear.
set -uo pipefail
dir=${1:?usage: cxlemu-setup.sh CXL_TEST_DIR -- CMD ARGS...}
shift
[ "${1:-}" = -- ] && shift
say() { echo "cxlemu-setup: $*" >&2; }
fail() { say "$*"; dmesg | tail -n 40 >&2; exit 125; }

[ -x "$dir/modprobe" ] || fail "no modprobe wrapper in $dir (build-cxl-test.sh)"
echo "$dir/modprobe" >/proc/sys/kernel/modprobe || fail "cannot set /proc/sys/kernel/modprobe"
"$dir/modprobe" fwctl_cxlemu || fail "modprobe fwctl_cxlemu failed"
emu=
for _ in $(seq 1 50); do
  for c in /sys/class/fwctl/fwctl*; do
    d=$(readlink -f "$c/device")
    case "$d" in */platform/fwctl_cxlemu/mem*) emu=$(basename "$d") ;; esac
  done
  [ -n "$emu" ] && break
  sleep 0.2
done
[ -n "$emu" ] || fail "fwctl_cxlemu loaded but no fwctl device appeared for its memdev"
export FWCTL_CXLEMU_MEMDEV=$emu
exec "$@"
