/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control virtqueue of net_vpmd: promiscuous and all-multicast mode,
 * the MAC address, the unicast and multicast MAC tables, VLAN filters and
 * the number of queue pairs, sent as
 * virtio-net commands (virtio 1.2, 5.1.6.5) with a bounded wait.
 *
 * With ctrl_vq=1 (the default) the vhost-user transport emulates the
 * device side of the queue, as QEMU and virtio_user do, and offers
 * CTRL_VQ, CTRL_RX, CTRL_VLAN, CTRL_MAC_ADDR and, with more than one
 * queue pair, MQ. The queue is created at each device bring-up (its
 * index is 2 * max pairs with MQ, else 2) in a memzone reserved at probe,
 * so it lies in the memory table like every other ring.
 *
 * A device reset loses what the commands set, and a reconnect resets the
 * device: so every bring-up replays the port's state as ethdev records it
 * (promiscuous, allmulticast, MAC, MAC tables, VLAN filter table) and, with MQ, the
 * queue pairs in use. An op called while the device is away (port stopped,
 * backend gone) succeeds and is applied at the next bring-up.
 *
 * The backend delivers every frame: what a device would filter, the rx
 * bursts drop (counted in rx_qN_filtered), by the state the emulated device
 * recorded (vhost_user_ctrl_rx_accept()). After each change the state is
 * published whole, as a new struct vpmd_rx_filter, or none while
 * promiscuous; the old one is freed once no rx burst can be reading it.
 *
 * The link monitor (vpmd_link.c) brings the device down and up on the
 * interrupt thread; the ops run on the application's. ctrl->lock keeps
 * them apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include <vpmd/virtio_net_ctrl.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/* Ring size asked for: every command slot fits at once (3 descriptors each). */
#define CTRL_RING_SIZE 64u
/* No command waits longer than this. */
#define CTRL_TIMEOUT_MS 1000u

struct vpmd_ctrl {
	pthread_mutex_t lock;
	const struct rte_memzone *mz; /* the ring, then the command buffers */
	size_t ring_bytes;
	struct virtqueue *vq;         /* while the device is up with CTRL_VQ */
	struct virtio_net_ctrl *cmds;
	/* Totals over every bring-up (the client's own counters restart each time). */
	struct virtio_net_ctrl_stats total;
	/* The multicast list (ethdev keeps none), replayed at each bring-up. */
	struct rte_ether_addr mc[VPMD_MC_ADDRS];
	uint32_t mc_count;
};

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/*
 * The ring size asked for. A legacy PCI device's queue has the size it
 * has: probe looked for it (ctrl_queue_size; 0 when the queue shows only
 * once MQ is negotiated), and the memory is reserved for at least that.
 */
static uint16_t ctrl_ring_size(const struct vpmd_adapter *ad)
{
	if (ad->pci != NULL && !ad->vdev.modern && ad->ctrl_queue_size > CTRL_RING_SIZE)
		return ad->ctrl_queue_size;
	return CTRL_RING_SIZE;
}

