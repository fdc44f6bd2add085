/* Physical memory allocator: a sorted set of free ranges of host memory.
 * Pure C (no hardware access); host-tested in tests/host/test_page_alloc.c. */
#ifndef LODGER_CORE_PAGE_ALLOC_H
#define LODGER_CORE_PAGE_ALLOC_H

#include <stdint.h>
#include <stdbool.h>

#define PAGE_ALLOC_MAX_RANGES 64

struct mem_range {
    uint64_t base, size;
};

struct page_alloc {
    struct mem_range free[PAGE_ALLOC_MAX_RANGES];
    int count;
};

void page_alloc_init(struct page_alloc *pa);
/* Adds [base, base+size) (page-aligned inwards). False if the table is full. */
bool page_alloc_add(struct page_alloc *pa, uint64_t base, uint64_t size);
/* Removes [base, base+size) (page-aligned outwards) from the free set. */
bool page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t size);
/* Returns a free block of size bytes aligned to align (power of two, >= page), or 0. */
uint64_t page_alloc_take(struct page_alloc *pa, uint64_t size, uint64_t align);
void page_alloc_give(struct page_alloc *pa, uint64_t base, uint64_t size);
uint64_t page_alloc_free_bytes(const struct page_alloc *pa);

#endif
