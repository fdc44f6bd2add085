/* Host tests for a VM's virtio-blk device (src/dev/virtio_blk.c) on the
 * virtio-mmio transport (src/dev/virtio_dev.c), driven through its
 * registers as a driver would (virtio 1.x 3.1.1, 4.2.3) over a disk held in
 * memory: the register file and feature negotiation, requests in and out of
 * a slice (zero-copy: the disk sees the guest's own buffers), IOERR past
 * the slice and on a read-only one, UNSUPP, FLUSH, GET_ID, DEVICE_NEEDS_RESET
 * with a configuration interrupt when the driver breaks a rule, reset, and
 * the VM-creation checks (no disk, a missing one, overlapping slices). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/virtio_dev.h"
#include "dev/board.h"
#include "core/vm.h"
#include "core/console.h"
#include "io/backend.h"

extern const struct device_model virtio_blk_device;

/* ---- stand-ins for the board and the console ---- */
static unsigned line_irq;
static bool line_level;
void board_set_irq(struct vm *vm, unsigned irq, bool high)
{
    (void)vm;
    line_irq = irq;
    line_level = high;
}
static char last_message[256];
void console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
}

/* ---- a disk in memory, with an MBR: partition 1 at sector 64, 128 sectors ---- */
#define DISK_SECTORS 1024u
static uint8_t disk_bytes[DISK_SECTORS * BLK_SECTOR];
static unsigned rw_calls, flushes;
static const struct io_seg *last_segs;
static enum io_status rw_result = IO_OK;

static enum io_status disk_rw(struct blk_backend *b, bool write, uint64_t sector,
                              const struct io_seg *seg, unsigned nseg)
{
    (void)b;
    rw_calls++;
    last_segs = seg;
    uint64_t at = sector * BLK_SECTOR, total = 0;
    for (unsigned i = 0; i < nseg; i++)
        total += seg[i].len;
    assert_int_equal(total % BLK_SECTOR, 0);
    assert_true(at + total <= sizeof(disk_bytes));  /* the caller checked the range */
    if (rw_result != IO_OK)
        return rw_result;
    for (unsigned i = 0; i < nseg; i++) {
        void *p = (void *)(uintptr_t)seg[i].pa;
        if (write)
            memcpy(disk_bytes + at, p, seg[i].len);
        else
            memcpy(p, disk_bytes + at, seg[i].len);
        at += seg[i].len;
    }
    return IO_OK;
}
/* A driver that keeps its queue full (another vCPU adding a request each
 * time one is served): disk_flush makes the next FLUSH available again. */
static unsigned refills;
static void refill(void);
static enum io_status disk_flush(struct blk_backend *b)
{
    (void)b;
    flushes++;
    if (refills) {
        refills--;
        refill();
    }
    return IO_OK;
}
static struct blk_backend disk0 = { .name = "disk0", .sectors = DISK_SECTORS, .rw = disk_rw,
                                    .flush = disk_flush };

/* ---- the VM and its device ---- */
#define RAM_GPA 0x80000000ull
#define RAM_SIZE 0x20000ull
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x4000
#define DATA 0x5000
#define STATUS 0x7000
#define QSIZE 16

static struct vm vm;
static uint8_t *ram;
static struct device *dev;

static uint32_t rd(uint64_t off)
{
    uint64_t v;
    assert_int_equal(virtio_dev_read(dev, NULL, off, 4, &v), DEV_DONE);
    return (uint32_t)v;
}

/* A register write as board_mmio does it: deferred work after the lock. */
static void wr(uint64_t off, uint32_t v)
{
    enum dev_status s = virtio_dev_write(dev, NULL, off, 4, v);
    if (s == DEV_DEFER)
        s = virtio_dev_deferred(dev, NULL);
    assert_int_equal(s, DEV_DONE);
}

static int make_device(struct vm *m, int id, const char *disk, char *err)
{
    memset(&m->board.devices, 0, sizeof(m->board.devices));
    m->id = id;
    snprintf(m->image.disk, sizeof(m->image.disk), "%s", disk);
    struct device *d;
    assert_int_equal(dev_table_add(&m->board.devices, &virtio_blk_device, virtio_blk_device.base,
                                   virtio_blk_device.size, virtio_blk_device.irq, &d), DEV_ADD_OK);
    d->vm = m;
    int r = virtio_blk_device.setup(d, err, 200);
    if (r == DEV_SETUP_PRESENT)
        virtio_blk_device.reset(d);
    dev = d;
    return r;
}

