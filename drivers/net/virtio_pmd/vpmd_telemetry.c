/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands under /vpmd/: what the driver and its rings are doing
 * in a running application, for vctl or any client of DPDK's telemetry
 * socket. doc/telemetry.md describes every reply.
 *
 *   /vpmd/list                                   the vpmd ports
 *   /vpmd/status,PORT                            device, transport, link, queues
 *   /vpmd/features,PORT                          offered, driver, negotiated, bit by bit
 *   /vpmd/queue,PORT,QUEUE,rx|tx[,START[,COUNT]] one ring, descriptors in pages
 *   /vpmd/stats,PORT                             the port's ethdev counters
 *   /vpmd/xstats,PORT[,START]                    its xstats, in pages
 *
 * The callbacks run on telemetry's threads (one per client), beside the
 * datapath and the control thread, and take no lock. What keeps them
 * from reading freed memory is a handshake with the control thread, the
 * datapath's own turned around (vpmd_burst_enter in vpmd.h): a reader
 * announces itself in ad->readers, then looks at the adapter's state; the
 * control thread changes that state, then waits for the readers to leave
 * before it frees anything (vpmd_telemetry_readers_wait from
 * vpmd_datapath_pause, vpmd_telemetry_close from dev_close). The datapath
 * never looks at ad->readers.
 *
 * A reader reaches, according to the state it found:
 * - the adapter, its devargs, the virtio device and the transport, until
 *   the port is closed;
 * - the queues' own counters (rte_eth_stats), while the port is started;
 * - the rings (virtqueues and their counters, xstats), while the datapath
 *   may use them (ad->running): when the backend is away or the port
 *   stopped, the control thread rebuilds them, and a reply says so instead.
 * Values are read once and whole while the datapath runs on: each was true
 * at some recent instant, not all at the same one (doc/telemetry.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_dev.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_trace.h"
#include "vpmd_tel_json.h"

#define VPMD_DRIVER_NAME "net_vpmd"
/* Descriptors and xstats one reply carries at most; fewer if they do not fit. */
#define DESC_PAGE_MAX 256
#define XSTATS_PAGE_MAX 128
#define PARAMS_MAX 6

struct reader {
	uint16_t port;
	struct rte_eth_dev *dev;
	struct vpmd_adapter *ad;
};

static void reader_exit(struct reader *r)
{
	__atomic_sub_fetch(&r->ad->readers, 1, __ATOMIC_RELEASE);
}

/* Enter port @port as a reader: 0, or -ENODEV if it is no open vpmd port. */
static int reader_enter(uint16_t port, struct reader *r)
{
	const struct rte_driver *drv;
	struct rte_device *device;
	struct rte_eth_dev *dev;
	struct vpmd_adapter *ad;

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	dev = &rte_eth_devices[port];
	/* Each read once: a port being released clears them under us. */
	device = __atomic_load_n(&dev->device, __ATOMIC_ACQUIRE);
	drv = device != NULL ? rte_dev_driver(device) : NULL;
	if (drv == NULL || strcmp(rte_driver_name(drv), VPMD_DRIVER_NAME) != 0)
		return -ENODEV;
	ad = __atomic_load_n(&dev->data->dev_private, __ATOMIC_ACQUIRE);
	if (ad == NULL)
		return -ENODEV;
	r->port = port;
	r->dev = dev;
	r->ad = ad;
	/* Pairs with vpmd_telemetry_close(): see the comment at the top. */
	__atomic_add_fetch(&ad->readers, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ad->closing, __ATOMIC_SEQ_CST)) {
		reader_exit(r);
		return -ENODEV;
	}
	return 0;
}

/* May the reader look at the queues' counters (port started)? */
static bool reader_queues(const struct reader *r)
{
	return __atomic_load_n(&r->ad->started, __ATOMIC_SEQ_CST);
}

/* May the reader look at the rings (the datapath may use them)? */
static bool reader_rings(const struct reader *r)
{
	return __atomic_load_n(&r->ad->running, __ATOMIC_SEQ_CST);
}

void vpmd_telemetry_readers_wait(struct vpmd_adapter *ad)
{
	while (__atomic_load_n(&ad->readers, __ATOMIC_SEQ_CST) != 0)
		rte_pause();
}

