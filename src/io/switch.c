/* lodger's learning Ethernet switch (io/switch.h says what it does and why). */
#include <string.h>
#include "io/switch.h"

static bool is_group(const uint8_t *mac)
{
    return mac[0] & 1;      /* IEEE 802: the I/G bit, first bit on the wire */
}

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, ETH_ADDR_LEN) == 0;
}

static void count(uint64_t *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* A keyed mix of the address: a guest cannot choose addresses that fall in
 * one bucket without knowing the seed. */
static unsigned bucket_of(const struct net_switch *sw, const uint8_t *mac)
{
    uint64_t x = 0;
    for (int i = 0; i < ETH_ADDR_LEN; i++)
        x = x << 8 | mac[i];
    x ^= sw->seed[0];
    x *= 0x9e3779b97f4a7c15ull;
    x ^= x >> 31;
    x *= sw->seed[1] | 1;
    x ^= x >> 29;
    return (unsigned)(x >> 58) % SWITCH_BUCKETS;
}

static struct switch_entry *find(struct net_switch *sw, const uint8_t *mac)
{
    struct switch_entry *b = sw->table[bucket_of(sw, mac)];
    for (int w = 0; w < SWITCH_WAYS; w++)
        if (b[w].kind != SWITCH_FREE && mac_equal(b[w].mac, mac))
            return &b[w];
    return NULL;
}

static void free_entry(struct net_switch *sw, struct switch_entry *e)
{
    if (e->kind == SWITCH_LEARNED)
        sw->port[e->port].learned--;
    e->kind = SWITCH_FREE;
}

/* The port is at its quota: give up its least recently seen entry. */
static void drop_oldest_of(struct net_switch *sw, unsigned port)
{
    struct switch_entry *oldest = NULL;
    for (unsigned b = 0; b < SWITCH_BUCKETS; b++)
        for (int w = 0; w < SWITCH_WAYS; w++) {
            struct switch_entry *e = &sw->table[b][w];
            if (e->kind == SWITCH_LEARNED && e->port == port && (!oldest || e->seen < oldest->seen))
                oldest = e;
        }
    if (oldest) {
        free_entry(sw, oldest);
        sw->replaced++;
    }
}

/* Where a new address goes: a free way, else the bucket's least recently
 * seen learned entry (NULL: the bucket holds only static entries). */
static struct switch_entry *room_in(struct net_switch *sw, const uint8_t *mac)
{
    struct switch_entry *b = sw->table[bucket_of(sw, mac)], *oldest = NULL;
    for (int w = 0; w < SWITCH_WAYS; w++) {
        if (b[w].kind == SWITCH_FREE)
            return &b[w];
        if (b[w].kind == SWITCH_LEARNED && (!oldest || b[w].seen < oldest->seen))
            oldest = &b[w];
    }
    if (oldest) {
        free_entry(sw, oldest);
        sw->replaced++;
    }
    return oldest;
}

/* With the lock held: the source address was seen on port p. */
static void learn(struct net_switch *sw, struct switch_port *p, const uint8_t *mac,
                  struct switch_entry *e)
{
    uint64_t now = ++sw->clock;
    if (e && e->port == p->index) {
        e->seen = now;
        return;
    }
    if (e) {                    /* a learned address moved: relearn it here */
        free_entry(sw, e);
        sw->moves++;
    }
    if (p->learned >= p->quota)
        drop_oldest_of(sw, p->index);
    if (p->learned >= p->quota)     /* quota 0: this port learns nothing */
        return;
    e = room_in(sw, mac);
    if (!e)
        return;
    memcpy(e->mac, mac, ETH_ADDR_LEN);
    e->port = (uint8_t)p->index;
    e->kind = SWITCH_LEARNED;
    e->seen = now;
    p->learned++;
}

void switch_init(struct net_switch *sw, uint64_t seed0, uint64_t seed1)
{
    memset(sw, 0, sizeof(*sw));
    sw->seed[0] = seed0;
    sw->seed[1] = seed1;
}

enum switch_attach_error switch_attach(struct net_switch *sw, const char *name,
                                       const uint8_t *mac, unsigned quota,
                                       switch_deliver_fn deliver, void *ctx,
                                       struct switch_port **out)
{
    if (sw->port_count == SWITCH_MAX_PORTS)
        return SWITCH_ATTACH_FULL;
    struct switch_entry *e = NULL;
    if (mac) {
        if (is_group(mac))
            return SWITCH_ATTACH_BAD_MAC;
        spin_lock(&sw->lock);
        struct switch_entry *old = find(sw, mac);
        if (old && old->kind == SWITCH_STATIC) {
            spin_unlock(&sw->lock);
            return SWITCH_ATTACH_MAC_TAKEN;
        }
        if (old)
            free_entry(sw, old);
        e = room_in(sw, mac);
        if (!e) {
            spin_unlock(&sw->lock);
            return SWITCH_ATTACH_NO_ROOM;
        }
        memcpy(e->mac, mac, ETH_ADDR_LEN);
        e->port = (uint8_t)sw->port_count;
        e->kind = SWITCH_STATIC;
        e->seen = ++sw->clock;
        spin_unlock(&sw->lock);
    }
    struct switch_port *p = &sw->port[sw->port_count];
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; name && name[i] && i + 1 < sizeof(p->name); i++)
        p->name[i] = name[i];
    p->index = sw->port_count;
    p->quota = quota;
    p->has_mac = mac != NULL;
    if (mac)
        memcpy(p->mac, mac, ETH_ADDR_LEN);
    p->deliver = deliver;
    p->ctx = ctx;
    /* Published after the port is whole: a sender on another hart reads
     * port_count without the lock. */
    __atomic_store_n(&sw->port_count, sw->port_count + 1, __ATOMIC_RELEASE);
    if (out)
        *out = p;
    return SWITCH_ATTACH_OK;
}

