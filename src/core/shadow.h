/* Shadow page tables: what the guest really runs on. Each maps guest-virtual
 * to host-physical for one (guest satp, virtual mode) view, filled lazily on
 * faults, every guest mapping with PTE.U=1, plus the first portion (U=0). */
#ifndef LODGER_CORE_SHADOW_H
#define LODGER_CORE_SHADOW_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"
#include "core/guest_walk.h"
#include "core/shadow_pool.h"
#include "core/shadow_split.h"
#include "core/shadow_global.h"

#define SHADOW_CACHE_SIZE 32   /* at most 32: vcpu.frame_slots is a bit per slot */

/* A view: what the guest can reach depends on its mode, SUM and MXR. */
#define SHADOW_VIEW_S 1         /* virtual S-mode (else virtual U) */
#define SHADOW_VIEW_SUM 2       /* S-mode with sstatus.SUM */
#define SHADOW_VIEW_MXR 4       /* sstatus.MXR */

struct shadow {
    bool in_use;
    uint64_t guest_satp;        /* the guest's satp, ASID included (shadow_key_of) */
    int view;                   /* SHADOW_VIEW_* bits */
    struct page_table pt;
    uint16_t asid;
    uint64_t satp;              /* host satp value that runs this shadow */
    uint64_t last_used;
    uint32_t generation;        /* bumped when rebuilt or moved under: harts re-flush */
    bool stale;                 /* the guest flushed it: cleared before a vCPU uses it again */
    int32_t guest_asid;         /* the guest ASID its entries come from (its key's) */
    int guest_levels;           /* its key's translation levels (0: Bare; shadow_may_hold) */
    uint64_t roots_used[8];     /* root entries that may hold guest mappings (a clear visits
                                 * only these, a page fence skips a shadow without va's:
                                 * shadow_note_root at every install) */
    uint32_t frames;            /* the vCPUs (bit per id) whose frame page it maps: those that
                                 * may run on it (shadow_frames_follow) */
};

/* Issue 15, fork under patched code: a guest 2 MiB leaf that holds a
 * patched copy (core/patch.c) cannot be a shadow superpage (the copy's
 * page maps elsewhere, execute-only); each shadow would fill it page by
 * page, again in every new process. Instead its 512 shadow leaves are
 * built once into a table of their own, which every shadow whose guest
 * translation is the same (va, gpa, flags, view: the key) links at level
 * 1 (pt_link): one fill per block and process, as for a superpage. A
 * link is edited as a superpage leaf is (every guest fence drops it
 * whole); the table's content depends on its key and the VM's copies
 * only, so it is freed when a copy in its block is made or dropped. */
#define SHADOW_BLOCKS 32

struct shadow_block {
    uint64_t table;             /* host pa of its 512 leaves (0: slot free) */
    uint64_t va, gpa;           /* the 2 MiB block, as the guest maps it */
    uint64_t flags;             /* the leaves' flags where no copy is (view_flags) */
    int view;
    uint32_t linked;            /* cache slots whose shadow may link it */
    bool in_global;             /* a shared global table may link it (shadow_global.h) */
    uint64_t last_used;
};

struct shadow_cache {
    struct shadow entries[SHADOW_CACHE_SIZE];
    struct shadow_block blocks[SHADOW_BLOCKS];
    uint64_t blocks_built;      /* block tables built (ID 69) */
    uint64_t replacements;      /* shadows thrown away for a new one: every slot was in use
                                 * (ID 74; not budget evictions, shadow_pool.evictions) */
    uint64_t clock;
    uint64_t epoch;             /* bumped when an entry is made or dropped */
    uint64_t fence_seq;         /* bumped under vm->lock by every flush of guest mappings:
                                 * a fill whose walk began before one must not install */
    uint64_t plain_seq;         /* bumped with it by those that may reach FRAME_PLAIN_VA
                                 * (patch_plain_follow's cache) */
    struct shadow_pool pool;    /* the VM's budget: every shadow table page comes from it */
    struct pt_allocator alloc;  /* the shadows' tables' allocator: the pool */
    struct shadow_splits splits; /* guest superpages shadowed in pieces (shadow_split.h) */
    struct shadow_globals globals; /* the guest kernel's global mappings (shadow_global.h) */
};

struct vm;
struct vcpu;

/* The root entry of s that va is under may hold guest mappings (or
 * lodger's own page at a place the guest may map, core/patch.c): every
 * install of one notes it, under vm->lock. */
static inline unsigned shadow_root_of(const struct shadow *s, uint64_t va)
{
    return (unsigned)(va >> (12 + 9 * (s->pt.levels - 1))) & 511;
}

static inline void shadow_note_root(struct shadow *s, uint64_t va)
{
    unsigned root = shadow_root_of(s, va);
    s->roots_used[root / 64] |= 1UL << (root % 64);
}

/* The shadow for a guest satp and view, created if needed, made v's
 * (v->shadow, set under the VM's lock: a shadow a vCPU holds is never
 * released); NULL if it cannot be (out of memory, every shadow held). */
struct shadow *shadow_get(struct vcpu *v, uint64_t guest_satp, int view);
/* The same if it exists already, else NULL. */
struct shadow *shadow_find(struct vm *vm, uint64_t guest_satp, int view);
/* sfence.vma x0, x0: every shadow goes stale (shadow_use clears it before
 * a vCPU runs on it again: lazily, as only the views in use matter). */
