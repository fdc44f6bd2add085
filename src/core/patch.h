/* Patched guest-kernel code (issue 15). OpenSBI takes every illegal-
 * instruction trap in M-mode before redirecting it to lodger (~410
 * instructions), but delegates breakpoints. So the guest kernel's hot code
 * pages run from execute-only copies in which each instruction that traps
 * in U-mode (a CSR access, sret, sfence.vma, wfi) is an ebreak; the first
 * portion finds the site by its pc in the VM's site table (first/frame.h)
 * and serves the original instruction as if it had trapped (entry.S,
 * .Lfast_breakpoint). The guest cannot tell:
 *  - a copy is mapped X only (no R) and only in S-mode views without MXR:
 *    a load faults and its fill maps the original page instead;
 *  - while a copy exists no shadow maps its page writable: a store drops the
 *    copy first, as does any write lodger makes for the guest;
 *  - a copy runs only at the address where its sites were learned, and an
 *    executable mapping of another page there drops it: an ebreak the
 *    guest wrote is never taken for a site;
 *  - a trap at a site is its original instruction's (pc, stval = its bits).
 * Sites are learned from traps that really happened (the instruction start
 * is then known), and the run of trapping instructions right after one.
 * Only VMs with one vCPU patch for now: creating or dropping a copy flushes
 * every shadow of the VM on this hart only. */
#ifndef LODGER_CORE_PATCH_H
#define LODGER_CORE_PATCH_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"
#include "core/guest_walk.h"
#include "first/frame.h"
#include "core/first_portion.h"

#define PATCH_MAX_SITES 96          /* under 3/4 of the FRAME_SITES slots */
#define PATCH_MAX_COPIES 64
#define PATCH_RAM_PAGES (128UL << 20 >> 12)    /* guest RAM pages a copy may be of */

struct patch_copy {
    uint64_t gpa, va;           /* the original page, and where it runs as a copy */
    uint64_t hpa;               /* the copy (0: slot free) */
};

struct patch_site {
    uint64_t pc;
    uint32_t insn;
    int copy;
};

struct patch_stats {
    uint64_t sites;             /* sites patched (each once) */
    uint64_t copies;            /* copies made */
    uint64_t dropped_write;     /* copies dropped by a guest write to their page */
    uint64_t dropped_alias;     /* copies dropped: another page executable at their place */
    uint64_t refused;           /* learned sites that could not be patched */
    uint64_t flushes;           /* every shadow flushed: a new copy's page was writable */
    uint64_t remapped;          /* known sites that trapped: their place mapped the original */
    uint64_t restarts;          /* every copy dropped: full, or sites in another upper half */
};

struct patch_state {
    bool on;
    int site_count, copy_count;
    uint64_t high;              /* the upper half of every site's pc */
    struct patch_site sites[PATCH_MAX_SITES];
    struct patch_copy copies[PATCH_MAX_COPIES];
    uint64_t has_copy[PATCH_RAM_PAGES / 64];    /* by guest RAM page */
    uint64_t va_blocks;                         /* bit (va >> 21) % 64 of each copy's va */
    uint64_t writable[PATCH_RAM_PAGES / 64];    /* mapped writable since the last flush */
    uint64_t table[FRAME_SITES];                /* as every vCPU's frame holds it */
    uint64_t version;                           /* bumped when table or high change */
    uint64_t synced[FIRST_MAX_VCPUS];           /* the version each vCPU's frame has */
    struct patch_stats stats;
};

struct vm;
struct vcpu;

/* At VM creation and reboot: no copy, on as the image says. */
void patch_reset(struct vm *vm, bool on);
/* The guest kernel trapped on insn at pc (an illegal instruction, served;
 * or a patched site's ebreak, which the first portion made one) while on
 * shadow ran_on: patches the site, and the trapping instructions right
 * after it. */
struct shadow;
void patch_learn(struct vcpu *v, const struct shadow *ran_on, uint64_t pc, uint32_t insn);
/* A shadow fill of va (guest-physical gpa) for access, with the leaf size
 * and flags it would install: drops a copy the access must not keep, makes
 * size and flags what copies allow, and returns the host page to map
 * instead of the original (a copy), else 0. */
uint64_t patch_fill(struct vcpu *v, uint64_t va, enum access_type access, uint64_t gpa,
                    uint64_t *size, pte_t *flags, bool *block);
/* *block (from patch_fill): the fill was of a 2 MiB guest leaf that holds
 * a copy, shrunk to 4 KiB; instead the shadow may link the block's shared
 * table (shadow.h, struct shadow_block), whose leaves this builds: for
 * each page of [va, va+2 MiB) -> [gpa, ...) with flags (view_flags), what
 * patch_fill would give a fill of that page: its copy execute-only where a
 * fetch would run it, else the original, never writable with a copy. The
 * accessed page's leaf allows the access (*block is false otherwise). */
struct vm;
void patch_block_leaves(const struct vm *vm, int view, uint64_t va, uint64_t gpa, pte_t flags,
                        pte_t *table);
/* Whether a shadow fill that no guest access asked for (beside a fill,
 * at a fence: shadow.c) may map the 4 KiB page at gpa with flags in a
 * virtual-U view: not a page with a copy (its fills go through
 * patch_fill); a writable one is noted as a fill's is. */
bool patch_may_map(struct vm *vm, uint64_t gpa, pte_t flags);
/* lodger wrote [gpa, gpa+len) of guest memory for the guest. */
void patch_guest_wrote(struct vm *vm, uint64_t gpa, uint64_t len);
/* The frame fields of patching, for vCPU id about to run on frame f. */
void patch_frame_sync(struct vm *vm, int id, struct trap_frame *f);
void patch_print_stats(const struct vm *vm);

#endif
