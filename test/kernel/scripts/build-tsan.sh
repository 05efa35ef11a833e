#!/usr/bin/env bash
# The addon under ThreadSanitizer (build-variant.sh tsan): build-tsan.sh [OUT_DIR]
exec bash "$(dirname "$0")/build-variant.sh" tsan "$@"
