/* A hostile virtio-blk driver (issue 14): it hands its disk device every
 * malformed queue and request a driver MUST NOT make and checks the answer
 * the virtio spec (1.x) prescribes or, where it prescribes none, the one
 * lodger documents (docs/ARCHITECTURE.md, "The virtio path"):
 *
 *  - a queue set up wrong (size not a power of 2 or above QueueNumMax,
 *    rings unaligned, outside RAM, in a device page) or a ring or chain the
 *    driver broke (2.7: avail.idx moved by more than the queue size, a head
 *    or next index past the table, a loop, nested, chained, empty or
 *    unnegotiated indirect tables, a readable buffer after a writable one,
 *    a buffer outside RAM, straddling its end or wrapping past 2^64) or a
 *    request without header or status byte: DEVICE_NEEDS_RESET, with a
 *    configuration change interrupt once DRIVER_OK is set (2.1.2), no
 *    buffer used; after a reset (status 0) the device works again;
 *  - a request the device can refuse (5.2.6): past the capacity or of part
 *    of a sector: IOERR; an unknown type: UNSUPP.
 *
 * Natively the device is QEMU's virtio-blk. Where QEMU departs from the spec
 * (it checks neither the queue size's power of 2 nor QueueNumMax, nor the
 * rings' alignment, and serves indirect descriptors it did not negotiate
 * or that also carry NEXT), the case names the departure and prints the
 * same verdict both ways; the departure is allowed only from a device whose
 * VendorID is QEMU's. tests/run-tests.py (step "disk") runs it natively and
 * under lodger beside a victim VM (vm_victim), which must not notice. */
#include <stdio.h>
#include <string.h>
#include "../lib/guest.h"
#include "../shared/vblk.h"

#define RAM_END 0x84000000UL            /* 64 MiB (run-options) */

enum outcome { O_NEEDS_RESET, O_OK, O_IOERR, O_UNSUPP, O_NOTHING, O_OTHER };
static const char *const outcome_names[] = { "needs reset", "OK", "IOERR", "UNSUPP",
                                             "nothing", "another status" };

static uint8_t data[4096] __attribute__((aligned(4096)));
static uint8_t table[4][4096] __attribute__((aligned(4096)));   /* indirect tables and more */
static bool qemu;

/* Offers head, then waits for it to be used or the device to need reset. */
static enum outcome outcome_of(uint16_t head)
{
    vb_status_byte = 0xee;
    vb_offer(head);
    unsigned long until = vb_now() + 20000000UL;
    do {
        vb_fence();
        if (vb_used_at[1] != vb_used_seen) {
            vb_used_seen++;
            vb_wr(VB_INTERRUPT_ACK, vb_rd(VB_INTERRUPT_STATUS));
            switch (vb_status_byte) {
            case 0: return O_OK;
            case 1: return O_IOERR;
            case 2: return O_UNSUPP;
            default: return O_OTHER;
            }
        }
        if (vb_rd(VB_STATUS) & VB_S_NEEDS_RESET)
            return O_NEEDS_RESET;
    } while (vb_now() < until);
    return O_NOTHING;
}

/* A well-formed request's header and status around whatever chain the case
 * builds: desc 0 header (-> 1), the case's descriptors from 1, status last. */
