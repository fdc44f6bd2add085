/* A minimal virtio-blk driver for the bare-metal test guests (vblk_hostile,
 * vblk_persist): virtio 1.x over virtio-mmio version 2 (4.2.3), polled (no
 * interrupts: the guests read InterruptStatus), one split queue in the
 * guest's own memory, which the hostile guest also fills with what a driver
 * MUST NOT write. Natively the device is QEMU's (vendor "QEMU"), under
 * lodger lodger's; the guest can tell them apart by VendorID only to allow
 * QEMU's named departures from the spec. */
#ifndef LODGER_TEST_VBLK_H
#define LODGER_TEST_VBLK_H

#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include "../lib/guest.h"

#define VB_SLOT_BASE 0x10001000UL
#define VB_SLOTS 8
#define VB_MAGIC 0x74726976u
#define VB_VENDOR_QEMU 0x554d4551u

enum {
    VB_DEVICE_ID = 0x008, VB_VENDOR_ID = 0x00c, VB_DEVICE_FEATURES = 0x010,
    VB_DEVICE_FEATURES_SEL = 0x014, VB_DRIVER_FEATURES = 0x020, VB_DRIVER_FEATURES_SEL = 0x024,
    VB_QUEUE_SEL = 0x030, VB_QUEUE_NUM_MAX = 0x034, VB_QUEUE_NUM = 0x038, VB_QUEUE_READY = 0x044,
    VB_QUEUE_NOTIFY = 0x050, VB_INTERRUPT_STATUS = 0x060, VB_INTERRUPT_ACK = 0x064,
    VB_STATUS = 0x070, VB_QUEUE_DESC = 0x080, VB_QUEUE_DRIVER = 0x090, VB_QUEUE_DEVICE = 0x0a0,
    VB_CONFIG = 0x100,
};
#define VB_S_ACK 1u
#define VB_S_DRIVER 2u
#define VB_S_DRIVER_OK 4u
#define VB_S_FEATURES_OK 8u
#define VB_S_NEEDS_RESET 64u
#define VB_F_INDIRECT (1ull << 28)
#define VB_F_EVENT_IDX (1ull << 29)
#define VB_F_VERSION_1 (1ull << 32)
#define VB_F_FLUSH (1ull << 9)
#define VB_D_NEXT 1u
#define VB_D_WRITE 2u
#define VB_D_INDIRECT 4u
#define VB_T_IN 0u
#define VB_T_OUT 1u
#define VB_T_FLUSH 4u
#define VB_T_GET_ID 8u

struct vb_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vb_hdr { uint32_t type, reserved; uint64_t sector; };

#define VB_QN 16
/* The queue: descriptors, available ring (with used_event), used ring
 * (with avail_event), each on its own page. */
static struct vb_desc vb_desc[VB_QN] __attribute__((aligned(4096)));
static volatile uint16_t vb_avail[2 + VB_QN + 1] __attribute__((aligned(4096)));
static volatile uint16_t vb_used[2 + 4 * VB_QN + 1] __attribute__((aligned(4096)));
static uint16_t vb_avail_idx, vb_used_seen, vb_num = VB_QN;
/* Where requests' descriptors go: the queue's table, or (hostile cases)
 * one the device was told of elsewhere. Written bytewise: it may be
 * unaligned. */
static uint8_t *vb_table = (uint8_t *)vb_desc;
/* Where the device writes used elements: the queue's used ring, or (a
 * hostile case) one the device was told of elsewhere. */
static volatile uint16_t *vb_used_at = vb_used;

static inline void vb_set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                               uint16_t next)
{
    struct vb_desc d = { addr, len, flags, next };
    memcpy(vb_table + 16 * i, &d, sizeof(d));
}
static volatile uint8_t *vb_base;

static inline uint32_t vb_rd(unsigned off) { return *(volatile uint32_t *)(vb_base + off); }
static inline void vb_wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(vb_base + off) = v; }
static inline void vb_wr64(unsigned off, uint64_t v)
{
    vb_wr(off, (uint32_t)v);
    vb_wr(off + 4, (uint32_t)(v >> 32));
}
static inline void vb_fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

/* The first virtio-mmio version 2 block device: false if none. */
static inline bool vb_find(void)
{
    for (int i = VB_SLOTS - 1; i >= 0; i--) {
        volatile uint8_t *b = (volatile uint8_t *)(VB_SLOT_BASE + 0x1000UL * (unsigned)i);
        if (*(volatile uint32_t *)b == VB_MAGIC && *(volatile uint32_t *)(b + 4) == 2 &&
            *(volatile uint32_t *)(b + VB_DEVICE_ID) == 2) {
            vb_base = b;
            return true;
        }
    }
    return false;
}

static inline bool vb_is_qemu(void) { return vb_rd(VB_VENDOR_ID) == VB_VENDOR_QEMU; }

static inline uint64_t vb_device_features(void)
{
    vb_wr(VB_DEVICE_FEATURES_SEL, 0);
    uint64_t f = vb_rd(VB_DEVICE_FEATURES);
    vb_wr(VB_DEVICE_FEATURES_SEL, 1);
    return f | (uint64_t)vb_rd(VB_DEVICE_FEATURES) << 32;
}

