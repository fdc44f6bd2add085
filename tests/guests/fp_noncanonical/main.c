/* The first portion forced at 512 GiB (run-options: --first-portion
 * 0x8000000000): canonical for Sv48 and Sv57, not for Sv39. An Sv39 guest
 * that maps VA 0 (which 512 GiB would alias if bit 39 were dropped) gets
 * page faults there, as natively, and no conflict; Bare mode gets access
 * faults (no memory at 512 GiB). Then an Sv48 guest maps the place and
 * uses it (the conflict), and Sv39 still faults there afterwards. Under
 * lodger (lib/counters.h): no fault is a conflict; the Sv48 accesses are
 * exactly one, with one relocation to an unused region, if the first
 * portion is at F then (counter 54), else none. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0x8000000000UL            /* = --first-portion in run-options */
#define DATA 0x80400000UL

static unsigned long rd(unsigned long va)
{
    unsigned long v;
    __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(va) : "memory");
    return v;
}

static void probes(const char *p0, const char *p1, const char *p2, const char *p3, const char *p4)
{
    probe_load(p0, F + 0x10);
    probe_store(p1, F + 0x2008, 1);
    probe_amo(p2, F + 0x3000);
    probe_fetch(p3, F);
    probe_load(p4, F + 0xfff8);
}

int guest_main(void)
{
    gprintf("=== begin: fp_noncanonical ===\n");
    for (unsigned long off = 0; off < 0x20000; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0x9c000000UL + off;
    struct fp_counts counts;
    fp_counts_read(&counts);
    probes("bare_load", "bare_store", "bare_amo", "bare_fetch", "bare_load_last");

    unsigned long *r39 = pt_alloc();
    pt_map_identity(r39, 3);
    pt_map(r39, 3, 0, DATA, 0x10000, PTE_RWX);
    pt_map(r39, 3, 0xffffffc000000000UL, DATA, 0x10000, PTE_RW);
    satp_switch(satp_of(r39, 3, 1));
    gprintf("case sv39_va0: 0x%lx kernel_half=0x%lx\n", rd(0x10), rd(0xffffffc000000018UL));
    probes("sv39_load", "sv39_store", "sv39_amo", "sv39_fetch", "sv39_load_last");
    probe_load("sv39_load_bit38_set", 0x4000000010UL);
    fp_expect("the Bare and Sv39 faults", &counts, FP_NOTHING);
    /* Under lodger: is the first portion at F (on a host whose paging
     * makes F canonical, --first-portion puts it there)? */
    unsigned long place = 0;
    int at_f = first_portion_place(&place) && place == F;

    unsigned long *r48 = pt_alloc();
    pt_map_identity(r48, 4);
    pt_map(r48, 4, F, DATA + 0x10000, 0x10000, PTE_RWX);
    pt_map(r48, 4, 0, DATA, 0x10000, PTE_RW);
    satp_switch(satp_of(r48, 4, 2));
    gprintf("case sv48_load: 0x%lx\n", *(volatile unsigned long *)(F + 0x10));    /* the conflict */
    *(volatile unsigned long *)(F + 0x2008) = 0x48;
    unsigned long bad = 0;
    for (unsigned long off = 0; off < 0x10000; off += 8)
        bad += *(volatile unsigned long *)(F + off) != *(volatile unsigned long *)(DATA + 0x10000 + off);
    gprintf("case sv48_place_consistent: mismatches=%lu store=0x%lx\n", bad,
            *(volatile unsigned long *)(DATA + 0x12008));
    fp_expect("the Sv48 accesses", &counts, at_f ? FP_ONE_CONFLICT_TO_UNUSED : FP_NOTHING);

    satp_switch(satp_of(r39, 3, 1));
    probes("sv39_again_load", "sv39_again_store", "sv39_again_amo", "sv39_again_fetch",
           "sv39_again_load_last");
    gprintf("case sv39_again_va0: 0x%lx\n", rd(0x2008));
    satp_switch(0);
    probes("bare_again_load", "bare_again_store", "bare_again_amo", "bare_again_fetch",
           "bare_again_load_last");
    fp_expect("the faults after", &counts, FP_NOTHING);
    return failures;
}
