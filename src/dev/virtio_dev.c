/* The virtio-mmio transport (dev/virtio_dev.h; virtio 1.x 4.2.2, version 2). */
#include <string.h>
#include <libfdt.h>
#include "dev/virtio_dev.h"
#include "dev/board.h"
#include "core/vm.h"
#include "core/console.h"

#define VIRTIO_MMIO_VENDOR 0x474f444cu      /* "LDOG": VendorID's value */

static const struct virtio_dev_ops *ops_of(const struct device *d)
{
    return d->model->impl;
}

static uint64_t offered(const struct virtio_dev *vio)
{
    return vio->features | 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
           1ull << VIRTIO_F_EVENT_IDX;
}

static uint32_t status_of(const struct virtio_dev *vio)
{
    return __atomic_load_n(&vio->status, __ATOMIC_ACQUIRE);
}

bool virtio_dev_live(const struct virtio_dev *vio)
{
    return (status_of(vio) & VIRTIO_STATUS_DRIVER_OK) && !vio->broken;
}

void virtio_dev_lock(struct device *d)
{
    spin_lock(&virtio_dev_of(d)->lock);
}

void virtio_dev_unlock(struct device *d)
{
    spin_unlock(&virtio_dev_of(d)->lock);
}

static bool line_level(const struct virtio_dev *vio)
{
    return __atomic_load_n(&vio->interrupt_status, __ATOMIC_ACQUIRE) != 0;
}

void virtio_dev_update_irq(struct device *d)
{
    struct board *b = &d->vm->board;
    spin_lock(&b->lock);
    board_set_irq(d->vm, d->irq, line_level(virtio_dev_of(d)));
    spin_unlock(&b->lock);
}

bool virtio_dev_yield(const struct device *d)
{
    return virtio_dev_of(d)->served >= VIRTIO_DEV_BUDGET;
}

void virtio_dev_used(struct device *d, unsigned q, uint16_t head, uint32_t written)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    vio->served++;
    vq_push(&vio->q[q], head, written);
    if (vq_should_interrupt(&vio->q[q]))
        __atomic_fetch_or(&vio->interrupt_status, VIRTIO_INT_USED, __ATOMIC_RELEASE);
}

bool virtio_dev_take(struct device *d, unsigned qi, struct vq_chain *c)
{
    struct vq *q = &virtio_dev_of(d)->q[qi];
    for (;;) {
        const char *why;
        enum vq_result r = vq_pop(q, c, &why);
        if (r == VQ_OK)
            return true;
        if (r == VQ_BROKEN) {
            virtio_dev_broken(d, qi, why);
            return false;
        }
        if (!vq_rearm(q))    /* 2.7.10: nothing came in between */
            return false;
    }
}

void virtio_dev_broken(struct device *d, unsigned q, const char *why)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    if (vio->broken)
        return;
    vio->broken = true;
    uint32_t old = __atomic_fetch_or(&vio->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
    /* 2.1.2: with DRIVER_OK set, a configuration change notification follows. */
    if (old & VIRTIO_STATUS_DRIVER_OK)
        __atomic_fetch_or(&vio->interrupt_status, VIRTIO_INT_CONFIG, __ATOMIC_RELEASE);
    /* A driver may break and reset its device in a loop: a few lines tell. */
    if (vio->broken_reports < VIRTIO_DEV_BROKEN_REPORTS)
        console_printf("lodger: vm%d: %s@%lx queue %u: %s; the device needs reset%s\n",
                       d->vm->id, ops_of(d)->name, (unsigned long)d->base, q, why,
                       ++vio->broken_reports == VIRTIO_DEV_BROKEN_REPORTS
                           ? " (further ones not reported)" : "");
}

/* With the board lock held: every register and queue as at power-on (the
 * driver's status 0 too, 2.1.2/4.2.2.1); the offered features and config
 * space stay. */
static void reset_locked(struct device *d)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    spin_lock(&vio->lock);
    __atomic_store_n(&vio->status, 0, __ATOMIC_RELEASE);
    vio->device_features_sel = vio->driver_features_sel = vio->queue_sel = 0;
    vio->driver_features = 0;
    __atomic_store_n(&vio->interrupt_status, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&vio->notify_pending, 0, __ATOMIC_RELEASE);
    vio->broken = false;
    memset(vio->q, 0, sizeof(vio->q));
    if (ops_of(d)->reset)
        ops_of(d)->reset(d);
    spin_unlock(&vio->lock);
    board_set_irq(d->vm, d->irq, false);
}

