#!/usr/bin/env bash
# `npm run demo`: boot the test VM with the mock fwctl driver and run the
# package's CLI there: list, info on the first device, and two RPCs
# (the mock's ECHO and TRANSFORM ops, see test/kernel/mock/PROTOCOL.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$REPO"

"$here/provision.sh" || die "prerequisites missing (see above)"
kbuild=$("$here/build-kernel.sh" base | tail -n1)
mods=()
if [ -f "$here/build-module.sh" ] && [ -f "$REPO/test/kernel/mock/fwctl_mock.c" ]; then
  ko=$("$here/build-module.sh" "$kbuild" | tail -n1)
  mods=(--load-module "$ko ndevs=2")
else
  log "demo: the mock driver is not there yet: the VM will have no fwctl device"
fi

# The CLI runs from dist/: compile when a TypeScript source is newer.
cli=dist/lib/cli/main.js
if [ -f lib/cli/main.ts ] && { [ ! -f "$cli" ] || [ -n "$(find lib -name '*.ts' -newer "$cli" -print -quit)" ]; }; then
  log "demo: compiling TypeScript"
  mkdir -p "$CACHE"
  npx --no-install tsc -p tsconfig.json >"$CACHE/demo-tsc.log" 2>&1 ||
    log "demo: tsc reported errors, see $CACHE/demo-tsc.log (continuing with what it emitted)"
fi
[ -f build/Release/fwctl.node ] || log "demo: the native addon is not built (npm run build:native): info and rpc will fail"

exec "$here/run-vm.sh" --kernel "$kbuild" --timeout "${FWCTL_VM_TIMEOUT:-300}" ${mods[@]+"${mods[@]}"} -- bash -c '
cli=dist/lib/cli/main.js
if [ ! -f "$cli" ]; then
  echo "demo: $cli does not exist: the CLI has not been written/built yet"
  exit 0
fi
run() { echo; printf "\$ fwctl"; printf " %q" "$@"; echo; node "$cli" "$@" || echo "(exit status $?)"; }
run list
dev=$(ls /sys/class/fwctl 2>/dev/null | sort -V | head -n1)
if [ -z "$dev" ]; then echo; echo "demo: no fwctl device in the VM"; exit 0; fi
run info "$dev"
# mock ECHO (op 0): 16-byte header, then the payload "hello fwctl"
run rpc "$dev" --scope configuration --hex "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 68 65 6c 6c 6f 20 66 77 63 74 6c"
# mock TRANSFORM (op 1): the payload bit-inverted
run rpc "$dev" --scope configuration --hex "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 02 03 fe ff" --json
exit 0
'
