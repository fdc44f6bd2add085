/* Host tests for a guest's split virtqueue, device side (src/dev/vq.c;
 * virtio 1.x 2.7): chains direct and indirect into segments, the used ring,
 * notification suppression with and without the event index, and every
 * malformed ring a hostile driver can make: each breaks the queue (the
 * transport then sets DEVICE_NEEDS_RESET) without a read or write outside
 * the guest's RAM (ASan watches the RAM buffer's edges). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/vq.h"

#define RAM_GPA 0x80000000ull
#define RAM_SIZE 0x10000ull
/* Where the test's driver puts things (offsets into RAM). */
#define DESC 0x0000ull
#define AVAIL 0x1000ull
#define USED 0x2000ull
#define INDIRECT 0x3000ull
#define BUF 0x8000ull
#define QSIZE 8

static uint8_t *ram;
static struct vq_mem mem;
static struct vq q;
static struct vq_chain chain;
static const char *why;

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM_SIZE);      /* exactly the guest's RAM: ASan flags a byte past it */
    mem = (struct vq_mem){ .gpa = RAM_GPA, .size = RAM_SIZE, .hpa = (uintptr_t)ram };
    memset(&q, 0, sizeof(q));
    q.num = QSIZE;
    q.desc_gpa = RAM_GPA + DESC;
    q.avail_gpa = RAM_GPA + AVAIL;
    q.used_gpa = RAM_GPA + USED;
    why = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void enable(void)
{
    assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_OK);
}

static uint16_t *avail(void) { return (uint16_t *)(ram + AVAIL); }
static uint16_t *used(void) { return (uint16_t *)(ram + USED); }

static void set_desc(uint64_t table, unsigned i, uint64_t gpa, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    struct virtq_desc d = { gpa, len, flags, next };
    memcpy(ram + table + 16 * i, &d, sizeof(d));    /* an indirect table may be unaligned */
}

/* The driver makes head available (2.7.13). */
static void offer(uint16_t head)
{
    uint16_t idx = avail()[1];
    avail()[2 + idx % QSIZE] = head;
    avail()[1] = idx + 1;
}

static void expect_broken(const char *substring)
{
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_BROKEN);
    assert_non_null(why);
    assert_non_null(strstr(why, substring));
}

static void test_simple_chain(void **state)
{
    (void)state;
    enable();
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_EMPTY);
    set_desc(DESC, 0, RAM_GPA + BUF, 16, VIRTQ_DESC_F_NEXT, 3);
    set_desc(DESC, 3, RAM_GPA + BUF + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
    set_desc(DESC, 5, RAM_GPA + BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(0);
    assert_true(vq_has_work(&q));
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_int_equal(chain.head, 0);
    assert_int_equal(chain.nout, 1);
    assert_int_equal(chain.nin, 2);
    assert_int_equal(chain.out_len, 16);
    assert_int_equal(chain.in_len, 513);
    assert_int_equal(chain.seg[0].pa, (uintptr_t)ram + BUF);
    assert_int_equal(chain.seg[1].pa, (uintptr_t)ram + BUF + 0x100);
    assert_int_equal(chain.seg[2].len, 1);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_EMPTY);
    assert_false(vq_has_work(&q));

    /* Reading the header and writing the status through the segments. */
    memcpy(ram + BUF, "0123456789abcdef", 16);
    char hdr[20] = { 0 };
    assert_int_equal(vq_read_out(&chain, 4, hdr, sizeof(hdr)), 12);
    assert_memory_equal(hdr, "456789abcdef", 12);
    uint8_t status = 7;
    assert_int_equal(vq_write_in(&chain, 512, &status, 1), 1);
    assert_int_equal(ram[BUF + 0x400], 7);
    assert_int_equal(vq_write_in(&chain, 513, &status, 1), 0);

    vq_push(&q, chain.head, 513);
    assert_int_equal(used()[1], 1);
    struct virtq_used_elem *e = (struct virtq_used_elem *)(used() + 2);
    assert_int_equal(e[0].id, 0);
    assert_int_equal(e[0].len, 513);
}

