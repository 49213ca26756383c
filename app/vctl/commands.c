/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table. Help, the man page (vctl --gen-man) and the bash
 * completion (vctl --gen-completion) are all made from it. A command is
 * an exact name, no prefix guessing, and one line here.
 */
#include <string.h>

#include "cmds.h"

const struct vctl_cmd *const vctl_commands[] = {
	&vctl_cmd_list,
	&vctl_cmd_status,
	&vctl_cmd_features,
	&vctl_cmd_ring,
	&vctl_cmd_stats,
	/* &vctl_cmd_trace, from bpf/ (issue 5), goes here. */
	&vctl_cmd_help,
	NULL,
};

const struct vctl_cmd *vctl_cmd_find(const char *name)
{
	const struct vctl_cmd *const *c;

	for (c = vctl_commands; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}
