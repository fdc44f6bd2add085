/* Host tests for src/core/page_alloc.c: the free-range allocator. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/page_alloc.h"

#define PAGE 0x1000UL
#define MIB (1UL << 20)

static void assert_range(const struct page_alloc *pa, int i, uint64_t base, uint64_t size)
{
    assert_true(i < pa->count);
    assert_int_equal(pa->free[i].base, base);
    assert_int_equal(pa->free[i].size, size);
}

static void empty_allocator_has_nothing(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_int_equal(pa.count, 0);
    assert_int_equal(page_alloc_free_bytes(&pa), 0);
    assert_int_equal(page_alloc_take(&pa, PAGE, PAGE), 0);
}

static void add_aligns_inwards(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x1001, 0x3000));   /* [0x1001, 0x4001) */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x2000, 0x2000);
    assert_int_equal(page_alloc_free_bytes(&pa), 0x2000);
}

static void add_smaller_than_a_page_adds_nothing(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x1800, 0x1000));   /* no whole page inside */
    assert_true(page_alloc_add(&pa, 0x5000, 0));
    assert_int_equal(pa.count, 0);
    assert_int_equal(page_alloc_free_bytes(&pa), 0);
}

static void add_keeps_ranges_sorted(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x90000000, MIB));
    assert_true(page_alloc_add(&pa, 0x10000000, MIB));
    assert_true(page_alloc_add(&pa, 0x50000000, MIB));
    assert_int_equal(pa.count, 3);
    assert_range(&pa, 0, 0x10000000, MIB);
    assert_range(&pa, 1, 0x50000000, MIB);
    assert_range(&pa, 2, 0x90000000, MIB);
}

static void add_merges_with_both_neighbours(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x1000, 0x1000));
    assert_true(page_alloc_add(&pa, 0x3000, 0x1000));
    assert_int_equal(pa.count, 2);
    assert_true(page_alloc_add(&pa, 0x2000, 0x1000));   /* fills the hole */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x1000, 0x3000);
    assert_true(page_alloc_add(&pa, 0x4000, 0x1000));   /* merges after */
    assert_true(page_alloc_add(&pa, 0x0000, 0x1000));   /* merges before */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x0000, 0x5000);
}

static void add_overlapping_counts_once(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x1000, 0x4000));   /* [0x1000, 0x5000) */
    assert_true(page_alloc_add(&pa, 0x3000, 0x4000));   /* [0x3000, 0x7000) */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x1000, 0x6000);
    assert_true(page_alloc_add(&pa, 0x0000, 0x10000));  /* covers everything */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x0000, 0x10000);
}

static void reserve_splits_a_range(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x10000, 0x10000));
    assert_true(page_alloc_reserve(&pa, 0x14000, 0x1000));
    assert_int_equal(pa.count, 2);
    assert_range(&pa, 0, 0x10000, 0x4000);
    assert_range(&pa, 1, 0x15000, 0xb000);
    assert_int_equal(page_alloc_free_bytes(&pa), 0xf000);
}

static void reserve_aligns_outwards(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x10000, 0x10000));
    /* [0x14800, 0x15001) touches pages 0x14000 and 0x15000. */
    assert_true(page_alloc_reserve(&pa, 0x14800, 0x801));
    assert_int_equal(pa.count, 2);
    assert_range(&pa, 0, 0x10000, 0x4000);
    assert_range(&pa, 1, 0x16000, 0xa000);
}

static void reserve_trims_ends_and_spans_ranges(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x10000, 0x4000));  /* A [0x10000, 0x14000) */
    assert_true(page_alloc_add(&pa, 0x20000, 0x4000));  /* B [0x20000, 0x24000) */
    assert_true(page_alloc_add(&pa, 0x30000, 0x4000));  /* C [0x30000, 0x34000) */
    /* Cuts the top of A, all of B and the bottom of C. */
    assert_true(page_alloc_reserve(&pa, 0x13000, 0x32000 - 0x13000));
    assert_int_equal(pa.count, 2);
    assert_range(&pa, 0, 0x10000, 0x3000);
    assert_range(&pa, 1, 0x32000, 0x2000);
    /* Reserving memory that is not free changes nothing. */
    assert_true(page_alloc_reserve(&pa, 0x20000, 0x4000));
    assert_int_equal(page_alloc_free_bytes(&pa), 0x5000);
}