/* 3.1.1 up to FEATURES_OK; false if the device refused the features. */
static inline bool vb_negotiate(uint64_t features)
{
    vb_wr(VB_STATUS, 0);
    vb_wr(VB_STATUS, VB_S_ACK);
    vb_wr(VB_STATUS, VB_S_ACK | VB_S_DRIVER);
    vb_wr(VB_DRIVER_FEATURES_SEL, 0);
    vb_wr(VB_DRIVER_FEATURES, (uint32_t)features);
    vb_wr(VB_DRIVER_FEATURES_SEL, 1);
    vb_wr(VB_DRIVER_FEATURES, (uint32_t)(features >> 32));
    vb_wr(VB_STATUS, VB_S_ACK | VB_S_DRIVER | VB_S_FEATURES_OK);
    return vb_rd(VB_STATUS) & VB_S_FEATURES_OK;
}

/* Queue 0 with num entries at the given addresses; returns QueueReady. */
static inline uint32_t vb_queue(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    memset(vb_desc, 0, sizeof(vb_desc));
    memset((void *)vb_avail, 0, sizeof(vb_avail));
    memset((void *)vb_used, 0, sizeof(vb_used));
    vb_avail_idx = vb_used_seen = 0;
    vb_num = (uint16_t)(num && num <= VB_QN ? num : VB_QN);
    vb_table = (uint8_t *)vb_desc;
    vb_used_at = vb_used;
    vb_wr(VB_QUEUE_SEL, 0);
    vb_wr(VB_QUEUE_NUM, num);
    vb_wr64(VB_QUEUE_DESC, desc);
    vb_wr64(VB_QUEUE_DRIVER, avail);
    vb_wr64(VB_QUEUE_DEVICE, used);
    vb_fence();
    vb_wr(VB_QUEUE_READY, 1);
    return vb_rd(VB_QUEUE_READY);
}

static inline uint32_t vb_queue_default(void)
{
    return vb_queue(VB_QN, (uintptr_t)vb_desc, (uintptr_t)vb_avail, (uintptr_t)vb_used);
}

static inline void vb_driver_ok(void)
{
    vb_wr(VB_STATUS, VB_S_ACK | VB_S_DRIVER | VB_S_FEATURES_OK | VB_S_DRIVER_OK);
}

/* A full setup with these features: true if it worked. */
static inline bool vb_start(uint64_t features)
{
    if (!vb_negotiate(features) || vb_queue_default() != 1)
        return false;
    vb_driver_ok();
    return true;
}

/* Offers head (or a raw avail.idx step) and notifies. */
static inline void vb_offer(uint16_t head)
{
    vb_avail[2 + vb_avail_idx % vb_num] = head;
    vb_fence();
    vb_avail[1] = ++vb_avail_idx;
    vb_fence();
    vb_wr(VB_QUEUE_NOTIFY, 0);
}

static unsigned long vb_now(void) { return csr_read(time); }

/* Waits up to ~2 s (QEMU virt's timebase is 10 MHz) for the used ring to
 * advance; true if it did. */
static inline bool vb_wait_used(void)
{
    unsigned long until = vb_now() + 20000000UL;
    do {
        vb_fence();
        if (vb_used_at[1] != vb_used_seen) {
            vb_used_seen++;
            return true;
        }
    } while (vb_now() < until);
    return false;
}

/* Waits up to ~2 s for the device to set DEVICE_NEEDS_RESET. */
static inline bool vb_wait_needs_reset(void)
{
    unsigned long until = vb_now() + 20000000UL;
    do {
        if (vb_rd(VB_STATUS) & VB_S_NEEDS_RESET)
            return true;
    } while (vb_now() < until);
    return false;
}

static struct vb_hdr vb_header __attribute__((aligned(16)));
static volatile uint8_t vb_status_byte;

/* One request: header, then nseg data buffers (writable for reads), then
 * the status byte; returns the status (0xee: none came back). */
static inline uint8_t vb_request(uint32_t type, uint64_t sector, void *const *bufs, const uint32_t *lens,
                          unsigned nseg)
{
    vb_header = (struct vb_hdr){ .type = type, .sector = sector };
    vb_status_byte = 0xee;
    unsigned i = 0;
    vb_set_desc(0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
    for (unsigned k = 0; k < nseg; k++, i++)
        vb_set_desc(i + 1, (uintptr_t)bufs[k], lens[k],
                    (uint16_t)(VB_D_NEXT | (type == VB_T_OUT ? 0 : VB_D_WRITE)), (uint16_t)(i + 2));
    vb_set_desc(i + 1, (uintptr_t)&vb_status_byte, 1, VB_D_WRITE, 0);
    vb_offer(0);
    if (!vb_wait_used())
        return 0xee;
    vb_wr(VB_INTERRUPT_ACK, vb_rd(VB_INTERRUPT_STATUS));
    return vb_status_byte;
}

static inline uint8_t vb_rw(bool write, uint64_t sector, void *buf, uint32_t len)
{
    void *bufs[1] = { buf };
    return vb_request(write ? VB_T_OUT : VB_T_IN, sector, bufs, &len, 1);
}

static inline uint64_t vb_capacity(void)
{
    return *(volatile uint32_t *)(vb_base + VB_CONFIG) |
           (uint64_t)*(volatile uint32_t *)(vb_base + VB_CONFIG + 4) << 32;
}

#endif
