/* Which part of a board disk a VM's virtio-blk device is (its configuration's
 * lodger,disk; tools/lodger-run writes it): the whole disk "D", its
 * partition "DpN" (GPT, or MBR primary 1..4), or a byte range "D@START+LEN"
 * (K/M/G suffixes, whole 512-byte sectors), each optionally ":ro". And the
 * rule between VMs: two slices of one disk that share a sector are allowed
 * only if both are read-only (a writable slice overlapping another VM's
 * read-only one is refused too: that VM would read data changing under its
 * caches). Pure C, host-tested in tests/host/test_disk_slice.c. */
#ifndef LODGER_DEV_DISK_SLICE_H
#define LODGER_DEV_DISK_SLICE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum disk_slice_kind { DISK_WHOLE, DISK_PARTITION, DISK_RANGE };

struct disk_spec {
    unsigned disk;                  /* the board's disk number */
    enum disk_slice_kind kind;
    unsigned partition;             /* DISK_PARTITION: 1.. */
    uint64_t start, length;         /* DISK_RANGE: bytes */
    bool read_only;
};

/* Parses a lodger,disk value; false with a reason in err if malformed. */
bool disk_spec_parse(const char *text, struct disk_spec *spec, char *err, size_t errlen);

/* Reads `sector` (512 bytes) of the disk into buf; false on an I/O error. */
typedef bool (*disk_read_fn)(void *ctx, uint64_t sector, void *buf);

/* The slice spec names on a disk of `sectors` sectors, in sectors: *start
 * and *count. For a partition, its table is read through `read`. False with
 * a one-line reason in err (no such partition, no partition table, the
 * range past the disk's end, ...). */
bool disk_spec_resolve(const struct disk_spec *spec, uint64_t sectors, disk_read_fn read,
                       void *ctx, uint64_t *start, uint64_t *count, char *err, size_t errlen);

/* A slice given to a VM. */
struct disk_claim {
    unsigned vm, disk;
    uint64_t start, count;          /* sectors */
    bool read_only;
};

/* The first of claims[0..n) that `c` may not coexist with (same disk,
 * sharing a sector, not both read-only), or NULL. */
const struct disk_claim *disk_claim_conflict(const struct disk_claim *claims, unsigned n,
                                             const struct disk_claim *c);

#endif
