/* Shadow page tables: what the guest really runs on. Each maps guest-virtual
 * to host-physical for one (guest satp, virtual mode) view, filled lazily on
 * faults, every guest mapping with PTE.U=1, plus the first portion (U=0). */
#ifndef LODGER_CORE_SHADOW_H
#define LODGER_CORE_SHADOW_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"
#include "core/guest_walk.h"

#define SHADOW_CACHE_SIZE 16

/* A view: what the guest can reach depends on its mode, SUM and MXR. */
#define SHADOW_VIEW_S 1         /* virtual S-mode (else virtual U) */
#define SHADOW_VIEW_SUM 2       /* S-mode with sstatus.SUM */
#define SHADOW_VIEW_MXR 4       /* sstatus.MXR */

struct shadow {
    bool in_use;
    uint64_t guest_satp;        /* MODE and PPN of the guest's table (ASID kept aside) */
    int view;                   /* SHADOW_VIEW_* bits */
    struct page_table pt;
    uint16_t asid;
    uint64_t satp;              /* host satp value that runs this shadow */
    uint64_t last_used;
    uint32_t generation;        /* bumped when rebuilt or moved under: harts re-flush */
};

struct shadow_cache {
    struct shadow entries[SHADOW_CACHE_SIZE];
    uint64_t clock;
};

struct vm;
struct vcpu;

/* The shadow for a guest satp and view, created if needed. */
struct shadow *shadow_get(struct vm *vm, uint64_t guest_satp, int view);
/* The same if it exists already, else NULL. */
struct shadow *shadow_find(struct vm *vm, uint64_t guest_satp, int view);
void shadow_flush_all(struct vm *vm);
/* Frees every shadow of a VM that no longer runs. */
void shadow_destroy_all(struct vm *vm);
/* Drops any shadow mapping of the page at va (sfence.vma with an address). */
void shadow_flush_page(struct vm *vm, uint64_t va);
/* Result of trying to fill a shadow entry for a guest access. */
enum shadow_fill_result {
    SHADOW_FILLED,          /* mapping installed: retry the access */
    SHADOW_GUEST_FAULT,     /* the guest's own fault: *cause set */
    SHADOW_CONFLICT,        /* the access hits the first portion */
    SHADOW_MMIO,            /* the access reaches a device: *gpa set */
};
enum shadow_fill_result shadow_fill(struct vcpu *v, uint64_t va, enum access_type access,
                                    uint64_t *cause, uint64_t *gpa);
/* Maps the first portion (code U=0 X, frames U=0 RW) into a shadow. */
bool shadow_map_first_portion(struct vm *vm, struct shadow *s);

#endif
