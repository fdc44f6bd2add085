/* Host tests for src/dev/plic.c: the PLIC model. Register map from the
 * RISC-V PLIC specification 1.0.0, chapter 3 (memory map). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dev/plic.h"

#define PRIORITY(src) (4UL * (src))
#define PENDING 0x1000UL
#define ENABLE(ctx) (0x2000UL + 0x80UL * (ctx))
#define THRESHOLD(ctx) (0x200000UL + 0x1000UL * (ctx))
#define CLAIM(ctx) (THRESHOLD(ctx) + 4)

static void plic_new(struct plic *p, unsigned contexts)
{
    memset(p, 0x5a, sizeof(*p));    /* reset must not depend on the old state */
    plic_reset(p, contexts);
}

static unsigned claim(struct plic *p, unsigned ctx)
{
    return plic_read(p, CLAIM(ctx));
}

static void complete(struct plic *p, unsigned ctx, unsigned source)
{
    plic_write(p, CLAIM(ctx), source);
}

static void reset_state(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 2);
    for (unsigned s = 0; s < PLIC_SOURCES; s++)
        assert_int_equal(plic_read(&p, PRIORITY(s)), 0);
    assert_int_equal(plic_read(&p, PENDING), 0);
    for (unsigned c = 0; c < 2; c++) {
        assert_int_equal(plic_read(&p, ENABLE(c)), 0);
        assert_int_equal(plic_read(&p, THRESHOLD(c)), 0);
        assert_int_equal(claim(&p, c), 0);
        assert_false(plic_context_pending(&p, c));
    }
}

static void level_source_is_pending_while_high(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_set_level(&p, 10, true);
    assert_int_equal(plic_read(&p, PENDING), 1u << 10);
    plic_set_level(&p, 3, true);
    assert_int_equal(plic_read(&p, PENDING), 1u << 10 | 1u << 3);
    plic_set_level(&p, 10, false);
    assert_int_equal(plic_read(&p, PENDING), 1u << 3);
    plic_set_level(&p, 3, false);
    assert_int_equal(plic_read(&p, PENDING), 0);
    /* Pending bits are read-only. */
    plic_write(&p, PENDING, 0xfffffffe);
    assert_int_equal(plic_read(&p, PENDING), 0);
    /* Pending does not need the source to be enabled or to have a priority. */
    plic_set_level(&p, 31, true);
    assert_int_equal(plic_read(&p, PENDING), 1u << 31);
}

static void registers_read_back(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 3);
    plic_write(&p, PRIORITY(1), 1);
    plic_write(&p, PRIORITY(31), 5);
    plic_write(&p, ENABLE(0), 0x0000f00e);
    plic_write(&p, ENABLE(2), 0x80000000);
    plic_write(&p, THRESHOLD(1), 3);
    assert_int_equal(plic_read(&p, PRIORITY(1)), 1);
    assert_int_equal(plic_read(&p, PRIORITY(31)), 5);
    assert_int_equal(plic_read(&p, PRIORITY(2)), 0);
    assert_int_equal(plic_read(&p, ENABLE(0)), 0x0000f00e);
    assert_int_equal(plic_read(&p, ENABLE(1)), 0);
    assert_int_equal(plic_read(&p, ENABLE(2)), 0x80000000);
    assert_int_equal(plic_read(&p, THRESHOLD(0)), 0);
    assert_int_equal(plic_read(&p, THRESHOLD(1)), 3);
    /* Only 32 sources: the second enable word and priorities past 31 are zero. */
    plic_write(&p, ENABLE(0) + 4, 0xffffffff);
    assert_int_equal(plic_read(&p, ENABLE(0) + 4), 0);
    assert_int_equal(plic_read(&p, ENABLE(0)), 0x0000f00e);
    plic_write(&p, PRIORITY(32), 7);
    assert_int_equal(plic_read(&p, PRIORITY(32)), 0);
    assert_int_equal(plic_read(&p, PENDING + 4), 0);
}