static void take_returns_the_highest_fit(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, 16 * MIB));
    assert_int_equal(page_alloc_take(&pa, PAGE, PAGE), 0x80fff000);
    assert_int_equal(page_alloc_take(&pa, PAGE, PAGE), 0x80ffe000);
    assert_int_equal(page_alloc_free_bytes(&pa), 16 * MIB - 2 * PAGE);
    assert_range(&pa, 0, 0x80000000, 16 * MIB - 2 * PAGE);
}

static void take_rounds_size_and_alignment_up_to_a_page(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, MIB));
    assert_int_equal(page_alloc_take(&pa, 1, 0), 0x800ff000);
    assert_int_equal(page_alloc_take(&pa, PAGE + 1, 8), 0x800fd000);
    assert_int_equal(page_alloc_free_bytes(&pa), MIB - 3 * PAGE);
}

static void take_honours_alignment(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, 16 * MIB + 2 * PAGE));
    assert_int_equal(page_alloc_take(&pa, PAGE, 2 * MIB), 0x81000000);
    /* The page above the block stays free: the range was split. */
    assert_int_equal(pa.count, 2);
    assert_range(&pa, 0, 0x80000000, 16 * MIB);
    assert_range(&pa, 1, 0x81001000, PAGE);
}

static void take_skips_a_range_the_alignment_does_not_fit(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x200000, 0x200000));   /* 2 MiB, aligned */
    /* Larger than 2 MiB, but no 2 MiB-aligned 2 MiB block inside. */
    assert_true(page_alloc_add(&pa, 0x401000, 0x2fe000));
    assert_int_equal(page_alloc_take(&pa, 0x200000, 0x200000), 0x200000);
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x401000, 0x2fe000);
}

static void take_refuses_impossible_requests(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, MIB));
    assert_int_equal(page_alloc_take(&pa, 2 * MIB, PAGE), 0);   /* too big */
    assert_int_equal(page_alloc_take(&pa, 0, PAGE), 0);         /* empty */
    assert_int_equal(page_alloc_take(&pa, PAGE, 3 * PAGE), 0);  /* not a power of two */
    assert_int_equal(page_alloc_take(&pa, PAGE, 4UL << 30), 0); /* no aligned block */
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x80000000, MIB);
}

static void take_of_a_size_that_cannot_fit_returns_0(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, 16 * MIB));
    /* Rounding these up to a page would wrap to 0 bytes. */
    assert_int_equal(page_alloc_take(&pa, UINT64_MAX, PAGE), 0);
    assert_int_equal(page_alloc_take(&pa, UINT64_MAX - 100, PAGE), 0);
    assert_int_equal(page_alloc_take(&pa, UINT64_MAX - PAGE + 2, PAGE), 0);
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x80000000, 16 * MIB);
}

static void give_merges_back(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    assert_true(page_alloc_add(&pa, 0x80000000, 16 * MIB));
    uint64_t a = page_alloc_take(&pa, 2 * MIB, 2 * MIB);
    uint64_t b = page_alloc_take(&pa, PAGE, PAGE);
    uint64_t c = page_alloc_take(&pa, MIB, MIB);
    assert_true(a && b && c);
    assert_int_equal(page_alloc_free_bytes(&pa), 16 * MIB - 3 * MIB - PAGE);
    page_alloc_give(&pa, b, PAGE);
    page_alloc_give(&pa, a, 2 * MIB);
    page_alloc_give(&pa, c, MIB);
    assert_int_equal(pa.count, 1);
    assert_range(&pa, 0, 0x80000000, 16 * MIB);
}

/* Fills the table with PAGE_ALLOC_MAX_RANGES disjoint 3-page ranges. */
static void fill_table(struct page_alloc *pa)
{
    page_alloc_init(pa);
    for (int i = 0; i < PAGE_ALLOC_MAX_RANGES; i++)
        assert_true(page_alloc_add(pa, 0x100000 * (uint64_t)(i + 1), 3 * PAGE));
    assert_int_equal(pa->count, PAGE_ALLOC_MAX_RANGES);
}

