#!/bin/bash
# In the test VM (cxl profile): load the kernel's CXL test driver (cxl_test)
# so the real drivers/cxl registers fwctl devices for its mock memdevs, then
# exec the command.
#
#   cxl-setup.sh CXL_TEST_DIR -- CMD ARGS...
#
# CXL_TEST_DIR is the output of test/kernel/scripts/build-cxl-test.sh (a
# module tree and a modprobe wrapper for it). There is no udev in the VM, so
# the modules a udev system would autoload are modprobed here. Exports
# FWCTL_CXL_MEMDEVS (cxl_test's memdevs with a fwctl device). Then, when the
# tree has it, loads this project's emulated CXL memdev (fwctl_cxlemu, from
# test/kernel/cxlemu) and exports FWCTL_CXLEMU_MEMDEV (its memdev). Exit 125
# (before running CMD) when no CXL fwctl device appears.
set -uo pipefail
dir=${1:?usage: cxl-setup.sh CXL_TEST_DIR -- CMD ARGS...}
shift
[ "${1:-}" = -- ] && shift
say() { echo "cxl-setup: $*" >&2; }
fail() { say "$*"; dmesg | tail -n 40 >&2; exit 125; }

[ -x "$dir/modprobe" ] || fail "no modprobe wrapper in $dir (build-cxl-test.sh)"
# Modules the kernel itself requests (request_module) come from the same tree.
echo "$dir/modprobe" >/proc/sys/kernel/modprobe || fail "cannot set /proc/sys/kernel/modprobe"

t0=$(cut -d' ' -f1 /proc/uptime)
# cxl_test creates the mock platform devices (host bridges, switches,
# memdevs); the drivers that bind to them are what udev would load.
for m in cxl_test cxl_acpi cxl_port cxl_mem cxl_mock_mem; do
  "$dir/modprobe" "$m" || fail "modprobe $m failed"
done

# Wait (briefly) for the memdevs' fwctl devices: probing is asynchronous.
found=
for _ in $(seq 1 100); do
  found=
  for c in /sys/class/fwctl/fwctl*; do
    [ -e "$c/device/subsystem" ] || continue
    [ "$(basename "$(readlink "$c/device/subsystem")")" = cxl ] || continue
    found+="$(basename "$(readlink -f "$c/device")") "
  done
  [ -n "$found" ] && [ "$(ls -d /sys/bus/cxl/devices/mem* 2>/dev/null | wc -l)" -le "$(wc -w <<<"$found")" ] && break
  sleep 0.2
done
[ -n "$found" ] || fail "no CXL fwctl device appeared (memdevs: $(ls /sys/bus/cxl/devices 2>/dev/null | grep -c '^mem'))"
t1=$(cut -d' ' -f1 /proc/uptime)
say "cxl_test loaded in $(echo "$t1 - $t0" | bc) s; fwctl devices for memdevs: $found"
export FWCTL_CXL_MEMDEVS=${found% }

# The emulated memdev: loaded after cxl_test's are counted (its memdev is not one of them).
if "$dir/modprobe" -n fwctl_cxlemu 2>/dev/null; then
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
  say "fwctl_cxlemu: emulated memdev $emu"
  export FWCTL_CXLEMU_MEMDEV=$emu
fi
exec "$@"
