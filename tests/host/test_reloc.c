/* Host tests for src/core/reloc.c: where the first portion goes when the
 * guest wants its place (shared/DESIGN.md, "Where the first portion lives"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/pagetable.h"
#include "core/reloc.h"
#include "core/first_portion.h"

#define KIB 1024UL
#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define MAX_CANDIDATES 8

static const int host_levels[] = { 3, 4, 5 };
/* The first portion's real size, and others the policy must handle too. */
static const uint64_t sizes[] = { 4 * KIB, FIRST_PORTION_SIZE, 2 * MIB, GIB };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int va_bits(int levels)
{
    return 12 + 9 * levels;
}

static bool overlaps(uint64_t a, uint64_t b, uint64_t size)
{
    /* In 128-bit arithmetic: a range may end at 2^64. */
    unsigned __int128 a_end = (unsigned __int128)a + size, b_end = (unsigned __int128)b + size;
    return a < b_end && b < a_end;
}

/* Usable as a region of size for a host with levels: canonical from its
 * first to its last byte, aligned to size, not wrapping past 2^64. */
static void assert_usable_region(uint64_t va, uint64_t size, int levels)
{
    if (!pt_is_canonical(va, levels) || !pt_is_canonical(va + size - 1, levels) ||
        (va & (size - 1)) || va + size < va || va + size == 0) {
        print_error("region 0x%lx size 0x%lx is not usable with %d levels\n",
                    (unsigned long)va, (unsigned long)size, levels);
        fail();
    }
}

/* ---- reloc_random ---- */

/* xorshift64* as published (Vigna, "An experimental exploration of
 * Marsaglia's xorshift generators, scrambled", 2016). */
static uint64_t xorshift64star(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dUL;
}

static void random_is_xorshift64star(void **state)
{
    (void)state;
    uint64_t a = 0x6c6f64676572UL, b = a;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(reloc_random(&a), xorshift64star(&b));
        assert_int_equal(a, b);
    }
}

static void random_is_deterministic(void **state)
{
    (void)state;
    uint64_t a = 12345, b = 12345, c = 12346;
    uint64_t first[64];
    bool all_same_as_c = true;
    for (int i = 0; i < 64; i++) {
        first[i] = reloc_random(&a);
        assert_int_equal(first[i], reloc_random(&b));
        all_same_as_c &= first[i] == reloc_random(&c);
    }
    assert_false(all_same_as_c);
    /* No short cycle in the first values. */
    for (int i = 0; i < 64; i++)
        for (int j = i + 1; j < 64; j++)
            assert_true(first[i] != first[j]);
}

static void random_never_sticks_at_zero(void **state)
{
    (void)state;
    uint64_t seed = 0, previous = 0;
    unsigned long ones = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t r = reloc_random(&seed);
        assert_true(seed != 0);
        assert_true(r != previous);
        previous = r;
        ones += (unsigned long)__builtin_popcountl(r);
    }
    /* A zero seed gives a real sequence: about half of the bits set. */
    assert_in_range(ones, 10000 * 64 * 45 / 100, 10000 * 64 * 55 / 100);
    /* And a deterministic one. */
    uint64_t s1 = 0, s2 = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(reloc_random(&s1), reloc_random(&s2));
}

/* ---- reloc_candidates ---- */

static void candidates_are_usable_for_the_host(void **state)
{
    (void)state;
    for (size_t l = 0; l < COUNT(host_levels); l++) {
        int levels = host_levels[l];
        for (size_t s = 0; s < COUNT(sizes); s++) {
            uint64_t out[MAX_CANDIDATES];
            memset(out, 0xa5, sizeof(out));
            int n = reloc_candidates(levels, sizes[s], out, MAX_CANDIDATES);
            /* Two per mode from the host's down to Sv39. */
            assert_int_equal(n, 2 * (levels - 2));
            for (int i = 0; i < n; i++) {
                assert_usable_region(out[i], sizes[s], levels);
                for (int j = 0; j < i; j++)
                    assert_false(overlaps(out[i], out[j], sizes[s]));
            }
        }
    }
}

