/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx interrupts on vhost-user ports: an application sleeps in epoll until
 * a receive queue has traffic (DPDK's l3fwd-power), instead of polling.
 *
 * The interrupt of rx queue N is the call eventfd of its virtqueue (2N),
 * the one a vhost-user backend signals after it used buffers of a ring
 * that asks for used buffer notifications (SET_VRING_CALL). lib/vhost_user
 * keeps that eventfd for the transport's life and gives it to every
 * backend that comes, so the ethdev interrupt handle made here at probe
 * (one event fd per rx queue, RTE_INTR_HANDLE_VDEV, 8-byte counters that
 * DPDK's epoll drains) stays valid across reconnects.
 *
 * rte_eth_dev_rx_intr_enable asks the ring for notifications; disable
 * suppresses them again (split: VRING_AVAIL_F_NO_INTERRUPT or used_event
 * with EVENT_IDX; packed: the driver event flags). The race the virtio
 * spec warns of, packets used between the application's last empty poll
 * and the request reaching the device, is closed here: enabling re-checks
 * the ring (vq_enable_cb) and, when something is already there, signals
 * the eventfd itself, so the application's next wait returns at once.
 * Applications may also poll once more after enabling, as l3fwd-power does
 * not and the spec's own loop does: either is correct.
 *
 * A ring made anew (a reconnect, a stop and start of the port or of the
 * queue) starts with notifications off. The link monitor's tick finds an
 * rx queue the application armed whose live ring is not armed, and
 * signals its eventfd once: the application wakes, polls, and its next
 * enable arms the new ring.
 *
 * Enable and disable run on the thread that polls the queue, as rx bursts
 * do, and like them keep off a ring the control thread is taking away.
 * virtio-pci ports have no rx interrupts (MSI-X is not wired): -ENOTSUP.
 * Functions return 0 or a negative errno.
 */
/*
 * rte_intr_instance_alloc() and rte_intr_type_set() are still marked
 * experimental in 22.11, yet they are the only way to build a handle now
 * that struct rte_intr_handle is opaque; DPDK's own drivers use them.
 */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/* Make the waiter of rx queue @q's eventfd return: a notification of our own. */
static void intr_wake(const struct rte_eth_dev *dev, uint16_t q)
{
	uint64_t one = 1;
	int fd = rte_intr_efds_index_get(dev->intr_handle, q);
	ssize_t r;

	if (fd < 0)
		return;
	/* Non-blocking: a full counter (EAGAIN) wakes the waiter all the same. */
	r = write(fd, &one, sizeof(one));
	(void)r;
}

int vpmd_intr_init(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t n = ad->args.queues;
	struct rte_intr_handle *h;
	uint16_t q;
	int rc, fd;

	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/*
	 * VDEV: DPDK's epoll reads efd_counter_size bytes from an fd that
	 * fired, which drains an eventfd's counter.
	 */
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0 ||
	    rte_intr_vec_list_alloc(h, "vpmd_intr_vec", n) != 0) {
		rc = -rte_errno;
		goto fail;
	}
	for (q = 0; q < n; q++) {
		fd = vhost_user_call_fd(ad->vu, VPMD_RXQ_INDEX(q));
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
		/* Queue q is vector RXTX_OFFSET + q, which ethdev maps back to efds[q]. */
		if (rte_intr_efds_index_set(h, q, fd) != 0 ||
		    rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0) {
			rc = -rte_errno;
			goto fail;
		}
	}
	/* One vector per rx queue and no other: the link has the monitor, not an fd. */
	if (rte_intr_nb_efd_set(h, n) != 0 || rte_intr_max_intr_set(h, n) != 0) {
		rc = -rte_errno;
		goto fail;
	}
	dev->intr_handle = h;
	return 0;

fail:
	VPMD_INIT_LOG(ERR, "%s: rx interrupt handle: %s", ad->name, rte_strerror(-rc));
	if (h != NULL) {
		rte_intr_vec_list_free(h);
		rte_intr_instance_free(h);
	}
	return rc;
}

void vpmd_intr_fini(struct vpmd_adapter *ad)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(ad->name);
	struct rte_intr_handle *h = dev != NULL ? dev->intr_handle : NULL;

	if (h == NULL)
		return;
	/*
	 * An application still registered would have epoll hand it our freed
	 * events: take them out of its epoll first. The fds are the
	 * transport's, closed with it.
	 */
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	dev->intr_handle = NULL;
}

/* The rx queue to arm, or -ENOTSUP where the port has no rx interrupts. */
static int intr_queue(struct rte_eth_dev *dev, uint16_t queue_id, struct vpmd_rxq **rxq)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	/* The eventfds are the primary process's own. */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -ENOTSUP;
	if (ad->bus != &vpmd_bus_vhost_user || dev->intr_handle == NULL) {
		if (!ad->intr_refused_said) {
			ad->intr_refused_said = true;
			VPMD_DRV_LOG(ERR, ad->name,
				     "rx interrupts are not supported on %s ports (MSI-X is not wired up): poll the queues",
				     ad->bus->name);
		}
		return -ENOTSUP;
	}
	if (queue_id >= dev->data->nb_rx_queues || dev->data->rx_queues[queue_id] == NULL)
		return -EINVAL;
	*rxq = dev->data->rx_queues[queue_id];
	return 0;
}

int vpmd_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vpmd_rxq *rxq;
	bool pending = false;
	int rc;

	rc = intr_queue(dev, queue_id, &rxq);
	if (rc < 0)
		return rc;
	/* Before the ring: the monitor then never sees a ring armed for nobody. */
	__atomic_store_n(&rxq->intr_on, true, __ATOMIC_RELAXED);
	/*
	 * No ring to arm (the device is away, the queue stopped): the monitor
	 * wakes the queue once its ring is live again, and the enable after
	 * that arms it. A broken ring delivers nothing more: not armed either.
	 */
	if (vpmd_burst_enter(&rxq->in_burst, rxq->running)) {
		if (!vq_is_broken(rxq->vq))
			pending = vq_enable_cb(rxq->vq);
		vpmd_burst_exit(&rxq->in_burst);
	}
	/* Used before the device saw the request: it may never signal them. */
	if (pending)
		intr_wake(dev, queue_id);
	return 0;
}

int vpmd_rx_queue_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vpmd_rxq *rxq;
	int rc;

	rc = intr_queue(dev, queue_id, &rxq);
	if (rc < 0)
		return rc;
	__atomic_store_n(&rxq->intr_on, false, __ATOMIC_RELAXED);
	if (vpmd_burst_enter(&rxq->in_burst, rxq->running)) {
		vq_disable_cb(rxq->vq);
		vpmd_burst_exit(&rxq->in_burst);
	}
	return 0;
}

/*
 * Monitor tick, device up, control lock held: rings are not replaced
 * meanwhile. A queue the application armed whose live ring does not ask
 * for notifications has a ring made since it armed: wake it, so that it
 * re-arms this one. Reads what the polling thread writes: a recent value
 * is enough, since a wake too many is harmless and one too few is made up
 * at the next tick.
 */
void vpmd_intr_rearm_check(struct rte_eth_dev *dev)
{
	uint16_t q;

	if (dev->intr_handle == NULL)
		return;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL || rxq->vq == NULL ||
		    !__atomic_load_n(&rxq->intr_on, __ATOMIC_RELAXED) ||
		    !__atomic_load_n(rxq->running, __ATOMIC_ACQUIRE) || vq_is_broken(rxq->vq))
			continue;
		if (!vq_cb_enabled(rxq->vq))
			intr_wake(dev, q);
	}
}
