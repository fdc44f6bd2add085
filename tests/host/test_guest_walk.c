/* Host tests for src/core/guest_walk.c: the guest page-table walker
 * (privileged spec 4.3.2, with 4.4-4.6 for Sv39/Sv48/Sv57). The guest's
 * tables are built in a host buffer that plays guest RAM at 0x80000000. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "arch/riscv/pagetable.h"
#include "core/guest_walk.h"

#define KIB 1024UL
#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define RAM_BASE 0x80000000UL
#define RAM_PAGES 64
#define RAM_SIZE (RAM_PAGES * 4 * KIB)

/* Guest RAM and a bump allocator of table pages inside it. */
struct guest {
    uint8_t *ram;
    uint64_t next_table;        /* gpa of the next free page */
    unsigned *lookups;          /* gpa_to_host calls (through a pointer: ctx is const) */
    unsigned lookup_count;
};

static void *gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    const struct guest *g = ctx;
    (*g->lookups)++;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
        return NULL;
    return g->ram + (gpa - RAM_BASE);
}

static struct guest *guest_new(void)
{
    struct guest *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    g->ram = aligned_alloc(4096, RAM_SIZE);
    assert_non_null(g->ram);
    memset(g->ram, 0, RAM_SIZE);
    g->next_table = RAM_BASE;
    g->lookups = &g->lookup_count;
    return g;
}

static void guest_free(struct guest *g)
{
    free(g->ram);
    free(g);
}

static uint64_t table_new(struct guest *g)
{
    assert_true(g->next_table < RAM_BASE + RAM_SIZE);
    uint64_t gpa = g->next_table;
    g->next_table += 4 * KIB;
    return gpa;
}

static uint64_t *pte_at(struct guest *g, uint64_t table, uint64_t va, int level)
{
    assert_true(table >= RAM_BASE && table < RAM_BASE + RAM_SIZE);
    uint64_t *entries = (uint64_t *)(g->ram + (table - RAM_BASE));
    return &entries[(va >> (12 + 9 * level)) & 511];
}

/* A guest address space: its root table and mode. */
struct space {
    struct guest *g;
    uint64_t root;
    int levels;
};

static struct space space_new(struct guest *g, int levels)
{
    return (struct space){ g, table_new(g), levels };
}

static uint64_t satp_of(const struct space *s)
{
    return pt_mode_of_levels(s->levels) << SATP_MODE_SHIFT | (uint64_t)0x1234 << SATP_ASID_SHIFT |
           s->root >> 12;
}

/* Returns the slot of the PTE at level for va, creating the tables above it. */
static uint64_t *slot_for(struct space *s, uint64_t va, int level)
{
    uint64_t table = s->root;
    for (int l = s->levels - 1; l > level; l--) {
        uint64_t *pte = pte_at(s->g, table, va, l);
        if (!(*pte & PTE_V))
            *pte = pa_to_pte(table_new(s->g)) | PTE_V;
        table = pte_to_pa(*pte);
    }
    return pte_at(s->g, table, va, level);
}

/* Maps va to pa with a leaf at level; returns the leaf's slot. */
static uint64_t *map(struct space *s, uint64_t va, uint64_t pa, int level, uint64_t flags)
{
    uint64_t *slot = slot_for(s, va, level);
    *slot = pa_to_pte(pa) | flags | PTE_V;
    return slot;
}

#define RWX (PTE_R | PTE_W | PTE_X)
#define AD (PTE_A | PTE_D)

/* An S-mode access without SUM, MXR or A/D updates. */
static struct walk_request request(const struct space *s, uint64_t va, enum access_type access)
{
    return (struct walk_request){ .satp = satp_of(s), .va = va, .access = access };
}

static enum walk_status walk_req(const struct space *s, const struct walk_request *req,
                                 struct walk_result *res)
{
    struct walk_memory mem = { gpa_to_host, s->g };
    memset(res, 0xa5, sizeof(*res));
    return guest_walk(&mem, req, res);
}

static enum walk_status walk(const struct space *s, uint64_t va, enum access_type access,
                             struct walk_result *res)
{
    struct walk_request req = request(s, va, access);
    return walk_req(s, &req, res);
}

static void assert_translates(const struct space *s, uint64_t va, uint64_t gpa, int level)
{
    struct walk_result res;
    for (int a = ACCESS_FETCH; a <= ACCESS_LOAD; a++) {
        assert_int_equal(walk(s, va, a, &res), WALK_OK);
        assert_int_equal(res.gpa, gpa);
        assert_int_equal(res.level, level);
    }
}