int vpmd_ctrl_init(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vq_config cfg = {
		.layout = ad->args.packed_vq ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT,
		.size = ctrl_ring_size(ad),
		.used_align = vpmd_ring_used_align(ad),
	};
	char name[RTE_MEMZONE_NAMESIZE];
	struct vpmd_ctrl *c;

	c = rte_zmalloc("vpmd_ctrl", sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	if (ad->args.ctrl_vq) {
		/*
		 * Reserved now, before the memory table is built at the first
		 * dev_start: memory that appears later may not be in it.
		 */
		c->ring_bytes = align64(vq_ring_mem_size(&cfg));
		snprintf(name, sizeof(name), "vpmd%u_ctrl", dev->data->port_id);
		c->mz = rte_memzone_reserve_aligned(name, c->ring_bytes + virtio_net_ctrl_mem_size(),
						    SOCKET_ID_ANY,
						    ad->bus->dev_addr_iova ? RTE_MEMZONE_IOVA_CONTIG : 0,
						    vpmd_ring_align(ad));
		if (c->mz == NULL) {
			VPMD_INIT_LOG(ERR, "%s: no memory for the control queue", ad->name);
			pthread_mutex_destroy(&c->lock);
			rte_free(c);
			return -ENOMEM;
		}
	}
	ad->ctrl = c;
	return 0;
}

void vpmd_ctrl_fini(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_ctrl *c = ad->ctrl;

	if (c == NULL)
		return;
	vpmd_ctrl_stop(dev);
	/* Stopped, the datapath reads no filter: one left (none should be) can go. */
	rte_free(ad->rx_filter);
	ad->rx_filter = NULL;
	rte_memzone_free(c->mz);
	pthread_mutex_destroy(&c->lock);
	rte_free(c);
	ad->ctrl = NULL;
}

void vpmd_ctrl_lock(struct vpmd_adapter *ad)
{
	if (ad->ctrl != NULL)
		pthread_mutex_lock(&ad->ctrl->lock);
}

/* True when taken; false while someone (this thread too) holds it. */
bool vpmd_ctrl_trylock(struct vpmd_adapter *ad)
{
	return ad->ctrl == NULL || pthread_mutex_trylock(&ad->ctrl->lock) == 0;
}

void vpmd_ctrl_unlock(struct vpmd_adapter *ad)
{
	if (ad->ctrl != NULL)
		pthread_mutex_unlock(&ad->ctrl->lock);
}

int vpmd_ctrl_start(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_ctrl *c = ad->ctrl;
	struct virtio_net_ctrl_config cc = { 0 };
	struct vq_config cfg = {
		.layout = virtio_dev_has_feature(&ad->vdev, VIRTIO_F_RING_PACKED) ? VQ_LAYOUT_PACKED
										    : VQ_LAYOUT_SPLIT,
		.size = ctrl_ring_size(ad),
		.features = ad->vdev.negotiated,
		.used_align = vpmd_ring_used_align(ad),
		.notify = virtio_dev_notify,
		.notify_ctx = &ad->vdev,
	};
	uint16_t max = 0;
	int rc;

	if (c == NULL || c->mz == NULL || !virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_CTRL_VQ))
		return 0;
	rc = ad->bus->ctrl_queue_index(ad);
	if (rc < 0)
		goto fail;
	cfg.index = (uint16_t)rc;
	rc = virtio_dev_queue_max(&ad->vdev, cfg.index, &max);
	if (rc == 0 && max < VIRTIO_NET_CTRL_QUEUE_SIZE_MIN)
		rc = -ENOTSUP;
	if (rc < 0)
		goto fail;
	if (!ad->vdev.modern) {
		/* A legacy queue has the device's size, which must fit the memory reserved. */
		cfg.size = max;
		if (vq_ring_mem_size(&cfg) == 0 || vq_ring_mem_size(&cfg) > c->ring_bytes) {
			VPMD_DRV_LOG(ERR, ad->name,
				     "legacy control queue of %u entries: not a usable size", max);
			rc = -ENOSPC;
			goto fail;
		}
	} else if (max < cfg.size) {
		cfg.size = cfg.layout == VQ_LAYOUT_SPLIT ? (uint16_t)rte_align32prevpow2(max) : max;
	}

	rc = vq_create(&cfg, c->mz->addr, vpmd_mz_dev_addr(ad->bus->dev_addr_iova, c->mz, 0),
		       &c->vq);
	if (rc < 0)
		goto fail;
	rc = virtio_dev_setup_queue(&ad->vdev, c->vq);
	if (rc < 0)
		goto fail;
	cc.vq = c->vq;
	cc.mem = (char *)c->mz->addr + c->ring_bytes;
	cc.mem_dev_addr = vpmd_mz_dev_addr(ad->bus->dev_addr_iova, c->mz, c->ring_bytes);
	rc = virtio_net_ctrl_create(&cc, &c->cmds);
	if (rc < 0)
		goto fail;
	VPMD_INIT_LOG(INFO, "%s: control queue %u, %u entries", ad->name, cfg.index, cfg.size);
	return 0;
fail:
	VPMD_DRV_LOG(ERR, ad->name, "control queue: %s", rte_strerror(-rc));
	vpmd_ctrl_stop(dev);
	return rc;
}

/*
 * Publish the receive filter for what the device now holds; lock held.
 * None without a control queue or while promiscuous. The old one is freed
 * after every rx burst that may have loaded it has ended.
 */
