/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: from the options to BPF programs on the probes of one
 * process. Find the process and the net_vpmd library it runs
 * (trace_target.c), open the skeleton of bpf/vpmd_trace.bpf.c, set the
 * filters, load, attach the USDT programs (the kernel raises the probes'
 * semaphores); and undo it all. Each failure is said as plainly as we can
 * tell what is missing.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace_int.h"
#include "trace_target.h"
#include "vpmd_trace.skel.h"

const char *const trace_probe_names[TRACE_N_PROBES] = { "kick", "kick_suppressed", "used",
							"used_refused", "totals", "refill" };

/* libbpf's print callback has no argument of its own to carry -v. */
static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Our own messages say what failed; libbpf's detail is for -v. */
	if (!verbose_libbpf || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The process, from --pid, --prefix, or the only one running. */
static int resolve_process(struct trace_ctx *t)
{
	struct vctl_ctx *ctx = t->vctx;
	const char *prefix = ctx->prefix;
	char why[2048];
	pid_t pid;

	if (t->opts->pid != 0) {
		if (kill(t->opts->pid, 0) != 0 && errno == ESRCH)
			return vctl_fail(ctx, -ESRCH, "no process %d", (int)t->opts->pid);
		t->pid = t->opts->pid;
		return 0;
	}
	if (prefix != NULL) {
		pid = trace_pid_of_prefix(prefix);
		if (pid == -ENOENT || pid == -EINVAL)
			return vctl_fail(ctx, -ENOENT,
					 "no DPDK process with file prefix '%s' (no %s/%s/config)", prefix,
					 TRACE_RUNTIME_DIR, prefix);
		if (pid == -ESRCH)
			return vctl_fail(ctx, -ESRCH,
					 "the DPDK process with file prefix '%s' is gone (%s/%s is left over)",
					 prefix, TRACE_RUNTIME_DIR, prefix);
		if (pid < 0)
			return vctl_fail(ctx, pid, "file prefix '%s': %s", prefix, strerror(-pid));
		t->pid = pid;
		return 0;
	}
	pid = trace_pick_process(why, sizeof(why));
	if (pid == -ENOENT)
		return vctl_fail(ctx, -ENOENT, "no running DPDK process found (in %s); give --pid",
				 TRACE_RUNTIME_DIR);
	if (pid == -EEXIST)
		return vctl_fail(ctx, -EEXIST,
				 "several DPDK processes run: %s; choose one with --pid or --prefix",
				 why);
	if (pid < 0)
		return vctl_fail(ctx, pid, "looking for DPDK processes: %s", strerror(-pid));
	t->pid = pid;
	return 0;
}

int trace_find_target(struct trace_ctx *t)
{
	struct vctl_ctx *ctx = t->vctx;
	int pid, err;

	err = resolve_process(t);
	if (err < 0)
		return err;
	pid = (int)t->pid;
	err = trace_find_library(t->pid, t->lib);
	if (err == -ENOENT)
		return vctl_fail(ctx, err,
				 "process %d has no net_vpmd loaded (no librte_net_vpmd.so in /proc/%d/maps)",
				 pid, pid);
	if (err == -ESTALE)
		return vctl_fail(ctx, err,
				 "process %d runs a librte_net_vpmd.so that has since been replaced on disk (%s): restart it to trace it",
				 pid, t->lib);
	if (err == -ESRCH)
		return vctl_fail(ctx, err, "no process %d", pid);
	if (err < 0)
		return vctl_fail(ctx, err, "reading /proc/%d/maps: %s%s", pid, strerror(-err),
				 err == -EACCES ? " (needs root)" : "");
	if (access("/sys/bus/event_source/devices/uprobe", F_OK) != 0)
		return vctl_fail(ctx, -EOPNOTSUPP,
				 "this kernel has no uprobe support (CONFIG_UPROBE_EVENTS): USDT probes cannot be attached");
	return 0;
}

/* What is missing when BPF cannot be loaded (@err positive). */
static int load_error(struct vctl_ctx *ctx, int err)
{
	if (err == EPERM || err == EACCES) {
		if (geteuid() != 0)
			return vctl_fail(ctx, -err,
					 "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): %s",
					 strerror(err));
		return vctl_fail(ctx, -err,
				 "the kernel refused BPF (%s): is unprivileged BPF or lockdown in the way?",
				 strerror(err));
	}
	if (err == ENOSYS)
		return vctl_fail(ctx, -err, "this kernel has no BPF support (CONFIG_BPF_SYSCALL)");
	return vctl_fail(ctx, -err, "loading the BPF programs failed: %s (run with -v for libbpf's log)",
			 strerror(err));
}

/* What is missing when probe @i cannot be attached (@err positive). */
static int attach_error(const struct trace_ctx *t, unsigned int i, int err)
{
	const char *probe = trace_probe_names[i];

	if (err == ENOENT)
		return vctl_fail(t->vctx, -err, "%s has no USDT probe vpmd:%s (built with -Dprobes=false?)",
				 t->lib, probe);
	if (err == EPERM || err == EACCES)
		return vctl_fail(t->vctx, -err, "attaching to vpmd:%s in process %d needs root: %s",
				 probe, (int)t->pid, strerror(err));
	if (err == EOPNOTSUPP || err == ENOTSUP)
		return vctl_fail(t->vctx, -err,
				 "the kernel cannot attach uprobes (CONFIG_UPROBE_EVENTS): %s",
				 strerror(err));
	return vctl_fail(t->vctx, -err, "attaching to vpmd:%s in process %d: %s", probe,
			 (int)t->pid, strerror(err));
}

static int attach_probes(struct trace_ctx *t)
{
	struct vpmd_trace_bpf *s = t->skel;
	struct bpf_program *progs[TRACE_N_PROBES] = {
		s->progs.vpmd_kick, s->progs.vpmd_kick_suppressed, s->progs.vpmd_used,
		s->progs.vpmd_used_refused, s->progs.vpmd_totals, s->progs.vpmd_refill,
	};
	struct bpf_link **links[TRACE_N_PROBES] = {
		&s->links.vpmd_kick, &s->links.vpmd_kick_suppressed, &s->links.vpmd_used,
		&s->links.vpmd_used_refused, &s->links.vpmd_totals, &s->links.vpmd_refill,
	};
	unsigned int i;

	for (i = 0; i < trace_probes_wanted(t->opts->events); i++) {
		struct bpf_link *l = bpf_program__attach_usdt(progs[i], t->pid, t->lib, "vpmd",
							      trace_probe_names[i], NULL);

		if (l == NULL)
			return attach_error(t, i, errno);
		/* The skeleton's destroy detaches what is in its links. */
		*links[i] = l;
	}
	return 0;
}

int trace_attach(struct trace_ctx *t)
{
	int err;

	verbose_libbpf = t->opts->verbose;
	libbpf_set_print(libbpf_print);

	t->skel = vpmd_trace_bpf__open();
	if (t->skel == NULL)
		return vctl_fail(t->vctx, -errno, "opening the BPF object: %s", strerror(errno));
	/* const volatile globals: the filters are fixed before load. */
	t->skel->rodata->filter_port = t->opts->port;
	t->skel->rodata->filter_queue = t->opts->queue;
	t->skel->rodata->stream_events = t->opts->events;
	err = vpmd_trace_bpf__load(t->skel);
	if (err != 0)
		return load_error(t->vctx, -err);
	err = attach_probes(t);
	if (err < 0)
		return err;
	if (t->opts->events) {
		t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), trace_render_event, t,
					 NULL);
		if (t->rb == NULL)
			return vctl_fail(t->vctx, -errno, "ring buffer: %s", strerror(errno));
	}
	return 0;
}

void trace_detach(struct trace_ctx *t)
{
	ring_buffer__free(t->rb);
	t->rb = NULL;
	/* Destroying the links detaches the uprobes: the semaphores drop back. */
	vpmd_trace_bpf__destroy(t->skel);
	t->skel = NULL;
}
