#!/usr/bin/env bash
# Build (or reuse) the in-tree fwctl drivers and the emulated firmware under
# them, as modules for a kernel build.
#
#   build-drivers.sh KBUILD
#
# The kernel's drivers/fwctl/{mlx5,bnxt,pds}/main.c are copied from the kernel
# source (KBUILD/.source) into the module build dir and checked byte-identical
# to the source (cmp): they are never edited. The emulators are
# test/kernel/emu/fwctl_emu_{mlx5,bnxt,pds}.c (this project's, GPL-2.0).
# One out-of-tree build (make -C KBUILD M=<dir> W=1 modules) produces
#   fwctl_emu_mlx5.ko fwctl_emu_bnxt.ko fwctl_emu_pds.ko   (load first)
#   mlx5_fwctl.ko bnxt_fwctl.ko pds_fwctl.ko               (the kernel's drivers)
# A compiler warning in the emulators fails the build (the drivers' own
# W=1 warnings are the kernel's and are only logged).
# Products live under $CACHE/module/drivers-<key>; prints that dir on stdout's
# last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

[ $# -ge 1 ] || die "usage: build-drivers.sh KBUILD"
kb=$(cd "$1" 2>/dev/null && pwd) || die "no such kernel build dir: $1"
cc=${CC:-gcc}
for f in .config Module.symvers include/generated/utsrelease.h; do
  [ -f "$kb/$f" ] || die "$kb/$f missing: is $kb a complete kernel build (build-kernel.sh)?"
done
grep -q '^CONFIG_AUXILIARY_BUS=y' "$kb/.config" || die "$kb: CONFIG_AUXILIARY_BUS is not set (see test/kernel/config/base.config)"
ksrc=$(cat "$kb/.source" 2>/dev/null || true)
[ -n "$ksrc" ] && [ -d "$ksrc/drivers/fwctl" ] || die "$kb/.source does not name a kernel source with drivers/fwctl"

emu=$REPO/test/kernel/emu
emusrcs=(Kbuild emu_common.h fwctl_emu_mlx5.c fwctl_emu_bnxt.c fwctl_emu_pds.c)
drivers=(mlx5 bnxt pds)

key=$( {
  echo "$kb"
  "$cc" --version | head -n1
  for f in .config Module.symvers include/generated/utsrelease.h; do stat -c '%n %s %Y' "$kb/$f"; done
  for d in "${drivers[@]}"; do echo "== $d"; cat "$ksrc/drivers/fwctl/$d/main.c"; done
  for s in "${emusrcs[@]}"; do echo "== $s"; cat "$emu/$s"; done
  cat "$0"
} | sha256sum | cut -c1-16)
out=$CACHE/module/drivers-$key
if [ -f "$out/.complete" ]; then
  log "drivers: reusing $out"
  echo "$out"
  exit 0
fi

mkdir -p "$CACHE/module"
tmp=$(mktemp -d "$CACHE/module/.drivers-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
for s in "${emusrcs[@]}"; do cp "$emu/$s" "$tmp/"; done
for d in "${drivers[@]}"; do
  mkdir -p "$tmp/$d"
  cp "$ksrc/drivers/fwctl/$d/main.c" "$tmp/$d/main.c"
  cmp -s "$ksrc/drivers/fwctl/$d/main.c" "$tmp/$d/main.c" || die "$d/main.c is not byte-identical to the kernel's"
  sha256sum "$ksrc/drivers/fwctl/$d/main.c" | sed "s@ .*@  drivers/fwctl/$d/main.c@" >>"$tmp/SOURCES"
done

log "drivers: building the kernel's mlx5/bnxt/pds fwctl drivers and the emulators against $kb"
t0=$(date +%s)
make -C "$kb" M="$tmp" W=1 modules >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; die "driver/emulator module build failed"; }
if grep -i 'warning:' "$tmp/build.log" | grep -q 'fwctl_emu_\|emu_common'; then
  cat "$tmp/build.log" >&2
  die "drivers: the emulators produced warnings (must be zero)"
fi
for m in fwctl_emu_mlx5 fwctl_emu_bnxt fwctl_emu_pds mlx5_fwctl bnxt_fwctl pds_fwctl; do
  [ -f "$tmp/$m.ko" ] || die "drivers: $m.ko was not produced"
done
# Still identical after the build (nothing rewrote them).
for d in "${drivers[@]}"; do
  cmp -s "$ksrc/drivers/fwctl/$d/main.c" "$tmp/$d/main.c" || die "$d/main.c changed during the build"
done

touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
ls -dt "$CACHE/module/drivers"-* 2>/dev/null | tail -n +4 | while read -r old; do rm -rf "$old"; done
log "drivers: built $out in $(( $(date +%s) - t0 )) s"
echo "$out"
