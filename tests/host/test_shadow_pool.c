/* Host tests for src/core/shadow_pool.c (a VM's shadow page budget: its
 * own pages, what is in use, what is given back) and the eviction order
 * of the shadow cache when the budget is spent (shadow_pick_evict in
 * src/core/shadow_rules.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/shadow_pool.h"
#include "core/shadow_rules.h"
#include "arch/riscv/pagetable.h"

#define PAGE SHADOW_POOL_PAGE

static uint8_t *block_of(uint64_t pages)
{
    uint8_t *b = aligned_alloc(PAGE, pages * PAGE);
    assert_non_null(b);
    memset(b, 0xa5, pages * PAGE);  /* what a reused page held: take must zero it */
    return b;
}

/* Each pool's summary: what was left there before must not matter. */
static uint64_t *summary_of(uint64_t pages)
{
    uint64_t *s = malloc(shadow_pool_summary_bytes(pages));
    assert_non_null(s);
    memset(s, 0x5a, shadow_pool_summary_bytes(pages));
    return s;
}

static bool page_is_zero(uint64_t pa)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)pa;
    for (uint64_t i = 0; i < PAGE; i++)
        if (p[i])
            return false;
    return true;
}

/* Every page of the block once, each zeroed, inside the block, distinct;
 * then nothing: the budget is a hard limit. */
static void takes_each_page_once_then_nothing(void **state)
{
    (void)state;
    const uint64_t pages = 8;
    uint8_t *b = block_of(pages);
    struct shadow_pool p;
    uint64_t *summary = summary_of(pages);
    shadow_pool_init(&p, (uint64_t)(uintptr_t)b, pages, summary);
    uint64_t got[8];
    for (uint64_t i = 0; i < pages; i++) {
        got[i] = shadow_pool_take(&p);
        assert_true(got[i] >= (uint64_t)(uintptr_t)b && got[i] < (uint64_t)(uintptr_t)b + pages * PAGE);
        assert_int_equal(got[i] % PAGE, 0);
        assert_true(page_is_zero(got[i]));
        for (uint64_t k = 0; k < i; k++)
            assert_true(got[k] != got[i]);
        assert_int_equal(p.used, i + 1);
    }
    assert_int_equal(shadow_pool_take(&p), 0);
    assert_int_equal(shadow_pool_take(&p), 0);
    assert_int_equal(p.used, pages);
    assert_int_equal(p.peak, pages);
    assert_int_equal(shadow_pool_free(&p), 0);
    free(b);
    free(summary);
}

/* A page given back is lent again (zeroed, though the free list wrote in
 * it and a shadow table left entries in it, all of them: note_full);
 * peak stays the most in use. */
static void given_back_pages_are_reused_zeroed(void **state)
{
    (void)state;
    const uint64_t pages = 4;
    uint8_t *b = block_of(pages);
    struct shadow_pool p;
    uint64_t *summary = summary_of(pages);
    shadow_pool_init(&p, (uint64_t)(uintptr_t)b, pages, summary);
    uint64_t a = shadow_pool_take(&p), c = shadow_pool_take(&p), d = shadow_pool_take(&p);
    memset((void *)(uintptr_t)c, 0x77, PAGE);   /* a block table's entries */
    shadow_pool_note_full(&p, c);
    assert_true(shadow_pool_give(&p, c));
    assert_true(shadow_pool_give(&p, a));
    assert_int_equal(p.used, 1);
    assert_int_equal(p.peak, 3);
    /* Pages given back are lent first, the last given first; then the block's
     * page never lent. */
    assert_int_equal(shadow_pool_take(&p), a);
    assert_true(page_is_zero(a));
    assert_int_equal(shadow_pool_take(&p), c);
    assert_true(page_is_zero(c));
    uint64_t fresh = shadow_pool_take(&p);
    assert_true(fresh && fresh != a && fresh != c && fresh != d);
    assert_int_equal(shadow_pool_take(&p), 0);
    assert_int_equal(p.used, 4);
    assert_int_equal(p.peak, 4);
    free(b);
    free(summary);
}