static void assert_page_fault(const struct space *s, uint64_t va, enum access_type access)
{
    struct walk_result res;
    assert_int_equal(walk(s, va, access, &res), WALK_PAGE_FAULT);
}

/* The lowest address of the upper half for the mode. */
static uint64_t upper_half(int levels)
{
    return -(1UL << (12 + 9 * levels - 1));
}

static void leaves_at_each_level(void **state)
{
    (void)state;
    for (int levels = 3; levels <= 5; levels++) {
        struct guest *g = guest_new();
        struct space s = space_new(g, levels);
        /* 4 KiB: two neighbouring pages to different frames. */
        uint64_t va = 0x40201000;
        map(&s, va, 0x91234000, 0, RWX | AD);
        map(&s, va + 4 * KIB, 0x95555000, 0, RWX | AD);
        assert_translates(&s, va + 0xabc, 0x91234abc, 0);
        assert_translates(&s, va + 4 * KIB + 0xfff, 0x95555fff, 0);
        assert_translates(&s, va, 0x91234000, 0);
        /* 2 MiB: the low 21 bits come from the VA. */
        map(&s, 0x40400000, 0x80600000, 1, RWX | AD);
        assert_translates(&s, 0x40400000 + 0x1abcde, 0x80600000 + 0x1abcde, 1);
        /* 1 GiB: the low 30 bits come from the VA. */
        map(&s, 0x80000000, 0x1c0000000, 2, RWX | AD);
        assert_translates(&s, 0x80000000 + 0x2345678, 0x1c0000000 + 0x2345678, 2);
        /* In the upper half, as a kernel maps itself. */
        uint64_t high = upper_half(levels) + 0x7fe00000;
        map(&s, high, 0x80200000, 1, RWX | AD);
        assert_translates(&s, high + 0x12345, 0x80212345, 1);
        /* Unmapped neighbours fault. */
        assert_page_fault(&s, va + 8 * KIB, ACCESS_LOAD);
        assert_page_fault(&s, 0x40600000, ACCESS_LOAD);
        assert_page_fault(&s, 0xc0000000, ACCESS_LOAD);
        assert_page_fault(&s, high - 2 * MIB, ACCESS_LOAD);
        guest_free(g);
    }
}

static void result_carries_the_leaf_pte(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *leaf = map(&s, 0x1000, 0x90000000, 0, PTE_R | PTE_G | AD | PTE_RSW);
    struct walk_result res;
    assert_int_equal(walk(&s, 0x1008, ACCESS_LOAD, &res), WALK_OK);
    assert_int_equal(res.pte, *leaf);
    assert_int_equal(res.gpa, 0x90000008);
    assert_int_equal(res.level, 0);
    /* The table that holds the leaf: the leaf's slot is in it. */
    assert_ptr_equal(pte_at(g, res.table_gpa, 0x1000, 0), leaf);
    /* The level-1 table on the way (shadow_global.c's key): the root's
     * entry for the address points to it. */
    uint64_t root_entry = *pte_at(g, s.root, 0x1000, 2);
    assert_int_equal(res.l1_gpa, pte_to_pa(root_entry));
    /* A 2 MiB leaf: held by that level-1 table itself; a 1 GiB leaf: none. */
    map(&s, 0x40200000, 0x80200000, 1, PTE_R | AD);
    assert_int_equal(walk(&s, 0x40200008, ACCESS_LOAD, &res), WALK_OK);
    assert_int_equal(res.l1_gpa, res.table_gpa);
    map(&s, 0x80000000, 0xc0000000, 2, PTE_R | AD);
    assert_int_equal(walk(&s, 0x80000008, ACCESS_LOAD, &res), WALK_OK);
    assert_int_equal(res.level, 2);
    assert_int_equal(res.l1_gpa, 0);
    guest_free(g);
}

