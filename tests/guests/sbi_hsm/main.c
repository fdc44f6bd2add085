/* SBI HSM (hart state management, SBI spec 1.0 chapter 9) as seen by a
 * one-hart guest: the extension is present, this hart is started, other
 * hart ids are invalid, starting a started hart fails. */
#include "../lib/guest.h"

int guest_main(void)
{
    gprintf("=== begin: sbi_hsm ===\n");
    struct sbiret r = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_HSM, 0, 0, 0);
    gprintf("case probe_hsm: error=%ld present=%d\n", r.error, r.value != 0);
    /* HSM: this hart (the boot hart, 0) is started; hart 100 does not exist. */
    r = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    gprintf("case hsm_status_self: error=%ld value=%ld\n", r.error, r.value);
    r = sbi_call(SBI_EXT_HSM, 2, 100, 0, 0, 0);
    gprintf("case hsm_status_hart100: error=%ld\n", r.error);
    r = sbi_call(SBI_EXT_HSM, 0, 0, 0x80200000UL, 0, 0);
    gprintf("case hsm_start_self: error=%ld\n", r.error);

    /* hart_suspend with a reserved suspend type. */
    r = sbi_call(SBI_EXT_HSM, 3, 0x12345, 0, 0, 0);
    gprintf("case hsm_suspend_reserved_type: error=%ld\n", r.error);
    return failures;
}
