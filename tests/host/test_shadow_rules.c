/* Host tests for src/core/shadow_rules.h: the shadow cache's key (one
 * address space: root and ASID) and the fence-sequence check that keeps a
 * fill from installing what a concurrent fence removed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/shadow_rules.h"

#define VIEW_S 1
#define SV57 (10UL << SATP_MODE_SHIFT)
#define SATP(mode, asid, ppn) ((mode) | (uint64_t)(asid) << SATP_ASID_SHIFT | (ppn))

/* Privileged spec 4.2.1: translations cached under ASID A never serve B,
 * also on the same root: two keys. */
static void test_key_root_and_asid(void **state)
{
    (void)state;
    int view_a = 0, view_b = 0;
    uint64_t a = shadow_key_of(SATP(SV57, 1, 0x80123), &view_a, VIEW_S);
    uint64_t b = shadow_key_of(SATP(SV57, 2, 0x80123), &view_b, VIEW_S);
    assert_int_not_equal(a, b);
    assert_int_equal(shadow_key_asid(a), 1);
    assert_int_equal(shadow_key_asid(b), 2);
    assert_int_equal(view_a, 0);    /* a paged view is kept */
    /* Same address space: same key. */
    assert_int_equal(shadow_key_of(SATP(SV57, 1, 0x80123), &view_a, VIEW_S), a);
    /* Another root under the same ASID: another key. */
    assert_int_not_equal(shadow_key_of(SATP(SV57, 1, 0x80124), &view_a, VIEW_S), a);
    /* The widest ASID. */
    assert_int_equal(shadow_key_asid(shadow_key_of(SATP(SV57, 0xffff, 1), &view_a, VIEW_S)),
                     0xffff);
}

/* Translation off: one key whatever the ASID bits, and the S view. */
static void test_key_bare(void **state)
{
    (void)state;
    int view_a = 0, view_b = 6;
    uint64_t a = shadow_key_of(SATP(0UL, 0, 0), &view_a, VIEW_S);
    uint64_t b = shadow_key_of(SATP(0UL, 7, 0), &view_b, VIEW_S);
    assert_int_equal(a, b);
    assert_int_equal(view_a, VIEW_S);
    assert_int_equal(view_b, VIEW_S);
}

/* A fence between the walk and the install: the fill must not install. */
static void test_fence_between_walk_and_install(void **state)
{
    (void)state;
    uint64_t first = 0x40000000;
    assert_true(shadow_fill_may_install(7, 7, 0x1000, 4096, first));
    assert_false(shadow_fill_may_install(7, 8, 0x1000, 4096, first));
    assert_false(shadow_fill_may_install(7, 9, 0x200000, 0x200000, first));
    /* The counter wraps like any other value. */
    assert_false(shadow_fill_may_install(UINT64_MAX, 0, 0x1000, 4096, first));
    assert_true(shadow_fill_may_install(UINT64_MAX, UINT64_MAX, 0x1000, 4096, first));
}

/* The first portion moved onto the page since the fill looked. */
static void test_first_portion_overlap(void **state)
{
    (void)state;
    uint64_t first = 0x40000000, size = FIRST_PORTION_SIZE;
    assert_false(shadow_fill_may_install(1, 1, first, 4096, first));
    assert_false(shadow_fill_may_install(1, 1, first + size - 4096, 4096, first));
    assert_true(shadow_fill_may_install(1, 1, first + size, 4096, first));
    assert_true(shadow_fill_may_install(1, 1, first - 4096, 4096, first));
    /* A 2 MiB block holding it. */
    assert_false(shadow_fill_may_install(1, 1, first & ~0x1fffffUL, 0x200000, first));
    /* At the very top of the address space (ends wrap to 0). */
    uint64_t top = 0 - size;
    assert_false(shadow_fill_may_install(1, 1, UINT64_MAX - 4095, 4096, top));
    assert_true(shadow_fill_may_install(1, 1, top - 4096, 4096, top));
    assert_true(shadow_fill_may_install(1, 1, 0, 4096, top));
    assert_true(shadow_fill_may_install(1, 1, UINT64_MAX - 4095, 4096, 0));
}

/* With few ASID bits some shadows share ASID 0: a switch to or among them
 * flushes, including the fast path's in-place switch to another view
 * (the current shadow having an ASID of its own is not enough). */