/* guest_leaf_usable: the walk's leaf rules, and no A/D update needed. */
static void leaf_usable_needs_a_and_for_stores_d(void **state)
{
    (void)state;
    struct walk_request load = { .va = 0x1000, .access = ACCESS_LOAD, .user = true };
    struct walk_request store = load, fetch = load;
    store.access = ACCESS_STORE;
    fetch.access = ACCESS_FETCH;
    uint64_t pte = pa_to_pte(0x90000000) | PTE_V | PTE_U | RWX;
    /* Never touched (A=0): usable for nothing, whatever its permissions. */
    assert_false(guest_leaf_usable(pte, 0, &load));
    assert_false(guest_leaf_usable(pte, 0, &fetch));
    assert_false(guest_leaf_usable(pte, 0, &store));
    /* Read only (A=1, D=0): loads and fetches, no store. */
    assert_true(guest_leaf_usable(pte | PTE_A, 0, &load));
    assert_true(guest_leaf_usable(pte | PTE_A, 0, &fetch));
    assert_false(guest_leaf_usable(pte | PTE_A, 0, &store));
    assert_true(guest_leaf_usable(pte | AD, 0, &store));
    /* The walk's own rules: U, W without R, reserved bits, a pointer, a
     * misaligned superpage, S-mode on U pages. */
    assert_false(guest_leaf_usable((pte | AD) & ~PTE_U, 0, &load));
    assert_false(guest_leaf_usable(pa_to_pte(0x90000000) | PTE_V | PTE_U | PTE_W | AD, 0, &store));
    assert_false(guest_leaf_usable(pte | AD | PTE_N, 0, &load));
    assert_false(guest_leaf_usable(pa_to_pte(0x90000000) | PTE_V, 0, &load));
    assert_false(guest_leaf_usable(pa_to_pte(0x90001000) | PTE_V | PTE_U | RWX | AD, 1, &load));
    assert_true(guest_leaf_usable(pa_to_pte(0x90200000) | PTE_V | PTE_U | RWX | AD, 1, &load));
    struct walk_request s_load = load;
    s_load.user = false;
    assert_false(guest_leaf_usable(pte | AD, 0, &s_load));
    s_load.sum = true;
    assert_true(guest_leaf_usable(pte | AD, 0, &s_load));
    fetch.user = false;
    fetch.sum = true;
    assert_false(guest_leaf_usable(pte | AD, 0, &fetch));
    /* MXR: an execute-only page is readable. */
    uint64_t xonly = pa_to_pte(0x90000000) | PTE_V | PTE_U | PTE_X | PTE_A;
    assert_false(guest_leaf_usable(xonly, 0, &load));
    load.mxr = true;
    assert_true(guest_leaf_usable(xonly, 0, &load));
}

static void huge_leaves_in_sv48_and_sv57(void **state)
{
    (void)state;
    /* Sv48 and Sv57: a 512 GiB leaf at level 3. */
    for (int levels = 4; levels <= 5; levels++) {
        struct guest *g = guest_new();
        struct space s = space_new(g, levels);
        map(&s, 512 * GIB, 0x10000000000UL, 3, PTE_R | AD);
        struct walk_result res;
        assert_int_equal(walk(&s, 512 * GIB + 0x7654321abcUL, ACCESS_LOAD, &res), WALK_OK);
        assert_int_equal(res.gpa, 0x10000000000UL + 0x7654321abcUL);
        assert_int_equal(res.level, 3);
        guest_free(g);
    }
    /* Sv57: a 256 TiB leaf at level 4. */
    struct guest *g = guest_new();
    struct space s = space_new(g, 5);
    map(&s, 0, 0, 4, PTE_R | AD);
    struct walk_result res;
    assert_int_equal(walk(&s, 0xedcba9876543UL, ACCESS_LOAD, &res), WALK_OK);
    assert_int_equal(res.gpa, 0xedcba9876543UL);
    assert_int_equal(res.level, 4);
    guest_free(g);
}

static void satp_asid_is_not_part_of_the_root(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    map(&s, 0x1000, 0x90000000, 0, PTE_R | AD);
    struct walk_request req = request(&s, 0x1000, ACCESS_LOAD);
    struct walk_result res;
    req.satp |= SATP_ASID_MASK << SATP_ASID_SHIFT;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.gpa, 0x90000000);
    guest_free(g);
}

static void invalid_pte_at_any_level(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t va = 0x40201000;
    uint64_t *leaf = map(&s, va, 0x90000000, 0, RWX | AD);
    uint64_t *mid = slot_for(&s, va, 1), *top = slot_for(&s, va, 2);
    assert_translates(&s, va, 0x90000000, 0);
    uint64_t *slots[] = { leaf, mid, top };
    for (int i = 0; i < 3; i++) {
        uint64_t saved = *slots[i];
        *slots[i] &= ~PTE_V;        /* everything else left in place */
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
            assert_page_fault(&s, va, a);
        *slots[i] = saved;
    }
    assert_translates(&s, va, 0x90000000, 0);
    guest_free(g);
}