static int setup_vm(const char *disk)
{
    memset(&vm, 0, sizeof(vm));
    free(ram);
    ram = calloc(1, RAM_SIZE);
    vm.ram_gpa = RAM_GPA;
    vm.ram_size = RAM_SIZE;
    vm.ram_hpa = (uintptr_t)ram;
    char err[200] = "";
    int r = make_device(&vm, 0, disk, err);
    if (r != DEV_SETUP_PRESENT)
        fail_msg("setup: %s", err);
    rw_calls = flushes = 0;
    rw_result = IO_OK;
    last_message[0] = 0;
    return 0;
}

static int setup_whole(void **state) { (void)state; return setup_vm("0"); }
static int setup_partition(void **state) { (void)state; return setup_vm("0p1"); }
static int setup_ro(void **state) { (void)state; return setup_vm("0@8K+8K:ro"); }
/* vm0 out of the way of the other VMs' slices. */
static int setup_small(void **state) { (void)state; return setup_vm("0@1K+1K:ro"); }

/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue, DRIVER_OK. */
static void driver_init(uint64_t features, bool driver_ok)
{
    wr(0x070, 0);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x024, 0);
    wr(0x020, (uint32_t)features);
    wr(0x024, 1);
    wr(0x020, (uint32_t)(features >> 32));
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    wr(0x030, 0);
    assert_int_equal(rd(0x034), VQ_MAX_SIZE);
    assert_int_equal(rd(0x044), 0);
    wr(0x038, QSIZE);
    wr(0x080, (uint32_t)(RAM_GPA + DESC)); wr(0x084, (uint32_t)((RAM_GPA + DESC) >> 32));
    wr(0x090, (uint32_t)(RAM_GPA + AVAIL)); wr(0x094, (uint32_t)((RAM_GPA + AVAIL) >> 32));
    wr(0x0a0, (uint32_t)(RAM_GPA + USED)); wr(0x0a4, (uint32_t)((RAM_GPA + USED) >> 32));
    wr(0x044, 1);
    assert_int_equal(rd(0x044), 1);
    if (driver_ok)
        wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                  VIRTIO_STATUS_DRIVER_OK);
}
#define F_V1 (1ull << VIRTIO_F_VERSION_1)

static void set_desc(unsigned i, uint64_t off, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { RAM_GPA + off, len, flags, next };
    memcpy(ram + DESC + 16 * i, &d, sizeof(d));
}

static uint16_t *avail(void) { return (uint16_t *)(ram + AVAIL); }
static uint16_t used_idx(void) { return ((uint16_t *)(ram + USED))[1]; }
static struct virtq_used_elem used_elem(unsigned i)
{
    struct virtq_used_elem e;
    memcpy(&e, ram + USED + 4 + 8 * (i % QSIZE), sizeof(e));
    return e;
}

#define T_IN 0u
#define T_OUT 1u
#define T_FLUSH 4u
#define T_GET_ID 8u
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

static void refill(void)
{
    uint16_t idx = avail()[1];
    avail()[2 + idx % QSIZE] = 0;
    avail()[1] = idx + 1;
}

static void offer_and_notify(uint16_t head)
{
    uint16_t idx = avail()[1];
    avail()[2 + idx % QSIZE] = head;
    avail()[1] = idx + 1;
    wr(0x050, 0);
}

