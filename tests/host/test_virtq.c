/* Host tests for src/drivers/virtq.c: lodger's side of a split virtqueue
 * (virtio 1.x 2.6) against a fake device that follows the ring as a device
 * would, and against a device that breaks its rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/virtq.h"

struct fake_dev {
    struct virtq *q;            /* only its ring memory is used: the device's view */
    uint16_t last_avail, used_idx;
};

static struct virtq *new_queue(uint16_t size, void **mem)
{
    struct virtq *q = calloc(1, sizeof(*q));
    *mem = aligned_alloc(4096, virtq_mem_size(size));
    assert_non_null(q);
    assert_non_null(*mem);
    memset(*mem, 0, virtq_mem_size(size));
    assert_true(virtq_init(q, size, *mem));
    return q;
}

/* The device takes one available chain: reads its readable descriptors
 * (summing their bytes into *read), fills the writable ones with `fill`,
 * and returns it with the bytes it wrote. Returns the head, -1 if none. */
static int device_serve(struct fake_dev *d, uint8_t fill, uint32_t *read)
{
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)virtq_avail_addr(d->q);
    struct virtq_desc *desc = (struct virtq_desc *)(uintptr_t)virtq_desc_addr(d->q);
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)virtq_used_addr(d->q);
    uint16_t size = d->q->size;
    if (avail->idx == d->last_avail)
        return -1;
    uint16_t head = avail->ring[d->last_avail++ & (size - 1)];
    uint32_t written = 0, n = 0;
    *read = 0;
    for (uint16_t i = head;; i = desc[i].next) {
        assert_true(i < size);
        assert_true(++n <= size);       /* no loop */
        if (desc[i].flags & VIRTQ_DESC_F_WRITE) {
            memset((void *)(uintptr_t)desc[i].addr, fill, desc[i].len);
            written += desc[i].len;
        } else {
            assert_int_equal(written, 0);   /* readable ones first (2.6.4.2) */
            *read += desc[i].len;
        }
        if (!(desc[i].flags & VIRTQ_DESC_F_NEXT))
            break;
    }
    used->ring[d->used_idx & (size - 1)] = (struct virtq_used_elem){ head, written };
    __atomic_store_n(&used->idx, ++d->used_idx, __ATOMIC_RELEASE);
    return head;
}

static void sizes_must_be_powers_of_two(void **state)
{
    (void)state;
    struct virtq q;
    static uint8_t mem[65536] __attribute__((aligned(4096)));
    assert_false(virtq_init(&q, 0, mem));
    assert_false(virtq_init(&q, 3, mem));
    assert_false(virtq_init(&q, 255, mem));
    assert_false(virtq_init(&q, 512, mem));
    assert_true(virtq_mem_size(256) <= sizeof(mem));
    assert_true(virtq_init(&q, 1, mem));
    assert_true(virtq_init(&q, 256, mem));
    assert_int_equal(virtq_free_count(&q), 256);
    /* The parts' alignment (2.6: 16, 2, 4). */
    assert_int_equal(virtq_desc_addr(&q) % 16, 0);
    assert_int_equal(virtq_avail_addr(&q) % 2, 0);
    assert_int_equal(virtq_used_addr(&q) % 4, 0);
    assert_true(virtq_used_addr(&q) >= virtq_avail_addr(&q) + 6 + 2 * 256);
}

static void a_chain_goes_round_trip(void **state)
{
    (void)state;
    void *mem;
    struct virtq *q = new_queue(8, &mem);
    struct fake_dev dev = { .q = q };
    uint8_t hdr[16] = { 1 }, data[1000], status = 0xff;
    memset(data, 0, sizeof(data));
    struct virtq_chain c;
    virtq_chain_start(q, &c);
    virtq_chain_add(q, &c, (uintptr_t)hdr, sizeof(hdr), false);
    virtq_chain_add(q, &c, (uintptr_t)data, 600, true);
    virtq_chain_add(q, &c, (uintptr_t)(data + 600), 400, true);
    virtq_chain_add(q, &c, (uintptr_t)&status, 1, true);
    uint16_t head = virtq_chain_publish(q, &c);
    assert_int_equal(virtq_free_count(q), 4);
    assert_true(virtq_kick_needed(q));
    assert_false(virtq_has_used(q));
    uint16_t got;
    uint32_t len, read;
    assert_int_equal(virtq_get_used(q, &got, &len), VIRTQ_NONE);
    assert_int_equal(device_serve(&dev, 0xab, &read), head);
    assert_int_equal(read, 16);
    assert_true(virtq_has_used(q));
    assert_int_equal(virtq_get_used(q, &got, &len), VIRTQ_GOT);
    assert_int_equal(got, head);
    assert_int_equal(len, 1001);
    assert_int_equal(data[0], 0xab);
    assert_int_equal(data[999], 0xab);
    assert_int_equal(status, 0xab);
    assert_int_equal(virtq_free_count(q), 8);
    assert_false(virtq_has_used(q));
    free(mem);
    free(q);
}

