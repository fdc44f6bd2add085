/* Fuzzes lodger's switch (src/io/switch.c) with frames any VM could send:
 * any length (0 to past the largest), any addresses (a small alphabet, so
 * that addresses repeat, move between ports and fill buckets), from any
 * port, ports that are full, and ports forgetting what they learned. Its
 * promises: a frame is never delivered back to its port, nor delivered
 * unless 14..1514 bytes long with an individual source; a unicast to a
 * known address reaches one port at most; each port's learned entries stay
 * within its quota and match the table; a port's fixed address never moves. */
#include "fuzz.h"
#include "io/switch.h"

#define PORTS 6

static struct net_switch sw;
static struct switch_port *port[PORTS];
static bool full[PORTS];
static unsigned delivered[PORTS];

static bool deliver(struct switch_port *p, const struct io_seg *seg, unsigned nseg, uint32_t len)
{
    uint8_t head[14];
    FUZZ_CHECK(len >= ETH_HEADER_LEN && len <= SWITCH_FRAME_MAX);
    FUZZ_CHECK(io_seg_copy_out(seg, nseg, 0, head, sizeof(head)));
    unsigned i = p->index;
    if (full[i])
        return false;
    delivered[i]++;
    return true;
}

static void mac_from(uint8_t *mac, uint8_t v)
{
    static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x4c, 0x44, 0};
    memcpy(mac, base, 6);
    mac[5] = v & 0x3f;
    if (v & 0x40)
        mac[0] |= 1;            /* a group address */
    if (v == 0xff)
        memset(mac, 0xff, 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    switch_init(&sw, fuzz_u64(&in), fuzz_u64(&in));
    for (unsigned i = 0; i < PORTS; i++) {
        uint8_t mac[6];
        mac_from(mac, (uint8_t)i);
        /* Ports 0..2 have fixed addresses, the others none; quotas small. */
        FUZZ_CHECK(switch_attach(&sw, "p", i < 3 ? mac : NULL, 1 + i * 3, deliver, NULL,
                                 &port[i]) == SWITCH_ATTACH_OK);
        full[i] = false;
    }
    static uint8_t frame[SWITCH_FRAME_MAX + 64];
    while (in.size) {
        uint8_t op = fuzz_u8(&in);
        unsigned from = fuzz_u8(&in) % PORTS;
        if ((op & 7) == 0) {
            full[from] = !full[from];
            continue;
        }
        if ((op & 7) == 1) {
            switch_port_forget(&sw, port[from]);
            continue;
        }
        uint32_t len = (op & 0x80) ? fuzz_u16(&in) % (sizeof(frame) + 1) : 14 + fuzz_u8(&in);
        uint8_t dst = fuzz_u8(&in), src = fuzz_u8(&in);
        memset(frame, op, sizeof(frame));
        mac_from(frame, dst);
        mac_from(frame + 6, src);
        unsigned before[PORTS];
        memcpy(before, delivered, sizeof(before));
        /* Split in two segments at a fuzzed point. */
        uint32_t cut = len ? fuzz_u16(&in) % (len + 1) : 0;
        struct io_seg seg[2] = {{(uintptr_t)frame, cut}, {(uintptr_t)frame + cut, len - cut}};
        bool known_unicast = !(frame[0] & 1) && switch_lookup(&sw, frame) >= 0;
        unsigned n = switch_send(&sw, port[from], seg, 2, len);
        FUZZ_CHECK(delivered[from] == before[from]);
        unsigned total = 0;
        for (unsigned i = 0; i < PORTS; i++)
            total += delivered[i] - before[i];
        FUZZ_CHECK(total == n);
        bool good = len >= ETH_HEADER_LEN && len <= SWITCH_FRAME_MAX && !(frame[6] & 1);
        if (!good)
            FUZZ_CHECK(n == 0);
        if (known_unicast) {
            /* Learning the source may not make a known destination flood. */
            int at = switch_lookup(&sw, frame);
            if (at >= 0)
                FUZZ_CHECK(n <= 1);
        }
        for (unsigned i = 0; i < PORTS; i++) {
            FUZZ_CHECK(port[i]->learned <= port[i]->quota);
            unsigned count = 0;
            for (unsigned b = 0; b < SWITCH_BUCKETS; b++)
                for (unsigned w = 0; w < SWITCH_WAYS; w++)
                    count += sw.table[b][w].kind == SWITCH_LEARNED && sw.table[b][w].port == i;
            FUZZ_CHECK(count == port[i]->learned);
            if (i < 3)
                FUZZ_CHECK(switch_lookup(&sw, port[i]->mac) == (int)i);
        }
    }
    return 0;
}
