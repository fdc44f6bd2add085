#include <string.h>
#include "core/shadow_pool.h"
#include "arch/riscv/pagetable.h"

_Static_assert(PT_GROUP_ENTRIES == 8, "shadow_pool_give zeroes groups of eight entries");

uint64_t shadow_pool_default_pages(uint64_t ram_size, unsigned vcpus)
{
    uint64_t pages = SHADOW_POOL_FLOOR_PAGES + ram_size / SHADOW_POOL_PAGE / SHADOW_POOL_RAM_RATIO +
                     (uint64_t)vcpus * SHADOW_POOL_VCPU_PAGES;
    return pages > SHADOW_POOL_MAX_PAGES ? SHADOW_POOL_MAX_PAGES : pages;
}

void shadow_pool_init(struct shadow_pool *p, uint64_t base, uint64_t pages, uint64_t *summary)
{
    memset(p, 0, sizeof(*p));
    p->base = base;
    p->pages = pages;
    p->summary = summary;
    memset(summary, 0, shadow_pool_summary_bytes(pages));
}

static uint64_t index_of(const struct shadow_pool *p, uint64_t pa)
{
    return (pa - p->base) / SHADOW_POOL_PAGE;
}

/* Pages never handed out are taken in order (nothing to build at
 * creation), zeroed then; pages given back are reused first, zero already
 * but for the free list's link. */
uint64_t shadow_pool_take(struct shadow_pool *p)
{
    uint64_t pa;
    if (p->free_list) {
        pa = p->free_list;
        p->free_list = *(const uint64_t *)(uintptr_t)pa;
        *(uint64_t *)(uintptr_t)pa = 0;
    } else if (p->fresh < p->pages) {
        pa = p->base + p->fresh++ * SHADOW_POOL_PAGE;
        memset((void *)(uintptr_t)pa, 0, SHADOW_POOL_PAGE);
    } else {
        return 0;
    }
    if (++p->used > p->peak)
        p->peak = p->used;
    return pa;
}

/* Whether pa may be a lent page: a page of the block handed out before. */
static bool may_be_lent(const struct shadow_pool *p, uint64_t pa)
{
    return p->used && pa >= p->base && !((pa - p->base) % SHADOW_POOL_PAGE) &&
           index_of(p, pa) < p->fresh;
}

bool shadow_pool_give(struct shadow_pool *p, uint64_t pa)
{
    if (!may_be_lent(p, pa))
        return false;
    uint64_t *word = &p->summary[index_of(p, pa)];
    for (uint64_t groups = *word; groups; groups &= groups - 1) {
        uint64_t *g = (uint64_t *)(uintptr_t)pa + pt_lowest_group(groups) * PT_GROUP_ENTRIES;
        g[0] = g[1] = g[2] = g[3] = g[4] = g[5] = g[6] = g[7] = 0;
    }
    *word = 0;
    *(uint64_t *)(uintptr_t)pa = p->free_list;
    p->free_list = pa;
    p->used--;
    return true;
}

void shadow_pool_note_full(struct shadow_pool *p, uint64_t pa)
{
    p->summary[index_of(p, pa)] = ~0UL;
}

bool shadow_pool_summary_holds(const struct shadow_pool *p, uint64_t pa)
{
    if (!may_be_lent(p, pa))
        return true;    /* no page of the pool: shadow_pool_give refuses it */
    const uint64_t *entries = (const uint64_t *)(uintptr_t)pa;
    uint64_t groups = p->summary[index_of(p, pa)];
    for (unsigned i = 0; i < SHADOW_POOL_PAGE / sizeof(uint64_t); i++)
        if (entries[i] && !(groups & 1UL << (i / PT_GROUP_ENTRIES)))
            return false;
    return true;
}