static void test_flush_on_switch(void **state)
{
    (void)state;
    const uint16_t own[] = { 3, 4, 5 }, view_shared[] = { 3, 0 }, current_shared[] = { 0, 4 };
    assert_false(shadow_flush_on_switch(own, 3));
    assert_true(shadow_flush_on_switch(view_shared, 2));
    assert_true(shadow_flush_on_switch(current_shared, 2));
    assert_false(shadow_flush_on_switch(view_shared, 1));   /* no other view built */
}

/* Issue 12: a vCPU's frame follows the shadows it may run on: gained by
 * the new ones, lost by those it left, untouched where it stays. */
static void test_frame_change(void **state)
{
    (void)state;
    /* First resume: the current shadow (slot 3) and two views (3 again, 5). */
    int first[4] = { 3, 3, 5, -1 };
    struct shadow_frame_change c = shadow_frame_change_of(first, 4, 0);
    assert_int_equal(c.gain, 1u << 3 | 1u << 5);
    assert_int_equal(c.lose, 0);
    /* Same shadows again: nothing to do. */
    c = shadow_frame_change_of(first, 4, 1u << 3 | 1u << 5);
    assert_int_equal(c.gain, 0);
    assert_int_equal(c.lose, 0);
    /* Another address space (a context switch): slots 7 and 15 gain it,
     * 3 and 5 lose it. */
    int next[4] = { 7, -1, 15, 7 };
    c = shadow_frame_change_of(next, 4, 1u << 3 | 1u << 5);
    assert_int_equal(c.gain, 1u << 7 | 1u << 15);
    assert_int_equal(c.lose, 1u << 3 | 1u << 5);
    /* Overlap: 5 stays, 3 goes, 0 comes. */
    int overlap[4] = { 5, 0, -1, -1 };
    c = shadow_frame_change_of(overlap, 4, 1u << 3 | 1u << 5);
    assert_int_equal(c.gain, 1u << 0);
    assert_int_equal(c.lose, 1u << 3);
    /* No shadow any more (a stopped vCPU): every mapping goes. */
    c = shadow_frame_change_of(NULL, 0, 0xffff);
    assert_int_equal(c.gain, 0);
    assert_int_equal(c.lose, 0xffff);
}

/* Issue 12, shadow lifetime: a held slot is never the victim, however
 * old; a free slot comes first; none when every slot is held. */
static void test_victim_rule(void **state)
{
    (void)state;
    bool in_use[4] = { true, true, true, true }, held[4] = { true, false, false, true };
    uint64_t last_used[4] = { 1, 5, 3, 0 };
    assert_int_equal(shadow_pick_victim(4, in_use, last_used, held), 2);
    in_use[1] = false;
    assert_int_equal(shadow_pick_victim(4, in_use, last_used, held), 1);
    in_use[1] = true;
    held[1] = held[2] = true;
    assert_int_equal(shadow_pick_victim(4, in_use, last_used, held), -1);
}

/* The race of issue 12's leftover, on a model of the cache (16 slots, the
 * fast path's satp switch as a register load and a later store): vCPU A
 * resumes holding three views (its frame names them); its fast path loads
 * one view's satp; vCPU B then goes through more address spaces than the
 * cache holds, each a shadow_get that releases a victim. The view A loaded
 * must never be released before A's next resume. (The old rule - release
 * clears every vCPU's views, busy = named by a frame now - released it.) */
#define SLOTS 16
struct model {
    bool in_use[SLOTS];
    uint64_t last_used[SLOTS], clock;
    uint32_t holders[SLOTS];        /* s->frames: bit per vCPU */
    int current[2];                 /* v->shadow of vCPU 0 and 1 */
    unsigned releases[SLOTS];
};

static int model_get(struct model *m, int v)
{
    bool held[SLOTS];
    for (int i = 0; i < SLOTS; i++)
        held[i] = m->in_use[i] && ((m->holders[i] & ~(1u << v)) || m->current[1 - v] == i);
    int slot = shadow_pick_victim(SLOTS, m->in_use, m->last_used, held);
    if (slot < 0)
        return -1;
    if (m->in_use[slot])
        m->releases[slot]++;
    m->in_use[slot] = true;
    m->holders[slot] = 0;
    m->last_used[slot] = ++m->clock;
    m->current[v] = slot;
    return slot;
}

