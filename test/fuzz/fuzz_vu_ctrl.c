/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device side of the control queue the vhost-user frontend plays
 * (lib/vhost_user/vu_ctrl.c), fed whatever a driver might write: the
 * descriptors, the available ring and the command bytes all come from the
 * input. The queue's ring and the buffers live in one "guest memory"
 * region declared to the frontend, as in test/vhost_user/test_vu_ctrl.c.
 *
 * Input: byte 0 sets the scene (layout, ring size, which control features,
 * data queues live so that VQ_PAIRS_SET talks to the backend, a backend
 * that is gone); then operations:
 *   0: raw bytes into the ring memory (descriptors, rings, event areas),
 *   1: raw bytes into the buffer area (commands),
 *   2: one descriptor whose address is relative to the region (so it can
 *      land inside, or a little outside, whatever ASLR did),
 *   3: split: publish an available index; packed: nothing more to publish,
 *   4: the driver kicks: vu_ctrl_notify().
 * Descriptor addresses written raw are absolute garbage: refused, as they
 * must be. Addresses are pointers of this process, as the frontend's are.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "fuzz_input.h"
#include "vu_internal.h"

#define MEM_SIZE (256u * 1024u)
#define RING_OFF 0u
#define BUF_OFF (64u * 1024u)

static struct vhost_user *vu;
static uint8_t *mem;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vhost_user_config cfg;
	struct vhost_user_mem_region r;
	int fd;

	(void)argc;
	(void)argv;
	fd = memfd_create("vpmd-fuzz-guest", MFD_CLOEXEC);
	FZ_CHECK(fd >= 0 && ftruncate(fd, MEM_SIZE) == 0, "memfd: %s", strerror(errno));
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	FZ_CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	vhost_user_config_init(&cfg);
	cfg.path = "fuzz-unused";
	cfg.ctrl_queue = true;
	cfg.reply_timeout_ms = 100;
	FZ_CHECK(vhost_user_create(&cfg, &vu) == 0, "vhost_user_create");
	r = (struct vhost_user_mem_region){
		.guest_addr = (uintptr_t)mem,
		.size = MEM_SIZE,
		.user_addr = (uintptr_t)mem,
		.fd = fd,
		.mmap_offset = 0,
	};
	FZ_CHECK(vhost_user_set_mem_regions(vu, &r, 1) == 0, "set_mem_regions");
	close(fd);
	return 0;
}

/* One descriptor at @idx, its address an offset from the region's start. */
static void write_desc(const struct vu_ctrl *c, struct fz *f)
{
	uint16_t idx = fz_u8(f) % c->size;
	int32_t off = (int32_t)fz_u32(f);
	uint64_t addr = (uint64_t)(uintptr_t)mem + (uint64_t)(int64_t)off;
	uint32_t len = fz_u16(f);
	uint16_t flags = fz_u16(f), next = fz_u16(f);

	if (c->layout == VQ_LAYOUT_SPLIT) {
		struct vring_desc *d = c->desc;

		d[idx] = (struct vring_desc){ htole64(addr), htole32(len), htole16(flags),
					      htole16(next) };
	} else {
		struct vring_packed_desc *d = c->desc;

		d[idx].addr = htole64(addr);
		d[idx].len = htole32(len);
		d[idx].id = htole16(next);
		__atomic_store_n(&d[idx].flags, htole16(flags), __ATOMIC_RELEASE);
	}
}

static void raw(uint8_t *area, size_t area_len, struct fz *f)
{
	size_t off = fz_u16(f) % area_len;
	size_t len = fz_u8(f);

	if (len > area_len - off)
		len = area_len - off;
	fz_bytes(f, area + off, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t scene = fz_u8(&f);
	bool packed = scene & 1;
	struct vq_config qc = {
		.layout = packed ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT,
		.size = (uint16_t)(2u << ((scene >> 1) & 3)),
		.index = 8,
	};
	uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ);
	struct vhost_user_ctrl_state st;
	struct virtqueue *vq = NULL;
	size_t ring_len;
	unsigned int i;
	int sv[2];

	if (vu == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	/* A connection, so that setup is allowed and VQ_PAIRS_SET has a backend to tell. */
	FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0,
		 "socketpair: %s", strerror(errno));
	vu->sock_fd = sv[0];
	vu->queue_num = 4;
	vu->backend_features = (scene & 0x40) ? VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) : 0;
	for (i = 0; i < 8; i++) {
		vu->queues[i].active = (scene & 0x20) != 0;
		vu->queues[i].enabled = i < 2;
	}
	if (scene & 0x80)
		close(sv[1]); /* the backend is gone: a VQ_PAIRS_SET fails mid-chain */
	if (packed)
		features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (scene & 0x08)
		features |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_VLAN);
	if (scene & 0x10)
		features |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | VIRTIO_BIT(VIRTIO_NET_F_MQ);
	vu_ctrl_reset(vu);
	vu_ctrl_set_features(vu, features);

	qc.features = features;
	ring_len = vq_ring_mem_size(&qc);
	FZ_CHECK(ring_len != 0 && ring_len <= BUF_OFF, "ring of %u", qc.size);
	FZ_CHECK(vq_create(&qc, mem + RING_OFF, (uintptr_t)(mem + RING_OFF), &vq) == 0, "vq_create");
	FZ_CHECK(vu_ctrl_setup(vu, vq) == 0, "vu_ctrl_setup");

	while (!fz_done(&f)) {
		struct vu_ctrl *c = &vu->ctrl;

		switch (fz_u8(&f) % 5) {
		case 0:
			raw(mem + RING_OFF, ring_len, &f);
			break;
		case 1:
			raw(mem + BUF_OFF, MEM_SIZE - BUF_OFF, &f);
			break;
		case 2:
			if (c->desc != NULL)
				write_desc(c, &f);
			break;
		case 3:
			if (!packed && c->driver_area != NULL) {
				struct vring_avail *a = c->driver_area;

				__atomic_store_n(&a->idx, htole16(fz_u16(&f)), __ATOMIC_RELEASE);
			}
			break;
		case 4:
			(void)vu_ctrl_notify(vu);
			break;
		}
	}
	(void)vu_ctrl_notify(vu);
	FZ_CHECK(vhost_user_ctrl_get_state(vu, &st) == 0 || vu->sock_fd < 0, "get_state");
	/* For whoever writes seeds: what the input made of the queue. */
	if (getenv("VPMD_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "vu_ctrl: ok %llu err %llu bad %llu broken %d pairs %u\n",
			(unsigned long long)st.cmds_ok, (unsigned long long)st.cmds_err,
			(unsigned long long)st.chains_bad, st.broken, st.queue_pairs);
	json_decref(vu_ctrl_to_json(vu));

	vu_ctrl_teardown(vu);
	vq_destroy(vq);
	/* A failed request may have disconnected already; otherwise, we do. */
	if (vu->sock_fd >= 0)
		close(vu->sock_fd);
	vu->sock_fd = -1;
	if (!(scene & 0x80))
		close(sv[1]);
	for (i = 0; i < 8; i++)
		vu->queues[i] = (struct vu_queue){ .kick_fd = -1, .call_fd = -1 };
	return 0;
}
