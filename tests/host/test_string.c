/* Host tests for src/arch/riscv/string.c (built here with its functions
 * renamed lodger_memset/memcpy/memmove, see host.mk): every length up to
 * 80 bytes at every alignment of both ends, overlapping moves both ways,
 * against byte-by-byte references; bytes outside the range stay intact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

void *lodger_memset(void *dst, int c, size_t n);
void *lodger_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *lodger_memmove(void *dst, const void *src, size_t n);

#define SPAN 200
static unsigned char buf[SPAN], ref[SPAN];

static void fill_pattern(unsigned char *b, unsigned seed)
{
    for (int i = 0; i < SPAN; i++)
        b[i] = (unsigned char)(i * 131 + seed * 17 + 7);
}

static void memset_every_length_and_alignment(void **state)
{
    (void)state;
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n <= 80; n++) {
            fill_pattern(buf, (unsigned)(off + n));
            memcpy(ref, buf, SPAN);
            for (size_t i = 0; i < n; i++)
                ref[8 + off + i] = 0xa5;
            assert_ptr_equal(lodger_memset(buf + 8 + off, 0x1a5, n), buf + 8 + off);
            assert_memory_equal(buf, ref, SPAN);
        }
}

static void memcpy_every_length_and_alignment(void **state)
{
    (void)state;
    static unsigned char src[SPAN];
    for (size_t doff = 0; doff < 16; doff++)
        for (size_t soff = 0; soff < 16; soff++)
            for (size_t n = 0; n <= 80; n++) {
                fill_pattern(src, 3);
                fill_pattern(buf, (unsigned)n);
                memcpy(ref, buf, SPAN);
                for (size_t i = 0; i < n; i++)
                    ref[8 + doff + i] = src[8 + soff + i];
                assert_ptr_equal(lodger_memcpy(buf + 8 + doff, src + 8 + soff, n), buf + 8 + doff);
                assert_memory_equal(buf, ref, SPAN);
            }
}

static void memmove_overlapping_both_ways(void **state)
{
    (void)state;
    unsigned char tmp[SPAN];
    for (size_t doff = 0; doff < 40; doff++)
        for (size_t soff = 0; soff < 40; soff++)
            for (size_t n = 0; n <= 100; n += 1 + n / 8) {
                fill_pattern(buf, (unsigned)(doff * 40 + soff));
                memcpy(ref, buf, SPAN);
                for (size_t i = 0; i < n; i++)
                    tmp[i] = ref[20 + soff + i];
                for (size_t i = 0; i < n; i++)
                    ref[20 + doff + i] = tmp[i];
                assert_ptr_equal(lodger_memmove(buf + 20 + doff, buf + 20 + soff, n),
                                 buf + 20 + doff);
                assert_memory_equal(buf, ref, SPAN);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memset_every_length_and_alignment),
        cmocka_unit_test(memcpy_every_length_and_alignment),
        cmocka_unit_test(memmove_overlapping_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