static void filter_update(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_rx_filter *old = ad->rx_filter, *f = NULL;
	struct vhost_user_ctrl_state st;

	if (ad->ctrl->cmds != NULL && ad->bus->rx_filter_state != NULL &&
	    ad->bus->rx_filter_state(ad, &st) == 0 &&
	    st.negotiated && !st.promisc) {
		f = rte_malloc("vpmd_rx_filter", sizeof(*f), 0);
		if (f == NULL) {
			VPMD_DRV_LOG(ERR, ad->name,
				     "no memory for the receive filter: the previous one stays");
			return;
		}
		/* Without MAC_ADDR_SET the device's address is the port's. */
		if (!st.mac_set) {
			memcpy(st.mac, dev->data->mac_addrs[0].addr_bytes, sizeof(st.mac));
			st.mac_set = true;
		}
		f->st = st;
		f->vlan_filter = (dev->data->dev_conf.rxmode.offloads &
				  RTE_ETH_RX_OFFLOAD_VLAN_FILTER) != 0;
	}
	if (f == NULL && old == NULL)
		return;
	/* Once per change of regime: an operator must know why frames vanish. */
	if ((f == NULL) != (old == NULL))
		VPMD_DRV_LOG(NOTICE, ad->name, "%s",
			     f != NULL ? "receive filter on (not promiscuous): frames for other "
					 "addresses are dropped, counted in rx_qN_filtered"
				       : "receive filter off: every frame is received");
	/* Store, full barrier, then look at the bursts: see vpmd_burst_enter(). */
	__atomic_store_n(&ad->rx_filter, f, __ATOMIC_SEQ_CST);
	vpmd_bursts_barrier();
	vpmd_rx_bursts_wait(dev);
	rte_free(old);
}

void vpmd_ctrl_stop(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_ctrl *c = ad->ctrl;
	const struct virtio_net_ctrl_stats *s;

	if (c == NULL || c->vq == NULL)
		return;
	if (ad->bus->present(ad))
		virtio_dev_teardown_queue(&ad->vdev, c->vq);
	if (c->cmds != NULL) {
		s = virtio_net_ctrl_get_stats(c->cmds);
		c->total.ok += s->ok;
		c->total.err += s->err;
		c->total.timeout += s->timeout;
		c->total.late += s->late;
		c->total.refused += s->refused;
	}
	/* The device has let go of the queue: abandoned commands can go with it. */
	virtio_net_ctrl_destroy(c->cmds);
	c->cmds = NULL;
	filter_update(dev); /* a reset device is promiscuous again */
	vq_destroy(c->vq);
	c->vq = NULL;
}

/* What the emulated device recorded, at debug level: the integration test reads it. */
static void log_state(const struct vpmd_adapter *ad)
{
	struct vhost_user_ctrl_state st;
	char vlans[64];
	size_t off = 0;
	unsigned int v;

	if (rte_log_can_log(vpmd_logtype_driver, RTE_LOG_DEBUG) == 0 ||
	    ad->bus->rx_filter_state == NULL || ad->bus->rx_filter_state(ad, &st) < 0)
		return;
	vlans[0] = '\0';
	for (v = 0; v <= VIRTIO_NET_VLAN_ID_MAX && off < sizeof(vlans) - 8; v++)
		if (vhost_user_ctrl_vlan_isset(&st, (uint16_t)v))
			off += (size_t)snprintf(vlans + off, sizeof(vlans) - off, "%s%u",
						off ? "," : "", v);
	VPMD_DRV_LOG(DEBUG, ad->name,
		     "ctrl state: promisc=%d allmulti=%d mac=%02x:%02x:%02x:%02x:%02x:%02x "
		     "vlans=[%s] pairs=%u uc=%u mc=%u ok=%" PRIu64 " err=%" PRIu64,
		     st.promisc, st.allmulti, st.mac[0], st.mac[1], st.mac[2], st.mac[3], st.mac[4],
		     st.mac[5], vlans, st.queue_pairs, st.uc_count, st.mc_count, st.cmds_ok,
		     st.cmds_err);
}

/* One command, lock held. */
int vpmd_ctrl_send_locked(struct vpmd_adapter *ad, const char *what, uint8_t cls, uint8_t cmd,
		       const void *data, uint32_t len)
{
	int rc;

	rc = virtio_net_ctrl_send(ad->ctrl->cmds, cls, cmd, data, len, CTRL_TIMEOUT_MS);
	if (rc == -ETIMEDOUT)
		VPMD_DRV_LOG(ERR, ad->name, "control command %s: no answer within %u ms", what,
			     CTRL_TIMEOUT_MS);
	else if (rc == -EIO)
		VPMD_DRV_LOG(ERR, ad->name, "control command %s: the device refused it", what);
	else if (rc < 0)
		VPMD_DRV_LOG(ERR, ad->name, "control command %s: %s", what, rte_strerror(-rc));
	else
		log_state(ad);
	return rc;
}

/*
 * Would the device have @bit? While it is up, the negotiated set says;
 * while it is away, what we ask for (the transport offers all of ours).
 */
