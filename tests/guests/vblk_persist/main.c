/* Persistence of a VM's disk (issue 14 acceptance): what the VM writes is
 * there after it reboots and after QEMU and lodger restart with the same
 * disk image. The guest keeps its progress on the disk itself (a marker in
 * sector MARK): stage 0 writes a 64 KiB pattern in one request of eight
 * segments, the marker, flushes and reboots (SBI SRST); stage 1 (the VM
 * rebooted: under lodger the same run, natively a new QEMU, since lodger-run
 * gives QEMU -no-reboot) reads it back and moves the marker on; stage 2 (a
 * new run) reads it back again. tests/run-tests.py (step "disk") runs it
 * natively and under lodger, on a whole disk and on an MBR partition, and
 * checks the pattern's bytes in the image file where the slice puts them.
 * Every line is the same natively and under lodger. */
#include <stdio.h>
#include <string.h>
#include "../lib/guest.h"
#include "../shared/vblk.h"

#define MARK 8
#define DATA 2048               /* 1 MiB in */
#define DATA_BYTES (64u << 10)
#define SEGS 8

static uint8_t buf[DATA_BYTES] __attribute__((aligned(4096)));
static uint8_t mark[512] __attribute__((aligned(512)));

static uint8_t pattern(unsigned i)
{
    uint32_t x = (i / 4 + 1) * 2654435761u;
    return (uint8_t)(x >> (8 * (i % 4)));
}

static uint8_t transfer(bool write)
{
    void *bufs[SEGS];
    uint32_t lens[SEGS];
    for (unsigned i = 0; i < SEGS; i++) {
        bufs[i] = buf + i * (DATA_BYTES / SEGS);
        lens[i] = DATA_BYTES / SEGS;
    }
    return vb_request(write ? VB_T_OUT : VB_T_IN, DATA, bufs, lens, SEGS);
}

static int stage_of(void)
{
    if (vb_rw(false, MARK, mark, 512) != 0)
        return -1;
    if (memcmp(mark, "LODGPERS", 8))
        return 0;
    return mark[8];
}

static bool set_stage(int stage)
{
    memset(mark, 0, sizeof(mark));
    memcpy(mark, "LODGPERS", 8);
    mark[8] = (uint8_t)stage;
    void *none[1] = { 0 };
    return vb_rw(true, MARK, mark, 512) == 0 && vb_request(VB_T_FLUSH, 0, none, NULL, 0) == 0;
}

static void check_pattern(const char *when)
{
    memset(buf, 0, sizeof(buf));
    uint8_t st = transfer(false);
    unsigned bad = 0;
    for (unsigned i = 0; i < DATA_BYTES; i++)
        bad += buf[i] != pattern(i);
    gprintf("case read back %s: status %u, %u bytes differ\n", when, st, bad);
    CHECK(st == 0 && bad == 0);
}

int guest_main(void)
{
    gprintf("=== begin: vblk_persist ===\n");
    if (!vb_find() || !vb_start(VB_F_VERSION_1 | VB_F_FLUSH)) {
        gprintf("FAIL no usable virtio-blk device\n");
        return 1;
    }
    gprintf("disk: %lu sectors\n", (unsigned long)vb_capacity());
    int stage = stage_of();
    gprintf("stage %d\n", stage);
    if (stage == 0) {
        for (unsigned i = 0; i < DATA_BYTES; i++)
            buf[i] = pattern(i);
        uint8_t st = transfer(true);
        gprintf("case wrote %u KiB: status %u\n", DATA_BYTES >> 10, st);
        CHECK(st == 0);
        CHECK(set_stage(1));
        gprintf("=== rebooting ===\n");
        sbi_call(SBI_EXT_SRST, 0, 1 /* warm reboot */, 0, 0, 0);
        gprintf("FAIL reboot returned\n");
        return 1;
    }
    if (stage == 1) {
        check_pattern("after reboot");
        CHECK(set_stage(2));
    } else if (stage == 2) {
        check_pattern("after restart");
    } else {
        gprintf("FAIL marker stage %d\n", stage);
        failures++;
    }
    return failures;
}
