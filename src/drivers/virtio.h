/* Virtio 1.x constants lodger needs as a driver of the board's devices
 * (OASIS virtio v1.1/1.2): device status (2.1), feature bits (6), the
 * virtio-mmio version 2 register layout (4.2.2), and the block (5.2) and
 * network (5.1) devices' requests and configuration. */
#ifndef LODGER_DRIVERS_VIRTIO_H
#define LODGER_DRIVERS_VIRTIO_H

#include <stdint.h>

/* 2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* 6 Reserved Feature Bits */
#define VIRTIO_F_VERSION_1 32

/* 4.2.2 MMIO Device Register Layout (Version 2, non-legacy) */
#define VIRTIO_MMIO_MAGIC 0x000             /* "virt" */
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u
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
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_DEVICE_NET 1
#define VIRTIO_DEVICE_BLOCK 2

/* 5.2.3 Block device feature bits, 5.2.4 configuration, 5.2.6 requests */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_CFG_CAPACITY 0           /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8           /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12           /* le32 */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

struct virtio_blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* 5.1.3 Network device feature bits, 5.1.4 configuration, 5.1.6 header */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_CFG_MAC 0                /* 6 bytes */
#define VIRTIO_NET_CFG_MTU 10               /* le16, with VIRTIO_NET_F_MTU */
#define VIRTIO_NET_RX_QUEUE 0
#define VIRTIO_NET_TX_QUEUE 1

/* With VERSION_1 the header always has num_buffers (5.1.6): 12 bytes. */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};

#endif
