/* Powers off through QEMU virt's test finisher with "fail, code 3"
 * (0x3333 | 3 << 16): natively QEMU exits with status 3; under lodger the
 * VM ends as a failure naming the code and QEMU exits non-zero (lodger
 * ends the machine through SBI SRST "system failure", which carries no
 * code). tests/run-tests.py checks both statuses and lodger's message. */
#include "../lib/guest.h"

#define FINISHER 0x100000UL

int guest_main(void)
{
    gprintf("=== begin: finisher_fail ===\n");
    gprintf("case fail_code: 3\n");
    gprintf("=== end: FAIL ===\n");
    *(volatile uint32_t *)FINISHER = 0x3333 | (3u << 16);
    gprintf("the fail command returned\n");
    for (;;)
        __asm__ volatile("wfi");
}
