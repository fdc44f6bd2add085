/* A bare-metal driver of a virtio-net card (virtio 1.x over virtio-mmio,
 * split virtqueues; virtio spec 4.2 and 5.1) that checks the frames it
 * exchanges. Its command line says what it does (net.role=):
 *
 *   arp   (default; natively and under lodger alike, tools/lodger-run
 *         --net): asks QEMU's user network who has 10.0.2.2 and checks the
 *         reply (52:55:0a:00:02:02). Under lodger the question and the
 *         answer go through lodger's switch and the board's card.
 *   ping  / pong: two VMs of one lodger, each with a card on its switch
 *         (tests/run-tests.py net). ping broadcasts "hello" until pong
 *         answers (unicast, to the address ping's frame came from); then it
 *         sends NET_ROUNDS frames of growing sizes (60 to 1514 bytes, and
 *         one too long, 1515, that the switch must drop), each unicast with
 *         a sequence number and a pattern; pong checks each and sends it
 *         back with the pattern inverted; ping checks the echo. Then "bye".
 *   breaker  as pong, after breaking its card twice (a transmit buffer
 *         outside its RAM, a receive chain that loops): each must set
 *         DEVICE_NEEDS_RESET with a configuration interrupt, and after a
 *         reset the card works again; ping, the other VM, must not notice.
 *
 * vm.tag=NAME prefixes each line ("[NAME] ", one console write a line, so
 * VMs' lines stay whole). Nothing it prints depends on which card it has
 * (natively QEMU's, under lodger lodger's): no MAC address is printed in arp
 * mode; ping and pong print their own, which the runner checks against the
 * configuration. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "../lib/guest.h"
#include "../shared/tagged.h"

/* virtio-mmio registers (virtio spec 4.2.2), version 2 (non-legacy). */
#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080
#define MMIO_QUEUE_DRIVER 0x090
#define MMIO_QUEUE_DEVICE 0x0a0
#define MMIO_CONFIG 0x100

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8

#define NET_F_MAC (1ull << 5)
#define NET_F_STATUS (1ull << 16)
#define F_VERSION_1 (1ull << 32)
#define NET_S_LINK_UP 1

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

/* QEMU virt's virtio-mmio slots; lodger puts its cards at the same places. */
#define SLOT_BASE 0x10001000UL
#define SLOT_SIZE 0x1000UL
#define SLOTS 8

#define QSIZE 16
#define HDR 12                      /* struct virtio_net_hdr with VERSION_1 (5.1.6) */
#define FRAME_MAX 1514
#define BUF (HDR + FRAME_MAX)       /* 1526: what 5.1.6.3 asks of each receive buffer */
#define ETHERTYPE 0x88b5            /* IEEE 802 local experimental */
#define NET_ROUNDS 64

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct queue {
    struct desc desc[QSIZE];
    struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail;
    uint8_t pad[4096 - QSIZE * 16 - 6 - 2 * QSIZE];
    struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; } used;
} __attribute__((aligned(4096)));

static struct queue rxq, txq;
static uint8_t rxbuf[QSIZE][BUF] __attribute__((aligned(64)));
static uint8_t txbuf[2][BUF] __attribute__((aligned(64)));
static uint16_t rx_seen, tx_seen;
static unsigned long base;
static uint8_t mac[6];
#define NCHECK(cond) do { if (!(cond)) { say("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
                                         failures++; } } while (0)

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(base + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(base + off) = v; }

static uint64_t now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}
#define TICKS_PER_MS 10000ull       /* QEMU virt's timebase, 10 MHz */

/* The slot with a network card: its magic read through the trap handler,
 * which skips a load that faults (an empty slot under lodger). */
static unsigned long find_card(void)
{
    for (int i = SLOTS - 1; i >= 0; i--) {
        unsigned long b = SLOT_BASE + SLOT_SIZE * (unsigned long)i;
        int before = last_trap.count;
        trap_skip = 1;
        uint32_t magic = 0, id = 0;
        magic = *(volatile uint32_t *)b;
        if (last_trap.count != before || magic != 0x74726976)
            continue;
        id = *(volatile uint32_t *)(b + MMIO_DEVICE_ID);
        if (id == 1)
            return b;
    }
    return 0;
}