void shadow_flush_all(struct vm *vm);
/* sfence.vma x0, asid: the shadows filled under that guest ASID go stale. */
void shadow_flush_asid(struct vm *vm, uint64_t asid);
/* A vCPU is about to run on s: clears it if stale. Called with vm->lock held. */
void shadow_use(struct vm *vm, struct shadow *s);
/* Frees every shadow of a VM that no longer runs (and the block tables). */
void shadow_destroy_all(struct vm *vm);
/* The VM's shadow budget: reserves pages host pages for its shadow tables
 * (vm_create); false if the host has not that much free. */
bool shadow_budget_init(struct vm *vm, uint64_t pages);
/* The host memory a budget of pages pages takes: the pages and their
 * occupancy summaries (core/shadow_pool.h). */
static inline uint64_t shadow_budget_bytes(uint64_t pages)
{
    return pages * SHADOW_POOL_PAGE + shadow_pool_summary_bytes(pages);
}
/* The budget is spent: frees the VM's own shadow state, under vm->lock.
 * The shadows no vCPU holds go first, least recently used first, until a
 * quarter of the budget is free (self: a vCPU in the second portion whose
 * own frame holds do not count, as in shadow_get; keep: the shadow being
 * filled or built, kept). With others_held (every other vCPU of the VM out
 * of guest mode, vm_hold_others: no hart walks any of its shadows), the
 * shadows still held are then emptied of their guest mappings and tables.
 * Returns whether any page was freed. */
bool shadow_reclaim(struct vm *vm, struct vcpu *self, const struct shadow *keep, bool others_held);
/* Prints the VM's shadow pages: in use, peak, budget, evictions. */
void shadow_print_stats(const struct vm *vm);
/* The block tables whose guest-physical 2 MiB block holds gpa or whose
 * virtual one holds va are unlinked from every shadow and freed: a copy
 * there was made or dropped (core/patch.c, with the VM's other vCPUs held
 * out of guest mode). The hart's TLB is flushed; the shadows that linked
 * one are re-flushed by every hart (generation), and the caller bumps
 * patching's unmap_gen (every vCPU's hart flushes at its next resume). */
void shadow_blocks_drop(struct vm *vm, uint64_t gpa, uint64_t va);
/* Every block table (patching switched on or off). */
void shadow_blocks_drop_all(struct vm *vm);
/* Drops the shadow mappings of the page at va (sfence.vma with an address):
 * in every shadow (asid SHADOW_ALL_ASIDS), or in those of one guest ASID. */
#define SHADOW_ALL_ASIDS (~0UL)
void shadow_flush_page(struct vm *vm, uint64_t va, uint64_t asid);
/* Drops the leaf that maps the page at va in every shadow (a superpage
 * whole), only where it maps host page hpa if hpa is not 0, and this
 * hart's TLB entries for va (patched copies, core/patch.c). */
void shadow_drop_page(struct vm *vm, uint64_t va, uint64_t hpa);
/* The same, vm->lock held. */
void shadow_drop_page_locked(struct vm *vm, uint64_t va, uint64_t hpa);
/* Result of trying to fill a shadow entry for a guest access. */
enum shadow_fill_result {
    SHADOW_FILLED,          /* mapping installed: retry the access */
    SHADOW_GUEST_FAULT,     /* the guest's own fault: *cause set */
    SHADOW_CONFLICT,        /* the access hits the first portion */
    SHADOW_MMIO,            /* the access reaches a device: *gpa set */
    SHADOW_NO_MEMORY,       /* no host memory for the shadow's tables */
    SHADOW_RACED,           /* inside shadow.c only: a fence or a first-portion move
                             * came between walk and install; nothing installed */
};
enum shadow_fill_result shadow_fill(struct vcpu *v, uint64_t va, enum access_type access,
                                    uint64_t *cause, uint64_t *gpa);
/* After v's own sfence.vma of the page at va (for asid, or
 * SHADOW_ALL_ASIDS), and shadow_flush_page: puts the guest's new
 * translation of that page into the shadows of v's address space, where
 * the guest's table gives it without any A/D update (issue 15). */
void shadow_refill_page(struct vcpu *v, uint64_t va, uint64_t asid);
/* Maps the first portion into a shadow: its code (U=0 X) and the frame
 * pages (U=0 RW) of the vCPUs in s->frames. */
bool shadow_map_first_portion(struct vm *vm, struct shadow *s);
/* Issue 12, defence in depth: v's frame page is mapped only in the shadows
 * v may run on until it next comes back to the second portion, on[0..count)
 * (NULL entries skipped): mapped where missing, unmapped from the others.
 * With vm->lock held, v off the hardware. False when out of host memory
 * (the caller ends the VM, its lock released). */
bool shadow_frames_follow(struct vm *vm, struct vcpu *v, struct shadow *const *on, int count);
#ifdef LODGER_CHECK_FAST
/* Checking builds, with vm->lock held, after shadow_frames_follow(vm, v,
 * on, count): each of on[] maps v's frame, and every shadow maps exactly
 * the frames of the vCPUs that may run on it (those whose last
 * shadow_frames_follow named it), each at its place and to its own page,
 * and every satp in v's frame is a shadow v holds (slot -1 if not).
 * Returns -1 if so, else the id of a vCPU whose frame is wrong, with *slot
 * its shadow's. */
int shadow_frames_check(const struct vm *vm, const struct vcpu *v, struct shadow *const *on,
                        int count, int *slot);
#endif

#endif
