/* Host tests for src/arch/riscv/pagetable.c: the Sv39/Sv48/Sv57 table builder.
 * Table pages are host heap pages; their address stands for the physical
 * address, as lodger's identity map makes it on the target. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "arch/riscv/pagetable.h"

#define KIB 1024UL
#define MIB (1UL << 20)
#define GIB (1UL << 30)

struct page_counter {
    int allocated, freed;
    int limit;          /* allocations allowed; -1: no limit */
};

static uint64_t alloc_page(void *ctx)
{
    struct page_counter *c = ctx;
    if (c->limit >= 0 && c->allocated >= c->limit)
        return 0;
    void *page = aligned_alloc(4096, 4096);
    assert_non_null(page);
    memset(page, 0, 4096);
    c->allocated++;
    return (uint64_t)(uintptr_t)page;
}

static void free_page(void *ctx, uint64_t pa)
{
    struct page_counter *c = ctx;
    assert_int_equal(pa & 4095, 0);
    c->freed++;
    free((void *)(uintptr_t)pa);
}

/* One table and its allocator, live for one test. */
struct fixture {
    struct page_counter count;
    struct pt_allocator alloc;
    struct page_table pt;
};

static struct fixture *fixture_new(int levels)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->count.limit = -1;
    f->alloc = (struct pt_allocator){ .alloc_page = alloc_page, .free_page = free_page,
                                      .ctx = &f->count };
    assert_true(pt_create(&f->pt, levels, &f->alloc));
    assert_int_equal(f->count.allocated, 1);
    return f;
}

static int live_pages(const struct fixture *f)
{
    return f->count.allocated - f->count.freed;
}

/* Destroys the table and checks that every page it allocated came back. */
static void fixture_done(struct fixture *f)
{
    pt_destroy(&f->pt);
    assert_int_equal(f->pt.root, 0);
    assert_int_equal(live_pages(f), 0);
    free(f);
}

#define RW (PTE_R | PTE_W)

static void modes_and_level_sizes(void **state)
{
    (void)state;
    assert_int_equal(pt_levels_of_mode(SATP_MODE_SV39), 3);
    assert_int_equal(pt_levels_of_mode(SATP_MODE_SV48), 4);
    assert_int_equal(pt_levels_of_mode(SATP_MODE_SV57), 5);
    assert_int_equal(pt_levels_of_mode(SATP_MODE_BARE), 0);
    assert_int_equal(pt_levels_of_mode(11), 0);
    assert_int_equal(pt_mode_of_levels(3), SATP_MODE_SV39);
    assert_int_equal(pt_mode_of_levels(4), SATP_MODE_SV48);
    assert_int_equal(pt_mode_of_levels(5), SATP_MODE_SV57);
    assert_int_equal(pt_level_size(0), 4 * KIB);
    assert_int_equal(pt_level_size(1), 2 * MIB);
    assert_int_equal(pt_level_size(2), GIB);
    assert_int_equal(pt_level_size(3), 512 * GIB);
    assert_int_equal(pt_level_size(4), 256UL << 40);
}

static void pte_address_conversion(void **state)
{
    (void)state;
    assert_int_equal(pa_to_pte(0x80201000), 0x80201000UL >> 2);
    assert_int_equal(pte_to_pa(pa_to_pte(0x80201000) | PTE_V | RW | PTE_D), 0x80201000);
    /* N, PBMT and the reserved bits are not part of the address. */
    assert_int_equal(pte_to_pa(pa_to_pte(0x80201000) | PTE_N | PTE_PBMT | PTE_RESERVED_HIGH),
                     0x80201000);
    /* The largest physical address (56 bits). */
    assert_int_equal(pte_to_pa(pa_to_pte(0x00fffffffffff000)), 0x00fffffffffff000);
}

static void canonical_addresses(void **state)
{
    (void)state;
    /* Sv39: bits 63..39 equal bit 38. */
    assert_true(pt_is_canonical(0, 3));
    assert_true(pt_is_canonical(0x0000003fffffffffUL, 3));
    assert_false(pt_is_canonical(0x0000004000000000UL, 3));
    assert_true(pt_is_canonical(0xffffffc000000000UL, 3));
    assert_false(pt_is_canonical(0xffffff8000000000UL, 3));
    assert_true(pt_is_canonical(0xffffffffffffffffUL, 3));
    assert_false(pt_is_canonical(0x8000000000000000UL, 3));
    /* Sv48 */
    assert_true(pt_is_canonical(0x00007fffffffffffUL, 4));
    assert_false(pt_is_canonical(0x0000800000000000UL, 4));
    assert_true(pt_is_canonical(0xffff800000000000UL, 4));
    assert_false(pt_is_canonical(0xffff7fffffffffffUL, 4));
    assert_true(pt_is_canonical(0x0000004000000000UL, 4));   /* not canonical in Sv39 */
    /* Sv57 */
    assert_true(pt_is_canonical(0x00ffffffffffffffUL, 5));
    assert_false(pt_is_canonical(0x0100000000000000UL, 5));
    assert_true(pt_is_canonical(0xff00000000000000UL, 5));
    assert_false(pt_is_canonical(0xfeffffffffffffffUL, 5));
}

static void empty_table_has_no_leaf(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    int level = -1;
    assert_int_equal(pt_lookup(&f->pt, 0x80000000, &level), 0);
    assert_int_equal(level, -1);
    assert_true(pt_range_empty(&f->pt, 0, 1UL << 39));
    fixture_done(f);
}

static void map_one_4k_page(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x40001000, 0x80005000, 4 * KIB, RW | PTE_A | PTE_D, 2));
    assert_int_equal(live_pages(f), 3);     /* root, level-1 and level-0 tables */
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, 0x40001abc, &level);
    assert_int_equal(level, 0);
    assert_int_equal(pte & 0x3ff, PTE_V | RW | PTE_A | PTE_D);
    assert_int_equal(pte_to_pa(pte), 0x80005000);
    assert_int_equal(pt_lookup(&f->pt, 0x40000000, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, 0x40002000, NULL), 0);
    fixture_done(f);
}

static void map_2m_superpage(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x40200000, 0x80400000, 2 * MIB, RW | PTE_X, 1));
    assert_int_equal(live_pages(f), 2);
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, 0x403fffff, &level);
    assert_int_equal(level, 1);
    assert_int_equal(pte_to_pa(pte), 0x80400000);
    assert_int_equal(pte & 0x3ff, PTE_V | RW | PTE_X);
    assert_int_equal(pt_lookup(&f->pt, 0x40400000, NULL), 0);
    fixture_done(f);
}