static void add_to_a_full_table(void **state)
{
    (void)state;
    struct page_alloc pa;
    fill_table(&pa);
    uint64_t before = page_alloc_free_bytes(&pa);
    /* A new disjoint range does not fit... */
    assert_false(page_alloc_add(&pa, 0x7f000000, PAGE));
    assert_int_equal(pa.count, PAGE_ALLOC_MAX_RANGES);
    assert_int_equal(page_alloc_free_bytes(&pa), before);
    /* ...but one that merges with a neighbour needs no slot. */
    assert_true(page_alloc_add(&pa, 0x100000 + 3 * PAGE, PAGE));
    assert_int_equal(pa.count, PAGE_ALLOC_MAX_RANGES);
    assert_range(&pa, 0, 0x100000, 4 * PAGE);
    /* Reserving a whole range or an end needs no slot either. */
    assert_true(page_alloc_reserve(&pa, 0x200000, 3 * PAGE));
    assert_true(page_alloc_reserve(&pa, 0x300000, PAGE));
    assert_int_equal(pa.count, PAGE_ALLOC_MAX_RANGES - 1);
}

static void reserve_split_in_a_full_table_fails(void **state)
{
    (void)state;
    struct page_alloc pa;
    fill_table(&pa);
    uint64_t before = page_alloc_free_bytes(&pa);
    assert_false(page_alloc_reserve(&pa, 0x100000 + PAGE, PAGE));
    assert_int_equal(pa.count, PAGE_ALLOC_MAX_RANGES);
    /* Refused as a whole: the range keeps both its halves. */
    assert_int_equal(page_alloc_free_bytes(&pa), before);
    assert_range(&pa, 0, 0x100000, 3 * PAGE);
}

/* A take that must split a range, in a full table: refused, and every free
 * page is still free. */
static void take_needing_a_split_in_a_full_table_loses_nothing(void **state)
{
    (void)state;
    struct page_alloc pa;
    page_alloc_init(&pa);
    /* Ranges [b + 1 page, b + 4 pages): the 2-page-aligned page inside each
     * leaves free pages on both sides. */
    for (int i = 0; i < PAGE_ALLOC_MAX_RANGES; i++)
        assert_true(page_alloc_add(&pa, 0x100000 * (uint64_t)(i + 1) + PAGE, 3 * PAGE));
    uint64_t before = page_alloc_free_bytes(&pa);
    assert_int_equal(page_alloc_take(&pa, PAGE, 2 * PAGE), 0);
    assert_int_equal(page_alloc_free_bytes(&pa), before);
    assert_int_equal(pa.count, PAGE_ALLOC_MAX_RANGES);
    for (int i = 0; i < PAGE_ALLOC_MAX_RANGES; i++)
        assert_range(&pa, i, 0x100000 * (uint64_t)(i + 1) + PAGE, 3 * PAGE);
    /* A take that needs no split still works. */
    assert_int_equal(page_alloc_take(&pa, PAGE, PAGE), 0x100000 * PAGE_ALLOC_MAX_RANGES + 3 * PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_allocator_has_nothing),
        cmocka_unit_test(add_aligns_inwards),
        cmocka_unit_test(add_smaller_than_a_page_adds_nothing),
        cmocka_unit_test(add_keeps_ranges_sorted),
        cmocka_unit_test(add_merges_with_both_neighbours),
        cmocka_unit_test(add_overlapping_counts_once),
        cmocka_unit_test(reserve_splits_a_range),
        cmocka_unit_test(reserve_aligns_outwards),
        cmocka_unit_test(reserve_trims_ends_and_spans_ranges),
        cmocka_unit_test(take_returns_the_highest_fit),
        cmocka_unit_test(take_rounds_size_and_alignment_up_to_a_page),
        cmocka_unit_test(take_honours_alignment),
        cmocka_unit_test(take_skips_a_range_the_alignment_does_not_fit),
        cmocka_unit_test(take_refuses_impossible_requests),
        cmocka_unit_test(take_of_a_size_that_cannot_fit_returns_0),
        cmocka_unit_test(give_merges_back),
        cmocka_unit_test(add_to_a_full_table),
        cmocka_unit_test(reserve_split_in_a_full_table_fails),
        cmocka_unit_test(take_needing_a_split_in_a_full_table_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