static bool ctrl_has(const struct vpmd_adapter *ad, unsigned int bit)
{
	if (ad->device_up)
		return virtio_dev_has_feature(&ad->vdev, bit);
	return (ad->features_supported >> bit) & 1;
}

/*
 * Send if the device is up with its control queue; otherwise record
 * nothing here: ethdev keeps the state and the next bring-up replays it.
 */
int vpmd_ctrl_send(struct rte_eth_dev *dev, const char *what, uint8_t cls, uint8_t cmd,
		   const void *data, uint32_t len)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc = 0;

	vpmd_ctrl_lock(ad);
	if (ad->device_up && ad->ctrl->cmds != NULL) {
		rc = vpmd_ctrl_send_locked(ad, what, cls, cmd, data, len);
		filter_update(dev);
	}
	vpmd_ctrl_unlock(ad);
	return rc;
}

static int rx_mode(struct rte_eth_dev *dev, const char *what, uint8_t cmd, uint8_t on)
{
	return vpmd_ctrl_send(dev, what, VIRTIO_NET_CTRL_RX, cmd, &on, sizeof(on));
}

int vpmd_promiscuous_enable(struct rte_eth_dev *dev)
{
	/* Without CTRL_RX the device delivers every frame: promiscuous already. */
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX))
		return 0;
	return rx_mode(dev, "promiscuous on", VIRTIO_NET_CTRL_RX_PROMISC, 1);
}

int vpmd_promiscuous_disable(struct rte_eth_dev *dev)
{
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX))
		return -ENOTSUP;
	return rx_mode(dev, "promiscuous off", VIRTIO_NET_CTRL_RX_PROMISC, 0);
}

int vpmd_allmulticast_enable(struct rte_eth_dev *dev)
{
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX))
		return 0;
	return rx_mode(dev, "allmulticast on", VIRTIO_NET_CTRL_RX_ALLMULTI, 1);
}

int vpmd_allmulticast_disable(struct rte_eth_dev *dev)
{
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX))
		return -ENOTSUP;
	return rx_mode(dev, "allmulticast off", VIRTIO_NET_CTRL_RX_ALLMULTI, 0);
}

int vpmd_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_MAC_ADDR))
		return -ENOTSUP;
	return vpmd_ctrl_send(dev, "MAC address", VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
		       addr->addr_bytes, RTE_ETHER_ADDR_LEN);
}

int vpmd_vlan_filter_set(struct rte_eth_dev *dev, uint16_t vlan_id, int on)
{
	uint16_t le = rte_cpu_to_le_16(vlan_id);

	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_VLAN))
		return -ENOTSUP;
	if (vlan_id > VIRTIO_NET_VLAN_ID_MAX)
		return -EINVAL;
	return vpmd_ctrl_send(dev, on ? "VLAN add" : "VLAN del", VIRTIO_NET_CTRL_VLAN,
		       on ? VIRTIO_NET_CTRL_VLAN_ADD : VIRTIO_NET_CTRL_VLAN_DEL, &le, sizeof(le));
}

/*
 * MAC_TABLE_SET (5.1.6.5.2) from the unicast addresses ethdev keeps after
 * the primary, except the one at @skip, and @extra (may be NULL) at @at;
 * and the multicast list. Lock held, device up.
 */
static int send_mac_table_locked(struct rte_eth_dev *dev, uint32_t skip,
				 const struct rte_ether_addr *extra, uint32_t at)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_ctrl *c = ad->ctrl;
	uint8_t data[2 * sizeof(uint32_t) + (VPMD_MAC_ADDRS + VPMD_MC_ADDRS) * RTE_ETHER_ADDR_LEN];
	uint32_t n = 0, i, le;
	size_t off = sizeof(le);

	for (i = 1; i < VPMD_MAC_ADDRS; i++) {
		const struct rte_ether_addr *a = i == at && extra ? extra : &dev->data->mac_addrs[i];

		if (i == skip || rte_is_zero_ether_addr(a))
			continue;
		memcpy(data + off, a->addr_bytes, RTE_ETHER_ADDR_LEN);
		off += RTE_ETHER_ADDR_LEN;
		n++;
	}
	le = rte_cpu_to_le_32(n);
	memcpy(data, &le, sizeof(le));
	le = rte_cpu_to_le_32(c->mc_count);
	memcpy(data + off, &le, sizeof(le));
	off += sizeof(le);
	memcpy(data + off, c->mc, c->mc_count * RTE_ETHER_ADDR_LEN);
	off += c->mc_count * RTE_ETHER_ADDR_LEN;
	return vpmd_ctrl_send_locked(ad, "MAC table", VIRTIO_NET_CTRL_MAC,
				     VIRTIO_NET_CTRL_MAC_TABLE_SET, data, (uint32_t)off);
}

