/* Virtio 1.x numbers and layouts (OASIS virtio v1.2; the section numbers
 * below are 1.2's, v1.1 numbers the split virtqueue 2.6 instead of 2.7),
 * named as the spec names them, shared by both of lodger's sides: the
 * devices it offers its VMs (dev/virtio_dev.h, dev/vq.h, dev/virtio_blk.c,
 * dev/virtio_net.c) and its drivers of the board's own devices
 * (drivers/virtio_mmio.h, drivers/virtq.h, drivers/virtio_*_drv.c). Only
 * numbers fixed by the spec live here; what each side chooses (queue sizes,
 * slots, budgets) stays with that side. Little-endian, like RISC-V. */
#ifndef LODGER_IO_VIRTIO_SPEC_H
#define LODGER_IO_VIRTIO_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* 2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* 6 Reserved Feature Bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* 5 Device Types */
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u

/* 2.7.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* 2.7.6 The Virtqueue Available Ring; 2.7.7 Used Buffer Notification
 * Suppression (flags, and used_event after the ring with EVENT_IDX) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

/* 2.7.8 The Virtqueue Used Ring; 2.7.10 Available Buffer Notification
 * Suppression (flags, and avail_event after the ring with EVENT_IDX) */
#define VIRTQ_USED_F_NO_NOTIFY 1u
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* 4.2.2 MMIO Device Register Layout (version 2, non-legacy): offsets */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000       /* reads VIRTIO_MMIO_MAGIC_VIRT */
#define VIRTIO_MMIO_VERSION 0x004           /* 2; 1 is the legacy interface */
#define VIRTIO_MMIO_DEVICE_ID 0x008         /* 0: an empty slot */
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100            /* the device's configuration space */
/* MagicValue's value ("virt"), and InterruptStatus's bits: a used buffer
 * notification, a configuration change notification. */
#define VIRTIO_MMIO_MAGIC_VIRT 0x74726976u
#define VIRTIO_INT_USED 1u
#define VIRTIO_INT_CONFIG 2u

/* 5.1 Network Device: 5.1.2 virtqueues, 5.1.3 feature bits, 5.1.4
 * configuration (offsets), 5.1.6 the header before each frame. */
#define VIRTIO_NET_RX_QUEUE 0
#define VIRTIO_NET_TX_QUEUE 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_CFG_MAC 0                /* 6 bytes */
#define VIRTIO_NET_CFG_MTU 10               /* le16, with VIRTIO_NET_F_MTU */
#define VIRTIO_NET_S_LINK_UP 1              /* config status, with VIRTIO_NET_F_STATUS */
/* With VERSION_1 the header always has num_buffers: 12 bytes. */
#define VIRTIO_NET_HDR_LEN 12
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN, "5.1.6 header");

/* 5.2 Block Device: 5.2.3 feature bits, 5.2.4 configuration (up to
 * num_queues), 5.2.6 requests. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
struct virtio_blk_config {
    uint64_t capacity;                  /* in 512-byte sectors */
    uint32_t size_max, seg_max;
    uint16_t cylinders;
    uint8_t heads, sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp, alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback, unused0;
    uint16_t num_queues;
} __attribute__((packed));
#define VIRTIO_BLK_CFG_CAPACITY offsetof(struct virtio_blk_config, capacity)
#define VIRTIO_BLK_CFG_SIZE_MAX offsetof(struct virtio_blk_config, size_max)
#define VIRTIO_BLK_CFG_SEG_MAX offsetof(struct virtio_blk_config, seg_max)
/* A request: this header, the data, then one status byte. */
struct virtio_blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_ID_BYTES 20u             /* GET_ID's answer, NUL-padded */
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

#endif
