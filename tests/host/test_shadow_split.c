/* Host tests for src/core/shadow_split.c: the guest superpages a VM's
 * shadows hold in pieces (noted, found from any address inside, the least
 * recently noted handed back when full) and the range arithmetic that
 * unmaps such a superpage around lodger's own places. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/shadow_split.h"

#define MB2 (1UL << 21)
#define GB (1UL << 30)

static void found_from_any_address_inside(void **state)
{
    (void)state;
    struct shadow_splits t = { 0 };
    struct shadow_split ev;
    uint64_t lo = 0, size = 0;
    assert_false(shadow_split_find(&t, 0x1000000000UL, &lo, &size));
    assert_false(shadow_split_note(&t, 0x1000000000UL, GB, 1, &ev));
    assert_true(shadow_split_find(&t, 0x1000000000UL, &lo, &size));
    assert_int_equal(lo, 0x1000000000UL);
    assert_int_equal(size, GB);
    assert_true(shadow_split_find(&t, 0x1000000000UL + GB - 1, &lo, &size));
    assert_false(shadow_split_find(&t, 0x1000000000UL + GB, &lo, &size));
    assert_false(shadow_split_find(&t, 0x1000000000UL - 1, &lo, &size));
    /* A 2 MiB leaf inside (another address space's): the widest wins. */
    assert_false(shadow_split_note(&t, 0x1000200000UL, MB2, 2, &ev));
    assert_true(shadow_split_find(&t, 0x1000200010UL, &lo, &size));
    assert_int_equal(size, GB);
    /* The top of the address space: a leaf that ends at 2^64. */
    assert_false(shadow_split_note(&t, 0UL - GB, GB, 3, &ev));
    assert_true(shadow_split_find(&t, ~0UL, &lo, &size));
    assert_int_equal(lo, 0UL - GB);
    assert_false(shadow_split_find(&t, 0, &lo, &size));
    shadow_split_reset(&t);
    assert_false(shadow_split_find(&t, ~0UL, &lo, &size));
}

static void noting_again_refreshes_full_hands_back_oldest(void **state)
{
    (void)state;
    struct shadow_splits t = { 0 };
    struct shadow_split ev = { 0 };
    for (uint64_t i = 0; i < SHADOW_SPLITS; i++)
        assert_false(shadow_split_note(&t, i * MB2, MB2, 10 + i, &ev));
    /* Entry 0 noted again: now the most recent. */
    assert_false(shadow_split_note(&t, 0, MB2, 100, &ev));
    assert_true(shadow_split_note(&t, 0x40000000UL, GB, 101, &ev));
    assert_int_equal(ev.va, MB2);   /* entry 1 was the oldest */
    assert_int_equal(ev.size, MB2);
    uint64_t lo, size;
    assert_false(shadow_split_find(&t, MB2 + 5, &lo, &size));
    assert_true(shadow_split_find(&t, 5, &lo, &size));
    assert_true(shadow_split_find(&t, 0x40000005UL, &lo, &size));
}

static void range_minus_holes(void **state)
{
    (void)state;
    uint64_t out[3][2];
    /* No hole. */
    uint64_t none[1][2] = { { 0, 0 } };
    assert_int_equal(shadow_range_minus(GB, GB, none, 1, out), 1);
    assert_int_equal(out[0][0], GB);
    assert_int_equal(out[0][1], GB);
    /* One hole in the middle, one before and reaching in. */
    uint64_t holes[2][2] = { { GB + 0x3000, 0x2000 }, { GB - 0x1000, 0x3000 } };
    assert_int_equal(shadow_range_minus(GB, GB, holes, 2, out), 2);
    assert_int_equal(out[0][0], GB + 0x2000);
    assert_int_equal(out[0][1], 0x1000);
    assert_int_equal(out[1][0], GB + 0x5000);
    assert_int_equal(out[1][1], GB - 0x5000);
    /* A hole past the end and one covering it all. */
    uint64_t past[1][2] = { { 2 * GB, 0x1000 } };
    assert_int_equal(shadow_range_minus(GB, GB, past, 1, out), 1);
    uint64_t all[1][2] = { { 0, 4 * GB } };
    assert_int_equal(shadow_range_minus(GB, GB, all, 1, out), 0);
    /* At the top of the address space, a hole that ends at 2^64. */
    uint64_t top[1][2] = { { 0UL - 0x1000, 0x1000 } };
    assert_int_equal(shadow_range_minus(0UL - MB2, MB2, top, 1, out), 1);
    assert_int_equal(out[0][0], 0UL - MB2);
    assert_int_equal(out[0][1], MB2 - 0x1000);
    /* Overlapping holes. */
    uint64_t both[2][2] = { { GB + 0x1000, 0x3000 }, { GB + 0x2000, 0x3000 } };
    assert_int_equal(shadow_range_minus(GB, 0x8000, both, 2, out), 2);
    assert_int_equal(out[0][0], GB);
    assert_int_equal(out[0][1], 0x1000);
    assert_int_equal(out[1][0], GB + 0x5000);
    assert_int_equal(out[1][1], 0x3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_from_any_address_inside),
        cmocka_unit_test(noting_again_refreshes_full_hands_back_oldest),
        cmocka_unit_test(range_minus_holes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