static void candidates_are_the_edges_of_each_mode(void **state)
{
    (void)state;
    uint64_t out[MAX_CANDIDATES];
    uint64_t size = FIRST_PORTION_SIZE;
    assert_int_equal(reloc_candidates(5, size, out, MAX_CANDIDATES), 6);
    static const uint64_t kernel_bottom[] = { 0xff00000000000000UL, 0xffff800000000000UL,
                                              0xffffffc000000000UL };
    static const uint64_t user_top[] = { 1UL << 56, 1UL << 47, 1UL << 38 };
    for (int m = 0; m < 3; m++) {
        assert_int_equal(out[2 * m], kernel_bottom[m] + GIB);
        assert_int_equal(out[2 * m + 1], user_top[m] - GIB - size);
    }
    /* A narrower host starts at its own mode. */
    assert_int_equal(reloc_candidates(3, size, out, MAX_CANDIDATES), 2);
    assert_int_equal(out[0], 0xffffffc000000000UL + GIB);
    assert_int_equal(out[1], (1UL << 38) - GIB - size);
}

static void candidates_respect_max(void **state)
{
    (void)state;
    uint64_t out[MAX_CANDIDATES + 1];
    for (int max = 0; max <= MAX_CANDIDATES; max++) {
        memset(out, 0xa5, sizeof(out));
        int n = reloc_candidates(5, FIRST_PORTION_SIZE, out, max);
        assert_true(n <= max);
        assert_int_equal(n, max / 2 > 3 ? 6 : max / 2 * 2);
        for (int i = n; i <= MAX_CANDIDATES; i++)
            assert_int_equal(out[i], 0xa5a5a5a5a5a5a5a5UL);
    }
}

/* ---- reloc_find_free ---- */

/* A guest address space seen through range_free. */
struct mock_space {
    int levels;
    uint64_t current, size;
    uint64_t window_lo, window_hi;   /* free: ranges inside [lo, hi); all if lo == hi == 0 */
    bool nothing_free;
    int calls;
    int bad_queries;                 /* ranges asked about that overlap current, are not
                                      * canonical or not aligned */
};

static bool mock_range_free(void *ctx, uint64_t va, uint64_t size)
{
    struct mock_space *m = ctx;
    m->calls++;
    assert_int_equal(size, m->size);
    if (overlaps(va, m->current, size) || !pt_is_canonical(va, m->levels) ||
        !pt_is_canonical(va + size - 1, m->levels) || (va & (size - 1)))
        m->bad_queries++;
    if (m->nothing_free)
        return false;
    if (m->window_lo == 0 && m->window_hi == 0)
        return true;
    return va >= m->window_lo && va + size <= m->window_hi && va + size > va;
}

static struct reloc_query query_for(struct mock_space *m)
{
    return (struct reloc_query){
        .host_levels = m->levels, .size = m->size, .current = m->current,
        .range_free = mock_range_free, .ctx = m,
    };
}

static void find_free_takes_the_first_free_candidate(void **state)
{
    (void)state;
    for (size_t l = 0; l < COUNT(host_levels); l++) {
        uint64_t out[MAX_CANDIDATES];
        int n = reloc_candidates(host_levels[l], FIRST_PORTION_SIZE, out, MAX_CANDIDATES);
        /* current elsewhere (an unaligned, page-aligned place, as --first-portion allows). */
        struct mock_space m = { .levels = host_levels[l], .size = FIRST_PORTION_SIZE,
                                .current = 0x80003000UL };
        struct reloc_query q = query_for(&m);
        uint64_t seed = 1, va = 0;
        assert_true(reloc_find_free(&q, &seed, &va));
        assert_int_equal(va, out[0]);
        assert_int_equal(m.calls, 1);
        assert_int_equal(seed, 1);          /* no random draw needed */
        /* current on each candidate, exactly or partly: the next one is taken. */
        for (int i = 0; i + 1 < n; i++) {
            static const uint64_t shifts[] = { 0, 4096, (uint64_t)-4096 };
            for (size_t s = 0; s < COUNT(shifts); s++) {
                m.current = out[i] + shifts[s];
                m.calls = 0;
                q = query_for(&m);
                assert_true(reloc_find_free(&q, &seed, &va));
                assert_int_equal(va, i == 0 ? out[1] : out[0]);
                assert_int_equal(m.bad_queries, 0);
            }
        }
    }
}