/* A MAC table change: sent now if the device is up, else at the next bring-up. */
static int mac_table_op(struct rte_eth_dev *dev, uint32_t skip, const struct rte_ether_addr *extra,
			uint32_t at)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc = 0;

	vpmd_ctrl_lock(ad);
	if (ad->device_up && ad->ctrl->cmds != NULL) {
		rc = send_mac_table_locked(dev, skip, extra, at);
		filter_update(dev);
	}
	vpmd_ctrl_unlock(ad);
	return rc;
}

int vpmd_mac_addr_add(struct rte_eth_dev *dev, struct rte_ether_addr *addr, uint32_t index,
		      uint32_t vmdq __rte_unused)
{
	/* 5.1.6.5.2: the MAC table comes with CTRL_RX. Index 0 is the primary (mac_addr_set). */
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX))
		return -ENOTSUP;
	if (index == 0 || index >= VPMD_MAC_ADDRS)
		return -EINVAL;
	return mac_table_op(dev, UINT32_MAX, addr, index);
}

void vpmd_mac_addr_remove(struct rte_eth_dev *dev, uint32_t index)
{
	if (!ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_RX) || index == 0 ||
	    index >= VPMD_MAC_ADDRS)
		return;
	/* ethdev clears the entry after this returns: leave it out now. */
	mac_table_op(dev, index, NULL, UINT32_MAX);
}

int vpmd_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *mc_addr_set,
			  uint32_t nb_mc_addr)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_ctrl *c = ad->ctrl;
	struct rte_ether_addr old[VPMD_MC_ADDRS];
	uint32_t old_count, i;
	int rc = 0;

	if (c == NULL || !ctrl_has(ad, VIRTIO_NET_F_CTRL_RX))
		return -ENOTSUP;
	if (nb_mc_addr > VPMD_MC_ADDRS)
		return -ENOSPC;
	for (i = 0; i < nb_mc_addr; i++)
		if (!rte_is_multicast_ether_addr(&mc_addr_set[i]))
			return -EINVAL;
	/* One hold of the lock: a bring-up on the monitor thread replays one list or the other. */
	vpmd_ctrl_lock(ad);
	old_count = c->mc_count;
	memcpy(old, c->mc, sizeof(old));
	if (nb_mc_addr > 0)
		memcpy(c->mc, mc_addr_set, nb_mc_addr * sizeof(*mc_addr_set));
	c->mc_count = nb_mc_addr;
	if (ad->device_up && c->cmds != NULL) {
		rc = send_mac_table_locked(dev, UINT32_MAX, NULL, UINT32_MAX);
		if (rc < 0) {
			/* Refused: the list stays what the device holds. */
			memcpy(c->mc, old, sizeof(old));
			c->mc_count = old_count;
		}
		filter_update(dev);
	}
	vpmd_ctrl_unlock(ad);
	return rc;
}