static void write_without_read_is_reserved(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *leaf = map(&s, 0x1000, 0x90000000, 0, PTE_W | AD);
    for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
        assert_page_fault(&s, 0x1000, a);
    *leaf |= PTE_X;                 /* W+X without R: reserved as well */
    for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
        assert_page_fault(&s, 0x1000, a);
    /* The same at a superpage. */
    map(&s, 0x200000, 0x90200000, 1, PTE_W | AD);
    assert_page_fault(&s, 0x200000, ACCESS_STORE);
    guest_free(g);
}

static void reserved_bits_n_and_pbmt_are_page_faults(void **state)
{
    (void)state;
    /* No Svnapot, no Svpbmt: N and PBMT are reserved, as are bits 60:54. */
    const uint64_t bad[] = {
        1UL << 54, 1UL << 57, 1UL << 60, PTE_RESERVED_HIGH,
        1UL << 61, 1UL << 62, PTE_PBMT, PTE_N,
    };
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t va = 0x40201000;
    uint64_t *leaf = map(&s, va, 0x90000000, 0, RWX | AD);
    uint64_t *mid = slot_for(&s, va, 1);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        *leaf |= bad[i];
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
            assert_page_fault(&s, va, a);
        *leaf &= ~bad[i];
        /* In a pointer too. */
        *mid |= bad[i];
        assert_page_fault(&s, va, ACCESS_LOAD);
        *mid &= ~bad[i];
        assert_translates(&s, va, 0x90000000, 0);
    }
    /* The RSW bits are free for software. */
    *leaf |= PTE_RSW;
    *mid |= PTE_RSW;
    assert_translates(&s, va, 0x90000000, 0);
    guest_free(g);
}

static void pointer_at_level_0_is_a_page_fault(void **state)
{
    (void)state;
    for (int levels = 3; levels <= 5; levels++) {
        struct guest *g = guest_new();
        struct space s = space_new(g, levels);
        /* A level-0 "pointer" to a page that itself holds a valid leaf. */
        uint64_t next = table_new(g);
        uint64_t *inner = pte_at(g, next, 0x5000, 0);
        *inner = pa_to_pte(0x90000000) | PTE_V | RWX | AD;
        *slot_for(&s, 0x5000, 0) = pa_to_pte(next) | PTE_V;
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
            assert_page_fault(&s, 0x5000, a);
        guest_free(g);
    }
}

static void misaligned_superpage_is_a_page_fault(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 4);
    /* 2 MiB leaf whose PPN[0] is not zero. */
    map(&s, 0x200000, 0x80201000, 1, RWX | AD);
    /* 1 GiB leaf whose PPN[1] is not zero (PPN[0] is). */
    map(&s, 0x40000000, 0x80200000, 2, RWX | AD);
    /* 512 GiB leaf aligned to 1 GiB only. */
    map(&s, 512 * GIB, 0x8040000000UL, 3, RWX | AD);
    for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++) {
        assert_page_fault(&s, 0x200000, a);
        assert_page_fault(&s, 0x3ff000, a);
        assert_page_fault(&s, 0x40000000, a);
        assert_page_fault(&s, 512 * GIB, a);
    }
    /* The same frames are fine as 4 KiB pages. */
    map(&s, 0x600000, 0x80201000, 0, RWX | AD);
    assert_translates(&s, 0x600010, 0x80201010, 0);
    guest_free(g);
}

static void non_canonical_va_is_a_page_fault(void **state)
{
    (void)state;
    const struct { int levels; uint64_t va; } cases[] = {
        { 3, 0x0000004000000000UL }, { 3, 0xffffffbffffff000UL }, { 3, 0x8000000000000000UL },
        { 4, 0x0000800000000000UL }, { 4, 0xffff7ffffffff000UL },
        { 5, 0x0100000000000000UL }, { 5, 0xfeffffffffff0000UL },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct guest *g = guest_new();
        struct space s = space_new(g, cases[i].levels);
        /* Map the address the VA would reach if its high bits were ignored. */
        uint64_t low = cases[i].va & ((1UL << (12 + 9 * cases[i].levels)) - 1);
        map(&s, low, 0x90000000, 0, RWX | AD);
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++) {
            struct walk_result res;
            g->lookup_count = 0;
            assert_int_equal(walk(&s, cases[i].va, a, &res), WALK_PAGE_FAULT);
            assert_int_equal(g->lookup_count, 0);  /* no PTE was read */
        }
        guest_free(g);
    }
}