/* A page given back is zeroed in the groups its summary names, and only
 * there: a page lent is zero and its summary 0 without a memset of the
 * whole page. shadow_pool_summary_holds tells a summary that misses an
 * entry (a writer that did not keep it). */
static void given_back_pages_are_zeroed_by_their_summary(void **state)
{
    (void)state;
    const uint64_t pages = 2;
    uint8_t *b = block_of(pages);
    uint64_t *summary = summary_of(pages);
    struct shadow_pool p;
    shadow_pool_init(&p, (uint64_t)(uintptr_t)b, pages, summary);
    for (uint64_t i = 0; i < pages; i++)
        assert_int_equal(summary[i], 0);        /* init clears whatever was there */
    uint64_t a = shadow_pool_take(&p);
    uint64_t *e = (uint64_t *)(uintptr_t)a;
    uint64_t index = (a - (uint64_t)(uintptr_t)b) / PAGE;
    /* Entries in groups 0, 5 and 63, the summary saying so. */
    e[3] = 0x1001;
    e[40] = 0x2001;
    e[47] = 0x3001;
    e[511] = 0x4001;
    assert_false(shadow_pool_summary_holds(&p, a));
    summary[index] = 1UL | 1UL << 5;
    assert_false(shadow_pool_summary_holds(&p, a));     /* group 63 missing */
    summary[index] |= 1UL << 63 | 1UL << 20;            /* an extra group is allowed */
    assert_true(shadow_pool_summary_holds(&p, a));
    /* Outside the groups the summary names the page is not touched: a
     * word there shows that only those groups are zeroed. */
    e[100] = 0xdead;
    assert_true(shadow_pool_give(&p, a));
    assert_int_equal(summary[index], 0);
    assert_int_equal(e[3] | e[40] | e[47] | e[511], 0);
    assert_int_equal(e[100], 0xdead);
    e[100] = 0;
    /* Lent again: zero, the free list's link too, its summary 0. */
    assert_int_equal(shadow_pool_take(&p), a);
    assert_true(page_is_zero(a));
    assert_int_equal(summary[index], 0);
    /* A page never lent (nor any out of the pool): nothing to check. */
    assert_true(shadow_pool_summary_holds(&p, a + PAGE));
    assert_true(shadow_pool_summary_holds(&p, a + 8));
    free(b);
    free(summary);
}

/* A page that is not the pool's (another VM's, misaligned, past the block,
 * never lent) is refused and changes nothing: shadow.c panics on it. */
static void foreign_pages_are_refused(void **state)
{
    (void)state;
    const uint64_t pages = 4;
    uint8_t *b = block_of(pages), *other = block_of(1);
    uint64_t base = (uint64_t)(uintptr_t)b;
    struct shadow_pool p;
    uint64_t *summary = summary_of(pages);
    shadow_pool_init(&p, base, pages, summary);
    assert_false(shadow_pool_give(&p, base));           /* none lent yet */
    uint64_t a = shadow_pool_take(&p);
    assert_false(shadow_pool_give(&p, (uint64_t)(uintptr_t)other));
    assert_false(shadow_pool_give(&p, a + 8));
    assert_false(shadow_pool_give(&p, base + pages * PAGE));
    assert_false(shadow_pool_give(&p, base - PAGE));
    assert_false(shadow_pool_give(&p, base + 2 * PAGE));   /* inside, never lent */
    assert_int_equal(p.used, 1);
    assert_true(shadow_pool_give(&p, a));
    assert_int_equal(p.used, 0);
    assert_false(shadow_pool_give(&p, a));              /* nothing out any more */
    free(b);
    free(other);
    free(summary);
}

