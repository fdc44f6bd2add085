/* Host tests for a VM's slice of a board disk (src/dev/disk_slice.c): the
 * lodger,disk spec, partitions found by GPT and MBR (and every broken or
 * missing table refused with its reason), ranges past the disk's end, and
 * the rule that writable slices of different VMs never share a sector. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/disk_slice.h"

#define SECTORS 4096u
static uint8_t disk[SECTORS][512];
static unsigned reads;
static uint64_t read_fails_at = UINT64_MAX;

static bool read_sector(void *ctx, uint64_t sector, void *buf)
{
    (void)ctx;
    reads++;
    assert_true(sector < SECTORS);      /* never past the disk */
    if (sector == read_fails_at)
        return false;
    memcpy(buf, disk[sector], 512);
    return true;
}

static int setup(void **state)
{
    (void)state;
    memset(disk, 0, sizeof(disk));
    reads = 0;
    read_fails_at = UINT64_MAX;
    return 0;
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void mbr_entry(unsigned n, uint8_t type, uint32_t start, uint32_t count)
{
    uint8_t *e = disk[0] + 446 + 16 * (n - 1);
    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, count);
    disk[0][510] = 0x55;
    disk[0][511] = 0xaa;
}

/* A GPT with 128 entries of entry_size bytes from sector 2. */
static void gpt(uint32_t entry_size)
{
    mbr_entry(1, 0xee, 1, SECTORS - 1);
    memcpy(disk[1], "EFI PART", 8);
    put64(disk[1] + 72, 2);
    put32(disk[1] + 80, 128);
    put32(disk[1] + 84, entry_size);
}

static void gpt_entry(unsigned n, uint32_t entry_size, uint64_t first, uint64_t last)
{
    uint64_t off = (uint64_t)(n - 1) * entry_size;
    uint8_t *e = disk[2 + off / 512] + off % 512;
    memset(e, 0xab, 16);    /* some type GUID */
    put64(e + 32, first);
    put64(e + 40, last);
}

static struct disk_spec parse(const char *text)
{
    struct disk_spec s;
    char err[128];
    if (!disk_spec_parse(text, &s, err, sizeof(err)))
        fail_msg("\"%s\" refused: %s", text, err);
    return s;
}