void vpmd_telemetry_close(struct vpmd_adapter *ad)
{
	__atomic_store_n(&ad->closing, true, __ATOMIC_SEQ_CST);
	vpmd_telemetry_readers_wait(ad);
}

/*
 * Parameters: "a,b,c", each a decimal number or a word. Splits @params
 * into @fields (at most PARAMS_MAX); returns how many, or -EINVAL.
 */
static int params_split(const char *params, char *buf, size_t len, char *fields[PARAMS_MAX])
{
	char *save = NULL, *tok;
	int n = 0;

	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= len)
		return -EINVAL;
	strcpy(buf, params);
	/* strtok would merge ",," into one separator: an empty field is an error. */
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,") != NULL)
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (n == PARAMS_MAX)
			return -EINVAL;
		fields[n++] = tok;
	}
	return n;
}

/* A decimal number in [0, max], nothing else: no sign, no space, no hex. */
static int param_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The first parameter, a port, entered as a reader. */
static int enter_port_param(const char *field, struct reader *r)
{
	uint32_t port;

	if (param_u32(field, RTE_MAX_ETHPORTS - 1, &port) < 0)
		return -EINVAL;
	return reader_enter((uint16_t)port, r);
}

/* Parameters that are a port and nothing else, entered as a reader. */
static int enter_port_only(const char *params, struct reader *r)
{
	char buf[128], *f[PARAMS_MAX];

	if (params_split(params, buf, sizeof(buf), f) != 1)
		return -EINVAL;
	return enter_port_param(f[0], r);
}

static const char *layout_of(const struct vpmd_adapter *ad)
{
	/* What the device runs, once negotiated; what was asked before. */
	if (ad->vdev.negotiated != 0)
		return virtio_dev_has_feature(&ad->vdev, VIRTIO_F_RING_PACKED) ? "packed" : "split";
	return ad->args.packed_vq ? "packed" : "split";
}

/*
 * The link as last recorded, read in one atomic load. Not
 * rte_eth_link_get_nowait(): without LSC interrupts it calls link_update,
 * which records the link and may raise an LSC event, from this thread.
 */
static struct rte_eth_link link_of(const struct rte_eth_dev *dev)
{
	struct rte_eth_link link;

	rte_eth_linkstatus_get(dev, &link);
	return link;
}

static json_t *link_json(const struct rte_eth_dev *dev)
{
	struct rte_eth_link link = link_of(dev);

	return json_pack("{s:s, s:I, s:s, s:s}", "status",
			 link.link_status == RTE_ETH_LINK_UP ? "up" : "down", "speed",
			 (json_int_t)link.link_speed, "duplex",
			 link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half", "autoneg",
			 link.link_autoneg == RTE_ETH_LINK_AUTONEG ? "on" : "off");
}

/* Reply with @obj (consumed); NULL means out of memory. */
static int reply(struct rte_tel_data *d, json_t *obj)
{
	int rc;

	if (obj == NULL)
		return -ENOMEM;
	rc = vpmd_tel_reply(d, obj, VPMD_TEL_REPLY_MAX);
	json_decref(obj);
	return rc;
}

/* How the port reaches its device: a vhost-user client or server, or PCI. */
static const char *mode_of(const struct vpmd_adapter *ad)
{
	if (ad->pci != NULL)
		return "pci";
	return ad->args.server ? "server" : "client";
}

static json_t *port_summary(const struct reader *r)
{
	const struct vpmd_adapter *ad = r->ad;
	struct rte_eth_link link = link_of(r->dev);

	return json_pack("{s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:i}",
			 "name", ad->name,
			 "started", reader_queues(r),
			 "running", reader_rings(r),
			 "link", link.link_status == RTE_ETH_LINK_UP ? "up" : "down",
			 "layout", layout_of(ad),
			 "mode", mode_of(ad),
			 "path", ad->location,
			 "queues", r->dev->data->nb_rx_queues);
}

static int cmd_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *ports = json_object(), *row;
	struct reader r;
	char key[8];
	uint16_t port;

	(void)cmd;
	if (ports == NULL)
		return -ENOMEM;
	if (params != NULL && params[0] != '\0') {
		json_decref(ports);
		return -EINVAL;
	}
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		if (reader_enter(port, &r) < 0)
			continue;
		row = port_summary(&r);
		reader_exit(&r);
		snprintf(key, sizeof(key), "%u", port);
		if (row == NULL || json_object_set_new(ports, key, row) < 0) {
			json_decref(ports);
			return -ENOMEM;
		}
	}
	return reply(d, json_pack("{s:I, s:o}", "count", (json_int_t)json_object_size(ports),
				  "ports", ports));
}