static void test_zero_length_descriptor_gives_no_segment(void **state)
{
    (void)state;
    enable();
    set_desc(DESC, 0, 0xdead0000, 0, VIRTQ_DESC_F_NEXT, 1);     /* anywhere: nothing is touched */
    set_desc(DESC, 1, RAM_GPA + BUF, 4, 0, 0);
    offer(0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_int_equal(chain.nout, 1);
    assert_int_equal(chain.seg[0].pa, (uintptr_t)ram + BUF);
}

static void test_indirect_chain(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    /* Unaligned table (allowed: only the queue's own must be aligned). */
    uint64_t t = INDIRECT + 4;
    set_desc(t, 0, RAM_GPA + BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(t, 1, RAM_GPA + BUF + 16, 4096, VIRTQ_DESC_F_NEXT, 2);
    set_desc(t, 2, RAM_GPA + BUF + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
    /* The descriptor naming it: its WRITE flag is ignored (2.7.5.3.2). */
    set_desc(DESC, 2, RAM_GPA + t, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    offer(2);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_int_equal(chain.head, 2);
    assert_int_equal(chain.nout, 2);
    assert_int_equal(chain.nin, 1);
    assert_int_equal(chain.out_len, 16 + 4096);
    assert_int_equal(chain.seg[2].pa, (uintptr_t)ram + BUF + 0x2000);
}

static void test_direct_then_indirect(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    set_desc(INDIRECT, 0, RAM_GPA + BUF + 16, 1, VIRTQ_DESC_F_WRITE, 0);
    set_desc(DESC, 0, RAM_GPA + BUF, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC, 1, RAM_GPA + INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_int_equal(chain.nout, 1);
    assert_int_equal(chain.nin, 1);
}

static void test_full_ring_and_wrap(void **state)
{
    (void)state;
    enable();
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC, i, RAM_GPA + BUF + i, 1, 0, 0);
    /* Free-running indices across 2^16 (2.7.6): start near the wrap. */
    q.last_avail = q.used_idx = 0xfffc;
    avail()[1] = 0xfffc;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < QSIZE; i++)
            offer((uint16_t)i);
        for (unsigned i = 0; i < QSIZE; i++) {
            assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
            assert_int_equal(chain.head, i);
            vq_push(&q, chain.head, 0);
        }
        assert_int_equal(vq_pop(&q, &chain, &why), VQ_EMPTY);
    }
    assert_int_equal(used()[1], (uint16_t)(0xfffc + 3 * QSIZE));
}

/* ---- the queue's setup (vq_enable) ---- */

static void test_enable_refuses_bad_sizes(void **state)
{
    (void)state;
    static const unsigned sizes[] = { 0, 3, 6, 100, 512, 0x8000 };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        q.num = (uint16_t)sizes[i];
        why = NULL;
        assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_BROKEN);
        assert_non_null(strstr(why, "power of 2"));
        assert_false(q.ready);
    }
    q.num = 256;    /* QueueNumMax exactly; 1 is a power of 2 too */
    enable();
    q.num = 1;
    enable();
    /* Above a smaller maximum. */
    q.num = 16;
    assert_int_equal(vq_enable(&q, &mem, 8, &why), VQ_BROKEN);
}

static void test_enable_refuses_unaligned_rings(void **state)
{
    (void)state;
    q.desc_gpa += 8;
    assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_BROKEN);
    assert_non_null(strstr(why, "aligned"));
    q.desc_gpa -= 8;
    q.avail_gpa += 1;
    assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_BROKEN);
    q.avail_gpa -= 1;
    q.used_gpa += 2;
    assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_BROKEN);
    q.used_gpa -= 2;
    enable();
}

static void test_enable_refuses_rings_outside_ram(void **state)
{
    (void)state;
    static const uint64_t bad[] = {
        0,                                  /* below RAM */
        0x10001000,                         /* a device page (virtio-mmio) */
        RAM_GPA - 16,                       /* straddling its start */
        RAM_GPA + RAM_SIZE - 16,            /* straddling its end */
        RAM_GPA + RAM_SIZE,                 /* just past it */
        0xfffffffffffffff0ull,              /* wrapping past 2^64 */
    };
    for (unsigned which = 0; which < 3; which++)
        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            q.desc_gpa = RAM_GPA + DESC;
            q.avail_gpa = RAM_GPA + AVAIL;
            q.used_gpa = RAM_GPA + USED;
            uint64_t *addr = which == 0 ? &q.desc_gpa : which == 1 ? &q.avail_gpa : &q.used_gpa;
            *addr = bad[i];
            assert_int_equal(vq_enable(&q, &mem, VQ_MAX_SIZE, &why), VQ_BROKEN);
            assert_non_null(strstr(why, "RAM"));
        }
    /* The used ring ending exactly at RAM's end is fine. */
    q.used_gpa = RAM_GPA + RAM_SIZE - (6 + 8 * QSIZE);
    q.used_gpa &= ~3ull;
    enable();
}

/* ---- what a driver MUST NOT put in the rings (vq_pop) ---- */

