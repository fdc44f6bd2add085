/* lodger.selftest=disk (core/hostdt.h): board disk 0 checked end to end
 * through its backend, without a VM -- on a new board, or to measure the
 * driver. It OVERWRITES the disk's first MiB:
 *   1. reads it into lodger memory through ~400 segments of uneven lengths
 *      (requests split inside segments, at sector boundaries) and prints
 *      its sha256;
 *   2. writes pattern(k) = digest[k % 32] + 7 * (k / 512) + k (mod 256) for
 *      byte k, through segments cut otherwise, and flushes;
 *   3. reads it back in 64 KiB requests and compares;
 *   4. reads up to 8 MiB in 64 KiB requests and prints this hart's
 *      instret per MiB (under QEMU -icount it also counts the virtual
 *      time warped over while the driver waits in wfi: count instructions
 *      with tools/qemu-prof instead).
 * tests/run-tests.py (board_disk) checks each step from the host's side,
 * and across a restart of QEMU. Then lodger powers off. */
#include <string.h>
#include "drivers/drivers.h"
#include "io/backend.h"
#include "core/mem.h"
#include "core/console.h"
#include "core/sha256.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/counters.h"
#include "arch/riscv/encoding.h"

#define REGION (1024u * 1024u)
#define MAX_SEGS 1024u
#define CHUNK (64u * 1024u)
#define MEASURE (8u * 1024u * 1024u)

static struct io_seg segs[MAX_SEGS];

/* The region as uneven segments: lengths from a small LCG seeded by seed,
 * 1..4999 bytes; the last one takes what is left. */
static unsigned uneven(uint8_t *buf, uint32_t bytes, uint32_t seed)
{
    unsigned n = 0;
    uint32_t at = 0;
    while (at < bytes) {
        seed = seed * 1103515245u + 12345u;
        uint32_t len = 1 + (seed >> 8) % 4999;
        if (len > bytes - at || n == MAX_SEGS - 1)
            len = bytes - at;
        segs[n++] = (struct io_seg){ (uintptr_t)(buf + at), len };
        at += len;
    }
    return n;
}

static void print_digest(const char *what, const uint8_t *buf, uint32_t bytes)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256(buf, bytes, d);
    console_printf("lodger: selftest: disk0: %s sha256 ", what);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        console_printf("%02x", d[i]);
    console_printf("\n");
}

static void __attribute__((noreturn)) finish(bool ok, const char *why)
{
    console_printf("lodger: selftest: disk0: %s%s\n", ok ? "PASS" : "FAIL: ", ok ? "" : why);
    firmware_reset(SBI_SRST_RESET_TYPE_SHUTDOWN,
                   ok ? SBI_SRST_RESET_REASON_NONE : SBI_SRST_RESET_REASON_SYSFAIL);
}

static bool chunks(struct blk_backend *b, bool write, uint8_t *buf, uint32_t bytes, uint64_t sector)
{
    for (uint32_t at = 0; at < bytes; at += CHUNK) {
        uint32_t len = bytes - at < CHUNK ? bytes - at : CHUNK;
        struct io_seg s = { (uintptr_t)(buf + at), len };
        if (b->rw(b, write, sector + at / BLK_SECTOR, &s, 1) != IO_OK)
            return false;
    }
    return true;
}

void drivers_selftest_disk(void)
{
    struct blk_backend *b = io_blk(0);
    if (!b)
        finish(false, "the board has no disk");
    uint64_t disk = b->sectors * BLK_SECTOR;
    uint32_t bytes = disk < REGION ? (uint32_t)disk : REGION;
    uint8_t *buf = (uint8_t *)(uintptr_t)mem_alloc(REGION, PAGE_SIZE);
    if (!buf || !bytes)
        finish(false, "no memory, or an empty disk");

    unsigned n = uneven(buf, bytes, 1);
    console_printf("lodger: selftest: disk0: reading %u bytes in %u segments\n", bytes, n);
    if (b->rw(b, false, 0, segs, n) != IO_OK)
        finish(false, "read failed");
    print_digest("read", buf, bytes);
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256(buf, bytes, digest);

    if (!b->read_only) {
        for (uint32_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)(digest[k % 32] + 7 * (k / BLK_SECTOR) + k);
        n = uneven(buf, bytes, 2);
        if (b->rw(b, true, 0, segs, n) != IO_OK)
            finish(false, "write failed");
        enum io_status f = b->flush(b);
        if (f != IO_OK && f != IO_UNSUPPORTED)
            finish(false, "flush failed");
        memset(buf, 0, bytes);
        if (!chunks(b, false, buf, bytes, 0))
            finish(false, "read back failed");
        for (uint32_t k = 0; k < bytes; k++)
            if (buf[k] != (uint8_t)(digest[k % 32] + 7 * (k / BLK_SECTOR) + k))
                finish(false, "what was read back is not what was written");
        console_printf("lodger: selftest: disk0: wrote the pattern, flushed, read it back\n");
    }

    uint32_t measure = disk < MEASURE ? (uint32_t)disk & ~(BLK_SECTOR - 1) : MEASURE;
    struct counter_value before = counter_read_instret();
    for (uint32_t at = 0; at < measure; at += REGION) {
        uint32_t len = measure - at < REGION ? measure - at : REGION;
        if (!chunks(b, false, buf, len, at / BLK_SECTOR))
            finish(false, "read failed");
    }
    struct counter_value after = counter_read_instret();
    if (before.readable && after.readable && measure >= 1024 * 1024)
        console_printf("lodger: selftest: disk0: %lu instret per MiB read (%u MiB in %u KiB "
                       "requests)\n", (unsigned long)((after.value - before.value) / (measure >> 20)),
                       measure >> 20, CHUNK >> 10);
    finish(true, "");
}
