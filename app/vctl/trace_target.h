/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which process to trace, and where net_vpmd is in it: without DPDK, from
 * /var/run/dpdk and /proc.
 */
#ifndef VCTL_TRACE_TARGET_H
#define VCTL_TRACE_TARGET_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define TRACE_RUNTIME_DIR "/var/run/dpdk"

/*
 * The pid of the primary process of DPDK file prefix @prefix: EAL holds a
 * write lock (fcntl) on <runtime dir>/<prefix>/config while it runs, and
 * F_GETLK names the holder. Returns the pid, or -ENOENT (no such prefix),
 * -ESRCH (the prefix is left from a process that is gone), or another
 * negative errno.
 */
pid_t trace_pid_of_prefix(const char *prefix);

/*
 * Pick the process when neither a pid nor a prefix was given: the only
 * running DPDK primary, or else the only one with net_vpmd loaded.
 * Returns the pid, or -ENOENT (none running) or -EEXIST (more than one:
 * @why lists them, "prefix (pid N, vpmd|no vpmd), ...").
 */
pid_t trace_pick_process(char *why, size_t why_len);

/*
 * The file prefix of the DPDK primary @pid (the one whose config lock it
 * holds): 0 with @prefix filled, -ENOENT (none), or another negative errno.
 */
int trace_prefix_of_pid(pid_t pid, char *prefix, size_t len);

/*
 * Path of the net_vpmd library (librte_net_vpmd.so*) mapped in @pid,
 * from /proc/PID/maps, checked to be the very file the process runs:
 * uprobes bind to an inode, so a library rebuilt since the process loaded
 * it would be traced in vain. Returns 0 with @path filled, -ENOENT (not
 * loaded), -ESTALE (replaced on disk since), -ESRCH (no such process),
 * or another negative errno.
 */
int trace_find_library(pid_t pid, char path[PATH_MAX]);

#endif /* VCTL_TRACE_TARGET_H */