static void test_avail_idx_jump(void **state)
{
    (void)state;
    enable();
    set_desc(DESC, 0, RAM_GPA + BUF, 1, 0, 0);
    avail()[1] = QSIZE + 1;     /* more entries than the ring has */
    expect_broken("queue size");
    /* Exactly the queue size is fine. */
    avail()[1] = QSIZE;
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
}

static void test_head_outside_table(void **state)
{
    (void)state;
    enable();
    offer(QSIZE);
    expect_broken("outside the descriptor table");
}

static void test_next_outside_table(void **state)
{
    (void)state;
    enable();
    set_desc(DESC, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 0xffff);
    offer(0);
    expect_broken("next index");
}

static void test_loop(void **state)
{
    (void)state;
    enable();
    set_desc(DESC, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC, 1, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 0);
    offer(0);
    expect_broken("loops");
    /* A self-loop too; and the queue stays where it was (not advanced). */
    assert_int_equal(q.last_avail, 0);
    set_desc(DESC, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 0);
    expect_broken("loops");
}

static void test_chain_of_the_whole_table(void **state)
{
    (void)state;
    enable();
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC, i, RAM_GPA + BUF, 1, i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    offer(0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_int_equal(chain.nout, QSIZE);
}

static void test_indirect_loop(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    set_desc(INDIRECT, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 1);
    set_desc(INDIRECT, 1, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 0);
    set_desc(DESC, 0, RAM_GPA + INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("loops");
}

static void test_indirect_next_past_its_length(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    /* Entry 2 exists in memory but the table is 2 long: bounded by len/16. */
    set_desc(INDIRECT, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_NEXT, 2);
    set_desc(INDIRECT, 2, RAM_GPA + BUF, 1, 0, 0);
    set_desc(DESC, 0, RAM_GPA + INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("next index");
}

static void test_nested_indirect(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    set_desc(INDIRECT + 0x100, 0, RAM_GPA + BUF, 1, 0, 0);
    set_desc(INDIRECT, 0, RAM_GPA + INDIRECT + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc(DESC, 0, RAM_GPA + INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("inside an indirect table");
}

static void test_indirect_not_negotiated(void **state)
{
    (void)state;
    enable();
    set_desc(INDIRECT, 0, RAM_GPA + BUF, 1, 0, 0);
    set_desc(DESC, 0, RAM_GPA + INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("without VIRTIO_F_INDIRECT_DESC");
}

static void test_indirect_with_next(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    set_desc(INDIRECT, 0, RAM_GPA + BUF, 1, 0, 0);
    set_desc(DESC, 0, RAM_GPA + INDIRECT, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC, 1, RAM_GPA + BUF, 1, 0, 0);
    offer(0);
    expect_broken("with NEXT");
}

static void test_indirect_bad_lengths(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    static const uint32_t lens[] = { 0, 8, 17, 16 * (VQ_MAX_SEGS + 1), 0xfffffff0u };
    set_desc(INDIRECT, 0, RAM_GPA + BUF, 1, 0, 0);
    offer(0);
    for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        set_desc(DESC, 0, RAM_GPA + INDIRECT, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
        expect_broken("length");
    }
}

static void test_indirect_table_outside_ram(void **state)
{
    (void)state;
    q.indirect = true;
    enable();
    offer(0);
    set_desc(DESC, 0, RAM_GPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken("not inside the VM's RAM");
    set_desc(DESC, 0, 0xfffffffffffffff0ull, 32, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken("not inside the VM's RAM");
    set_desc(DESC, 0, 0x10001000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    expect_broken("not inside the VM's RAM");
}

static void test_buffers_outside_ram(void **state)
{
    (void)state;
    enable();
    offer(0);
    struct { uint64_t gpa; uint32_t len; } bad[] = {
        { 0, 1 },                                   /* below RAM */
        { RAM_GPA - 1, 2 },                         /* straddling its start */
        { RAM_GPA + RAM_SIZE - 1, 2 },              /* past its end by one */
        { RAM_GPA + RAM_SIZE, 1 },
        { RAM_GPA, (uint32_t)RAM_SIZE + 1 },        /* longer than RAM */
        { 0xffffffffffffff00ull, 0x200 },           /* wrapping past 2^64 into RAM's numbers */
        { 0x10008000, 4 },                          /* a device page */
    };
    for (unsigned w = 0; w < 2; w++)
        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            set_desc(DESC, 0, bad[i].gpa, bad[i].len, w ? VIRTQ_DESC_F_WRITE : 0, 0);
            expect_broken("buffer is not inside");
        }
    /* The last byte of RAM is fine. */
    set_desc(DESC, 0, RAM_GPA + RAM_SIZE - 1, 1, VIRTQ_DESC_F_WRITE, 0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
}

static void test_readable_after_writable(void **state)
{
    (void)state;
    enable();
    set_desc(DESC, 0, RAM_GPA + BUF, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC, 1, RAM_GPA + BUF, 1, 0, 0);
    offer(0);
    expect_broken("readable descriptor after");
}

static void test_not_ready_takes_nothing(void **state)
{
    (void)state;
    offer(0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_EMPTY);
    assert_false(vq_has_work(&q));
    assert_false(vq_rearm(&q));
}

/* ---- notifications (2.7.7, 2.7.10) ---- */

static void test_interrupt_flags(void **state)
{
    (void)state;
    enable();
    vq_push(&q, 0, 0);
    assert_true(vq_should_interrupt(&q));
    avail()[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    vq_push(&q, 0, 0);
    assert_false(vq_should_interrupt(&q));
    /* rearm clears NO_NOTIFY (lodger always wants notifications). */
    used()[0] = VIRTQ_USED_F_NO_NOTIFY;
    assert_false(vq_rearm(&q));
    assert_int_equal(used()[0], 0);
}

static void test_event_idx(void **state)
{
    (void)state;
    q.event_idx = true;
    enable();
    uint16_t *used_event = &avail()[2 + QSIZE];
    uint16_t *avail_event = &used()[2 + 4 * QSIZE];
    /* The first interrupt always goes. */
    vq_push(&q, 0, 0);
    assert_true(vq_should_interrupt(&q));           /* used.idx 1 */
    /* The driver wants one when used.idx passes 3 (used_event 3: after the
     * element at index 3 is used, i.e. used.idx becomes 4). */
    *used_event = 3;
    vq_push(&q, 0, 0);
    assert_false(vq_should_interrupt(&q));          /* 2 */
    vq_push(&q, 0, 0);
    assert_false(vq_should_interrupt(&q));          /* 3 */
    vq_push(&q, 0, 0);
    assert_true(vq_should_interrupt(&q));           /* 4 */
    /* Several at once passing it. */
    *used_event = 5;
    vq_push(&q, 0, 0);
    vq_push(&q, 0, 0);
    vq_push(&q, 0, 0);
    assert_true(vq_should_interrupt(&q));           /* 7 */
    /* A used_event behind: no interrupt until it wraps round. */
    *used_event = 2;
    vq_push(&q, 0, 0);
    assert_false(vq_should_interrupt(&q));
    /* avail_event tells the driver where to notify from, and a chain that
     * came meanwhile is reported. */
    set_desc(DESC, 0, RAM_GPA + BUF, 1, 0, 0);
    offer(0);
    assert_true(vq_rearm(&q));
    assert_int_equal(*avail_event, 0);
    assert_int_equal(vq_pop(&q, &chain, &why), VQ_OK);
    assert_false(vq_rearm(&q));
    assert_int_equal(*avail_event, 1);
}

static void test_gpa_to_hpa(void **state)
{
    (void)state;
    assert_int_equal(vq_gpa_to_hpa(&mem, RAM_GPA, RAM_SIZE), (uintptr_t)ram);
    assert_int_equal(vq_gpa_to_hpa(&mem, RAM_GPA + RAM_SIZE, 0), (uintptr_t)ram + RAM_SIZE);
    assert_int_equal(vq_gpa_to_hpa(&mem, RAM_GPA + RAM_SIZE, 1), 0);
    assert_int_equal(vq_gpa_to_hpa(&mem, RAM_GPA + 1, UINT64_MAX), 0);
    assert_int_equal(vq_gpa_to_hpa(&mem, UINT64_MAX, 2), 0);
    assert_int_equal(vq_gpa_to_hpa(&mem, RAM_GPA - 1, 1), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_simple_chain),
        T(test_zero_length_descriptor_gives_no_segment),
        T(test_indirect_chain),
        T(test_direct_then_indirect),
        T(test_full_ring_and_wrap),
        T(test_enable_refuses_bad_sizes),
        T(test_enable_refuses_unaligned_rings),
        T(test_enable_refuses_rings_outside_ram),
        T(test_avail_idx_jump),
        T(test_head_outside_table),
        T(test_next_outside_table),
        T(test_loop),
        T(test_chain_of_the_whole_table),
        T(test_indirect_loop),
        T(test_indirect_next_past_its_length),
        T(test_nested_indirect),
        T(test_indirect_not_negotiated),
        T(test_indirect_with_next),
        T(test_indirect_bad_lengths),
        T(test_indirect_table_outside_ram),
        T(test_buffers_outside_ram),
        T(test_readable_after_writable),
        T(test_not_ready_takes_nothing),
        T(test_interrupt_flags),
        T(test_event_idx),
        T(test_gpa_to_hpa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
