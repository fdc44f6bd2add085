/* The virtio-mmio transport (virtio 1.x 4.2, version 2) from the driver's
 * side: lodger initialising one of the board's devices (3.1.1) and setting
 * up its queues (4.2.3.2). */
#ifndef LODGER_DRIVERS_VIRTIO_MMIO_H
#define LODGER_DRIVERS_VIRTIO_MMIO_H

#include <stdint.h>
#include <stdbool.h>
#include "drivers/virtq.h"

struct virtio_mmio {
    uintptr_t base;             /* mapped 1:1 in lodger's own table */
    uint32_t irq;               /* host PLIC source; 0: none (polled) */
};

uint32_t virtio_mmio_read(const struct virtio_mmio *m, unsigned offset);
void virtio_mmio_write(const struct virtio_mmio *m, unsigned offset, uint32_t value);
/* Reset, ACKNOWLEDGE, DRIVER, then the features: every `required` one must
 * be offered, the `wanted` ones offered are taken; FEATURES_OK must stick.
 * On failure the device is marked FAILED and why says what was missing. */
bool virtio_mmio_negotiate(const struct virtio_mmio *m, uint64_t required, uint64_t wanted,
                           uint64_t *taken, const char **why);
/* Queue `index` with at most max_size entries (the device's maximum
 * rounded down to a power of two), its rings in lodger memory. */
bool virtio_mmio_setup_queue(const struct virtio_mmio *m, unsigned index, struct virtq *q,
                             unsigned max_size, const char **why);
void virtio_mmio_driver_ok(const struct virtio_mmio *m);
/* Tells the device queue `index` has new buffers. */
void virtio_mmio_notify(const struct virtio_mmio *m, unsigned index);
/* Acknowledges the device's interrupt (the line drops); returns its causes. */
uint32_t virtio_mmio_ack_interrupt(const struct virtio_mmio *m);
/* Device configuration space, read consistently (ConfigGeneration). */
uint64_t virtio_mmio_config(const struct virtio_mmio *m, unsigned offset, unsigned width);

#endif
