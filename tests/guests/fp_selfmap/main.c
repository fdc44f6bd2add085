/* The guest's page table seen through the first portion's forced place
 * (run-options: --first-portion 0x40000000): an Sv39 guest maps, at
 * 0x40000000, the leaf table that maps 0x40000000-0x401fffff itself (a
 * recursive mapping), so its first read there is of its own PTEs and is
 * the conflict. It then edits its mappings through that window - repoints
 * a page, watches the A and D bits its accesses set, unmaps the window
 * itself and maps it again - with sfence.vma after each edit. Under lodger
 * (lib/counters.h): the first read is exactly one conflict, with one
 * relocation to an unused region; nothing after it is one. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0x40000000UL              /* = --first-portion in run-options */
#define DATA 0x80400000UL
#define W ((volatile unsigned long *)F)     /* the leaf table, through F */

static unsigned long ld(unsigned long va) { return *(volatile unsigned long *)va; }
static unsigned long ad(unsigned long pte) { return (pte >> 6) & 3; }

int guest_main(void)
{
    gprintf("=== begin: fp_selfmap ===\n");
    for (unsigned long off = 0; off < 0x40000; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0x5e1f000000000000UL | off;

    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    unsigned long *l0 = pt_slot(root, 3, F, 0);     /* F is entry 0 of its leaf table */
    l0[0] = PTE(l0, PTE_RW);
    for (int i = 1; i < 16; i++)
        l0[i] = PTE(DATA + (unsigned long)i * PAGE, PTE_RW);
    l0[16] = PTE(DATA + 16 * PAGE, PTE_V | PTE_R | PTE_W);     /* A=0 D=0 */
    satp_switch(satp_of(root, 3, 0));

    struct fp_counts counts;
    fp_counts_read(&counts);
    /* The first touch: the guest's PTEs through the window. */
    unsigned long bad = 0;
    for (int i = 0; i < 512; i++)
        bad += W[i] != l0[i];
    gprintf("case window_reads_table: mismatches=%lu pte1=%s\n", bad,
            W[1] == PTE(DATA + PAGE, PTE_RW) ? "as written" : "OTHER");

    fp_expect("the window's first read", &counts, FP_ONE_CONFLICT_TO_UNUSED);

    /* Repoint page 2 through the window. */
    unsigned long before = ld(F + 0x2010);
    W[2] = PTE(DATA + 0x20000, PTE_RW);
    sfence_va(F + 0x2000);
    gprintf("case repoint: before=0x%lx after=0x%lx identity_pte=%s\n", before, ld(F + 0x2010),
            l0[2] == PTE(DATA + 0x20000, PTE_RW) ? "changed" : "OTHER");

    /* A and D set by accesses, seen through the window. */
    unsigned long a0 = ad(W[16]);
    (void)ld(F + 0x10000);
    unsigned long a1 = ad(W[16]);
    *(volatile unsigned long *)(F + 0x10008) = 1;
    unsigned long a2 = ad(W[16]);
    gprintf("case ad_bits: untouched=%lu after_load=%lu after_store=%lu\n", a0, a1, a2);
    /* Cleared again (and flushed): set again by the next accesses. */
    W[16] &= ~(PTE_A | PTE_D);
    sfence_va(F + 0x10000);
    unsigned long a3 = ad(W[16]);
    *(volatile unsigned long *)(F + 0x10010) = 2;
    gprintf("case ad_bits_again: cleared=%lu after_store=%lu\n", a3, ad(W[16]));

    /* Revoke write to page 3 through the window: stores fault, loads not. */
    W[3] = PTE(DATA + 3 * PAGE, PTE_V | PTE_R | PTE_A);
    sfence_va(F + 0x3000);
    probe_store("store_after_revoke", F + 0x3008, 1);
    probe_load("load_after_revoke", F + 0x3008);

    /* The window unmaps itself. */
    W[0] = 0;
    sfence_va(F);
    probe_load("window_unmapped", F + 0x8);
    probe_load("page1_still_mapped", F + 0x1008);
    l0[0] = PTE(l0, PTE_V | PTE_R | PTE_A);     /* again, read-only */
    sfence_va(F);
    gprintf("case window_again: pte1=%s\n", W[1] == PTE(DATA + PAGE, PTE_RW) ? "as written" : "OTHER");
    probe_store("window_read_only_store", F + 0x8, 0);
    fp_expect("the edits through the window", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
