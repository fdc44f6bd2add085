/* WARL behaviour of the supervisor CSRs: what sticks when a guest writes
 * every bit, and what a reserved value does. Each "case" line is the value
 * the hart kept (privileged spec 4.1). */
#include "../lib/guest.h"

/* Bits this guest may print from sstatus: never VS (lodger hides V) and SD
 * only as computed from FS (VS is never written here, so it stays 0). */
#define SSTATUS_SHOWN (~SSTATUS_VS)

static void sstatus_cases(void)
{
    unsigned long saved = csr_read(sstatus);
    /* Every bit except VS and UXL (writing a UXL other than 2 is a QEMU
     * choice, not the architecture's). */
    unsigned long ones = ~(SSTATUS_VS | SSTATUS_UXL);
    csr_write(sstatus, ones);
    unsigned long got = csr_read(sstatus);
    csr_write(sstatus, saved);
    /* SIE is among the ones: no interrupt is enabled in sie, so none is taken. */
    gprintf("case sstatus_write_ones: 0x%lx\n", got & SSTATUS_SHOWN);

    csr_write(sstatus, 0);
    got = csr_read(sstatus);
    csr_write(sstatus, saved);
    gprintf("case sstatus_write_zero: 0x%lx\n", got & SSTATUS_SHOWN);
    gprintf("case sstatus_uxl: %lu\n", (got & SSTATUS_UXL) >> 32);

    static const struct { const char *name; unsigned long bit; } bits[] = {
        { "sie", SSTATUS_SIE }, { "spie", SSTATUS_SPIE }, { "ube", SSTATUS_UBE },
        { "spp", SSTATUS_SPP }, { "sum", SSTATUS_SUM }, { "mxr", SSTATUS_MXR },
        { "xs", SSTATUS_XS },
    };
    for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        csr_write(sstatus, SSTATUS_FS & saved);
        csr_set(sstatus, bits[i].bit);
        got = csr_read(sstatus) & bits[i].bit;
        csr_write(sstatus, saved);
        gprintf("case sstatus_set_%s: 0x%lx\n", bits[i].name, got);
    }
    /* FS: each value sticks; SD is set iff FS is Dirty. */
    for (unsigned long fs = 0; fs < 4; fs++) {
        csr_write(sstatus, fs << 13);
        got = csr_read(sstatus);
        csr_write(sstatus, saved);
        gprintf("case sstatus_fs%lu: fs=%lu sd=%lu\n", fs, (got & SSTATUS_FS) >> 13, got >> 63);
    }
}

static void interrupt_csr_cases(void)
{
    /* No timer pending: with Sstc natively STIP follows stimecmp. */
    sbi_set_timer(~0UL);
    unsigned long saved_sie = csr_read(sie);
    csr_write(sie, ~0UL);
    gprintf("case sie_write_ones: 0x%lx\n", csr_read(sie));
    csr_write(sie, 0);
    gprintf("case sie_write_zero: 0x%lx\n", csr_read(sie));
    csr_write(sip, ~0UL);
    gprintf("case sip_write_ones: 0x%lx\n", csr_read(sip));
    csr_write(sip, 0);
    gprintf("case sip_write_zero: 0x%lx\n", csr_read(sip));
    csr_write(sie, saved_sie);
}

static void stvec_cases(void)
{
    unsigned long saved = csr_read(stvec);
    unsigned long base = (unsigned long)guest_trap_vector_table;
    csr_write(stvec, base | 1);
    gprintf("case stvec_vectored_readback: %s\n", csr_read(stvec) == (base | 1) ? "base|1" : "other");
    csr_write(stvec, base + 0x104);
    gprintf("case stvec_direct_readback: %s\n", csr_read(stvec) == base + 0x104 ? "base+0x104" : "other");
    csr_write(stvec, saved);
    CHECK(csr_read(stvec) == saved);
}

static void full_width_cases(void)
{
    static const unsigned long values[] = { ~0UL, 0x8000000000000009UL, 0x123456789abcdef0UL, 0 };
    unsigned long saved_scratch = csr_read(sscratch);
    for (unsigned i = 0; i < 4; i++) {
        csr_write(sscratch, values[i]);
        csr_write(stval, values[i]);
        csr_write(scause, values[i]);
        gprintf("case sscratch_%u: 0x%lx\n", i, csr_read(sscratch));
        gprintf("case stval_%u: 0x%lx\n", i, csr_read(stval));
        gprintf("case scause_%u: 0x%lx\n", i, csr_read(scause));
    }
    csr_write(sscratch, saved_scratch);
    /* sepc: bit 0 is not tested (QEMU 7.2 keeps it); bit 1 must stick (C). */
    csr_write(sepc, 0xfedcba9876543212UL);
    gprintf("case sepc_even: 0x%lx\n", csr_read(sepc));
    csr_write(sepc, 0x80200004UL);
    gprintf("case sepc_aligned: 0x%lx\n", csr_read(sepc));
}

static void satp_cases(void)
{
    csr_write(satp, 0);
    gprintf("case satp_bare: 0x%lx\n", csr_read(satp));
    for (unsigned long mode = 1; mode < 8; mode++) {
        csr_write(satp, mode << 60 | 0x80000UL);
        gprintf("case satp_mode%lu: 0x%lx\n", mode, csr_read(satp));
        csr_write(satp, 0);
    }
}

static void counter_env_cases(void)
{
    unsigned long saved = csr_read(scounteren);
    csr_write(scounteren, 7);
    gprintf("case scounteren_7: 0x%lx\n", csr_read(scounteren));
    /* Not all 64 ones: scounteren is 32 bits wide, QEMU 7.2 keeps 64. */
    csr_write(scounteren, 0xffffffffUL);
    /* Its HPM bits may be read-only zero for counters a hart lacks
     * (privileged spec, scounteren: "effectively WARL"): QEMU 10 keeps only
     * its hpmcounter3..18, QEMU 7.2 and lodger all 29. CY, TM and IR stay
     * (both offer them); the HPM bits are printed only if they are not one
     * of those two answers (make test's qemu10 step). */
    unsigned long ones = csr_read(scounteren), hpm = ones & ~7UL;
    gprintf("case scounteren_32ones: 0x%lx, hpm bits %s\n", ones & 7,
            hpm == 0xfffffff8UL || hpm == 0x7fff8UL ? "as written or those of the counters present"
                                                   : "other");
    CHECK(hpm == 0xfffffff8UL || hpm == 0x7fff8UL);
    csr_write(scounteren, 0);
    gprintf("case scounteren_0: 0x%lx\n", csr_read(scounteren));
    csr_write(scounteren, saved);

    int before = last_trap.count;
    unsigned long env = csr_read(senvcfg);
    gprintf("case senvcfg_read: 0x%lx trap=%d\n", env, last_trap.count - before);
}

int guest_main(void)
{
    gprintf("=== begin: csr_warl ===\n");
    sstatus_cases();
    interrupt_csr_cases();
    stvec_cases();
    full_width_cases();
    satp_cases();
    counter_env_cases();
    CHECK(last_trap.count == 0);
    return failures;
}
