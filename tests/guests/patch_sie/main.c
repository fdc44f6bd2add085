/* Issue 15 item 3: lodger's first portion serves the guest kernel's
 * commonest patched sites, the interrupt-enable toggles (csrrci rd,
 * sstatus, SIE; csrsi sstatus, SIE), in a lane of its own before saving the
 * guest's registers. The guest must not be able to tell: each site reads
 * and writes sstatus as natively, whatever its rd (the lane keeps t0-t2 in
 * the frame, sp in sscratch, the others in the hart), with FS Off, Initial,
 * Clean and Dirty (made Dirty by the guest's own FP use, without a trap:
 * SD must follow), paged and bare; and setting SIE while an interrupt is
 * pending and enabled takes it right after the site, every time. */
#include "../shared/sstatus_sites.h"

extern unsigned long sie_loop(unsigned long n);
extern unsigned long sie_pending(void);

#define ROUNDS 600

static void rounds(const char *name, unsigned long fs)
{
    sites_set_fs(fs);
    unsigned long sum = sie_loop(ROUNDS);
    unsigned long s = csr_read(sstatus);
    gprintf("%s: sum 0x%lx sstatus SIE %lu FS %lu SD %lu\n", name, sum, (s >> 1) & 1,
            (s >> 13) & 3, s >> 63);
}

int guest_main(void)
{
    gprintf("=== begin: patch_sie ===\n");
    csr_write(sie, 0);
    sites_paged_and_bare(rounds, sie_pending);
    csr_clear(sstatus, SSTATUS_SIE);
    return failures;
}