static void priority_and_threshold_are_capped_at_7(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(4), 7);
    assert_int_equal(plic_read(&p, PRIORITY(4)), 7);
    plic_write(&p, PRIORITY(4), 8);
    assert_int_equal(plic_read(&p, PRIORITY(4)), 7);
    plic_write(&p, PRIORITY(4), 0xffffffff);
    assert_int_equal(plic_read(&p, PRIORITY(4)), 7);
    plic_write(&p, THRESHOLD(0), 100);
    assert_int_equal(plic_read(&p, THRESHOLD(0)), 7);
    /* Threshold 7 masks everything, even priority 7. */
    plic_write(&p, ENABLE(0), 1u << 4);
    plic_set_level(&p, 4, true);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    plic_write(&p, THRESHOLD(0), 6);
    assert_int_equal(claim(&p, 0), 4);
}

static void source_0_does_not_exist(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(0), 5);
    assert_int_equal(plic_read(&p, PRIORITY(0)), 0);
    plic_write(&p, ENABLE(0), 0xffffffff);
    assert_int_equal(plic_read(&p, ENABLE(0)), 0xfffffffe);
    plic_set_level(&p, 0, true);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    /* Sources past the last are ignored too. */
    plic_set_level(&p, PLIC_SOURCES, true);
    plic_set_level(&p, 1000, true);
    assert_int_equal(plic_read(&p, PENDING), 0);
}

static void claim_takes_the_highest_priority(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(2), 1);
    plic_write(&p, PRIORITY(5), 6);
    plic_write(&p, PRIORITY(9), 3);
    plic_write(&p, ENABLE(0), 1u << 2 | 1u << 5 | 1u << 9);
    plic_set_level(&p, 2, true);
    plic_set_level(&p, 5, true);
    plic_set_level(&p, 9, true);
    assert_true(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 5);
    assert_int_equal(claim(&p, 0), 9);
    assert_int_equal(claim(&p, 0), 2);
    assert_int_equal(claim(&p, 0), 0);      /* all in service */
    assert_false(plic_context_pending(&p, 0));
}

static void claim_ties_go_to_the_lowest_id(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    for (unsigned s = 1; s < PLIC_SOURCES; s++)
        plic_write(&p, PRIORITY(s), 4);
    plic_write(&p, ENABLE(0), 0xfffffffe);
    plic_set_level(&p, 30, true);
    plic_set_level(&p, 7, true);
    plic_set_level(&p, 12, true);
    assert_int_equal(claim(&p, 0), 7);
    assert_int_equal(claim(&p, 0), 12);
    assert_int_equal(claim(&p, 0), 30);
    assert_int_equal(claim(&p, 0), 0);
}

static void claim_honours_enables_priority_0_and_threshold(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(3), 2);
    plic_write(&p, PRIORITY(4), 5);
    plic_write(&p, PRIORITY(6), 0);         /* priority 0: never interrupts */
    plic_set_level(&p, 3, true);
    plic_set_level(&p, 4, true);
    plic_set_level(&p, 6, true);
    /* Nothing enabled. */
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    plic_write(&p, ENABLE(0), 1u << 3 | 1u << 6);
    assert_int_equal(claim(&p, 0), 3);      /* 4 is higher but not enabled */
    complete(&p, 0, 3);
    /* Threshold: only priorities strictly above it. */
    plic_write(&p, THRESHOLD(0), 2);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    plic_write(&p, THRESHOLD(0), 1);
    assert_true(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 3);
    complete(&p, 0, 3);
    /* A source at priority 0 stays out, even with threshold 0. */
    plic_write(&p, ENABLE(0), 1u << 6);
    plic_write(&p, THRESHOLD(0), 0);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    assert_int_equal(plic_read(&p, PENDING), 1u << 3 | 1u << 4 | 1u << 6);
}

