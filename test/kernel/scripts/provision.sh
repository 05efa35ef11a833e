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
apt-get update -q >&2 || die "apt-get update failed"
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
  die "apt-get install ${missing[*]} failed"
log "provision: done"