static void set_queue(unsigned q, struct queue *vq)
{
    wr(MMIO_QUEUE_SEL, q);
    NCHECK(rd(MMIO_QUEUE_READY) == 0);
    NCHECK(rd(MMIO_QUEUE_NUM_MAX) >= QSIZE);
    wr(MMIO_QUEUE_NUM, QSIZE);
    uint64_t d = (uintptr_t)vq->desc, a = (uintptr_t)&vq->avail, u = (uintptr_t)&vq->used;
    wr(MMIO_QUEUE_DESC, (uint32_t)d);
    wr(MMIO_QUEUE_DESC + 4, (uint32_t)(d >> 32));
    wr(MMIO_QUEUE_DRIVER, (uint32_t)a);
    wr(MMIO_QUEUE_DRIVER + 4, (uint32_t)(a >> 32));
    wr(MMIO_QUEUE_DEVICE, (uint32_t)u);
    wr(MMIO_QUEUE_DEVICE + 4, (uint32_t)(u >> 32));
    wr(MMIO_QUEUE_READY, 1);
}

/* Receive buffers start at the odd descriptor slots. Half of them are one
 * descriptor; the other half two (the header and a little of the frame,
 * then the rest in the even slot below), so the device's scatter is used. */
static bool loop_next_rx;      /* breaker: the next buffer given is a chain that loops */

static void give_rx(unsigned head)
{
    if (loop_next_rx) {
        loop_next_rx = false;
        rxq.desc[head] = (struct desc){(uintptr_t)rxbuf[head], HDR, DESC_F_WRITE | DESC_F_NEXT,
                                       (uint16_t)(head - 1)};
        rxq.desc[head - 1] = (struct desc){(uintptr_t)rxbuf[head] + HDR, 100,
                                           DESC_F_WRITE | DESC_F_NEXT, (uint16_t)head};
    } else if ((head / 2) % 2 == 0) {
        rxq.desc[head] = (struct desc){(uintptr_t)rxbuf[head], BUF, DESC_F_WRITE, 0};
    } else {
        rxq.desc[head] = (struct desc){(uintptr_t)rxbuf[head], HDR + 20, DESC_F_WRITE | DESC_F_NEXT,
                                       (uint16_t)(head - 1)};
        rxq.desc[head - 1] = (struct desc){(uintptr_t)rxbuf[head] + HDR + 20, BUF - HDR - 20,
                                           DESC_F_WRITE, 0};
    }
    rxq.avail.ring[rxq.avail.idx % QSIZE] = (uint16_t)head;
    __asm__ volatile("fence w, w" ::: "memory");
    rxq.avail.idx++;
    __asm__ volatile("fence w, w" ::: "memory");
    wr(MMIO_QUEUE_NOTIFY, 0);
}

