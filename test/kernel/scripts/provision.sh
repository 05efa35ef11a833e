#!/usr/bin/env bash
# Make sure the host has what the kernel harness needs.
#
#   provision.sh [--check]
#
# Missing Debian packages are installed with apt-get (after apt-get update)
# when running as root on Debian. Otherwise, or with --check, the missing
# package names are printed and the script exits 2 (the caller decides whether
# that is a skip or a failure). Exit 0: everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

# Package -> a file that proves it is installed (the package's own binary or
# header; dpkg status alone misses hand-installed tools, and a binary alone
# misses headers).
pkgs=(
  "qemu-system-x86:/usr/bin/qemu-system-x86_64"
  "busybox-static:/bin/busybox"
  "flex:/usr/bin/flex"
  "bison:/usr/bin/bison"
  "bc:/usr/bin/bc"
  "cpio:/usr/bin/cpio"
  "libelf-dev:/usr/include/libelf.h"
  "libssl-dev:/usr/include/openssl/ssl.h"
  "libcap2-bin:/usr/sbin/capsh"
  "kmod:/usr/bin/kmod"
  "gcc:/usr/bin/gcc"
  "g++:/usr/bin/g++"
  "make:/usr/bin/make"
  "python3:/usr/bin/python3"
  # npm run test:asan: gcc's sanitizer runtimes and valgrind
  "libasan8:/usr/lib/x86_64-linux-gnu/libasan.so.8"
  "libubsan1:/usr/lib/x86_64-linux-gnu/libubsan.so.1"
  "valgrind:/usr/bin/valgrind"
  # the linux-arm64 prebuild (scripts/build-arm64.sh), checked under user-mode emulation
  "g++-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-g++"
  "qemu-user:/usr/bin/qemu-aarch64"
  # the unit test of `fwctl completion zsh|fish` runs the scripts in those shells
  "zsh:/usr/bin/zsh"
  "fish:/usr/bin/fish"
  # test/unit/prometheus.test.ts: promtool check metrics, and a real node_exporter's textfile collector
  "prometheus:/usr/bin/promtool"
  "prometheus-node-exporter:/usr/bin/prometheus-node-exporter"
)

installed() {
  # dpkg knows it, or the file it provides is there (hand-built tools).
  local pkg=$1 file=$2
  [ -e "$file" ] && return 0
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for entry in "${pkgs[@]}"; do
  pkg=${entry%%:*}; file=${entry#*:}
  installed "$pkg" "$file" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "provision: all prerequisites present"
  exit 0
fi

if [ "${1:-}" = "--check" ]; then
  log "provision: missing packages: ${missing[*]}"
  exit 2
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null; then
  log "provision: missing packages: ${missing[*]}"
  log "provision: not root on Debian, cannot install them; run: apt-get install ${missing[*]}"
  exit 2
fi

log "provision: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg (unattended-upgrades, a second provision.sh) may hold the
# locks: wait for them, up to FWCTL_APT_LOCK_TIMEOUT seconds (default 600),
# instead of failing at once. apt-get install waits by itself (DPkg::Lock::Timeout);
# apt-get update does not on every apt release, so it is retried too.
lock_deadline=$((SECONDS + ${FWCTL_APT_LOCK_TIMEOUT:-600}))
apt_wait() { # apt_wait ARGS...: apt-get ARGS, retried while a lock is held
  local out rc left
  out=$(mktemp)
  while :; do
    left=$((lock_deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
    apt-get -o DPkg::Lock::Timeout="$left" "$@" 2>&1 | tee "$out" >&2
    rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ] && grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg' "$out" &&
       [ "$SECONDS" -lt "$lock_deadline" ]; then
      log "provision: another apt/dpkg process holds the lock; waiting (up to $((lock_deadline - SECONDS)) s more)"
      sleep 5; continue
    fi
    rm -f "$out"; return "$rc"
  done
}
apt_wait update -q || die "apt-get update failed (a held lock is waited for up to FWCTL_APT_LOCK_TIMEOUT=${FWCTL_APT_LOCK_TIMEOUT:-600} s)"
apt_wait install -y -q --no-install-recommends "${missing[@]}" ||
  die "apt-get install ${missing[*]} failed (a held lock is waited for up to FWCTL_APT_LOCK_TIMEOUT=${FWCTL_APT_LOCK_TIMEOUT:-600} s)"
log "provision: done"