static void claim_clears_pending_until_complete(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(8), 1);
    plic_write(&p, ENABLE(0), 1u << 8);
    plic_set_level(&p, 8, true);
    assert_int_equal(claim(&p, 0), 8);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_false(plic_context_pending(&p, 0));
    /* In service: a line that stays or goes high again is not pending. */
    plic_set_level(&p, 8, false);
    plic_set_level(&p, 8, true);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_int_equal(claim(&p, 0), 0);
    /* Completion while still high: pending again at once. */
    complete(&p, 0, 8);
    assert_int_equal(plic_read(&p, PENDING), 1u << 8);
    assert_true(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 8);
    /* The device is served and drops its line before completion: nothing. */
    plic_set_level(&p, 8, false);
    complete(&p, 0, 8);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    /* And a later rise is pending again. */
    plic_set_level(&p, 8, true);
    assert_int_equal(claim(&p, 0), 8);
}

static void claimed_source_is_not_offered_to_other_contexts(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 2);
    plic_write(&p, PRIORITY(5), 1);
    plic_write(&p, ENABLE(0), 1u << 5);
    plic_write(&p, ENABLE(1), 1u << 5);
    plic_set_level(&p, 5, true);
    assert_true(plic_context_pending(&p, 0));
    assert_true(plic_context_pending(&p, 1));
    assert_int_equal(claim(&p, 1), 5);
    assert_false(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 0), 0);
    /* Either context that has it enabled may complete it. */
    complete(&p, 0, 5);
    assert_true(plic_context_pending(&p, 0));
    assert_true(plic_context_pending(&p, 1));
    assert_int_equal(claim(&p, 0), 5);
    assert_false(plic_context_pending(&p, 1));
}

static void completion_of_a_source_not_enabled_is_ignored(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 2);
    plic_write(&p, PRIORITY(5), 1);
    plic_write(&p, ENABLE(0), 1u << 5);
    plic_set_level(&p, 5, true);
    assert_int_equal(claim(&p, 0), 5);
    /* Context 1 does not have source 5 enabled. */
    complete(&p, 1, 5);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_int_equal(claim(&p, 0), 0);
    /* Context 0 disables it, then completes: ignored as well (spec 1.0.0, 9). */
    plic_write(&p, ENABLE(0), 0);
    complete(&p, 0, 5);
    assert_int_equal(plic_read(&p, PENDING), 0);
    plic_write(&p, ENABLE(0), 1u << 5);
    assert_int_equal(claim(&p, 0), 0);
    complete(&p, 0, 5);
    assert_int_equal(plic_read(&p, PENDING), 1u << 5);
    assert_int_equal(claim(&p, 0), 5);
    /* Completing ids that are not sources changes nothing. */
    complete(&p, 0, 0);
    complete(&p, 0, PLIC_SOURCES);
    complete(&p, 0, 0xffffffff);
    assert_int_equal(plic_read(&p, PENDING), 0);
    assert_int_equal(claim(&p, 0), 0);
}

static void contexts_are_independent(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 2);
    plic_write(&p, PRIORITY(3), 4);
    plic_write(&p, PRIORITY(4), 2);
    plic_write(&p, ENABLE(0), 1u << 3);
    plic_write(&p, ENABLE(1), 1u << 4);
    plic_write(&p, THRESHOLD(1), 1);
    plic_set_level(&p, 4, true);
    assert_false(plic_context_pending(&p, 0));
    assert_true(plic_context_pending(&p, 1));
    assert_int_equal(claim(&p, 0), 0);
    plic_set_level(&p, 3, true);
    assert_true(plic_context_pending(&p, 0));
    assert_int_equal(claim(&p, 1), 4);      /* 3 is higher, but not enabled for 1 */
    assert_int_equal(claim(&p, 0), 3);
    assert_int_equal(plic_read(&p, THRESHOLD(0)), 0);
    assert_int_equal(plic_read(&p, THRESHOLD(1)), 1);
}

