/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A plain main() for the fuzz targets when libFuzzer is absent (a gcc
 * build with -Dfuzz=true): run LLVMFuzzerTestOneInput once over each file
 * named, or each file in each directory named, as a regression test of the
 * seed corpus. It fuzzes nothing; it proves the corpus still passes.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -errno;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (buf == NULL)
		return -ENOMEM;
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int run_path(const char *path, unsigned int *count)
{
	char child[4096];
	struct dirent *e;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		rc = run_path(child, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue; /* libFuzzer flags, given by the same test wrapper */
		if (run_path(argv[i], &count) < 0)
			return 1;
	}
	printf("%u inputs ran\n", count);
	return 0;
}