static void pte_outside_memory_is_an_access_fault(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t va = 0x40201000;
    map(&s, va, 0x90000000, 0, RWX | AD);
    uint64_t *mid = slot_for(&s, va, 1);
    uint64_t saved = *mid;
    struct walk_result res;
    /* A pointer to a table past the end of RAM, and below it. */
    const uint64_t outside[] = { RAM_BASE + RAM_SIZE, RAM_BASE - 4 * KIB, 0, 0xfffffffff000UL };
    for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        *mid = pa_to_pte(outside[i]) | PTE_V;
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++)
            assert_int_equal(walk(&s, va, a, &res), WALK_ACCESS_FAULT);
    }
    *mid = saved;
    assert_translates(&s, va, 0x90000000, 0);
    /* A root outside RAM. */
    struct walk_request req = request(&s, va, ACCESS_LOAD);
    req.satp = (req.satp & ~SATP_PPN_MASK) | (RAM_BASE + RAM_SIZE) >> 12;
    assert_int_equal(walk_req(&s, &req, &res), WALK_ACCESS_FAULT);
    /* A leaf whose frame lies outside RAM is fine: the walk does not touch it. */
    map(&s, 0x1000, 0x1000000000UL, 0, PTE_R | AD);
    assert_int_equal(walk(&s, 0x1000, ACCESS_LOAD, &res), WALK_OK);
    assert_int_equal(res.gpa, 0x1000000000UL);
    guest_free(g);
}

static void user_mode_needs_u_pages(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    map(&s, 0x1000, 0x90001000, 0, RWX | AD);
    map(&s, 0x2000, 0x90002000, 0, RWX | PTE_U | AD);
    struct walk_result res;
    for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++) {
        struct walk_request req = request(&s, 0x1000, a);
        req.user = true;
        req.sum = true;             /* SUM has no effect on U-mode */
        req.mxr = true;
        assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
        req.va = 0x2000;
        assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
        assert_int_equal(res.gpa, 0x90002000);
    }
    guest_free(g);
}

static void supervisor_on_u_pages_needs_sum_and_never_fetches(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    map(&s, 0x2000, 0x90002000, 0, RWX | PTE_U | AD);
    struct walk_result res;
    struct walk_request req = request(&s, 0x2000, ACCESS_LOAD);
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.access = ACCESS_STORE;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.access = ACCESS_FETCH;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.sum = true;
    req.access = ACCESS_LOAD;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.gpa, 0x90002000);
    req.access = ACCESS_STORE;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    req.access = ACCESS_FETCH;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    /* SUM does not make a U page writable. */
    map(&s, 0x3000, 0x90003000, 0, PTE_R | PTE_U | AD);
    req.va = 0x3000;
    req.access = ACCESS_STORE;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.access = ACCESS_LOAD;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    guest_free(g);
}

static void permissions_by_access_type(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    const struct { uint64_t flags; bool fetch, load, store; } cases[] = {
        { PTE_R, false, true, false },
        { PTE_R | PTE_W, false, true, true },
        { PTE_X, true, false, false },
        { PTE_R | PTE_X, true, true, false },
        { RWX, true, true, true },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t va = 0x10000 + i * 4 * KIB;
        map(&s, va, 0x90000000 + i * 4 * KIB, 0, cases[i].flags | AD);
        bool want[] = { [ACCESS_FETCH] = cases[i].fetch, [ACCESS_LOAD] = cases[i].load,
                        [ACCESS_STORE] = cases[i].store };
        for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++) {
            struct walk_result res;
            enum walk_status st = walk(&s, va, a, &res);
            if (st != (want[a] ? WALK_OK : WALK_PAGE_FAULT))
                fail_msg("flags %#lx access %d: status %d", (unsigned long)cases[i].flags, a, st);
        }
    }
    guest_free(g);
}

