/* The first portion forced at virtual address 0 (run-options:
 * --first-portion 0). An Sv39 guest first leaves page 0 unmapped (a NULL
 * dereference must be its own page fault, as natively), then maps
 * [0, 128 KiB) to its RAM and uses it: the first touch is the conflict.
 * Under lodger (lib/counters.h): the NULL faults are no conflict, page 1's
 * load exactly one (one relocation to an unused region), nothing after. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define DATA 0x80400000UL

static unsigned long ld(unsigned long va)
{
    unsigned long v;
    __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(va) : "memory");
    return v;
}
static void sd(unsigned long va, unsigned long v) { __asm__ volatile("sd %0, 0(%1)" :: "r"(v), "r"(va) : "memory"); }

int guest_main(void)
{
    gprintf("=== begin: fp_zero ===\n");
    for (unsigned long off = 0; off < 0x20000; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0x2e50000000000000UL | off;
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, 0x1000, DATA + 0x1000, 0x1f000, PTE_RW);   /* all but page 0 */
    satp_switch(satp_of(root, 3, 0));
    struct fp_counts counts;
    fp_counts_read(&counts);
    probe_load("null_load", 0);
    probe_store("null_store", 8, 1);
    probe_fetch("null_fetch", 0);
    fp_expect("the NULL accesses", &counts, FP_NOTHING);
    /* Page 1 is mapped: the conflict. */
    gprintf("case page1_load: 0x%lx\n", ld(0x1008));
    fp_expect("page 1's load", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    probe_load("null_load_after", 0x10);
    pt_map(root, 3, 0, DATA, PAGE, PTE_RW);
    sfence_va(0);
    gprintf("case page0_mapped: 0x%lx\n", ld(0x18));
    sd(0, 0x2e50);
    unsigned long bad = 0;
    for (unsigned long off = 8; off < 0x20000; off += 8)
        bad += ld(off) != (0x2e50000000000000UL | off);
    gprintf("case range: word0=0x%lx mismatches=%lu physical0=0x%lx\n", ld(0), bad,
            *(volatile unsigned long *)DATA);
    fp_expect("the rest", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
