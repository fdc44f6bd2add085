/* The places fp_* guests map, one after the other: the forced first-portion
 * place (run-options --first-portion 0x40000000), then, under lodger, each
 * place where lodger's first portion went after the conflict at the one
 * before (counter 54, lib/counters.h: follow_place), so that every first
 * touch of a place meets the first portion again whatever the host's paging
 * mode and lodger's relocation policy. Natively there is no first portion:
 * the list below stands in (lodger's preferred places on an Sv57 host:
 * src/core/reloc.c, for each of Sv57, Sv48 and Sv39, 1 GiB above the bottom
 * of the kernel half and 1 GiB + 64 KiB below the top of the user half).
 * A guest prints no address of a place other than the forced one: the
 * places may differ natively and under lodger. */
#ifndef LODGER_TEST_FP_PLACES_H
#define LODGER_TEST_FP_PLACES_H

#include "../lib/counters.h"

#define NREGIONS 7
#define FP_LISTED_PLACES {                                              \
    0x0000000040000000UL,           /* = --first-portion in run-options */ \
    0xff00000040000000UL,                                               \
    0x00ffffffbfff0000UL,                                               \
    0xffff800040000000UL,                                               \
    0x00007fffbfff0000UL,                                               \
    0xffffffc040000000UL,                                               \
    0x0000003fbfff0000UL,                                               \
}
static unsigned long region[NREGIONS] = FP_LISTED_PLACES;
static const unsigned long listed_region[NREGIONS] = FP_LISTED_PLACES;

/* Place k, to be mapped next: under lodger where the first portion is now
 * (region[k] becomes it), natively region[k] as listed. */
static inline unsigned long follow_place(int k)
{
    unsigned long va;
    if (first_portion_place(&va))
        region[k] = va;
    return region[k];
}

/* Whether listed place k is an address of the guest's paging mode
 * (lib/guest.h's guest_levels(): Sv39 when capped like lodger on a U74);
 * the others are left out, natively and under lodger alike (the listed
 * place decides, not the one follow_place found). */
static inline int region_fits(int k)
{
    int shift = 64 - (12 + 9 * guest_levels());
    return (long)(listed_region[k] << shift) >> shift == (long)listed_region[k];
}

#endif
