/* The virtio-mmio transport (virtio 1.2 4.2, whose section numbers the
 * virtio files cite; version 2, no legacy) of a VM's virtio devices, the
 * device side (lodger's driver of the board's own
 * virtio devices is drivers/virtio_mmio.h; prefixes virtio_dev_ and vq_
 * here keep the two apart): the register file, feature negotiation, the device
 * status machine (2.1), the queues' setup and the interrupt. A virtio device
 * (dev/virtio_blk.c, dev/virtio_net.c) is a device model whose register
 * operations are the ones here, whose `impl` is its struct virtio_dev_ops, and
 * whose state begins with a struct virtio_dev:
 *
 *   struct my_state { struct virtio_dev vio; ... };
 *   const struct device_model my_device = { .name = "virtio_mmio",
 *       .base = VIRTIO_MMIO_BASE(slot), .size = VIRTIO_MMIO_SIZE,
 *       .irq = VIRTIO_MMIO_IRQ(slot), .state_size = sizeof(struct my_state),
 *       .read = virtio_dev_read, .write = virtio_dev_write,
 *       .deferred = virtio_dev_deferred, .reset = virtio_dev_reset,
 *       .dt_node = virtio_dev_dt_node, .setup = my_setup, .impl = &my_ops };
 *
 * Locking: register operations run under the VM's board lock. A queue's
 * processing may be long (synchronous disk I/O), so QueueNotify only notes
 * the queue and returns DEV_DEFER; the transport then processes it with the
 * board lock dropped, under the device's own lock (vio.lock), and raises
 * the line afterwards under the board lock. Lock order: board lock, then
 * device lock; the device lock is never held when the board lock is taken.
 * Code outside a vCPU's access (the network switch delivering a frame) does
 * the same: virtio_dev_lock, work on the queue, virtio_dev_unlock,
 * virtio_dev_update_irq. */
#ifndef LODGER_DEV_VIRTIO_DEV_H
#define LODGER_DEV_VIRTIO_DEV_H

#include <stdint.h>
#include <stdbool.h>
#include "core/spinlock.h"
#include "dev/device.h"
#include "dev/vq.h"
#include "io/virtio_spec.h"

/* QEMU virt's eight virtio-mmio slots (hw/riscv/virt.c): 0x1000 apart from
 * 0x10001000, PLIC lines 1..8. */
#define VIRTIO_MMIO_SLOTS 8
#define VIRTIO_MMIO_BASE(slot) (0x10001000ul + 0x1000ul * (slot))
#define VIRTIO_MMIO_SIZE 0x1000ul
#define VIRTIO_MMIO_IRQ(slot) (1u + (slot))

#define VIRTIO_DEV_MAX_QUEUES 2
/* Chains one deferred notify serves before it hands the hart back (the
 * guest runs the notify again for the rest: DEV_RETRY), so a driver that
 * keeps its queue full cannot hold its hart in lodger. */
#define VIRTIO_DEV_BUDGET 512
/* Driver errors reported on lodger's console per device and VM. */
#define VIRTIO_DEV_BROKEN_REPORTS 64

struct device;

/* What a virtio device adds to the transport. */
struct virtio_dev_ops {
    const char *name;               /* "virtio-blk": for messages */
    uint32_t device_id;             /* VIRTIO_ID_* */
    unsigned queues;                /* 1..VIRTIO_DEV_MAX_QUEUES */
    uint64_t features;              /* device-specific bits offered (the
                                     * transport adds VERSION_1, INDIRECT_DESC,
                                     * EVENT_IDX); a device may offer fewer per
                                     * VM through virtio_dev.features */
    /* The driver notified queue q, or the device should look at it again:
     * called with the device lock held, never the board lock. Take chains
     * with virtio_dev_take (until virtio_dev_yield), return them with
     * virtio_dev_used. */
    void (*notify)(struct device *d, unsigned q);
    /* Optional: the device's own reset (2.1: status 0 or power-on), with
     * the board lock and the device lock held. */
    void (*reset)(struct device *d);
};

/* The transport's per-VM state: the first member of the device's state. */
struct virtio_dev {
    struct spinlock lock;           /* the queues' processing; see above */
    uint64_t features;              /* offered (set by the device's setup) */
    const void *config;             /* the device's config space (4.2.2: from 0x100) */
    unsigned config_len;
    uint32_t status;                /* 2.1 device status; NEEDS_RESET set atomically */
    uint32_t device_features_sel, driver_features_sel, queue_sel;
    uint64_t driver_features;
    uint32_t interrupt_status;      /* VIRTIO_INT_* (io/virtio_spec.h), set and cleared atomically */
    uint32_t config_generation;
    uint32_t notify_pending;        /* queues noted by QueueNotify, one bit each */
    unsigned served;                /* chains used in this deferred call (under lock) */
    bool broken;                    /* a driver error: nothing processed until reset */
    unsigned broken_reports;        /* lines said about it (not reset with the device) */
    struct vq q[VIRTIO_DEV_MAX_QUEUES];
};

/* The device model operations (see the top). virtio_dev_reset is the
 * power-on reset; the driver's reset (status 0) does the same. */
enum dev_status virtio_dev_read(struct device *d, struct vcpu *v, uint64_t offset,
                                 unsigned width, uint64_t *value);
enum dev_status virtio_dev_write(struct device *d, struct vcpu *v, uint64_t offset,
                                  unsigned width, uint64_t value);
enum dev_status virtio_dev_deferred(struct device *d, struct vcpu *v);
void virtio_dev_reset(struct device *d);
int virtio_dev_dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx);

/* The device's transport state (d->state). */
static inline struct virtio_dev *virtio_dev_of(const struct device *d)
{
    return (struct virtio_dev *)d->state;
}
/* Whether the driver accepted feature bit `bit`. */
static inline bool virtio_dev_has(const struct virtio_dev *vio, unsigned bit)
{
    return (vio->driver_features >> bit) & 1;
}
/* Whether the driver has finished setting the device up (DRIVER_OK) and it
 * is not broken: only then are queues processed. */
bool virtio_dev_live(const struct virtio_dev *vio);

void virtio_dev_lock(struct device *d);
void virtio_dev_unlock(struct device *d);
/* With the device lock held: returns a chain on queue q (vq_push) and
 * notes a used-buffer interrupt if the driver wants one now (2.7.7). Call
 * virtio_dev_update_irq after unlocking. */
void virtio_dev_used(struct device *d, unsigned q, uint16_t head, uint32_t written);
/* With the device lock held: takes the next chain the driver made
 * available on queue q into c. None left: rearms the driver's notify
 * (2.7.10) and looks once more, since a chain may have come in between.
 * False when there is none, or the driver broke a rule (then the device is
 * broken: virtio_dev_broken). */
bool virtio_dev_take(struct device *d, unsigned q, struct vq_chain *c);
/* With the device lock held, in `notify`: whether this call has used its
 * budget (VIRTIO_DEV_BUDGET chains): the device then stops taking chains
 * and returns without rearming; the transport has the rest served when the
 * guest's notify runs again. */
bool virtio_dev_yield(const struct device *d);
/* With the device lock held: the driver broke a rule (`why`): the device
 * needs reset (2.1.2: DEVICE_NEEDS_RESET, and a configuration change
 * interrupt, 4.2.2.1), processes nothing more until then, and lodger says
 * so once on its console. */
void virtio_dev_broken(struct device *d, unsigned q, const char *why);
/* Without any lock held: the device's line follows InterruptStatus. */
void virtio_dev_update_irq(struct device *d);

#endif
