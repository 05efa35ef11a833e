#!/usr/bin/env bash
# The addon under ThreadSanitizer (build-sanitized.sh tsan): build-tsan.sh [OUT_DIR]
exec bash "$(dirname "$0")/build-sanitized.sh" tsan "$@"
