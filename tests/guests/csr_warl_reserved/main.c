/* WARL corners where lodger and the host hart disagree (found by the
 * csr_warl guest): stvec written with a reserved MODE, senvcfg's fields. */
#include "../lib/guest.h"

int guest_main(void)
{
    gprintf("=== begin: csr_warl_reserved ===\n");
    unsigned long saved = csr_read(stvec);
    unsigned long base = (unsigned long)guest_trap_vector_table;
    /* MODE 2 and 3 are reserved (privileged spec 4.1.2): QEMU ignores the
     * whole write; stvec keeps its old value. */
    for (unsigned long mode = 2; mode < 4; mode++) {
        csr_write(stvec, base);
        csr_write(stvec, (base + 0x100) | mode);
        unsigned long got = csr_read(stvec);
        gprintf("case stvec_mode%lu: %s mode=%lu\n", mode,
                got == base ? "unchanged" : (got & ~3UL) == base + 0x100 ? "new base" : "other",
                got & 3);
    }
    csr_write(stvec, saved);

    /* senvcfg.FIOM (bit 0) is writable on the host. */
    csr_write(senvcfg, 1);
    gprintf("case senvcfg_fiom: 0x%lx\n", csr_read(senvcfg));
    /* All ones: FIOM and the Zicbom/Zicboz enables CBIE, CBCFE, CBZE stick. */
    csr_write(senvcfg, ~0UL);
    /* Allowed difference: QEMU 7.2 has Zicbom/Zicboz, so CBIE/CBCFE/CBZE
     * (bits 4-7) are writable natively; lodger does not offer those
     * extensions (they are not in its guest DT), so the bits read 0 there. */
    gprintf("case senvcfg_ones: 0x%lx\n", csr_read(senvcfg) & ~0xf0UL);
    csr_write(senvcfg, 0);
    CHECK(last_trap.count == 0);
    return failures;
}
