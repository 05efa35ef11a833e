#!/usr/bin/env bash
# Build (or reuse) the test kernel's helpers against a kernel build.
#
#   build-module.sh KBUILD [mock|rust|probe|layout]
#
# KBUILD is a kernel build dir from build-kernel.sh (O= dir: .config,
# Module.symvers, usr/include from `make headers`).
#   mock    (default) test/kernel/mock/fwctl_mock.ko, out of tree
#           (make -C KBUILD M=<copy in the cache> W=1 modules). Any compiler
#           warning fails the build.
#   rust    test/kernel/rust/fwctl_rust_mock.ko, the Rust counterpart of the
#           mock (a CONFIG_RUST kernel, profile rust), built the same way
#           with the kernel build's Rust make variables (KBUILD/.makevars,
#           written by build-kernel.sh). Any rustc warning fails the build.
#   probe   test/kernel/probe/probe.c, static, against KBUILD/usr/include
#   layout  test/kernel/layout/layout.c against KBUILD/usr/include; runs it
#           and prints the path of the JSON it wrote (layout.json; the
#           binary is next to it)
# Without KBUILD/usr/include, probe and layout use a sed-sanitised copy of
# the kernel source's include/uapi/{fwctl,cxl} (see sanitise_uapi below).
# Products live under $CACHE/module/<key>, key = (sources, kernel build
# fingerprint, compiler), so nothing is written to the source tree and a
# build happens only when a source or the kernel changed.
# Prints the product's path on stdout's last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

[ $# -ge 1 ] || die "usage: build-module.sh KBUILD [mock|probe|layout]"
kb=$(cd "$1" 2>/dev/null && pwd) || die "no such kernel build dir: $1"
what=${2:-mock}
cc=${CC:-gcc}

case "$what" in
  mock)   srcdir=$REPO/test/kernel/mock;   srcs=(Kbuild fwctl_mock.c fwctl_mock_types.c); product=fwctl_mock.ko ;;
  rust)   srcdir=$REPO/test/kernel/rust;   srcs=(Kbuild fwctl_rust_mock.rs);   product=fwctl_rust_mock.ko ;;
  probe)  srcdir=$REPO/test/kernel/probe;  srcs=(probe.c);             product=probe ;;
  layout) srcdir=$REPO/test/kernel/layout; srcs=(layout.c);            product=layout.json ;;
  *) die "unknown target: $what (mock, rust, probe or layout)" ;;
esac

# The kernel's identity: what a module build or the UAPI headers depend on.
kfiles=(.config include/generated/utsrelease.h include/generated/autoconf.h)
case "$what" in mock|rust) kfiles+=(Module.symvers) ;; esac
kmake=()
if [ "$what" = rust ]; then
  grep -q '^CONFIG_RUST_FWCTL_ABSTRACTIONS=y' "$kb/.config" ||
    die "$kb: CONFIG_RUST_FWCTL_ABSTRACTIONS is not set (build-kernel.sh rust)"
  [ -f "$kb/.makevars" ] || die "$kb/.makevars missing: not a Rust kernel build from build-kernel.sh"
  mapfile -t kmake < "$kb/.makevars"
fi
for f in "${kfiles[@]}"; do
  [ -f "$kb/$f" ] || die "$kb/$f missing: is $kb a complete kernel build (build-kernel.sh)?"
done

# UAPI headers for probe/layout: the build's usr/include (`make headers`,
# processed by scripts/headers_install.sh: compiles cleanly in userspace,
# CXL headers included). Without it, a sanitised copy of the source's
# include/uapi/{fwctl,cxl} is made with sed (see sanitise_uapi) and the
# host's <linux/types.h> is used.
ksrc=
if [ -f "$kb/.source" ]; then ksrc=$(cat "$kb/.source"); elif [ -d "$kb/source" ]; then ksrc=$(cd "$kb/source" && pwd); fi
if [ -f "$kb/usr/include/fwctl/fwctl.h" ]; then
  uapi_from=$kb/usr/include
else
  [ -n "$ksrc" ] && [ -f "$ksrc/include/uapi/fwctl/fwctl.h" ] ||
    die "no usr/include in $kb (make headers) and no kernel source to sanitise"
  uapi_from=$ksrc/include/uapi
fi