static json_t *devargs_json(const struct vpmd_devargs *a)
{
	return json_pack("{s:s, s:b, s:i, s:i, s:b, s:b, s:b, s:b, s:i, s:I}",
			 "path", a->path, "server", a->server, "queues", a->queues,
			 "queue_size", a->queue_size, "packed_vq", a->packed_vq,
			 "mrg_rxbuf", a->mrg_rxbuf, "in_order", a->in_order,
			 "event_idx", a->event_idx, "mtu", a->mtu, "speed", (json_int_t)a->speed);
}

static void broken_append(void *arg, const char *name)
{
	json_array_append_new(arg, json_string(name));
}

/* The rings given up on, by name; readable only while the rings are live. */
static json_t *broken_json(const struct reader *r)
{
	json_t *names = json_array();

	if (names != NULL && reader_rings(r))
		vpmd_broken_rings(r->dev, broken_append, names);
	return names;
}

static int cmd_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], rx_path[RTE_ETH_BURST_MODE_INFO_SIZE],
	    tx_path[RTE_ETH_BURST_MODE_INFO_SIZE];
	const struct vpmd_adapter *ad;
	struct reader r;
	json_t *obj;

	(void)cmd;
	if (enter_port_only(params, &r) < 0)
		return -EINVAL;
	ad = r.ad;
	rte_ether_format_addr(mac, sizeof(mac), r.dev->data->mac_addrs);
	vpmd_burst_describe(r.dev, true, 0, rx_path, sizeof(rx_path));
	vpmd_burst_describe(r.dev, false, 0, tx_path, sizeof(tx_path));
	obj = json_pack("{s:i, s:s, s:s, s:b, s:b, s:b, s:I, s:o, s:I, s:s, s:o, s:i, s:s, s:i, s:i, "
			"s:{s:s, s:s}, s:o, s:o}",
			"port", r.port,
			"name", ad->name,
			"location", ad->location,
			"started", reader_queues(&r),
			"device_up", __atomic_load_n(&ad->device_up, __ATOMIC_RELAXED),
			"running", reader_rings(&r),
			"reconnects", (json_int_t)__atomic_load_n(&ad->reconnects, __ATOMIC_RELAXED),
			"broken", broken_json(&r),
			"rings_broken", (json_int_t)__atomic_load_n(&ad->rings_broken, __ATOMIC_RELAXED),
			"layout", layout_of(ad),
			"link", link_json(r.dev),
			"mtu", r.dev->data->mtu,
			"mac", mac,
			"rx_queues", r.dev->data->nb_rx_queues,
			"tx_queues", r.dev->data->nb_tx_queues,
			"burst_mode", "rx", rx_path, "tx", tx_path,
			"devargs", devargs_json(&ad->args),
			"device", virtio_dev_to_json(&ad->vdev));
	reader_exit(&r);
	return reply(d, obj);
}

/* Every bit set in any of the three sets, as columns: bit, name, and 0/1 per set. */
static json_t *feature_bits_json(const struct virtio_dev *vdev)
{
	uint64_t offered = vdev->offered, driver = vdev->driver_features;
	uint64_t negotiated = vdev->negotiated, any = offered | driver | negotiated;
	json_t *bits = json_array(), *names = json_array(), *o = json_array(), *dr = json_array(),
	       *ng = json_array();
	char name[32];
	unsigned int b;

	for (b = 0; b < 64; b++) {
		if (!((any >> b) & 1))
			continue;
		virtio_feature_format(b, name, sizeof(name));
		json_array_append_new(bits, json_integer(b));
		json_array_append_new(names, json_string(name));
		json_array_append_new(o, json_integer((offered >> b) & 1));
		json_array_append_new(dr, json_integer((driver >> b) & 1));
		json_array_append_new(ng, json_integer((negotiated >> b) & 1));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "bit", bits, "name", names, "offered", o,
			 "driver", dr, "negotiated", ng);
}