static bool init_card(void)
{
    memset(&rxq, 0, sizeof(rxq));
    memset(&txq, 0, sizeof(txq));
    rx_seen = tx_seen = 0;
    base = find_card();
    if (!base) {
        say("case card: no virtio-net card\n");
        return false;
    }
    NCHECK(rd(MMIO_VERSION) == 2);
    wr(MMIO_STATUS, 0);                         /* 3.1.1: reset, then the steps in order */
    NCHECK(rd(MMIO_STATUS) == 0);
    wr(MMIO_STATUS, STATUS_ACKNOWLEDGE);
    wr(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    wr(MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t f = rd(MMIO_DEVICE_FEATURES);
    wr(MMIO_DEVICE_FEATURES_SEL, 1);
    f |= (uint64_t)rd(MMIO_DEVICE_FEATURES) << 32;
    uint64_t want = F_VERSION_1 | NET_F_MAC | NET_F_STATUS;
    say("case features: version_1 %d mac %d status %d\n", !!(f & F_VERSION_1), !!(f & NET_F_MAC),
        !!(f & NET_F_STATUS));
    NCHECK((f & want) == want);
    wr(MMIO_DRIVER_FEATURES_SEL, 0);
    wr(MMIO_DRIVER_FEATURES, (uint32_t)(f & want));
    wr(MMIO_DRIVER_FEATURES_SEL, 1);
    wr(MMIO_DRIVER_FEATURES, (uint32_t)((f & want) >> 32));
    wr(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    NCHECK(rd(MMIO_STATUS) & STATUS_FEATURES_OK);
    for (int i = 0; i < 6; i++)
        mac[i] = *(volatile uint8_t *)(base + MMIO_CONFIG + (unsigned)i);
    uint16_t status = *(volatile uint16_t *)(base + MMIO_CONFIG + 6);
    bool individual = !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
    say("case config: mac individual %d, link up %d\n", individual, status & NET_S_LINK_UP);
    NCHECK(individual && (status & NET_S_LINK_UP));
    set_queue(0, &rxq);
    set_queue(1, &txq);
    wr(MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    for (unsigned i = 1; i < QSIZE; i += 2)
        give_rx(i);
    return failures == 0;
}

/* Sends a frame: the header in one descriptor, the frame in a second. */
static void send(const uint8_t *frame, unsigned len)
{
    unsigned slot = txq.avail.idx % 2;
    memset(txbuf[slot], 0, HDR);
    memcpy(txbuf[slot] + HDR, frame, len);
    unsigned d = slot * 2;
    txq.desc[d] = (struct desc){(uintptr_t)txbuf[slot], HDR, DESC_F_NEXT, (uint16_t)(d + 1)};
    txq.desc[d + 1] = (struct desc){(uintptr_t)txbuf[slot] + HDR, len, 0, 0};
    txq.avail.ring[txq.avail.idx % QSIZE] = (uint16_t)d;
    __asm__ volatile("fence w, w" ::: "memory");
    txq.avail.idx++;
    __asm__ volatile("fence w, w" ::: "memory");
    wr(MMIO_QUEUE_NOTIFY, 1);
    uint64_t end = now() + 1000 * TICKS_PER_MS;
    while (*(volatile uint16_t *)&txq.used.idx != (uint16_t)(tx_seen + 1) && now() < end)
        ;
    NCHECK(*(volatile uint16_t *)&txq.used.idx == (uint16_t)(tx_seen + 1));
    tx_seen = *(volatile uint16_t *)&txq.used.idx;
}

/* The next frame received within ms (its length; 0: none), copied to out. */
static unsigned receive(uint8_t *out, unsigned ms)
{
    uint64_t end = now() + ms * TICKS_PER_MS;
    while (*(volatile uint16_t *)&rxq.used.idx == rx_seen)
        if (now() > end)
            return 0;
    __asm__ volatile("fence r, r" ::: "memory");
    unsigned id = rxq.used.ring[rx_seen % QSIZE].id, len = rxq.used.ring[rx_seen % QSIZE].len;
    rx_seen++;
    NCHECK(id < QSIZE && id % 2 == 1);
    NCHECK(len >= HDR + 14 && len <= BUF);
    if (id >= QSIZE || len < HDR + 14 || len > BUF)
        return 0;
    const uint8_t *b = rxbuf[id];
    /* 5.1.6.4: flags 0 and gso_type NONE without GUEST_CSUM and GUEST_*;
     * num_buffers 1 without MRG_RXBUF. QEMU 7.2 (natively) leaves
     * num_buffers 0 there (it writes it only with MRG_RXBUF), so 0 is
     * allowed too; lodger writes 1. */
    NCHECK(b[0] == 0 && b[1] == 0 && b[10] <= 1 && b[11] == 0);
    memcpy(out, b + HDR, len - HDR);
    give_rx(id);
    return len - HDR;
}

static void eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, mac, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
}

static const uint8_t BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint8_t frame[2048], in[2048];

static void arp(void)
{
    static const uint8_t guest_ip[4] = {10, 0, 2, 15}, host_ip[4] = {10, 0, 2, 2};
    memset(frame, 0, 60);
    eth(frame, BROADCAST, 0x0806);
    static const uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};   /* Ethernet, IPv4, request */
    memcpy(frame + 14, head, 8);
    memcpy(frame + 22, mac, 6);
    memcpy(frame + 28, guest_ip, 4);
    memcpy(frame + 38, host_ip, 4);
    bool got = false;
    for (int tries = 0; tries < 50 && !got; tries++) {
        send(frame, 60);
        unsigned len;
        while (!got && (len = receive(in, 100)) != 0)
            got = len >= 42 && in[12] == 0x08 && in[13] == 0x06 && in[21] == 2 &&
                  !memcmp(in + 28, host_ip, 4) && !memcmp(in, mac, 6);
    }
    say("case arp: reply %d from %02x:%02x:%02x:%02x:%02x:%02x for %d.%d.%d.%d\n", got, in[22],
        in[23], in[24], in[25], in[26], in[27], in[28], in[29], in[30], in[31]);
    NCHECK(got);
    uint32_t isr = rd(MMIO_INTERRUPT_STATUS);
    say("case interrupt: used buffer %d\n", isr & 1);
    NCHECK(isr & 1);
    wr(MMIO_INTERRUPT_ACK, isr);
}

/* Frame `seq` of the exchange: its length and its byte at i. */
static unsigned length_of(unsigned seq) { return 60 + (seq * 1454) / (NET_ROUNDS - 1); }
static uint8_t frame_byte(unsigned seq, unsigned i) { return (uint8_t)(seq * 31 + i * 7 + (i >> 8)); }

static void fill(uint8_t *f, const uint8_t *dst, unsigned seq, unsigned len, bool inverted)
{
    eth(f, dst, ETHERTYPE);
    f[14] = 'D';
    f[15] = (uint8_t)seq;
    for (unsigned i = 16; i < len; i++)
        f[i] = frame_byte(seq, i) ^ (inverted ? 0xff : 0);
}

static bool holds(const uint8_t *f, unsigned len, unsigned seq, unsigned want_len, bool inverted)
{
    if (len != want_len || f[12] != ETHERTYPE >> 8 || f[13] != (ETHERTYPE & 0xff) || f[14] != 'D' ||
        f[15] != (uint8_t)seq || memcmp(f, mac, 6))
        return false;
    for (unsigned i = 16; i < len; i++)
        if (f[i] != (uint8_t)(frame_byte(seq, i) ^ (inverted ? 0xff : 0)))
            return false;
    return true;
}

static bool is_ours(const uint8_t *f, unsigned len, char kind)
{
    return len >= 16 && f[12] == ETHERTYPE >> 8 && f[13] == (ETHERTYPE & 0xff) && f[14] == kind;
}

static void ping(void)
{
    uint8_t peer[6];
    bool hello = false;
    unsigned len = 0;
    for (int tries = 0; tries < 600 && !hello; tries++) {      /* pong may boot later: 60 s */
        memset(frame, 0, 60);
        eth(frame, BROADCAST, ETHERTYPE);
        frame[14] = 'H';
        send(frame, 60);
        while (!hello && (len = receive(in, 100)) != 0)
            hello = is_ours(in, len, 'A') && !memcmp(in, mac, 6);
    }
    say("case hello: answered %d\n", hello);
    NCHECK(hello);
    if (!hello)
        return;
    memcpy(peer, in + 6, 6);
    say("peer %02x:%02x:%02x:%02x:%02x:%02x\n", peer[0], peer[1], peer[2], peer[3], peer[4], peer[5]);
    unsigned good = 0;
    for (unsigned seq = 0; seq < NET_ROUNDS; seq++) {
        if (seq == NET_ROUNDS / 2) {        /* one byte too long: the switch drops it */
            fill(frame, peer, 0xee, FRAME_MAX + 1, false);
            send(frame, FRAME_MAX + 1);
        }
        unsigned want = length_of(seq);
        fill(frame, peer, seq, want, false);
        send(frame, want);
        bool echoed = false;
        while (!echoed && (len = receive(in, 2000)) != 0)
            echoed = holds(in, len, seq, want, true);
        good += echoed;
        if (!echoed) {
            say("FAIL: frame %u (%u bytes) not echoed\n", seq, want);
            failures++;
            break;
        }
    }
    say("case exchange: %u of %u frames echoed, contents checked\n", good, NET_ROUNDS);
    memset(frame, 0, 60);
    eth(frame, peer, ETHERTYPE);
    frame[14] = 'B';
    send(frame, 60);
}

/* Breaks the card twice the ways virtio 2.7 forbids, each noticed by the
 * device (DEVICE_NEEDS_RESET, 2.1.2, and a configuration change interrupt),
 * then resets and sets it up again: a transmit buffer outside the VM's RAM,
 * then a receive chain that loops (taken when ping's hello arrives). */
static bool needs_reset_within(unsigned ms)
{
    uint64_t end = now() + ms * TICKS_PER_MS;
    while (!(rd(MMIO_STATUS) & 64) && now() < end)
        ;
    bool broken = rd(MMIO_STATUS) & 64;
    uint32_t isr = rd(MMIO_INTERRUPT_STATUS);
    wr(MMIO_INTERRUPT_ACK, isr);
    return broken && (isr & 2);
}

static void breaker(void)
{
    unsigned d = 0;
    txq.desc[d] = (struct desc){(uintptr_t)txbuf[0], HDR, DESC_F_NEXT, 1};
    txq.desc[1] = (struct desc){0x1000, 60, 0, 0};          /* below RAM (0x80000000) */
    txq.avail.ring[txq.avail.idx % QSIZE] = (uint16_t)d;
    __asm__ volatile("fence w, w" ::: "memory");
    txq.avail.idx++;
    __asm__ volatile("fence w, w" ::: "memory");
    wr(MMIO_QUEUE_NOTIFY, 1);
    bool broken = needs_reset_within(2000);
    say("case tx_outside_ram: needs reset %d\n", broken);
    NCHECK(broken);
    loop_next_rx = true;
    NCHECK(init_card());
    broken = needs_reset_within(30000);
    say("case rx_loop: needs reset %d\n", broken);
    NCHECK(broken);
    NCHECK(init_card());
}

static void pong(void)
{
    uint8_t peer[6];
    unsigned len = 0;
    bool hello = false;
    for (int tries = 0; tries < 600 && !hello; tries++)         /* 60 s */
        while (!hello && (len = receive(in, 100)) != 0)
            hello = is_ours(in, len, 'H') && !memcmp(in, BROADCAST, 6);
    say("case hello: heard %d\n", hello);
    NCHECK(hello);
    if (!hello)
        return;
    memcpy(peer, in + 6, 6);
    say("peer %02x:%02x:%02x:%02x:%02x:%02x\n", peer[0], peer[1], peer[2], peer[3], peer[4], peer[5]);
    memset(frame, 0, 60);
    eth(frame, peer, ETHERTYPE);
    frame[14] = 'A';
    send(frame, 60);
    unsigned seq = 0, extra_hellos = 0;
    bool bye = false;
    while (!bye && (len = receive(in, 5000)) != 0) {
        if (is_ours(in, len, 'H')) {        /* ping's hellos sent before our answer came */
            extra_hellos++;
            send(frame, 60);
            continue;
        }
        if (is_ours(in, len, 'B')) {
            bye = true;
            break;
        }
        unsigned want = length_of(seq);
        if (!holds(in, len, seq, want, false)) {
            say("FAIL: frame %u: %u bytes, want %u, or wrong contents\n", seq, len, want);
            failures++;
            break;
        }
        fill(frame, peer, seq, want, true);
        send(frame, want);
        seq++;
    }
    say("case exchange: %u frames checked and echoed, bye %d\n", seq, bye);
    NCHECK(bye && seq == NET_ROUNDS);
}

int guest_main(void)
{
    char role[8];
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    guest_arg("net.role=", role, sizeof(role), "arp");
    say("=== begin: net_link %s ===\n", role);
    if (init_card()) {
        if (strcmp(role, "arp"))
            say("mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        if (!strcmp(role, "ping"))
            ping();
        else if (!strcmp(role, "pong"))
            pong();
        else if (!strcmp(role, "breaker")) {
            breaker();
            pong();
        }
        else
            arp();
    }
    if (tag[0]) {       /* guest_exit prints its end line untagged */
        say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
        sbi_call(0x53525354, 0, 0, failures ? 1 : 0, 0, 0);
    }
    return failures;
}
