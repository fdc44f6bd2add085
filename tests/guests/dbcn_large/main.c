/* A Debug Console write of a large part of guest RAM (SBI spec 12.1:
 * console_write is non-blocking and "may do partial/no writes", returning
 * the number of bytes written). lodger writes a bounded chunk per call, so
 * one guest cannot hold the console for as long as its RAM takes to print:
 * the call returns a count below the length, and the next call goes on.
 * Natively OpenSBI 1.1 has no DBCN (SBI 2.0): probe says 0 and the call
 * returns SBI_ERR_NOT_SUPPORTED. That is the one difference the guest
 * accepts, and both runs print the same line. The written bytes ('.')
 * come before the guest's section, as they differ between the runs. */
#include "../lib/guest.h"

#define SBI_EXT_DBCN 0x4442434E
#define BUF 0x80400000UL
#define LEN (16UL << 20)            /* 16 MiB of the guest's 128 */

int guest_main(void)
{
    char *buf = (char *)BUF;
    for (unsigned long i = 0; i < LEN; i++)
        buf[i] = '.';
    long present = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, 0).value;
    struct sbiret first = sbi_call(SBI_EXT_DBCN, 0, LEN, BUF, 0, 0);
    struct sbiret next = { SBI_ERR_NOT_SUPPORTED, 0 };
    if (!first.error && first.value > 0 && (unsigned long)first.value < LEN)
        next = sbi_call(SBI_EXT_DBCN, 0, LEN - (unsigned long)first.value,
                        BUF + (unsigned long)first.value, 0, 0);
    putstr("\n");

    gprintf("=== begin: dbcn_large ===\n");
    const char *verdict;
    if (!present && first.error == SBI_ERR_NOT_SUPPORTED)
        verdict = "as the spec allows";             /* no DBCN (OpenSBI 1.1) */
    else if (present && !first.error && first.value > 0 && (unsigned long)first.value < LEN &&
             !next.error && next.value > 0 && (unsigned long)next.value <= LEN - (unsigned long)first.value)
        verdict = "as the spec allows";             /* partial writes, each making progress */
    else
        verdict = "no";
    gprintf("case large_write_partial_or_absent: %s\n", verdict);
    if (verdict[0] == 'n') {
        gprintf("probe %ld, first %ld/%ld, next %ld/%ld\n", present, first.error, first.value,
                next.error, next.value);
        failures++;
    }
    return failures;
}