static int cmd_features(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *dev, *obj = NULL;
	char supported[24];
	struct reader r;

	(void)cmd;
	if (enter_port_only(params, &r) < 0)
		return -EINVAL;
	snprintf(supported, sizeof(supported), "0x%016" PRIx64, r.ad->features_supported);
	/* The three sets as virtio_dev_to_json names them, and the bits side by side. */
	dev = virtio_dev_to_json(&r.ad->vdev);
	if (dev != NULL)
		obj = json_pack("{s:i, s:s, s:O, s:s, s:o}", "port", r.port, "name", r.ad->name,
				"sets", json_object_get(dev, "features"), "supported", supported,
				"bits", feature_bits_json(&r.ad->vdev));
	reader_exit(&r);
	json_decref(dev);
	return reply(d, obj);
}

/* The ring page: vq_to_json's snapshot with its descriptors as columns. */
static json_t *ring_page(const struct virtqueue *vq, uint32_t start, uint32_t count)
{
	json_t *obj = vq_to_json(vq, start, count), *cols;

	if (obj == NULL)
		return NULL;
	cols = vpmd_tel_columns(json_object_get(obj, "descs"));
	if (cols == NULL || json_object_set_new(obj, "descs", cols) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int cmd_queue(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[128], *f[PARAMS_MAX];
	uint32_t queue, start = 0, count = 0, nb_queues;
	const struct virtqueue *vq = NULL;
	const struct vpmd_queue_stats *qs = NULL;
	json_t *obj = NULL, *extra;
	struct reader r;
	bool rx;
	int n, rc;

	(void)cmd;
	n = params_split(params, buf, sizeof(buf), f);
	if (n < 3 || n > 5)
		return -EINVAL;
	if (param_u32(f[1], UINT16_MAX, &queue) < 0)
		return -EINVAL;
	if (strcmp(f[2], "rx") != 0 && strcmp(f[2], "tx") != 0)
		return -EINVAL;
	rx = f[2][0] == 'r';
	if (n >= 4 && param_u32(f[3], UINT16_MAX, &start) < 0)
		return -EINVAL;
	if (n == 5 && param_u32(f[4], UINT16_MAX + 1u, &count) < 0)
		return -EINVAL;
	if (n == 4)
		count = UINT16_MAX + 1u; /* START alone: to the end of the ring, page by page */
	if (enter_port_param(f[0], &r) < 0)
		return -EINVAL;
	nb_queues = rx ? r.dev->data->nb_rx_queues : r.dev->data->nb_tx_queues;
	if (queue >= nb_queues) {
		reader_exit(&r);
		return -EINVAL;
	}
	extra = json_pack("{s:i, s:i, s:s, s:b, s:b}", "port", r.port, "queue", queue, "dir",
			  f[2], "started", reader_queues(&r), "running", reader_rings(&r));
	if (extra == NULL)
		goto out;
	if (!reader_rings(&r)) {
		/* The control thread may be rebuilding the rings: say so, touch nothing. */
		obj = extra;
		extra = NULL;
		goto out;
	}
	if (rx) {
		const struct vpmd_rxq *q = r.dev->data->rx_queues[queue];

		vq = q != NULL ? q->vq : NULL;
		qs = q != NULL ? &q->stats : NULL;
	} else {
		const struct vpmd_txq *q = r.dev->data->tx_queues[queue];

		vq = q != NULL ? q->vq : NULL;
		qs = q != NULL ? &q->stats : NULL;
	}
	if (vq == NULL || qs == NULL) {
		obj = extra;
		extra = NULL;
		goto out;
	}
	if (start >= vq_size(vq) && !(start == 0 && count == 0)) {
		reader_exit(&r);
		json_decref(extra);
		return -EINVAL;
	}
	if (json_object_set_new(extra, "pmd", vpmd_queue_stats_json(qs, rx)) < 0)
		goto out;
	/* A page as large as fits: halve it until the reply does. */
	if (count > DESC_PAGE_MAX)
		count = DESC_PAGE_MAX;
	for (;;) {
		json_t *page = ring_page(vq, start, count);

		/* The port's keys first, then the ring's. */
		obj = json_copy(extra);
		if (page == NULL || obj == NULL || json_object_update(obj, page) < 0) {
			json_decref(page);
			json_decref(obj);
			obj = NULL;
			break;
		}
		json_decref(page);
		rc = vpmd_tel_reply(d, obj, VPMD_TEL_REPLY_MAX);
		if (rc != -EMSGSIZE || count <= 1) {
			reader_exit(&r);
			json_decref(obj);
			json_decref(extra);
			return rc;
		}
		json_decref(obj);
		obj = NULL;
		count /= 2;
	}
out:
	reader_exit(&r);
	json_decref(extra);
	return reply(d, obj);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_eth_stats st;
	struct reader r;
	json_t *obj;

	(void)cmd;
	if (enter_port_only(params, &r) < 0)
		return -EINVAL;
	if (!reader_queues(&r) || rte_eth_stats_get(r.port, &st) != 0) {
		obj = json_pack("{s:i, s:b, s:b}", "port", r.port, "started", reader_queues(&r),
				"running", reader_rings(&r));
	} else {
		obj = json_pack("{s:i, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				"port", r.port, "started", true, "running", reader_rings(&r),
				"ipackets", (json_int_t)st.ipackets,
				"opackets", (json_int_t)st.opackets,
				"ibytes", (json_int_t)st.ibytes,
				"obytes", (json_int_t)st.obytes,
				"imissed", (json_int_t)st.imissed,
				"ierrors", (json_int_t)st.ierrors,
				"oerrors", (json_int_t)st.oerrors,
				"rx_nombuf", (json_int_t)st.rx_nombuf);
	}
	reader_exit(&r);
	return reply(d, obj);
}

/* xstats [start, start+count) as an object of name: value. */
static json_t *xstats_page(uint16_t port, unsigned int start, unsigned int *count,
			   unsigned int *total)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *values = NULL;
	json_t *obj = NULL;
	unsigned int i;
	int n, m;

	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n < 0)
		return NULL;
	names = calloc((size_t)n + 1, sizeof(*names));
	values = calloc((size_t)n + 1, sizeof(*values));
	if (names == NULL || values == NULL)
		goto out;
	/* The two calls agree while the queue count cannot change (port started). */
	if (rte_eth_xstats_get_names(port, names, (unsigned int)n) != n)
		goto out;
	m = rte_eth_xstats_get(port, values, (unsigned int)n);
	if (m != n)
		goto out;
	*total = (unsigned int)n;
	if (start > *total)
		start = *total;
	if (*count > *total - start)
		*count = *total - start;
	obj = json_object();
	for (i = start; obj != NULL && i < start + *count; i++)
		if (json_object_set_new(obj, names[i].name, json_integer((json_int_t)values[i].value)) < 0) {
			json_decref(obj);
			obj = NULL;
		}
out:
	free(names);
	free(values);
	return obj;
}

