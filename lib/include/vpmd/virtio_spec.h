/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio 1.2 wire format: the structures and bit values that cross the
 * boundary between driver and device. Everything here is little-endian on
 * the wire (virtio 1.x, section 2.4); accessors convert on big-endian hosts.
 *
 * No DPDK types: this header is shared by lib/, the PMD, vctl, the BPF
 * programs and the tests.
 */
#ifndef VPMD_VIRTIO_SPEC_H
#define VPMD_VIRTIO_SPEC_H

#include <stdint.h>

/* Device status field (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

/* Device-independent feature bits (6). */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24
#define VIRTIO_F_ANY_LAYOUT 27
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET 40

/* Network device feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GSO 6 /* legacy name; reserved in 1.x */
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_F_HOST_USO 56
#define VIRTIO_NET_F_HASH_REPORT 57
#define VIRTIO_NET_F_GUEST_HDRLEN 59
#define VIRTIO_NET_F_RSS 60
#define VIRTIO_NET_F_RSC_EXT 61
#define VIRTIO_NET_F_STANDBY 62
#define VIRTIO_NET_F_SPEED_DUPLEX 63

#define VIRTIO_BIT(b) (1ULL << (b))

/* Split ring (2.7). */
#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u
/* Packed ring only (2.8). */
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED (1u << 15)

#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY 1u

/* Packed ring event suppression flags (2.8.10). */
#define VRING_PACKED_EVENT_FLAG_ENABLE 0u
#define VRING_PACKED_EVENT_FLAG_DISABLE 1u
#define VRING_PACKED_EVENT_FLAG_DESC 2u
/* In off_wrap, bit 15 is the wrap counter and bits 0..14 the offset. */
#define VRING_PACKED_EVENT_WRAP_SHIFT 15

/* Largest queue size either layout can express (2.7 and 2.8). */
#define VIRTQ_MAX_SIZE 32768u

struct vring_desc {
	uint64_t addr; /* le64: device address of the buffer */
	uint32_t len;  /* le32 */
	uint16_t flags; /* le16: VRING_DESC_F_* */
	uint16_t next;  /* le16: index of the next descriptor if F_NEXT */
};

struct vring_avail {
	uint16_t flags; /* le16: VRING_AVAIL_F_* */
	uint16_t idx;   /* le16: where the driver puts the next entry, mod 2^16 */
	uint16_t ring[]; /* le16 heads; followed by used_event if EVENT_IDX */
};

struct vring_used_elem {
	uint32_t id;  /* le32: head of the used chain */
	uint32_t len; /* le32: bytes written into the chain's writable part */
};

struct vring_used {
	uint16_t flags; /* le16: VRING_USED_F_* */
	uint16_t idx;   /* le16 */
	struct vring_used_elem ring[]; /* followed by avail_event if EVENT_IDX */
};

struct vring_packed_desc {
	uint64_t addr;  /* le64 */
	uint32_t len;   /* le32 */
	uint16_t id;    /* le16: buffer id */
	uint16_t flags; /* le16: VRING_DESC_F_* and the AVAIL/USED bits */
};

struct vring_packed_desc_event {
	uint16_t off_wrap; /* le16: descriptor offset | wrap << 15 */
	uint16_t flags;    /* le16: VRING_PACKED_EVENT_FLAG_* */
};

/*
 * Split ring alignment (2.7): descriptor table 16, available ring 2, used
 * ring 4 for virtio 1.x. Legacy PCI used 4096 for the used ring.
 */
#define VRING_DESC_ALIGN 16u
#define VRING_AVAIL_ALIGN 2u
#define VRING_USED_ALIGN 4u
#define VRING_LEGACY_ALIGN 4096u

/* Network device (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO 4u

#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_UDP_L4 5u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u

/*
 * The header in front of every packet. With VERSION_1 or MRG_RXBUF it
 * carries num_buffers, so this 12-byte form is the one a modern driver
 * uses on both rx and tx.
 */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;     /* le16 */
	uint16_t gso_size;    /* le16 */
	uint16_t csum_start;  /* le16 */
	uint16_t csum_offset; /* le16 */
	uint16_t num_buffers; /* le16: rx with MRG_RXBUF; 0 on tx */
};

#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_S_ANNOUNCE 2u

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;              /* le16 */
	uint16_t max_virtqueue_pairs; /* le16 */
	uint16_t mtu;                 /* le16 */
	uint32_t speed;               /* le32: Mbit/s */
	uint8_t duplex;
	uint8_t rss_max_key_size;
	uint16_t rss_max_indirection_table_length; /* le16 */
	uint32_t supported_hash_types;             /* le32 */
} __attribute__((packed));

