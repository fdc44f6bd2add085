/* A VM's slice of a board disk (dev/disk_slice.h): its spec, its place on
 * the disk (GPT per UEFI 2.x chapter 5.3, or an MBR's primary entries), and
 * the overlap rule between VMs. Everything on the disk is checked before
 * use: a table is the board's, but a broken one must give a clear refusal. */
#include <stdio.h>
#include <string.h>
#include "dev/disk_slice.h"

#define SECTOR 512u

static bool number(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

/* A byte count with an optional K, M or G (powers of 1024). */
static bool size(const char **p, uint64_t *out)
{
    if (!number(p, out))
        return false;
    unsigned shift = **p == 'K' ? 10 : **p == 'M' ? 20 : **p == 'G' ? 30 : 0;
    if (shift) {
        if (*out > UINT64_MAX >> shift)
            return false;
        *out <<= shift;
        (*p)++;
    }
    return true;
}

bool disk_spec_parse(const char *text, struct disk_spec *spec, char *err, size_t errlen)
{
    const char *p = text;
    uint64_t v;
    memset(spec, 0, sizeof(*spec));
    if (!number(&p, &v) || v > 1000) {
        snprintf(err, errlen, "\"%s\" does not start with a disk number", text);
        return false;
    }
    spec->disk = (unsigned)v;
    spec->kind = DISK_WHOLE;
    if (*p == 'p') {
        p++;
        if (!number(&p, &v) || v == 0 || v > 0xffffffffu) {
            snprintf(err, errlen, "\"%s\": a partition number is 1 or more", text);
            return false;
        }
        spec->kind = DISK_PARTITION;
        spec->partition = (unsigned)v;
    } else if (*p == '@') {
        p++;
        if (!size(&p, &spec->start) || *p++ != '+' || !size(&p, &spec->length)) {
            snprintf(err, errlen, "\"%s\": give D@START+LEN (bytes, K/M/G)", text);
            return false;
        }
        if (spec->start % SECTOR || spec->length % SECTOR || !spec->length) {
            snprintf(err, errlen, "\"%s\": START and LEN are whole 512-byte sectors, LEN not 0",
                     text);
            return false;
        }
        spec->kind = DISK_RANGE;
    }
    if (!strcmp(p, ":ro")) {
        spec->read_only = true;
        p += 3;
    }
    if (*p) {
        snprintf(err, errlen, "\"%s\": unexpected \"%s\" (give D, DpN or D@START+LEN, then :ro)",
                 text, p);
        return false;
    }
    return true;
}

static uint32_t le32(const uint8_t *b)
{
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
    return le32(b) | (uint64_t)le32(b + 4) << 32;
}

static bool gpt_partition(unsigned n, uint64_t sectors, disk_read_fn read, void *ctx,
                          uint64_t *start, uint64_t *count, char *err, size_t errlen)
{
    uint8_t s[SECTOR];
    if (!read(ctx, 1, s)) {
        snprintf(err, errlen, "cannot read its GPT header");
        return false;
    }
    if (memcmp(s, "EFI PART", 8)) {
        snprintf(err, errlen, "its protective MBR names a GPT, but sector 1 is no GPT header");
        return false;
    }
    uint64_t entries = le64(s + 72);
    uint32_t number = le32(s + 80), entry_size = le32(s + 84);
    /* UEFI: 128 * 2^k bytes; more than a sector is not worth supporting. */
    if (entry_size != 128 && entry_size != 256 && entry_size != 512) {
        snprintf(err, errlen, "its GPT has entries of %u bytes", (unsigned)entry_size);
        return false;
    }
    if (n > number) {
        snprintf(err, errlen, "its GPT has %u entries, no partition %u", (unsigned)number, n);
        return false;
    }
    uint64_t offset = (uint64_t)(n - 1) * entry_size;
    uint64_t at = entries + offset / SECTOR;
    if (entries < 2 || at < entries || at >= sectors || !read(ctx, at, s)) {
        snprintf(err, errlen, "cannot read its GPT entry %u", n);
        return false;
    }
    const uint8_t *e = s + offset % SECTOR;
    static const uint8_t unused[16];
    uint64_t first = le64(e + 32), last = le64(e + 40);
    if (!memcmp(e, unused, 16)) {
        snprintf(err, errlen, "its partition %u is unused", n);
        return false;
    }
    if (first > last || last >= sectors) {
        snprintf(err, errlen, "its partition %u (sectors %llu..%llu) is not inside the disk", n,
                 (unsigned long long)first, (unsigned long long)last);
        return false;
    }
    *start = first;
    *count = last - first + 1;
    return true;
}

static bool partition(unsigned n, uint64_t sectors, disk_read_fn read, void *ctx,
                      uint64_t *start, uint64_t *count, char *err, size_t errlen)
{
    uint8_t s[SECTOR];
    if (!read(ctx, 0, s)) {
        snprintf(err, errlen, "cannot read its sector 0");
        return false;
    }
    if (s[510] != 0x55 || s[511] != 0xaa) {
        snprintf(err, errlen, "it has no partition table");
        return false;
    }
    for (unsigned i = 0; i < 4; i++)
        if (s[446 + 16 * i + 4] == 0xee)
            return gpt_partition(n, sectors, read, ctx, start, count, err, errlen);
    if (n > 4) {
        snprintf(err, errlen, "its MBR has primary partitions 1..4 only (logical ones are not "
                 "supported)");
        return false;
    }
    const uint8_t *e = s + 446 + 16 * (n - 1);
    uint64_t first = le32(e + 8), length = le32(e + 12);
    if (e[4] == 0 || length == 0) {
        snprintf(err, errlen, "its partition %u is unused", n);
        return false;
    }
    if (first >= sectors || length > sectors - first) {
        snprintf(err, errlen, "its partition %u (sectors %llu+%llu) is not inside the disk", n,
                 (unsigned long long)first, (unsigned long long)length);
        return false;
    }
    *start = first;
    *count = length;
    return true;
}

bool disk_spec_resolve(const struct disk_spec *spec, uint64_t sectors, disk_read_fn read,
                       void *ctx, uint64_t *start, uint64_t *count, char *err, size_t errlen)
{
    switch (spec->kind) {
    case DISK_WHOLE:
        *start = 0;
        *count = sectors;
        return true;
    case DISK_PARTITION:
        return partition(spec->partition, sectors, read, ctx, start, count, err, errlen);
    case DISK_RANGE:
        if (spec->start / SECTOR > sectors || spec->length / SECTOR > sectors - spec->start / SECTOR) {
            snprintf(err, errlen, "bytes %llu+%llu do not fit the disk (%llu bytes)",
                     (unsigned long long)spec->start, (unsigned long long)spec->length,
                     (unsigned long long)(sectors * SECTOR));
            return false;
        }
        *start = spec->start / SECTOR;
        *count = spec->length / SECTOR;
        return true;
    }
    return false;
}

const struct disk_claim *disk_claim_conflict(const struct disk_claim *claims, unsigned n,
                                             const struct disk_claim *c)
{
    for (unsigned i = 0; i < n; i++) {
        const struct disk_claim *o = &claims[i];
        if (o->disk != c->disk || (o->read_only && c->read_only) || !o->count || !c->count)
            continue;
        /* By last sectors: start + count never wraps (checked against the disk). */
        if (o->start <= c->start + (c->count - 1) && c->start <= o->start + (o->count - 1))
            return o;
    }
    return NULL;
}