void virtio_dev_reset(struct device *d)
{
    reset_locked(d);
}

static struct vq *selected(struct device *d)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    return vio->queue_sel < ops_of(d)->queues ? &vio->q[vio->queue_sel] : NULL;
}

enum dev_status virtio_dev_read(struct device *d, struct vcpu *v, uint64_t offset,
                                 unsigned width, uint64_t *value)
{
    (void)v;
    struct virtio_dev *vio = virtio_dev_of(d);
    *value = 0;
    if (offset >= VIRTIO_MMIO_CONFIG) {
        /* The device's own layout, read with its fields' widths. */
        uint64_t at = offset - VIRTIO_MMIO_CONFIG;
        if (at < vio->config_len && width <= vio->config_len - at)
            memcpy(value, (const char *)vio->config + at, width);
        return DEV_DONE;
    }
    /* 4.2.2.2: the driver uses 32-bit accesses only; others read 0, as QEMU's do. */
    if (width != 4)
        return DEV_DONE;
    struct vq *q = selected(d);
    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: *value = VIRTIO_MMIO_MAGIC_VIRT; break;
    case VIRTIO_MMIO_VERSION: *value = 2; break;
    case VIRTIO_MMIO_DEVICE_ID: *value = ops_of(d)->device_id; break;
    case VIRTIO_MMIO_VENDOR_ID: *value = VIRTIO_MMIO_VENDOR; break;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (vio->device_features_sel < 2)
            *value = (uint32_t)(offered(vio) >> (32 * vio->device_features_sel));
        break;
    case VIRTIO_MMIO_QUEUE_NUM_MAX: *value = q ? VQ_MAX_SIZE : 0; break;
    case VIRTIO_MMIO_QUEUE_READY: *value = q && q->ready; break;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        *value = __atomic_load_n(&vio->interrupt_status, __ATOMIC_ACQUIRE);
        break;
    case VIRTIO_MMIO_STATUS: *value = status_of(vio); break;
    /* No shared memory regions: length all ones (4.2.2). */
    case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH: *value = 0xffffffffu; break;
    case VIRTIO_MMIO_CONFIG_GENERATION: *value = vio->config_generation; break;
    default: break;     /* write-only and reserved registers read 0 */
    }
    return DEV_DONE;
}

/* 3.1.1 step 5: FEATURES_OK only for a subset of what was offered that has
 * VERSION_1 (no legacy interface); otherwise the bit does not stick and the
 * driver sees so when it reads the status back. */
static bool features_acceptable(const struct virtio_dev *vio)
{
    return !(vio->driver_features & ~offered(vio)) &&
           (vio->driver_features >> VIRTIO_F_VERSION_1 & 1);
}

static void set_half(uint64_t *v, uint32_t sel, uint64_t value)
{
    if (sel > 1)
        return;
    unsigned shift = 32 * sel;
    *v = (*v & ~(0xffffffffull << shift)) | (value & 0xffffffffull) << shift;
}

static enum dev_status write_status(struct device *d, uint32_t value)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    if (value == 0) {
        reset_locked(d);
        return DEV_DONE;
    }
    uint32_t old = status_of(vio);
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
        !features_acceptable(vio))
        value &= ~VIRTIO_STATUS_FEATURES_OK;
    /* NEEDS_RESET is the device's to set (2.1): the driver cannot clear it. */
    value = (value & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
    __atomic_store_n(&vio->status, value, __ATOMIC_RELEASE);
    /* 2.1.2: no buffer is used before DRIVER_OK; what was notified before is
     * looked at now. */
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
        __atomic_fetch_or(&vio->notify_pending, (1u << ops_of(d)->queues) - 1, __ATOMIC_RELEASE);
        return DEV_DEFER;
    }
    return DEV_DONE;
}

