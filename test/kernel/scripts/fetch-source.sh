#!/usr/bin/env bash
# Fetch and unpack the newest Debian linux-source-7.x into the cache.
#
# The archive URI is read from this machine's own apt sources; a private
# sources list and state dir are used so the system's apt configuration is
# never touched. Prints the unpacked source dir on stdout (last line).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

suites=${FWCTL_KERNEL_SUITES:-"sid trixie-backports"}
aptdir="$CACHE/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$CACHE/src"

# The first deb822 or one-line source that serves Debian's main archive
# (not -security, not a third-party repo).
archive_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^URIs:/ { uri=$2 }
      /^Suites:/ { s=$0 }
      /^$/ { if (uri != "" && s ~ /(bookworm|trixie|sid|forky)( |$)/ && uri !~ /security/) { print uri; exit } uri=""; s="" }
      END { if (uri != "" && s ~ /(bookworm|trixie|sid|forky)( |$)/ && uri !~ /security/) print uri }
    ' "$f"
  done | head -n1
}
uri=$(archive_uri)
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1=="deb" && $0 !~ /security/ && $3 ~ /^(bookworm|trixie|sid|forky)$/ { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$uri" ] || die "could not find a Debian archive URI in /etc/apt/sources.list.d or /etc/apt/sources.list"

list="$aptdir/sources.list"
: > "$list"
for s in $suites; do
  echo "deb [trusted=yes] $uri $s main" >> "$list"
done
aptopts=(-o "Dir::Etc::SourceList=$list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir"
  -o "Dir::Cache::Archives=$aptdir/archives" -o APT::Get::List-Cleanup=0
  -o Acquire::Languages=none)

# Reuse the newest unpacked source unless asked to refresh: the same lookup
# as the generators (scripts/gen/kernel-source.js --cached: the newest
# $CACHE/src/linux-source-7.N, if .unpacked).
if [ -z "${FWCTL_KERNEL_REFRESH:-}" ]; then
  existing=$(FWCTL_CACHE_DIR="$CACHE" node "$REPO/scripts/gen/kernel-source.js" --cached || true)
  if [ -n "$existing" ]; then
    log "kernel source: reusing $existing"
    echo "$existing"
    exit 0
  fi
fi

log "kernel source: updating private package lists ($suites)"
apt-get "${aptopts[@]}" update >"$aptdir/update.log" 2>&1 || { cat "$aptdir/update.log" >&2; die "apt-get update (private list) failed"; }

pkg=$(apt-cache "${aptopts[@]}" pkgnames linux-source-7 | grep -E '^linux-source-7\.[0-9]+$' | sort -V | tail -n1)
[ -n "$pkg" ] || die "no linux-source-7.x package in suites: $suites"
log "kernel source: downloading $pkg"
(cd "$aptdir/archives" && apt-get "${aptopts[@]}" download "$pkg" >"$aptdir/download.log" 2>&1) ||
  { cat "$aptdir/download.log" >&2; die "apt-get download $pkg failed"; }
deb=$(ls -t "$aptdir/archives/${pkg}_"*.deb | head -n1)
ver=${pkg#linux-source-}
dest="$CACHE/src/$pkg"
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
log "kernel source: unpacking $deb"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest.tmp" --wildcards "./usr/src/linux-source-$ver.tar.*"
tarball=$(ls "$dest.tmp/usr/src/linux-source-$ver".tar.*)
mkdir -p "$dest.tmp/tree"
tar -x -C "$dest.tmp/tree" --strip-components=1 -f "$tarball"
rm -rf "$dest"
mv "$dest.tmp/tree" "$dest"
rm -rf "$dest.tmp"
dpkg-deb -f "$deb" Version > "$dest/.debian-version"
touch "$dest/.unpacked"
log "kernel source: $dest ($(cat "$dest/.debian-version"))"
echo "$dest"
