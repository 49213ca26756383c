/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd's devargs parser (drivers/net/virtio_pmd/vpmd_devargs.c, on
 * DPDK's rte_kvargs, which needs no EAL). Input: byte 0 picks the bus
 * (bit 0: PCI, else vhost-user); the rest is the devargs string as a user
 * would type it after "net_vpmd0,". What must hold on success: every
 * value within the range the driver documents.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include <vpmd/virtio_spec.h>

#include "fuzz_input.h"
#include "vpmd_devargs.h"

/* The log types vpmd_ethdev.c registers; here one quiet type for both. */
int vpmd_logtype_init = RTE_LOGTYPE_USER1;
int vpmd_logtype_driver = RTE_LOGTYPE_USER1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Every refused input logs a line: keep libFuzzer's output readable. */
	rte_log_set_global_level(RTE_LOG_EMERG);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum vpmd_devargs_kind kind;
	struct vpmd_devargs a;
	char *args;
	int rc;

	if (size == 0)
		return 0;
	kind = (data[0] & 1) ? VPMD_DEVARGS_PCI : VPMD_DEVARGS_VHOST_USER;
	/* A C string: it ends at the first NUL, as a command line's would. */
	args = malloc(size);
	FZ_CHECK(args != NULL, "out of memory");
	memcpy(args, data + 1, size - 1);
	args[size - 1] = '\0';

	rc = vpmd_devargs_parse("net_vpmd0", args, kind, &a);
	FZ_CHECK(rc == 0 || rc == -EINVAL, "rc %d", rc);
	if (rc == 0) {
		FZ_CHECK(a.queues >= 1 && a.queues <= 128, "queues %u", a.queues);
		FZ_CHECK(a.queue_size >= 64 && a.queue_size <= VIRTQ_MAX_SIZE, "queue_size %u",
			 a.queue_size);
		FZ_CHECK(a.packed_vq || (a.queue_size & (a.queue_size - 1)) == 0,
			 "split queue_size %u", a.queue_size);
		FZ_CHECK(memchr(a.path, '\0', sizeof(a.path)) != NULL, "path not terminated");
		FZ_CHECK(kind == VPMD_DEVARGS_PCI || a.path[0] != '\0', "no path");
		FZ_CHECK(kind == VPMD_DEVARGS_VHOST_USER || (a.path[0] == '\0' && !a.server),
			 "path or server on PCI");
		FZ_CHECK(a.mtu == 0 || a.mtu >= 68, "mtu %u", a.mtu);
		FZ_CHECK(a.speed >= 1, "speed %u", a.speed);
		FZ_CHECK(!a.mac_set || !(a.mac.addr_bytes[0] & 1), "multicast mac");
	}
	free(args);
	return 0;
}
