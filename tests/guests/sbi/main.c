/* SBI calls a guest kernel makes at boot (SBI spec 1.0). Only what OpenSBI
 * 1.1 and lodger must agree on is printed: not the spec version, the
 * implementation, or whether DBCN exists. */
#include "../lib/guest.h"

static void probe(const char *name, unsigned long ext)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0, 0);
    gprintf("case probe_%s: error=%ld present=%d\n", name, r.error, r.value != 0);
}

int guest_main(void)
{
    gprintf("=== begin: sbi ===\n");
    probe("base", SBI_EXT_BASE);
    probe("time", SBI_EXT_TIME);
    probe("ipi", SBI_EXT_IPI);
    probe("rfence", SBI_EXT_RFENCE);
    probe("srst", SBI_EXT_SRST);
    struct sbiret r = sbi_call(SBI_EXT_BASE, 3, 0x0a0b0c0dUL, 0, 0, 0);
    gprintf("case probe_bogus: error=%ld value=%ld\n", r.error, r.value);

    /* Machine ids come from the hart itself: the same natively and under lodger. */
    r = sbi_call(SBI_EXT_BASE, 4, 0, 0, 0, 0);
    gprintf("case mvendorid: error=%ld value=0x%lx\n", r.error, r.value);
    r = sbi_call(SBI_EXT_BASE, 5, 0, 0, 0, 0);
    gprintf("case marchid: error=%ld value=0x%lx\n", r.error, r.value);
    r = sbi_call(SBI_EXT_BASE, 6, 0, 0, 0, 0);
    gprintf("case mimpid: error=%ld value=0x%lx\n", r.error, r.value);

    r = sbi_call(SBI_EXT_BASE, 99, 0, 0, 0, 0);
    gprintf("case base_unknown_fid: error=%ld\n", r.error);
    r = sbi_call(0x0a0b0c0dUL, 0, 0, 0, 0, 0);
    gprintf("case unknown_extension: error=%ld\n", r.error);
    r = sbi_call(SBI_EXT_TIME, 7, 0, 0, 0, 0);
    gprintf("case time_unknown_fid: error=%ld\n", r.error);

    /* SRST with a reserved type must fail, not reset. */
    r = sbi_call(SBI_EXT_SRST, 0, 5, 0, 0, 0);
    gprintf("case srst_reserved_type: error=%ld\n", r.error);
    r = sbi_call(SBI_EXT_SRST, 0, 0, 0x100, 0, 0);
    gprintf("case srst_reserved_reason: error=%ld\n", r.error);

    /* IPI to this hart: sip.SSIP becomes pending (sie is 0: not taken). */
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
    r = sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0);
    int seen = 0;
    for (int i = 0; i < 100000 && !seen; i++)
        seen = (csr_read(sip) & SIP_SSIP) != 0;
    gprintf("case ipi_self: error=%ld ssip=%d\n", r.error, seen);
    csr_clear(sip, SIP_SSIP);
    r = sbi_call(SBI_EXT_IPI, 0, 1, 100, 0, 0);
    gprintf("case ipi_bad_base: error=%ld ssip=0x%lx\n", r.error, csr_read(sip) & SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    /* hart_mask_base = -1: every hart. */
    r = sbi_call(SBI_EXT_IPI, 0, 0, ~0UL, 0, 0);
    seen = 0;
    for (int i = 0; i < 100000 && !seen; i++)
        seen = (csr_read(sip) & SIP_SSIP) != 0;
    gprintf("case ipi_all: error=%ld ssip=%d\n", r.error, seen);

    /* Legacy IPI calls: send to self (mask by address), then clear. */
    csr_clear(sip, SIP_SSIP);
    static unsigned long mask = 1;
    r = sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, (unsigned long)&mask, 0, 0, 0);
    seen = 0;
    for (int i = 0; i < 100000 && !seen; i++)
        seen = (csr_read(sip) & SIP_SSIP) != 0;
    gprintf("case legacy_send_ipi: ret=%ld ssip=%d\n", r.error, seen);
    r = sbi_call(SBI_EXT_LEGACY_CLEAR_IPI, 0, 0, 0, 0, 0);
    gprintf("case legacy_clear_ipi: ret=%ld ssip=0x%lx\n", r.error, csr_read(sip) & SIP_SSIP);

    /* Remote fences on this hart alone. */
    r = sbi_call(SBI_EXT_RFENCE, 0, 1, 0, 0, 0);
    gprintf("case rfence_fence_i_self: error=%ld\n", r.error);
    r = sbi_call(SBI_EXT_RFENCE, 1, 1, 0, 0, ~0UL);
    gprintf("case rfence_sfence_vma_self: error=%ld\n", r.error);
    r = sbi_call(SBI_EXT_RFENCE, 2, 1, 0, 0, ~0UL);
    gprintf("case rfence_sfence_vma_asid_self: error=%ld\n", r.error);

    /* Legacy console putchar: the characters appear, the call returns 0. */
    const char *s = "case legacy_putchar: ok\n";
    long ret = 0;
    while (*s)
        ret |= sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)*s++, 0, 0, 0).error;
    gprintf("case legacy_putchar_ret: %ld\n", ret);
    return failures;
}
