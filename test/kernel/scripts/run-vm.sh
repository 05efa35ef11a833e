#!/usr/bin/env bash
# Run one command inside the fwctl test VM and exit with its status.
#
#   run-vm.sh [--profile NAME] [--kernel BUILD_DIR] [--timeout SECS] [--mem MB]
#             [--smp N] [--numa N] [--load-module "KO [param=value ...]"]... [--env NAME=VALUE]...
#             [--emu DIR] [--append "KERNEL ARGS"]... [--qemu-arg ARG]...
#             [--node BIN] [--results DIR] -- CMD ARGS...
#
# The guest's root is this machine's / shared read-only over 9p, so CMD runs the
# host's binaries (node, the freshly built addon) at their host paths; the cwd
# is the repo. Writable in the guest: /run (TMPDIR=/run/tmp, HOME=/run/home),
# /dev/shm and the results share (/run/results in the guest, DIR on the host).
# FWCTL_* variables of the caller (and CI) are passed through; the guest also
# gets FWCTL_IN_VM=1, FWCTL_RESULTS_DIR=/run/results and FWCTL_KERNEL_RELEASE.
#
# --numa N splits the memory (and the CPUs, one per node while they last)
# into N NUMA nodes (cxl_test needs at least 2).
#
# --emu DIR (DIR from build-drivers.sh) gives the guest the kernel's own mlx5,
# bnxt and pds fwctl drivers over the emulated firmware: four QEMU "edu" PCI
# functions (0000:00:10.0 mlx5, 0000:00:11.0 bnxt, 0000:00:12.0 pds,
# 0000:00:13.0 a second mlx5; see test/kernel/emu/) and, before the
# --load-module modules, the three emulators (bdf= their functions) and the
# three drivers. The guest gets FWCTL_EMU_PCI_{MLX5,BNXT,PDS} with the first
# three addresses and FWCTL_EMU_PCI_MLX5_2 with the second mlx5's.
# --append adds kernel command-line arguments; --qemu-arg passes one more
# argument to QEMU (repeat for each). --quiet: no progress lines on stderr and
# no console dump when CMD fails (its own exit status is the answer); the
# output is then only CMD's (npm run demo -- CMD).
# The guest has --smp CPUs (default 2; the kernel finds them through ACPI).
# --node BIN: the guest's PATH starts with BIN's directory, so `node` in CMD
# (and in what CMD starts) is BIN, e.g. another Node line from
# scripts/fetch-node.sh (the Node matrix boots of npm test); default: the
# host's node.
#
# Environment: FWCTL_VM_ACCEL=kvm|tcg overrides the accelerator detection,
# FWCTL_VM_TIMEOUT the default timeout (600 s), FWCTL_VM_MEM the memory (1536 MB).
# Exit status: CMD's, or 124 on timeout, 125 when the VM did not report one
# (kernel panic, insmod failure, QEMU error).
set -euo pipefail
# Bash reads a script as it runs it: editing this file during a (long) VM run
# would break that run. So run from a private copy, unlinked once open.
if [ -z "${_RUN_VM_HERE:-}" ]; then
  _RUN_VM_HERE=$(cd "$(dirname "$0")" && pwd)
  self=$(mktemp "${TMPDIR:-/tmp}/run-vm.XXXXXX")
  cp "$0" "$self"
  _RUN_VM_HERE=$_RUN_VM_HERE _RUN_VM_SELF=$self exec bash "$self" "$@"
fi
rm -f "${_RUN_VM_SELF:-}"
here=$_RUN_VM_HERE
. "$here/common.sh"

profile=base kbuild= timeout=${FWCTL_VM_TIMEOUT:-600} mem=${FWCTL_VM_MEM:-1536} smp=2
results= modules=() envs=() numa=0 emu= appends=() qemu_extra=() quiet=0 node_bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --kernel) kbuild=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --numa) numa=$2; shift 2 ;;
    --load-module) modules+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --results) results=$2; shift 2 ;;
    --emu) emu=$2; shift 2 ;;
    --append) appends+=("$2"); shift 2 ;;
    --qemu-arg) qemu_extra+=("$2"); shift 2 ;;
    --quiet) quiet=1; shift ;;
    --node) node_bin=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (the command goes after --)" ;;
  esac
