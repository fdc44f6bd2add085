/* More address spaces than a process and its kernel views fit in a small
 * shadow cache: 24 page tables, each with its own ASID, switched with satp
 * writes alone (tables never change after the one fence that follows their
 * building, so no further fence is needed: privileged spec 4.2.1). Each
 * space maps page VA onto its own physical page; the guest cycles through
 * them and checks that it reads each space's own page.
 *
 * Under lodger, once every space has run, further rounds must fill no
 * shadow entries (counter 38): the shadows stay cached. With a cache of 16
 * shadows, a dozen runnable processes (2-3 views each: systemd 257's
 * generators at boot) evicted one another's shadows at every switch and
 * every page they touched faulted into lodger again: 40 times slower than
 * natively, past systemd's generator timeout. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 80            /* 24 spaces * 3 tables */
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define NSPACES 24
#define ROUNDS 8
#define VA 0x40000000UL
#define DATA 0x80600000UL           /* space i's page: DATA + i * PAGE */
#define LC_SHADOW_FILLS 38

static unsigned long satps[NSPACES];

/* One round: every space in turn, under its own ASID, without a fence.
 * Returns how many reads saw another space's page. */
static int round_all(void)
{
    int wrong = 0;
    for (int i = 0; i < NSPACES; i++) {
        __asm__ volatile("csrw satp, %0" :: "r"(satps[i]) : "memory");
        if (*(volatile unsigned long *)VA != 0x5000 + (unsigned long)i)
            wrong++;
    }
    __asm__ volatile("csrw satp, zero" ::: "memory");
    return wrong;
}

int guest_main(void)
{
    gprintf("=== begin: shadow_cache ===\n");
    for (int i = 0; i < NSPACES; i++) {
        *(volatile unsigned long *)(DATA + (unsigned long)i * PAGE) = 0x5000 + (unsigned long)i;
        unsigned long *root = pt_alloc();
        pt_map_identity(root, 3);
        pt_map(root, 3, VA, DATA + (unsigned long)i * PAGE, PAGE, PTE_RW);
        satps[i] = satp_of(root, 3, (unsigned long)i + 1);
    }
    sfence_all();

    int wrong = round_all() + round_all();     /* every shadow built and filled */
    unsigned long before = 0, after = 0;
    lodger_read(LC_SHADOW_FILLS, &before);
    for (int r = 0; r < ROUNDS; r++)
        wrong += round_all();
    lodger_read(LC_SHADOW_FILLS, &after);
    gprintf("case wrong_reads: %d\n", wrong);
    CHECK(wrong == 0);
    /* Natively both reads do nothing (0 and 0). */
    if (after - before != 0) {
        gprintf("FAIL shadow_cache: %lu shadow fills in %d rounds over %d spaces already run "
                "(shadows evicted while cycling)\n", after - before, ROUNDS, NSPACES);
        failures++;
    }
    __asm__ volatile("sfence.vma" ::: "memory");
    return failures;
}
