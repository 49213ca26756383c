/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding the process to trace and net_vpmd in it, without linking DPDK:
 * EAL's runtime directory says which primaries run (the lock on their
 * config file), /proc/PID/maps says what they loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_target.h"

#define VPMD_LIB_NAME "librte_net_vpmd.so"

pid_t trace_pid_of_prefix(const char *prefix)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	char path[PATH_MAX];
	int fd, rc;

	if (strchr(prefix, '/') != NULL || prefix[0] == '\0' || prefix[0] == '.')
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s/config", TRACE_RUNTIME_DIR, prefix) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * The primary holds a write lock on (part of) the file for its whole
	 * life; asking whether we could lock all of it names the holder.
	 * (F_GETLK with F_WRLCK needs no write access to test.)
	 */
	rc = fcntl(fd, F_GETLK, &lk);
	close(fd);
	if (rc < 0)
		return -errno;
	if (lk.l_type == F_UNLCK || lk.l_pid <= 0)
		return -ESRCH;
	return lk.l_pid;
}

/*
 * Is the library mapped in @pid? 1 yes, 0 no, negative errno. Fills @path
 * and @inode of its first mapping when @path is not NULL.
 */
static int library_mapping(pid_t pid, char *path, size_t path_len, uint64_t *inode,
			   bool *deleted)
{
	char maps[64], line[PATH_MAX + 256];
	FILE *f;
	int found = 0;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (f == NULL)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *file, *base, *nl;
		uint64_t ino;
		int off = 0;

		/* start-end perms offset dev inode path */
		if (sscanf(line, "%*s %*s %*s %*s %" SCNu64 " %n", &ino, &off) != 1 || off == 0)
			continue;
		file = line + off;
		if (file[0] != '/')
			continue;
		nl = strchr(file, '\n');
		if (nl != NULL)
			*nl = '\0';
		base = strrchr(file, '/') + 1;
		if (strncmp(base, VPMD_LIB_NAME, strlen(VPMD_LIB_NAME)) != 0)
			continue;
		found = 1;
		if (path != NULL) {
			size_t n = strlen(file);
			const char *del = " (deleted)";

			*deleted = n > strlen(del) && strcmp(file + n - strlen(del), del) == 0;
			if (*deleted)
				file[n - strlen(del)] = '\0';
			snprintf(path, path_len, "%s", file);
			*inode = ino;
		}
		break;
	}
	fclose(f);
	return found;
}

int trace_find_library(pid_t pid, char path[PATH_MAX])
{
	uint64_t inode = 0;
	bool deleted = false;
	struct stat st;
	int rc;

	rc = library_mapping(pid, path, PATH_MAX, &inode, &deleted);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	/* A rebuild replaces the file: the process still runs the old inode. */
	if (deleted || stat(path, &st) != 0 || (uint64_t)st.st_ino != inode)
		return -ESTALE;
	return 0;
}

struct candidate {
	char prefix[NAME_MAX + 1];
	pid_t pid;
	bool vpmd;
};

pid_t trace_pick_process(char *why, size_t why_len)
{
	struct candidate found[64];
	unsigned int n = 0, n_vpmd = 0, i, pick_vpmd = 0;
	struct dirent *de;
	size_t used = 0;
	DIR *d;

	why[0] = '\0';
	d = opendir(TRACE_RUNTIME_DIR);
	if (d == NULL)
		return -ENOENT;
	while ((de = readdir(d)) != NULL && n < sizeof(found) / sizeof(found[0])) {
		pid_t pid;

		if (de->d_name[0] == '.')
			continue;
		pid = trace_pid_of_prefix(de->d_name);
		/* Directories left by processes that are gone hold no lock. */
		if (pid <= 0)
			continue;
		snprintf(found[n].prefix, sizeof(found[n].prefix), "%s", de->d_name);
		found[n].pid = pid;
		found[n].vpmd = library_mapping(pid, NULL, 0, NULL, NULL) == 1;
		if (found[n].vpmd) {
			n_vpmd++;
			pick_vpmd = n;
		}
		n++;
	}
	closedir(d);
	if (n == 0)
		return -ENOENT;
	if (n == 1)
		return found[0].pid;
	if (n_vpmd == 1)
		return found[pick_vpmd].pid;
	for (i = 0; i < n && used < why_len; i++) {
		int w = snprintf(why + used, why_len - used, "%s%s (pid %d, %s)", i ? ", " : "",
				 found[i].prefix, (int)found[i].pid,
				 found[i].vpmd ? "vpmd" : "no vpmd");

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return -EEXIST;
}

int trace_prefix_of_pid(pid_t pid, char *prefix, size_t len)
{
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	d = opendir(TRACE_RUNTIME_DIR);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || trace_pid_of_prefix(de->d_name) != pid)
			continue;
		rc = snprintf(prefix, len, "%s", de->d_name) < (int)len ? 0 : -ENAMETOOLONG;
		break;
	}
	closedir(d);
	return rc;
}
