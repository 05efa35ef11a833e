# Shared settings for the kernel harness scripts (sourced, not run).
# The cache lives outside the repo so clean clones and CI reuse it.
CACHE=${FWCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fwctl-node}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
log() { echo "[fwctl-kernel] $*" >&2; }
die() { echo "[fwctl-kernel] error: $*" >&2; exit 1; }
