/* Guest superpages that lodger shadows in pieces.
 *
 * A guest leaf of 2 MiB or more is shadowed by one leaf of the same size
 * where it can be; where not (the guest's page reaches past its RAM, holds
 * the first portion or a patched copy, or is not aligned in host memory),
 * by smaller leaves, filled one at a time as the guest touches them. The
 * guest's sfence.vma of any one address in its superpage must then drop
 * every piece: the fence invalidates the cached translations "that contain
 * leaf page table entries corresponding to the virtual address" (privileged
 * spec 4.2.1), and the one superpage PTE is the leaf of every address in
 * it. Nothing in the shadow at the fenced address says how big the guest's
 * leaf was (that piece may never have been filled), so each VM notes the
 * guest leaves it shadowed in pieces: a fence inside a noted one drops the
 * whole of it (core/shadow.c, shadow_flush_page).
 *
 * The table is bounded: noting one more when it is full hands back the
 * least recently noted, whose pieces the caller unmaps from every shadow
 * (under the same lock) so that no piece is ever outside a noted region.
 *
 * Pure C, host-tested in tests/host/test_shadow_split.c. */
#ifndef LODGER_CORE_SHADOW_SPLIT_H
#define LODGER_CORE_SHADOW_SPLIT_H

#include <stdint.h>
#include <stdbool.h>

#define SHADOW_SPLITS 32

struct shadow_split {
    uint64_t va;        /* the guest leaf's first address (aligned to size) */
    uint64_t size;      /* a power of two, at least 2 MiB; 0: a free entry */
    uint64_t last_used;
};

struct shadow_splits {
    struct shadow_split e[SHADOW_SPLITS];
    unsigned used;      /* entries taken: none, and a fence looks no further */
};

/* Notes the guest leaf [va, va + size) as shadowed in pieces, at time now.
 * Returns true, with *evicted, when the table was full and that entry made
 * room: its pieces must go from every shadow. */
bool shadow_split_note(struct shadow_splits *t, uint64_t va, uint64_t size, uint64_t now,
                       struct shadow_split *evicted);
/* The widest noted leaf that holds va (noted leaves holding one address
 * nest, being aligned powers of two): true with *lo and *size. */
bool shadow_split_find(const struct shadow_splits *t, uint64_t va, uint64_t *lo, uint64_t *size);
/* Forgets every entry (the VM's shadows are all gone). */
void shadow_split_reset(struct shadow_splits *t);

/* The parts of [lo, lo + size) outside the holes (n of them, each
 * {start, size}), in address order: at most n + 1, written to out as
 * {start, size}; returns how many. Arithmetic modulo 2^64 (a range may end
 * at 2^64), as first_ranges_overlap. */
unsigned shadow_range_minus(uint64_t lo, uint64_t size, const uint64_t holes[][2], unsigned n,
                            uint64_t out[][2]);

#endif