static void find_free_skips_candidates_that_are_not_free(void **state)
{
    (void)state;
    uint64_t out[MAX_CANDIDATES];
    int n = reloc_candidates(5, FIRST_PORTION_SIZE, out, MAX_CANDIDATES);
    /* Only the last candidate (Sv39's user top) is free. */
    struct mock_space m = { .levels = 5, .size = FIRST_PORTION_SIZE, .current = out[0],
                            .window_lo = out[n - 1], .window_hi = out[n - 1] + FIRST_PORTION_SIZE };
    struct reloc_query q = query_for(&m);
    uint64_t seed = 7, va = 0;
    assert_true(reloc_find_free(&q, &seed, &va));
    assert_int_equal(va, out[n - 1]);
    assert_int_equal(m.calls, n - 1);       /* every candidate but current asked */
    assert_int_equal(m.bad_queries, 0);
}

/* Free only inside [2^(bits-9), 2^(bits-3)) of the lower half ([2^30, 2^36)
 * with Sv39): no candidate is there, only random draws can find it. */
static void find_free_draws_a_free_random_region(void **state)
{
    (void)state;
    for (size_t l = 0; l < COUNT(host_levels); l++) {
        int levels = host_levels[l], bits = va_bits(levels);
        uint64_t lo = 1UL << (bits - 9), hi = 1UL << (bits - 3);
        uint64_t out[MAX_CANDIDATES];
        int n = reloc_candidates(levels, FIRST_PORTION_SIZE, out, MAX_CANDIDATES);
        for (int i = 0; i < n; i++)
            assert_false(out[i] >= lo && out[i] < hi);
        for (uint64_t s = 0; s < 200; s++) {
            struct mock_space m = { .levels = levels, .size = FIRST_PORTION_SIZE,
                                    .current = lo + (hi - lo) / 2, .window_lo = lo,
                                    .window_hi = hi };
            struct reloc_query q = query_for(&m);
            uint64_t seed = s * 0x100000001b3UL, seed2 = seed, va = 0, va2 = 1;
            assert_true(reloc_find_free(&q, &seed, &va));
            assert_true(va >= lo && va + FIRST_PORTION_SIZE <= hi);
            assert_usable_region(va, FIRST_PORTION_SIZE, levels);
            assert_false(overlaps(va, m.current, FIRST_PORTION_SIZE));
            assert_true(m.calls > n);       /* every candidate refused first */
            assert_int_equal(m.bad_queries, 0);
            /* The same seed, the same choice and the same seed afterwards. */
            struct mock_space m2 = m;
            m2.calls = 0;
            q = query_for(&m2);
            assert_true(reloc_find_free(&q, &seed2, &va2));
            assert_int_equal(va2, va);
            assert_int_equal(seed2, seed);
            assert_int_equal(m2.calls, m.calls);
        }
    }
}

static void find_free_gives_up_after_the_random_tries(void **state)
{
    (void)state;
    for (size_t l = 0; l < COUNT(host_levels); l++) {
        uint64_t out[MAX_CANDIDATES];
        int n = reloc_candidates(host_levels[l], FIRST_PORTION_SIZE, out, MAX_CANDIDATES);
        for (uint64_t s = 1; s <= 20; s++) {
            struct mock_space m = { .levels = host_levels[l], .size = FIRST_PORTION_SIZE,
                                    .current = 0x80000000UL, .nothing_free = true };
            struct reloc_query q = query_for(&m);
            uint64_t seed = s, va = 0;
            assert_false(reloc_find_free(&q, &seed, &va));
            assert_int_equal(m.calls, n + RELOC_RANDOM_TRIES);
            assert_int_equal(m.bad_queries, 0);
            /* current on a candidate: that one is not asked about. */
            m.current = out[1];
            m.calls = 0;
            q = query_for(&m);
            assert_false(reloc_find_free(&q, &seed, &va));
            assert_int_equal(m.calls, n - 1 + RELOC_RANDOM_TRIES);
            assert_int_equal(m.bad_queries, 0);
        }
    }
}

/* 1 GiB regions with Sv39: 512 places, so random draws often hit current.
 * Free: current and its neighbours only. */