# Make a userspace-clean copy of include/uapi/{fwctl,cxl} in $1, doing what
# headers_install.sh does for these files: drop the `#ifdef __KERNEL__`
# block of cxl/features.h (uuid_t), turn the bare `__packed` (which would
# otherwise silently declare a global variable named __packed and leave
# struct cxl_mbox_set_feat_in unpacked) into __attribute__((packed)), strip
# the _UAPI guard prefix and drop __counted_by_le(), which older host
# <linux/stddef.h> lacks. BIT()/GENMASK() remain in #defines only, which
# nothing here expands.
sanitise_uapi() {
  mkdir -p "$1/fwctl" "$1/cxl"
  cp "$ksrc"/include/uapi/fwctl/*.h "$1/fwctl/"
  cp "$ksrc"/include/uapi/cxl/*.h "$1/cxl/"
  sed -E -i \
    -e '/^#ifdef __KERNEL__/,/^#endif/d' \
    -e 's/(^|[^a-zA-Z0-9_])__packed([^a-zA-Z0-9_]|$)/\1__attribute__((packed))\2/g' \
    -e 's@^#(ifndef|define|endif[[:space:]]*/[*])[[:space:]]*_UAPI@#\1 @' \
    -e 's/__counted_by_le\([^)]*\)//g' \
    "$1"/fwctl/*.h "$1"/cxl/*.h
}

key=$( {
  echo "$what $kb $uapi_from"
  "$cc" --version | head -n1
  for f in "${kfiles[@]}"; do stat -c '%n %s %Y' "$kb/$f"; done
  case "$what" in mock|rust) ;; *) cat "$uapi_from"/fwctl/*.h "$uapi_from"/cxl/*.h ;; esac
  [ ${#kmake[@]} = 0 ] || printf '%s\n' "${kmake[@]}"
  for s in "${srcs[@]}"; do echo "== $s"; cat "$srcdir/$s"; done
  cat "$0"
} | sha256sum | cut -c1-16)
out=$CACHE/module/$what-$key

if [ -f "$out/.complete" ]; then
  log "$what: reusing $out/$product"
  echo "$out/$product"
  exit 0
fi

tmp=$(mktemp -d "$CACHE/module/.$what-XXXXXX" 2>/dev/null) ||
  { mkdir -p "$CACHE/module"; tmp=$(mktemp -d "$CACHE/module/.$what-XXXXXX"); }
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
for s in "${srcs[@]}"; do cp "$srcdir/$s" "$tmp/"; done

log "$what: building against $kb"
case "$what" in
  mock)
    make -C "$kb" M="$tmp" W=1 modules >"$tmp/build.log" 2>&1 ||
      { cat "$tmp/build.log" >&2; die "module build failed"; }
    ;;
  rust)
    t0=$(date +%s)
    make -C "$kb" M="$tmp" "${kmake[@]}" W=1 modules >"$tmp/build.log" 2>&1 ||
      { cat "$tmp/build.log" >&2; die "Rust module build failed"; }
    log "$what: compiled in $(( $(date +%s) - t0 )) s"
    ;;
  probe|layout)
    if [ "$uapi_from" = "$kb/usr/include" ]; then
      inc=$uapi_from
    else
      inc=$tmp/inc; sanitise_uapi "$inc"
    fi
    if [ "$what" = probe ]; then
      "$cc" -O2 -static -Wall -Wextra -Wshadow -Wformat=2 -I"$inc" \
        -o "$tmp/probe" "$tmp/probe.c" >"$tmp/build.log" 2>&1 ||
        { cat "$tmp/build.log" >&2; die "probe build failed"; }
    else
      "$cc" -O0 -Wall -Wextra -I"$inc" \
        -o "$tmp/layout" "$tmp/layout.c" >"$tmp/build.log" 2>&1 ||
        { cat "$tmp/build.log" >&2; die "layout build failed"; }
      "$tmp/layout" >"$tmp/layout.json" || die "layout run failed"
    fi
    ;;
esac

if grep -qi 'warning:' "$tmp/build.log"; then
  cat "$tmp/build.log" >&2
  die "$what: the build produced warnings (must be zero)"
fi
[ -f "$tmp/$product" ] || die "$what: $product was not produced"

touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
# Keep the five newest builds of this target (a running VM may still use one).
ls -dt "$CACHE/module/$what"-* 2>/dev/null | tail -n +6 | while read -r old; do rm -rf "$old"; done
log "$what: built $out/$product"
echo "$out/$product"