static void mxr_makes_execute_only_pages_readable(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    map(&s, 0x1000, 0x90001000, 0, PTE_X | AD);
    map(&s, 0x2000, 0x90002000, 0, PTE_X | PTE_U | AD);
    struct walk_result res;
    struct walk_request req = request(&s, 0x1000, ACCESS_LOAD);
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.mxr = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.gpa, 0x90001000);
    req.access = ACCESS_STORE;      /* MXR is about reads only */
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    /* In U-mode on a U page too. */
    req = request(&s, 0x2000, ACCESS_LOAD);
    req.user = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.mxr = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    /* MXR does not lift the U-page rule for S-mode. */
    req.user = false;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.sum = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    guest_free(g);
}

static void update_ad_sets_accessed_and_dirty(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *load_pte = map(&s, 0x1000, 0x90001000, 0, PTE_R | PTE_W);
    uint64_t *store_pte = map(&s, 0x2000, 0x90002000, 0, PTE_R | PTE_W);
    uint64_t *fetch_pte = map(&s, 0x3000, 0x90003000, 0, PTE_X);
    uint64_t *mid = slot_for(&s, 0x1000, 1), *top = slot_for(&s, 0x1000, 2);
    uint64_t mid_before = *mid, top_before = *top;
    struct walk_result res;

    struct walk_request req = request(&s, 0x1000, ACCESS_LOAD);
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(*load_pte & AD, PTE_A);
    assert_int_equal(res.pte, *load_pte);

    req = request(&s, 0x2000, ACCESS_STORE);
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(*store_pte & AD, AD);
    assert_int_equal(res.pte, *store_pte);
    assert_int_equal(res.gpa, 0x90002000);

    req = request(&s, 0x3000, ACCESS_FETCH);
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(*fetch_pte & AD, PTE_A);

    /* A store after a load adds D to the A already there. */
    req = request(&s, 0x1000, ACCESS_STORE);
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(*load_pte & AD, AD);
    /* Only A and D change, and only in the leaf. */
    assert_int_equal(*load_pte & ~AD, pa_to_pte(0x90001000) | PTE_V | PTE_R | PTE_W);
    assert_int_equal(*mid, mid_before);
    assert_int_equal(*top, top_before);
    guest_free(g);
}

/* The walk names the PTE whose A/D it wrote (lodger's own write into
 * guest memory: a patched copy of that page must go), and only then. */
static void update_ad_names_the_pte_written(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *pte = map(&s, 0x1000, 0x90001000, 0, PTE_R | PTE_W);
    uint64_t pte_gpa = RAM_BASE + (uint64_t)((char *)pte - (char *)g->ram);
    struct walk_result res;
    struct walk_request req = request(&s, 0x1000, ACCESS_LOAD);
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.ad_gpa, 0);            /* no update asked */
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.ad_gpa, pte_gpa);      /* A set */
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.ad_gpa, 0);            /* A already there: nothing written */
    req.access = ACCESS_STORE;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.ad_gpa, pte_gpa);      /* D set */
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(res.ad_gpa, 0);
    guest_free(g);
}

static void update_ad_superpage_leaf(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 4);
    uint64_t *leaf = map(&s, 0x40000000, 0xc0000000, 2, PTE_R | PTE_W);
    struct walk_request req = request(&s, 0x40000000 + 0x123456, ACCESS_STORE);
    req.update_ad = true;
    struct walk_result res;
    assert_int_equal(walk_req(&s, &req, &res), WALK_OK);
    assert_int_equal(*leaf & AD, AD);
    assert_int_equal(res.gpa, 0xc0123456);
    assert_int_equal(res.level, 2);
    guest_free(g);
}

static void without_update_ad_the_pte_is_left_alone(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *leaf = map(&s, 0x1000, 0x90001000, 0, PTE_R | PTE_W | PTE_X);
    uint64_t before = *leaf;
    struct walk_result res;
    for (int a = ACCESS_FETCH; a <= ACCESS_STORE; a++) {
        assert_int_equal(walk(&s, 0x1000, a, &res), WALK_OK);
        assert_int_equal(*leaf, before);
        assert_int_equal(res.pte, before);
        assert_int_equal(res.gpa, 0x90001000);
    }
    guest_free(g);
}