/*
 * Control virtqueue (5.1.6.5). A command is { u8 class; u8 command;
 * u8 data[]; } device-readable, then { u8 ack; } device-writable.
 */
#define VIRTIO_NET_OK 0u
#define VIRTIO_NET_ERR 1u

#define VIRTIO_NET_CTRL_RX 0u
#define VIRTIO_NET_CTRL_RX_PROMISC 0u  /* data: u8 on/off (CTRL_RX) */
#define VIRTIO_NET_CTRL_RX_ALLMULTI 1u
#define VIRTIO_NET_CTRL_RX_ALLUNI 2u   /* 2-5: CTRL_RX_EXTRA */
#define VIRTIO_NET_CTRL_RX_NOMULTI 3u
#define VIRTIO_NET_CTRL_RX_NOUNI 4u
#define VIRTIO_NET_CTRL_RX_NOBCAST 5u
#define VIRTIO_NET_CTRL_MAC 1u
/* data: le32 n, n unicast MACs, le32 m, m multicast MACs (CTRL_RX) */
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0u
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1u /* data: 6-byte MAC (CTRL_MAC_ADDR) */
#define VIRTIO_NET_CTRL_VLAN 2u
#define VIRTIO_NET_CTRL_VLAN_ADD 0u /* data: le16 vid (CTRL_VLAN) */
#define VIRTIO_NET_CTRL_VLAN_DEL 1u
#define VIRTIO_NET_CTRL_ANNOUNCE 3u
#define VIRTIO_NET_CTRL_ANNOUNCE_ACK 0u
#define VIRTIO_NET_CTRL_MQ 4u
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0u /* data: le16 pairs (MQ) */
#define VIRTIO_NET_CTRL_MQ_RSS_CONFIG 1u   /* data: struct virtio_net_rss_config (RSS) */
#define VIRTIO_NET_CTRL_MQ_HASH_CONFIG 2u  /* the same, hash report only (HASH_REPORT) */
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN 1u
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX 0x8000u
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS 5u

/*
 * RSS (5.1.6.5.7): the hash types a device supports (config
 * supported_hash_types) and the driver asks for (rss_config.hash_types).
 */
#define VIRTIO_NET_RSS_HASH_TYPE_IPV4 (1u << 0)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPV4 (1u << 1)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPV4 (1u << 2)
#define VIRTIO_NET_RSS_HASH_TYPE_IPV6 (1u << 3)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPV6 (1u << 4)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPV6 (1u << 5)
#define VIRTIO_NET_RSS_HASH_TYPE_IP_EX (1u << 6)
#define VIRTIO_NET_RSS_HASH_TYPE_TCP_EX (1u << 7)
#define VIRTIO_NET_RSS_HASH_TYPE_UDP_EX (1u << 8)
#define VIRTIO_NET_RSS_HASH_TYPES_ALL 0x1ffu

/* hash_report of a received packet (5.1.6.4.3.4): which hash hash_value is. */
#define VIRTIO_NET_HASH_REPORT_NONE 0u
#define VIRTIO_NET_HASH_REPORT_UDPV6_EX 9u

/*
 * With HASH_REPORT the header grows by the hash (5.1.6): both ways, the
 * device only fills it on receive.
 */
struct virtio_net_hdr_hash {
	struct virtio_net_hdr hdr;
	uint32_t hash_value;  /* le32 */
	uint16_t hash_report; /* le16: VIRTIO_NET_HASH_REPORT_* */
	uint16_t padding;
};

/* VLAN ids the VLAN class accepts (12 bits). */
#define VIRTIO_NET_VLAN_ID_MAX 4095u

_Static_assert(sizeof(struct vring_desc) == 16, "split descriptor is 16 bytes");
_Static_assert(sizeof(struct vring_used_elem) == 8, "used element is 8 bytes");
_Static_assert(sizeof(struct vring_packed_desc) == 16, "packed descriptor is 16 bytes");
_Static_assert(sizeof(struct vring_packed_desc_event) == 4, "event suppression is 4 bytes");
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "modern net header is 12 bytes");
_Static_assert(sizeof(struct virtio_net_hdr_hash) == 20, "hash report header is 20 bytes");

#endif /* VPMD_VIRTIO_SPEC_H */
