/* Where the first portion goes when the guest wants its place (shared/
 * DESIGN.md, "Where the first portion lives"): the choice of a new region.
 * Pure C, host-tested in tests/host/test_reloc.c; the moving itself is in
 * core/first_portion.c. */
#ifndef LODGER_CORE_RELOC_H
#define LODGER_CORE_RELOC_H

#include <stdint.h>
#include <stdbool.h>

#define RELOC_RANDOM_TRIES 256

struct reloc_query {
    int host_levels;                /* the host's paging mode (3, 4, 5) */
    uint64_t size;                  /* the first portion's size */
    uint64_t current;               /* where it is now (never chosen again) */
    /* Whether [va, va+size) is usable: no guest mapping, nothing of lodger's. */
    bool (*range_free)(void *ctx, uint64_t va, uint64_t size);
    void *ctx;
};

/* A deterministic pseudo-random sequence (xorshift64*), seeded per VM. */
uint64_t reloc_random(uint64_t *state);
/* The preferred places, most likely free first: for each host mode, the
 * bottom of the kernel half plus 1 GiB, the top of the user half minus
 * 1 GiB, then the canonical edges of narrower modes. */
int reloc_candidates(int host_levels, uint64_t size, uint64_t *out, int max);
/* An unused region: a candidate, else a random canonical one that is free.
 * Returns false when none was found in RELOC_RANDOM_TRIES draws. */
bool reloc_find_free(const struct reloc_query *q, uint64_t *seed, uint64_t *va);
/* A random canonical page-aligned region (for displacement), never current. */
uint64_t reloc_random_region(const struct reloc_query *q, uint64_t *seed);

/* The settling policy (DESIGN step 4): counts emulated accesses per
 * interval; true when the current one has seen more than threshold, i.e.
 * the place is hot and the first portion should move on. */
struct settle {
    uint64_t interval_start, count;
};
bool reloc_settle_hot(struct settle *s, uint64_t now, uint64_t interval, uint64_t threshold);
void reloc_settle_reset(struct settle *s, uint64_t now);

#endif