static void faulting_access_sets_no_ad(void **state)
{
    (void)state;
    struct guest *g = guest_new();
    struct space s = space_new(g, 3);
    uint64_t *ro = map(&s, 0x1000, 0x90001000, 0, PTE_R);
    uint64_t *user = map(&s, 0x2000, 0x90002000, 0, PTE_R | PTE_W | PTE_U);
    uint64_t *misaligned = map(&s, 0x200000, 0x90201000, 1, PTE_R | PTE_W);
    uint64_t ro_before = *ro, user_before = *user, misaligned_before = *misaligned;
    struct walk_result res;
    struct walk_request req = request(&s, 0x1000, ACCESS_STORE);
    req.update_ad = true;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.va = 0x2000;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    req.va = 0x200000;
    assert_int_equal(walk_req(&s, &req, &res), WALK_PAGE_FAULT);
    assert_int_equal(*ro, ro_before);
    assert_int_equal(*user, user_before);
    assert_int_equal(*misaligned, misaligned_before);
    guest_free(g);
}

static void fault_causes(void **state)
{
    (void)state;
    assert_int_equal(walk_page_fault_cause(ACCESS_FETCH), 12);
    assert_int_equal(walk_page_fault_cause(ACCESS_LOAD), 13);
    assert_int_equal(walk_page_fault_cause(ACCESS_STORE), 15);
    assert_int_equal(walk_access_fault_cause(ACCESS_FETCH), 1);
    assert_int_equal(walk_access_fault_cause(ACCESS_LOAD), 5);
    assert_int_equal(walk_access_fault_cause(ACCESS_STORE), 7);
}

/* Privileged spec 4.3.1: "For non-leaf PTEs, the D, A, and U bits are
 * reserved for future standard use"; 4.3.2 step 3: any reserved bit set in a
 * PTE raises a page fault. QEMU (get_physical_address) and Spike agree. */
static void non_leaf_pte_with_d_a_or_u_is_a_page_fault(void **state)
{
    (void)state;
    const uint64_t bits[] = { PTE_D, PTE_A, PTE_U };
    for (int levels = 3; levels <= 5; levels++) {
        struct guest *g = guest_new();
        struct space s = space_new(g, levels);
        uint64_t va = 0x40201000;
        map(&s, va, 0x90000000, 0, RWX | PTE_U | AD);
        for (int level = 1; level < levels; level++) {
            uint64_t *pointer = slot_for(&s, va, level);
            for (unsigned i = 0; i < 3; i++) {
                *pointer |= bits[i];
                struct walk_request req = request(&s, va, ACCESS_LOAD);
                req.sum = true;
                struct walk_result res;
                enum walk_status st = walk_req(&s, &req, &res);
                if (st != WALK_PAGE_FAULT)
                    fail_msg("Sv%d, bit %#lx in the level-%d pointer: status %d, gpa %#lx",
                             12 + 9 * levels, (unsigned long)bits[i], level, st,
                             (unsigned long)res.gpa);
                *pointer &= ~bits[i];
            }
        }
        guest_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaves_at_each_level),
        cmocka_unit_test(result_carries_the_leaf_pte),
        cmocka_unit_test(leaf_usable_needs_a_and_for_stores_d),
        cmocka_unit_test(huge_leaves_in_sv48_and_sv57),
        cmocka_unit_test(satp_asid_is_not_part_of_the_root),
        cmocka_unit_test(invalid_pte_at_any_level),
        cmocka_unit_test(write_without_read_is_reserved),
        cmocka_unit_test(reserved_bits_n_and_pbmt_are_page_faults),
        cmocka_unit_test(pointer_at_level_0_is_a_page_fault),
        cmocka_unit_test(misaligned_superpage_is_a_page_fault),
        cmocka_unit_test(non_canonical_va_is_a_page_fault),
        cmocka_unit_test(pte_outside_memory_is_an_access_fault),
        cmocka_unit_test(user_mode_needs_u_pages),
        cmocka_unit_test(supervisor_on_u_pages_needs_sum_and_never_fetches),
        cmocka_unit_test(permissions_by_access_type),
        cmocka_unit_test(mxr_makes_execute_only_pages_readable),
        cmocka_unit_test(update_ad_sets_accessed_and_dirty),
        cmocka_unit_test(update_ad_superpage_leaf),
        cmocka_unit_test(update_ad_names_the_pte_written),
        cmocka_unit_test(without_update_ad_the_pte_is_left_alone),
        cmocka_unit_test(faulting_access_sets_no_ad),
        cmocka_unit_test(fault_causes),
        cmocka_unit_test(non_leaf_pte_with_d_a_or_u_is_a_page_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
