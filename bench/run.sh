#!/usr/bin/env bash
# `npm run bench`: build everything, boot the test VM with the mock fwctl
# driver, run the benchmarks inside it, print the table (or the JSON).
#
#   bash bench/run.sh [--quick] [--json] [--only SECTION,...] [--no-build]
#
#   --quick    fewer repetitions/calls (about 1/3 of the time)
#   --json     print the results as JSON on stdout instead of the table
#              (use `npm run -s bench -- --json` to keep npm's banner off stdout)
#   --only     sections: percall,sizes,concurrency,fsLatency,cli,memory,callgrind,flash
#   --no-build use build/ and dist/ as they are
#
# Everything timed runs in the guest on the same mock device: the C client
# (test/kernel/probe/probe.c bench-*, built here), this package, and koffi
# (devDependency) calling ioctl(2) directly. Callgrind runs in the guest too
# (the guest's root is this machine's /, so it uses the host's valgrind).
# The VM's output goes to stderr; stdout gets only the table or the JSON.
# Results: .results/bench/bench.json (+ callgrind/ dumps, console log).
# Environment: FWCTL_VM_ACCEL=kvm|tcg (as run-vm.sh), FWCTL_BENCH_TIMEOUT
# (seconds for the VM, default 900; 600 with --quick).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scripts=$repo/test/kernel/scripts
. "$scripts/common.sh"
cd "$repo"

json=0 build=1 quick=0 guest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json=1; shift ;;
    --no-build) build=0; shift ;;
    --quick) quick=1; guest_args+=(--quick); shift ;;
    --only) guest_args+=(--only "$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "bench: unknown option $1" ;;
  esac
done
say() { echo "[bench] $*" >&2; }

# ---- build (as scripts/test.js does) ----
if [ "$build" = 1 ]; then
  addon=build/Release/fwctl.node
  if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" -print -quit)" ]; then
    say "building the native addon (node-gyp rebuild)"
    npx --no-install node-gyp rebuild >&2
  fi
  say "building the bench addon (bench/build-addon.sh: the shipped sources + the N-API floor)"
  bash bench/build-addon.sh >&2
  say "compiling TypeScript (tsc -p tsconfig.json)"
  npx --no-install tsc -p tsconfig.json >&2
  node scripts/write-esm-wrapper.js >&2
fi
[ -f dist/bench/main.js ] || die "dist/bench/main.js missing (build first)"
[ -f build-bench/build/Release/fwctl_bench.node ] || die "the bench addon is missing (bash bench/build-addon.sh)"
[ -d node_modules/koffi ] || die "koffi missing: npm install (it is a devDependency)"

bash "$scripts/provision.sh" >&2 || die "bench: prerequisites missing (provision.sh)"
kbuild=$(bash "$scripts/build-kernel.sh" base | tail -n1)
ko=$(bash "$scripts/build-module.sh" "$kbuild" mock | tail -n1)
probe=$(bash "$scripts/build-module.sh" "$kbuild" probe | tail -n1)
[ -f "$ko" ] && [ -x "$probe" ] || die "bench: mock module or probe build failed"
# The kernel's mlx5 driver over the emulated firmware, for the flash section.
emu=$(bash "$scripts/build-drivers.sh" "$kbuild" | tail -n1)

# callgrind client-request helper for the instruction counts (optional)
cgctl=
if command -v valgrind >/dev/null && [ -f /usr/include/valgrind/callgrind.h ]; then
  mkdir -p "$CACHE/bench"
  cgctl=$CACHE/bench/cgctl.so
  if [ ! -f "$cgctl" ] || [ bench/cgctl.c -nt "$cgctl" ]; then
    gcc -O2 -Wall -Wextra -shared -fPIC -o "$cgctl.tmp" bench/cgctl.c && mv "$cgctl.tmp" "$cgctl"
  fi
else
  say "valgrind (with callgrind.h) not found: the instruction counts are skipped"
fi

# The accelerator, decided exactly as run-vm.sh does, so the guest can record it.
accel=${FWCTL_VM_ACCEL:-}
if [ -z "$accel" ]; then
  if [ -d /sys/module/kvm_pvm ]; then accel=tcg
  elif [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm
  else accel=tcg; fi
fi
export FWCTL_VM_ACCEL=$accel
host_cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
host_cpu="$host_cpu, $(nproc) cpus"
host_load=$(cut -d' ' -f1-3 /proc/loadavg)

# The guest clock. Under TCG the guest kernel cannot calibrate the TSC (PIT
# calibration fails) and falls back to a coarse clocksource: CLOCK_MONOTONIC
# then moves in 4 ms steps. TCG's guest TSC is the host's TSC, so giving the
# kernel the host's TSC frequency (tsc_early_khz=, tsc=reliable, through
# run-vm.sh --append) makes the guest clock a nanosecond TSC clock.
vm=(bash "$scripts/run-vm.sh")
clock_args=
if [ "$accel" = tcg ]; then
  mhz=$( { dmesg 2>/dev/null || true; } | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n1)
  [ -n "$mhz" ] || mhz=$( { dmesg 2>/dev/null || true; } | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n1)
  [ -n "$mhz" ] || mhz=$(sed -n 's/^cpu MHz[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
  if [ -n "$mhz" ]; then
    clock_args="tsc_early_khz=$(awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }') tsc=reliable"
    vm+=(--append "$clock_args")
    say "guest clock: TSC at the host's $mhz MHz ($clock_args)"
  else
    say "guest clock: the host's TSC frequency is unknown; the guest clock will have 4 ms steps"
  fi
fi

results=$repo/.results/bench
rm -rf "$results"
mkdir -p "$results"
timeout=${FWCTL_BENCH_TIMEOUT:-$([ "$quick" = 1 ] && echo 600 || echo 900)}
say "booting the VM (accel $accel, timeout ${timeout}s); results in $results"
set +e
"${vm[@]}" --kernel "$kbuild" --results "$results" --timeout "$timeout" \
  --load-module "$ko" --emu "$emu" \
  --env "FWCTL_PROBE=$probe" --env "FWCTL_BENCH_CGCTL=$cgctl" --env "FWCTL_BENCH_ACCEL=$accel" \
  --env "FWCTL_BENCH_HOST_CPU=$host_cpu" --env "FWCTL_BENCH_CLOCK_ARGS=$clock_args" --env "FWCTL_BENCH_HOST_LOAD=$host_load" \
  -- node --expose-gc dist/bench/main.js ${guest_args[@]+"${guest_args[@]}"} >&2
rc=$?
set -e
[ "$rc" = 0 ] && [ -f "$results/bench.json" ] || die "bench: the run in the VM failed (exit $rc); see $results"
# Userspace instructions per call on the host (deterministic, unlike the
# emulated guest's): bench/host-callgrind.ts, one process per client, against
# an LD_PRELOAD shim answering the ioctls. Merged into bench.json's targets.
hcg=()
if [ -n "$cgctl" ]; then
  say "host instruction counts (valgrind --tool=callgrind, one process per client; a few minutes)"
  if node dist/bench/host-callgrind.js --quiet --out "$results" >&2; then
    hcg=(--host-callgrind "$results/host-callgrind.json")
  else
    say "host instruction counts failed; the instruction targets are not measured in this run"
  fi
fi
if [ "$json" = 1 ]; then
  node dist/bench/report.js "$results/bench.json" ${hcg[@]+"${hcg[@]}"} --json
else
  node dist/bench/report.js "$results/bench.json" ${hcg[@]+"${hcg[@]}"}
fi
