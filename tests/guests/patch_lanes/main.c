/* Issue 15 item 3: lodger's first portion serves the guest kernel's patched
 * sstatus and sscratch accesses with a register operand, and its sret back
 * to U-mode, in lanes of their own before saving the guest's registers
 * (entry.S, lanes). The guest must not be able to tell: each site reads and
 * writes as natively, whatever its rd and rs1, with FS Off, Initial, Clean
 * and Dirty (SD must follow), SUM switched on and off, paged and bare;
 * setting SIE while an interrupt is pending and enabled takes it right after
 * the site, every time; and U-mode runs entered by sret many times over. */
#include "../shared/sstatus_sites.h"

extern unsigned long lanes_loop(unsigned long n);
extern unsigned long lanes_pending(void);

#define ROUNDS 600

static void rounds(const char *name, unsigned long fs)
{
    sites_set_fs(fs);
    csr_write(sscratch, 0x5ca7c400UL + fs);
    unsigned long sum = lanes_loop(ROUNDS);
    unsigned long s = csr_read(sstatus);
    gprintf("%s: sum 0x%lx sscratch 0x%lx sstatus SUM %lu FS %lu SD %lu\n", name, sum,
            csr_read(sscratch), (s >> 18) & 1, (s >> 13) & 3, s >> 63);
}

static void user_nop(long arg)
{
    (void)arg;
}

int guest_main(void)
{
    gprintf("=== begin: patch_lanes ===\n");
    csr_write(sie, 0);
    sites_paged_and_bare(rounds, lanes_pending);
    /* U-mode runs: run_user's sret (SPP = U) and its csrc of SPP, each a
     * lone site, then the ecall at user_returned back. */
    int ecalls = 0;
    for (int i = 0; i < 300; i++)
        ecalls += run_user(user_nop, i) == 8;
    gprintf("user runs ended by their ecall: %d\n", ecalls);
    CHECK(ecalls == 300);
    csr_clear(sstatus, SSTATUS_SIE);
    return failures;
}