static void contexts_beyond_the_count_read_zero(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 2);
    plic_write(&p, PRIORITY(1), 3);
    plic_set_level(&p, 1, true);
    plic_write(&p, ENABLE(2), 0xfffffffe);
    plic_write(&p, THRESHOLD(2), 0);
    assert_int_equal(plic_read(&p, ENABLE(2)), 0);
    assert_int_equal(plic_read(&p, THRESHOLD(2)), 0);
    assert_int_equal(claim(&p, 2), 0);
    assert_false(plic_context_pending(&p, 2));
    assert_false(plic_context_pending(&p, PLIC_CONTEXTS));
    assert_false(plic_context_pending(&p, 1000));
    /* The source was not claimed by that read. */
    assert_int_equal(plic_read(&p, PENDING), 1u << 1);
    /* Far past every context. */
    assert_int_equal(plic_read(&p, CLAIM(PLIC_CONTEXTS + 5)), 0);
    assert_int_equal(plic_read(&p, PLIC_MMIO_SIZE - 4), 0);
    /* More contexts than the model holds are capped (ASan checks that no
     * access goes past the arrays). */
    plic_new(&p, PLIC_CONTEXTS + 4);
    assert_int_equal(p.contexts, PLIC_CONTEXTS);
    plic_write(&p, PRIORITY(1), 3);
    plic_set_level(&p, 1, true);
    plic_write(&p, ENABLE(PLIC_CONTEXTS - 1), 1u << 1);
    assert_int_equal(plic_read(&p, ENABLE(PLIC_CONTEXTS - 1)), 1u << 1);
    assert_true(plic_context_pending(&p, PLIC_CONTEXTS - 1));
    plic_write(&p, ENABLE(PLIC_CONTEXTS), 1u << 1);
    plic_write(&p, THRESHOLD(PLIC_CONTEXTS), 7);
    assert_int_equal(plic_read(&p, ENABLE(PLIC_CONTEXTS)), 0);
    assert_int_equal(plic_read(&p, THRESHOLD(PLIC_CONTEXTS)), 0);
    assert_int_equal(claim(&p, PLIC_CONTEXTS), 0);
    assert_int_equal(claim(&p, PLIC_CONTEXTS - 1), 1);
}

static void context_pending_follows_claimable(void **state)
{
    (void)state;
    struct plic p;
    plic_new(&p, 1);
    plic_write(&p, PRIORITY(2), 1);
    plic_write(&p, ENABLE(0), 1u << 2);
    assert_false(plic_context_pending(&p, 0));
    plic_set_level(&p, 2, true);
    assert_true(plic_context_pending(&p, 0));
    plic_set_level(&p, 2, false);
    assert_false(plic_context_pending(&p, 0));
    plic_set_level(&p, 2, true);
    plic_write(&p, PRIORITY(2), 0);
    assert_false(plic_context_pending(&p, 0));
    plic_write(&p, PRIORITY(2), 1);
    assert_true(plic_context_pending(&p, 0));
    plic_write(&p, ENABLE(0), 0);
    assert_false(plic_context_pending(&p, 0));
    plic_write(&p, ENABLE(0), 1u << 2);
    assert_true(plic_context_pending(&p, 0));
    /* Asking does not claim. */
    assert_true(plic_context_pending(&p, 0));
    assert_int_equal(plic_read(&p, PENDING), 1u << 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_state),
        cmocka_unit_test(level_source_is_pending_while_high),
        cmocka_unit_test(registers_read_back),
        cmocka_unit_test(priority_and_threshold_are_capped_at_7),
        cmocka_unit_test(source_0_does_not_exist),
        cmocka_unit_test(claim_takes_the_highest_priority),
        cmocka_unit_test(claim_ties_go_to_the_lowest_id),
        cmocka_unit_test(claim_honours_enables_priority_0_and_threshold),
        cmocka_unit_test(claim_clears_pending_until_complete),
        cmocka_unit_test(claimed_source_is_not_offered_to_other_contexts),
        cmocka_unit_test(completion_of_a_source_not_enabled_is_ignored),
        cmocka_unit_test(contexts_are_independent),
        cmocka_unit_test(contexts_beyond_the_count_read_zero),
        cmocka_unit_test(context_pending_follows_claimable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
