#!/usr/bin/env bash
# `npm run demo` (and `npm start` on a machine without fwctl hardware): boot
# the test VM (the cxl-profile kernel) with the kernel's own mlx5, bnxt and
# pds fwctl drivers (drivers/fwctl/*/main.c, unmodified) over the project's
# emulated firmware (test/kernel/emu: three QEMU PCI functions) and the
# kernel's drivers/cxl over the project's emulated CXL memdev
# (test/kernel/cxlemu, loaded by test/kernel/guest/cxlemu-setup.sh), and show
# what a user does on a real host: fwctl list (PCI and memdev parents,
# drivers), fwctl inventory, and a typed command per device type.
#
#   npm run demo                       the tour above
#   npm run demo -- CMD ARGS...        run CMD in that VM instead; its output
#                                      (stdout and stderr, one stream) is
#                                      passed through and its exit status is
#                                      demo's. `fwctl` is on PATH there (this
#                                      checkout's CLI), e.g.
#                                      npm run demo -- fwctl info 0000:00:10.0
#                                      npm run demo -- node my-script.js
# The guest runs as root with the host's / read-only, cwd = this repo; the
# emulated functions are 0000:00:10.0 (mlx5), 0000:00:11.0 (bnxt),
# 0000:00:12.0 (pds) and 0000:00:13.0 (a second mlx5); the CXL memdev's name is in $FWCTL_CXLEMU_MEMDEV.
# Environment: FWCTL_VM_TIMEOUT (default 300 s), and
# run-vm.sh's (FWCTL_VM_ACCEL, ...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$REPO"

"$here/provision.sh" >&2 || die "prerequisites missing (see above)"
kbuild=$("$here/build-kernel.sh" cxl | tail -n1)
emu=$("$here/build-drivers.sh" "$kbuild" | tail -n1)
cxltree=$("$here/build-cxl-test.sh" "$kbuild" | tail -n1)
cxlemu=(bash "$REPO/test/kernel/guest/cxlemu-setup.sh" "$cxltree" --)

# The CLI runs from dist/: compile when a TypeScript source is newer.
cli=dist/lib/cli/main.js
if [ ! -f "$cli" ] || [ -n "$(find lib -name '*.ts' -newer "$cli" -print -quit)" ]; then
  log "demo: compiling TypeScript"
  mkdir -p "$CACHE"
  npx --no-install tsc -p tsconfig.json >"$CACHE/demo-tsc.log" 2>&1 ||
    log "demo: tsc reported errors, see $CACHE/demo-tsc.log (continuing with what it emitted)"
fi
[ -f build/Release/fwctl.node ] || log "demo: the native addon is not built (npm run build:native): info and rpc will fail"

# `fwctl` on the guest's PATH: this checkout's CLI.
bin=$CACHE/demo-bin
mkdir -p "$bin"
printf '#!/bin/sh\nexec node %q "$@"\n' "$REPO/$cli" >"$bin/fwctl.tmp"
chmod 755 "$bin/fwctl.tmp" && mv "$bin/fwctl.tmp" "$bin/fwctl"
guest_path="$bin:$(dirname "$(command -v node)"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

if [ $# -gt 0 ]; then
  exec "$here/run-vm.sh" --quiet --kernel "$kbuild" --emu "$emu" --timeout "${FWCTL_VM_TIMEOUT:-300}" \
    --env "PATH=$guest_path" -- "${cxlemu[@]}" "$@"
fi

exec "$here/run-vm.sh" --quiet --kernel "$kbuild" --emu "$emu" --timeout "${FWCTL_VM_TIMEOUT:-300}" \
  --env "PATH=$guest_path" -- "${cxlemu[@]}" bash -c '
run() { echo; printf "\$ fwctl"; printf " %q" "$@"; echo; fwctl "$@" || echo "(exit status $?)"; }
echo "The kernel'"'"'s mlx5, bnxt and pds fwctl drivers over emulated firmware on three PCI functions,"
echo "and drivers/cxl over an emulated CXL memdev ($FWCTL_CXLEMU_MEMDEV):"
run list
run inventory
run info "$FWCTL_EMU_PCI_MLX5"
run mlx5 query-adapter "$FWCTL_EMU_PCI_MLX5"
run bnxt ver-get "$FWCTL_EMU_PCI_BNXT"
run pds operations "$FWCTL_EMU_PCI_PDS" 1 --query-ep 0 --query-op 1
run cxl get-feature "$FWCTL_CXLEMU_MEMDEV" 96dad7d6-fde8-482b-a733-75774e06db8a
echo
echo "Try your own: npm run demo -- fwctl <command> ... (or any command; cwd is the repo)"
'
