// SPDX-License-Identifier: MIT
/*
 * cgctl: callgrind client requests for the benchmark's instruction counts,
 * called from JavaScript through koffi (bench/callgrind.ts). Node runs under
 * `valgrind --tool=callgrind --instr-atstart=no`: nothing is counted until
 * cg_start(); cg_stop(label) writes one dump (totals of the window) and
 * stops counting again. Outside valgrind the requests are no-ops.
 * Built by bench/run.sh: gcc -O2 -shared -fPIC.
 */
#include <valgrind/callgrind.h>

void cg_start(void)
{
	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_ZERO_STATS;
}

void cg_stop(const char *label)
{
	CALLGRIND_DUMP_STATS_AT(label);
	CALLGRIND_STOP_INSTRUMENTATION;
}