done
[ $# -gt 0 ] || die "usage: run-vm.sh [options] -- CMD ARGS..."

qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing (run test/kernel/scripts/provision.sh)"
[ -x /bin/busybox ] || die "/bin/busybox missing (run test/kernel/scripts/provision.sh)"
if [ -n "$node_bin" ]; then
  [ -x "$node_bin" ] || die "--node $node_bin: not an executable"
  node=$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin")
else
  node=$(command -v node) || die "node is not on PATH"
fi

if [ -z "$kbuild" ]; then
  kbuild=$("$here/build-kernel.sh" "$profile" | tail -n1)
fi
kernel=$kbuild/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel image at $kernel"
release=$(cat "$kbuild/include/config/kernel.release" 2>/dev/null || echo unknown)

# Accelerator: KVM only when /dev/kvm is usable and is a real KVM. The
# software nested hypervisor kvm_pvm exposes /dev/kvm, but a guest never gets
# past kernel decompression on it.
accel=${FWCTL_VM_ACCEL:-}
why="FWCTL_VM_ACCEL"
if [ -z "$accel" ]; then
  if [ -d /sys/module/kvm_pvm ]; then
    accel=tcg why="/dev/kvm is kvm_pvm, unusable for this guest"
  elif [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    accel=kvm why="/dev/kvm usable"
  else
    accel=tcg why="no usable /dev/kvm"
  fi
fi
case "$accel" in
  kvm) accel_args=(-accel kvm -cpu host) ;;
  tcg) accel_args=(-accel tcg -cpu max) ;;
  *) die "FWCTL_VM_ACCEL must be kvm or tcg, not $accel" ;;
esac

if [ -z "$results" ]; then
  mkdir -p "$CACHE/runs"
  # keep the 20 newest run dirs
  { ls -1dt "$CACHE"/runs/run.* 2>/dev/null || true; } | tail -n +20 | xargs -r rm -rf
  results=$(mktemp -d "$CACHE/runs/run.XXXXXX")
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/{status,timings,init-error,insmod.err,console.log,output.log,qemu.log,cmd,modules,out.in,out.out,quiet}
if [ "$quiet" = 1 ]; then
  : >"$results/quiet"   # init.sh: no "loaded" lines on the output channel
  log() { :; }
fi

# The emulated firmware and the kernel's drivers (build-drivers.sh): PCI
# functions at fixed addresses, the emulators bound to them by bdf=, then the
# drivers, ahead of the caller's modules.
emu_mods=()
if [ -n "$emu" ]; then
  emu=$(cd "$emu" 2>/dev/null && pwd) || die "--emu: no such dir"
  for v in mlx5:10 bnxt:11 pds:12; do
    qemu_extra+=(-device "edu,addr=0x${v#*:}")
    emu_mods+=("$emu/fwctl_emu_${v%%:*}.ko bdf=0000:00:${v#*:}.0")
    envs+=("FWCTL_EMU_PCI_$(echo "${v%%:*}" | tr a-z A-Z)=0000:00:${v#*:}.0")
  done
  # A second mlx5 function (its own firmware update state): fwctl_emu_mlx5 takes both.
  qemu_extra+=(-device "edu,addr=0x13")
  emu_mods[0]+=",0000:00:13.0"
  envs+=("FWCTL_EMU_PCI_MLX5_2=0000:00:13.0")
  emu_mods+=("$emu/mlx5_fwctl.ko" "$emu/bnxt_fwctl.ko" "$emu/pds_fwctl.ko")
  modules=(${emu_mods[@]+"${emu_mods[@]}"} ${modules[@]+"${modules[@]}"})
fi

# The command file: environment, cwd, command. Run by bash in the guest.
{
  echo '#!/bin/bash'
  printf 'export PATH=%q\n' "$(dirname "$node"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo 'export HOME=/run/home TMPDIR=/run/tmp LANG=C.UTF-8 TERM=dumb FWCTL_IN_VM=1 FWCTL_RESULTS_DIR=/run/results'
  printf 'export FWCTL_KERNEL_RELEASE=%q\n' "$release"
  while IFS='=' read -r name _; do
    case "$name" in FWCTL_IN_VM|FWCTL_RESULTS_DIR|FWCTL_KERNEL_RELEASE) continue ;; esac
    printf 'export %s=%q\n' "$name" "${!name}"
  done < <(env | grep -E '^(FWCTL_[A-Z0-9_]*|CI)=' || true)
  for kv in ${envs[@]+"${envs[@]}"}; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done
  printf 'cd %q || exit 125\n' "$REPO"
  printf 'exec'; printf ' %q' "$@"; echo
} >"$results/cmd"
: >"$results/modules"
for m in ${modules[@]+"${modules[@]}"}; do
  read -r ko args <<<"$m"
  [ -f "$ko" ] || die "module not found: $ko"
  echo "$(cd "$(dirname "$ko")" && pwd)/$(basename "$ko") $args" >>"$results/modules"
done

numa_args=()
if [ "$numa" -gt 0 ]; then
  per=$(( mem / numa )); mem=$(( per * numa ))
  for ((i = 0; i < numa; i++)); do
    numa_args+=(-object "memory-backend-ram,id=nm$i,size=${per}M")
    if [ "$i" -lt "$smp" ]; then numa_args+=(-numa "node,nodeid=$i,cpus=$i,memdev=nm$i")
    else numa_args+=(-numa "node,nodeid=$i,memdev=nm$i"); fi
  done
  # CPUs beyond the node count go to the last node.
  if [ "$smp" -gt "$numa" ]; then numa_args[-1]+=",cpus=$numa-$((smp - 1))"; fi
