/* The clock of patched code's copies: see patch_clock.h. */
#include "core/patch_clock.h"

int patch_clock_victim(unsigned *hand, uint64_t used, uint64_t *referenced, uint64_t keep)
{
    /* Two turns at most: the first clears every referenced bit it passes. */
    for (unsigned step = 0; step < 2 * PATCH_CLOCK_SLOTS; step++) {
        unsigned slot = (*hand + step) % PATCH_CLOCK_SLOTS;
        uint64_t bit = 1UL << slot;
        if (!(used & bit) || (keep & bit))
            continue;
        if (*referenced & bit) {
            *referenced &= ~bit;
            continue;
        }
        *hand = (slot + 1) % PATCH_CLOCK_SLOTS;
        return (int)slot;
    }
    return -1;
}
