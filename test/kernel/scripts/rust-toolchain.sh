#!/usr/bin/env bash
# Provide (or reuse) the toolchain a CONFIG_RUST kernel build needs, from
# Debian's archive only, and print the make variables that name it.
#
#   rust-toolchain.sh            prints one make variable per line (VAR=value)
#
# The kernel (7.3: scripts/min-tool-version.sh, scripts/rust_is_available.sh)
# wants rustc >= 1.85 with the standard library's source (RUST_LIB_SRC),
# bindgen >= 0.71.1 and a libclang >= 17.0.1 for bindgen. On bookworm:
#   rustc-web 1.96, rust-web-src   bookworm-security (apt-get install, as root)
#   libclang1-19 19.1.7            bookworm          (apt-get install, as root)
#   bindgen 0.71.1                 trixie only (bookworm has 0.60): its .deb
#                                  and trixie's libc6 .deb (bindgen needs
#                                  glibc 2.38+) are fetched through a private
#                                  apt list (as fetch-source.sh does) and
#                                  unpacked into $CACHE/rust/bindgen-<ver>;
#                                  a wrapper runs bindgen through trixie's own
#                                  loader (ld-linux --library-path), so the
#                                  host's glibc is never touched.
# rustc is named by its full path on every make: a rustup rustc earlier on
# PATH (e.g. ~/.cargo/bin) would otherwise be picked up.
# Prints what it fetched and how long it took on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

t0=$(date +%s)
rdir=$CACHE/rust
mkdir -p "$rdir"

# 1. Debian packages (bookworm, bookworm-security).
debs=("rustc-web:/usr/bin/rustc" "rust-web-src:/usr/src" "libclang1-19:/usr/lib/llvm-19/lib/libclang-19.so.1")
missing=()
for e in "${debs[@]}"; do
  pkg=${e%%:*}
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "rust toolchain: missing packages ${missing[*]} (not root: run apt-get install ${missing[*]})"
  fi
  log "rust toolchain: installing ${missing[*]} (apt-get)"
  t1=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >"$rdir/apt-update.log" 2>&1 ||
    { cat "$rdir/apt-update.log" >&2; die "apt-get update failed"; }
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >"$rdir/apt-install.log" 2>&1 ||
    { tail -n 30 "$rdir/apt-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
  log "rust toolchain: installed $(grep -c '^Unpacking' "$rdir/apt-install.log") packages ($(grep -o 'Need to get [^ ]* [kMG]*B' "$rdir/apt-install.log" | head -n1 | sed 's/Need to get //')) in $(( $(date +%s) - t1 )) s"
fi

rustc=/usr/bin/rustc
rustver=$("$rustc" --version | awk '{print $2}')
libsrc=/usr/src/rustc-$rustver/library
[ -d "$libsrc/core/src" ] || die "rust toolchain: $libsrc (the standard library's source, rust-web-src) is missing"
libclang=/usr/lib/llvm-19/lib
[ -e "$libclang/libclang-19.so.1" ] || die "rust toolchain: $libclang/libclang-19.so.1 missing (libclang1-19)"

# 2. bindgen from trixie, with trixie's glibc, in a private directory.
bsuite=${FWCTL_BINDGEN_SUITE:-trixie}
bdir=$rdir/bindgen-$bsuite
if [ ! -f "$bdir/.complete" ]; then
  t1=$(date +%s)
  uri=$(awk '$1=="deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '/^URIs:/ { u=$2 } /^Suites:/ && u !~ /security/ && u != "" { print u; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
  fi
  [ -n "$uri" ] || die "rust toolchain: no Debian archive URI in this machine's apt sources"
  aptdir=$rdir/apt
  mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial"
  echo "deb [trusted=yes] $uri $bsuite main" >"$aptdir/sources.list"
  aptopts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir"
    -o "Dir::Cache::Archives=$aptdir/archives" -o APT::Get::List-Cleanup=0
    -o Acquire::Languages=none)
  log "rust toolchain: fetching bindgen and libc6 from $bsuite ($uri, private apt list)"
  apt-get "${aptopts[@]}" update >"$aptdir/update.log" 2>&1 || { cat "$aptdir/update.log" >&2; die "apt-get update ($bsuite, private list) failed"; }
  rm -f "$aptdir"/archives/bindgen_*.deb "$aptdir"/archives/libc6_*.deb
  (cd "$aptdir/archives" && apt-get "${aptopts[@]}" download bindgen libc6 >"$aptdir/download.log" 2>&1) ||
    { cat "$aptdir/download.log" >&2; die "apt-get download bindgen libc6 ($bsuite) failed"; }
  rm -rf "$bdir.tmp"; mkdir -p "$bdir.tmp/root"
  for d in "$aptdir"/archives/bindgen_*.deb "$aptdir"/archives/libc6_*.deb; do
    dpkg-deb -x "$d" "$bdir.tmp/root"
    log "rust toolchain:   $(basename "$d") ($(du -k "$d" | cut -f1) KiB)"
  done
  r=$bdir/root
  cat >"$bdir.tmp/bindgen" <<EOF
#!/bin/sh
# $bsuite's bindgen run through $bsuite's own glibc loader (written by rust-toolchain.sh)
export LIBCLANG_PATH="\${LIBCLANG_PATH:-$libclang}"
exec "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$r/usr/lib/x86_64-linux-gnu" "$r/usr/bin/bindgen" "\$@"
EOF
  chmod 755 "$bdir.tmp/bindgen"
  rm -rf "$bdir"; mv "$bdir.tmp" "$bdir"
  "$bdir/bindgen" --version >/dev/null 2>&1 || { rm -rf "$bdir"; die "rust toolchain: the fetched bindgen does not run"; }
  touch "$bdir/.complete"
  log "rust toolchain: bindgen ready in $(( $(date +%s) - t1 )) s"
fi
bindgen=$bdir/bindgen
bgver=$("$bindgen" --version | awk '{print $2}')

log "rust toolchain: rustc $rustver ($rustc), bindgen $bgver ($bsuite), libclang $(basename "$(readlink -f "$libclang/libclang-19.so.1")"), RUST_LIB_SRC=$libsrc ($(( $(date +%s) - t0 )) s)"
echo "RUSTC=$rustc"
echo "HOSTRUSTC=$rustc"
echo "RUSTDOC=/usr/bin/rustdoc"
echo "BINDGEN=$bindgen"
echo "RUST_LIB_SRC=$libsrc"
echo "LIBCLANG_PATH=$libclang"
