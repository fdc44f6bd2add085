/* Host tests for src/core/entropy.c: output depends on every byte mixed in,
 * never repeats, and reads of any length agree with the SHA-256 counter
 * construction; the host tree's seeds are found and mixed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "core/entropy.h"
#include "core/sha256.h"

static void seeded(struct entropy *e, const char *seed)
{
    memset(e, 0, sizeof(*e));
    entropy_mix(e, seed, strlen(seed));
}

static void same_seed_same_bytes_other_seed_other_bytes(void **state)
{
    (void)state;
    struct entropy a, b, c;
    seeded(&a, "seed one");
    seeded(&b, "seed one");
    seeded(&c, "seed onf");
    uint8_t x[48], y[48], z[48];
    entropy_read(&a, x, sizeof(x));
    entropy_read(&b, y, sizeof(y));
    entropy_read(&c, z, sizeof(z));
    assert_memory_equal(x, y, sizeof(x));
    assert_memory_not_equal(x, z, sizeof(x));
    assert_int_equal(a.seeded_bytes, 8);
}

static void reads_never_repeat(void **state)
{
    (void)state;
    struct entropy e;
    seeded(&e, "s");
    enum { N = 256 };
    static uint8_t out[N][32];
    for (int i = 0; i < N; i++) {
        entropy_read(&e, out[i], sizeof(out[i]));
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(out[i], out[j], sizeof(out[i]));
    }
}

/* The first read's bytes are SHA-256("lodger out" || key || counter 0), then
 * counter 1, ...; the key then becomes SHA-256("lodger key" || key || next). */
static void construction(void **state)
{
    (void)state;
    struct entropy e;
    seeded(&e, "construction");
    uint8_t key[32], expect[70], got[70], block[32];
    memcpy(key, e.key, sizeof(key));
    for (uint64_t counter = 0; counter < 3; counter++) {
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, "lodger out", 10);
        sha256_update(&s, key, sizeof(key));
        sha256_update(&s, &counter, sizeof(counter));
        sha256_final(&s, block);
        memcpy(expect + 32 * counter, block, counter == 2 ? 6 : 32);
    }
    entropy_read(&e, got, sizeof(got));
    assert_memory_equal(got, expect, sizeof(got));
    assert_memory_not_equal(e.key, key, sizeof(key));
    assert_int_equal(e.counter, 4);
}

static void mixing_changes_the_stream(void **state)
{
    (void)state;
    struct entropy a, b;
    seeded(&a, "x");
    seeded(&b, "x");
    entropy_mix(&b, "", 0);     /* even nothing: the key is rehashed */
    uint8_t x[32], y[32];
    entropy_read(&a, x, sizeof(x));
    entropy_read(&b, y, sizeof(y));
    assert_memory_not_equal(x, y, sizeof(x));
}

static void seeds_from_the_tree(void **state)
{
    (void)state;
    uint8_t fdt[1024];
    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    struct entropy e = { 0 };
    assert_int_equal(entropy_mix_fdt(&e, fdt), 0);         /* no /chosen */
    int chosen = fdt_add_subnode(fdt, 0, "chosen");
    assert_true(chosen >= 0);
    assert_int_equal(entropy_mix_fdt(&e, fdt), 0);         /* no seeds */
    uint8_t seed[32] = { 9 }, kaslr[8] = { 7 };
    assert_int_equal(fdt_setprop(fdt, chosen, "rng-seed", seed, sizeof(seed)), 0);
    assert_int_equal(entropy_mix_fdt(&e, fdt), 32);
    assert_int_equal(fdt_setprop(fdt, chosen, "kaslr-seed", kaslr, sizeof(kaslr)), 0);
    struct entropy f = { 0 }, g = { 0 };
    assert_int_equal(entropy_mix_fdt(&f, fdt), 40);
    seed[31] = 1;
    assert_int_equal(fdt_setprop(fdt, chosen, "rng-seed", seed, sizeof(seed)), 0);
    assert_int_equal(entropy_mix_fdt(&g, fdt), 40);
    assert_memory_not_equal(f.key, g.key, sizeof(f.key));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes_other_seed_other_bytes),
        cmocka_unit_test(reads_never_repeat),
        cmocka_unit_test(construction),
        cmocka_unit_test(mixing_changes_the_stream),
        cmocka_unit_test(seeds_from_the_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
