/* Sv39/Sv48/Sv57 page tables for test guests (privileged spec 4.3-4.5),
 * built from a static pool of table pages. A guest may define PT_POOL_PAGES
 * before including this file. The helpers never mix superpage leaves and
 * tables at the same slot: a guest that maps a superpage maps nothing
 * smaller inside it. */
#ifndef LODGER_TEST_PAGETABLE_H
#define LODGER_TEST_PAGETABLE_H

#include "guest.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define PTE_RWX (PTE_RW | PTE_X)
#define PTE(pa, flags) ((((unsigned long)(pa)) >> 12) << 10 | (flags))
#define PTE_PA(pte) (((pte) >> 10) << 12)

#define PAGE 4096UL
#define GIGA (1UL << 30)
#define MEGA2 (1UL << 21)

#ifndef PT_POOL_PAGES
#define PT_POOL_PAGES 32
#endif

static unsigned long pt_pool[PT_POOL_PAGES][512] __attribute__((aligned(4096)));
static int pt_used;

static inline unsigned long *pt_alloc(void)
{
    if (pt_used >= PT_POOL_PAGES) {
        gprintf("FAIL page-table pool exhausted (%d pages)\n", PT_POOL_PAGES);
        guest_exit(1);
    }
    unsigned long *t = pt_pool[pt_used++];
    for (int i = 0; i < 512; i++)
        t[i] = 0;
    return t;
}

/* The PTE slot for va at level (0: 4 KiB leaf, 1: 2 MiB, 2: 1 GiB...) in a
 * table of `levels` levels (3 Sv39, 4 Sv48, 5 Sv57); tables in between are
 * made as needed. */
static inline unsigned long *pt_slot(unsigned long *root, int levels, unsigned long va, int level)
{
    unsigned long *t = root;
    for (int l = levels - 1; l > level; l--) {
        unsigned long *e = &t[(va >> (12 + 9 * l)) & 511];
        if (!(*e & PTE_V))
            *e = PTE(pt_alloc(), PTE_V);
        t = (unsigned long *)PTE_PA(*e);
    }
    return &t[(va >> (12 + 9 * level)) & 511];
}

/* 4 KiB pages: [va, va + size) -> [pa, pa + size). */
static inline void pt_map(unsigned long *root, int levels, unsigned long va, unsigned long pa,
                          unsigned long size, unsigned long flags)
{
    for (unsigned long off = 0; off < size; off += PAGE)
        *pt_slot(root, levels, va + off, 0) = PTE(pa + off, flags);
}

static inline unsigned long satp_of(unsigned long *root, int levels, unsigned long asid)
{
    unsigned long mode = levels == 3 ? 8 : levels == 4 ? 9 : 10;
    return mode << 60 | asid << 44 | (unsigned long)root >> 12;
}

static inline void satp_switch(unsigned long satp)
{
    __asm__ volatile("csrw satp, %0\n"
                     "sfence.vma" :: "r"(satp) : "memory");
}

static inline void sfence_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void sfence_va(unsigned long va)
{
    __asm__ volatile("sfence.vma %0" :: "r"(va) : "memory");
}
static inline void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

/* The identity gigapage of guest RAM (0x80000000), S-mode RWX: where the
 * guest's code, data and stack live. */
static inline void pt_map_identity(unsigned long *root, int levels)
{
    *pt_slot(root, levels, 0x80000000UL, 2) = PTE(0x80000000UL, PTE_RWX | PTE_G);
}

#endif
