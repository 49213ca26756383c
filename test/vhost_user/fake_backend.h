/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted vhost-user backend on a thread, for the frontend's unit
 * tests: it records every message it receives (raw bytes and what the
 * passed fds were), answers like a well-behaved backend, and misbehaves
 * in one chosen way on one chosen request.
 */
#ifndef VPMD_TEST_FAKE_BACKEND_H
#define VPMD_TEST_FAKE_BACKEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vu_msg.h"

enum fake_fault {
	FAKE_OK,
	FAKE_WRONG_REQUEST, /* reply carries another request code */
	FAKE_WRONG_SIZE,    /* reply 4 bytes longer than it should be */
	FAKE_NO_REPLY_FLAG, /* REPLY flag missing */
	FAKE_BAD_VERSION,   /* version 2 */
	FAKE_TRUNCATE,      /* header and half the payload, then close */
	FAKE_CLOSE,         /* close instead of replying */
	FAKE_SILENT,        /* never reply */
	FAKE_NACK,          /* REPLY_ACK answered with 1 */
	FAKE_SEND_FD,       /* an fd rides along with the reply */
	FAKE_BAD_INDEX,     /* GET_VRING_BASE reply names another ring */
	FAKE_UNSOLICITED,   /* reply well, then send a stray byte */
};

#define FAKE_MAX_LOG 64
#define FAKE_MAX_PAYLOAD 512
#define FAKE_MAX_QUEUES 8

struct fake_msg {
	uint8_t raw[sizeof(struct vu_hdr) + FAKE_MAX_PAYLOAD]; /* header then payload */
	size_t len;
	unsigned int nfds;
	char fd_link[VHOST_USER_MAX_MEM_REGIONS][64]; /* readlink of /proc/self/fd/N */
	dev_t fd_dev[VHOST_USER_MAX_MEM_REGIONS];
	ino_t fd_ino[VHOST_USER_MAX_MEM_REGIONS];
};

struct fake_backend {
	/* Set before fake_start(). */
	char path[108];
	bool listen;  /* the fake listens (frontend in client mode), else it connects */
	unsigned int max_conns; /* connections to serve in turn (default 1) */
	uint64_t features;
	uint64_t protocol_features;
	uint64_t queue_num;
	uint8_t config[VHOST_USER_MAX_CONFIG_SIZE];
	uint32_t vring_base_reply; /* what GET_VRING_BASE answers */
	uint32_t fault_request;    /* misbehave on the reply to this request... */
	enum fake_fault fault;
	unsigned int close_after;  /* >0: hang up after this many messages */

	/* Owned by the thread; read under lock or after fake_stop(). */
	pthread_t thread;
	pthread_mutex_t lock;
	atomic_bool stop;
	int listen_fd;
	int fd;
	unsigned int conns;
	struct fake_msg log[FAKE_MAX_LOG];
	unsigned int nlog;
	uint64_t status;
	int kick_fd[FAKE_MAX_QUEUES]; /* kept, so a test can read the kicks */
	int error; /* the fake's own failures (not the frontend's) */
};

/** Defaults: listen, one connection, no features. */
void fake_init(struct fake_backend *fb, const char *path);
int fake_start(struct fake_backend *fb);
/** Ask the thread to end, join it, close everything it holds. */
void fake_stop(struct fake_backend *fb);

/** Copy of log entry @i (0 when there is none). */
int fake_get_msg(struct fake_backend *fb, unsigned int i, struct fake_msg *out);
unsigned int fake_count(struct fake_backend *fb);
/** Request code of log entry @i, or 0. */
uint32_t fake_request(struct fake_backend *fb, unsigned int i);

#endif /* VPMD_TEST_FAKE_BACKEND_H */
