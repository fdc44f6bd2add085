/* The VM's shared tables of the guest kernel's global mappings
 * (core/shadow_global.h). Every function here runs with vm->lock held. */
#include "core/shadow_global.h"
#include "core/shadow.h"
#include "core/shadow_rules.h"
#include "core/vm.h"
#include "arch/riscv/csr.h"

#define REGION_BITS 30
_Static_assert(SHADOW_GLOBAL_SIZE == 1UL << REGION_BITS, "one region per host level-2 entry");

uint64_t shadow_global_local(uint64_t va)
{
    /* A table of levels 2 takes the canonical addresses of 30 bits. */
    return (uint64_t)((int64_t)(va << (64 - REGION_BITS)) >> (64 - REGION_BITS));
}

static struct shadow_global *linked_by(struct vm *vm, uint64_t table)
{
    for (int i = 0; i < vm->shadows.globals.used; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        if (g->pt.root && g->pt.root == table)
            return g;
    }
    return NULL;
}

static struct shadow_global *find_or_build(struct vm *vm, uint64_t region, int guest_levels,
                                           uint64_t l1_gpa)
{
    struct shadow_global *free_slot = NULL;
    for (int i = 0; i < SHADOW_GLOBALS; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        if (!g->pt.root) {
            if (!free_slot)
                free_slot = g;
        } else if (g->va == region && g->l1_gpa == l1_gpa && g->guest_levels == guest_levels) {
            return g;
        }
    }
    /* Every slot taken: the region stays in each shadow's own tables
     * (freeing one needs the other vCPUs out of guest mode). From the
     * VM's budget, as every shadow table: when it is spent, the same. */
    if (!free_slot || !pt_create(&free_slot->pt, 2, &vm->shadows.alloc)) {
        if (free_slot)
            free_slot->pt.root = 0;
        return NULL;
    }
    int slot = (int)(free_slot - vm->shadows.globals.slots);
    if (slot >= vm->shadows.globals.used)
        vm->shadows.globals.used = slot + 1;
    free_slot->va = region;
    free_slot->l1_gpa = l1_gpa;
    free_slot->guest_levels = guest_levels;
    vm->shadows.globals.built++;
    return free_slot;
}

struct shadow_global *shadow_global_target(struct vm *vm, struct shadow *s, uint64_t va,
                                           bool shareable, int guest_levels, uint64_t l1_gpa,
                                           bool *linked)
{
    uint64_t region = va & ~(SHADOW_GLOBAL_SIZE - 1);
    *linked = false;
    if (s->pt.levels <= SHADOW_GLOBAL_LEVEL)
        return NULL;
    uint64_t table = pt_link_at(&s->pt, region, SHADOW_GLOBAL_LEVEL);
    if (table) {
        struct shadow_global *g = linked_by(vm, table);
        if (!g || !shareable || g->va != region || g->l1_gpa != l1_gpa ||
            g->guest_levels != guest_levels)
            return NULL;
        g->filled = true;   /* the caller installs into it */
        return g;
    }
    /* Only a region s holds nothing of its own in (its first fill there). */
    if (!shareable || pt_has_table(&s->pt, region, SHADOW_GLOBAL_LEVEL) ||
        pt_lookup(&s->pt, region, NULL) ||
        !shadow_global_region_ok(region, first_portion_place(&vm->first), vm->first.window_va,
                                 vm->first.window_size, FRAME_PLAIN_VA))
        return NULL;
    struct shadow_global *g = find_or_build(vm, region, guest_levels, l1_gpa);
    if (!g || !pt_link(&s->pt, region, SHADOW_GLOBAL_LEVEL, g->pt.root))
        return NULL;
    shadow_note_root(s, region);
    *linked = true;
    g->filled = true;
    return g;
}

/* The part of [va, va + size) in g's region, as offsets: false if none.
 * A shared region never ends at 2^64 (the top one holds FRAME_PLAIN_VA);
 * a range may (its end computes as 0). */
