/* What lodger learns from the host's device tree (read with libfdt). */
#ifndef LODGER_CORE_HOSTDT_H
#define LODGER_CORE_HOSTDT_H

#include <stdint.h>
#include <stdbool.h>
#include "core/page_alloc.h"

#define HOST_MAX_HARTS 16
#define HOST_MAX_MEM 8
#define HOST_MAX_RESERVED 16

struct host_hart {
    unsigned long hartid;
    char isa[128];
    char mmu_type[16];
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
};

/* Returns 0 or a libfdt error code. Pure: reads only the blob. */
int hostdt_parse(const void *fdt, struct host_info *info);

#endif
