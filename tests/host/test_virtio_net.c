/* Host tests for src/dev/virtio_net_frame.c: the virtio-net header on
 * transmit (stripped, wherever the chain's segments split it) and on
 * receive (written: flags 0, gso NONE, num_buffers 1; a frame that does
 * not fit is not written at all). virtio spec 5.1.6. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dev/virtio_net_frame.h"

static struct vq_chain chain;
static uint8_t mem[8192];
static struct io_seg out[VQ_MAX_SEGS];

/* A chain of readable pieces of mem (lengths given, 0-terminated), then
 * writable ones. */
static void make_chain(const uint32_t *readable, const uint32_t *writable)
{
    memset(&chain, 0, sizeof(chain));
    uint64_t at = 0;
    for (unsigned i = 0; readable && readable[i]; i++) {
        chain.seg[chain.nout++] = (struct io_seg){ (uintptr_t)mem + at, readable[i] };
        chain.out_len += readable[i];
        at += readable[i];
    }
    for (unsigned i = 0; writable && writable[i]; i++) {
        chain.seg[chain.nout + chain.nin++] = (struct io_seg){ (uintptr_t)mem + at, writable[i] };
        chain.in_len += writable[i];
        at += writable[i];
    }
}

static void gather(const struct io_seg *seg, unsigned n, uint8_t *to)
{
    for (unsigned i = 0; i < n; i++) {
        memcpy(to, (const void *)(uintptr_t)seg[i].pa, seg[i].len);
        to += seg[i].len;
    }
}

static void tx_header_is_stripped_wherever_it_ends(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(mem); i++)
        mem[i] = (uint8_t)(i * 13);
    const uint32_t shapes[][5] = {
        {12, 100, 0}, {112, 0}, {5, 7, 100, 0}, {3, 20, 89, 0}, {1, 1, 10, 100, 0},
    };
    for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        make_chain(shapes[s], NULL);
        unsigned n;
        uint64_t len;
        assert_true(virtio_net_tx_frame(&chain, out, VQ_MAX_SEGS, &n, &len));
        assert_int_equal(len, 100);
        uint8_t got[100];
        gather(out, n, got);
        assert_memory_equal(got, mem + 12, 100);
        for (unsigned i = 0; i < n; i++)
            assert_true(out[i].len > 0);
    }
}

static void tx_without_a_whole_header_has_no_frame(void **state)
{
    (void)state;
    const uint32_t r[] = {4, 7, 0};
    make_chain(r, NULL);
    unsigned n;
    uint64_t len;
    assert_false(virtio_net_tx_frame(&chain, out, VQ_MAX_SEGS, &n, &len));
    assert_int_equal(n, 0);
    /* Exactly a header: a frame of 0 bytes (the switch drops it as a runt). */
    const uint32_t h[] = {12, 0};
    make_chain(h, NULL);
    assert_true(virtio_net_tx_frame(&chain, out, VQ_MAX_SEGS, &n, &len));
    assert_int_equal(len, 0);
    assert_int_equal(n, 0);
}

static void tx_ignores_writable_buffers(void **state)
{
    (void)state;
    const uint32_t r[] = {12, 50, 0}, w[] = {100, 0};
    make_chain(r, w);
    unsigned n;
    uint64_t len;
    assert_true(virtio_net_tx_frame(&chain, out, VQ_MAX_SEGS, &n, &len));
    assert_int_equal(len, 50);
    assert_int_equal(n, 1);
}

static void rx_writes_header_and_frame(void **state)
{
    (void)state;
    uint8_t frame[1514];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    struct io_seg src[3] = {{(uintptr_t)frame, 6}, {(uintptr_t)frame + 6, 1000},
                            {(uintptr_t)frame + 1006, 508}};
    /* Header split from the frame, and the frame split oddly. */
    const uint32_t w[] = {5, 12, 1000, 509, 0};
    make_chain(NULL, w);
    memset(mem, 0xaa, sizeof(mem));
    assert_int_equal(virtio_net_rx_fill(&chain, src, 3, 1514), 12 + 1514);
    const uint8_t want_hdr[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    assert_memory_equal(mem, want_hdr, 12);
    assert_memory_equal(mem + 12, frame, 1514);
    assert_int_equal(mem[12 + 1514], 0xaa);     /* nothing past it */
}

static void rx_frame_that_does_not_fit_is_not_written(void **state)
{
    (void)state;
    uint8_t frame[1514] = {1};
    struct io_seg src = {(uintptr_t)frame, 1514};
    const uint32_t w[] = {1000, 525, 0};       /* 1525: one byte short */
    make_chain(NULL, w);
    memset(mem, 0xaa, sizeof(mem));
    assert_int_equal(virtio_net_rx_fill(&chain, &src, 1, 1514), 0);
    for (unsigned i = 0; i < 1525; i++)
        assert_int_equal(mem[i], 0xaa);
    /* Exactly 1526 (5.1.6.3): it fits. */
    const uint32_t w2[] = {1526, 0};
    make_chain(NULL, w2);
    assert_int_equal(virtio_net_rx_fill(&chain, &src, 1, 1514), 1526);
    /* Readable buffers in a receive chain do not count as room. */
    const uint32_t r[] = {2000, 0}, w3[] = {100, 0};
    make_chain(r, w3);
    assert_int_equal(virtio_net_rx_fill(&chain, &src, 1, 1514), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tx_header_is_stripped_wherever_it_ends),
        cmocka_unit_test(tx_without_a_whole_header_has_no_frame),
        cmocka_unit_test(tx_ignores_writable_buffers),
        cmocka_unit_test(rx_writes_header_and_frame),
        cmocka_unit_test(rx_frame_that_does_not_fit_is_not_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
