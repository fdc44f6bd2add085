/* The places fp_* guests map, one after the other: the forced first-portion
 * place (run-options --first-portion 0x40000000), then those lodger prefers
 * when it relocates its first portion (src/core/reloc.c: for each of Sv57,
 * Sv48 and Sv39, 1 GiB above the bottom of the kernel half and 1 GiB + 64 KiB
 * below the top of the user half). */
#ifndef LODGER_TEST_FP_PLACES_H
#define LODGER_TEST_FP_PLACES_H

#define NREGIONS 7
static const unsigned long region[NREGIONS] = {
    0x0000000040000000UL,           /* = --first-portion in run-options */
    0xff00000040000000UL,
    0x00ffffffbfff0000UL,
    0xffff800040000000UL,
    0x00007fffbfff0000UL,
    0xffffffc040000000UL,
    0x0000003fbfff0000UL,
};

/* Whether place k is an address of the guest's paging mode (lib/guest.h's
 * guest_levels(): Sv39 when capped like lodger on a U74); the others are
 * left out, natively and under lodger alike. */
static inline int region_fits(int k)
{
    int shift = 64 - (12 + 9 * guest_levels());
    return (long)(region[k] << shift) >> shift == (long)region[k];
}

#endif
