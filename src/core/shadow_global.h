/* Issue 15, fewer exits per fork: the guest kernel's global mappings,
 * shadowed once per VM instead of once per address space.
 *
 * Privileged spec 4.3.1 (PTE.G): "Global mappings are those that exist in
 * all address spaces"; 4.2.1: sfence.vma x0, asid need not flush them.
 * Linux marks every kernel mapping global and copies the kernel half of
 * its root into every process's table, so each new process's S views
 * refilled the same kernel pages, one exit each (~142 of the ~160 fills
 * of a fork+exit). Instead, a 1 GiB region of the guest's kernel is
 * shadowed in one table of the VM's (a host level-1 table, its 512 entries
 * 2 MiB leaves or tables of 4 KiB ones), which every S view whose walk
 * reaches the same guest table for that region links at its level-2 entry
 * (pt_link): the shared table.
 *
 * What goes in: only leaves with G=1 and U=0 (shadow_global_leaf), of an
 * S view without MXR (S and S with SUM see U=0 pages alike), from a walk
 * through the same guest level-1 table (the key: guest mode, region, that
 * table's address), so every translation in a shared table is the one
 * every address space that links it would find itself: the same guest
 * tables. A non-global leaf in a region a shadow links goes into a private
 * table of that shadow's (pt_map replaces the link: that shadow no longer
 * shares the region), so sfence.vma x0, asid, which only clears that
 * address space's shadows (dropping their links, never the shared table),
 * never leaves a non-global translation behind. Regions that hold any of
 * lodger's own mappings (the first portion's place with the frames, the
 * guest-RAM window, the plain CSR page at the very top) are never shared.
 *
 * Every removal reaches the shared tables: a guest's fence of a page or
 * of everything (whatever its ASID: a TLB may drop more), lodger's own
 * drops (patched copies), the split pieces of a guest superpage, the
 * first portion moving onto a region (its tables freed), the budget's
 * reclaim with the other vCPUs held (all freed), the VM's end or reboot.
 * All with vm->lock held, as every other shadow edit. */
#ifndef LODGER_CORE_SHADOW_GLOBAL_H
#define LODGER_CORE_SHADOW_GLOBAL_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"

#define SHADOW_GLOBALS 32
#define SHADOW_GLOBAL_LEVEL 2                   /* the host level whose entry links one */
#define SHADOW_GLOBAL_SIZE (1UL << 30)          /* the region one serves */

struct shadow_global {
    struct page_table pt;   /* over the region's offsets (shadow_global_local); root 0: free */
    uint64_t va;            /* the region, a host-canonical address */
    uint64_t l1_gpa;        /* the guest's level-1 table for it */
    int guest_levels;       /* the guest's mode */
    bool filled;            /* something was installed since it was last cleared */
};

struct shadow_globals {
    struct shadow_global slots[SHADOW_GLOBALS];
    uint64_t built;         /* shared tables built (ID 80) */
    int used;               /* slots [0, used) may hold one: what every fence looks at */
};

struct vm;
struct shadow;

/* A fill of va into s, under vm->lock: the shared table to install into,
 * linked into s now if it was not (*linked), or NULL: s's own tables.
 * shareable: the leaf may go into a shared table (shadow_global_leaf);
 * guest_levels and l1_gpa its walk's key. A shadow that links a table
 * whose key differs, or a leaf that may not be shared, gets NULL (pt_map
 * into s then replaces the link by a table of its own). */
struct shadow_global *shadow_global_target(struct vm *vm, struct shadow *s, uint64_t va,
                                           bool shareable, int guest_levels, uint64_t l1_gpa,
                                           bool *linked);
/* va's address in a shared table's pt (sign-extended from the region's top bit). */
uint64_t shadow_global_local(uint64_t va);
/* Clears the leaves in [va, va + size) of every shared table, or with hpa
 * only a 4 KiB leaf that maps hpa (shadow_drop_page). Whether any table
 * covers part of the range. */
bool shadow_global_unmap(struct vm *vm, uint64_t va, uint64_t size, uint64_t hpa);
/* Clears every shared table (sfence.vma x0, x0); false if there is none. */
bool shadow_global_clear_all(struct vm *vm);
/* Unlinks the block table at table (its 2 MiB at va) from every shared
 * table that links it, bumping every shadow's generation if one did; with
 * the other vCPUs held (core/shadow.c, block_free). */
void shadow_global_unlink(struct vm *vm, uint64_t va, uint64_t table);
/* Frees the shared tables whose region overlaps [va, va + size) (all:
 * every one), unlinked from every shadow, whose generation is bumped. Only
 * with no hart walking the VM's shadows (the other vCPUs held, or the VM
 * stopped). */
void shadow_global_free(struct vm *vm, bool all, uint64_t va, uint64_t size);

#endif
