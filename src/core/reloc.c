#include "core/reloc.h"
#include "core/first_portion.h"
#include "arch/riscv/pagetable.h"

uint64_t reloc_random(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15UL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dUL;
}

int reloc_candidates(int host_levels, uint64_t size, uint64_t *out, int max)
{
    int n = 0;
    for (int levels = host_levels; levels >= 3 && n + 2 <= max; levels--) {
        int bits = 12 + 9 * levels;
        uint64_t kernel_bottom = (uint64_t)-1 << (bits - 1);
        uint64_t user_top = (1UL << (bits - 1));
        out[n++] = kernel_bottom + (1UL << 30);
        out[n++] = user_top - (1UL << 30) - size;
    }
    return n;
}

/* Two regions of size bytes overlap (the one overlap rule, first_portion.h:
 * also for the region at the very top of the address space). */
static bool overlaps(uint64_t a, uint64_t b, uint64_t size)
{
    return first_ranges_overlap(a, size, b, size);
}

static uint64_t random_canonical(const struct reloc_query *q, uint64_t *seed)
{
    int bits = 12 + 9 * q->host_levels;
    uint64_t raw = reloc_random(seed) & ((1UL << bits) - 1) & ~(q->size - 1);
    /* Sign-extend from the top VA bit: canonical by construction. */
    uint64_t va = (uint64_t)((int64_t)(raw << (64 - bits)) >> (64 - bits));
    /* Not across the top of the canonical lower half, nor the very top
     * region, whose end wraps to 0 (callers compute va + size). */
    if (!pt_is_canonical(va + q->size - 1, q->host_levels) || va + q->size == 0)
        va -= q->size;
    return va;
}

bool reloc_find_free(const struct reloc_query *q, uint64_t *seed, uint64_t *va)
{
    uint64_t candidates[8];
    int n = reloc_candidates(q->host_levels, q->size, candidates, 8);
    for (int i = 0; i < n; i++) {
        if (!overlaps(candidates[i], q->current, q->size) &&
            q->range_free(q->ctx, candidates[i], q->size)) {
            *va = candidates[i];
            return true;
        }
    }
    for (int i = 0; i < RELOC_RANDOM_TRIES; i++) {
        uint64_t c = random_canonical(q, seed);
        if (!overlaps(c, q->current, q->size) && q->range_free(q->ctx, c, q->size)) {
            *va = c;
            return true;
        }
    }
    return false;
}

uint64_t reloc_random_region(const struct reloc_query *q, uint64_t *seed)
{
    uint64_t c;
    do
        c = random_canonical(q, seed);
    while (overlaps(c, q->current, q->size));
    return c;
}

void reloc_settle_reset(struct settle *s, uint64_t now)
{
    s->interval_start = now;
    s->count = 0;
}

bool reloc_settle_hot(struct settle *s, uint64_t now, uint64_t interval, uint64_t threshold)
{
    if (now - s->interval_start > interval)
        reloc_settle_reset(s, now);
    return ++s->count > threshold;
}
