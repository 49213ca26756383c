/* SPDX-License-Identifier: BSD-3-Clause */
/* The commands, one file each (cmd_NAME.c), listed in commands.c. */
#ifndef VCTL_CMDS_H
#define VCTL_CMDS_H

#include "vctl.h"

extern const struct vctl_cmd vctl_cmd_list;
extern const struct vctl_cmd vctl_cmd_status;
extern const struct vctl_cmd vctl_cmd_features;
extern const struct vctl_cmd vctl_cmd_ring;
extern const struct vctl_cmd vctl_cmd_stats;
extern const struct vctl_cmd vctl_cmd_help;

#endif /* VCTL_CMDS_H */
