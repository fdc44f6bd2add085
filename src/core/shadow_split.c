/* Guest superpages shadowed in pieces: see shadow_split.h. */
#include "core/shadow_split.h"

#include <stddef.h>

bool shadow_split_note(struct shadow_splits *t, uint64_t va, uint64_t size, uint64_t now,
                       struct shadow_split *evicted)
{
    struct shadow_split *pick = NULL;
    for (int i = 0; i < SHADOW_SPLITS; i++) {
        struct shadow_split *e = &t->e[i];
        if (e->size == size && e->va == va) {
            e->last_used = now;
            return false;
        }
        if (!pick || (pick->size && (!e->size || e->last_used < pick->last_used)))
            pick = e;
    }
    bool full = pick->size != 0;
    if (full)
        *evicted = *pick;
    else
        t->used++;
    *pick = (struct shadow_split){ va, size, now };
    return full;
}

bool shadow_split_find(const struct shadow_splits *t, uint64_t va, uint64_t *lo, uint64_t *size)
{
    bool found = false;
    for (int i = 0; t->used && i < SHADOW_SPLITS; i++) {
        const struct shadow_split *e = &t->e[i];
        if (e->size && va - e->va < e->size && (!found || e->size > *size)) {
            *lo = e->va;
            *size = e->size;
            found = true;
        }
    }
    return found;
}

void shadow_split_reset(struct shadow_splits *t)
{
    *t = (struct shadow_splits){ 0 };
}

unsigned shadow_range_minus(uint64_t lo, uint64_t size, const uint64_t holes[][2], unsigned n,
                            uint64_t out[][2])
{
    /* Offsets from lo: the range is [0, size), each hole [a, b) in it. */
    uint64_t cut[8][2];
    unsigned cuts = 0;
    for (unsigned i = 0; i < n && cuts < 8; i++) {
        uint64_t hs = holes[i][0], hsize = holes[i][1];
        if (!hsize || !size)
            continue;
        uint64_t a, b;
        if (hs - lo < size) {                   /* starts inside */
            a = hs - lo;
            b = size - a < hsize ? size : a + hsize;
        } else if (lo - hs < hsize) {           /* starts before, reaches in */
            a = 0;
            uint64_t left = hsize - (lo - hs);
            b = left < size ? left : size;
        } else {
            continue;
        }
        /* Kept in order of a (n is tiny). */
        unsigned j = cuts++;
        while (j && cut[j - 1][0] > a) {
            cut[j][0] = cut[j - 1][0];
            cut[j][1] = cut[j - 1][1];
            j--;
        }
        cut[j][0] = a;
        cut[j][1] = b;
    }
    unsigned count = 0;
    uint64_t at = 0;
    for (unsigned i = 0; i < cuts; i++) {
        if (cut[i][0] > at) {
            out[count][0] = lo + at;
            out[count][1] = cut[i][0] - at;
            count++;
        }
        if (cut[i][1] > at)
            at = cut[i][1];
    }
    if (at < size) {
        out[count][0] = lo + at;
        out[count][1] = size - at;
        count++;
    }
    return count;
}
