#include <string.h>
#include "core/shadow_pool.h"

uint64_t shadow_pool_default_pages(uint64_t ram_size, unsigned vcpus)
{
    uint64_t pages = SHADOW_POOL_FLOOR_PAGES + ram_size / SHADOW_POOL_PAGE / SHADOW_POOL_RAM_RATIO +
                     (uint64_t)vcpus * SHADOW_POOL_VCPU_PAGES;
    return pages > SHADOW_POOL_MAX_PAGES ? SHADOW_POOL_MAX_PAGES : pages;
}

void shadow_pool_init(struct shadow_pool *p, uint64_t base, uint64_t pages)
{
    memset(p, 0, sizeof(*p));
    p->base = base;
    p->pages = pages;
}

/* Pages never handed out are taken in order (nothing to build at
 * creation); pages given back are reused first. */
uint64_t shadow_pool_take(struct shadow_pool *p)
{
    uint64_t pa;
    if (p->free_list) {
        pa = p->free_list;
        p->free_list = *(const uint64_t *)(uintptr_t)pa;
    } else if (p->fresh < p->pages) {
        pa = p->base + p->fresh++ * SHADOW_POOL_PAGE;
    } else {
        return 0;
    }
    memset((void *)(uintptr_t)pa, 0, SHADOW_POOL_PAGE);
    if (++p->used > p->peak)
        p->peak = p->used;
    return pa;
}

bool shadow_pool_give(struct shadow_pool *p, uint64_t pa)
{
    if (!p->used || pa < p->base || (pa - p->base) % SHADOW_POOL_PAGE ||
        (pa - p->base) / SHADOW_POOL_PAGE >= p->fresh)
        return false;
    *(uint64_t *)(uintptr_t)pa = p->free_list;
    p->free_list = pa;
    p->used--;
    return true;
}
