/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend: the driver side of the vhost-user protocol (as
 * QEMU and DPDK's virtio-user are), exposed as a virtio transport.
 *
 * The frontend talks to a backend (DPDK's net_vhost, a vswitch) over an
 * AF_UNIX stream socket. It either connects to the backend's socket
 * (client mode) or listens on the path and waits for the backend (server
 * mode). The memory the rings and buffers live in is the caller's: it
 * hands the transport a list of shared-memory regions (file descriptor,
 * offset, size, addresses) that are sent with SET_MEM_TABLE.
 *
 * Lifecycle:
 *   vhost_user_create()       - check the configuration, no I/O
 *   vhost_user_set_mem_regions()
 *   vhost_user_connect()      - connect or accept, then the handshake
 *                               (GET_FEATURES, protocol features,
 *                               GET_QUEUE_NUM, SET_OWNER)
 *   virtio_dev_init(dev, &vhost_user_ops, vu, ...) and the usual
 *   virtio_dev_negotiate / setup queues / virtio_dev_driver_ok
 *   vhost_user_check_connection() from time to time; on -ECONNRESET:
 *   vhost_user_reconnect() and renegotiate the device.
 *
 * Errors: every function returns 0 or a negative errno. Protocol errors
 * are -EPROTO (malformed reply), -ECONNRESET (backend closed the socket),
 * -ETIMEDOUT (no reply within reply_timeout_ms), -ENOTCONN (no connection
 * now). After -EPROTO, -ECONNRESET or -ETIMEDOUT the connection is closed,
 * since the message stream can no longer be trusted; reconnect to go on.
 * A backend that answers a REPLY_ACK with failure gives -EIO and the
 * connection stays up.
 *
 * Queues: setup_queue sends SET_MEM_TABLE first when the backend does not
 * have it yet, then SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ADDR (process
 * addresses of the rings), SET_VRING_KICK and SET_VRING_CALL (eventfds
 * made here) and SET_VRING_ENABLE 1. The base is the queue's used
 * position (vq_get_position), so a queue torn down and set up again
 * resumes where it stopped, and chains still in flight are walked again.
 * teardown_queue sends SET_VRING_ENABLE 0 and GET_VRING_BASE, whose answer
 * vhost_user_get_vring_base() gives. notify_queue writes 1 to the kick
 * eventfd. The status lives in the backend with the STATUS protocol
 * feature (SET/GET_STATUS), else here.
 *
 * Threading: the control path (everything but the notify op) must be
 * serialised by the caller. The notify op only writes to an eventfd and
 * may run on the datapath thread while no control call changes that
 * queue (setup, teardown, reset, reconnect, destroy).
 *
 * No DPDK types: the PMD and the tests share this transport.
 */
#ifndef VPMD_VHOST_USER_H
#define VPMD_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_dev.h"

/*
 * Bit 30 of the feature word is a vhost-user bit, not a virtio one: it
 * says the backend speaks the protocol-feature extension. The transport
 * hides it (and VHOST_F_LOG_ALL, bit 26) from the virtio core and sets it
 * itself when talking to the backend.
 */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_F_LOG_ALL 26

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_RARP 2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_NET_MTU 4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ 5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN 6
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION 7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT 8
#define VHOST_USER_PROTOCOL_F_CONFIG 9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD 10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER 11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VHOST_USER_PROTOCOL_F_STATUS 16

/* The protocol features this frontend implements, the default of cfg.protocol_features. */
#define VHOST_USER_PROTOCOL_SUPPORTED                                                   \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_NET_MTU) |                                       \
	 (1ULL << VHOST_USER_PROTOCOL_F_CONFIG) |                                        \
	 (1ULL << VHOST_USER_PROTOCOL_F_RESET_DEVICE) |                                  \
	 (1ULL << VHOST_USER_PROTOCOL_F_STATUS))

/* SET_MEM_TABLE carries at most this many regions (one fd each). */
#define VHOST_USER_MAX_MEM_REGIONS 8
/* Vring index travels in 8 bits in SET_VRING_KICK/CALL. */
#define VHOST_USER_MAX_QUEUES 256
/* Largest config space GET_CONFIG/SET_CONFIG can move. */
#define VHOST_USER_MAX_CONFIG_SIZE 256

enum vhost_user_mode {
	VHOST_USER_MODE_CLIENT, /* we connect to the backend's listening socket */
	VHOST_USER_MODE_SERVER, /* we listen on the path; the backend connects */
};

/**
 * One region of shared memory. The driver puts process virtual addresses
 * in descriptors, so guest_addr is normally user_addr.
 */
struct vhost_user_mem_region {
	int fd;               /* file to mmap (memfd, hugetlbfs file) */
	uint64_t mmap_offset; /* where the region starts in that file */
	uint64_t size;        /* bytes */
	uint64_t user_addr;   /* address of the region in this process */
	uint64_t guest_addr;  /* address the driver writes in descriptors */
};

struct vhost_user_config {
	const char *path; /* socket path, < 108 bytes; copied */
	enum vhost_user_mode mode;
	/* Wait this long for each reply (poll()). Default 1500. */
	int reply_timeout_ms;
	/*
	 * Client: retry connect() while the backend's socket is absent or
	 * refuses, for this long. Server: wait this long for the backend to
	 * connect. 0: one attempt, no wait. Default 2000.
	 */
	int connect_timeout_ms;
	/* Protocol features we may accept. Default VHOST_USER_PROTOCOL_SUPPORTED. */
	uint64_t protocol_features;
	/* What get_queue_max reports (vhost-user has no way to ask). Default 1024. */
	uint16_t queue_size_max;
	/*
	 * Emulate the virtio-net control queue here, as QEMU and DPDK's
	 * virtio_user do: a vhost-user backend never sees it. Offers
	 * CTRL_VQ, CTRL_RX, CTRL_VLAN, CTRL_MAC_ADDR (and MQ with more than
	 * one queue pair), hides them from SET_FEATURES, and answers the
	 * commands in the notify op (see "Control queue" below). Default
	 * false: the control-queue bits a backend offers are hidden, since
	 * nobody would serve the queue.
	 */
	bool ctrl_queue;
};

struct vhost_user;

/** The transport ops: pass to virtio_dev_init() with the struct vhost_user as transport. */
extern const struct virtio_transport_ops vhost_user_ops;

/** Fill @cfg with the defaults (path NULL, client mode). */
void vhost_user_config_init(struct vhost_user_config *cfg);

/**
 * Allocate a frontend for @cfg. No socket is opened yet.
 * Returns 0 and the frontend in @out; -EINVAL (no path, bad mode or
 * timeout), -ENAMETOOLONG (path too long for sun_path), -ENOMEM.
 */
int vhost_user_create(const struct vhost_user_config *cfg, struct vhost_user **out);

/**
 * Close the connection (and the listening socket, whose path is
 * unlinked), the eventfds and the region fds. NULL is fine.
 */
void vhost_user_destroy(struct vhost_user *vu);

/**
 * Set the memory regions sent with SET_MEM_TABLE (at the first queue
 * setup after a connect or a device reset). The fds are duplicated: the
 * caller keeps its own and may close them.
 * Returns 0, -EINVAL (0 or more than 8 regions, bad fd, zero size),
 * -EBUSY (queues are set up: tear them down first), or -errno of dup.
 */
int vhost_user_set_mem_regions(struct vhost_user *vu, const struct vhost_user_mem_region *regions,
			       unsigned int n);

/**
 * Replace the memory regions while the device may be running: memory was
 * added, or is about to be given back. A backend that holds a table (one
 * was sent since the connect or the last device reset) is sent the new one
 * now with SET_MEM_TABLE: a backend remaps its memory and its rings'
 * addresses from it without a queue being stopped (DPDK's vhost library
 * holds every queue's lock meanwhile). Otherwise the table goes at the
 * next queue setup, as with vhost_user_set_mem_regions(). A table equal
 * to the current one (addresses, sizes, offsets) is not sent again. The
 * fds are duplicated; the old ones are closed (the backend keeps its own).
 * Returns 0, -EINVAL (0 or more than 8 regions, bad fd, zero size), -errno
 * of dup, or the error of SET_MEM_TABLE: the new table is kept and goes
 * again at the next queue setup; after a transport error the connection
 * is closed (reconnect to go on).
 */
int vhost_user_update_mem_regions(struct vhost_user *vu,
				  const struct vhost_user_mem_region *regions, unsigned int n);

/**
 * Record that the caller could not build a table for its memory (e.g.
 * more files than regions, @err -E2BIG): counted, with @err, in dump_json
 * ("mem_refused", "mem_refused_error"). The table in use is not changed.
 */
void vhost_user_mem_refused(struct vhost_user *vu, int err);

/**
 * Connect (client) or accept (server), then the handshake:
 * GET_FEATURES; if bit 30 is offered, GET/SET_PROTOCOL_FEATURES; with
 * MQ, GET_QUEUE_NUM; SET_OWNER. Returns 0, -EISCONN if already
 * connected, -ETIMEDOUT when the backend did not come in time, the
 * connect() errno, or a protocol error (then the socket is closed again).
 */
int vhost_user_connect(struct vhost_user *vu);

/**
 * Close the connection and forget its state (protocol features, queue
 * eventfds). The ring bases read by the last teardowns are kept.
 * The backend sees the socket close and stops the device.
 */
void vhost_user_disconnect(struct vhost_user *vu);

/**
 * Change how long connect (client) or accept (server) waits, e.g. short
 * for a reconnect loop polled from a control thread. Returns 0 or -EINVAL.
 */
int vhost_user_set_connect_timeout(struct vhost_user *vu, int timeout_ms);

/** vhost_user_disconnect() then vhost_user_connect(). The device must be renegotiated. */
int vhost_user_reconnect(struct vhost_user *vu);

/**
 * Non-blocking check that the backend is still there, for a poll loop.
 * Returns 0 while connected; -ECONNRESET when the backend has hung up, or
 * sent something unasked (the stream is then out of step; dump_json's
 * last_error says which): the connection is closed then; -ENOTCONN when
 * there was none.
 */
int vhost_user_check_connection(struct vhost_user *vu);

bool vhost_user_is_connected(const struct vhost_user *vu);

/**
 * The ring base the backend returned (GET_VRING_BASE) when queue @index
 * was last torn down: split, the next available index it would process;
 * packed, that index | avail wrap counter << 15. Returns 0, -ENOENT when
 * the queue was never torn down while connected, -EINVAL for a bad index.
 */
int vhost_user_get_vring_base(const struct vhost_user *vu, uint16_t index, uint32_t *base);

/** Features the backend offered in the last GET_FEATURES, vhost-user bits included. */
uint64_t vhost_user_backend_features(const struct vhost_user *vu);
/** Protocol features offered by the backend, and the ones in use. */
uint64_t vhost_user_protocol_features_offered(const struct vhost_user *vu);
uint64_t vhost_user_protocol_features(const struct vhost_user *vu);
/** GET_QUEUE_NUM: queue pairs of a net backend (1 without MQ). 0 when not connected. */
uint32_t vhost_user_queue_num(const struct vhost_user *vu);

/**
 * The eventfd the backend signals when it uses buffers of queue @index
 * (SET_VRING_CALL): a used buffer notification, sent only while the ring
 * asks for them (vq_enable_cb()). Made at the first call (or at the
 * queue's first setup) and kept for the life of @vu: across disconnects,
 * reconnects and queue teardowns, every backend is given this same fd,
 * so a waiter registered on it (epoll) stays valid. Non-blocking; the
 * waiter drains its 8-byte counter. Owned by @vu: do not close it.
 * Returns the fd (>= 0), -EINVAL (no @vu, @index out of range), or
 * -errno of eventfd(). Control path.
 */
int vhost_user_call_fd(struct vhost_user *vu, uint16_t index);

/**
 * RESET_OWNER (deprecated in the spec, kept for old backends) then a new
 * handshake, since backends such as DPDK forget the protocol features
 * on it. Queues are stopped first. Returns 0 or a negative errno.
 */
int vhost_user_reset_owner(struct vhost_user *vu);

/**
 * NET_SET_MTU: tell the backend the MTU the driver uses, as a virtio-net
 * device's mtu field would otherwise (5.1.4). 0, -ENOTSUP without the
 * NET_MTU protocol feature, -ENOTCONN, or another negative errno
 * (-EIO when the backend refused the MTU).
 */
int vhost_user_set_mtu(struct vhost_user *vu, uint16_t mtu);

/*
 * Control queue (with cfg.ctrl_queue).
 *
 * The control virtqueue is at index 2 * vhost_user_queue_num() with MQ
 * negotiated, else 2 (virtio 1.2, 5.1.2). Its setup_queue and
 * teardown_queue send nothing to the backend. Its notify op consumes
 * every available chain right away, in the caller's thread: each
 * descriptor is checked (index, chain length, readable before writable,
 * the buffer inside the memory regions), the command applied and acked
 * VIRTIO_NET_OK, or VIRTIO_NET_ERR for an unsupported, unnegotiated or
 * malformed command; a chain with no writable byte to ack in is returned
 * with length 0. A ring that cannot be walked on (an available head out
 * of range, an index jump, a packed chain that does not end) stops the
 * queue until the next reset.
 *
 * RX mode, MAC and VLAN commands are recorded: the backend delivers every
 * frame, so the driver enforces them with vhost_user_ctrl_rx_accept(). With
 * MQ negotiated, rings of pairs beyond the first start disabled and
 * VQ_PAIRS_SET enables and disables them with SET_VRING_ENABLE. A device
 * reset (and a disconnect) returns the state to its defaults: promiscuous
 * on, all-multicast off, no MAC, no VLAN, one queue pair.
 *
 * Since the notify op of the control queue may send SET_VRING_ENABLE, it
 * is a control-path call: serialise it with the others.
 */

/* MAC_TABLE_SET entries kept per table; the counts are kept whole. */
#define VHOST_USER_CTRL_MAC_TABLE_MAX 16
#define VHOST_USER_CTRL_VLAN_WORDS (4096 / 32)

/** What the emulated control queue recorded, for logs, JSON and tests. */
struct vhost_user_ctrl_state {
	bool negotiated;   /* the driver accepted CTRL_VQ */
	bool queue_active; /* the control queue is set up */
	bool broken;       /* the ring could not be walked; nothing is answered till a reset */
	bool promisc;
	bool allmulti;
	bool mac_set;      /* MAC_ADDR_SET received */
	uint8_t mac[6];
	uint32_t uc_count; /* entries of the last MAC_TABLE_SET */
	uint32_t mc_count;
	uint8_t uc[VHOST_USER_CTRL_MAC_TABLE_MAX][6]; /* the first ones of each table */
	uint8_t mc[VHOST_USER_CTRL_MAC_TABLE_MAX][6];
	uint32_t vlans[VHOST_USER_CTRL_VLAN_WORDS]; /* bit vid set: filter admits vid */
	uint16_t vlan_count;
	uint16_t queue_pairs; /* VQ_PAIRS_SET; 1 after reset */
	/* Counted since the frontend was created, across resets. */
	uint64_t cmds_ok;
	uint64_t cmds_err;   /* acked VIRTIO_NET_ERR */
	uint64_t chains_bad; /* malformed chains (acked ERR, or returned without ack) */
};

static inline bool vhost_user_ctrl_vlan_isset(const struct vhost_user_ctrl_state *st,
					      uint16_t vid)
{
	return vid < 4096 && ((st->vlans[vid / 32] >> (vid % 32)) & 1);
}

/** Copy the control queue's state. Returns 0, -EINVAL. */
int vhost_user_ctrl_get_state(const struct vhost_user *vu, struct vhost_user_ctrl_state *out);

/**
 * The receive filter a device applies with this state (as QEMU's
 * virtio-net does), for the driver to enforce on frames the backend
 * delivers unfiltered: true if the Ethernet frame @frame of @len bytes
 * passes. Promiscuous passes everything. Otherwise a frame tagged 0x8100
 * must carry a VLAN in the table (only with @vlan_filter: in DPDK the
 * table applies while the VLAN filter offload is on); broadcast passes;
 * other multicast passes with all-multicast, an overflowed multicast
 * table, or a match in it; unicast passes to st->mac (when st->mac_set),
 * with an overflowed unicast table, or a match in it. A frame too short
 * for its header does not pass.
 */
bool vhost_user_ctrl_rx_accept(const struct vhost_user_ctrl_state *st, const uint8_t *frame,
			       uint32_t len, bool vlan_filter);

/**
 * Index of the control queue for the features the driver set, or
 * -ENOTSUP when CTRL_VQ was not negotiated (or cfg.ctrl_queue is off).
 */
int vhost_user_ctrl_queue_index(const struct vhost_user *vu);

/** "MQ", "REPLY_ACK", ... or NULL for an unnamed protocol feature bit (< 64). */
const char *vhost_user_protocol_feature_name(unsigned int bit);

/** "SET_OWNER", "GET_FEATURES", ... or NULL for an unknown request code. */
const char *vhost_user_request_name(uint32_t request);

#endif /* VPMD_VHOST_USER_H */
