/* Issue 15 item 3: lodger's first portion serves the guest kernel's
 * commonest patched sites, the interrupt-enable toggles (csrrci rd,
 * sstatus, SIE; csrsi sstatus, SIE), in a lane of its own before saving the
 * guest's registers. The guest must not be able to tell: each site reads
 * and writes sstatus as natively, whatever its rd (the lane keeps t0-t2 in
 * the frame, sp in sscratch, the others in the hart), with FS Off, Initial,
 * Clean and Dirty (made Dirty by the guest's own FP use, without a trap:
 * SD must follow), paged and bare; and setting SIE while an interrupt is
 * pending and enabled takes it right after the site, every time. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern unsigned long sie_loop(unsigned long n);
extern unsigned long sie_pending(void);

#define ROUNDS 600

static void rounds(const char *name, unsigned long fs)
{
    csr_clear(sstatus, SSTATUS_FS | SSTATUS_SIE);
    csr_set(sstatus, fs);
    if (fs == (2UL << 13)) {
        /* Clean, then an FP write: the hart makes it Dirty, no trap. */
        __asm__ volatile("fmv.d.x f1, %0" :: "r"(0x1234UL));
    }
    unsigned long sum = sie_loop(ROUNDS);
    unsigned long s = csr_read(sstatus);
    gprintf("%s: sum 0x%lx sstatus SIE %lu FS %lu SD %lu\n", name, sum, (s >> 1) & 1,
            (s >> 13) & 3, s >> 63);
}

static void pending(const char *name)
{
    int taken = 0, right = 0;
    for (int i = 0; i < 200; i++) {
        int before = last_trap.count;
        csr_set(sie, 1UL << IRQ_SSI);
        csr_set(sip, 1UL << IRQ_SSI);
        unsigned long next = sie_pending();
        taken += last_trap.count - before;
        right += last_trap.count - before == 1 && last_trap.sepc == next &&
                 last_trap.scause == (1UL << 63 | IRQ_SSI);
        csr_clear(sip, 1UL << IRQ_SSI);
    }
    gprintf("%s: pending interrupts taken %d, right after the site %d\n", name, taken, right);
    CHECK(taken == 200 && right == 200);
}

int guest_main(void)
{
    gprintf("=== begin: patch_sie ===\n");
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
    csr_clear(sstatus, SSTATUS_SIE);
    return failures;
}