static void map_1g_gigapage(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x80000000, 0x80000000, GIB, RW | PTE_X | PTE_G, 2));
    assert_int_equal(live_pages(f), 1);
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, 0xbfffffff, &level);
    assert_int_equal(level, 2);
    assert_int_equal(pte_to_pa(pte), 0x80000000);
    assert_true(pte & PTE_G);
    assert_int_equal(pt_lookup(&f->pt, 0xc0000000, NULL), 0);
    fixture_done(f);
}

static void map_uses_largest_leaves_that_fit(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    /* [1G - 4K, 2G + 2M + 8K): a 4K page, a 1G page, a 2M page, two 4K pages. */
    uint64_t va = GIB - 4 * KIB, size = GIB + 2 * MIB + 12 * KIB;
    assert_true(pt_map(&f->pt, va, va, size, RW, 2));
    int level = -1;
    assert_int_not_equal(pt_lookup(&f->pt, GIB - 4 * KIB, &level), 0);
    assert_int_equal(level, 0);
    assert_int_not_equal(pt_lookup(&f->pt, GIB, &level), 0);
    assert_int_equal(level, 2);
    assert_int_not_equal(pt_lookup(&f->pt, 2 * GIB, &level), 0);
    assert_int_equal(level, 1);
    assert_int_not_equal(pt_lookup(&f->pt, 2 * GIB + 2 * MIB, &level), 0);
    assert_int_equal(level, 0);
    assert_int_equal(pte_to_pa(pt_lookup(&f->pt, 2 * GIB + 2 * MIB + 4 * KIB, NULL)),
                     2 * GIB + 2 * MIB + 4 * KIB);
    assert_int_equal(pt_lookup(&f->pt, 2 * GIB + 2 * MIB + 8 * KIB, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, GIB - 8 * KIB, NULL), 0);
    fixture_done(f);
}

static void map_respects_max_leaf_level(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x200000, 0x80200000, 2 * MIB, RW, 0));
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, 0x3ff000, &level);
    assert_int_equal(level, 0);
    assert_int_equal(pte_to_pa(pte), 0x803ff000);
    fixture_done(f);
}

static void map_misaligned_pa_uses_4k_pages(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    /* va is 2M-aligned, pa is not: no superpage can translate it. */
    assert_true(pt_map(&f->pt, 0x200000, 0x80201000, 2 * MIB, RW, 2));
    for (uint64_t off = 0; off < 2 * MIB; off += 0x7f000) {
        int level = -1;
        pte_t pte = pt_lookup(&f->pt, 0x200000 + off, &level);
        assert_int_equal(level, 0);
        assert_int_equal(pte_to_pa(pte), 0x80201000 + off);
    }
    fixture_done(f);
}

static void remap_replaces_leaves(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x1000, 0x80001000, 4 * KIB, PTE_R, 0));
    assert_true(pt_map(&f->pt, 0x1000, 0x90001000, 4 * KIB, RW | PTE_U, 0));
    pte_t pte = pt_lookup(&f->pt, 0x1000, NULL);
    assert_int_equal(pte_to_pa(pte), 0x90001000);
    assert_int_equal(pte & 0x3ff, PTE_V | RW | PTE_U);
    assert_int_equal(live_pages(f), 3);
    fixture_done(f);
}

static void superpage_over_a_table_frees_it(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x200000, 0x80200000, 2 * MIB, RW, 0));
    assert_int_equal(live_pages(f), 3);
    assert_true(pt_map(&f->pt, 0x200000, 0x80200000, 2 * MIB, RW, 1));
    assert_int_equal(live_pages(f), 2);     /* the 4K table is gone */
    int level = -1;
    assert_int_not_equal(pt_lookup(&f->pt, 0x201000, &level), 0);
    assert_int_equal(level, 1);
    /* And a gigapage over both levels of tables. */
    assert_true(pt_map(&f->pt, 0, 0x80000000, GIB, RW, 2));
    assert_int_equal(live_pages(f), 1);
    fixture_done(f);
}

static void sv48_maps_high_half_and_terapages(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(4);
    uint64_t high = 0xffff800000000000UL;
    assert_true(pt_map(&f->pt, high + 0x1000, 0x80000000, 4 * KIB, RW, 0));
    assert_int_equal(live_pages(f), 4);
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, high + 0x1fff, &level);
    assert_int_equal(level, 0);
    assert_int_equal(pte_to_pa(pte), 0x80000000);
    /* The root entry used is index 256, the first of the upper half. */
    pte_t *root = (pte_t *)(uintptr_t)f->pt.root;
    assert_true(root[256] & PTE_V);
    for (int i = 0; i < 512; i++)
        if (i != 256)
            assert_int_equal(root[i], 0);
    /* A 512 GiB leaf at level 3. */
    assert_true(pt_map(&f->pt, 0, 0, 512 * GIB, RW, 3));
    assert_int_not_equal(pt_lookup(&f->pt, 511 * GIB, &level), 0);
    assert_int_equal(level, 3);
    fixture_done(f);
}

static void sv57_maps_through_five_levels(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(5);
    uint64_t va = 0xff12345678abc000UL;
    assert_true(pt_is_canonical(va, 5));
    assert_true(pt_map(&f->pt, va, 0x123456789000UL, 4 * KIB, RW, 0));
    assert_int_equal(live_pages(f), 5);
    int level = -1;
    pte_t pte = pt_lookup(&f->pt, va + 0x10, &level);
    assert_int_equal(level, 0);
    assert_int_equal(pte_to_pa(pte), 0x123456789000UL);
    /* Same low 48 bits in the lower half: a different leaf. */
    assert_int_equal(pt_lookup(&f->pt, va & 0x0000ffffffffffffUL, NULL), 0);
    fixture_done(f);
}