static void header(uint32_t type, uint64_t sector)
{
    vb_header = (struct vb_hdr){ .type = type, .sector = sector };
    vb_set_desc(0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
}

static void status_desc(unsigned i)
{
    vb_set_desc(i, (uintptr_t)&vb_status_byte, 1, VB_D_WRITE, 0);
}

static void set_in_table(unsigned t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                         uint16_t next)
{
    struct vb_desc d = { addr, len, flags, next };
    memcpy(table[t] + 16 * i, &d, sizeof(d));
}

/* A whole read request (header, 512 bytes, status) in indirect table t. */
static void request_in_table(unsigned t, uint32_t type)
{
    vb_header = (struct vb_hdr){ .type = type };
    set_in_table(t, 0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
    set_in_table(t, 1, (uintptr_t)data, 512, VB_D_WRITE | VB_D_NEXT, 2);
    set_in_table(t, 2, (uintptr_t)&vb_status_byte, 1, VB_D_WRITE, 0);
}

/* Checks an outcome against the spec's (and QEMU's named departure, if
 * any, natively only); after a needed reset, that the config interrupt
 * came (with DRIVER_OK set) and that a reset clears it all. */
static void verdict(const char *name, enum outcome got, enum outcome spec, int qemu_departs,
                    const char *departure)
{
    bool driver_ok = vb_rd(VB_STATUS) & VB_S_DRIVER_OK;
    bool ok = got == spec || (qemu && qemu_departs >= 0 && got == (enum outcome)qemu_departs);
    if (departure)
        gprintf("case %s: %s (QEMU departs: %s)\n", name, outcome_names[spec], departure);
    else
        gprintf("case %s: %s\n", name, outcome_names[spec]);
    if (!ok) {
        gprintf("FAIL %s: got %s\n", name, outcome_names[got]);
        failures++;
    }
    if (got == O_NEEDS_RESET && driver_ok && !(vb_rd(VB_INTERRUPT_STATUS) & 2)) {
        gprintf("FAIL %s: no configuration change interrupt with NEEDS_RESET\n", name);
        failures++;
    }
    vb_wr(VB_STATUS, 0);
    if (vb_rd(VB_STATUS) != 0 || vb_rd(VB_INTERRUPT_STATUS) != 0) {
        gprintf("FAIL %s: status %u, interrupt status %u after reset\n", name,
                (unsigned)vb_rd(VB_STATUS), (unsigned)vb_rd(VB_INTERRUPT_STATUS));
        failures++;
    }
}

static const uint64_t base_features = VB_F_VERSION_1;

/* A queue of `num` at the given places, DRIVER_OK, one FLUSH request whose
 * descriptors are written at `desc`; the outcome. */
static enum outcome setup_case(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    if (!vb_negotiate(base_features))
        return O_OTHER;
    uint32_t ready = vb_queue(num, desc, avail, used);
    if (vb_rd(VB_STATUS) & VB_S_NEEDS_RESET)
        return O_NEEDS_RESET;
    if (ready != 1)
        return O_OTHER;
    vb_driver_ok();
    if (desc != (uintptr_t)vb_desc)
        vb_table = (uint8_t *)(uintptr_t)desc;
    if (used != (uintptr_t)vb_used && used >= 0x80000000UL && used < RAM_END)
        vb_used_at = (volatile uint16_t *)(uintptr_t)used;
    header(VB_T_FLUSH, 0);
    status_desc(1);
    return outcome_of(0);
}

static void setup_cases(void)
{
    uint64_t d = (uintptr_t)vb_desc, a = (uintptr_t)vb_avail, u = (uintptr_t)vb_used;
    uint32_t max = (vb_wr(VB_QUEUE_SEL, 0), vb_rd(VB_QUEUE_NUM_MAX));
    verdict("queue size 3", setup_case(3, d, a, u), O_NEEDS_RESET, O_OK,
            "takes any size up to 1024");
    verdict("queue size 0", setup_case(0, d, a, u), O_NEEDS_RESET, O_OK,
            "keeps its previous size");
    verdict("queue size twice QueueNumMax", setup_case(max * 2, d, a, u), O_NEEDS_RESET, O_OK,
            "takes any size up to 1024");
    /* Descriptors 8 bytes off their 16-byte alignment (2.7, table). */
    verdict("descriptor table unaligned", setup_case(VB_QN, (uintptr_t)table[0] + 8, a, u),
            O_NEEDS_RESET, O_OK, "does not check alignment");
    verdict("used ring unaligned", setup_case(VB_QN, d, a, (uintptr_t)table[1] + 2),
            O_NEEDS_RESET, O_OK, "does not check alignment");
    verdict("descriptor table past RAM", setup_case(VB_QN, RAM_END, a, u), O_NEEDS_RESET, -1,
            NULL);
    verdict("available ring straddling RAM's end", setup_case(VB_QN, d, RAM_END - 16, u),
            O_NEEDS_RESET, -1, NULL);
    verdict("used ring in a device page", setup_case(VB_QN, d, a, VB_SLOT_BASE), O_NEEDS_RESET,
            O_NOTHING, "uses it: writes the used ring into that device's registers");
}

/* A good queue, DRIVER_OK, a header in desc 0; the case writes the rest. */
static void begin(uint64_t features)
{
    if (!vb_start(features)) {
        gprintf("FAIL cannot set the device up\n");
        failures++;
    }
}

static void ring_cases(void)
{
    uint64_t ind = base_features | VB_F_INDIRECT;

    begin(base_features);
    header(VB_T_OUT, 0);
    vb_set_desc(1, (uintptr_t)data, 512, VB_D_NEXT, 0);    /* back to 0 */
    verdict("loop in a chain", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    begin(base_features);
    header(VB_T_IN, 0);
    vb_set_desc(1, (uintptr_t)data, 512, VB_D_NEXT | VB_D_WRITE, VB_QN);
    verdict("next index past the table", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    begin(base_features);
    header(VB_T_FLUSH, 0);
    status_desc(1);
    verdict("head index past the table", outcome_of(VB_QN + 3), O_NEEDS_RESET, -1, NULL);

    begin(base_features);
    header(VB_T_FLUSH, 0);
    status_desc(1);
    vb_avail[2] = 0;
    vb_avail_idx = VB_QN + 1;   /* vb_offer adds one more: avail.idx moves by 18 */
    verdict("avail.idx moved past the queue size", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    static const struct { const char *name; uint64_t addr; uint32_t len; } bad[] = {
        { "buffer past RAM", RAM_END, 512 },
        { "buffer straddling RAM's end", RAM_END - 256, 512 },
        { "buffer wrapping past 2^64", 0xffffffffffffff00UL, 0x200 },
        { "buffer below RAM", 0x1000, 512 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        begin(base_features);
        header(VB_T_IN, 0);
        vb_set_desc(1, bad[i].addr, bad[i].len, VB_D_NEXT | VB_D_WRITE, 2);
        status_desc(2);
        verdict(bad[i].name, outcome_of(0), O_NEEDS_RESET, O_OK,
                "serves it: reads and writes there go nowhere");
    }

    begin(base_features);
    header(VB_T_OUT, 0);
    vb_set_desc(1, (uintptr_t)data, 1, VB_D_NEXT | VB_D_WRITE, 2);
    vb_set_desc(2, (uintptr_t)data + 512, 512, VB_D_NEXT, 3);   /* readable after writable */
    status_desc(3);
    verdict("readable buffer after a writable one", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    /* Indirect tables (2.7.5.3): the whole request in the table the head
     * names, as Linux makes them. */
    begin(ind);
    request_in_table(0, VB_T_IN);
    vb_set_desc(0, (uintptr_t)table[0], 48, VB_D_INDIRECT, 0);
    verdict("request in an indirect table", outcome_of(0), O_OK, -1, NULL);

    begin(ind);
    set_in_table(0, 0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
    set_in_table(0, 1, (uintptr_t)table[1], 32, VB_D_INDIRECT, 0);
    set_in_table(1, 0, (uintptr_t)data, 512, VB_D_WRITE | VB_D_NEXT, 1);
    set_in_table(1, 1, (uintptr_t)&vb_status_byte, 1, VB_D_WRITE, 0);
    vb_header = (struct vb_hdr){ .type = VB_T_IN };
    vb_set_desc(0, (uintptr_t)table[0], 32, VB_D_INDIRECT, 0);
    verdict("indirect table inside an indirect table", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    static const uint32_t bad_lengths[] = { 40, 0, 16 * 300 };
    static const char *const length_names[] = { "indirect table of 40 bytes",
                                                "indirect table of length 0",
                                                "indirect table of 300 descriptors" };
    for (unsigned i = 0; i < 3; i++) {
        begin(ind);
        request_in_table(0, VB_T_IN);
        vb_set_desc(0, (uintptr_t)table[0], bad_lengths[i], VB_D_INDIRECT, 0);
        verdict(length_names[i], outcome_of(0), O_NEEDS_RESET, i == 2 ? O_OK : -1,
                i == 2 ? "takes tables up to 1024 descriptors" : NULL);
    }

    begin(ind);
    vb_header = (struct vb_hdr){ .type = VB_T_OUT };
    set_in_table(0, 0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
    set_in_table(0, 1, (uintptr_t)data, 512, VB_D_NEXT, 0);    /* back to 0 */
    vb_set_desc(0, (uintptr_t)table[0], 32, VB_D_INDIRECT, 0);
    verdict("loop in an indirect table", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    begin(ind);
    request_in_table(0, VB_T_IN);
    vb_set_desc(0, (uintptr_t)table[0], 48, VB_D_INDIRECT, 0);
    set_in_table(0, 1, (uintptr_t)data, 512, VB_D_WRITE | VB_D_NEXT, 7);   /* past its 3 */
    verdict("next index past an indirect table", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    begin(ind);
    vb_set_desc(0, RAM_END - 16, 48, VB_D_INDIRECT, 0);
    verdict("indirect table straddling RAM's end", outcome_of(0), O_NEEDS_RESET, -1, NULL);

    /* 2.7.5.3.1: only when negotiated, never with NEXT. */
    begin(base_features);
    request_in_table(0, VB_T_IN);
    vb_set_desc(0, (uintptr_t)table[0], 48, VB_D_INDIRECT, 0);
    verdict("indirect descriptor not negotiated", outcome_of(0), O_NEEDS_RESET, O_OK,
            "serves it");
    begin(ind);
    request_in_table(0, VB_T_IN);
    vb_set_desc(0, (uintptr_t)table[0], 48, VB_D_INDIRECT | VB_D_NEXT, 1);
    vb_set_desc(1, (uintptr_t)data + 1024, 512, VB_D_WRITE, 0);
    verdict("indirect descriptor with NEXT", outcome_of(0), O_NEEDS_RESET, O_OK,
            "serves the table, ignores NEXT");
    /* 2.7.5.3.2: "zero or more normal chained descriptors followed by a
     * single descriptor with flags & INDIRECT" the device MUST handle. */
    begin(ind);
    header(VB_T_IN, 0);
    set_in_table(0, 0, (uintptr_t)data, 512, VB_D_WRITE | VB_D_NEXT, 1);
    set_in_table(0, 1, (uintptr_t)&vb_status_byte, 1, VB_D_WRITE, 0);
    vb_set_desc(1, (uintptr_t)table[0], 32, VB_D_INDIRECT, 0);
    verdict("header, then an indirect table", outcome_of(0), O_OK, O_NEEDS_RESET,
            "takes an indirect table only at the head");

    /* Requests without a whole header or without a status byte (5.2.6). */
    begin(base_features);
    vb_header = (struct vb_hdr){ .type = VB_T_IN };
    vb_set_desc(0, (uintptr_t)&vb_header, 8, VB_D_NEXT, 1);
    status_desc(1);
    verdict("header of 8 bytes", outcome_of(0), O_NEEDS_RESET, -1, NULL);
    begin(base_features);
    vb_header = (struct vb_hdr){ .type = VB_T_OUT };
    vb_set_desc(0, (uintptr_t)&vb_header, 16, VB_D_NEXT, 1);
    vb_set_desc(1, (uintptr_t)data, 512, 0, 0);
    verdict("no status byte", outcome_of(0), O_NEEDS_RESET, -1, NULL);
}

static void request_cases(void)
{
    uint64_t cap;
    begin(base_features);
    cap = vb_capacity();
    static const struct { const char *name; uint32_t type; uint64_t sector; uint32_t len;
                          enum outcome want; } reqs[] = {
        { "read of the last sector", VB_T_IN, 0, 512, O_OK },
        { "read one sector past the end", VB_T_IN, 1, 1024, O_IOERR },
        { "read at sector 2^64 - 1", VB_T_IN, ~0ul, 512, O_IOERR },
        { "read of 100 bytes", VB_T_IN, 0, 100, O_IOERR },
        { "write one sector past the end", VB_T_OUT, 1, 1024, O_IOERR },
        { "request type 0x12345", 0x12345, 0, 512, O_UNSUPP },
        { "GET_ID", VB_T_GET_ID, 0, 20, O_OK },
    };
    for (unsigned i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        /* Sectors named relative to the end: 0 the last one. */
        uint64_t sector = reqs[i].sector == ~0ul ? ~0ul : cap - 1 + reqs[i].sector;
        if (reqs[i].type == VB_T_GET_ID || reqs[i].type == 0x12345)
            sector = 0;
        header(reqs[i].type, sector);
        vb_set_desc(1, (uintptr_t)data, reqs[i].len,
                    (uint16_t)(VB_D_NEXT | (reqs[i].type == VB_T_OUT ? 0 : VB_D_WRITE)), 2);
        status_desc(2);
        enum outcome got = outcome_of(0);
        gprintf("case %s: %s\n", reqs[i].name, outcome_names[reqs[i].want]);
        if (got != reqs[i].want) {
            gprintf("FAIL %s: got %s\n", reqs[i].name, outcome_names[got]);
            failures++;
        }
    }
    vb_wr(VB_STATUS, 0);
}

/* The device still works: a write and a read back. */
static void works(const char *when)
{
    begin(base_features);
    for (unsigned i = 0; i < 1024; i++)
        data[i] = (uint8_t)(i * 13 + 7);
    uint8_t w = vb_rw(true, 4, data, 1024);
    memset(data, 0, 1024);
    uint8_t r = vb_rw(false, 4, data, 1024);
    unsigned bad = 0;
    for (unsigned i = 0; i < 1024; i++)
        bad += data[i] != (uint8_t)(i * 13 + 7);
    gprintf("case device works %s: write %u, read %u, %u bytes differ\n", when, w, r, bad);
    CHECK(w == 0 && r == 0 && bad == 0);
    vb_wr(VB_STATUS, 0);
}

int guest_main(void)
{
    gprintf("=== begin: vblk_hostile ===\n");
    if (!vb_find()) {
        gprintf("FAIL no virtio-blk device (version 2)\n");
        return 1;
    }
    qemu = vb_is_qemu();
    works("before");
    setup_cases();
    ring_cases();
    request_cases();
    works("after");
    return failures;
}
