#include "core/page_alloc.h"

#define PA_PAGE 4096UL

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

void page_alloc_init(struct page_alloc *pa)
{
    pa->count = 0;
}

static void remove_at(struct page_alloc *pa, int i)
{
    for (int j = i; j + 1 < pa->count; j++)
        pa->free[j] = pa->free[j + 1];
    pa->count--;
}

static bool insert_at(struct page_alloc *pa, int i, uint64_t base, uint64_t size)
{
    if (pa->count == PAGE_ALLOC_MAX_RANGES)
        return false;
    for (int j = pa->count; j > i; j--)
        pa->free[j] = pa->free[j - 1];
    pa->free[i] = (struct mem_range){ base, size };
    pa->count++;
    return true;
}

/* Inserts a range known not to overlap any free range, merging neighbours. */
static bool add_range(struct page_alloc *pa, uint64_t base, uint64_t size)
{
    int i = 0;
    while (i < pa->count && pa->free[i].base < base)
        i++;
    bool merge_prev = i > 0 && pa->free[i - 1].base + pa->free[i - 1].size == base;
    bool merge_next = i < pa->count && base + size == pa->free[i].base;
    if (merge_prev && merge_next) {
        pa->free[i - 1].size += size + pa->free[i].size;
        remove_at(pa, i);
    } else if (merge_prev) {
        pa->free[i - 1].size += size;
    } else if (merge_next) {
        pa->free[i].base = base;
        pa->free[i].size += size;
    } else {
        return insert_at(pa, i, base, size);
    }
    return true;
}

bool page_alloc_add(struct page_alloc *pa, uint64_t base, uint64_t size)
{
    uint64_t start = align_up(base, PA_PAGE), end = align_down(base + size, PA_PAGE);
    if (end <= start)
        return true;
    /* Overlap with existing free memory is an error of the caller; drop it. */
    if (!page_alloc_reserve(pa, start, end - start))
        return false;
    return add_range(pa, start, end - start);
}

bool page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t size)
{
    uint64_t start = align_down(base, PA_PAGE), end = align_up(base + size, PA_PAGE);
    for (int i = 0; i < pa->count; i++) {
        struct mem_range r = pa->free[i];
        uint64_t r_end = r.base + r.size;
        if (r_end <= start || r.base >= end)
            continue;
        bool keep_low = r.base < start, keep_high = r_end > end;
        if (keep_low && keep_high) {
            /* Splitting needs a free slot: check before changing anything. */
            if (pa->count == PAGE_ALLOC_MAX_RANGES)
                return false;
            pa->free[i].size = start - r.base;
            return insert_at(pa, i + 1, end, r_end - end);
        } else if (keep_low) {
            pa->free[i].size = start - r.base;
        } else if (keep_high) {
            pa->free[i].base = end;
            pa->free[i].size = r_end - end;
        } else {
            remove_at(pa, i);
            i--;
        }
    }
    return true;
}

uint64_t page_alloc_take(struct page_alloc *pa, uint64_t size, uint64_t align)
{
    if (size == 0 || (align & (align - 1)))
        return 0;
    if (align < PA_PAGE)
        align = PA_PAGE;
    if (size > UINT64_MAX - (PA_PAGE - 1))
        return 0;
    size = align_up(size, PA_PAGE);
    /* Highest fit first: keeps low memory (where images are loaded) for last. */
    for (int i = pa->count - 1; i >= 0; i--) {
        struct mem_range r = pa->free[i];
        if (r.size < size)
            continue;
        uint64_t base = align_down(r.base + r.size - size, align);
        if (base < r.base)
            continue;
        if (!page_alloc_reserve(pa, base, size))
            return 0;
        return base;
    }
    return 0;
}

void page_alloc_give(struct page_alloc *pa, uint64_t base, uint64_t size)
{
    page_alloc_add(pa, base, size);
}

uint64_t page_alloc_free_bytes(const struct page_alloc *pa)
{
    uint64_t total = 0;
    for (int i = 0; i < pa->count; i++)
        total += pa->free[i].size;
    return total;
}
