/* Host tests for src/io/switch.c: learning, flooding, broadcast, no
 * hairpin, full ports, size limits, static addresses against spoofing, the
 * table's bounds, and several senders at once (threads). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "io/switch.h"

/* A fake receiver per port: the frames it took, and whether it has room. */
struct sink {
    unsigned frames;
    bool full;
    uint32_t last_len;
    uint8_t last[SWITCH_FRAME_MAX];
};

static struct sink sinks[SWITCH_MAX_PORTS];

static bool sink_deliver(struct switch_port *p, const struct io_seg *seg, unsigned nseg,
                         uint32_t len)
{
    struct sink *s = p->ctx;
    if (s->full)
        return false;
    assert_true(io_seg_copy_out(seg, nseg, 0, s->last, len));
    s->last_len = len;
    __atomic_fetch_add(&s->frames, 1, __ATOMIC_RELAXED);
    return true;
}

static struct net_switch sw;
static struct switch_port *port[SWITCH_MAX_PORTS];

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void mac_of(uint8_t *mac, unsigned n)
{
    const uint8_t m[6] = {0x52, 0x54, 0x00, 0x4c, 0x44, (uint8_t)n};
    memcpy(mac, m, 6);
}

/* Two hosts' addresses that no port has as its fixed one (made by make). */
static uint8_t a[6], b[6];

/* n ports; ports below `fixed` have the fixed address mac_of(i). */
static void make(unsigned n, unsigned fixed)
{
    memset(sinks, 0, sizeof(sinks));
    mac_of(a, 0xa);
    mac_of(b, 0xb);
    switch_init(&sw, 0x0123456789abcdefull, 0xfedcba9876543210ull);
    for (unsigned i = 0; i < n; i++) {
        uint8_t mac[6];
        mac_of(mac, i);
        char name[8] = {'p', (char)('0' + i), 0};
        assert_int_equal(switch_attach(&sw, name, i < fixed ? mac : NULL, SWITCH_VM_QUOTA,
                                       sink_deliver, &sinks[i], &port[i]),
                         SWITCH_ATTACH_OK);
    }
}

static uint8_t frame[2048];

/* Sends a frame dst <- src of len bytes from port p, payload tagged. */
static unsigned send(unsigned p, const uint8_t *dst, const uint8_t *src, uint32_t len, uint8_t tag)
{
    memset(frame, tag, sizeof(frame));
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    struct io_seg seg = {(uint64_t)(uintptr_t)frame, len};
    return switch_send(&sw, port[p], &seg, 1, len);
}

static unsigned total_frames(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++)
        n += sinks[i].frames;
    return n;
}

static void unknown_unicast_floods_then_learned_goes_to_one_port(void **state)
{
    (void)state;
    make(4, 0);
    /* b is unknown: every port but the sender's. */
    assert_int_equal(send(0, b, a, 60, 1), 3);
    assert_int_equal(sinks[0].frames, 0);
    assert_int_equal(sinks[1].frames + sinks[2].frames + sinks[3].frames, 3);
    assert_int_equal(switch_port_counters(port[0]).flooded, 1);
    /* a was learned on port 0; b answers from port 2: only port 0 gets it. */
    assert_int_equal(switch_lookup(&sw, a), 0);
    assert_int_equal(send(2, a, b, 60, 2), 1);
    assert_int_equal(sinks[0].frames, 1);
    assert_int_equal(sinks[0].last[20], 2);
    assert_int_equal(total_frames(), 4);
    /* Now both are known: a to b goes to port 2 only. */
    assert_int_equal(send(0, b, a, 100, 3), 1);
    assert_int_equal(sinks[2].frames, 2);
    assert_int_equal(sinks[2].last_len, 100);
    assert_int_equal(sinks[2].last[99], 3);
    assert_int_equal(total_frames(), 5);
    assert_int_equal(switch_port_counters(port[0]).in, 2);
    assert_int_equal(switch_port_counters(port[2]).out, 2);
}

