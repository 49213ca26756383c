/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a vhost-user backend says in its configuration reaches the port:
 * net_vpmd against the scripted backend of the unit tests
 * (test/vhost_user/fake_backend.c), which offers the CONFIG protocol
 * feature and answers GET_CONFIG from a virtio-net config the test
 * changes under the running port:
 * - at bring-up the port takes the device's MAC (no mac devarg, none set
 *   by the application);
 * - the link follows the device's STATUS: down when it clears LINK_UP,
 *   up again when it sets it, with the speed and duplex it reports (as
 *   settled by the device: autoneg);
 * - the device's mtu bounds the port's: the ethdev max_mtu says it.
 * Then stop and close give every mbuf back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_spec.h>

#include "ethdev_env.h"
#include "fake_backend.h"

static const uint8_t device_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static bool fake_running;

/* The device's config as the fake serves it: MAC, STATUS, mtu, speed and duplex. */
static void config_set(struct fake_backend *fb, bool link_up)
{
	struct virtio_net_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, device_mac, sizeof(device_mac));
	cfg.status = link_up ? VIRTIO_NET_S_LINK_UP : 0;
	cfg.max_virtqueue_pairs = 1;
	cfg.mtu = 4000;
	cfg.speed = 25000;
	cfg.duplex = 1;
	pthread_mutex_lock(&fb->lock);
	memcpy(fb->config, &cfg, sizeof(cfg));
	pthread_mutex_unlock(&fb->lock);
}

/* Wait up to @seconds for the port's link to be @up; its last state in *link. */
static bool link_wait(uint16_t port, bool up, double seconds, struct rte_eth_link *link)
{
	double end = now_s() + seconds;

	do {
		if (rte_eth_link_get_nowait(port, link) == 0 && link->link_status == up)
			return true;
		usleep(20 * 1000);
	} while (now_s() < end);
	return false;
}

static void check(struct env *env, struct fake_backend *fb)
{
	struct rte_ether_addr mac;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	char args[128];
	int rc;

	fake_init(fb, env->sock);
	fb->features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		       VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |
		       VIRTIO_BIT(VIRTIO_NET_F_SPEED_DUPLEX) |
		       VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	fb->protocol_features = 1ULL << VHOST_USER_PROTOCOL_F_CONFIG;
	fb->vring_base_reply = 0;
	config_set(fb, true);
	if (fake_start(fb) != 0) {
		fail("the scripted backend did not start");
		return;
	}
	fake_running = true;
	snprintf(args, sizeof(args), "path=%s,ctrl_vq=0", env->sock);
	rc = rte_vdev_init(env->vpmd.name, args);
	if (rc < 0) {
		fail("probe %s,%s: %s", env->vpmd.name, args, rte_strerror(-rc));
		return;
	}
	env->vpmd.probed = true;
	if (rte_eth_dev_get_port_by_name(env->vpmd.name, &env->vpmd.id) != 0) {
		fail("no port %s", env->vpmd.name);
		return;
	}
	if (env_port_setup(&env->vpmd, &(struct rte_eth_conf){ 0 }, 256) != 0)
		return;
	rc = rte_eth_dev_start(env->vpmd.id);
	if (rc != 0) {
		fail("start: %s", rte_strerror(-rc));
		return;
	}
	env->vpmd.started = true;

	if (!link_wait(env->vpmd.id, true, 2, &link))
		fail("the link is not up with the device's LINK_UP");
	rte_eth_macaddr_get(env->vpmd.id, &mac);
	if (memcmp(mac.addr_bytes, device_mac, sizeof(device_mac)) != 0)
		fail("the port's MAC " RTE_ETHER_ADDR_PRT_FMT " is not the device's",
		     RTE_ETHER_ADDR_BYTES(&mac));
	else
		printf("the port took the device's MAC\n");
	if (link.link_speed != 25000 || link.link_duplex != RTE_ETH_LINK_FULL_DUPLEX ||
	    link.link_autoneg != RTE_ETH_LINK_AUTONEG)
		fail("link %u Mbit/s duplex %u autoneg %u: not the device's 25000 full, as it "
		     "settled on",
		     link.link_speed, link.link_duplex, link.link_autoneg);
	if (rte_eth_dev_info_get(env->vpmd.id, &info) != 0 || info.max_mtu != 4000)
		fail("max_mtu %u, not the device's mtu 4000", info.max_mtu);

	config_set(fb, false);
	if (!link_wait(env->vpmd.id, false, 2, &link))
		fail("the link stayed up after the device cleared LINK_UP");
	else
		printf("link down with the device's STATUS\n");
	config_set(fb, true);
	if (!link_wait(env->vpmd.id, true, 2, &link))
		fail("the link stayed down after the device set LINK_UP");
	else
		printf("link up again with the device's STATUS\n");
}

int main(int argc, char **argv)
{
	struct fake_backend fb;
	struct env env;
	int rc;

	(void)argc;
	if (env_init(&env, argv[0], 2048) == 0)
		check(&env, &fb);
	/* The port closes (the backend's connection ends) before the backend stops. */
	rc = env_finish(&env, "config");
	if (fake_running) {
		fake_stop(&fb);
		if (fb.error) {
			printf("FAIL: the scripted backend failed: %s\n", strerror(fb.error));
			rc = 1;
		}
	}
	return rc;
}
