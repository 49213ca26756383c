/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory table of a vhost-user port, followed as DPDK's memory grows
 * and shrinks (vpmd_mem.c). Errors are negative errnos, logged here.
 */
#ifndef VPMD_MEM_H
#define VPMD_MEM_H

struct vpmd_adapter;

/*
 * Follow DPDK's memory events for @ad (from probe, once the transport
 * exists). 0 also where EAL has none (--legacy-mem: the memory is fixed);
 * -ENOSPC past RTE_MAX_ETHPORTS ports, or EAL's error.
 */
int vpmd_mem_events_register(struct vpmd_adapter *ad);
/* Stop following them; returns once no callback of @ad runs. NULL-safe. */
void vpmd_mem_events_unregister(struct vpmd_adapter *ad);
/*
 * Send the table a memory event could not send itself (the control lock
 * was busy), if any. The link monitor's tick: control lock held, device up.
 */
void vpmd_mem_refresh(struct vpmd_adapter *ad);

#endif /* VPMD_MEM_H */