static int cmd_xstats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[128], *f[PARAMS_MAX];
	unsigned int count = XSTATS_PAGE_MAX, total = 0;
	uint32_t start = 0;
	json_t *obj, *page;
	struct reader r;
	int n, rc;

	(void)cmd;
	n = params_split(params, buf, sizeof(buf), f);
	if (n < 1 || n > 2 || (n == 2 && param_u32(f[1], UINT16_MAX, &start) < 0))
		return -EINVAL;
	if (enter_port_param(f[0], &r) < 0)
		return -EINVAL;
	if (!reader_rings(&r)) {
		obj = json_pack("{s:i, s:b, s:b}", "port", r.port, "started", reader_queues(&r),
				"running", false);
		reader_exit(&r);
		return reply(d, obj);
	}
	for (;;) {
		page = xstats_page(r.port, start, &count, &total);
		if (page == NULL) {
			reader_exit(&r);
			return -ENOMEM;
		}
		if (start > total) {
			json_decref(page);
			reader_exit(&r);
			return -EINVAL;
		}
		obj = json_pack("{s:i, s:b, s:b, s:I, s:I, s:I, s:o}", "port", r.port, "started",
				true, "running", true, "start", (json_int_t)start, "count",
				(json_int_t)count, "total", (json_int_t)total, "xstats", page);
		if (obj == NULL) {
			reader_exit(&r);
			return -ENOMEM;
		}
		rc = vpmd_tel_reply(d, obj, VPMD_TEL_REPLY_MAX);
		json_decref(obj);
		if (rc != -EMSGSIZE || count <= 1)
			break;
		count /= 2;
	}
	reader_exit(&r);
	return rc;
}

