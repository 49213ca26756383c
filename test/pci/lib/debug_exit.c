/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vpmd-debug-exit VALUE: ends the QEMU guest it runs in through QEMU's
 * isa-debug-exit device at I/O port 0xf4; QEMU exits with (VALUE << 1) | 1.
 * Debian's cloud kernel has no /dev/port, so the write takes ioperm() and
 * an outb. guest_run.sh builds it for the per-run archive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	unsigned long v;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: vpmd-debug-exit VALUE\n");
		return 2;
	}
	v = strtoul(argv[1], &end, 0);
	if (*argv[1] == '\0' || *end != '\0' || v > 0xff) {
		fprintf(stderr, "vpmd-debug-exit: '%s' is not a byte\n", argv[1]);
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) != 0) {
		perror("vpmd-debug-exit: ioperm");
		return 1;
	}
	outb((unsigned char)v, DEBUG_EXIT_PORT);
	/* Still here: there is no debug-exit device. */
	fprintf(stderr, "vpmd-debug-exit: no isa-debug-exit device at 0x%x\n", DEBUG_EXIT_PORT);
	return 1;
}