/* Chains of varying lengths, out of order completion, and enough rounds
 * for the 16-bit ring indices to wrap. */
static void indices_wrap_and_descriptors_recycle(void **state)
{
    (void)state;
    void *mem;
    struct virtq *q = new_queue(16, &mem);
    struct fake_dev dev = { .q = q };
    static uint8_t buf[16][64];
    unsigned rounds = 0, chains_back = 0;
    while (rounds < 70000) {
        /* Fill the queue with chains of 1..5 descriptors. */
        unsigned made = 0;
        for (;;) {
            unsigned n = 1 + (rounds + made) % 5;
            if (virtq_free_count(q) < n)
                break;
            struct virtq_chain c;
            virtq_chain_start(q, &c);
            for (unsigned i = 0; i < n; i++)
                virtq_chain_add(q, &c, (uintptr_t)buf[i], 8, i == n - 1);
            virtq_chain_publish(q, &c);
            made++;
        }
        assert_true(made > 0);
        uint32_t read;
        for (unsigned i = 0; i < made; i++)
            assert_true(device_serve(&dev, (uint8_t)i, &read) >= 0);
        uint16_t head;
        uint32_t len;
        unsigned back = 0;
        while (virtq_get_used(q, &head, &len) == VIRTQ_GOT) {
            assert_int_equal(len, 8);
            back++;
        }
        assert_int_equal(back, made);
        assert_int_equal(virtq_free_count(q), 16);
        chains_back += back;
        rounds += made;
    }
    assert_true(chains_back >= 70000);
    free(mem);
    free(q);
}

static void publish_one(struct virtq *q, void *buf, uint32_t len)
{
    struct virtq_chain c;
    virtq_chain_start(q, &c);
    virtq_chain_add(q, &c, (uintptr_t)buf, len, true);
    virtq_chain_publish(q, &c);
}

static void put_used(struct virtq *q, uint16_t at, uint32_t id, uint32_t len, uint16_t new_idx)
{
    q->used->ring[at & (q->size - 1)] = (struct virtq_used_elem){ id, len };
    __atomic_store_n(&q->used->idx, new_idx, __ATOMIC_RELEASE);
}

/* A device that names descriptors out of range, not at a chain's head,
 * a chain twice, runs its index ahead, or claims more bytes than the
 * chain can take: reported, never followed; the free list stays sound. */
static void a_broken_device_is_caught(void **state)
{
    (void)state;
    void *mem;
    struct virtq *q = new_queue(4, &mem);
    uint8_t a[32], b[32];
    publish_one(q, a, sizeof(a));      /* head 0 */
    publish_one(q, b, sizeof(b));      /* head 1 */
    assert_int_equal(virtq_free_count(q), 2);
    uint16_t head;
    uint32_t len;
    put_used(q, 0, 4, 1, 1);            /* out of range */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    put_used(q, 0, 0xffffffffu, 1, 1);
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    put_used(q, 0, 2, 1, 1);            /* a free descriptor, not in flight */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    put_used(q, 0, 0, 1, 3);            /* three used of two made available */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    assert_int_equal(virtq_free_count(q), 2);
    put_used(q, 0, 0, 32, 1);           /* a good one */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_GOT);
    assert_int_equal(head, 0);
    put_used(q, 1, 0, 1, 2);            /* the same chain again */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    put_used(q, 1, 1, 33, 2);           /* longer than the chain's writable bytes */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_DEVICE_BROKEN);
    assert_int_equal(virtq_free_count(q), 4);   /* that chain is back all the same */
    assert_int_equal(virtq_get_used(q, &head, &len), VIRTQ_NONE);
    free(mem);
    free(q);
}

static void notification_flags(void **state)
{
    (void)state;
    void *mem;
    struct virtq *q = new_queue(4, &mem);
    assert_true(virtq_kick_needed(q));
    q->used->flags = VIRTQ_USED_F_NO_NOTIFY;
    assert_false(virtq_kick_needed(q));
    virtq_suppress_interrupts(q, true);
    assert_int_equal(q->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_suppress_interrupts(q, false);
    assert_int_equal(q->avail->flags, 0);
    free(mem);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_must_be_powers_of_two),
        cmocka_unit_test(a_chain_goes_round_trip),
        cmocka_unit_test(indices_wrap_and_descriptors_recycle),
        cmocka_unit_test(a_broken_device_is_caught),
        cmocka_unit_test(notification_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
