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
 * 70-73): within budget, and evictions happened (it touched more tables
 * than the budget holds); natively there are none, and it prints the same.
 *
 * vm.tag=NAME prefixes its lines; vm.gigs=G GiB of sprawl per space
 * (default 8, at most 253), vm.spaces=K address spaces (default 4, at
 * most 16), vm.passes=P (default 2); vm.harts=2: a second hart (HSM
 * hart_start; give the VM two) sprawls too at once, with tables, data
 * pages and ASIDs of its own, so that under lodger the shadows one vCPU
 * holds are emptied while the other runs (its budget's last resort). The
 * boot hart prints both harts' lines, whichever hart boots natively. */
#include <stdlib.h>
#include "../lib/guest.h"
#define PT_POOL_PAGES 6
#include "../lib/pagetable.h"
#include "../lib/counters.h"
#include "../shared/tagged.h"

#define FIRST_GIG 3             /* root entries 0-1 unused, 2: the identity gigapage */
#define MAX_GIGS (256 - FIRST_GIG)
#define DATA_PAGES 8
#define MAX_SPACES 16
#define MAX_PASSES 4

#define LC_SHADOW_PAGES 70
#define LC_SHADOW_BUDGET 71
#define LC_SHADOW_EVICTIONS 72
#define LC_SHADOW_CLEARS 73

void second_entry(void);

/* Each hart's (slot 0: the boot hart): its tables, data pages, results. */
static uint64_t data[2][DATA_PAGES][512] __attribute__((aligned(4096)));
static unsigned long *roots[2];
static unsigned long wrong[2][MAX_PASSES][MAX_SPACES], counted[2][MAX_PASSES][MAX_SPACES];
static unsigned long gigs, spaces, passes;
static volatile int second_done;

static unsigned long number_arg(const char *key, const char *dflt, unsigned long max)
{
    char text[16];
    guest_arg(key, text, sizeof(text), dflt);
    unsigned long n = strtoul(text, NULL, 10);
    return n < 1 ? 1 : n > max ? max : n;
}

static void build_tables(int h)
{
    unsigned long *root = pt_alloc(), *mid = pt_alloc(), *leaf = pt_alloc();
    root[2] = PTE(0x80000000UL, PTE_RWX);   /* this image, its stacks, the data pages */
    for (unsigned long g = FIRST_GIG; g < FIRST_GIG + gigs; g++)
        root[g] = PTE(mid, PTE_V);
    for (int i = 0; i < 512; i++) {
        mid[i] = PTE(leaf, PTE_V);
        leaf[i] = PTE(data[h][i % DATA_PAGES], PTE_RW);
    }
    roots[h] = root;
}

/* Hart slot h touches every region of every space, pass after pass. */
static void sprawl(int h)
{
    for (unsigned long pass = 0; pass < passes; pass++) {
        for (unsigned long k = 0; k < spaces; k++) {
            satp_switch(satp_of(roots[h], 3, (unsigned long)h * MAX_SPACES + k + 1));
            unsigned long bad = 0, count = 0;
            for (unsigned long g = FIRST_GIG; g < FIRST_GIG + gigs; g++) {
                for (unsigned long m = 0; m < 512; m++) {
                    /* Region (g, m), at a page of the leaf table that
                     * varies with it, and a word that does too. */
                    unsigned long page = (g * 7 + m) % 512, word = (g + m * 3) % 512;
                    volatile uint64_t *at =
                        (volatile uint64_t *)(g << 30 | m << 21 | page << 12) + word;
                    uint64_t token = pass << 48 | k << 40 | g << 16 | m;
                    *at = token;
                    bad += *at != token;
                    bad += data[h][page % DATA_PAGES][word] != token;
                    /* The region before, through its own translation. */
                    if (m) {
                        unsigned long page0 = (g * 7 + m - 1) % 512, word0 = (g + (m - 1) * 3) % 512;
                        volatile uint64_t *before =
                            (volatile uint64_t *)(g << 30 | (m - 1) << 21 | page0 << 12) + word0;
                        bad += *before != data[h][page0 % DATA_PAGES][word0];
                    }
                    count++;
                }
            }
            wrong[h][pass][k] = bad;
            counted[h][pass][k] = count;
        }
    }
    satp_switch(0);
}

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    sprawl(1);
    __atomic_store_n(&second_done, 1, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

int guest_main(void)
{
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    gigs = number_arg("vm.gigs=", "8", MAX_GIGS);
    spaces = number_arg("vm.spaces=", "4", MAX_SPACES);
    passes = number_arg("vm.passes=", "2", MAX_PASSES);
    int harts = (int)number_arg("vm.harts=", "1", 2);
    say("=== begin: vm_sprawl ===\n");
    say("case sprawl: %lu GiB in each of %lu address spaces, %lu passes, %d hart(s)\n", gigs,
        spaces, passes, harts);
    for (int h = 0; h < harts; h++)
        build_tables(h);
    if (harts == 2) {
        /* The other hart is the stopped one (natively either may boot). */
        struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
        unsigned long other = s0.error == 0 && s0.value == 0 ? 1 : 0;
        struct sbiret st = sbi_call(SBI_EXT_HSM, 0, other, (unsigned long)second_entry, 0, 0);
        say("case start_second: error=%ld\n", st.error);
        CHECK(st.error == 0);
        if (st.error)
            harts = 1;
    }
    sprawl(0);
    while (harts == 2 && !__atomic_load_n(&second_done, __ATOMIC_ACQUIRE))
        ;

    unsigned long regions = 0;
    for (int h = 0; h < harts; h++)
        for (unsigned long pass = 0; pass < passes; pass++)
            for (unsigned long k = 0; k < spaces; k++) {
                regions += counted[h][pass][k];
                CHECK(wrong[h][pass][k] == 0);
                say("case hart %d pass %lu space %lu: %lu regions, %s\n", h, pass, k,
                    counted[h][pass][k], wrong[h][pass][k] ? "WRONG reads" : "every read as written");
            }

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
