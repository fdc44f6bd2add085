/* Host tests for the first portion's layout (src/core/first_portion.h): the
 * one place that says where its code, frames and window are, where it ends
 * and whether a range touches it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/first_portion.h"

/* The first portion's code, as the linker would place it in lodger's image. */
char first_portion_start[FIRST_CODE_SIZE];

#define SATP_OF(mode) ((uint64_t)(mode) << SATP_MODE_SHIFT)

/* Overlap of two ranges neither of which runs past 2^64, computed the slow
 * way: the later start is below the earlier end. */
static bool reference_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    unsigned __int128 a_end = (unsigned __int128)a + a_size, b_end = (unsigned __int128)b + b_size;
    unsigned __int128 start = a > b ? a : b, end = a_end < b_end ? a_end : b_end;
    return a_size && b_size && start < end;
}

static void test_place_overlap(void **state)
{
    (void)state;
    const uint64_t place = 0xffffffc040000000UL, size = FIRST_PORTION_SIZE;
    assert_int_equal(size, 16 * 4096);
    assert_true(first_place_overlaps(place, place, 1));
    assert_true(first_place_overlaps(place, place + size - 1, 1));
    assert_false(first_place_overlaps(place, place + size, 4096));   /* just after */
    assert_false(first_place_overlaps(place, place - 4096, 4096));   /* just before */
    assert_true(first_place_overlaps(place, place - 4096, 4097));    /* one byte in */
    assert_true(first_place_overlaps(place, place & ~0x1fffffUL, 0x200000));  /* a 2 MiB block */
    assert_true(first_place_overlaps(place, 0, UINT64_MAX));         /* everything */
    assert_false(first_place_overlaps(place, place, 0));             /* an empty range */
    assert_false(first_ranges_overlap(place, 0, place, size));
}

/* A place that ends exactly at 2^64 (its end computes as 0), and ranges
 * that end there or run past it. */
static void test_place_overlap_wrap(void **state)
{
    (void)state;
    const uint64_t size = FIRST_PORTION_SIZE, top = 0 - size;
    assert_int_equal(first_place_end(top), 0);
    assert_true(first_place_contains(top, UINT64_MAX));
    assert_true(first_place_contains(top, top));
    assert_false(first_place_contains(top, top - 1));
    assert_false(first_place_contains(top, 0));
    assert_true(first_place_overlaps(top, UINT64_MAX - 4095, 4096));
    assert_true(first_place_overlaps(top, top - 4096, 8192));
    assert_false(first_place_overlaps(top, top - 4096, 4096));
    assert_false(first_place_overlaps(top, 0, 4096));
    /* A range at the top does not reach a place at the bottom... */
    assert_false(first_place_overlaps(0, UINT64_MAX - 4095, 4096));
    /* ...unless it runs past 2^64: then it goes on from 0 (never missed). */
    assert_true(first_place_overlaps(0, UINT64_MAX - 4095, 8192));
    /* [2^64-1, +size) then covers 0 .. size-2. */
    assert_true(first_place_overlaps(size - 2, UINT64_MAX, size));
    assert_false(first_place_overlaps(size - 1, UINT64_MAX, size));
    /* A place that would itself run past 2^64 reaches 0. */
    assert_true(first_place_contains(0 - 4096, 0));
    assert_true(first_place_overlaps(0 - 4096, 0, 1));
}

/* Against the slow reference, around 0, around 2^63 and at the top, for
 * every pair of ranges that ends by 2^64. */
static void test_overlap_matches_reference(void **state)
{
    (void)state;
    static const uint64_t bases[] = { 0, 1UL << 63, 0 - 0x40000UL };
    static const uint64_t sizes[] = { 0, 1, 4095, 4096, 4097, FIRST_PORTION_SIZE, 0x20000 };
    unsigned checked = 0;
    for (unsigned k = 0; k < sizeof(bases) / sizeof(bases[0]); k++)
        for (uint64_t a = bases[k]; a - bases[k] < 0x40000; a += 0x800)
            for (uint64_t b = bases[k]; b - bases[k] < 0x40000; b += 0x800)
                for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                    for (unsigned j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
                        uint64_t as = sizes[i], bs = sizes[j];
                        if (a + as < a || b + bs < b)
                            continue;   /* runs past 2^64: test_place_overlap_wrap */
                        if (first_ranges_overlap(a, as, b, bs) != reference_overlap(a, as, b, bs))
                            fail_msg("[0x%lx,+0x%lx) [0x%lx,+0x%lx): 0x%x", (unsigned long)a,
                                     (unsigned long)as, (unsigned long)b, (unsigned long)bs,
                                     first_ranges_overlap(a, as, b, bs));
                        checked++;
                    }
    assert_true(checked > 100000);
}

/* vCPU i's frame pages: after the code, vCPU 0's page of plain CSRs then
 * one frame page each, inside the place, the last ending where the place
 * does. vCPU 0's frame starts FRAME_PLAIN_SIZE bytes before its frame page,
 * so its plain CSRs end the page before, which holds nothing else. */
