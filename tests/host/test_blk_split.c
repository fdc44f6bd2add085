/* Host tests for src/drivers/blk_split.c: a disk request's segments cut
 * into virtio-blk requests within the device's limits, whole sectors each,
 * covering exactly the caller's bytes in order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/blk_split.h"

#define MAX_PIECES 300

/* Splits, checks every promise, returns the number of requests (-1: the
 * splitter gave up). */
static struct blk_cursor stuck;     /* where split_all gave up */

static int split_all(const struct io_seg *seg, unsigned nseg, const struct blk_limits *lim)
{
    struct blk_cursor c = { 0, 0 };
    struct io_seg pieces[MAX_PIECES];
    unsigned si = 0;
    uint32_t so = 0;            /* where the next piece must start */
    int requests = 0;
    for (;;) {
        unsigned n = 12345;
        uint64_t bytes = blk_split_next(seg, nseg, &c, lim, pieces, &n);
        if (!bytes) {
            assert_int_equal(n, 0);
            stuck = c;
            return blk_split_done(&c, nseg) ? requests : -1;
        }
        requests++;
        assert_int_equal(bytes % BLK_SECTOR, 0);
        assert_true(n >= 1 && n <= lim->max_pieces);
        uint64_t sum = 0;
        for (unsigned i = 0; i < n; i++) {
            assert_true(pieces[i].len > 0);
            if (lim->size_max)
                assert_true(pieces[i].len <= lim->size_max);
            while (si < nseg && so == seg[si].len) {
                si++;
                so = 0;
            }
            assert_true(si < nseg);
            assert_int_equal(pieces[i].pa, seg[si].pa + so);
            assert_true(so + pieces[i].len <= seg[si].len);
            so += pieces[i].len;
            sum += pieces[i].len;
        }
        assert_int_equal(sum, bytes);
    }
}

static void one_segment_one_request(void **state)
{
    (void)state;
    struct io_seg seg[] = { { 0x80000000, 4096 } };
    struct blk_limits lim = { 126, 0 };
    assert_int_equal(split_all(seg, 1, &lim), 1);
}

static void size_max_cuts_pieces(void **state)
{
    (void)state;
    struct io_seg seg[] = { { 0x80000000, 65536 } };
    struct blk_limits lim = { 4, 4096 };
    assert_int_equal(split_all(seg, 1, &lim), 4);     /* 16 pieces, 4 a request */
}

static void cuts_fall_on_sectors_inside_segments(void **state)
{
    (void)state;
    /* Three segments of 700, 100 and 224 bytes (two sectors), two pieces a
     * request: the first request is 512 bytes of the first segment. */
    struct io_seg seg[] = { { 0x1000, 700 }, { 0x5000, 100 }, { 0x9000, 224 } };
    struct blk_limits lim = { 2, 0 };
    struct blk_cursor c = { 0, 0 };
    struct io_seg p[2];
    unsigned n;
    assert_int_equal(blk_split_next(seg, 3, &c, &lim, p, &n), 512);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].pa, 0x1000);
    assert_int_equal(p[0].len, 512);
    assert_int_equal(c.seg, 0);
    assert_int_equal(c.offset, 512);
    /* 188 + 100 = 288 in two pieces: less than a sector. */
    assert_int_equal(blk_split_next(seg, 3, &c, &lim, p, &n), 0);
    assert_false(blk_split_done(&c, 3));
    lim.max_pieces = 3;
    assert_int_equal(split_all(seg, 3, &lim), 1);
}

static void empty_segments_are_skipped(void **state)
{
    (void)state;
    struct io_seg seg[] = { { 0x1000, 0 }, { 0x2000, 512 }, { 0x3000, 0 }, { 0x4000, 512 }, { 0x5000, 0 } };
    struct blk_limits lim = { 1, 0 };
    assert_int_equal(split_all(seg, 5, &lim), 2);
    struct io_seg none[] = { { 0x1000, 0 } };
    assert_int_equal(split_all(none, 1, &lim), 0);
    assert_int_equal(split_all(none, 0, &lim), 0);
}

static void not_whole_sectors_is_refused(void **state)
{
    (void)state;
    struct io_seg seg[] = { { 0x1000, 1000 } };
    struct blk_limits lim = { 8, 0 };
    assert_int_equal(split_all(seg, 1, &lim), -1);
}

/* Random layouts (sums a whole number of sectors), random limits. */
static void random_layouts(void **state)
{
    (void)state;
    srand(14);
    for (int round = 0; round < 3000; round++) {
        struct io_seg seg[64];
        unsigned nseg = 1 + (unsigned)rand() % 64;
        uint64_t total = 0, pa = 0x80000000;
        for (unsigned i = 0; i < nseg; i++) {
            uint32_t len = rand() % 4 == 0 ? 0 : 1 + (uint32_t)rand() % (rand() % 2 ? 64 : 9000);
            seg[i] = (struct io_seg){ pa, len };
            pa += len + 4096;
            total += len;
        }
        seg[nseg - 1].len += (uint32_t)((BLK_SECTOR - total % BLK_SECTOR) % BLK_SECTOR);
        struct blk_limits lim = { 1 + (unsigned)rand() % 40, rand() % 2 ? 0 : 1 + (uint32_t)rand() % 5000 };
        int r = split_all(seg, nseg, &lim);
        /* Giving up is only allowed where the next sector needs more
         * pieces than a request may have. */
        if (r < 0) {
            unsigned need = 0;
            uint64_t got = 0;
            for (unsigned i = stuck.seg; i < nseg && got < BLK_SECTOR; i++) {
                uint32_t len = seg[i].len - (i == stuck.seg ? stuck.offset : 0);
                while (len && got < BLK_SECTOR) {
                    uint32_t take = lim.size_max && len > lim.size_max ? lim.size_max : len;
                    len -= take;
                    got += take;
                    need++;
                }
            }
            assert_true(need > lim.max_pieces);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_segment_one_request),
        cmocka_unit_test(size_max_cuts_pieces),
        cmocka_unit_test(cuts_fall_on_sectors_inside_segments),
        cmocka_unit_test(empty_segments_are_skipped),
        cmocka_unit_test(not_whole_sectors_is_refused),
        cmocka_unit_test(random_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
