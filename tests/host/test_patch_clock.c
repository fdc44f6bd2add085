/* Host tests for src/core/patch_clock.c: which copy of patched code makes
 * room when the site table or the copies are full (core/patch.c). The
 * hot copies (referenced since the hand last passed) stay; a restart used
 * to drop them all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/patch_clock.h"

/* The first unreferenced used slot from the hand on is taken; the
 * referenced ones passed lose their mark, those after it keep theirs. */
static void takes_the_first_cold_copy(void **state)
{
    (void)state;
    unsigned hand = 2;
    uint64_t used = 0xff, referenced = 1UL << 2 | 1UL << 3 | 1UL << 6;
    assert_int_equal(patch_clock_victim(&hand, used, &referenced, 0), 4);
    assert_int_equal(hand, 5);
    assert_int_equal(referenced, 1UL << 6);
    /* From the hand: 5 is cold. */
    assert_int_equal(patch_clock_victim(&hand, used & ~(1UL << 4), &referenced, 0), 5);
    assert_int_equal(referenced, 1UL << 6);
    assert_int_equal(hand, 6);
}

/* A hot copy survives one pass of the hand; if used again before the
 * next, it survives that too; a copy never used again goes. */
static void hot_copies_stay(void **state)
{
    (void)state;
    unsigned hand = 0;
    uint64_t used = 0x0f, referenced = 0x0f;
    int order[4];
    for (int i = 0; i < 4; i++) {
        referenced |= 1UL << 1;         /* copy 1 keeps being used */
        order[i] = patch_clock_victim(&hand, used, &referenced, 0);
        assert_true(order[i] >= 0);
        assert_int_not_equal(order[i], 1);
        used &= ~(1UL << order[i]);
        if (used == 1UL << 1)
            break;
    }
    assert_int_equal(used, 1UL << 1);
    assert_int_equal(order[0], 0);      /* all referenced: one pass, then from the hand */
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 3);
}

/* Free slots are no candidates; the one kept (the copy being learned
 * into) never goes, however cold; nothing to take: -1, every mark gone. */
static void skips_free_and_kept_slots(void **state)
{
    (void)state;
    unsigned hand = 60;
    uint64_t used = 1UL << 63 | 1UL << 5, referenced = 0;
    assert_int_equal(patch_clock_victim(&hand, used, &referenced, 1UL << 63), 5);
    assert_int_equal(hand, 6);
    referenced = 1UL << 63;
    assert_int_equal(patch_clock_victim(&hand, 1UL << 63, &referenced, 1UL << 63), -1);
    assert_int_equal(patch_clock_victim(&hand, 0, &referenced, 0), -1);
    referenced = 1UL << 7;
    assert_int_equal(patch_clock_victim(&hand, 1UL << 7, &referenced, 0), 7);   /* second turn */
    assert_int_equal(referenced, 0);
    assert_int_equal(hand, 8);
}

/* The hand wraps: slot 63, then 0. */
static void the_hand_wraps(void **state)
{
    (void)state;
    unsigned hand = 63;
    uint64_t used = 1UL << 63 | 1UL, referenced = 0;
    assert_int_equal(patch_clock_victim(&hand, used, &referenced, 0), 63);
    assert_int_equal(hand, 0);
    assert_int_equal(patch_clock_victim(&hand, used, &referenced, 0), 0);
    assert_int_equal(hand, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(takes_the_first_cold_copy),
        cmocka_unit_test(hot_copies_stay),
        cmocka_unit_test(skips_free_and_kept_slots),
        cmocka_unit_test(the_hand_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
