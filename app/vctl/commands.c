/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table, from the list in cmds.h. Dispatch, help, the man
 * page (vctl --gen-man) and the bash completion (vctl --gen-completion)
 * are all made from it. A command is an exact name: no prefix guessing.
 */
#include <string.h>

#include "cmds.h"

#define VCTL_CMD_ENTRY(name) &vctl_cmd_##name,
const struct vctl_cmd *const vctl_commands[] = {
	VCTL_COMMANDS(VCTL_CMD_ENTRY)
	NULL,
};
#undef VCTL_CMD_ENTRY

const struct vctl_cmd *vctl_cmd_find(const char *name)
{
	const struct vctl_cmd *const *c;

	for (c = vctl_commands; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}
