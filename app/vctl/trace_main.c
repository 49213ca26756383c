/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl-trace: "vctl trace" as a program of its own, until vctl's command
 * table takes it ("trace" -> vctl_trace_main). Same options:
 * vctl-trace [-j] [--pid PID | --prefix NAME] ...
 */
#include <stdbool.h>
#include <string.h>

#include "trace.h"

int main(int argc, char **argv)
{
	static char verb[] = "trace";
	bool json = false;

	/* vctl's global -j comes before the verb; accept it here the same way. */
	if (argc > 1 && strcmp(argv[1], "-j") == 0) {
		json = true;
		argv++;
		argc--;
	}
	argv[0] = verb;
	return vctl_trace_main(argc, argv, json);
}