static void test_frame_addresses(void **state)
{
    (void)state;
    const uint64_t place = 0xffffffd000000000UL;
    assert_int_equal(FIRST_PORTION_SIZE, 0x10000);
    assert_int_equal(first_frame_pages_offset(0), FIRST_CODE_PAGES * 4096);
    assert_int_equal(first_frame_pages_size(0), 2 * 4096);
    assert_int_equal(first_frame_va(place, 0), place + FIRST_CODE_SIZE + 4096 - 32);
    assert_int_equal(first_frame_va(place, 1), place + FIRST_CODE_SIZE + 2 * 4096);
    assert_int_equal(first_frame_va(place, 3), place + (FIRST_CODE_PAGES + 4) * 4096UL);
    uint64_t end = place + FIRST_CODE_SIZE;
    for (int i = 0; i < FIRST_MAX_VCPUS; i++) {
        uint64_t va = first_frame_pages_va(place, i), size = first_frame_pages_size(i);
        assert_int_equal(va, end);      /* right after the one before */
        end = va + size;
        assert_int_equal(va % PAGE_SIZE, 0);
        assert_int_equal(first_frame_has_plain(i), i == 0);
        assert_int_equal(first_frame_va(place, i), i ? va : va + 4096 - FRAME_PLAIN_SIZE);
        assert_int_equal(first_frame_offset(i), first_frame_va(place, i) - place);
        assert_true(first_place_contains(place, va));
        assert_true(first_place_contains(place, va + size - 1));
        assert_false(first_ranges_overlap(place, FIRST_CODE_SIZE, va, size));
    }
    assert_int_equal(end, first_place_end(place));
    /* Also for a place at the very top. */
    assert_int_equal(first_frame_va(0 - FIRST_PORTION_SIZE, FIRST_MAX_VCPUS - 1),
                     0 - FIRST_FRAME_SIZE);
    /* A frame in pages allocated for it, and back; its check area fits. */
    static _Alignas(4096) unsigned char pages[2 * 4096];
    struct trap_frame *f = first_frame_in((uint64_t)(uintptr_t)pages, 0);
    assert_ptr_equal((unsigned char *)&f->csr.sscratch, pages + 4096 - 32);
    assert_ptr_equal((unsigned char *)&f->csr.stval + 8, pages + 4096);
    assert_int_equal(first_frame_pages_of(f, 0), (uint64_t)(uintptr_t)pages);
    assert_true((unsigned char *)(fast_check_area_of(f) + 1) <= pages + sizeof(pages));
    f = first_frame_in((uint64_t)(uintptr_t)pages, 1);
    assert_ptr_equal((unsigned char *)f, pages);
    assert_true((unsigned char *)(fast_check_area_of(f) + 1) <= pages + 4096);
    /* The code's symbols keep their offsets. */
    assert_int_equal(first_symbol_va(place, first_portion_start), place);
    assert_int_equal(first_symbol_va(place, first_portion_start + 0x123), place + 0x123);
}

/* The window: its end, what it holds, and which guests have it. */
static void test_window(void **state)
{
    (void)state;
    struct first_portion fp = { .window_va = first_default_window(4), .window_size = 256UL << 20 };
    assert_int_equal(fp.window_va, 0xffff808000000000UL);
    assert_int_equal(first_window_end(&fp), fp.window_va + (256UL << 20));
    assert_true(first_window_contains(&fp, fp.window_va));
    assert_true(first_window_contains(&fp, first_window_end(&fp) - 1));
    assert_false(first_window_contains(&fp, first_window_end(&fp)));
    assert_false(first_window_contains(&fp, fp.window_va - 1));
    assert_true(first_window_overlaps(&fp, fp.window_va - 4096, 4097));
    assert_false(first_window_overlaps(&fp, fp.window_va - 4096, 4096));
    /* Only guests of a narrower mode than the host's have it. */
    assert_int_equal(first_window_for(&fp, SATP_OF(SATP_MODE_SV39), 4), fp.window_va);
    assert_int_equal(first_window_for(&fp, SATP_OF(SATP_MODE_SV48), 4), 0);
    assert_int_equal(first_window_for(&fp, SATP_OF(SATP_MODE_SV48), 5), fp.window_va);
    assert_int_equal(first_window_for(&fp, SATP_OF(SATP_MODE_BARE) | 0x80000, 4), 0);
    /* No window: nothing is in it. */
    fp.window_va = 0;
    assert_false(first_window_contains(&fp, 0));
    assert_false(first_window_overlaps(&fp, 0, UINT64_MAX));
    assert_int_equal(first_window_for(&fp, SATP_OF(SATP_MODE_SV39), 5), 0);
}

/* The default place and window, for each host mode: canonical for the host,
 * clear of each other, and the window unreachable for narrower guests. */
static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(first_default_place(3), 0xffffffc040000000UL);
    assert_int_equal(first_default_place(5), 0xff00000040000000UL);
    assert_int_equal(first_default_window(3), 0);
    for (int levels = 3; levels <= 5; levels++) {
        uint64_t place = first_default_place(levels);
        assert_true(pt_range_is_canonical(place, FIRST_PORTION_SIZE, levels));
        struct first_portion fp = { .window_va = first_default_window(levels),
                                    .window_size = 1UL << 30 };
        assert_false(first_window_overlaps(&fp, place, FIRST_PORTION_SIZE));
        if (levels > 3)
            assert_true(pt_range_is_canonical(fp.window_va, fp.window_size, levels));
        for (int narrower = 3; narrower < levels; narrower++) {
            assert_false(pt_is_canonical(fp.window_va, narrower));
            assert_false(pt_is_canonical(first_window_end(&fp) - 1, narrower));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_place_overlap),
        cmocka_unit_test(test_place_overlap_wrap),
        cmocka_unit_test(test_overlap_matches_reference),
        cmocka_unit_test(test_frame_addresses),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
