/* The guest maps the first portion's places with superpages (run-options:
 * --first-portion 0x403f8000, which straddles a 2 MiB boundary). An Sv57
 * guest maps a 1 GiB page at 0x40000000 (guest RAM at 0x80000000) and
 * touches it around the place before touching the place itself (lodger's
 * shadow may use 2 MiB blocks only where they miss its first portion); then,
 * as in fp_chase, it maps with 2 MiB pages and touches, one after the other,
 * the places lodger relocates its first portion to. After each first touch
 * the superpage must read, in virtual and in physical, as the same memory.
 * Under lodger the 2 MiB places are where its first portion is (counter
 * 54); the accesses around the forced place must not be conflicts, and
 * each first touch must be one conflict and one relocation to an unused
 * region (lib/counters.h). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 48
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define F 0x403f8000UL              /* = --first-portion in run-options */
#define GIGA_VA 0x40000000UL        /* -> 0x80000000 */
#define NMEGA 6
/* Where lodger relocates to on an Sv57 host today: natively; under lodger
 * each is where the first portion is when its turn comes (counter 54). */
static unsigned long mega_place[NMEGA] = {
    0xff00000040000000UL,
    0x00ffffffbfff0000UL,
    0xffff800040000000UL,
    0x00007fffbfff0000UL,
    0xffffffc040000000UL,
    0x0000003fbfff0000UL,
};
#define MEGA_PA(k) (0x80600000UL + (unsigned long)(k) * MEGA2)
#define STEP 64UL                   /* one word in 64 bytes is written and checked */

extern char guest_end[];
static unsigned long *root;

static unsigned long pattern(unsigned long pa) { return 0x5e9a000000000000UL ^ pa * 0x100000001UL; }

static void fill(unsigned long pa, unsigned long size)
{
    for (unsigned long off = 0; off < size; off += STEP)
        *(volatile unsigned long *)(pa + off) = pattern(pa + off);
}

/* Checked words of [va, va + size) -> pa whose virtual view is not the
 * physical one; *not_pattern: those whose physical word is not the pattern. */
static unsigned long check(unsigned long va, unsigned long pa, unsigned long size, unsigned long *not_pattern)
{
    unsigned long bad = 0;
    *not_pattern = 0;
    for (unsigned long off = 0; off < size; off += STEP) {
        unsigned long p = *(volatile unsigned long *)(pa + off);
        bad += *(volatile unsigned long *)(va + off) != p;
        *not_pattern += p != pattern(pa + off);
    }
    return bad;
}

static unsigned long ld(unsigned long va) { return *(volatile unsigned long *)va; }

int guest_main(void)
{
    gprintf("=== begin: fp_superpage ===\n");
    gprintf("case image_below: %s\n", (unsigned long)guest_end < 0x803e0000UL ? "yes" : "no");
    fill(0x803e0000UL, 0x40000);                    /* around the place */
    fill(0x80400000UL, 0x200000);                   /* VA 0x40400000.. */
    for (int k = 0; k < NMEGA; k++)
        fill(MEGA_PA(k), MEGA2);

    root = pt_alloc();
    pt_map_identity(root, guest_levels());
    *pt_slot(root, guest_levels(), GIGA_VA, 2) = PTE(0x80000000UL, PTE_RWX);
    unsigned long satp = satp_of(root, guest_levels(), 0);
    satp_switch(satp);
    gprintf("case sv%d: %s\n", 12 + 9 * guest_levels(), csr_read(satp) == satp ? "as written" : "not supported");
    if (csr_read(satp) != satp)
        return failures;

    /* Around the place first: 2 MiB away, the 2 MiB blocks it overlaps,
     * the pages on either side. */
    /* The listed places of the guest's paging mode (guest.levels=3 caps it
     * at Sv39, as lodger on a U74): the others are left out, natively and
     * under lodger alike. */
    int fits[NMEGA];
    for (int k = 0; k < NMEGA; k++) {
        int shift = 64 - (12 + 9 * guest_levels());
        fits[k] = (long)(mega_place[k] << shift) >> shift == (long)mega_place[k];
    }
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long va[5] = { 0x40500000UL, 0x40201000UL, 0x405ff000UL, 0x403f7ff8UL, 0x40408000UL };
    unsigned long bad = 0;
    for (int i = 0; i < 5; i++)
        bad += ld(va[i]) != ld(va[i] + 0x40000000UL);     /* the identity view */
    gprintf("case giga_around_place: mismatches=%lu\n", bad);
    fp_expect("the accesses around the place", &counts, FP_NOTHING);
    /* The place: its page above the 2 MiB boundary first, by a store. */
    *(volatile unsigned long *)0x40400040UL = 0x61;
    gprintf("case giga_place_store: 0x%lx physical=0x%lx\n", ld(0x40400040UL), ld(0x80400040UL));
    fp_expect("the first store to the place", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    unsigned long np, inc = check(0x403e0000UL, 0x803e0000UL, 0x40000, &np);
    gprintf("case giga_place_consistent: inconsistent=%lu not_pattern=%lu\n", inc, np);
    /* A misaligned load across the 2 MiB boundary inside the place. */
    unsigned long m = ld(0x403ffffcUL);
    gprintf("case giga_misaligned_across_2m: %s\n",
            m == (ld(0x803ffff8UL) >> 32 | ld(0x80400000UL) << 32) ? "ok" : "WRONG");

    fp_expect("the accesses after the conflict", &counts, FP_NOTHING);

    for (int k = 0; k < NMEGA; k++) if (fits[k]) {
        first_portion_place(&mega_place[k]);
        unsigned long base = mega_place[k] & ~(MEGA2 - 1), place = mega_place[k];
        *pt_slot(root, guest_levels(), base, 1) = PTE(MEGA_PA(k), PTE_RWX);
        sfence_all();
        unsigned long pa = MEGA_PA(k) + (place - base);
        unsigned long first = 0;
        switch (k % 3) {
        case 0:     /* a load */
            first = ld(place + 0x2000);
            first = first == pattern(pa + 0x2000);
            break;
        case 1:     /* a store */
            *(volatile unsigned long *)(place + 0xff00) = 0x5170;
            first = ld(pa + 0xff00) == 0x5170;
            break;
        case 2: {   /* an AMO */
            unsigned long old;
            __asm__ volatile("amoor.d %0, %2, (%1)" : "=r"(old) : "r"(place + 0x1040), "r"(1UL) : "memory");
            first = old == pattern(pa + 0x1040) && ld(pa + 0x1040) == (old | 1);
            break;
        }
        }
        inc = check(base, MEGA_PA(k), MEGA2, &np);
        fp_expect_n("the first touch of 2 MiB place", k, &counts, FP_ONE_CONFLICT_TO_UNUSED);
        gprintf("case mega%d: first_touch=%s inconsistent=%lu not_pattern=%lu\n", k,
                first ? "ok" : "WRONG", inc, np);
    }
    bad = 0;
    inc = check(0x403e0000UL, 0x803e0000UL, 0x40000, &np);
    for (int k = 0; k < NMEGA; k++) if (fits[k]) {
        unsigned long n2;
        inc += check(mega_place[k] & ~(MEGA2 - 1), MEGA_PA(k), MEGA2, &n2);
        np += n2;
    }
    gprintf("case all_after_chase: inconsistent=%lu not_pattern=%lu\n", inc, np);
    fp_expect("the chase", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
