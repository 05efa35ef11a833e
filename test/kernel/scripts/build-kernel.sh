#!/usr/bin/env bash
# Build (or reuse) the test kernel for a profile.
#
#   build-kernel.sh PROFILE    (PROFILE: base, cxl, ... = test/kernel/config/PROFILE.profile)
#
# A profile file lists config fragments (one per line) merged over tinyconfig.
# The build is cached under $CACHE/build/<key>, key = (source version, fragment
# contents, compiler version), and kept with everything an out-of-tree module
# build needs. Prints the build dir on stdout (last line).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

profile=${1:-base}
pfile="$REPO/test/kernel/config/$profile.profile"
[ -f "$pfile" ] || die "no such kernel profile: $pfile"

src=$("$here/fetch-source.sh")
fragments=()
while read -r frag; do
  case "$frag" in ''|'#'*) continue ;; esac
  fragments+=("$REPO/test/kernel/config/$frag")
done < "$pfile"

srcver=$(cat "$src/.debian-version")
ccver=$(${CC:-gcc} --version | head -n1)
# A profile asking for CONFIG_RUST gets the Rust toolchain (rust-toolchain.sh):
# its make variables go on every make below, are part of the key (with the
# tools' versions) and are kept in the build dir (.makevars) for the
# out-of-tree module builds.
kmake=()
if grep -qx 'CONFIG_RUST=y' "${fragments[@]}"; then
  mapfile -t kmake < <("$here/rust-toolchain.sh")
  [ ${#kmake[@]} -gt 0 ] || die "kernel ($profile): no Rust toolchain"
  for v in "${kmake[@]}"; do
    case "$v" in
      RUSTC=*) ccver="$ccver; $("${v#RUSTC=}" --version)" ;;
      BINDGEN=*) ccver="$ccver; $("${v#BINDGEN=}" --version)" ;;
    esac
  done
fi
key=$( { echo "$srcver"; echo "$ccver"; [ ${#kmake[@]} = 0 ] || printf '%s\n' "${kmake[@]}"; cat "${fragments[@]}"; } | sha256sum | cut -c1-16)
out="$CACHE/build/$profile-$key"

if [ -f "$out/.complete" ]; then
  log "kernel ($profile): reusing cached build $out"
  echo "$out"
  exit 0
fi

for tool in flex bison bc gcc make; do
  command -v "$tool" >/dev/null || die "$tool is missing (run test/kernel/scripts/provision.sh)"
done

log "kernel ($profile): building $srcver into $out (this takes several minutes on 2 cores)"
start=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" "${kmake[@]}" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >"$out/merge.log" 2>&1
make -s -C "$src" O="$out" "${kmake[@]}" olddefconfig >/dev/null

# Every option a fragment asks for must have survived olddefconfig.
missing=0
for frag in "${fragments[@]}"; do
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*)
        opt=${line%%=*}; want=${line#*=}
        got=$(grep -E "^$opt=" "$out/.config" | cut -d= -f2- || true)
        if [ "$got" != "$want" ]; then
          echo "[fwctl-kernel] config: $opt wanted $want, got ${got:-unset} ($(basename "$frag"))" >&2
          missing=1
        fi ;;
    esac
  done < "$frag"
done
[ "$missing" = 0 ] || die "kernel config for profile $profile lost options (see above)"

make -s -C "$src" O="$out" "${kmake[@]}" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 ||
  { tail -n 40 "$out/build.log" >&2; die "kernel build failed (log: $out/build.log)"; }
make -s -C "$src" O="$out" "${kmake[@]}" headers >>"$out/build.log" 2>&1 ||
  { tail -n 20 "$out/build.log" >&2; die "make headers failed"; }
# modules_prepare is implied by the build; record where the source lives.
echo "$src" > "$out/.source"
[ ${#kmake[@]} = 0 ] || printf '%s\n' "${kmake[@]}" > "$out/.makevars"
touch "$out/.complete"
log "kernel ($profile): built in $(( $(date +%s) - start )) s"
echo "$out"
