/* The virtio-mmio transport, driver side (virtio_mmio.h; virtio 1.x 4.2). */
#include "drivers/virtio_mmio.h"
#include "io/virtio_spec.h"
#include "core/mem.h"
#include "arch/riscv/encoding.h"

/* Device registers are I/O: order them against lodger's ring writes and
 * reads (a notify after the index it announces; an interrupt status read
 * before the ring it reports on). */
static inline void io_fence(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

uint32_t virtio_mmio_read(const struct virtio_mmio *m, unsigned offset)
{
    io_fence();
    uint32_t v = *(volatile uint32_t *)(m->base + offset);
    io_fence();
    return v;
}

void virtio_mmio_write(const struct virtio_mmio *m, unsigned offset, uint32_t value)
{
    io_fence();
    *(volatile uint32_t *)(m->base + offset) = value;
    io_fence();
}

static void add_status(const struct virtio_mmio *m, uint32_t bits)
{
    virtio_mmio_write(m, VIRTIO_MMIO_STATUS, virtio_mmio_read(m, VIRTIO_MMIO_STATUS) | bits);
}

static bool fail(const struct virtio_mmio *m, const char **why, const char *reason)
{
    add_status(m, VIRTIO_STATUS_FAILED);
    *why = reason;
    return false;
}

bool virtio_mmio_negotiate(const struct virtio_mmio *m, uint64_t required, uint64_t wanted,
                           uint64_t *taken, const char **why)
{
    /* 3.1.1: reset, then ACKNOWLEDGE and DRIVER. */
    virtio_mmio_write(m, VIRTIO_MMIO_STATUS, 0);
    if (virtio_mmio_read(m, VIRTIO_MMIO_STATUS) != 0)
        return fail(m, why, "does not reset");
    add_status(m, VIRTIO_STATUS_ACKNOWLEDGE);
    add_status(m, VIRTIO_STATUS_DRIVER);
    uint64_t offered = 0;
    for (unsigned half = 0; half < 2; half++) {
        virtio_mmio_write(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, half);
        offered |= (uint64_t)virtio_mmio_read(m, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * half);
    }
    if ((offered & required) != required)
        return fail(m, why, "lacks a feature lodger needs (VERSION_1)");
    *taken = offered & (required | wanted);
    for (unsigned half = 0; half < 2; half++) {
        virtio_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, half);
        virtio_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(*taken >> (32 * half)));
    }
    add_status(m, VIRTIO_STATUS_FEATURES_OK);
    if (!(virtio_mmio_read(m, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
        return fail(m, why, "refused lodger's features");
    return true;
}

bool virtio_mmio_setup_queue(const struct virtio_mmio *m, unsigned index, struct virtq *q,
                             unsigned max_size, const char **why)
{
    virtio_mmio_write(m, VIRTIO_MMIO_QUEUE_SEL, index);
    if (virtio_mmio_read(m, VIRTIO_MMIO_QUEUE_READY))
        return fail(m, why, "has a queue already in use after a reset");
    uint32_t most = virtio_mmio_read(m, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (most > max_size)
        most = max_size;
    if (!most)
        return fail(m, why, "has no such queue");
    uint16_t size = (uint16_t)(1u << (31 - __builtin_clz(most)));   /* 2.6: a power of two */
    uint64_t mem = mem_alloc(virtq_mem_size(size), PAGE_SIZE);
    if (!mem || !virtq_init(q, size, (void *)(uintptr_t)mem))
        return fail(m, why, "cannot get memory for its queue");
    virtio_mmio_write(m, VIRTIO_MMIO_QUEUE_NUM, size);
    uint64_t parts[3] = { virtq_desc_addr(q), virtq_avail_addr(q), virtq_used_addr(q) };
    static const unsigned regs[3] = { VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
                                      VIRTIO_MMIO_QUEUE_DEVICE_LOW };
    for (int i = 0; i < 3; i++) {
        virtio_mmio_write(m, regs[i], (uint32_t)parts[i]);
        virtio_mmio_write(m, regs[i] + 4, (uint32_t)(parts[i] >> 32));
    }
    virtio_mmio_write(m, VIRTIO_MMIO_QUEUE_READY, 1);
    return true;
}

void virtio_mmio_driver_ok(const struct virtio_mmio *m)
{
    add_status(m, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_mmio_notify(const struct virtio_mmio *m, unsigned index)
{
    virtio_mmio_write(m, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}

uint32_t virtio_mmio_ack_interrupt(const struct virtio_mmio *m)
{
    uint32_t causes = virtio_mmio_read(m, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (causes)
        virtio_mmio_write(m, VIRTIO_MMIO_INTERRUPT_ACK, causes);
    return causes;
}

uint64_t virtio_mmio_config(const struct virtio_mmio *m, unsigned offset, unsigned width)
{
    uint32_t gen;
    uint64_t v;
    do {
        gen = virtio_mmio_read(m, VIRTIO_MMIO_CONFIG_GENERATION);
        volatile uint8_t *p = (volatile uint8_t *)(m->base + VIRTIO_MMIO_CONFIG + offset);
        io_fence();
        if (width == 8)
            v = (uint64_t)*(volatile uint32_t *)p | (uint64_t)*(volatile uint32_t *)(p + 4) << 32;
        else if (width == 4)
            v = *(volatile uint32_t *)p;
        else if (width == 2)
            v = *(volatile uint16_t *)p;
        else
            v = *p;
    } while (virtio_mmio_read(m, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
    return v;
}
