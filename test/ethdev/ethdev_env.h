/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ground the one-process ethdev tests stand on: an EAL with net_vpmd
 * loaded, DPDK's net_vhost as the backend (server) and net_vpmd as the
 * frontend (client) over a socket in a fresh directory, one mbuf pool
 * each, and a teardown that checks every mbuf came back and leaves no
 * file behind.
 */
#ifndef ETHDEV_ENV_H
#define ETHDEV_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#define EXIT_SKIP 77

struct port {
	const char *name;
	uint16_t id;
	struct rte_mempool *mp; /* its rx queue's and its transmitted frames' */
	bool is_vpmd;		/* the driver under test */
	bool probed, started;
};

struct env {
	char dir[32];
	char sock[64];
	char prefix[64];
	char runtime[PATH_MAX];
	bool eal_up;
	bool skip; /* cannot run here: the test says SKIP */
	struct port vhost, vpmd;
};

extern bool failed;
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_s(void);

/* EAL (loading librte_net_vpmd.so by name: LD_LIBRARY_PATH finds it) and the pools. */
int env_init(struct env *env, const char *argv0, unsigned int nb_mbufs);
/* net_vhost, then net_vpmd; each gets the socket and then @*_args, which may be "". */
int env_probe(struct env *env, const char *vhost_args, const char *vpmd_args);
/* One queue pair of @ring_size descriptors under @conf. */
int env_port_setup(struct port *p, const struct rte_eth_conf *conf, uint16_t ring_size);
/* Start net_vhost, then net_vpmd, and wait for both links. */
int env_start(struct env *env);
/*
 * Stop, close and remove both ports, check both pools are empty, and clean
 * up. Returns the process exit code: success only if nothing failed.
 */
int env_finish(struct env *env, const char *what);

#endif /* ETHDEV_ENV_H */