static void refused_spec(const char *text, const char *want)
{
    struct disk_spec s;
    char err[128] = "";
    assert_false(disk_spec_parse(text, &s, err, sizeof(err)));
    if (!strstr(err, want))
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

static bool resolve(const char *text, uint64_t *start, uint64_t *count, char *err)
{
    struct disk_spec s = parse(text);
    return disk_spec_resolve(&s, SECTORS, read_sector, NULL, start, count, err, 128);
}

static void resolved(const char *text, uint64_t want_start, uint64_t want_count)
{
    uint64_t start = 0, count = 0;
    char err[128] = "";
    if (!resolve(text, &start, &count, err))
        fail_msg("\"%s\" refused: %s", text, err);
    assert_int_equal(start, want_start);
    assert_int_equal(count, want_count);
}

static void unresolved(const char *text, const char *want)
{
    uint64_t start, count;
    char err[128] = "";
    assert_false(resolve(text, &start, &count, err));
    if (!strstr(err, want))
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

static void specs(void **state)
{
    (void)state;
    struct disk_spec s = parse("0");
    assert_int_equal(s.disk, 0);
    assert_int_equal(s.kind, DISK_WHOLE);
    assert_false(s.read_only);
    s = parse("3p12:ro");
    assert_int_equal(s.disk, 3);
    assert_int_equal(s.kind, DISK_PARTITION);
    assert_int_equal(s.partition, 12);
    assert_true(s.read_only);
    s = parse("1@1M+64K");
    assert_int_equal(s.kind, DISK_RANGE);
    assert_int_equal(s.start, 1 << 20);
    assert_int_equal(s.length, 64 << 10);
    s = parse("0@0+2G:ro");
    assert_int_equal(s.length, 2ull << 30);
    assert_true(s.read_only);

    refused_spec("", "disk number");
    refused_spec("p1", "disk number");
    refused_spec("0p0", "partition number is 1 or more");
    refused_spec("0p", "partition number");
    refused_spec("0@512", "give D@START+LEN");
    refused_spec("0@512+0", "LEN not 0");
    refused_spec("0@100+512", "whole 512-byte sectors");
    refused_spec("0@0+99999999999999999999", "give D@START+LEN");
    refused_spec("0@0+17179869184G", "give D@START+LEN");      /* overflows 2^64 */
    refused_spec("0:rw", "unexpected");
    refused_spec("0:ro:ro", "unexpected");
    refused_spec("0 ", "unexpected");
}

static void whole_and_ranges(void **state)
{
    (void)state;
    resolved("0", 0, SECTORS);
    resolved("0@0+2M", 0, SECTORS);
    resolved("0@1K+1K", 2, 2);
    resolved("0@2047K+1K", SECTORS - 2, 2);
    unresolved("0@2047K+2K", "do not fit the disk");
    unresolved("0@2M+512", "do not fit the disk");
    unresolved("0@16G+512", "do not fit the disk");
    assert_int_equal(reads, 0);
}

static void mbr_partitions(void **state)
{
    (void)state;
    mbr_entry(1, 0x83, 2048, 1024);
    mbr_entry(3, 0x0c, 100, 10);
    resolved("0p1", 2048, 1024);
    resolved("0p3:ro", 100, 10);
    unresolved("0p2", "partition 2 is unused");
    unresolved("0p5", "logical ones are not supported");
    mbr_entry(4, 0x83, 4000, 97);       /* one past the end */
    unresolved("0p4", "not inside the disk");
    mbr_entry(4, 0x83, 0xffffffffu, 0xffffffffu);
    unresolved("0p4", "not inside the disk");
}

static void no_table(void **state)
{
    (void)state;
    unresolved("0p1", "no partition table");
    read_fails_at = 0;
    unresolved("0p1", "cannot read its sector 0");
}

static void gpt_partitions(void **state)
{
    (void)state;
    gpt(128);
    gpt_entry(1, 128, 34, 2047);
    gpt_entry(2, 128, 2048, SECTORS - 34);
    gpt_entry(7, 128, 100, 100);        /* entries 3..6 unused: numbers are slots */
    resolved("0p1", 34, 2014);
    resolved("0p2", 2048, SECTORS - 34 - 2048 + 1);
    resolved("0p7", 100, 1);
    unresolved("0p3", "partition 3 is unused");
    unresolved("0p129", "has 128 entries, no partition 129");
    gpt_entry(8, 128, 10, 9);
    unresolved("0p8", "not inside the disk");
    gpt_entry(8, 128, 10, SECTORS);
    unresolved("0p8", "not inside the disk");
    /* Entries of 256 bytes, the 5th in the next sector. */
    memset(disk[2], 0, 512 * 4);
    gpt(256);
    gpt_entry(5, 256, 40, 49);
    resolved("0p5", 40, 10);
}

static void broken_gpts(void **state)
{
    (void)state;
    gpt(128);
    gpt_entry(1, 128, 34, 100);
    put32(disk[1] + 84, 100);
    unresolved("0p1", "entries of 100 bytes");
    put32(disk[1] + 84, 128);
    put64(disk[1] + 72, SECTORS);   /* its entries past the disk */
    unresolved("0p1", "cannot read its GPT entry 1");
    put64(disk[1] + 72, UINT64_MAX);
    unresolved("0p1", "cannot read its GPT entry 1");
    put64(disk[1] + 72, 0);         /* entries over the MBR */
    unresolved("0p1", "cannot read its GPT entry 1");
    put64(disk[1] + 72, 2);
    read_fails_at = 1;
    unresolved("0p1", "cannot read its GPT header");
    read_fails_at = UINT64_MAX;
    memcpy(disk[1], "NOT PART", 8);
    unresolved("0p1", "no GPT header");
}

static void claims(void **state)
{
    (void)state;
    const struct disk_claim c[] = {
        { .vm = 0, .disk = 0, .start = 0, .count = 100 },
        { .vm = 1, .disk = 0, .start = 200, .count = 100, .read_only = true },
        { .vm = 2, .disk = 1, .start = 0, .count = 1000 },
    };
    struct disk_claim n = { .vm = 3, .disk = 0, .start = 100, .count = 100 };
    assert_null(disk_claim_conflict(c, 3, &n));             /* just after vm0's */
    n.start = 99;
    assert_ptr_equal(disk_claim_conflict(c, 3, &n), &c[0]); /* shares sector 99 */
    n.read_only = true;
    assert_ptr_equal(disk_claim_conflict(c, 3, &n), &c[0]); /* read-only over writable */
    n.start = 250;
    assert_null(disk_claim_conflict(c, 3, &n));             /* read-only over read-only */
    n.read_only = false;
    assert_ptr_equal(disk_claim_conflict(c, 3, &n), &c[1]); /* writable over read-only */
    n.disk = 2;
    assert_null(disk_claim_conflict(c, 3, &n));             /* another disk */
    n = (struct disk_claim){ .vm = 3, .disk = 1, .start = UINT64_MAX - 9, .count = 10 };
    assert_null(disk_claim_conflict(c, 3, &n));
    n = (struct disk_claim){ .vm = 3, .disk = 1, .start = 999, .count = UINT64_MAX - 999 };
    assert_ptr_equal(disk_claim_conflict(c, 3, &n), &c[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(specs, setup),
        cmocka_unit_test_setup(whole_and_ranges, setup),
        cmocka_unit_test_setup(mbr_partitions, setup),
        cmocka_unit_test_setup(no_table, setup),
        cmocka_unit_test_setup(gpt_partitions, setup),
        cmocka_unit_test_setup(broken_gpts, setup),
        cmocka_unit_test_setup(claims, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