static void queue_ready(struct device *d, struct vq *q, bool ready)
{
    struct virtio_dev *vio = virtio_dev_of(d);
    const struct vm *vm = d->vm;
    spin_lock(&vio->lock);
    if (!ready) {
        q->ready = false;
    } else if (!q->ready && !vio->broken) {
        struct vq_mem mem = { .gpa = vm->ram_gpa, .size = vm->ram_size, .hpa = vm->ram_hpa };
        const char *why;
        q->event_idx = virtio_dev_has(vio, VIRTIO_F_EVENT_IDX);
        q->indirect = virtio_dev_has(vio, VIRTIO_F_INDIRECT_DESC);
        if (vq_enable(q, &mem, VQ_MAX_SIZE, &why) != VQ_OK)
            virtio_dev_broken(d, (unsigned)(q - vio->q), why);
    }
    spin_unlock(&vio->lock);
    board_set_irq(d->vm, d->irq, line_level(vio));
}

enum dev_status virtio_dev_write(struct device *d, struct vcpu *v, uint64_t offset,
                                  unsigned width, uint64_t value)
{
    (void)v;
    struct virtio_dev *vio = virtio_dev_of(d);
    /* Config space writes: none of lodger's devices has a writable field. */
    if (offset >= VIRTIO_MMIO_CONFIG || width != 4)
        return DEV_DONE;
    uint32_t val = (uint32_t)value;
    struct vq *q = selected(d);
    /* 4.2.2.3: a queue's registers are the driver's to set while it is not
     * ready; writes to a ready queue's are ignored. */
    bool q_settable = q && !q->ready;
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: vio->device_features_sel = val; break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: vio->driver_features_sel = val; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        /* 2.2.2: features are fixed once FEATURES_OK is set. */
        if (!(status_of(vio) & VIRTIO_STATUS_FEATURES_OK))
            set_half(&vio->driver_features, vio->driver_features_sel, val);
        break;
    case VIRTIO_MMIO_QUEUE_SEL: vio->queue_sel = val; break;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (q_settable)
            q->num = (uint16_t)(val > 0xffff ? 0 : val);    /* too big: refused at ready */
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: if (q_settable) set_half(&q->desc_gpa, 0, val); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: if (q_settable) set_half(&q->desc_gpa, 1, val); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: if (q_settable) set_half(&q->avail_gpa, 0, val); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: if (q_settable) set_half(&q->avail_gpa, 1, val); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: if (q_settable) set_half(&q->used_gpa, 0, val); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: if (q_settable) set_half(&q->used_gpa, 1, val); break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (q)
            queue_ready(d, q, val & 1);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (val < ops_of(d)->queues) {
            __atomic_fetch_or(&vio->notify_pending, 1u << val, __ATOMIC_RELEASE);
            return DEV_DEFER;
        }
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        __atomic_fetch_and(&vio->interrupt_status, ~val, __ATOMIC_ACQ_REL);
        board_set_irq(d->vm, d->irq, line_level(vio));
        break;
    case VIRTIO_MMIO_STATUS:
        return write_status(d, val);
    default: break;     /* read-only and reserved registers ignore writes */
    }
    return DEV_DONE;
}

enum dev_status virtio_dev_deferred(struct device *d, struct vcpu *v)
{
    (void)v;
    struct virtio_dev *vio = virtio_dev_of(d);
    bool more = false;
    spin_lock(&vio->lock);
    uint32_t pending = __atomic_exchange_n(&vio->notify_pending, 0, __ATOMIC_ACQ_REL);
    for (unsigned i = 0; i < ops_of(d)->queues; i++) {
        if (!(pending >> i & 1) || !virtio_dev_live(vio) || !vio->q[i].ready)
            continue;
        vio->served = 0;
        ops_of(d)->notify(d, i);
        if (virtio_dev_yield(d) && virtio_dev_live(vio)) {
            /* Out of budget with chains perhaps left: again at the retry. */
            __atomic_fetch_or(&vio->notify_pending, 1u << i, __ATOMIC_RELEASE);
            more = true;
        }
    }
    spin_unlock(&vio->lock);
    virtio_dev_update_irq(d);
    return more ? DEV_RETRY : DEV_DONE;
}

int virtio_dev_dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = fdt_property_string(fdt, "compatible", "virtio,mmio");
    if (!rc)
        rc = dev_dt_interrupts(fdt, d, ctx);
    return rc ? rc : fdt_end_node(fdt);
}
