/* The device tree a guest boots with, written by lodger with libfdt. */
#ifndef LODGER_CORE_GUEST_DT_H
#define LODGER_CORE_GUEST_DT_H

#include <stdint.h>
#include <stddef.h>
#include "dev/device.h"

struct guest_dt_params {
    uint64_t ram_base, ram_size;
    unsigned vcpus;
    uint64_t timebase_hz;
    const char *isa;                 /* e.g. "rv64imafdc_zicsr_zifencei" */
    const char *const *isa_extensions; /* NULL-terminated */
    const char *mmu_type;            /* NULL: no MMU advertised */
    const char *bootargs;
    uint64_t initrd_start, initrd_end; /* 0, 0: none */
    const void *rng_seed;            /* /chosen/rng-seed (NULL: none) */
    size_t rng_seed_len;
    /* The VM's devices, each writing its own node (dev/device.h); the
     * console's is /chosen/stdout-path (NULL: no devices). */
    const struct dev_table *devices;
};

/* Writes the tree into buf; returns 0 or a libfdt error. */
int guest_dt_build(void *buf, size_t size, const struct guest_dt_params *p);

/* Sets /chosen/rng-seed in a tree opened with room to grow (a VM image's
 * own tree); creates /chosen if needed. Returns 0 or a libfdt error. */
int guest_dt_set_seed(void *fdt, const void *seed, size_t len);

#endif
