/* Issue 15 item 3: lodger's first portion serves the guest kernel's patched
 * sstatus and sscratch accesses with a register operand, and its sret back
 * to U-mode, in lanes of their own before saving the guest's registers
 * (entry.S, lanes). The guest must not be able to tell: each site reads and
 * writes as natively, whatever its rd and rs1, with FS Off, Initial, Clean
 * and Dirty (SD must follow), SUM switched on and off, paged and bare;
 * setting SIE while an interrupt is pending and enabled takes it right after
 * the site, every time; and U-mode runs entered by sret many times over. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern unsigned long lanes_loop(unsigned long n);
extern unsigned long lanes_pending(void);

#define ROUNDS 600

static void rounds(const char *name, unsigned long fs)
{
    csr_clear(sstatus, SSTATUS_FS | SSTATUS_SIE);
    csr_set(sstatus, fs);
    if (fs == (2UL << 13)) {
        /* Clean, then an FP write: the hart makes it Dirty, no trap. */
        __asm__ volatile("fmv.d.x f1, %0" :: "r"(0x1234UL));
    }
    csr_write(sscratch, 0x5ca7c400UL + fs);
    unsigned long sum = lanes_loop(ROUNDS);
    unsigned long s = csr_read(sstatus);
    gprintf("%s: sum 0x%lx sscratch 0x%lx sstatus SUM %lu FS %lu SD %lu\n", name, sum,
            csr_read(sscratch), (s >> 18) & 1, (s >> 13) & 3, s >> 63);
}

static void pending(const char *name)
{
    int taken = 0, right = 0;
    for (int i = 0; i < 200; i++) {
        int before = last_trap.count;
        csr_set(sie, 1UL << IRQ_SSI);
        csr_set(sip, 1UL << IRQ_SSI);
        unsigned long next = lanes_pending();
        taken += last_trap.count - before;
        right += last_trap.count - before == 1 && last_trap.sepc == next &&
                 last_trap.scause == (1UL << 63 | IRQ_SSI);
        csr_clear(sip, 1UL << IRQ_SSI);
    }
    gprintf("%s: pending interrupts taken %d, right after the site %d\n", name, taken, right);
    CHECK(taken == 200 && right == 200);
}

static void user_nop(long arg)
{
    (void)arg;
}

int guest_main(void)
{
    gprintf("=== begin: patch_lanes ===\n");
    csr_write(sie, 0);
    int levels = guest_levels();
    if (levels > 3)
        levels = 3;
    unsigned long *root = pt_alloc();
    pt_map_identity(root, levels);
    satp_switch(satp_of(root, levels, 0));
    static const char *const names[] = { "paged FS off", "paged FS initial",
                                         "paged FS clean+write", "paged FS dirty" };
    for (unsigned long fs = 0; fs < 4; fs++)
        rounds(names[fs], fs << 13);
    pending("paged");
    satp_switch(0);
    rounds("bare FS dirty", 3UL << 13);
    pending("bare");
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
