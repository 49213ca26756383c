/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands, in the order help lists them: X(name) is the command
 * vctl_cmd_<name>, a struct vctl_cmd defined in cmd_<name>.c. A new
 * command is one X() here and its definition (vctl trace: in bpf/,
 * issue 5, linked into vctl).
 */
#ifndef VCTL_CMDS_H
#define VCTL_CMDS_H

#include "vctl.h"

/* vctl trace needs libbpf: built only with it (meson's build_bpf). */
#ifdef VCTL_HAVE_TRACE
#define VCTL_TRACE_COMMAND(X) X(trace)
#else
#define VCTL_TRACE_COMMAND(X)
#endif

#define VCTL_COMMANDS(X)      \
	X(list)               \
	X(status)             \
	X(features)           \
	X(ring)               \
	X(stats)              \
	X(top)                \
	X(export)             \
	VCTL_TRACE_COMMAND(X) \
	X(help)

#define VCTL_CMD_DECLARE(name) extern const struct vctl_cmd vctl_cmd_##name;
VCTL_COMMANDS(VCTL_CMD_DECLARE)
#undef VCTL_CMD_DECLARE

#endif /* VCTL_CMDS_H */
