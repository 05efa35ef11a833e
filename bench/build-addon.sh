#!/usr/bin/env bash
# The benchmark's addon (build-variant.sh bench): build-bench/build/Release/fwctl_bench.node,
# the shipped sources plus the N-API floor (bench/floor.cc). Prints its directory.
exec bash "$(dirname "$0")/../test/kernel/scripts/build-variant.sh" bench "$@"
