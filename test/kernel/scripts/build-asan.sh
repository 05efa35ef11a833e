#!/usr/bin/env bash
# The addon under ASan+UBSan (build-sanitized.sh asan): build-asan.sh [OUT_DIR]
exec bash "$(dirname "$0")/build-sanitized.sh" asan "$@"
