/* The first portion forced onto the 64 KiB just below the last 64 KiB of
 * the address space (run-options: --first-portion 0xfffffffffffe0000), the
 * top of the kernel half in every mode. Sv39, then Sv48 and Sv57, guests map
 * [2^64 - 128 KiB, 2^64 - 64 KiB) (under lodger the first store there is the
 * conflict), miss the last 64 KiB, then map it and use it up to the very
 * last byte. (A first portion forced onto the last 64 KiB itself, whose end
 * wraps to 0, is refused: run-tests.py's image checks.) Under lodger (lib/counters.h):
 * while the first portion is up there (counter 54), a mode's accesses must
 * be exactly one conflict and one relocation to an unused region, else
 * none; the miss of the last 64 KiB is never one. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0xffffffffffff0000UL      /* the last 64 KiB */
#define LO 0xfffffffffffe0000UL     /* = --first-portion; mapped: [LO, 2^64) */
#define DATA 0x80400000UL

static unsigned long pattern(unsigned long va, int levels) { return 0x7095000000000000UL ^ va ^ (unsigned long)levels << 40; }

int guest_main(void)
{
    gprintf("=== begin: fp_near_top ===\n");
    struct fp_counts counts;
    fp_counts_read(&counts);
    for (int levels = 3; levels <= guest_levels(); levels++) {
        /* Under lodger: whether the first portion is still up there (it
         * is for the first mode; after that, lodger chose its place). */
        unsigned long place = 0;
        int up_there = first_portion_place(&place) && place >= LO;
        if (levels == 3 && under_lodger())
            CHECK(place == LO);     /* --first-portion */
        unsigned long *root = pt_alloc();
        pt_map_identity(root, levels);
        pt_map(root, levels, LO, DATA, 0x10000, PTE_RW);     /* only the lower half */
        satp_switch(satp_of(root, levels, 0));
        for (unsigned long va = LO; va; va += 8)
            if (va < F)
                *(volatile unsigned long *)va = pattern(va, levels);
        char name[32] = "svNN_unmapped_last_word";
        name[2] = (char)('0' + (12 + 9 * levels) / 10);
        name[3] = (char)('0' + (12 + 9 * levels) % 10);
        probe_load(name, 0xfffffffffffffff8UL);
        name[4] = 0;
        pt_map(root, levels, F, DATA + 0x10000, 0x10000, PTE_RWX);
        sfence_all();
        *(volatile unsigned long *)0xfffffffffffffff8UL = pattern(0xfffffffffffffff8UL, levels);
        for (unsigned long va = F; va; va += 8)
            if (va != 0xfffffffffffffff8UL)
                *(volatile unsigned long *)va = pattern(va, levels);
        unsigned long bad = 0, pbad = 0;
        for (unsigned long va = LO; va; va += 8) {
            bad += *(volatile unsigned long *)va != pattern(va, levels);
            pbad += *(volatile unsigned long *)(DATA + (va - LO)) != pattern(va, levels);
        }
        unsigned char last = *(volatile unsigned char *)0xffffffffffffffffUL;
        gprintf("case %s_top_128k: mismatches=%lu physical=%lu last_byte=0x%x\n", name, bad, pbad, last);
        satp_switch(0);
        fp_expect_n("the top 128 KiB in mode", levels, &counts,
                    up_there ? FP_ONE_CONFLICT_TO_UNUSED : FP_NOTHING);
    }
    return failures;
}
