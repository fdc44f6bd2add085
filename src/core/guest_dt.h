/* The device tree a guest boots with, written by lodger with libfdt. */
#ifndef LODGER_CORE_GUEST_DT_H
#define LODGER_CORE_GUEST_DT_H

#include <stdint.h>
#include <stddef.h>

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
    /* Devices (0: absent). The PLIC serves each vCPU's S-mode context. */
    uint64_t plic_base, plic_size;
    unsigned plic_sources;
    uint64_t uart_base, uart_size;
    unsigned uart_irq, uart_clock_hz;
};

/* Writes the tree into buf; returns 0 or a libfdt error. */
int guest_dt_build(void *buf, size_t size, const struct guest_dt_params *p);

/* Sets /chosen/rng-seed in a tree opened with room to grow (a VM image's
 * own tree); creates /chosen if needed. Returns 0 or a libfdt error. */
int guest_dt_set_seed(void *fdt, const void *seed, size_t len);

#endif
