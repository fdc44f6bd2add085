/* Host physical memory: lodger's page allocator and its own page table
 * (the second address space: an identity map of RAM, W^X for lodger's image). */
#ifndef LODGER_CORE_MEM_H
#define LODGER_CORE_MEM_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"
#include "core/hostdt.h"

struct host_mmu {
    int levels;                 /* lodger's own table and all shadow tables */
    unsigned long modes;        /* bit n set: satp mode n accepted by the hart */
    unsigned asid_bits;         /* writable satp.ASID bits (0: none) */
    struct page_table own;      /* the second address space */
    unsigned long own_satp;
};

extern struct host_mmu host_mmu;
extern const struct pt_allocator mem_page_allocator;
extern struct host_info host;

void mem_init(const struct host_info *info);
uint64_t mem_alloc(uint64_t size, uint64_t align);   /* zeroed; 0 on failure */
void mem_free(uint64_t pa, uint64_t size);
uint64_t mem_free_bytes(void);
void mem_probe_satp_modes(const struct host_options *opts);
void mem_build_own_table(void);
void mem_enable_own_table(void);
bool mem_is_ram(uint64_t pa, uint64_t size);

#endif