/* A request: header, data (len bytes at DATA, device-writable for reads),
 * status; returns the status byte the device wrote, *written its used.len. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, uint32_t *written)
{
    uint32_t hdr[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
    memcpy(ram + HDR, hdr, sizeof(hdr));
    ram[STATUS] = 0xee;
    bool to_guest = type != T_OUT;
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, DATA, len, VIRTQ_DESC_F_NEXT | (to_guest ? VIRTQ_DESC_F_WRITE : 0), 2);
    set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint16_t before = used_idx();
    offer_and_notify(0);
    assert_int_equal(used_idx(), (uint16_t)(before + 1));
    struct virtq_used_elem e = used_elem(before);
    assert_int_equal(e.id, 0);
    if (written)
        *written = e.len;
    return ram[STATUS];
}

static void registers(void **state)
{
    (void)state;
    assert_int_equal(rd(0x000), 0x74726976);
    assert_int_equal(rd(0x004), 2);
    assert_int_equal(rd(0x008), VIRTIO_ID_BLOCK);
    wr(0x014, 0);
    uint32_t lo = rd(0x010);
    wr(0x014, 1);
    uint32_t hi = rd(0x010);
    wr(0x014, 2);
    assert_int_equal(rd(0x010), 0);
    assert_true(hi & 1);                                    /* VERSION_1 */
    assert_true(lo & (1u << VIRTIO_F_INDIRECT_DESC));
    assert_true(lo & (1u << VIRTIO_F_EVENT_IDX));
    assert_true(lo & (1u << 9));                            /* FLUSH */
    assert_true(lo & (1u << 2));                            /* SEG_MAX */
    assert_false(lo & (1u << 5));                           /* not RO */
    /* Config space: capacity (whole disk), seg_max, read at their widths. */
    uint64_t v;
    assert_int_equal(virtio_dev_read(dev, NULL, 0x100, 8, &v), DEV_DONE);
    assert_int_equal(v, DISK_SECTORS);
    assert_int_equal(virtio_dev_read(dev, NULL, 0x10c, 4, &v), DEV_DONE);
    assert_int_equal(v, VQ_MAX_SEGS - 2);
    assert_int_equal(virtio_dev_read(dev, NULL, 0x800, 4, &v), DEV_DONE);
    assert_int_equal(v, 0);                                 /* past it */
    /* 4.2.2.2: only 32-bit accesses to the registers. */
    assert_int_equal(virtio_dev_read(dev, NULL, 0x000, 2, &v), DEV_DONE);
    assert_int_equal(v, 0);
    /* No queue 1: QueueNumMax 0 and QueueReady ignored. */
    wr(0x030, 1);
    assert_int_equal(rd(0x034), 0);
    wr(0x044, 1);
    assert_int_equal(rd(0x044), 0);
}

