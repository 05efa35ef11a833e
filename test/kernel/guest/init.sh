#!/bin/sh
# PID 1 of the fwctl test VM (no initramfs; the root is the host's / over 9p,
# read-only). Sets up the pseudo filesystems and a writable /run, mounts the
# results share, loads the modules listed by the host, runs the host's command
# and reports its exit status, then powers the VM off.
#
# Contract with test/kernel/scripts/run-vm.sh, all files in the results share
# (9p tag "results", mounted at /run/results):
#   cmd        bash script to run (cwd, environment and command)       [in]
#   modules    one "path/to/mod.ko [param=value ...]" per line         [in, optional]
#   quiet      present: the output channel carries the command's output only [in, optional]
#   status     the command's exit status                               [out]
#   timings    key=seconds lines (guest uptime at each step)           [out]
#   init-error why init gave up before running the command              [out]
# The command's stdout and stderr (one pipe) go to the second serial port (/dev/ttyS1),
# kernel messages to the console (/dev/ttyS0).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
bb=/bin/busybox
R=/run/results

off() { sync; $bb reboot -f; sleep 5; exit 1; }
say() { echo "fwctl-init: $*" >/dev/console; }
fatal() {
  say "$*"
  if [ -d "$R" ] && grep -q " $R " /proc/mounts 2>/dev/null; then
    echo "$*" >"$R/init-error"
  fi
  off
}
up() { read -r u _ </proc/uptime; echo "$1=$u" >>"$R/timings"; }

$bb mount -n -t proc proc /proc || fatal "mount /proc failed"
$bb mount -n -t sysfs sysfs /sys || fatal "mount /sys failed"
grep -q '^devtmpfs /dev ' /proc/mounts || $bb mount -n -t devtmpfs devtmpfs /dev || fatal "mount /dev failed"
$bb mkdir -p /dev/shm /dev/pts
$bb mount -n -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm || fatal "mount /dev/shm failed"
$bb mount -n -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts 2>/dev/null
$bb mount -n -t tmpfs -o mode=755,nosuid,nodev run /run || fatal "mount /run failed"
$bb mount -n -t debugfs debugfs /sys/kernel/debug 2>/dev/null || say "debugfs not available"
$bb mkdir -p "$R" /run/tmp /run/home /run/lock
$bb chmod 1777 /run/tmp
$bb mount -n -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none results "$R" ||
  fatal "mount of the results share failed"
: >"$R/timings"
up init

# The command's output channel: the second serial port, raw (no \n -> \r\n).
out=/dev/ttyS1
if [ -c "$out" ]; then
  $bb stty -F "$out" raw -echo 2>/dev/null
else
  say "no $out, command output goes to the console"
  out=/dev/console
fi

if [ -s "$R/modules" ]; then
  while read -r mod args; do
    case "$mod" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    $bb insmod "$mod" $args 2>"$R/insmod.err" || {
      cat "$R/insmod.err" >/dev/console
      fatal "insmod $mod $args failed: $(cat "$R/insmod.err")"
    }
    [ -f "$R/quiet" ] || echo "fwctl-init: loaded $mod $args" >"$out"
  done <"$R/modules"
  up modules
fi

[ -f "$R/cmd" ] || fatal "no command file in the results share"
up cmd_start
# Through a pipe, so the command's stdout is not a terminal (no progress
# animations, no tty handling in node).
{ /bin/bash "$R/cmd" </dev/null 2>&1; echo $? >/run/cmd.status; } | $bb cat >"$out"
rc=$(cat /run/cmd.status 2>/dev/null || echo 125)
up cmd_end
tainted=$($bb cat /proc/sys/kernel/tainted)  # (sysctl files cannot be read byte by byte)
echo "tainted=$tainted" >>"$R/timings"
echo "$rc" >"$R/status"
off
