/* A VM that makes lodger's shadow tables grow as fast as it can (the
 * isolation step runs it beside vm_victim): its own page tables are three
 * pages, yet they map every 2 MiB of many GiB of address space - root
 * entries 3.. all point to one level-1 table whose 512 entries all point
 * to one leaf table - so each 2 MiB region it touches costs lodger a shadow
 * leaf table, under each of several address spaces (the same root under
 * other ASIDs: other shadows). Unlimited, that took every page the host
 * had, and the VMs beside it ended "out of host memory".
 *
 * Evictions must only cost it faults: the leaf table maps its entry i to
 * data page i % 8, so each region reaches a known page, and every word it
 * stores through a region it reads back through that region and through
 * the identity map (wrong data or a stale translation changes a line).
 * Under lodger it also checks lodger's counters of its shadow budget (ids
 * 65-68): within budget, and evictions happened (it touched more tables
 * than the budget holds); natively there are none, and it prints the same.
 *
 * vm.tag=NAME prefixes its lines; vm.gigs=G GiB of sprawl per space
 * (default 8, at most 253), vm.spaces=K address spaces (default 4, at
 * most 16), vm.passes=P (default 2). */
#include <stdlib.h>
#include "../lib/guest.h"
#define PT_POOL_PAGES 4
#include "../lib/pagetable.h"
#include "../lib/counters.h"
#include "../shared/tagged.h"

#define FIRST_GIG 3             /* root entries 0-1 unused, 2: the identity gigapage */
#define MAX_GIGS (256 - FIRST_GIG)
#define DATA_PAGES 8

#define LC_SHADOW_PAGES 65
#define LC_SHADOW_BUDGET 66
#define LC_SHADOW_EVICTIONS 67
#define LC_SHADOW_CLEARS 68

static uint64_t data[DATA_PAGES][512] __attribute__((aligned(4096)));

static unsigned long number_arg(const char *key, const char *dflt, unsigned long max)
{
    char text[16];
    guest_arg(key, text, sizeof(text), dflt);
    unsigned long n = strtoul(text, NULL, 10);
    return n < 1 ? 1 : n > max ? max : n;
}

int guest_main(void)
{
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    unsigned long gigs = number_arg("vm.gigs=", "8", MAX_GIGS);
    unsigned long spaces = number_arg("vm.spaces=", "4", 16);
    unsigned long passes = number_arg("vm.passes=", "2", 100);
    say("=== begin: vm_sprawl ===\n");
    say("case sprawl: %lu GiB in each of %lu address spaces, %lu passes\n", gigs, spaces, passes);

    unsigned long *root = pt_alloc(), *mid = pt_alloc(), *leaf = pt_alloc();
    root[2] = PTE(0x80000000UL, PTE_RWX);   /* this image, its stack, the data pages */
    for (unsigned long g = FIRST_GIG; g < FIRST_GIG + gigs; g++)
        root[g] = PTE(mid, PTE_V);
    for (int i = 0; i < 512; i++) {
        mid[i] = PTE(leaf, PTE_V);
        leaf[i] = PTE(data[i % DATA_PAGES], PTE_RW);
    }
    for (int p = 0; p < DATA_PAGES; p++)
        for (int w = 0; w < 512; w++)
            data[p][w] = 0;

    unsigned long regions = 0;
    for (unsigned long pass = 0; pass < passes; pass++) {
        for (unsigned long k = 0; k < spaces; k++) {
            satp_switch(satp_of(root, 3, k + 1));
            unsigned long wrong = 0, count = 0;
            for (unsigned long g = FIRST_GIG; g < FIRST_GIG + gigs; g++) {
                for (unsigned long m = 0; m < 512; m++) {
                    /* Region (g, m), at a page of the leaf table that
                     * varies with it, and a word that does too. */
                    unsigned long page = (g * 7 + m) % 512, word = (g + m * 3) % 512;
                    volatile uint64_t *at =
                        (volatile uint64_t *)(g << 30 | m << 21 | page << 12) + word;
                    uint64_t token = pass << 48 | k << 40 | g << 16 | m;
                    *at = token;
                    wrong += *at != token;
                    wrong += data[page % DATA_PAGES][word] != token;
                    /* The region before, through its own translation. */
                    if (m) {
                        unsigned long page0 = (g * 7 + m - 1) % 512, word0 = (g + (m - 1) * 3) % 512;
                        volatile uint64_t *before =
                            (volatile uint64_t *)(g << 30 | (m - 1) << 21 | page0 << 12) + word0;
                        wrong += *before != data[page0 % DATA_PAGES][word0];
                    }
                    count++;
                }
            }
            regions += count;
            CHECK(wrong == 0);
            say("case pass %lu space %lu: %lu regions, %s\n", pass, k, count,
                wrong ? "WRONG reads" : "every read as written");
        }
    }
    satp_switch(0);

    unsigned long used, budget, evictions, clears;
    if (lodger_read(LC_SHADOW_PAGES, &used) && lodger_read(LC_SHADOW_BUDGET, &budget) &&
        lodger_read(LC_SHADOW_EVICTIONS, &evictions) && lodger_read(LC_SHADOW_CLEARS, &clears)) {
        CHECK(used <= budget);
        /* One leaf table per region and space: far more than the budget. */
        CHECK(regions <= budget || evictions + clears > 0);
        if (used > budget || (regions > budget && !(evictions + clears)))
            gprintf("FAIL shadow budget: %lu pages in use of %lu, %lu evictions, %lu clears\n",
                    used, budget, evictions, clears);
    }
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