static bool clip(const struct shadow_global *g, uint64_t va, uint64_t size, uint64_t *off,
                 uint64_t *len)
{
    if (!first_ranges_overlap(g->va, SHADOW_GLOBAL_SIZE, va, size))
        return false;
    uint64_t end = va + size < va || va + size == 0 ? UINT64_MAX : va + size;
    uint64_t lo = va > g->va ? va : g->va, hi = g->va + SHADOW_GLOBAL_SIZE;
    if (end < hi)
        hi = end;
    *off = lo - g->va;
    *len = hi - lo;
    return hi > lo;
}

/* Clears [off, off + len) of a region's offsets: its two halves are
 * separate canonical ranges of the table. */
static void unmap_offsets(struct shadow_global *g, uint64_t off, uint64_t len)
{
    const uint64_t half = SHADOW_GLOBAL_SIZE / 2;
    if (off < half) {
        uint64_t n = len < half - off ? len : half - off;
        pt_unmap(&g->pt, off, n);
        off += n;
        len -= n;
    }
    if (len)
        pt_unmap(&g->pt, shadow_global_local(off), len);
}

bool shadow_global_unmap(struct vm *vm, uint64_t va, uint64_t size, uint64_t hpa)
{
    bool any = false;
    /* Most calls are a guest's fence of one page (Linux at boot: ~90 000). */
    uint64_t region = size <= PAGE_SIZE ? va & ~(SHADOW_GLOBAL_SIZE - 1) : 1;
    for (int i = 0; i < vm->shadows.globals.used; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        uint64_t off, len;
        if ((region != 1 && g->va != region) || !g->pt.root || !clip(g, va, size, &off, &len))
            continue;
        any = true;
        if (hpa) {
            int level = -1;
            uint64_t local = shadow_global_local(g->va + off);
            pte_t pte = pt_lookup(&g->pt, local, &level);
            if ((pte & PTE_V) && level == 0 && pte_to_pa(pte) == hpa)
                pt_unmap(&g->pt, local & ~(PAGE_SIZE - 1), PAGE_SIZE);
        } else {
            unmap_offsets(g, off, len);
        }
    }
    return any;
}

bool shadow_global_clear_all(struct vm *vm)
{
    bool any = false;
    for (int i = 0; i < vm->shadows.globals.used; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        /* Nothing installed since its last clear: nothing to clear (a
         * guest that fences everything often, Linux at boot). */
        if (g->pt.root && g->filled) {
            unmap_offsets(g, 0, SHADOW_GLOBAL_SIZE);
            g->filled = false;
            any = true;
        }
    }
    return any;
}

void shadow_global_free(struct vm *vm, bool all, uint64_t va, uint64_t size)
{
    for (int i = 0; i < SHADOW_GLOBALS; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        if (!g->pt.root || (!all && !first_ranges_overlap(g->va, SHADOW_GLOBAL_SIZE, va, size)))
            continue;
        for (int k = 0; k < SHADOW_CACHE_SIZE; k++) {
            struct shadow *s = &vm->shadows.entries[k];
            if (s->in_use && pt_unlink(&s->pt, g->va, SHADOW_GLOBAL_LEVEL, g->pt.root))
                s->generation++;    /* every hart flushes its ASID before running it again */
        }
        pt_destroy(&g->pt);     /* its own tables (block tables it links are not its own) */
        g->pt.root = 0;
    }
    while (vm->shadows.globals.used && !vm->shadows.globals.slots[vm->shadows.globals.used - 1].pt.root)
        vm->shadows.globals.used--;
}

void shadow_global_unlink(struct vm *vm, uint64_t va, uint64_t table)
{
    bool any = false;
    for (int i = 0; i < SHADOW_GLOBALS; i++) {
        struct shadow_global *g = &vm->shadows.globals.slots[i];
        if (g->pt.root && va - g->va < SHADOW_GLOBAL_SIZE)
            any |= pt_unlink(&g->pt, shadow_global_local(va), 1, table);
    }
    for (int k = 0; any && k < SHADOW_CACHE_SIZE; k++)
        if (vm->shadows.entries[k].in_use)
            vm->shadows.entries[k].generation++;
}