static void map_up_to_the_top_of_the_address_space(void **state)
{
    (void)state;
    /* Ranges that end at 2^64, where va + size wraps to 0. */
    const uint64_t top_page = 0xfffffffffffff000UL, top_2m = 0xffffffffffe00000UL;
    for (int levels = 3; levels <= 5; levels++) {
        struct fixture *f = fixture_new(levels);
        assert_true(pt_map(&f->pt, top_page - 3 * 4 * KIB, 0x80000000, 4 * 4 * KIB, RW, 0));
        for (uint64_t i = 0; i < 4; i++) {
            int level = -1;
            pte_t pte = pt_lookup(&f->pt, top_page - 3 * 4 * KIB + i * 4 * KIB + 0xfff, &level);
            assert_int_equal(level, 0);
            assert_int_equal(pte_to_pa(pte), 0x80000000 + i * 4 * KIB);
        }
        assert_int_equal(pt_lookup(&f->pt, top_page - 4 * 4 * KIB, NULL), 0);

        /* A 4K page below the last 2 MiB, then the last 2 MiB as a superpage
         * (over the 4K table, which is freed). */
        assert_true(pt_map(&f->pt, top_2m - 4 * KIB, 0x80000000 - 4 * KIB, 2 * MIB + 4 * KIB,
                           PTE_R, 1));
        int level = -1;
        pte_t pte = pt_lookup(&f->pt, top_2m - 4 * KIB, &level);
        assert_int_equal(level, 0);
        assert_int_equal(pte_to_pa(pte), 0x80000000 - 4 * KIB);
        pte = pt_lookup(&f->pt, 0xffffffffffffffffUL, &level);
        assert_int_equal(level, 1);
        assert_int_equal(pte_to_pa(pte), 0x80000000);
        assert_int_equal(pte & 0x3ff, PTE_V | PTE_R);
        /* Root, a table per level down to the 2M one, and one 4K table. */
        assert_int_equal(live_pages(f), levels);
        fixture_done(f);
    }
}

static void unmap_clears_only_the_range(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x10000, 0x80010000, 3 * 4 * KIB, RW, 0));
    assert_int_equal(pt_unmap(&f->pt, 0x11000, 4 * KIB), 1);
    assert_int_not_equal(pt_lookup(&f->pt, 0x10000, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, 0x11000, NULL), 0);
    assert_int_not_equal(pt_lookup(&f->pt, 0x12000, NULL), 0);
    assert_int_equal(pt_unmap(&f->pt, 0x11000, 4 * KIB), 0);  /* already gone */
    assert_int_equal(pt_unmap(&f->pt, 0, 1UL << 38), 2);
    assert_int_equal(pt_lookup(&f->pt, 0x10000, NULL), 0);
    fixture_done(f);
}

static void unmap_clears_a_straddling_superpage_whole(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x200000, 0x80200000, 2 * MIB, RW, 1));
    assert_true(pt_map(&f->pt, 0x40000000, 0xc0000000, GIB, RW, 2));
    assert_int_equal(pt_unmap(&f->pt, 0x2ff000, 4 * KIB), 1);
    assert_int_equal(pt_lookup(&f->pt, 0x200000, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, 0x3ff000, NULL), 0);
    assert_int_equal(pt_unmap(&f->pt, 0x7ffff000, 8 * KIB), 1);
    assert_int_equal(pt_lookup(&f->pt, 0x40000000, NULL), 0);
    fixture_done(f);
}

/* Up to four pages go page by page (a vCPU's frame pages leaving a shadow):
 * the same leaves cleared, and counted, as the range's descent clears. */
static void unmap_a_few_pages_as_a_range(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(4);
    /* 4 KiB pages up to a 2 MiB boundary, a superpage after it. */
    assert_true(pt_map(&f->pt, 0x3fe000, 0x803fe000, 2 * 4 * KIB, RW, 0));
    assert_true(pt_map(&f->pt, 0x400000, 0x80400000, 2 * MIB, RW, 1));
    assert_true(pt_map(&f->pt, 0x700000, 0x80700000, 3 * 4 * KIB, RW, 0));
    assert_int_equal(pt_unmap(&f->pt, 0x3ff000, 4 * 4 * KIB), 2);   /* one page, the superpage */
    assert_int_not_equal(pt_lookup(&f->pt, 0x3fe000, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, 0x3ff000, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, 0x5ff000, NULL), 0);
    assert_int_equal(pt_unmap(&f->pt, 0x6ff000, 3 * 4 * KIB), 2);   /* a gap, two pages */
    assert_int_equal(pt_lookup(&f->pt, 0x701000, NULL), 0);
    assert_int_not_equal(pt_lookup(&f->pt, 0x702000, NULL), 0);
    /* Five pages take the range's way: the same answer. */
    assert_int_equal(pt_unmap(&f->pt, 0x3fe000, 0x305000), 2);
    assert_true(pt_range_empty(&f->pt, 0, 1UL << 47));
    fixture_done(f);
}

static void unmap_high_half_address(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    uint64_t va = 0xffffffff80000000UL;     /* where Linux links its kernel (Sv39) */
    assert_true(pt_map(&f->pt, va, 0x80200000, 4 * 2 * MIB, RW | PTE_X, 1));
    assert_int_not_equal(pt_lookup(&f->pt, va + 5 * MIB, NULL), 0);
    assert_false(pt_range_empty(&f->pt, va + 7 * MIB, 4 * KIB));
    assert_int_equal(pt_unmap(&f->pt, va + 2 * MIB, 4 * MIB), 2);
    assert_int_not_equal(pt_lookup(&f->pt, va, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, va + 2 * MIB, NULL), 0);
    assert_int_equal(pt_lookup(&f->pt, va + 4 * MIB, NULL), 0);
    assert_int_not_equal(pt_lookup(&f->pt, va + 6 * MIB, NULL), 0);
    assert_true(pt_range_empty(&f->pt, va + 2 * MIB, 4 * MIB));
    assert_false(pt_range_empty(&f->pt, va + 2 * MIB, 4 * MIB + 1));
    fixture_done(f);
}

static void range_empty_checks_the_range_only(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    assert_true(pt_map(&f->pt, 0x80000000, 0x80000000, 4 * KIB, RW, 0));
    assert_false(pt_range_empty(&f->pt, 0x80000000, 4 * KIB));
    assert_false(pt_range_empty(&f->pt, 0x7ffff000, 8 * KIB));
    assert_false(pt_range_empty(&f->pt, 0, 1UL << 39));
    assert_true(pt_range_empty(&f->pt, 0x7ffff000, 4 * KIB));
    assert_true(pt_range_empty(&f->pt, 0x80001000, 4 * KIB));
    assert_true(pt_range_empty(&f->pt, 0xc0000000, GIB));
    /* Unmapping leaves the tables; the range is empty again all the same. */
    assert_int_equal(pt_unmap(&f->pt, 0x80000000, 4 * KIB), 1);
    assert_true(pt_range_empty(&f->pt, 0, 1UL << 39));
    assert_int_equal(live_pages(f), 3);
    fixture_done(f);
}