fi

cmdline="console=ttyS0 root=hostroot rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro"
cmdline+=" init=$REPO/test/kernel/guest/init.sh oops=panic panic=-1 loglevel=${FWCTL_VM_LOGLEVEL:-6}"
# no_timer_check: with ACPI (for the second CPU) the kernel verifies that the
# PIT timer reaches the IO-APIC; under TCG on a loaded host the tick can be
# late and the boot panics ("IO-APIC + timer doesn't work!"), seen in this
# harness. The usual setting for virtual machines.
cmdline+=" no_timer_check"
for a in ${appends[@]+"${appends[@]}"}; do cmdline+=" $a"; done

# The command's output arrives on a FIFO (guest ttyS1): stream it and keep a
# copy. QEMU's pipe chardev reads PATH.in and writes PATH.out; with a single
# FIFO it would read back (and feed to the guest) what it writes.
fifo=$results/out
mkfifo "$fifo.in" "$fifo.out"
cat "$fifo.out" | tee "$results/output.log" &
reader=$!

log "vm: kernel $release ($kbuild), accel $accel ($why), ${mem} MB, $smp cpus$([ "$numa" -gt 0 ] && echo ", $numa NUMA nodes"), timeout ${timeout}s$([ -n "$node_bin" ] && echo ", node $node")"
log "vm: results and console log in $results"
start=$(date +%s.%N)
set +e
timeout -k 10 "$timeout" "$qemu" -nodefaults -no-user-config -display none -no-reboot \
  "${accel_args[@]}" -m "$mem" -smp "$smp" ${numa_args[@]+"${numa_args[@]}"} \
  -kernel "$kernel" -append "$cmdline" \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$results,mount_tag=results,security_model=none" \
  -serial "file:$results/console.log" -serial "pipe:$fifo" \
  ${qemu_extra[@]+"${qemu_extra[@]}"} \
  </dev/null >"$results/qemu.log" 2>&1
qrc=$?
set -e
wall=$(echo "$(date +%s.%N) - $start" | bc)
# Unblock the reader if QEMU never opened the FIFO, then let it drain.
exec 4<>"$fifo.out"; exec 4>&-
wait "$reader" 2>/dev/null || true

show_console() {
  echo "----- console log ($results/console.log), last ${1:-120} lines -----" >&2
  tail -n "${1:-120}" "$results/console.log" >&2 2>/dev/null || echo "(no console log)" >&2
  if [ -s "$results/qemu.log" ]; then
    echo "----- qemu output -----" >&2; cat "$results/qemu.log" >&2
  fi
  echo "----- end of console log -----" >&2
}

timing() {
  # guest uptime at each step -> durations
  local init=0 cs= ce= mods= t
  t=$(cat "$results/timings" 2>/dev/null || true)
  init=$(sed -n 's/^init=//p' <<<"$t"); mods=$(sed -n 's/^modules=//p' <<<"$t")
  cs=$(sed -n 's/^cmd_start=//p' <<<"$t"); ce=$(sed -n 's/^cmd_end=//p' <<<"$t")
  # guest-clock figures: under TCG on a loaded host the guest clock can run
  # slower than the wall clock
  local msg="vm: wall $(printf '%.1f' "$wall") s; guest clock:"
  [ -n "$init" ] && msg+=" boot to init $(printf '%.1f' "$init") s"
  [ -n "$mods" ] && msg+=", modules $(printf '%.1f' "$(echo "$mods - $init" | bc)") s"
  [ -n "$cs" ] && [ -n "$ce" ] && msg+=", command $(printf '%.1f' "$(echo "$ce - $cs" | bc)") s"
  local tainted; tainted=$(sed -n 's/^tainted=//p' <<<"$t")
  [ -n "$tainted" ] && [ "$tainted" != 0 ] && msg+=", kernel tainted=$tainted"
  log "$msg"
}
timing

if [ -f "$results/status" ]; then
  rc=$(cat "$results/status")
  if [ "$rc" != 0 ] && [ "$quiet" = 0 ]; then
    log "vm: command exited with status $rc"
    show_console 60
  fi
  exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  log "vm: TIMEOUT after ${timeout}s (the guest was killed)"
  show_console 200
  exit 124
fi
if [ -f "$results/init-error" ]; then
  log "vm: guest init failed: $(cat "$results/init-error")"
else
  log "vm: the VM ended without reporting a status (QEMU exit $qrc; kernel panic or QEMU error?)"
fi
show_console 200
exit 125