/* Eviction stops once a quarter of the budget is free. */
static void roomy_at_a_quarter_free(void **state)
{
    (void)state;
    const uint64_t pages = 16;
    uint8_t *b = block_of(pages);
    struct shadow_pool p;
    uint64_t *summary = summary_of(pages);
    shadow_pool_init(&p, (uint64_t)(uintptr_t)b, pages, summary);
    uint64_t lent[16];
    for (int i = 0; i < 12; i++)
        lent[i] = shadow_pool_take(&p);
    assert_true(shadow_pool_roomy(&p));     /* 4 of 16 free */
    lent[12] = shadow_pool_take(&p);
    assert_false(shadow_pool_roomy(&p));    /* 3 of 16 */
    assert_true(shadow_pool_give(&p, lent[12]));
    assert_true(shadow_pool_roomy(&p));
    (void)lent;
    free(b);
    free(summary);
}

/* The default budget grows with RAM and vCPUs from a floor, within the
 * range lodger,shadow-pages may ask for. */
static void default_budget_from_the_vm(void **state)
{
    (void)state;
    uint64_t small = shadow_pool_default_pages(1UL << 20, 1);
    assert_int_equal(small, SHADOW_POOL_FLOOR_PAGES + 4 + SHADOW_POOL_VCPU_PAGES);
    assert_int_equal(shadow_pool_default_pages(256UL << 20, 1),
                     SHADOW_POOL_FLOOR_PAGES + 1024 + SHADOW_POOL_VCPU_PAGES);
    assert_int_equal(shadow_pool_default_pages(256UL << 20, 4),
                     SHADOW_POOL_FLOOR_PAGES + 1024 + 4 * SHADOW_POOL_VCPU_PAGES);
    assert_true(shadow_pool_pages_valid(small));
    /* A VM as large as lodger,memory-mib allows: capped. */
    assert_int_equal(shadow_pool_default_pages(1UL << 40, 14), SHADOW_POOL_MAX_PAGES);
    assert_true(shadow_pool_pages_valid(SHADOW_POOL_MIN_PAGES));
    assert_true(shadow_pool_pages_valid(SHADOW_POOL_MAX_PAGES));
    assert_false(shadow_pool_pages_valid(SHADOW_POOL_MIN_PAGES - 1));
    assert_false(shadow_pool_pages_valid(SHADOW_POOL_MAX_PAGES + 1));
    assert_false(shadow_pool_pages_valid(0));
}

/* The shadow to evict: the least recently used in use, never a held one
 * nor the one being filled, nor a free slot; -1 when none is left. */
static void evicts_least_recently_used_unheld(void **state)
{
    (void)state;
    bool in_use[6] = { true, true, true, false, true, true };
    uint64_t last[6] = { 50, 10, 20, 1, 30, 5 };
    bool held[6] = { false, true, false, false, false, false };
    /* 5 (5) is oldest of the candidates; 1 (10) is held; 3 is free. */
    assert_int_equal(shadow_pick_evict(6, in_use, last, held, -1), 5);
    /* keep: the shadow being filled is never evicted. */
    assert_int_equal(shadow_pick_evict(6, in_use, last, held, 5), 2);
    /* Evicted in turn, oldest first, until only held and kept remain. */
    int order[4], n = 0, slot;
    while ((slot = shadow_pick_evict(6, in_use, last, held, 0)) >= 0) {
        order[n++] = slot;
        in_use[slot] = false;
        assert_true(n <= 4);
    }
    assert_int_equal(n, 3);
    assert_int_equal(order[0], 5);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 4);
    assert_true(in_use[0] && in_use[1]);
    /* Every shadow held: nothing to evict. */
    bool all_held[3] = { true, true, true }, used3[3] = { true, true, true };
    uint64_t last3[3] = { 3, 2, 1 };
    assert_int_equal(shadow_pick_evict(3, used3, last3, all_held, -1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(takes_each_page_once_then_nothing),
        cmocka_unit_test(given_back_pages_are_reused_zeroed),
        cmocka_unit_test(given_back_pages_are_zeroed_by_their_summary),
        cmocka_unit_test(foreign_pages_are_refused),
        cmocka_unit_test(roomy_at_a_quarter_free),
        cmocka_unit_test(default_budget_from_the_vm),
        cmocka_unit_test(evicts_least_recently_used_unheld),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