static void broadcast_and_multicast_go_everywhere_but_home(void **state)
{
    (void)state;
    make(5, 5);
    uint8_t own[6], m[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    mac_of(own, 3);
    assert_int_equal(send(3, BCAST, own, 42, 7), 4);
    assert_int_equal(sinks[3].frames, 0);
    for (unsigned i = 0; i < 5; i++)
        if (i != 3) {
            assert_int_equal(sinks[i].frames, 1);
            assert_int_equal(sinks[i].last_len, 42);
            assert_memory_equal(sinks[i].last, BCAST, 6);
        }
    /* Even a group address that was (wrongly) used as a source is never learned. */
    assert_int_equal(send(3, m, own, 60, 8), 4);
    assert_int_equal(sinks[3].frames, 0);
    assert_int_equal(switch_lookup(&sw, m), -1);
}

static void never_back_to_the_source_port(void **state)
{
    (void)state;
    make(3, 0);
    send(1, BCAST, a, 60, 1);           /* a on port 1 */
    send(1, BCAST, b, 60, 1);           /* b on port 1 too (a bridge behind port 1) */
    unsigned before = total_frames();
    assert_int_equal(send(1, b, a, 60, 2), 0);  /* both on port 1: filtered */
    assert_int_equal(total_frames(), before);
    assert_int_equal(sinks[1].frames, 0);
}

static void moved_address_is_relearned(void **state)
{
    (void)state;
    make(3, 0);
    send(0, BCAST, a, 60, 1);
    assert_int_equal(switch_lookup(&sw, a), 0);
    send(2, BCAST, a, 60, 1);           /* a moved to port 2 */
    assert_int_equal(switch_lookup(&sw, a), 2);
    assert_int_equal(sw.moves, 1);
    assert_int_equal(port[0]->learned, 0);
    assert_int_equal(port[2]->learned, 1);
    memset(sinks, 0, sizeof(sinks));
    assert_int_equal(send(1, a, b, 60, 3), 1);
    assert_int_equal(sinks[2].frames, 1);
}

static void full_port_drops_and_counts_without_blocking(void **state)
{
    (void)state;
    make(3, 3);
    uint8_t p0[6], p1[6];
    mac_of(p0, 0);
    mac_of(p1, 1);
    sinks[1].full = true;
    assert_int_equal(send(0, p1, p0, 60, 1), 0);    /* p1 is port 1's fixed address */
    assert_int_equal(switch_port_counters(port[1]).out_full, 1);
    assert_int_equal(switch_port_counters(port[1]).out, 0);
    /* A broadcast still reaches the port with room. */
    assert_int_equal(send(0, BCAST, p0, 60, 1), 1);
    assert_int_equal(sinks[2].frames, 1);
    assert_int_equal(switch_port_counters(port[1]).out_full, 2);
    sinks[1].full = false;
    assert_int_equal(send(0, p1, p0, 60, 1), 1);
    assert_int_equal(sinks[1].frames, 1);
}

static void size_limits(void **state)
{
    (void)state;
    make(2, 0);
    for (uint32_t len = 0; len < ETH_HEADER_LEN; len++)
        assert_int_equal(send(0, BCAST, a, len, 1), 0);
    assert_int_equal(send(0, BCAST, a, SWITCH_FRAME_MAX + 1, 1), 0);
    assert_int_equal(send(0, BCAST, a, 2000, 1), 0);
    assert_int_equal(switch_port_counters(port[0]).in_bad, ETH_HEADER_LEN + 2);
    assert_int_equal(sinks[1].frames, 0);
    /* Nothing was learned from the dropped frames. */
    assert_int_equal(switch_lookup(&sw, a), -1);
    /* The limits themselves pass. */
    assert_int_equal(send(0, BCAST, a, ETH_HEADER_LEN, 1), 1);
    assert_int_equal(send(0, BCAST, a, SWITCH_FRAME_MAX, 2), 1);
    assert_int_equal(sinks[1].last_len, SWITCH_FRAME_MAX);
    assert_int_equal(sinks[1].last[SWITCH_FRAME_MAX - 1], 2);
    /* A frame whose segments hold less than it claims is dropped too. */
    struct io_seg seg = {(uint64_t)(uintptr_t)frame, 10};
    assert_int_equal(switch_send(&sw, port[0], &seg, 1, 60), 0);
    assert_int_equal(switch_port_counters(port[0]).in_bad, ETH_HEADER_LEN + 3);
}

static void frames_gathered_from_segments(void **state)
{
    (void)state;
    make(2, 0);
    uint8_t buf[100];
    memcpy(buf, BCAST, 6);
    memcpy(buf + 6, a, 6);
    for (int i = 12; i < 100; i++)
        buf[i] = (uint8_t)i;
    /* The header split across three segments, one of them empty. */
    struct io_seg seg[4] = {{(uintptr_t)buf, 3}, {(uintptr_t)buf + 3, 0}, {(uintptr_t)buf + 3, 8},
                            {(uintptr_t)buf + 11, 89}};
    assert_int_equal(switch_send(&sw, port[0], seg, 4, 100), 1);
    assert_int_equal(sinks[1].last_len, 100);
    assert_memory_equal(sinks[1].last, buf, 100);
    assert_int_equal(switch_lookup(&sw, a), 0);
}

static void group_source_is_dropped(void **state)
{
    (void)state;
    make(2, 0);
    uint8_t m[6] = {0x03, 1, 2, 3, 4, 5};
    assert_int_equal(send(0, b, m, 60, 1), 0);
    assert_int_equal(send(0, b, BCAST, 60, 1), 0);
    assert_int_equal(switch_port_counters(port[0]).in_bad, 2);
    assert_int_equal(switch_lookup(&sw, m), -1);
}

static void fixed_address_cannot_be_spoofed(void **state)
{
    (void)state;
    make(3, 3);
    uint8_t v[6], x[6];
    mac_of(v, 1);                       /* port 1's own address */
    mac_of(x, 0x77);
    /* Port 2 sends with port 1's address: dropped, counted, not relearned. */
    assert_int_equal(send(2, BCAST, v, 60, 1), 0);
    assert_int_equal(switch_port_counters(port[2]).in_spoofed, 1);
    assert_int_equal(switch_lookup(&sw, v), 1);
    /* Traffic for port 1 still reaches port 1 only. */
    assert_int_equal(send(0, v, x, 60, 2), 1);
    assert_int_equal(sinks[1].frames, 1);
    assert_int_equal(sinks[2].frames, 0);
    /* Port 1 itself may send with it. */
    assert_int_equal(send(1, x, v, 60, 3), 1);
    assert_int_equal(sinks[0].frames, 1);
    /* Forgetting a port keeps its fixed address. */
    switch_port_forget(&sw, port[1]);
    assert_int_equal(switch_lookup(&sw, v), 1);
}

static void attach_refuses_what_it_cannot_honour(void **state)
{
    (void)state;
    make(2, 2);
    uint8_t mac[6];
    mac_of(mac, 1);
    struct switch_port *p;
    assert_int_equal(switch_attach(&sw, "dup", mac, 1, sink_deliver, &sinks[2], &p),
                     SWITCH_ATTACH_MAC_TAKEN);
    assert_int_equal(switch_attach(&sw, "grp", BCAST, 1, sink_deliver, &sinks[2], &p),
                     SWITCH_ATTACH_BAD_MAC);
    while (sw.port_count < SWITCH_MAX_PORTS)
        assert_int_equal(switch_attach(&sw, "more", NULL, 1, sink_deliver, &sinks[sw.port_count], &p),
                         SWITCH_ATTACH_OK);
    assert_int_equal(switch_attach(&sw, "over", NULL, 1, sink_deliver, &sinks[0], &p),
                     SWITCH_ATTACH_FULL);
    assert_string_equal(switch_attach_error_string(SWITCH_ATTACH_FULL), "the switch has no free port");
}

/* A port flooding the switch with source addresses keeps at most its quota,
 * and the other ports' entries stay. */
static void a_port_learns_at_most_its_quota(void **state)
{
    (void)state;
    make(3, 0);
    send(0, BCAST, a, 60, 1);
    send(1, BCAST, b, 60, 1);
    for (unsigned i = 0; i < 5000; i++) {
        uint8_t s[6] = {0x02, 0x66, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 0x01};
        send(2, BCAST, s, 60, 1);
        assert_true(port[2]->learned <= SWITCH_VM_QUOTA);
    }
    assert_int_equal(port[2]->learned, SWITCH_VM_QUOTA);
    /* The latest one is known, the first long forgotten. */
    uint8_t last[6] = {0x02, 0x66, 0, 4999 >> 8, 4999 & 0xff, 0x01};
    uint8_t first[6] = {0x02, 0x66, 0, 0, 0, 0x01};
    assert_int_equal(switch_lookup(&sw, last), 2);
    assert_int_equal(switch_lookup(&sw, first), -1);
    assert_int_equal(switch_lookup(&sw, a), 0);
    assert_int_equal(switch_lookup(&sw, b), 1);
    unsigned counted = 0;
    for (unsigned bk = 0; bk < SWITCH_BUCKETS; bk++)
        for (int w = 0; w < SWITCH_WAYS; w++)
            counted += sw.table[bk][w].kind == SWITCH_LEARNED && sw.table[bk][w].port == 2;
    assert_int_equal(counted, SWITCH_VM_QUOTA);
}

/* Many addresses from a port with a large quota: the buckets fill and
 * replace their oldest entries; the counts stay consistent. */
static void full_buckets_replace_their_oldest(void **state)
{
    (void)state;
    memset(sinks, 0, sizeof(sinks));
    switch_init(&sw, 1, 2);
    assert_int_equal(switch_attach(&sw, "lan", NULL, 100000, sink_deliver, &sinks[0], &port[0]), 0);
    assert_int_equal(switch_attach(&sw, "vm", NULL, 4, sink_deliver, &sinks[1], &port[1]), 0);
    for (unsigned i = 0; i < 3 * SWITCH_BUCKETS * SWITCH_WAYS; i++) {
        uint8_t s[6] = {0x00, 0x11, 0x22, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        send(0, BCAST, s, 60, 1);
    }
    assert_int_equal(port[0]->learned, SWITCH_BUCKETS * SWITCH_WAYS);
    assert_true(sw.replaced > 0);
    switch_port_forget(&sw, port[0]);
    assert_int_equal(port[0]->learned, 0);
    for (unsigned bk = 0; bk < SWITCH_BUCKETS; bk++)
        for (int w = 0; w < SWITCH_WAYS; w++)
            assert_int_equal(sw.table[bk][w].kind, SWITCH_FREE);
}

static void forget_floods_again(void **state)
{
    (void)state;
    make(3, 0);
    send(0, BCAST, a, 60, 1);
    assert_int_equal(send(1, a, b, 60, 1), 1);
    switch_port_forget(&sw, port[0]);
    assert_int_equal(switch_lookup(&sw, a), -1);
    assert_int_equal(send(1, a, b, 60, 1), 2);
}

/* Several senders at once (as VMs on different harts): every frame is
 * delivered exactly once to the one port that learned its destination. */
#define THREADS 4
#define PER_THREAD 20000

static void *sender(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    uint8_t buf[64], peer[6];
    mac_of(peer, (me + 1) % THREADS);
    for (unsigned i = 0; i < PER_THREAD; i++) {
        memcpy(buf, peer, 6);
        mac_of(buf + 6, me);
        memset(buf + 12, (int)me, sizeof(buf) - 12);
        struct io_seg seg = {(uintptr_t)buf, sizeof(buf)};
        if (switch_send(&sw, port[me], &seg, 1, sizeof(buf)) != 1)
            return (void *)1;
    }
    return NULL;
}

static bool counting_deliver(struct switch_port *p, const struct io_seg *seg, unsigned nseg,
                             uint32_t len)
{
    (void)seg;
    (void)nseg;
    (void)len;
    __atomic_fetch_add(&((struct sink *)p->ctx)->frames, 1, __ATOMIC_RELAXED);
    return true;
}

static void concurrent_senders(void **state)
{
    (void)state;
    memset(sinks, 0, sizeof(sinks));
    switch_init(&sw, 5, 6);
    for (unsigned i = 0; i < THREADS; i++) {
        uint8_t mac[6];
        mac_of(mac, i);
        assert_int_equal(switch_attach(&sw, "t", mac, SWITCH_VM_QUOTA, counting_deliver,
                                       &sinks[i], &port[i]), 0);
    }
    pthread_t t[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, sender, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        assert_int_equal(sinks[i].frames, PER_THREAD);
        assert_int_equal(switch_port_counters(port[i]).in, PER_THREAD);
        assert_int_equal(switch_port_counters(port[i]).out, PER_THREAD);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_unicast_floods_then_learned_goes_to_one_port),
        cmocka_unit_test(broadcast_and_multicast_go_everywhere_but_home),
        cmocka_unit_test(never_back_to_the_source_port),
        cmocka_unit_test(moved_address_is_relearned),
        cmocka_unit_test(full_port_drops_and_counts_without_blocking),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(frames_gathered_from_segments),
        cmocka_unit_test(group_source_is_dropped),
        cmocka_unit_test(fixed_address_cannot_be_spoofed),
        cmocka_unit_test(attach_refuses_what_it_cannot_honour),
        cmocka_unit_test(a_port_learns_at_most_its_quota),
        cmocka_unit_test(full_buckets_replace_their_oldest),
        cmocka_unit_test(forget_floods_again),
        cmocka_unit_test(concurrent_senders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
