#!/usr/bin/env bash
# The addon under ASan+UBSan (build-variant.sh asan): build-asan.sh [OUT_DIR]
exec bash "$(dirname "$0")/build-variant.sh" asan "$@"