const char *switch_attach_error_string(enum switch_attach_error e)
{
    switch (e) {
    case SWITCH_ATTACH_OK: return "ok";
    case SWITCH_ATTACH_FULL: return "the switch has no free port";
    case SWITCH_ATTACH_BAD_MAC: return "a multicast address cannot be a card's";
    case SWITCH_ATTACH_MAC_TAKEN: return "another network card has this MAC address";
    case SWITCH_ATTACH_NO_ROOM: return "the switch's table has no room for this MAC address";
    }
    return "?";
}

bool io_seg_copy_out(const struct io_seg *seg, unsigned nseg, uint32_t offset, void *out,
                     uint32_t len)
{
    uint8_t *dst = out;
    for (unsigned i = 0; i < nseg && len; i++) {
        if (offset >= seg[i].len) {
            offset -= seg[i].len;
            continue;
        }
        uint32_t n = seg[i].len - offset;
        if (n > len)
            n = len;
        memcpy(dst, (const uint8_t *)(uintptr_t)seg[i].pa + offset, n);
        dst += n;
        len -= n;
        offset = 0;
    }
    return len == 0;
}

static unsigned hand_to(struct switch_port *to, const struct io_seg *seg, unsigned nseg,
                        uint32_t len)
{
    if (!to->deliver || !to->deliver(to, seg, nseg, len)) {
        count(&to->count.out_full);
        return 0;
    }
    count(&to->count.out);
    return 1;
}

unsigned switch_send(struct net_switch *sw, struct switch_port *from, const struct io_seg *seg,
                     unsigned nseg, uint32_t len)
{
    uint8_t addr[2 * ETH_ADDR_LEN];     /* destination, source */
    count(&from->count.in);
    if (len < ETH_HEADER_LEN || len > SWITCH_FRAME_MAX || !io_seg_copy_out(seg, nseg, 0, addr, sizeof(addr))
        || is_group(addr + ETH_ADDR_LEN)) {
        count(&from->count.in_bad);
        return 0;
    }
    const uint8_t *dst = addr, *src = addr + ETH_ADDR_LEN;
    int to = -1;                        /* -1: every port but `from` */

    spin_lock(&sw->lock);
    struct switch_entry *e = find(sw, src);
    if (e && e->kind == SWITCH_STATIC && e->port != from->index) {
        spin_unlock(&sw->lock);
        count(&from->count.in_spoofed);
        return 0;
    }
    learn(sw, from, src, e);
    if (!is_group(dst)) {
        e = find(sw, dst);
        if (e)
            to = e->port;
    }
    spin_unlock(&sw->lock);

    if (to == (int)from->index)         /* its destination is on its own side: filtered */
        return 0;
    if (to >= 0)
        return hand_to(&sw->port[to], seg, nseg, len);
    count(&from->count.flooded);
    unsigned n = 0, ports = __atomic_load_n(&sw->port_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < ports; i++)
        if (i != from->index)
            n += hand_to(&sw->port[i], seg, nseg, len);
    return n;
}

void switch_port_forget(struct net_switch *sw, struct switch_port *p)
{
    spin_lock(&sw->lock);
    for (unsigned b = 0; b < SWITCH_BUCKETS; b++)
        for (int w = 0; w < SWITCH_WAYS; w++) {
            struct switch_entry *e = &sw->table[b][w];
            if (e->kind == SWITCH_LEARNED && e->port == p->index)
                free_entry(sw, e);
        }
    spin_unlock(&sw->lock);
}

int switch_lookup(struct net_switch *sw, const uint8_t *mac)
{
    spin_lock(&sw->lock);
    struct switch_entry *e = find(sw, mac);
    int port = e ? e->port : -1;
    spin_unlock(&sw->lock);
    return port;
}

struct switch_counters switch_port_counters(const struct switch_port *p)
{
    struct switch_counters c;
    c.in = __atomic_load_n(&p->count.in, __ATOMIC_RELAXED);
    c.out = __atomic_load_n(&p->count.out, __ATOMIC_RELAXED);
    c.out_full = __atomic_load_n(&p->count.out_full, __ATOMIC_RELAXED);
    c.in_bad = __atomic_load_n(&p->count.in_bad, __ATOMIC_RELAXED);
    c.in_spoofed = __atomic_load_n(&p->count.in_spoofed, __ATOMIC_RELAXED);
    c.flooded = __atomic_load_n(&p->count.flooded, __ATOMIC_RELAXED);
    return c;
}