static void find_free_never_returns_current(void **state)
{
    (void)state;
    static const uint64_t currents[] = {
        0x0000000400000000UL,             /* aligned, lower half */
        0xffffffe000000000UL,             /* aligned, upper half */
        0x0000000400003000UL,             /* page-aligned only: overlaps two places */
    };
    for (size_t c = 0; c < COUNT(currents); c++) {
        uint64_t current = currents[c], slot = current & ~(GIB - 1);
        int found = 0;
        for (uint64_t s = 1; s <= 2000; s++) {
            struct mock_space m = { .levels = 3, .size = GIB, .current = current,
                                    .window_lo = slot - GIB, .window_hi = slot + 2 * GIB };
            struct reloc_query q = query_for(&m);
            uint64_t seed = s, va = 0;
            if (!reloc_find_free(&q, &seed, &va))
                continue;
            found++;
            assert_false(overlaps(va, current, GIB));
            if (current == slot)
                assert_true(va == slot - GIB || va == slot + GIB);
            else
                assert_int_equal(va, slot - GIB);
            assert_int_equal(m.bad_queries, 0);
        }
        /* Enough successes for a missing overlap check to have shown. */
        assert_true(found > 300);
    }
}

/* ---- reloc_random_region ---- */

static void random_region_is_canonical_aligned_and_not_current(void **state)
{
    (void)state;
    for (size_t l = 0; l < COUNT(host_levels); l++) {
        int levels = host_levels[l];
        static const uint64_t region_sizes[] = { FIRST_PORTION_SIZE, GIB };
        for (size_t s = 0; s < COUNT(region_sizes); s++) {
            uint64_t size = region_sizes[s];
            struct mock_space m = { .levels = levels, .size = size };
            struct reloc_query q = query_for(&m);
            uint64_t seed = 0x1234 + l;
            int upper = 0, lower = 0, far = 0;
            uint64_t quarter = 1UL << (va_bits(levels) - 2);
            for (int i = 0; i < 5000; i++) {
                uint64_t va = reloc_random_region(&q, &seed);
                if (!pt_is_canonical(va, levels) || !pt_is_canonical(va + size - 1, levels) ||
                    (va & (size - 1)) || overlaps(va, q.current, size)) {
                    print_error("levels %d size 0x%lx: region 0x%lx, current 0x%lx\n", levels,
                                (unsigned long)size, (unsigned long)va,
                                (unsigned long)q.current);
                    fail();
                }
                *(va >> 63 ? &upper : &lower) += 1;
                far += va >> 63 ? va < -quarter : va >= quarter;
                /* current: a recent pick, so that draws can hit it (1 GiB, Sv39).
                 * Not one that ends at 2^64: reloc.c's overlap test gets that
                 * case wrong (reported separately, not tested here). */
                if (i % 16 == 0 && va + size != 0)
                    q.current = va;
            }
            /* Spread over the whole canonical space, to its far ends. */
            assert_true(upper > 2000 && lower > 2000);
            assert_true(far > 2000);
            assert_int_equal(m.calls, 0);
        }
    }
}

static void random_region_is_deterministic(void **state)
{
    (void)state;
    struct mock_space m = { .levels = 4, .size = FIRST_PORTION_SIZE };
    struct reloc_query q = query_for(&m);
    q.current = 0xffff800040000000UL;
    uint64_t a = 99, b = 99, c = 100;
    bool differs = false;
    for (int i = 0; i < 100; i++) {
        uint64_t va = reloc_random_region(&q, &a);
        assert_int_equal(va, reloc_random_region(&q, &b));
        assert_int_equal(a, b);
        differs |= va != reloc_random_region(&q, &c);
    }
    assert_true(differs);
}

/* With 1 GiB regions and Sv39 current is drawn about once in 512 tries: the
 * result is still never current, and the draw loop moves on. */
