/* The first portion's place in the guest's address space: conflict
 * detection, relocation, and its counters (shared/DESIGN.md). */
#ifndef LODGER_CORE_FIRST_PORTION_H
#define LODGER_CORE_FIRST_PORTION_H

#include <stdint.h>
#include <stdbool.h>
#include "core/guest_walk.h"

#define FIRST_LATENCY_SAMPLES 64

enum reloc_reason {
    RELOC_TO_UNUSED,        /* a conflict, and an unused region was found */
    RELOC_TO_RANDOM,        /* a conflict, no unused region: displaced content */
    RELOC_SETTLE,           /* the displaced region was too busy */
    RELOC_FETCH,            /* the guest executed displaced content */
    RELOC_REASONS,
};

struct first_portion_stats {
    uint64_t conflicts;
    uint64_t relocations[RELOC_REASONS];
    uint64_t emulated;              /* guest accesses to displaced content */
    uint32_t latency[FIRST_LATENCY_SAMPLES];    /* conflict fault -> resume, timer ticks */
    unsigned latency_count;
};

struct vm;
struct vcpu;

/* The guest touched va inside the first portion. Returns true if that is a
 * conflict (the guest's own translation allows the access); false with
 * *cause set when it is the guest's own fault. */
bool first_portion_is_conflict(struct vcpu *v, uint64_t va, enum access_type access,
                               uint64_t *cause);
/* Resolves a conflict at va: moves the first portion away. trap_time is the
 * time CSR value when the trap was taken, for the latency figures. */
void first_portion_resolve(struct vcpu *v, uint64_t va, uint64_t trap_time);
/* Moves the first portion of vm to new_va in every table that maps it. */
void first_portion_move(struct vm *vm, uint64_t new_va, enum reloc_reason why);
void first_portion_print_stats(const struct vm *vm);

#endif
