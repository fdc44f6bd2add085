/* lodger's drivers for the board's devices: found in the host DT, probed,
 * and registered as backends (io/backend.h) at boot, before any VM. */
#ifndef LODGER_DRIVERS_DRIVERS_H
#define LODGER_DRIVERS_DRIVERS_H

#include <stdint.h>
#include "drivers/virtio_mmio.h"

/* Probes every virtio-mmio transport of the host DT, attaches the drivers
 * below and registers their backends, one console line each. */
void drivers_init(void);
/* lodger.selftest=disk: board disk 0 end to end (selftest.c); powers off. */
void __attribute__((noreturn)) drivers_selftest_disk(void);

/* lodger's clock from the board's RTC, if it has one (host_rtc.c), before
 * lodger's own page table is on; host_rtc_print says where it came from. */
void host_rtc_init(void);
void host_rtc_print(void);

/* Each returns false (with why) if the device cannot be used. */
bool virtio_blk_attach(const struct virtio_mmio *m, const char **why);
bool virtio_net_attach(const struct virtio_mmio *m, const char **why);

#endif