static void random_region_redraws_when_it_hits_current(void **state)
{
    (void)state;
    struct mock_space m = { .levels = 3, .size = GIB };
    struct reloc_query q = query_for(&m);
    q.current = 0x0000001000000000UL;
    /* Find seeds whose first draw is current, with the policy's own draw. */
    int hits = 0;
    for (uint64_t s = 1; s <= 20000 && hits < 5; s++) {
        uint64_t probe = s;
        struct reloc_query any = q;
        any.current = 0x0000000040000000UL;   /* elsewhere, so that the first draw is kept */
        if (reloc_random_region(&any, &probe) != q.current)
            continue;
        hits++;
        uint64_t seed = s;
        uint64_t va = reloc_random_region(&q, &seed);
        assert_true(va != q.current);
        assert_false(overlaps(va, q.current, GIB));
        assert_true(seed != probe);         /* it drew again */
    }
    assert_true(hits >= 5);
}

static bool nothing_free_counting_wraps(void *ctx, uint64_t va, uint64_t size)
{
    (void)size;
    int *wrapping = ctx;
    if (va + size < va || va + size == 0)
        ++*wrapping;
    return false;
}

static void random_region_returns_current_at_the_top(void **state)
{
    (void)state;
    static const struct { uint64_t size, current, seed; } cases[] = {
        { GIB, 0xffffffffc0000000UL, 621 },
        { FIRST_PORTION_SIZE, 0xffffffffffff0000UL, 33761560 },
        /* page-aligned only (vm.c's first_portion_va_valid accepts it), overlapping the top region */
        { FIRST_PORTION_SIZE, 0xfffffffffffe1000UL, 33761560 },
    };
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        struct reloc_query q = { .host_levels = 3, .size = cases[i].size, .current = cases[i].current };
        uint64_t seed = cases[i].seed;
        uint64_t va = reloc_random_region(&q, &seed);
        unsigned __int128 va_end = (unsigned __int128)va + q.size, cur_end = (unsigned __int128)q.current + q.size;
        if (va < cur_end && q.current < va_end) {
            print_error("Sv39, size 0x%lx, current 0x%lx, seed %lu: returned 0x%lx, which overlaps current\n",
                        (unsigned long)q.size, (unsigned long)q.current, (unsigned long)cases[i].seed,
                        (unsigned long)va);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* A random draw of the top region: [va, va+size) wraps to 0 (va + size == 0). */
static void find_free_asks_about_a_wrapping_region(void **state)
{
    (void)state;
    int wrapping = 0;
    struct reloc_query q = { .host_levels = 3, .size = GIB, .current = 0x40000000,
                             .range_free = nothing_free_counting_wraps, .ctx = &wrapping };
    uint64_t seed = 1, va;
    for (int i = 0; i < 100; i++)
        reloc_find_free(&q, &seed, &va);
    print_message("wrapping regions asked about: %d\n", wrapping);
    assert_int_equal(wrapping, 0);
}

/* ---- the settling policy ---- */

#define INTERVAL 100
#define THRESHOLD 3

/* Accesses in one interval are counted; the place is hot once their number
 * exceeds the threshold, and stays hot for the rest of the interval. */
static void settle_counts_within_an_interval(void **state)
{
    (void)state;
    struct settle s;
    memset(&s, 0xa5, sizeof(s));
    reloc_settle_reset(&s, 1000);
    assert_int_equal(s.interval_start, 1000);
    assert_int_equal(s.count, 0);
    for (uint64_t i = 1; i <= THRESHOLD; i++) {
        assert_false(reloc_settle_hot(&s, 1000 + 10 * i, INTERVAL, THRESHOLD));
        assert_int_equal(s.count, i);
        assert_int_equal(s.interval_start, 1000);
    }
    assert_true(reloc_settle_hot(&s, 1050, INTERVAL, THRESHOLD));
    assert_true(reloc_settle_hot(&s, 1050, INTERVAL, THRESHOLD));     /* the same tick counts */
    assert_true(reloc_settle_hot(&s, 1099, INTERVAL, THRESHOLD));
    assert_int_equal(s.count, THRESHOLD + 3);
    assert_int_equal(s.interval_start, 1000);
}

static void settle_threshold_is_exceeded_not_reached(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 0);
    assert_true(reloc_settle_hot(&s, 0, INTERVAL, 0));        /* threshold 0: the first access */
    reloc_settle_reset(&s, 0);
    assert_false(reloc_settle_hot(&s, 1, INTERVAL, 1));
    assert_true(reloc_settle_hot(&s, 2, INTERVAL, 1));
    /* lodger's own numbers: 64 accesses in a hundredth of a second are fine, 65 are not. */
    uint64_t timebase = 10000000, interval = timebase / 100;
    reloc_settle_reset(&s, 5 * timebase);
    for (int i = 1; i <= 64; i++)
        assert_false(reloc_settle_hot(&s, 5 * timebase + (uint64_t)i * 1000, interval, 64));
    assert_true(reloc_settle_hot(&s, 5 * timebase + interval, interval, 64));
}

/* An access more than interval after the interval's start opens a new one,
 * in which it is the first: the count starts again at 1. */
static void settle_new_interval_starts_counting_again(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 1000);
    for (int i = 0; i < 10; i++)
        reloc_settle_hot(&s, 1000 + (uint64_t)i, INTERVAL, THRESHOLD);
    assert_true(reloc_settle_hot(&s, 1010, INTERVAL, THRESHOLD));
    assert_false(reloc_settle_hot(&s, 1101, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 1101);
    assert_int_equal(s.count, 1);
    for (uint64_t i = 2; i <= THRESHOLD; i++)
        assert_false(reloc_settle_hot(&s, 1101 + i, INTERVAL, THRESHOLD));
    assert_true(reloc_settle_hot(&s, 1201, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 1101);
    /* Long after: a new interval too. */
    assert_false(reloc_settle_hot(&s, 1000000000000UL, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 1000000000000UL);
    assert_int_equal(s.count, 1);
}

/* Intervals are fixed windows from their first access: now - start equal to
 * interval is still inside, one tick more is not, however recent the last
 * access was. */
static void settle_interval_boundary(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 5000);
    for (uint64_t i = 1; i <= THRESHOLD; i++)
        assert_false(reloc_settle_hot(&s, 5000 + 10 * i, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 5000);
    /* now - start == interval: the fourth access of the same interval. */
    assert_true(reloc_settle_hot(&s, 5000 + INTERVAL, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 5000);
    assert_int_equal(s.count, THRESHOLD + 1);
    /* One tick later: a new interval. */
    assert_false(reloc_settle_hot(&s, 5000 + INTERVAL + 1, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 5000 + INTERVAL + 1);
    assert_int_equal(s.count, 1);
}

/* interval 0: only accesses at the interval's own tick share it. */
static void settle_zero_interval(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 7);
    assert_false(reloc_settle_hot(&s, 7, 0, 1));
    assert_true(reloc_settle_hot(&s, 7, 0, 1));
    for (uint64_t t = 8; t < 20; t++) {
        assert_false(reloc_settle_hot(&s, t, 0, 1));
        assert_int_equal(s.interval_start, t);
        assert_int_equal(s.count, 1);
    }
}

/* now - start is computed modulo 2^64: an interval that starts just before
 * the time counter wraps goes on after it. */
static void settle_survives_time_wrapping(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, UINT64_MAX - 4);
    assert_false(reloc_settle_hot(&s, UINT64_MAX, 10, 2));
    assert_false(reloc_settle_hot(&s, 0, 10, 2));           /* 5 ticks in */
    assert_true(reloc_settle_hot(&s, 5, 10, 2));            /* 10: the boundary, still in */
    assert_int_equal(s.interval_start, UINT64_MAX - 4);
    assert_int_equal(s.count, 3);
    assert_false(reloc_settle_hot(&s, 6, 10, 2));           /* 11: a new interval */
    assert_int_equal(s.interval_start, 6);
    assert_int_equal(s.count, 1);
    /* The brief's case: start near UINT64_MAX, now small. */
    reloc_settle_reset(&s, UINT64_MAX - 5);
    assert_true(reloc_settle_hot(&s, 3, 10, 0));            /* 9 ticks in: the first access */
    assert_int_equal(s.interval_start, UINT64_MAX - 5);
    assert_int_equal(s.count, 1);
    reloc_settle_reset(&s, UINT64_MAX - 5);
    reloc_settle_hot(&s, UINT64_MAX - 5, 8, 5);
    assert_false(reloc_settle_hot(&s, 3, 8, 5));            /* 9 > 8: new interval */
    assert_int_equal(s.interval_start, 3);
    assert_int_equal(s.count, 1);
}

/* A now before the interval's start (another hart's earlier reading of the
 * time) is, modulo 2^64, far after it: it opens a new interval at now. */
static void settle_earlier_time_opens_a_new_interval(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 1000);
    for (int i = 0; i < 5; i++)
        reloc_settle_hot(&s, 1000, INTERVAL, THRESHOLD);
    assert_int_equal(s.count, 5);
    assert_false(reloc_settle_hot(&s, 999, INTERVAL, THRESHOLD));
    assert_int_equal(s.interval_start, 999);
    assert_int_equal(s.count, 1);
    /* Only an interval of UINT64_MAX never ends. */
    reloc_settle_reset(&s, 1000);
    assert_false(reloc_settle_hot(&s, 999, UINT64_MAX, 1));
    assert_true(reloc_settle_hot(&s, 0, UINT64_MAX, 1));
    assert_int_equal(s.interval_start, 1000);
    assert_int_equal(s.count, 2);
}

/* After a move the count starts from nothing, at the time of the move. */
static void settle_reset_forgets_the_count(void **state)
{
    (void)state;
    struct settle s;
    reloc_settle_reset(&s, 0);
    for (int i = 0; i < 10; i++)
        reloc_settle_hot(&s, 50, INTERVAL, THRESHOLD);
    assert_true(reloc_settle_hot(&s, 60, INTERVAL, THRESHOLD));
    reloc_settle_reset(&s, 70);
    assert_int_equal(s.interval_start, 70);
    assert_int_equal(s.count, 0);
    for (uint64_t i = 1; i <= THRESHOLD; i++)
        assert_false(reloc_settle_hot(&s, 70 + i, INTERVAL, THRESHOLD));
    /* The new interval runs from the reset: 170 is inside, 171 is not. */
    assert_true(reloc_settle_hot(&s, 170, INTERVAL, THRESHOLD));
    assert_false(reloc_settle_hot(&s, 171, INTERVAL, THRESHOLD));
}

/* A zeroed struct settle (a new VM) is an interval that started at time 0. */
static void settle_zeroed_state(void **state)
{
    (void)state;
    struct settle s = { 0 };
    assert_false(reloc_settle_hot(&s, 40, INTERVAL, 1));
    assert_int_equal(s.interval_start, 0);
    assert_true(reloc_settle_hot(&s, 100, INTERVAL, 1));
    s = (struct settle){ 0 };
    assert_true(reloc_settle_hot(&s, 123456789, INTERVAL, 0));
    assert_int_equal(s.interval_start, 123456789);
    assert_int_equal(s.count, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_is_xorshift64star),
        cmocka_unit_test(random_is_deterministic),
        cmocka_unit_test(random_never_sticks_at_zero),
        cmocka_unit_test(candidates_are_usable_for_the_host),
        cmocka_unit_test(candidates_are_the_edges_of_each_mode),
        cmocka_unit_test(candidates_respect_max),
        cmocka_unit_test(find_free_takes_the_first_free_candidate),
        cmocka_unit_test(find_free_skips_candidates_that_are_not_free),
        cmocka_unit_test(find_free_draws_a_free_random_region),
        cmocka_unit_test(find_free_gives_up_after_the_random_tries),
        cmocka_unit_test(find_free_never_returns_current),
        cmocka_unit_test(random_region_is_canonical_aligned_and_not_current),
        cmocka_unit_test(random_region_is_deterministic),
        cmocka_unit_test(random_region_redraws_when_it_hits_current),
        cmocka_unit_test(random_region_returns_current_at_the_top),
        cmocka_unit_test(find_free_asks_about_a_wrapping_region),
        cmocka_unit_test(settle_counts_within_an_interval),
        cmocka_unit_test(settle_threshold_is_exceeded_not_reached),
        cmocka_unit_test(settle_new_interval_starts_counting_again),
        cmocka_unit_test(settle_interval_boundary),
        cmocka_unit_test(settle_zero_interval),
        cmocka_unit_test(settle_survives_time_wrapping),
        cmocka_unit_test(settle_earlier_time_opens_a_new_interval),
        cmocka_unit_test(settle_reset_forgets_the_count),
        cmocka_unit_test(settle_zeroed_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