static void destroy_frees_every_table(void **state)
{
    (void)state;
    for (int levels = 3; levels <= 5; levels++) {
        struct fixture *f = fixture_new(levels);
        uint64_t top = -(1UL << (12 + 9 * levels - 1));    /* lowest upper-half address */
        assert_true(pt_map(&f->pt, 0x1000, 0x1000, 3 * MIB, RW, 1));
        assert_true(pt_map(&f->pt, top, 0x80000000, 2 * GIB + 12 * KIB, RW, 2));
        assert_true(pt_map(&f->pt, 0x7ff000000UL, 0x80000000, 64 * KIB, RW, 0));
        assert_true(live_pages(f) > levels);
        fixture_done(f);
    }
}

/* pt_destroy looks at a table's entries eight at a time: tables under
 * the first and last entry of each group of eight, next to superpage
 * leaves of the same group, all come back, and exactly once. */
static void destroy_frees_tables_in_every_group_place(void **state)
{
    (void)state;
    static const unsigned places[] = { 0, 1, 6, 7, 8, 9, 15, 16, 255, 256, 503, 504, 510, 511 };
    struct fixture *f = fixture_new(3);
    int expected = 1;   /* the root */
    for (unsigned i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        /* A 4 KiB page in 2 MiB block places[i] of GiB 1 (a table each),
         * and one in GiB places[i] (a level-1 table each, but GiB 1's). */
        assert_true(pt_map(&f->pt, GIB + places[i] * 2 * MIB, 0x80000000, 4 * KIB, RW, 0));
        uint64_t va = places[i] * GIB + 4 * KIB;   /* sign-extended: GiB 256 up are the upper half */
        va = (uint64_t)((int64_t)(va << 25) >> 25);
        if (places[i] != 1)
            assert_true(pt_map(&f->pt, va, 0x80000000, 4 * KIB, RW, 0));
        expected += 1 + (places[i] != 1 ? 2 : 0) + (i == 0);  /* GiB 1's level-1 table once */
    }
    /* Superpage leaves beside tables in one group: not tables to free. */
    assert_true(pt_map(&f->pt, GIB + 2 * 2 * MIB, 0x80000000, 2 * MIB, RW, 1));
    assert_true(pt_map(&f->pt, 5 * GIB, 0x80000000, GIB, RW, 2));
    int level = -1;
    assert_true(pt_lookup(&f->pt, GIB + 511 * 2 * MIB, &level) & PTE_V);
    assert_int_equal(level, 0);
    assert_int_equal(live_pages(f), expected);
    fixture_done(f);
}

/* A linked table (pt_link) is walked through by lookups, but edits treat
 * the link as a superpage leaf and nothing frees the table it names:
 * two tables link the same leaf table, and each unmap, map, prune and
 * destroy of theirs leaves it (and the other's link) alone. */
static void linked_tables_are_shared_not_owned(void **state)
{
    (void)state;
    struct fixture *a = fixture_new(3), *b = fixture_new(3);
    uint64_t shared = alloc_page(&a->count);
    pte_t *leaves = (pte_t *)(uintptr_t)shared;
    leaves[3] = pa_to_pte(0x80003000) | PTE_X | PTE_A | PTE_V;
    uint64_t va = 0x40200000;
    assert_true(pt_link(&a->pt, va, 1, shared));
    assert_true(pt_link(&b->pt, va, 1, shared));
    int level = -1;
    pte_t pte = pt_lookup(&a->pt, va + 0x3abc, &level);
    assert_int_equal(level, 0);
    assert_int_equal(pte_to_pa(pte), 0x80003000);
    assert_false(pt_has_table(&a->pt, va, 1));      /* a superpage may replace a link */
    /* pt_link_at names the linked table, at its level only. */
    assert_int_equal(pt_link_at(&a->pt, va + 0x3000, 1), shared);
    assert_int_equal(pt_link_at(&a->pt, va, 2), 0);
    assert_int_equal(pt_link_at(&a->pt, va + (2UL << 20), 1), 0);
    assert_false(pt_range_empty(&a->pt, va, 4096));
    assert_null(pt_leaf_table(&a->pt, va));         /* never filled in place */
    /* A one-page unmap drops a's link whole; the shared table keeps its entry. */
    assert_int_equal(pt_unmap(&a->pt, va + 0x5000, 4096), 1);
    assert_int_equal(pt_lookup(&a->pt, va + 0x3000, NULL), 0);
    assert_int_equal(pte_to_pa(pt_lookup(&b->pt, va + 0x3000, NULL)), 0x80003000);
    /* A 4 KiB map under b's link gives b a table of its own. */
    assert_true(pt_link(&a->pt, va, 1, shared));
    int before = live_pages(b);
    assert_true(pt_map(&b->pt, va + 0x7000, 0x90000000, 4096, PTE_R | PTE_A, 0));
    assert_int_equal(live_pages(b), before + 1);
    assert_int_equal(pt_lookup(&b->pt, va + 0x3000, NULL), 0);
    assert_int_equal(leaves[7], 0);
    assert_int_equal(pte_to_pa(pt_lookup(&a->pt, va + 0x3000, NULL)), 0x80003000);
    /* Links: refused over an owned table, unlinked only by their own table. */
    assert_false(pt_link(&b->pt, va, 1, shared));
    assert_false(pt_unlink(&a->pt, va, 1, shared + 4096));
    assert_true(pt_unlink(&a->pt, va, 1, shared));
    assert_false(pt_unlink(&a->pt, va, 1, shared));
    assert_int_equal(pt_link_at(&a->pt, va, 1), 0);
    assert_int_equal(pt_link_at(&b->pt, va, 1), 0);     /* b's own table there now */
    /* Prune and destroy never free it. */
    assert_true(pt_link(&a->pt, va, 1, shared));
    pt_unmap_prune(&a->pt, 1UL << 30, 1UL << 30);
    assert_int_equal(pt_lookup(&a->pt, va + 0x3000, NULL), 0);
    assert_true(pt_link(&a->pt, va, 1, shared));
    assert_int_equal(leaves[3] & PTE_V, PTE_V);
    free_page(&a->count, shared);       /* its owner's to free (counted in a's fixture) */
    fixture_done(a);
    fixture_done(b);
}

