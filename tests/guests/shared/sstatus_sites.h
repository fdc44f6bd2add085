/* What patch_sie and patch_lanes share: each runs its loop of patched
 * sstatus sites with every FS state, paged and bare, and checks that an
 * interrupt made deliverable by a site's SIE set is taken right after it. */
#ifndef GUESTS_SHARED_SSTATUS_SITES_H
#define GUESTS_SHARED_SSTATUS_SITES_H

#include "../lib/guest.h"
#include "../lib/pagetable.h"

/* sstatus.FS = fs (and SIE off); FS Clean is then made Dirty by an FP
 * write, which the hart does without a trap. */
static inline void sites_set_fs(unsigned long fs)
{
    csr_clear(sstatus, SSTATUS_FS | SSTATUS_SIE);
    csr_set(sstatus, fs);
    if (fs == (2UL << 13)) {
        /* Clean, then an FP write: the hart makes it Dirty, no trap. */
        __asm__ volatile("fmv.d.x f1, %0" :: "r"(0x1234UL));
    }
}

/* site() sets SIE at a patched site and returns the address after it:
 * with a software interrupt pending and enabled, it is taken there, once. */
static inline void sites_pending(const char *name, unsigned long (*site)(void))
{
    int taken = 0, right = 0;
    for (int i = 0; i < 200; i++) {
        int before = last_trap.count;
        csr_set(sie, 1UL << IRQ_SSI);
        csr_set(sip, 1UL << IRQ_SSI);
        unsigned long next = site();
        taken += last_trap.count - before;
        right += last_trap.count - before == 1 && last_trap.sepc == next &&
                 last_trap.scause == (1UL << 63 | IRQ_SSI);
        csr_clear(sip, 1UL << IRQ_SSI);
    }
    gprintf("%s: pending interrupts taken %d, right after the site %d\n", name, taken, right);
    CHECK(taken == 200 && right == 200);
}

/* rounds() with FS Off, Initial, Clean (made Dirty) and Dirty under an
 * identity-mapped table, then the pending check; then translation off,
 * rounds with FS Dirty and the pending check again. Ends bare. */
static inline void sites_paged_and_bare(void (*rounds)(const char *name, unsigned long fs),
                                        unsigned long (*site)(void))
{
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
    sites_pending("paged", site);
    satp_switch(0);
    rounds("bare FS dirty", 3UL << 13);
    sites_pending("bare", site);
}

#endif