/*
 * One queue of a port whose rings run: fire its "totals" probe when
 * @fire, and restart its sampling countdown when @restart, so that a new
 * rate applies from the next active burst, not after a countdown drawn
 * for the old one (up to 2 x 65536 bursts). The countdown is the
 * datapath's: a store that races its decrement loses nothing but one
 * tick.
 */
static void queue_trace(const struct virtqueue *vq, uint16_t port, uint64_t moves,
			struct vpmd_trace_queue *tq, bool fire, bool restart)
{
	if (restart)
		__atomic_store_n(&tq->countdown, 0, __ATOMIC_RELAXED);
	if (fire)
		vpmd_trace_fire_totals(vq, port, moves);
}

/* queue_trace() for every queue of the port, if its rings run; how many there were. */
static unsigned int port_trace(const struct reader *r, bool fire, bool restart)
{
	unsigned int i, n = 0;

	if (!reader_rings(r))
		return 0;
	for (i = 0; i < r->dev->data->nb_rx_queues; i++) {
		struct vpmd_rxq *q = r->dev->data->rx_queues[i];

		if (q != NULL && q->vq != NULL) {
			queue_trace(q->vq, r->port, q->stats.used_moves, &q->trace, fire, restart);
			n++;
		}
	}
	for (i = 0; i < r->dev->data->nb_tx_queues; i++) {
		struct vpmd_txq *q = r->dev->data->tx_queues[i];

		if (q != NULL && q->vq != NULL) {
			queue_trace(q->vq, r->port, q->stats.used_moves, &q->trace, fire, restart);
			n++;
		}
	}
	return n;
}

#ifdef VPMD_PROBES
#define PROBES_BUILT true
#else
#define PROBES_BUILT false
#endif

/*
 * What a tracer asks of the process (vctl trace, doc/trace.md): the
 * sampling of the datapath probes, set with the parameter; and, while
 * "totals" is traced, that probe fired for every queue now, so the
 * tracer's exact counts end at this instant, not at the last sampled
 * burst.
 */
static int cmd_trace(const char *cmd, const char *params, struct rte_tel_data *d)
{
	bool set = params != NULL && params[0] != '\0', fire = VPMD_TRACE_TOTALS_WANTED();
	unsigned int fired = 0, queues;
	struct reader r;
	uint32_t every;
	uint16_t port;

	(void)cmd;
	if (set && (param_u32(params, VPMD_TRACE_SAMPLE_MAX, &every) < 0 ||
		    vpmd_trace_set_sample_every(every) < 0))
		return -EINVAL;
	if (set || fire) {
		for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
			if (reader_enter(port, &r) < 0)
				continue;
			queues = port_trace(&r, fire, set);
			if (fire)
				fired += queues;
			reader_exit(&r);
		}
	}
	return reply(d, json_pack("{s:b, s:i, s:i}", "probes", PROBES_BUILT, "sample_every",
				  (int)vpmd_trace_sample_every(), "totals_fired", (int)fired));
}

RTE_INIT(vpmd_telemetry_init)
{
	rte_telemetry_register_cmd("/vpmd/list", cmd_list,
				   "vpmd ports: name, state, link, layout, transport. No parameters");
	rte_telemetry_register_cmd("/vpmd/status", cmd_status,
				   "Device status, transport, features, link, queues. Parameter: port");
	rte_telemetry_register_cmd("/vpmd/features", cmd_features,
				   "Offered, driver and negotiated features. Parameter: port");
	rte_telemetry_register_cmd("/vpmd/queue", cmd_queue,
				   "A ring and a page of its descriptors. Parameters: "
				   "port,queue,rx|tx[,start[,count]]");
	rte_telemetry_register_cmd("/vpmd/stats", cmd_stats,
				   "The port's ethdev counters. Parameter: port");
	rte_telemetry_register_cmd("/vpmd/xstats", cmd_xstats,
				   "A page of the port's xstats. Parameters: port[,start]");
	rte_telemetry_register_cmd("/vpmd/trace", cmd_trace,
				   "Probe sampling (1 active burst in N) and the totals probe. "
				   "Parameter: [N] to set it");
}
