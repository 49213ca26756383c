/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "ethdev_env.h"

#define MBUF_CACHE 32
#define LINK_TIMEOUT_S 10

bool failed;

void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed = true;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int env_init(struct env *env, const char *argv0, unsigned int nb_mbufs)
{
	char *eal_argv[16];
	int eal_argc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(env, 0, sizeof(*env));
	env->vhost.name = "net_vhost0";
	env->vpmd.name = "net_vpmd0";
	env->vpmd.is_vpmd = true;
	snprintf(env->dir, sizeof(env->dir), "/tmp/vpmd-ethdev.XXXXXX");
	if (mkdtemp(env->dir) == NULL) {
		env->dir[0] = '\0';
		fail("mkdtemp: %s", strerror(errno));
		return -errno;
	}
	snprintf(env->sock, sizeof(env->sock), "%s/sock", env->dir);
	snprintf(env->prefix, sizeof(env->prefix), "vpmd-ethdev-%d", (int)getpid());

	eal_argv[eal_argc++] = (char *)argv0;
	eal_argv[eal_argc++] = (char *)"-l";
	eal_argv[eal_argc++] = (char *)"0";
	eal_argv[eal_argc++] = (char *)"--no-huge";
	eal_argv[eal_argc++] = (char *)"-m";
	eal_argv[eal_argc++] = (char *)"1024";
	eal_argv[eal_argc++] = (char *)"--no-pci";
	eal_argv[eal_argc++] = (char *)"--file-prefix";
	eal_argv[eal_argc++] = env->prefix;
	eal_argv[eal_argc++] = (char *)"-d";
	eal_argv[eal_argc++] = (char *)"librte_net_vpmd.so";
	/* vhost's message-by-message log drowns the test's own lines. */
	eal_argv[eal_argc++] = (char *)"--log-level=lib.vhost.config:notice";
	eal_argv[eal_argc++] = (char *)"--log-level=pmd.net.vpmd.*:info";
	/* A test of a vector path lifts DPDK's 256-bit cap, as an application would. */
	if (getenv("VPMD_TEST_SIMD_BITWIDTH") != NULL) {
		static char simd_arg[48];

		snprintf(simd_arg, sizeof(simd_arg), "--force-max-simd-bitwidth=%s",
			 getenv("VPMD_TEST_SIMD_BITWIDTH"));
		eal_argv[eal_argc++] = simd_arg;
	}
	eal_argv[eal_argc] = NULL;

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		if (geteuid() != 0) {
			printf("SKIP: EAL init failed (%s) and not root\n", rte_strerror(rte_errno));
			env->skip = true;
		} else {
			fail("EAL init: %s (is LD_LIBRARY_PATH the directory of "
			     "librte_net_vpmd.so?)",
			     rte_strerror(rte_errno));
		}
		return -1;
	}
	env->eal_up = true;
	/* /var/run/dpdk/PREFIX for root, under XDG_RUNTIME_DIR or /tmp otherwise. */
	snprintf(env->runtime, sizeof(env->runtime), "%s", rte_eal_get_runtime_dir());

	env->vhost.mp = rte_pktmbuf_pool_create("vhost_pool", nb_mbufs, MBUF_CACHE, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	env->vpmd.mp = rte_pktmbuf_pool_create("vpmd_pool", nb_mbufs, MBUF_CACHE, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (env->vhost.mp == NULL || env->vpmd.mp == NULL) {
		fail("mbuf pools: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (rte_mempool_in_use_count(env->vhost.mp) != 0 ||
	    rte_mempool_in_use_count(env->vpmd.mp) != 0) {
		fail("fresh pools have mbufs in use");
		return -1;
	}
	return 0;
}

static int port_probe(struct port *p, const char *args)
{
	int rc = rte_vdev_init(p->name, args);

	if (rc < 0) {
		fail("probe %s,%s: %s", p->name, args, rte_strerror(-rc));
		return rc;
	}
	p->probed = true;
	rc = rte_eth_dev_get_port_by_name(p->name, &p->id);
	if (rc < 0)
		fail("%s: no such port", p->name);
	return rc;
}

int env_probe(struct env *env, const char *vhost_args, const char *vpmd_args)
{
	char args[256];
	int rc;

	/* net_vhost first: its socket must exist before net_vpmd connects. */
	snprintf(args, sizeof(args), "iface=%s,queues=1%s%s", env->sock, *vhost_args ? "," : "",
		 vhost_args);
	rc = port_probe(&env->vhost, args);
	if (rc < 0)
		return rc;
	snprintf(args, sizeof(args), "path=%s%s%s", env->sock, *vpmd_args ? "," : "", vpmd_args);
	return port_probe(&env->vpmd, args);
}

int env_port_setup(struct port *p, const struct rte_eth_conf *conf, uint16_t ring_size)
{
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxconf;
	struct rte_eth_txconf txconf;
	int rc;

	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc < 0)
		goto err;
	rc = rte_eth_dev_configure(p->id, 1, 1, conf);
	if (rc < 0)
		goto err;
	rxconf = info.default_rxconf;
	rxconf.offloads = conf->rxmode.offloads;
	rc = rte_eth_rx_queue_setup(p->id, 0, ring_size, (unsigned int)rte_socket_id(), &rxconf,
				    p->mp);
	if (rc < 0)
		goto err;
	txconf = info.default_txconf;
	txconf.offloads = conf->txmode.offloads;
	rc = rte_eth_tx_queue_setup(p->id, 0, ring_size, (unsigned int)rte_socket_id(), &txconf);
	if (rc < 0)
		goto err;
	return 0;
err:
	fail("%s: setup: %s", p->name, rte_strerror(-rc));
	return rc;
}

static int links_wait(struct port *a, struct port *b)
{
	double deadline = now_s() + LINK_TIMEOUT_S;
	struct rte_eth_link la, lb;

	for (;;) {
		if (rte_eth_link_get_nowait(a->id, &la) == 0 &&
		    rte_eth_link_get_nowait(b->id, &lb) == 0 && la.link_status == RTE_ETH_LINK_UP &&
		    lb.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (now_s() > deadline) {
			fail("links not up after %d s: %s %s, %s %s", LINK_TIMEOUT_S, a->name,
			     la.link_status ? "up" : "down", b->name,
			     lb.link_status ? "up" : "down");
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
}

static int port_start(struct port *p)
{
	int rc = rte_eth_dev_start(p->id);

	if (rc < 0) {
		fail("start %s: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	p->started = true;
	/*
	 * The test frames carry made-up addresses: take them all, as a
	 * bridge would (net_vpmd enforces the receive filter otherwise).
	 */
	rc = rte_eth_promiscuous_enable(p->id);
	if (rc < 0) {
		fail("promiscuous on %s: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	return 0;
}

int env_start(struct env *env)
{
	/* net_vhost's datapath needs its port started before the device comes up. */
	if (port_start(&env->vhost) < 0 || port_start(&env->vpmd) < 0)
		return -1;
	return links_wait(&env->vhost, &env->vpmd);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void port_remove(struct port *p)
{
	if (!p->probed)
		return;
	if (rte_eth_dev_close(p->id) != 0)
		fail("close %s", p->name);
	rte_vdev_uninit(p->name);
}

static void pool_check(const struct port *p)
{
	unsigned int in_use = rte_mempool_in_use_count(p->mp);

	/* The pool was empty before either port touched it. */
	if (in_use != 0)
		fail("%s's pool: %u mbufs in use after stop and close", p->name, in_use);
}

int env_finish(struct env *env, const char *what)
{
	/* A test may run net_vpmd against a backend of its own (no net_vhost). */
	bool closed = env->vpmd.probed;

	if (env->vpmd.started && rte_eth_dev_stop(env->vpmd.id) != 0)
		fail("stop %s", env->vpmd.name);
	if (env->vhost.started && rte_eth_dev_stop(env->vhost.id) != 0)
		fail("stop %s", env->vhost.name);
	if (env->vpmd.mp != NULL && env->vhost.mp != NULL)
		printf("after stop: mbufs in use: %s %u, %s %u\n", env->vpmd.name,
		       rte_mempool_in_use_count(env->vpmd.mp), env->vhost.name,
		       rte_mempool_in_use_count(env->vhost.mp));
	port_remove(&env->vpmd);
	port_remove(&env->vhost);
	if (closed) {
		pool_check(&env->vpmd);
		if (env->vhost.probed)
			pool_check(&env->vhost);
	}
	rte_mempool_free(env->vpmd.mp);
	rte_mempool_free(env->vhost.mp);
	if (env->eal_up)
		rte_eal_cleanup();
	if (env->dir[0] != '\0') {
		unlink(env->sock);
		rmdir(env->dir);
	}
	if (env->runtime[0] != '\0')
		nftw(env->runtime, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	if (env->skip)
		return EXIT_SKIP;
	if (!failed && closed) {
		printf("PASS %s\n", what);
		return EXIT_SUCCESS;
	}
	printf("FAIL %s\n", what);
	return EXIT_FAILURE;
}
