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

#endif