/* Push the whole VLAN table ethdev keeps; lock held, device up. */
static int replay_vlans(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const struct rte_vlan_filter_conf *conf = &dev->data->vlan_filter_conf;
	unsigned int vid;
	uint16_t le;
	int rc;

	for (vid = 0; vid <= VIRTIO_NET_VLAN_ID_MAX; vid++) {
		if (!((conf->ids[vid / 64] >> (vid % 64)) & 1))
			continue;
		le = rte_cpu_to_le_16((uint16_t)vid);
		rc = vpmd_ctrl_send_locked(ad, "VLAN add", VIRTIO_NET_CTRL_VLAN,
					   VIRTIO_NET_CTRL_VLAN_ADD, &le, sizeof(le));
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vpmd_vlan_offload_set(struct rte_eth_dev *dev, int mask)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint64_t offloads = dev->data->dev_conf.rxmode.offloads;
	int rc = 0;

	/*
	 * Stripping is the rx burst's, in software: it reads the port's
	 * rxmode.offloads, which ethdev has already updated (vpmd_vlan.h), so
	 * there is nothing to do for it here. Extension and QinQ are not offered.
	 */
	if (mask & ~(RTE_ETH_VLAN_FILTER_MASK | RTE_ETH_VLAN_STRIP_MASK))
		return -ENOTSUP;
	if (!(mask & RTE_ETH_VLAN_FILTER_MASK))
		return 0;
	if (!ctrl_has(ad, VIRTIO_NET_F_CTRL_VLAN))
		return (offloads & RTE_ETH_RX_OFFLOAD_VLAN_FILTER) ? -ENOTSUP : 0;
	/* Filter turned on: the device learns the table kept so far. */
	vpmd_ctrl_lock(ad);
	if (ad->device_up && ad->ctrl->cmds != NULL) {
		if (offloads & RTE_ETH_RX_OFFLOAD_VLAN_FILTER)
			rc = replay_vlans(dev);
		filter_update(dev); /* the VLAN table applies, or no longer */
	}
	vpmd_ctrl_unlock(ad);
	return rc;
}

uint64_t vpmd_ctrl_rx_offload_capa(const struct rte_eth_dev *dev)
{
	return ctrl_has(vpmd_adapter_of(dev), VIRTIO_NET_F_CTRL_VLAN)
		       ? RTE_ETH_RX_OFFLOAD_VLAN_FILTER
		       : 0;
}

int vpmd_ctrl_replay(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct virtio_dev *vdev = &ad->vdev;
	uint16_t pairs = dev->data->nb_rx_queues, le;
	uint8_t on;
	int rc;

	if (ad->ctrl == NULL || ad->ctrl->cmds == NULL)
		return 0;
	/* 5.1.6.5.5: with MQ the device uses one pair until told more. */
	if (virtio_dev_has_feature(vdev, VIRTIO_NET_F_MQ)) {
		le = rte_cpu_to_le_16(pairs);
		rc = vpmd_ctrl_send_locked(ad, "queue pairs", VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, sizeof(le));
		if (rc < 0)
			return rc; /* queues beyond the first would stay silent */
	}
	/* After VQ_PAIRS_SET, which turns a device's RSS off (QEMU does). */
	rc = vpmd_rss_replay_locked(dev);
	if (rc < 0)
		return rc;
	/* The rest is best effort: the link still comes up, the log says what failed. */
	if (virtio_dev_has_feature(vdev, VIRTIO_NET_F_CTRL_RX)) {
		on = dev->data->promiscuous ? 1 : 0;
		vpmd_ctrl_send_locked(ad, "promiscuous", VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
		on = dev->data->all_multicast ? 1 : 0;
		vpmd_ctrl_send_locked(ad, "allmulticast", VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1);
	}
	if (virtio_dev_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR))
		vpmd_ctrl_send_locked(ad, "MAC address", VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET,
				      dev->data->mac_addrs[0].addr_bytes, RTE_ETHER_ADDR_LEN);
	if (virtio_dev_has_feature(vdev, VIRTIO_NET_F_CTRL_RX))
		send_mac_table_locked(dev, UINT32_MAX, NULL, UINT32_MAX);
	if (virtio_dev_has_feature(vdev, VIRTIO_NET_F_CTRL_VLAN) &&
	    (dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_VLAN_FILTER))
		replay_vlans(dev);
	filter_update(dev);
	return 0;
}

const struct virtqueue *vpmd_ctrl_vq(const struct vpmd_adapter *ad)
{
	return ad->ctrl != NULL ? ad->ctrl->vq : NULL;
}

void vpmd_ctrl_stats(const struct rte_eth_dev *dev, struct virtio_net_ctrl_stats *out)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const struct vpmd_ctrl *c = ad->ctrl;
	const struct virtio_net_ctrl_stats *s;

	/*
	 * A secondary process (vpmd_secondary.c) reads without the lock: it is
	 * a process-private mutex, whose waiter the other process could not
	 * wake. The command state is in DPDK's memory (virtio_alloc.h), so a
	 * read racing a reconnect sees stale counts, never unmapped memory.
	 */
	bool locked = rte_eal_process_type() == RTE_PROC_PRIMARY;

	*out = (struct virtio_net_ctrl_stats){ 0 };
	if (c == NULL)
		return;
	/* The link monitor may be recreating the queue on its own thread. */
	if (locked)
		vpmd_ctrl_lock(ad);
	*out = c->total;
	if (c->cmds != NULL) {
		s = virtio_net_ctrl_get_stats(c->cmds);
		out->ok += s->ok;
		out->err += s->err;
		out->timeout += s->timeout;
		out->late += s->late;
		out->refused += s->refused;
	}
	if (locked)
		vpmd_ctrl_unlock(ad);
}
