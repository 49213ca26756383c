/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user wire format (QEMU docs/interop/vhost-user.rst) and the
 * message framing on the socket. Numbers are in host byte order.
 *
 * A message is a 12-byte header followed by @size bytes of payload.
 * The header is 12 bytes and the payloads hold u64s, so they are kept in
 * separate, naturally aligned structs and sent as two iovecs rather than
 * as one packed struct.
 */
#ifndef VPMD_VU_MSG_H
#define VPMD_VU_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <vpmd/vhost_user.h>

enum vu_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQUEST_MAX,
};

/* Header flags: bits 0-1 are the version. */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_FLAG_REPLY 0x4u
#define VHOST_USER_FLAG_NEED_REPLY 0x8u

/* SET_VRING_KICK/CALL/ERR u64: bits 0-7 the index, bit 8 "no fd" (polling). */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD_MASK 0x100u

/* SET_VRING_ADDR flags: bit 0 asks for used-ring logging (migration). */
#define VHOST_VRING_F_LOG 0

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes that follow */
};

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

/* Field order as on the wire: descriptor, used, available, log. */
struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VHOST_USER_MAX_MEM_REGIONS];
};

/* GET_CONFIG / SET_CONFIG: 12 bytes of header, then @size bytes of config. */
struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};
#define VU_CONFIG_HDR_SIZE offsetof(struct vu_config, region)

union vu_payload {
	uint64_t u64;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	struct vu_memory memory;
	struct vu_config cfg;
};

_Static_assert(sizeof(struct vu_hdr) == 12, "vhost-user header is 12 bytes");
_Static_assert(sizeof(struct vu_vring_state) == 8, "vring state is 8 bytes");
_Static_assert(sizeof(struct vu_vring_addr) == 40, "vring address is 40 bytes");
_Static_assert(sizeof(struct vu_mem_region) == 32, "memory region is 32 bytes");
_Static_assert(offsetof(struct vu_memory, regions) == 8, "regions follow nregions+padding");
_Static_assert(VU_CONFIG_HDR_SIZE == 12, "config header is 12 bytes");

/* Size of a SET_MEM_TABLE payload with @n regions. */
#define VU_MEM_TABLE_SIZE(n) (offsetof(struct vu_memory, regions) + (n) * sizeof(struct vu_mem_region))

/*
 * Framing on a non-blocking stream socket. @deadline_ms is a
 * CLOCK_MONOTONIC time in milliseconds (vu_deadline()).
 */
int64_t vu_now_ms(void);
int64_t vu_deadline(int timeout_ms);

/**
 * Send one message, with @nfds fds as SCM_RIGHTS on its first byte.
 * Returns 0, -ECONNRESET (peer gone), -ETIMEDOUT (socket stayed full),
 * or another -errno.
 */
int vu_msg_send(int sock, const struct vu_hdr *hdr, const void *payload, const int *fds,
		unsigned int nfds, int64_t deadline_ms);

/**
 * Receive one reply to @request whose payload must be exactly @size bytes.
 * Checks version, REPLY flag, request code and size before reading the
 * payload. Any fd that arrives is closed and makes the reply malformed.
 * Returns 0; -EPROTO (malformed or truncated), -ECONNRESET (peer closed
 * before a reply began), -ETIMEDOUT, or another -errno.
 */
int vu_msg_recv_reply(int sock, uint32_t request, void *payload, uint32_t size,
		      int64_t deadline_ms);

#endif /* VPMD_VU_MSG_H */
