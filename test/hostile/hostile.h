/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostile_backend's state, shared by its three parts: the protocol
 * (hostile_proto.c), the rings and their faults (hostile_ring.c), and the
 * event loop with its control FIFO (hostile_backend.c).
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/vhost_user.h>

#include "vu_msg.h"

#define RX	  0u
#define TX	  1u
#define NUM_VQ	  2u
#define MAX_SEGS  64u
#define FRAME_MAX 65562u /* a 64 KiB frame and its virtio-net header */

enum fault {
	FAULT_NONE,
	FAULT_ID_RANGE,
	FAULT_NOT_INFLIGHT,
	FAULT_LEN_PAST,
	FAULT_WRAP,
	FAULT_IDX_JUMP,
};

/* Fault names, as on the control FIFO. */
extern const char *const fault_names[];

struct region {
	uint64_t gpa, size, uva;
	uint8_t *host; /* gpa maps here */
	void *map;
	size_t map_len;
};

/* One buffer chain taken from the driver: where its segments are. */
struct chain {
	uint16_t id;	/* split: head index; packed: buffer id */
	uint16_t slots; /* packed: descriptors it took */
	unsigned int nseg;
	uint32_t writable; /* bytes the device may write */
	struct {
		uint8_t *p;
		uint32_t len;
		bool write;
	} seg[MAX_SEGS];
};

struct vq {
	uint16_t size;
	bool enabled, addr_set;
	int kick_fd, call_fd;
	uint64_t desc_uva, avail_uva, used_uva;
	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail, used_idx;
	/* packed */
	struct vring_packed_desc *pdesc;
	bool avail_wrap, used_wrap;
	enum fault fault; /* armed for the next used entry */
	/*
	 * After idx_jump the index stays wrong: writing a good one a moment
	 * later would let a driver that did not look in between miss it.
	 * A poisoned ring gets no more used entries.
	 */
	bool poisoned;
	/* An extra used entry was written: the next chain taken is never given back. */
	bool withhold;
	uint64_t frames;
};

struct backend {
	const char *path;
	bool server, offer_packed, offer_in_order;
	long stall_after; /* -1: never */
	int listen_fd, conn_fd, ctl_fd;
	long msgs; /* on this connection */
	bool stalled;
	uint64_t features, protocol;
	unsigned int nregions;
	struct region mem[VHOST_USER_MAX_MEM_REGIONS];
	struct vq vq[NUM_VQ];
	char ctl_buf[256];
	size_t ctl_len;
	uint8_t frame[FRAME_MAX];
};

/* A line on stderr, "hostile: ..."; the tests wait for some of them. */
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);

/* hostile_ring.c */
bool packed(const struct backend *be);
const char *ring_name(unsigned int q);
int set_mem_table(struct backend *be, const struct vu_memory *m, uint32_t size, const int *fds,
		  unsigned int nfds);
void mem_unmap(struct backend *be);
bool ring_live(const struct backend *be, const struct vq *vq);
/* Map a ring's addresses once memory, size and addresses are known: 0 or -EFAULT. */
int ring_map(struct backend *be, struct vq *vq);
/* Forget a ring (a new connection, or the driver set it up again). */
void ring_reset(struct vq *vq);
/* Echo one frame from tx to rx: false when tx had none. */
bool echo_one(struct backend *be);

/* hostile_proto.c */
/* Serve one message: <0 when the connection must go. */
int serve(struct backend *be);
void drop_connection(struct backend *be);

#endif /* HOSTILE_H */
