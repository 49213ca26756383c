/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd device arguments: parsed and checked once at probe.
 */
#ifndef VPMD_DEVARGS_H
#define VPMD_DEVARGS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

/* Keys of a vdev (vhost-user); a PCI function takes the same but path and server. */
#define VPMD_DEVARGS_LIST \
	"path=<socket> server=<0|1> queues=<1-128> queue_size=<64-32768> packed_vq=<0|1> " \
	"mrg_rxbuf=<0|1> in_order=<0|1> event_idx=<0|1> mac=<xx:xx:xx:xx:xx:xx> " \
	"mtu=<68-9710> speed=<Mbps> ctrl_vq=<0|1>"

struct vpmd_devargs {
	char path[108];    /* vhost-user socket (sun_path size) */
	bool server;       /* we listen, the backend connects */
	uint16_t queues;   /* queue pairs */
	bool queues_set;   /* given as a devarg (else a PCI port takes the device's) */
	uint16_t queue_size; /* largest ring the device is asked for */
	bool packed_vq;
	bool mrg_rxbuf;
	bool in_order;
	bool event_idx;
	bool ctrl_vq;      /* a control queue (rx mode, MAC, VLAN filter, queue pairs) */
	bool mac_set;
	struct rte_ether_addr mac;
	uint16_t mtu;      /* 0: the device's, or 1500 */
	uint32_t speed;    /* Mbit/s reported by link_update */
};

#define VPMD_PCI_DEVARGS_LIST \
	"queues=<1-128> queue_size=<64-32768> packed_vq=<0|1> mrg_rxbuf=<0|1> in_order=<0|1> " \
	"event_idx=<0|1> mac=<xx:xx:xx:xx:xx:xx> mtu=<68-9710> speed=<Mbps> ctrl_vq=<0|1>"

enum vpmd_devargs_kind {
	VPMD_DEVARGS_VHOST_USER, /* path is required */
	VPMD_DEVARGS_PCI,        /* path and server do not apply */
};

/**
 * Parse @args (the device's devargs string, may be NULL) into @out, with
 * defaults for what is absent. On a bad or unknown key (or one that does
 * not apply to @kind), logs one line naming it and returns -EINVAL.
 */
int vpmd_devargs_parse(const char *name, const char *args, enum vpmd_devargs_kind kind,
		       struct vpmd_devargs *out);

#endif /* VPMD_DEVARGS_H */
