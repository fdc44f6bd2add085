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
 * natively, past systemd's generator timeout.
 *
 * Then more spaces than lodger's cache holds (32 shadows): every switch
 * must still read the space's own page, and lodger must count the shadows
 * it threw away for want of a free slot (counter 74), which it must not
 * have done while the 24 spaces cycled. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 124           /* NMANY (40) spaces * 3 tables, and spare */
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define NSPACES 24
#define ROUNDS 8
#define CACHED 32                   /* lodger's SHADOW_CACHE_SIZE */
#define NMANY (CACHED + 8)          /* spaces in the second part: more than it caches */
#define ROUNDS_MANY 3
#define VA 0x40000000UL
#define DATA 0x80600000UL           /* space i's page: DATA + i * PAGE */
#define LC_SHADOW_FILLS 38
#define LC_SHADOW_REPLACED 74

static unsigned long satps[NMANY];

/* One round: spaces 0..n-1 in turn, each under its own ASID, without a
 * fence. Returns how many reads saw another space's page. */
static int round_of(int n)
{
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        __asm__ volatile("csrw satp, %0" :: "r"(satps[i]) : "memory");
        if (*(volatile unsigned long *)VA != 0x5000 + (unsigned long)i)
            wrong++;
    }
    __asm__ volatile("csrw satp, zero" ::: "memory");
    return wrong;
}

static int round_all(void)
{
    return round_of(NSPACES);
}

int guest_main(void)
{
    gprintf("=== begin: shadow_cache ===\n");
    for (int i = 0; i < NMANY; i++) {
        *(volatile unsigned long *)(DATA + (unsigned long)i * PAGE) = 0x5000 + (unsigned long)i;
        unsigned long *root = pt_alloc();
        pt_map_identity(root, 3);
        pt_map(root, 3, VA, DATA + (unsigned long)i * PAGE, PAGE, PTE_RW);
        satps[i] = satp_of(root, 3, (unsigned long)i + 1);
    }
    sfence_all();

    int wrong = round_all() + round_all();     /* every shadow built and filled */
    unsigned long before = 0, after = 0, replaced_before = 0, replaced_after = 0;
    lodger_read(LC_SHADOW_FILLS, &before);
    lodger_read(LC_SHADOW_REPLACED, &replaced_before);
    for (int r = 0; r < ROUNDS; r++)
        wrong += round_all();
    lodger_read(LC_SHADOW_FILLS, &after);
    lodger_read(LC_SHADOW_REPLACED, &replaced_after);
    gprintf("case wrong_reads: %d\n", wrong);
    CHECK(wrong == 0);
    /* Natively the reads do nothing (all 0). */
    if (after - before != 0) {
        gprintf("FAIL shadow_cache: %lu shadow fills in %d rounds over %d spaces already run "
                "(shadows evicted while cycling)\n", after - before, ROUNDS, NSPACES);
        failures++;
    }
    if (replaced_after - replaced_before != 0) {
        gprintf("FAIL shadow_cache: %lu shadows replaced in %d rounds over %d spaces\n",
                replaced_after - replaced_before, ROUNDS, NSPACES);
        failures++;
    }

    /* More spaces than the cache: least recently used first, so cycling
     * them in order finds none cached, and at least NMANY - CACHED of each
     * round's switches throw a cached shadow away (the budget may free a
     * slot or two first: lodger's other counter, 72). */
    int wrong_many = 0;
    lodger_read(LC_SHADOW_REPLACED, &replaced_before);
    for (int r = 0; r < ROUNDS_MANY; r++)
        wrong_many += round_of(NMANY);
    lodger_read(LC_SHADOW_REPLACED, &replaced_after);
    gprintf("case wrong_reads_many: %d\n", wrong_many);
    CHECK(wrong_many == 0);
    if (under_lodger() && replaced_after - replaced_before < ROUNDS_MANY * (NMANY - CACHED)) {
        gprintf("FAIL shadow_cache: %lu shadows replaced in %d rounds over %d spaces (want at "
                "least %d)\n", replaced_after - replaced_before, ROUNDS_MANY, NMANY,
                ROUNDS_MANY * (NMANY - CACHED));
        failures++;
    }
    __asm__ volatile("sfence.vma" ::: "memory");
    return failures;
}
