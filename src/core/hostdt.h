/* What lodger learns from the host's device tree (read with libfdt). */
#ifndef LODGER_CORE_HOSTDT_H
#define LODGER_CORE_HOSTDT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/page_alloc.h"

#define HOST_MAX_HARTS 16
#define HOST_MAX_MEM 8
#define HOST_MAX_RESERVED 16
#define HOST_MAX_VIRTIO 16

struct host_hart {
    unsigned long hartid;
    char isa[128];
    char mmu_type[16];
    int plic_context;           /* its S-mode context on the host PLIC; -1: none */
};

/* A virtio-mmio transport (compatible "virtio,mmio") the board has; which
 * device sits behind it (if any) only its registers say (drivers/). */
struct host_virtio {
    uint64_t base, size;
    uint32_t irq;               /* its source on the host PLIC; 0: none known */
};

/* The board's PLIC (riscv,plic0 / sifive,plic-1.0.0), if any: lodger takes
 * the board's devices' interrupts there (drivers/host_plic.c). */
struct host_plic {
    uint64_t base, size;        /* size 0: no PLIC */
    uint32_t ndev;              /* riscv,ndev: sources 1..ndev */
    uint32_t phandle;
};

struct host_info {
    const void *fdt;
    uint64_t fdt_size;
    struct mem_range mem[HOST_MAX_MEM];
    int mem_count;
    struct mem_range reserved[HOST_MAX_RESERVED];
    int reserved_count;
    uint64_t initrd_start, initrd_end;
    uint64_t timebase_hz;
    struct host_hart harts[HOST_MAX_HARTS];
    int hart_count;
    char model[64];
    uint64_t test_device;       /* QEMU's sifive,test0 finisher, 0 if none */
    uint64_t rtc;               /* a google,goldfish-rtc (QEMU virt's RTC), 0 if none */
    char bootargs[256];         /* /chosen/bootargs: lodger's boot options */
    struct host_plic plic;
    struct host_virtio virtio[HOST_MAX_VIRTIO];  /* in the tree's order */
    int virtio_count;
};

/* lodger's boot options (the host's /chosen/bootargs, e.g. QEMU -append):
 *   lodger.mmu=sv39|sv48|sv57   the widest paging mode lodger uses (for itself,
 *                               its shadows, and offered to guests)
 *   lodger.asid-bits=N          at most N (0..16) hardware ASID bits; 0: none
 *   lodger.selftest=disk        check board disk 0 end to end instead of
 *                               running VMs (drivers/selftest.c): it
 *                               overwrites the disk's first MiB
 * The first two only narrow what the hart has, to behave as on a smaller
 * core (a SiFive U74: lodger.mmu=sv39 lodger.asid-bits=0). Words not
 * starting with "lodger." are left to others. */
struct host_options {
    int max_levels;             /* 3 (Sv39), 4 (Sv48) or 5 (Sv57, no cap) */
    unsigned max_asid_bits;     /* 16: no cap */
    bool selftest_disk;
};

/* Returns false with err set to a one-line reason for an unknown lodger.*
 * word or a bad value. Pure. */
bool hostdt_options(const char *bootargs, struct host_options *opts, char *err, size_t errlen);

/* The paging modes (bit n: satp mode n) and ASID bits lodger uses, from
 * those the hart accepted and the options. Returns the widest mode's
 * levels, 0 if none is left. Pure. */
int hostdt_cap_mmu(const struct host_options *opts, unsigned long *modes, unsigned *asid_bits);

/* Returns 0 or a libfdt error code. Pure: reads only the blob. */
int hostdt_parse(const void *fdt, struct host_info *info);

#endif