/* vcpu_resume: v's hold moves to its current shadow and its views. */
static void model_resume(struct model *m, int v, const int *views, int count)
{
    for (int i = 0; i < SLOTS; i++)
        m->holders[i] &= ~(1u << v);
    m->holders[m->current[v]] |= 1u << v;
    for (int i = 0; i < count; i++)
        m->holders[views[i]] |= 1u << v;
}

static void test_view_survives_other_vcpus_churn(void **state)
{
    (void)state;
    struct model m = { .current = { -1, -1 } };
    int views[3];
    for (int i = 0; i < 3; i++)
        views[i] = model_get(&m, 0);
    model_resume(&m, 0, views, 3);
    int loaded = views[1];          /* the fast path's register */
    unsigned before = m.releases[loaded];
    for (int n = 0; n < 100; n++) {
        assert_int_not_equal(model_get(&m, 1), -1);
        model_resume(&m, 1, NULL, 0);
    }
    /* B churned through every other slot, many times. */
    for (int i = 0; i < SLOTS; i++)
        if (i != views[0] && i != views[1] && i != views[2])
            assert_true(m.releases[i] > 0);
    assert_int_equal(m.releases[loaded], before);
    assert_int_equal(m.releases[views[0]], 0);
    assert_int_equal(m.releases[views[2]], 0);
    /* A's next resume drops the views: now they may go. */
    model_resume(&m, 0, NULL, 0);
    for (int n = 0; n < 40; n++) {
        model_get(&m, 1);
        model_resume(&m, 1, NULL, 0);
    }
    assert_true(m.releases[loaded] > before);
}

/* Issue 15, shared global tables: only G=1, U=0 leaves of an S view
 * without MXR, found through a guest level-1 table, are shared. */
static void test_global_leaf_rule(void **state)
{
    (void)state;
    uint64_t kernel = pa_to_pte(0x80200000) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_G;
    assert_true(shadow_global_leaf(true, kernel, 0, 0x81000000));
    assert_true(shadow_global_leaf(true, kernel, 1, 0x81000000));
    assert_false(shadow_global_leaf(false, kernel, 0, 0x81000000));        /* U, MXR views */
    assert_false(shadow_global_leaf(true, kernel & ~PTE_G, 0, 0x81000000)); /* per ASID */
    assert_false(shadow_global_leaf(true, kernel | PTE_U, 0, 0x81000000));  /* SUM decides */
    assert_false(shadow_global_leaf(true, kernel, 2, 0));                   /* no level-1 key */
    assert_false(shadow_global_leaf(true, kernel, 0, 0));
}

/* Regions holding lodger's own mappings are never shared: the first
 * portion's place (wherever in the region, also straddling its start),
 * the guest-RAM window, the top page. */
static void test_global_region_rule(void **state)
{
    (void)state;
    const uint64_t G = SHADOW_GLOBAL_SIZE, plain = 0xfffffffffffff000UL;
    uint64_t region = 0xffffffff80000000UL - G, first = 0xff00000040000000UL;
    assert_true(shadow_global_region_ok(region, first, 0, 0, plain));
    assert_false(shadow_global_region_ok(first, first, 0, 0, plain));
    assert_false(shadow_global_region_ok(region, region + G - 4096, 0, 0, plain));
    assert_false(shadow_global_region_ok(region, region - 4096, 0, 0, plain));
    assert_false(shadow_global_region_ok(region, first, region + 8192, 4096, plain));
    assert_true(shadow_global_region_ok(region, first, region + G, 4096, plain));
    assert_false(shadow_global_region_ok(0xffffffffc0000000UL, first, 0, 0, plain));
    assert_true(shadow_global_region_ok(0xffffffff80000000UL, first, 0, 0, plain));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_root_and_asid),
        cmocka_unit_test(test_key_bare),
        cmocka_unit_test(test_fence_between_walk_and_install),
        cmocka_unit_test(test_first_portion_overlap),
        cmocka_unit_test(test_flush_on_switch),
        cmocka_unit_test(test_frame_change),
        cmocka_unit_test(test_victim_rule),
        cmocka_unit_test(test_view_survives_other_vcpus_churn),
        cmocka_unit_test(test_global_leaf_rule),
        cmocka_unit_test(test_global_region_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
