/* The first portion's place in the guest's address space: conflict
 * detection, relocation, and its counters (shared/DESIGN.md). */
#ifndef LODGER_CORE_FIRST_PORTION_H
#define LODGER_CORE_FIRST_PORTION_H

#include <stdint.h>
#include <stdbool.h>
#include "core/guest_walk.h"
#include "core/reloc.h"
#include "core/trap_result.h"

#define FIRST_LATENCY_SAMPLES 64

enum reloc_reason {
    RELOC_TO_UNUSED,        /* a conflict, and an unused region was found */
    RELOC_TO_RANDOM,        /* a conflict, no unused region: displaced content */
    RELOC_SETTLE,           /* the displaced region was too busy */
    RELOC_FETCH,            /* the guest executed displaced content */
    RELOC_REASONS,
};

#define FIRST_HISTORY 4             /* recent places not to go back to */

struct first_portion_stats {
    uint64_t conflicts;
    uint64_t relocations[RELOC_REASONS];
    uint64_t emulated;              /* guest accesses to displaced content */
    uint32_t latency[FIRST_LATENCY_SAMPLES];    /* conflict fault -> resume, timer ticks */
    unsigned latency_count;
};

/* Where the first portion has been, and whether it sits on guest content. */
struct first_portion_state {
    bool displaced;                 /* the guest maps the current place too */
    uint64_t history[FIRST_HISTORY];
    unsigned history_count;
    struct settle settle;           /* emulated accesses in the current interval */
};

struct vm;
struct vcpu;

/* The guest touched va inside the first portion. Returns true if that is a
 * conflict (the guest's own translation allows the access); false with
 * *cause set when it is the guest's own fault. */
bool first_portion_is_conflict(struct vcpu *v, uint64_t va, enum access_type access,
                               uint64_t *cause);
struct trap;
/* Resolves a conflict: moves the first portion away, or, while it sits on
 * displaced content, emulates the access. Returns TRAP_NEXT if the guest's
 * pc moves on (access emulated), TRAP_RETRY to retry the instruction,
 * TRAP_REDIRECTED if a fault was delivered, TRAP_EXIT when out of memory. */
enum trap_result first_portion_resolve(struct vcpu *v, struct trap *t, enum access_type access);
/* Moves the first portion of vm to new_va in every table that maps it;
 * false when out of memory (the VM must end). */
bool first_portion_move(struct vm *vm, uint64_t new_va, enum reloc_reason why);
void first_portion_print_stats(const struct vm *vm);

#endif