static void features_ok_needs_version_1(void **state)
{
    (void)state;
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x024, 0);
    wr(0x020, 1u << 9);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_false(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);    /* 3.1.1: legacy not offered */
    /* A feature not offered (bit 1, SIZE_MAX) is refused too. */
    wr(0x024, 1);
    wr(0x020, 1);
    wr(0x024, 0);
    wr(0x020, 1u << 1);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_false(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    wr(0x020, 0);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    /* Fixed once FEATURES_OK is set. */
    wr(0x020, 1u << 9);
    wr(0x024, 0);
    assert_int_equal(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

static void write_then_read(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    for (unsigned i = 0; i < 1024; i++)
        ram[DATA + i] = (uint8_t)(i * 7 + 1);
    uint32_t written;
    assert_int_equal(request(T_OUT, 10, 1024, &written), S_OK);
    assert_int_equal(written, 1);
    assert_memory_equal(disk_bytes + 10 * 512, ram + DATA, 1024);
    /* Zero-copy: the disk was handed the guest's own buffer. */
    assert_int_equal(last_segs[0].pa, (uintptr_t)ram + DATA);
    assert_true(line_level);
    assert_int_equal(line_irq, VIRTIO_MMIO_IRQ(7));
    assert_int_equal(rd(0x060), VIRTIO_INT_USED);
    wr(0x064, VIRTIO_INT_USED);
    assert_false(line_level);
    assert_int_equal(rd(0x060), 0);

    memset(ram + DATA, 0, 1024);
    assert_int_equal(request(T_IN, 10, 1024, &written), S_OK);
    assert_int_equal(written, 1025);
    assert_memory_equal(disk_bytes + 10 * 512, ram + DATA, 1024);
}

static void slice_offsets_and_bounds(void **state)
{
    (void)state;
    /* MBR partition 1: sectors 64..191. */
    driver_init(F_V1, true);
    uint64_t v;
    assert_int_equal(virtio_dev_read(dev, NULL, 0x100, 8, &v), DEV_DONE);
    assert_int_equal(v, 128);
    memset(ram + DATA, 0x5a, 512);
    assert_int_equal(request(T_OUT, 127, 512, NULL), S_OK);
    assert_int_equal(disk_bytes[(64 + 127) * 512], 0x5a);
    unsigned calls = rw_calls;
    assert_int_equal(request(T_OUT, 127, 1024, NULL), S_IOERR);      /* one past the end */
    assert_int_equal(request(T_IN, 128, 512, NULL), S_IOERR);
    assert_int_equal(request(T_IN, UINT64_MAX, 512, NULL), S_IOERR); /* wrapping */
    assert_int_equal(request(T_IN, 0, 100, NULL), S_IOERR);          /* part of a sector */
    assert_int_equal(rw_calls, calls);                               /* none reached the disk */
    rw_result = IO_ERROR;
    assert_int_equal(request(T_IN, 0, 512, NULL), S_IOERR);          /* the disk failed */
}

static void read_only_slice(void **state)
{
    (void)state;
    wr(0x014, 0);
    assert_true(rd(0x010) & (1u << 5));     /* VIRTIO_BLK_F_RO */
    driver_init(F_V1 | 1ull << 5, true);
    memset(disk_bytes + 16 * 512, 0x11, 512);
    memset(ram + DATA, 0x22, 512);
    /* 5.2.6.2: IOERR, nothing written. */
    assert_int_equal(request(T_OUT, 0, 512, NULL), S_IOERR);
    assert_int_equal(disk_bytes[16 * 512], 0x11);
    assert_int_equal(request(T_IN, 0, 512, NULL), S_OK);
    assert_int_equal(ram[DATA], 0x11);
}

static void other_requests(void **state)
{
    (void)state;
    driver_init(F_V1 | 1ull << 9, true);
    uint32_t written;
    assert_int_equal(request(T_FLUSH, 0, 0, NULL), S_OK);
    assert_int_equal(flushes, 1);
    memset(ram + DATA, 0xff, 32);
    assert_int_equal(request(T_GET_ID, 0, 32, &written), S_OK);
    assert_int_equal(written, 21);
    assert_string_equal((char *)ram + DATA, "lodger-vm0-disk0");
    assert_int_equal(ram[DATA + 20], 0xff);                 /* 20 bytes only */
    assert_int_equal(request(11, 0, 512, NULL), S_UNSUPP);  /* DISCARD: not offered */
    assert_int_equal(request(0x12345, 0, 0, NULL), S_UNSUPP);
}

static void indirect_and_event_idx(void **state)
{
    (void)state;
    driver_init(F_V1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX,
                true);
    uint32_t hdr[4] = { T_OUT, 0, 3, 0 };
    memcpy(ram + HDR, hdr, sizeof(hdr));
    memset(ram + DATA, 0x77, 512);
    struct virtq_desc t[3] = {
        { RAM_GPA + HDR, 16, VIRTQ_DESC_F_NEXT, 1 },
        { RAM_GPA + DATA, 512, VIRTQ_DESC_F_NEXT, 2 },
        { RAM_GPA + STATUS, 1, VIRTQ_DESC_F_WRITE, 0 },
    };
    memcpy(ram + 0x9000, t, sizeof(t));
    set_desc(5, 0x9000, sizeof(t), VIRTQ_DESC_F_INDIRECT, 0);
    /* used_event 0: an interrupt for the first used buffer. */
    offer_and_notify(5);
    assert_int_equal(used_idx(), 1);
    assert_int_equal(ram[STATUS], S_OK);
    assert_int_equal(disk_bytes[3 * 512], 0x77);
    assert_int_equal(rd(0x060), VIRTIO_INT_USED);
    wr(0x064, 1);
    /* avail_event tells the driver to notify from entry 1 on (2.7.10). */
    assert_int_equal(((uint16_t *)(ram + USED))[2 + 4 * QSIZE], 1);
    /* used_event left at 0: no interrupt for the next one. */
    offer_and_notify(5);
    assert_int_equal(used_idx(), 2);
    assert_int_equal(rd(0x060), 0);
    assert_false(line_level);
}

/* A notify serves VIRTIO_DEV_BUDGET chains at most, then asks for the
 * access again (DEV_RETRY: the vCPU goes back through the scheduler); the
 * retry serves the rest. */
static void busy_queue_hands_the_hart_back(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    uint32_t hdr[4] = { T_FLUSH, 0, 0, 0 };
    memcpy(ram + HDR, hdr, sizeof(hdr));
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    refills = VIRTIO_DEV_BUDGET + 100;
    refill();
    assert_int_equal(virtio_dev_write(dev, NULL, 0x050, 4, 0), DEV_DEFER);
    assert_int_equal(virtio_dev_deferred(dev, NULL), DEV_RETRY);
    assert_int_equal(used_idx(), VIRTIO_DEV_BUDGET);
    assert_true(line_level);                    /* what was used is signalled */
    /* The guest's notify again: the rest. */
    assert_int_equal(virtio_dev_write(dev, NULL, 0x050, 4, 0), DEV_DEFER);
    assert_int_equal(virtio_dev_deferred(dev, NULL), DEV_DONE);
    assert_int_equal(used_idx(), VIRTIO_DEV_BUDGET + 101);
    assert_int_equal(refills, 0);
}

static void notify_before_driver_ok_waits(void **state)
{
    (void)state;
    driver_init(F_V1, false);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint32_t hdr[4] = { T_FLUSH, 0, 0, 0 };
    memcpy(ram + HDR, hdr, sizeof(hdr));
    offer_and_notify(0);
    assert_int_equal(used_idx(), 0);        /* 2.1.2: nothing used before DRIVER_OK */
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
              VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(used_idx(), 1);
}

static void expect_needs_reset(const char *why)
{
    assert_true(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(rd(0x060) & VIRTIO_INT_CONFIG);         /* 2.1.2, with DRIVER_OK set */
    assert_true(line_level);
    if (!strstr(last_message, why))
        fail_msg("message \"%s\" lacks \"%s\"", last_message, why);
    assert_non_null(strstr(last_message, "vm0"));
}

static void missing_header_needs_reset(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    set_desc(0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);             /* a header of 8 bytes */
    set_desc(1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    offer_and_notify(0);
    expect_needs_reset("without its header or status byte");
    assert_int_equal(used_idx(), 0);
    /* Broken: later requests are not served, the driver cannot clear the bit. */
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    offer_and_notify(0);
    assert_int_equal(used_idx(), 0);
    wr(0x070, rd(0x070) & ~VIRTIO_STATUS_NEEDS_RESET);
    assert_true(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    /* A reset makes it usable again (4.2.2.1: status 0). */
    wr(0x070, 0);
    assert_int_equal(rd(0x070), 0);
    assert_int_equal(rd(0x060), 0);
    assert_false(line_level);
    memset(ram + USED, 0, 0x100);
    memset(ram + AVAIL, 0, 0x100);
    driver_init(F_V1, true);
    assert_int_equal(request(T_FLUSH, 0, 0, NULL), S_OK);
}

static void no_status_byte_needs_reset(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    set_desc(0, HDR, 16, 0, 0);                         /* nothing writable */
    offer_and_notify(0);
    expect_needs_reset("status byte");
}

static void broken_ring_needs_reset(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 0);            /* a loop */
    offer_and_notify(0);
    expect_needs_reset("loops");
}

static void bad_queue_size_needs_reset(void **state)
{
    (void)state;
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x030, 0);
    wr(0x038, 3);
    wr(0x080, (uint32_t)(RAM_GPA + DESC));
    wr(0x084, 0);
    wr(0x090, (uint32_t)(RAM_GPA + AVAIL));
    wr(0x0a0, (uint32_t)(RAM_GPA + USED));
    wr(0x044, 1);
    assert_int_equal(rd(0x044), 0);
    assert_true(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    /* Before DRIVER_OK: no configuration interrupt. */
    assert_int_equal(rd(0x060), 0);
    assert_non_null(strstr(last_message, "power of 2"));
}

static void used_ring_in_a_device_page_needs_reset(void **state)
{
    (void)state;
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x038, 8);
    wr(0x080, (uint32_t)(RAM_GPA + DESC));
    wr(0x090, (uint32_t)(RAM_GPA + AVAIL));
    wr(0x0a0, (uint32_t)VIRTIO_MMIO_BASE(7));   /* its own registers */
    wr(0x044, 1);
    assert_int_equal(rd(0x044), 0);
    assert_true(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    assert_non_null(strstr(last_message, "not inside the VM's RAM"));
}

static void queue_registers_fixed_while_ready(void **state)
{
    (void)state;
    driver_init(F_V1, true);
    wr(0x038, 4);
    wr(0x080, 0);
    assert_int_equal(request(T_FLUSH, 0, 0, NULL), S_OK);   /* still the queue it was */
}

/* At VM creation. */
static void creation_checks(void **state)
{
    (void)state;
    static struct vm a, b;
    char err[200] = "";
    assert_int_equal(make_device(&a, 1, "", err), DEV_SETUP_ABSENT);
    assert_int_equal(make_device(&a, 1, "3", err), DEV_SETUP_ERROR);
    assert_non_null(strstr(err, "lodger,disk 3: the board has no disk 3 (lodger found 1)"));
    assert_int_equal(make_device(&a, 1, "0p2", err), DEV_SETUP_ERROR);
    assert_non_null(strstr(err, "lodger,disk 0p2: board disk 0 (disk0): its partition 2 is unused"));
    assert_int_equal(make_device(&a, 1, "0@1M+1K", err), DEV_SETUP_ERROR);
    assert_non_null(strstr(err, "do not fit the disk"));
    /* vm1 has partition 1 writable; vm2 may not have a range over it. */
    assert_int_equal(make_device(&a, 1, "0p1", err), DEV_SETUP_PRESENT);
    assert_int_equal(make_device(&b, 2, "0@32K+1K", err), DEV_SETUP_ERROR);
    assert_non_null(strstr(err, "overlap vm1's writable slice (sectors 64..191)"));
    assert_int_equal(make_device(&b, 2, "0@32K+1K:ro", err), DEV_SETUP_ERROR);
    /* Next to it, fine; read-only over read-only, fine. */
    assert_int_equal(make_device(&b, 2, "0@96K+1K", err), DEV_SETUP_PRESENT);
    assert_int_equal(make_device(&a, 1, "0p1:ro", err), DEV_SETUP_PRESENT);
    assert_int_equal(make_device(&b, 2, "0@32K+1K:ro", err), DEV_SETUP_PRESENT);
    /* Its tree node: virtio_mmio@10008000, QEMU's place for the first device. */
    assert_int_equal(dev->base, 0x10008000);
    assert_int_equal(dev->irq, 8);
    /* Leave no claims for the other tests (a VM made again replaces its own). */
    assert_int_equal(make_device(&a, 1, "0@1K+1K:ro", err), DEV_SETUP_PRESENT);
    assert_int_equal(make_device(&b, 2, "0@1K+1K:ro", err), DEV_SETUP_PRESENT);
}

int main(void)
{
    /* MBR partition 1 at 64, 128 sectors. */
    uint8_t *e = disk_bytes + 446;
    e[4] = 0x83;
    e[8] = 64;
    e[12] = 128;
    disk_bytes[510] = 0x55;
    disk_bytes[511] = 0xaa;
    io_add_blk(&disk0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(registers, setup_whole),
        cmocka_unit_test_setup(features_ok_needs_version_1, setup_whole),
        cmocka_unit_test_setup(write_then_read, setup_whole),
        cmocka_unit_test_setup(slice_offsets_and_bounds, setup_partition),
        cmocka_unit_test_setup(read_only_slice, setup_ro),
        cmocka_unit_test_setup(other_requests, setup_whole),
        cmocka_unit_test_setup(indirect_and_event_idx, setup_whole),
        cmocka_unit_test_setup(notify_before_driver_ok_waits, setup_whole),
        cmocka_unit_test_setup(busy_queue_hands_the_hart_back, setup_whole),
        cmocka_unit_test_setup(missing_header_needs_reset, setup_whole),
        cmocka_unit_test_setup(no_status_byte_needs_reset, setup_whole),
        cmocka_unit_test_setup(broken_ring_needs_reset, setup_whole),
        cmocka_unit_test_setup(bad_queue_size_needs_reset, setup_whole),
        cmocka_unit_test_setup(used_ring_in_a_device_page_needs_reset, setup_whole),
        cmocka_unit_test_setup(queue_registers_fixed_while_ready, setup_whole),
        cmocka_unit_test_setup(creation_checks, setup_small),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    free(ram);
    return r;
}
