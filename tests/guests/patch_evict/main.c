/* Issue 15: lodger keeps a bounded number of patched-code copies (64) and
 * sites (96). Code that runs more than that must still get the right
 * answers, and when room is made, the copies in use stay (a clock over
 * them, core/patch_clock.h) instead of every copy being dropped: here 80
 * pages of two CSR accesses each are run in turn, each long enough to be
 * learned (one trap in 64 is), with a hot page in between all along. The
 * test harness checks lodger's counters: copies evicted, no restart. */
#include "../lib/guest.h"

#define COLD_PAGES 80
#define ROUNDS 3
#define COLD_CALLS 200      /* each page's accesses trap enough to be learned */
#define HOT_CALLS 100

extern char cold_pages[], hot_page[];

int guest_main(void)
{
    gprintf("=== begin: patch_evict ===\n");
    csr_write(sscratch, 7);
    csr_write(sepc, 0x1000);
    unsigned long (*hot)(unsigned long) = (unsigned long (*)(unsigned long))hot_page;
    unsigned long cold_sum = 0, hot_sum = 0;
    int wrong = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int page = 0; page < COLD_PAGES; page++) {
            unsigned long (*cold)(void) =
                (unsigned long (*)(void))(cold_pages + (unsigned long)page * 4096);
            for (int i = 0; i < COLD_CALLS; i++) {
                unsigned long v = cold();
                wrong += v != 7 + 0x1000;
                cold_sum += v;
            }
            for (int i = 0; i < HOT_CALLS; i++)
                hot_sum = hot(hot_sum);
        }
        gprintf("round %d: cold sum %lu, hot sum %lu, wrong %d\n", round, cold_sum, hot_sum, wrong);
    }
    return wrong != 0;
}