static void map_fails_cleanly_without_memory(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(3);
    f->count.limit = 2;     /* root + one table: the 4K table cannot be had */
    assert_false(pt_map(&f->pt, 0x1000, 0x80001000, 4 * KIB, RW, 0));
    assert_int_equal(pt_lookup(&f->pt, 0x1000, NULL), 0);
    f->count.limit = -1;
    assert_true(pt_map(&f->pt, 0x1000, 0x80001000, 4 * KIB, RW, 0));
    assert_int_not_equal(pt_lookup(&f->pt, 0x1000, NULL), 0);
    fixture_done(f);

    struct page_counter none = { .limit = 0 };
    struct pt_allocator alloc = { .alloc_page = alloc_page, .free_page = free_page, .ctx = &none };
    struct page_table pt;
    assert_false(pt_create(&pt, 3, &alloc));
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random pages (4K and 2M) in a few clusters, random ranges unmapped (with
 * and without pruning), checked page by page against a list of what is
 * mapped: only the pages inside a range go, whatever the table boundaries;
 * fixture_done then checks that pruning freed nothing twice or lost nothing. */
static void unmap_random_ranges_against_a_model(void **state)
{
    (void)state;
    static const uint64_t clusters[] = { 0, 0x7fffe00000UL, 0x3fffffe00000UL, 0x40000000UL };
    uint64_t rng = 0x9e3779b97f4a7c15UL;
#define NEXT() xorshift(&rng)
    for (int round = 0; round < 200; round++) {
        struct fixture *f = fixture_new(4);
        enum { N = 24 };
        uint64_t va[N], size[N];
        bool live[N];
        for (int i = 0; i < N; i++) {
            size[i] = NEXT() % 4 ? 4 * KIB : 2 * MIB;
            uint64_t base = clusters[NEXT() % 4] + (NEXT() % 16) * 2 * MIB;
            va[i] = size[i] == 4 * KIB ? base + (NEXT() % 512) * 4 * KIB : base;
            live[i] = true;
            for (int j = 0; j < i; j++)     /* no overlaps: drop the later one */
                if (live[j] && va[i] < va[j] + size[j] && va[j] < va[i] + size[i])
                    live[i] = false;
            if (live[i])
                assert_true(pt_map(&f->pt, va[i], 0x80000000UL + (uint64_t)i * 2 * MIB, size[i],
                                   PTE_R | PTE_W, size[i] == 4 * KIB ? 0 : 1));
        }
        uint64_t lo = clusters[NEXT() % 4] + (NEXT() % (34 * 512)) * 4 * KIB - 4 * MIB;
        uint64_t len = (NEXT() % 3 == 0) ? 0 : (NEXT() % (40 * 512)) * 4 * KIB;
        if (round % 4 == 2) {   /* one page, on a mapped one half the time */
            len = 4 * KIB;
            if (NEXT() % 2)
                lo = va[NEXT() % N] + (NEXT() % 2) * 4 * KIB;
        }
        lo &= (1UL << 48) - 1;
        if (lo + len > 1UL << 48)
            len = (1UL << 48) - lo;
        /* Canonical ranges only (pt_unmap refuses others): an upper-half
         * address gets its sign extension back, a lower-half range ends at
         * the hole. */
        if (lo < 1UL << 47) {
            if (lo + len > 1UL << 47)
                len = (1UL << 47) - lo;
        } else {
            lo |= ~((1UL << 48) - 1);
        }
        int expect = 0;
        for (int i = 0; i < N; i++)
            if (live[i] && len && va[i] < lo + len && lo < va[i] + size[i])
                expect++;
        int got = expect;
        if (round % 2)
            pt_unmap_prune(&f->pt, lo, len);
        else
            got = pt_unmap(&f->pt, lo, len);
        if (got != expect)
            fail_msg("round %d: unmapping [0x%lx, +0x%lx) cleared %d leaves, not %d", round,
                     (unsigned long)lo, (unsigned long)len, got, expect);
        for (int i = 0; i < N; i++) {
            if (!live[i])
                continue;
            int level;
            bool gone = len && va[i] < lo + len && lo < va[i] + size[i];
            pte_t pte = pt_lookup(&f->pt, va[i], &level);
            if (gone != !(pte & PTE_V))
                fail_msg("round %d: page 0x%lx (+0x%lx) %s after unmapping [0x%lx, +0x%lx)",
                         round, (unsigned long)va[i], (unsigned long)size[i],
                         gone ? "still mapped" : "lost", (unsigned long)lo, (unsigned long)len);
        }
        fixture_done(f);
    }
#undef NEXT
}

static void range_canonical(void **state)
{
    (void)state;
    assert_true(pt_range_is_canonical(0, 4 * KIB, 3));
    assert_true(pt_range_is_canonical(0x3ffffff000UL, 4 * KIB, 3));        /* the last lower page */
    assert_false(pt_range_is_canonical(0x3ffffff000UL, 8 * KIB, 3));       /* into the hole */
    assert_true(pt_range_is_canonical(0xffffffc000000000UL, 4 * KIB, 3));
    assert_true(pt_range_is_canonical(0xfffffffffffff000UL, 4 * KIB, 3));  /* ends at 2^64 */
    assert_false(pt_range_is_canonical(0xfffffffffffff000UL, 8 * KIB, 3)); /* wraps to 0 */
    assert_false(pt_range_is_canonical(0xffffffbffffff000UL, 8 * KIB, 3)); /* from the hole */
    assert_false(pt_range_is_canonical(0x1000, 0, 3));                      /* empty */
    assert_false(pt_range_is_canonical(0, ~0UL, 5));                        /* across the hole */
    /* Sv57: lodger's default first-portion place and its aliases. */
    const uint64_t place = 0xff00000040000000UL;
    assert_true(pt_range_is_canonical(place, 16 * 4 * KIB, 5));
    assert_false(pt_range_is_canonical(place ^ 1UL << 63, 4 * KIB, 5));
    assert_false(pt_range_is_canonical(place & ((1UL << 57) - 1), 4 * KIB, 5));
    assert_false(pt_range_is_canonical((place & ((1UL << 57) - 1)) | 0x7eUL << 57, 4 * KIB, 5));
}

/* A non-canonical address has the index bits of a canonical one: pt_map
 * refuses it (nothing mapped, no table made), pt_unmap clears nothing. */
static void map_and_unmap_refuse_non_canonical(void **state)
{
    (void)state;
    for (int levels = 3; levels <= 5; levels++) {
        int bits = 12 + 9 * levels;
        uint64_t low = 0x40000000UL, high = -(1UL << (bits - 1)) + 0x40000000UL;
        struct fixture *f = fixture_new(levels);
        assert_true(pt_map(&f->pt, low, 0x80000000UL, 4 * 4 * KIB, RW, 0));
        assert_true(pt_map(&f->pt, high, 0x80100000UL, 4 * 4 * KIB, RW | PTE_X, 0));
        int pages = live_pages(f);
        const uint64_t aliases[] = {
            low ^ 1UL << 63, low | 1UL << bits, low | 1UL << (bits - 1),
            high ^ 1UL << 63, high & ((1UL << bits) - 1), (high & ((1UL << bits) - 1)) | 0x7eUL << 57,
        };
        for (unsigned i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
            uint64_t a = aliases[i];
            /* Some of these are canonical for a wider table only. */
            assert_false(pt_is_canonical(a, levels));
            assert_false(pt_map(&f->pt, a + 8 * KIB, 0x90000000UL, 4 * KIB, RW, 0));
            assert_int_equal(pt_unmap(&f->pt, a, 4 * KIB), 0);
            assert_int_equal(pt_unmap(&f->pt, a + 4 * KIB, 1), 0);
            assert_int_equal(pt_unmap(&f->pt, a - 4 * KIB, 6 * 4 * KIB), 0);
            pt_unmap_prune(&f->pt, a, 4 * 4 * KIB);
            pt_unmap_prune(&f->pt, a & ~(pt_level_size(levels - 1) - 1), pt_level_size(levels - 1));
            assert_int_equal(live_pages(f), pages);
            for (uint64_t p = 0; p < 4; p++) {
                assert_int_equal(pte_to_pa(pt_lookup(&f->pt, low + p * 4 * KIB, NULL)),
                                 0x80000000UL + p * 4 * KIB);
                assert_int_equal(pte_to_pa(pt_lookup(&f->pt, high + p * 4 * KIB, NULL)),
                                 0x80100000UL + p * 4 * KIB);
            }
        }
        /* Ranges through the hole or past 2^64 are refused whole. */
        uint64_t last_low = (1UL << (bits - 1)) - 4 * KIB;
        assert_false(pt_map(&f->pt, last_low, 0x90000000UL, 8 * KIB, RW, 0));
        assert_int_equal(pt_lookup(&f->pt, last_low, NULL), 0);
        assert_false(pt_map(&f->pt, 0xfffffffffffff000UL, 0x90000000UL, 8 * KIB, RW, 0));
        assert_int_equal(pt_lookup(&f->pt, 0xfffffffffffff000UL, NULL), 0);
        assert_int_equal(pt_unmap(&f->pt, 0, ~0UL), 0);
        assert_int_equal(live_pages(f), pages);
        /* The canonical addresses themselves still work. */
        assert_int_equal(pt_unmap(&f->pt, high, 4 * KIB), 1);
        assert_int_equal(pt_unmap(&f->pt, low, 4 * 4 * KIB), 4);
        fixture_done(f);
    }
}

/* Privileged spec 4.2.1: sfence.vma of an address that is not a valid
 * virtual address has no effect. */
static void fence_va_validity(void **state)
{
    (void)state;
    const unsigned long all = 1UL << SATP_MODE_SV39 | 1UL << SATP_MODE_SV48 | 1UL << SATP_MODE_SV57;
    const unsigned long sv39_only = 1UL << SATP_MODE_SV39;
    const uint64_t place = 0xff00000040000000UL;    /* lodger's default first portion (Sv57) */
    /* Paged: canonical for the mode in satp, whatever else the VM offers. */
    assert_true(pt_fence_va_valid(0x80200000UL, SATP_MODE_SV39, all));
    assert_true(pt_fence_va_valid(0x3fffffffffUL, SATP_MODE_SV39, all));
    assert_false(pt_fence_va_valid(0x4000000000UL, SATP_MODE_SV39, all));
    assert_true(pt_fence_va_valid(0xffffffc000000000UL, SATP_MODE_SV39, all));
    assert_false(pt_fence_va_valid(0x7fffffc000000000UL, SATP_MODE_SV39, all));
    assert_true(pt_fence_va_valid(0x4000000000UL, SATP_MODE_SV48, all));
    assert_false(pt_fence_va_valid(place, SATP_MODE_SV48, all));
    assert_true(pt_fence_va_valid(place, SATP_MODE_SV57, all));
    assert_false(pt_fence_va_valid(place ^ 1UL << 63, SATP_MODE_SV57, all));
    assert_false(pt_fence_va_valid(place & ((1UL << 57) - 1), SATP_MODE_SV57, all));
    assert_true(pt_fence_va_valid(~0UL, SATP_MODE_SV39, all));
    /* Bare: the widest mode offered decides. */
    assert_true(pt_fence_va_valid(place, SATP_MODE_BARE, all));
    assert_false(pt_fence_va_valid(place ^ 1UL << 63, SATP_MODE_BARE, all));
    assert_false(pt_fence_va_valid(0x0100000040000000UL, SATP_MODE_BARE, all));
    assert_true(pt_fence_va_valid(0x80200000UL, SATP_MODE_BARE, sv39_only));
    assert_false(pt_fence_va_valid(0x4000000000UL, SATP_MODE_BARE, sv39_only));
    assert_false(pt_fence_va_valid(place, SATP_MODE_BARE, sv39_only));
    assert_true(pt_fence_va_valid(0x4000000000UL, SATP_MODE_BARE, sv39_only | 1UL << SATP_MODE_SV48));
    /* No paged mode at all: no virtual address; an unknown mode neither. */
    assert_false(pt_fence_va_valid(0x80200000UL, SATP_MODE_BARE, 1UL << SATP_MODE_BARE));
    assert_false(pt_fence_va_valid(0x80200000UL, SATP_MODE_BARE, 0));
    assert_true(pt_fence_va_valid(0x80200000UL, 11, all));     /* an unknown mode: as Bare */
}

/* pt_has_table: whether a 2 MiB leaf at va would replace (and free) a
 * table; the shadow fill then maps 4 KiB instead (other harts may be
 * walking that table). */
static void has_table_tells_tables_from_leaves(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(4);
    uint64_t va = 0x40000000;
    assert_false(pt_has_table(&f->pt, va, 1));          /* nothing yet */
    assert_true(pt_map(&f->pt, va + 0x3000, 0x80003000, 4096, RW, 0));
    assert_true(pt_has_table(&f->pt, va, 1));           /* a table of 4 KiB leaves */
    assert_true(pt_has_table(&f->pt, va + 0x1ff000, 1));
    assert_true(pt_has_table(&f->pt, va, 2));
    assert_false(pt_has_table(&f->pt, va + 0x200000, 1));
    /* Emptied but not pruned, the table is still there. */
    assert_int_equal(pt_unmap(&f->pt, va + 0x3000, 4096), 1);
    assert_true(pt_has_table(&f->pt, va, 1));
    /* A 2 MiB leaf is not a table. */
    assert_true(pt_map(&f->pt, va + 0x400000, 0x80400000, 0x200000, RW, 1));
    assert_false(pt_has_table(&f->pt, va + 0x400000, 1));
    assert_true(pt_has_table(&f->pt, va + 0x400000, 2));
    fixture_done(f);
}


/* An allocator that keeps an occupancy summary (pagetable.h), as a VM's
 * shadow pool does: pages of an arena, each lent zero with its summary
 * 0; one given back must hold nonzero entries only in the groups its
 * summary names (else the allocator's zeroing of those groups alone would
 * leave entries in a page it lends as zero), and is then zeroed so. */
#define ARENA_PAGES 256

struct arena {
    uint8_t *pages;
    uint64_t summary[ARENA_PAGES];
    bool lent[ARENA_PAGES];
    int allocated, freed;
};

static uint64_t arena_page(const struct arena *a, int i)
{
    return (uint64_t)(uintptr_t)(a->pages + (size_t)i * 4096);
}

static bool arena_page_is_zero(const struct arena *a, int i)
{
    const pte_t *e = (const pte_t *)(uintptr_t)arena_page(a, i);
    for (int k = 0; k < 512; k++)
        if (e[k])
            return false;
    return true;
}

static uint64_t arena_alloc(void *ctx)
{
    struct arena *a = ctx;
    for (int i = 0; i < ARENA_PAGES; i++) {
        if (a->lent[i])
            continue;
        assert_true(arena_page_is_zero(a, i));
        assert_int_equal(a->summary[i], 0);
        a->lent[i] = true;
        a->allocated++;
        return arena_page(a, i);
    }
    fail_msg("arena of %d pages spent", ARENA_PAGES);
    return 0;
}

static void arena_free(void *ctx, uint64_t pa)
{
    struct arena *a = ctx;
    int i = (int)((pa - arena_page(a, 0)) / 4096);
    assert_true(pa >= arena_page(a, 0) && i < ARENA_PAGES && !(pa & 4095) && a->lent[i]);
    pte_t *e = (pte_t *)(uintptr_t)pa;
    for (int k = 0; k < 512; k++)
        if (e[k] && !(a->summary[i] & 1UL << (k / PT_GROUP_ENTRIES)))
            fail_msg("table page %d freed with entry %d (0x%lx) outside its summary 0x%lx", i, k,
                     (unsigned long)e[k], (unsigned long)a->summary[i]);
    for (uint64_t g = a->summary[i]; g; g &= g - 1)
        memset(e + pt_lowest_group(g) * PT_GROUP_ENTRIES, 0, PT_GROUP_ENTRIES * sizeof(pte_t));
    assert_true(arena_page_is_zero(a, i));
    a->summary[i] = 0;
    a->lent[i] = false;
    a->freed++;
}

struct summary_fixture {
    struct arena arena;
    struct pt_allocator alloc;
    struct page_table pt;
};

static struct summary_fixture *summary_fixture_new(int levels)
{
    struct summary_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->arena.pages = aligned_alloc(4096, ARENA_PAGES * 4096UL);
    assert_non_null(f->arena.pages);
    memset(f->arena.pages, 0, ARENA_PAGES * 4096UL);
    f->alloc = (struct pt_allocator){
        .alloc_page = arena_alloc, .free_page = arena_free, .ctx = &f->arena,
        .summary = f->arena.summary, .summary_base = arena_page(&f->arena, 0),
        .summary_pages = ARENA_PAGES,
    };
    assert_true(pt_create(&f->pt, levels, &f->alloc));
    return f;
}

/* Every lent page's summary is exact: a group's bit set if and only if
 * one of its eight entries is nonzero. */
static void check_summaries(const struct summary_fixture *f, const char *after)
{
    for (int i = 0; i < ARENA_PAGES; i++) {
        if (!f->arena.lent[i])
            continue;
        const pte_t *e = (const pte_t *)(uintptr_t)arena_page(&f->arena, i);
        uint64_t groups = 0;
        for (int k = 0; k < 512; k++)
            if (e[k])
                groups |= 1UL << (k / PT_GROUP_ENTRIES);
        if (groups != f->arena.summary[i])
            fail_msg("after %s: table page %d holds groups 0x%lx, its summary says 0x%lx", after,
                     i, (unsigned long)groups, (unsigned long)f->arena.summary[i]);
    }
}

static void summary_fixture_done(struct summary_fixture *f)
{
    pt_destroy(&f->pt);
    assert_int_equal(f->arena.allocated, f->arena.freed);
    for (int i = 0; i < ARENA_PAGES; i++)
        assert_true(arena_page_is_zero(&f->arena, i));
    free(f->arena.pages);
    free(f);
}

static void lowest_group_of_every_bit(void **state)
{
    (void)state;
    for (unsigned b = 0; b < 64; b++) {
        assert_int_equal(pt_lowest_group(1UL << b), b);
        assert_int_equal(pt_lowest_group(~0UL << b), b);
        assert_int_equal(pt_lowest_group((1UL << b) | (1UL << 63)), b);
    }
}

/* Without a summary (lodger's own table) or outside its pages, none. */
static void summary_only_for_the_allocators_pages(void **state)
{
    (void)state;
    uint64_t words[4];
    struct pt_allocator none = { .alloc_page = alloc_page, .free_page = free_page };
    struct pt_allocator some = { .summary = words, .summary_base = 0x80000000UL,
                                 .summary_pages = 4 };
    assert_null(pt_summary_of(&none, 0x80000000UL));
    assert_ptr_equal(pt_summary_of(&some, 0x80000000UL), &words[0]);
    assert_ptr_equal(pt_summary_of(&some, 0x80003000UL), &words[3]);
    assert_null(pt_summary_of(&some, 0x80004000UL));
    assert_null(pt_summary_of(&some, 0x7ffff000UL));
}

/* Random edits of every kind (maps of 4 KiB, 2 MiB and 1 GiB leaves,
 * superpages over tables, one-page and range unmaps, prunes, links and
 * unlinks, entries written in place through pt_leaf_table), each
 * followed by a check of every table's summary; the tables freed on the
 * way and at the end come back zero once the groups their summaries name
 * are (arena_free), in Sv39, Sv48 and Sv57. */
static void summary_tracks_every_edit(void **state)
{
    (void)state;
    static const uint64_t clusters[] = { 0, 0x3fc0000000UL, 0x40000000UL, 0x123400000UL };
    uint64_t rng = 0x2545f4914f6cdd1dUL;
    uint8_t *shared = aligned_alloc(4096, 4096);     /* a linked table: not the arena's */
    assert_non_null(shared);
    memset(shared, 0, 4096);
    uint64_t shared_pa = (uint64_t)(uintptr_t)shared;
    for (int round = 0; round < 60; round++) {
        int levels = 3 + round % 3;
        struct summary_fixture *f = summary_fixture_new(levels);
        uint64_t mapped_4k = 0;     /* a page last mapped alone: its table is filled in place */
        for (int step = 0; step < 80; step++) {
            uint64_t r = xorshift(&rng);
            uint64_t va = clusters[r % 4] + (xorshift(&rng) % (8 * 512)) * 4 * KIB;
            if (r % 7 == 0)
                va |= ~((1UL << (12 + 9 * levels - 1)) - 1);     /* the upper half */
            const char *what;
            switch ((r >> 8) % 9) {
            case 0: case 1: case 2:
                what = "a 4 KiB map";
                assert_true(pt_map(&f->pt, va, 0x80000000UL + (r & 0xfff000), 4 * KIB, RW, 0));
                mapped_4k = va;
                break;
            case 3:
                what = "a 2 MiB map";
                assert_true(pt_map(&f->pt, va & ~(2 * MIB - 1), 0x80000000UL, 2 * MIB, RW, 1));
                break;
            case 4:
                what = "a 1 GiB map";
                assert_true(pt_map(&f->pt, va & ~(GIB - 1), 0x80000000UL, GIB, RW, 2));
                break;
            case 5:
                what = "a one-page unmap";
                pt_unmap(&f->pt, va, 4 * KIB);
                break;
            case 6:
            {
                uint64_t len = (xorshift(&rng) % 2048) * 4 * KIB + 4 * KIB;
                if (!pt_range_is_canonical(va, len, levels))
                    len = 4 * KIB;
                what = (r >> 16) % 2 ? "a pruning range unmap" : "a range unmap";
                if ((r >> 16) % 2)
                    pt_unmap_prune(&f->pt, va, len);
                else
                    pt_unmap(&f->pt, va, len);
                /* Nothing left in the range, whichever groups were skipped. */
                assert_true(pt_range_empty(&f->pt, va, len));
                break;
            }
            case 7:
                what = (r >> 16) % 2 ? "an unlink" : "a link";
                if ((r >> 16) % 2)
                    pt_unlink(&f->pt, va & ~(2 * MIB - 1), 1, shared_pa);
                else
                    pt_link(&f->pt, va & ~(2 * MIB - 1), 1, shared_pa);
                break;
            default: {
                what = "entries written in place";
                pte_t *leaves = pt_leaf_table(&f->pt, mapped_4k);
                unsigned from = (unsigned)(r >> 20) % 496;
                for (unsigned k = from; leaves && k < from + 16; k += 1 + (unsigned)(r >> 30) % 5)
                    if (!(leaves[k] & PTE_V))
                        pt_write_entry(&f->pt, &leaves[k],
                                       pa_to_pte(0x90000000UL) | PTE_R | PTE_A | PTE_V);
                break;
            }
            }
            check_summaries(f, what);
        }
        summary_fixture_done(f);
    }
    for (int k = 0; k < 512; k++)
        assert_int_equal(((pte_t *)shared)[k], 0);  /* no edit reached the linked table */
    free(shared);
}

/* A table's every group place, with a summary: freeing visits only the
 * groups named, and still frees each table there. */
static void destroy_with_summary_frees_tables_in_every_group_place(void **state)
{
    (void)state;
    for (int place = 0; place < 512; place += 7) {
        struct summary_fixture *f = summary_fixture_new(3);
        assert_true(pt_map(&f->pt, GIB + (uint64_t)place * 2 * MIB, 0x80000000, 4 * KIB, RW, 0));
        assert_true(pt_map(&f->pt, GIB + (uint64_t)(511 - place) * 2 * MIB + 4 * KIB, 0x80000000,
                           4 * KIB, RW, 0));
        assert_true(pt_map(&f->pt, (uint64_t)(place % 256) * GIB, 0x80000000, 4 * KIB, RW, 0));
        check_summaries(f, "the maps");
        summary_fixture_done(f);    /* every page freed (allocated == freed), all zero */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modes_and_level_sizes),
        cmocka_unit_test(pte_address_conversion),
        cmocka_unit_test(canonical_addresses),
        cmocka_unit_test(empty_table_has_no_leaf),
        cmocka_unit_test(map_one_4k_page),
        cmocka_unit_test(map_2m_superpage),
        cmocka_unit_test(map_1g_gigapage),
        cmocka_unit_test(map_uses_largest_leaves_that_fit),
        cmocka_unit_test(map_respects_max_leaf_level),
        cmocka_unit_test(map_misaligned_pa_uses_4k_pages),
        cmocka_unit_test(remap_replaces_leaves),
        cmocka_unit_test(superpage_over_a_table_frees_it),
        cmocka_unit_test(sv48_maps_high_half_and_terapages),
        cmocka_unit_test(sv57_maps_through_five_levels),
        cmocka_unit_test(map_up_to_the_top_of_the_address_space),
        cmocka_unit_test(unmap_clears_only_the_range),
        cmocka_unit_test(unmap_random_ranges_against_a_model),
        cmocka_unit_test(unmap_clears_a_straddling_superpage_whole),
        cmocka_unit_test(unmap_a_few_pages_as_a_range),
        cmocka_unit_test(unmap_high_half_address),
        cmocka_unit_test(range_empty_checks_the_range_only),
        cmocka_unit_test(destroy_frees_every_table),
        cmocka_unit_test(destroy_frees_tables_in_every_group_place),
        cmocka_unit_test(linked_tables_are_shared_not_owned),
        cmocka_unit_test(map_fails_cleanly_without_memory),
        cmocka_unit_test(range_canonical),
        cmocka_unit_test(map_and_unmap_refuse_non_canonical),
        cmocka_unit_test(fence_va_validity),
        cmocka_unit_test(has_table_tells_tables_from_leaves),
        cmocka_unit_test(lowest_group_of_every_bit),
        cmocka_unit_test(summary_only_for_the_allocators_pages),
        cmocka_unit_test(summary_tracks_every_edit),
        cmocka_unit_test(destroy_with_summary_frees_tables_in_every_group_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
