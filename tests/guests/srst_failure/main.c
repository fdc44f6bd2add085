/* A guest that resets after a system failure (SBI SRST cold reboot, reason
 * "system failure", SBI spec 10.1). lodger reports it and ends the VM as a
 * failure (QEMU exits non-zero) instead of rebooting it into the same
 * failure: the runner checks lodger's exit status for a guest whose section
 * ends in FAIL. Natively OpenSBI resets and QEMU (-no-reboot) exits. A
 * rebooted VM would print this section again, and again, until the runner's
 * timeout. */
#include "../lib/guest.h"

int guest_main(void)
{
    gprintf("=== begin: srst_failure ===\n");
    gprintf("case reset_after_failure: asked\n");
    gprintf("=== end: FAIL ===\n");
    struct sbiret r = sbi_call(SBI_EXT_SRST, 0, 1 /* cold reboot */, 1 /* system failure */, 0, 0);
    gprintf("SRST returned: error %ld\n", r.error);
    for (;;)
        __asm__ volatile("wfi");
}
