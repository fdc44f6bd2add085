#include <string.h>
#include "core/shadow.h"
#include "core/shadow_rules.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/console.h"
#include "arch/riscv/csr.h"

/* The VM's fence sequence, read before a fill walks the guest's table:
 * acquire, so that the walk's reads of the guest's entries come after it
 * (a flush bumps it, under the lock, after the guest changed its table). */
static uint64_t fence_seq_now(struct vm *vm)
{
    return __atomic_load_n(&vm->shadows.fence_seq, __ATOMIC_ACQUIRE);
}

/* Under vm->lock, by every flush of guest mappings. A removal that cannot
 * reach FRAME_PLAIN_VA's page (a fence of one other page or of a guest
 * superpage held in pieces that does not cover it) leaves plain_seq alone:
 * patch_plain_follow need not look at the shadows again after it (a page
 * fault's fence of a user page no longer costs its three lookups). */
static void fence_seq_bump_range(struct vm *vm, uint64_t lo, uint64_t size)
{
    __atomic_store_n(&vm->shadows.fence_seq, vm->shadows.fence_seq + 1, __ATOMIC_RELEASE);
    if (FRAME_PLAIN_VA - lo < size)
        vm->shadows.plain_seq++;
}

static void fence_seq_bump(struct vm *vm)
{
    fence_seq_bump_range(vm, 0, UINT64_MAX);
}

static bool shadow_may_hold(const struct shadow *s, uint64_t va)
{
    return pt_is_canonical(va, s->guest_levels ? s->guest_levels : s->pt.levels);
}

/* Clears s's leaves in [lo, lo + size) (a guest superpage it holds in
 * pieces), but for lodger's own mappings there: the first portion's place
 * and, in the shadows that have it, the guest-RAM window. Under vm->lock. */
static void unmap_range(struct vm *vm, struct shadow *s, uint64_t lo, uint64_t size)
{
    uint64_t holes[2][2] = { { first_portion_place(&vm->first), FIRST_PORTION_SIZE }, { 0, 0 } };
    if (first_window_for(&vm->first, s->guest_satp, host_mmu.levels)) {
        holes[1][0] = vm->first.window_va;
        holes[1][1] = vm->first.window_size;
    }
    uint64_t parts[3][2];
    unsigned n = shadow_range_minus(lo, size, holes, 2, parts);
    for (unsigned i = 0; i < n; i++)
        pt_unmap(&s->pt, parts[i][0], parts[i][1]);
}

/* The guest leaf [va & ~(guest_size - 1), + guest_size) is shadowed in
 * smaller pieces (a fill of size < guest_size): noted, so that a fence of
 * any address in it drops them all (shadow_split.h). A note that makes
 * room hands back the oldest, whose pieces go from every shadow now: the
 * hart's TLB is flushed, and every hart flushes those shadows' ASIDs
 * before it runs them again (their generation). Under vm->lock. */
static void note_split(struct vm *vm, uint64_t va, uint64_t guest_size)
{
    struct shadow_split old;
    if (!shadow_split_note(&vm->shadows.splits, va & ~(guest_size - 1), guest_size,
                           vm->shadows.clock, &old))
        return;
    fence_seq_bump(vm);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (s->in_use && shadow_may_hold(s, old.va)) {
            unmap_range(vm, s, old.va, old.size);
            s->generation++;
        }
    }
    /* And from the shared tables (their shadows' generations are bumped
     * above: a shadow linking one under that range lost the link). */
    shadow_global_unmap(vm, old.va, old.size, 0);
    sfence_vma_all();
}

static uint16_t shadow_asid(const struct vm *vm, int slot)
{
    unsigned asid = 1 + (unsigned)vm->id * SHADOW_CACHE_SIZE + (unsigned)slot;
    if (host_mmu.asid_bits == 0 || asid >= (1u << host_mmu.asid_bits))
        return 0;   /* no usable ASID: the trap entry flushes on every switch */
    return (uint16_t)asid;
}

/* Issue 12, shadow lifetime: when may a shadow's tables be freed?
 *
 * A hart runs a shadow, or switches satp to it, only for a vCPU that holds
 * it. A vCPU v holds:
 *  - v->shadow, from the moment shadow_get chooses it (under vm->lock)
 *    until it is replaced;
 *  - every shadow its frame may name (guest_satp, sum_satp[], user_satp:
 *    all the fast paths ever load into satp), as s->frames' bit for v. That
 *    set is written in one vm->lock section of vcpu_resume, v off the
 *    hardware (the frame's satps, then shadow_frames_follow), and only
 *    there: nothing else writes those frame fields, and the fast paths
 *    only move guest_satp among them. So it holds until v's next resume
 *    (or stop), which happens in the second portion: by then v's hart runs
 *    lodger's own table and has left every shadow of the old set.
 * shadow_get releases only a shadow no vCPU holds (shadow_pick_victim),
 * deciding under vm->lock, where holds are taken; so no hart is on it or
 * can load its satp, and nothing else needs to change: releasing one
 * shadow leaves every other vCPU's frame alone. (It used to clear every
 * vCPU's cached views instead: a fast path that had loaded a view's satp
 * just before then switched to it while it no longer looked held, and a
 * later shadow_get could free it under that hart.) The TLB side: the
 * slot's generation is bumped on reuse, and every hart flushes that slot's
 * ASID before it runs the new shadow (vcpu.c, flush_if_stale). */
static bool shadow_held_by_other(const struct vm *vm, const struct shadow *s,
                                 const struct vcpu *self)
{
    /* self is off the hardware, in the second portion (its own resume
     * rewrites its frame before it runs again); NULL: every vCPU counts. */
    if (s->frames & ~(self ? 1u << self->id : 0))
        return true;
    for (int i = 0; i < vm->vcpu_count; i++)
        if (&vm->vcpus[i] != self &&
            __atomic_load_n(&vm->vcpus[i].shadow, __ATOMIC_RELAXED) == s)
            return true;
    return false;
}

/* Only for a shadow no vCPU holds (shadow_held_by_other), or every shadow
 * of a VM that no longer runs. */
static void shadow_release(struct vm *vm, struct shadow *s)
{
    if (!s->in_use)
        return;
    pt_destroy(&s->pt);
    s->frames = 0;
    for (int i = 0; i < vm->vcpu_count; i++)
        vm->vcpus[i].frame_slots &= ~(1u << (s - vm->shadows.entries));
    vm->shadows.epoch++;
    fence_seq_bump(vm);
    if (s->asid)
        sfence_vma_asid(s->asid);
    else
        sfence_vma_all();
    s->in_use = false;
}

/* The shadows' tables come from the VM's own pool (core/shadow_pool.h). */
static uint64_t pool_take(void *ctx)
{
    return shadow_pool_take(ctx);
}

static void pool_give(void *ctx, uint64_t pa)
{
#ifdef LODGER_CHECK_FAST
    /* A write that left the occupancy summary behind would leave entries
     * in a page lent as zero (shadow_pool.h). */
    if (!shadow_pool_summary_holds(ctx, pa))
        panic("shadow pool: page %lx given back holds entries its summary misses",
              (unsigned long)pa);
#endif
    if (!shadow_pool_give(ctx, pa))
        panic("shadow pool: page %lx given back is not one it lent", (unsigned long)pa);
}

bool shadow_budget_init(struct vm *vm, uint64_t pages)
{
    /* The pages, then their occupancy summaries. */
    uint64_t tables = pages * PAGE_SIZE;
    uint64_t base = mem_alloc(shadow_budget_bytes(pages), PAGE_SIZE);
    if (!base)
        return false;
    struct shadow_pool *pool = &vm->shadows.pool;
    shadow_pool_init(pool, base, pages, (uint64_t *)(uintptr_t)(base + tables));
    vm->shadows.alloc = (struct pt_allocator){ pool_take, pool_give, pool, pool->summary, base,
                                               pages };
    return true;
}

void shadow_print_stats(const struct vm *vm)
{
    const struct shadow_pool *p = &vm->shadows.pool;
    console_printf("lodger: vm%d shadow pages %lu in use, peak %lu of budget %lu, shadows evicted "
                   "%lu, all emptied %lu, replaced %lu (cache of %d)\n", vm->id,
                   (unsigned long)p->used, (unsigned long)p->peak, (unsigned long)p->pages,
                   (unsigned long)p->evictions, (unsigned long)p->clears,
                   (unsigned long)vm->shadows.replacements, SHADOW_CACHE_SIZE);
}

/* Where vCPU id's frame pages are in the place. */
static uint64_t frame_va_of(const struct vm *vm, int id)
{
    return first_frame_pages_va(first_portion_place(&vm->first), id);
}

static bool map_frame(struct vm *vm, struct shadow *s, int id)
{
    return pt_map(&s->pt, frame_va_of(vm, id), first_frame_pages_of(vm->vcpus[id].frame, id),
                  first_frame_pages_size(id), PTE_R | PTE_W | PTE_A | PTE_D, 0);
}

bool shadow_map_first_portion(struct vm *vm, struct shadow *s)
{
    uint64_t code_pa = (uint64_t)first_portion_start;
    /* Code: S-mode execute only; the guest (U-mode) can neither read nor run it. */
    if (!pt_map(&s->pt, first_portion_place(&vm->first), code_pa, FIRST_CODE_SIZE,
                PTE_X | PTE_A, 0))
        return false;
    for (int i = 0; i < vm->vcpu_count; i++)
        if ((s->frames & (1u << i)) && !map_frame(vm, s, i))
            return false;
    return true;
}

/* Issue 12: a vCPU's trap entry runs on its frame page at frame_va (its
 * sscratch) in whichever shadow it is on. Shadows are per VM, shared by its
 * vCPUs; mapping each frame only in the shadows its own vCPU may be on
 * means no shadow another vCPU runs holds it, so nothing done to a shadow
 * on behalf of another vCPU can reach it. The set of shadows v may be on
 * (v->shadow, and the views the fast paths switch to in place: the frame's
 * sum_satp[] and user_satp, views[] in vcpu_resume) is fixed at each resume
 * and holds those shadows until the next one (shadow_get releases no
 * shadow a vCPU holds); this follows it there, under vm->lock, v off the
 * hardware.
 *
 * TLB rule. Gaining: the local sfence.vma orders the new entry before this
 * hart's implicit walks (privileged spec 4.2.1; v runs on this hart). Losing:
 * the place of v's frame in any shadow only ever maps v's frame page (the
 * first portion moving bumps every shadow's generation: each hart flushes
 * it before running it again), U=0 so the guest cannot use it, and only v's
 * trap entry uses that address (sscratch), on the hart running v. So no
 * other hart needs a fence; this one, where v last ran, drops its entries
 * for the page at once, every ASID (every shadow that lost it). A guest
 * access to the unmapped page faults as any access to the first portion's
 * range does (shadow_fill: conflict or the guest's own fault). */
static bool __attribute__((noinline)) frames_change(struct vm *vm, struct vcpu *v,
                                                    struct shadow_frame_change c)
{
    uint32_t bit = 1u << v->id;
    uint64_t va = frame_va_of(vm, v->id);
    bool mapped = true;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (c.lose & (1u << i)) {
            pt_unmap(&s->pt, va, first_frame_pages_size(v->id));
            s->frames &= ~bit;
            v->frame_slots &= ~(1u << i);
        } else if ((c.gain & (1u << i)) && mapped) {
            mapped = map_frame(vm, s, v->id);
            if (mapped) {
                s->frames |= bit;
                v->frame_slots |= 1u << i;
            }
        }
    }
    for (uint64_t off = 0; off < first_frame_pages_size(v->id); off += PAGE_SIZE)
        __asm__ volatile("sfence.vma %0, zero" :: "r"(va + off) : "memory");
    return mapped;
}

/* At every resume; most find the set unchanged, which is only compared
 * here (frames_change, which maps and unmaps, saves most registers). */
bool shadow_frames_follow(struct vm *vm, struct vcpu *v, struct shadow *const *on, int count)
{
    int slots[4];
    if (count > 4)
        panic("shadow_frames_follow: %d shadows", count);
    for (int i = 0; i < count; i++)
        slots[i] = on[i] ? (int)(on[i] - vm->shadows.entries) : -1;
    struct shadow_frame_change c = shadow_frame_change_of(slots, count, v->frame_slots);
    return (!c.gain && !c.lose) || frames_change(vm, v, c);
}

#ifdef LODGER_CHECK_FAST
/* Whether satp (non-zero) is that of a shadow v holds through its frame. */
static bool frame_holds(const struct vm *vm, const struct vcpu *v, uint64_t satp)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        const struct shadow *s = &vm->shadows.entries[i];
        if (s->in_use && s->satp == satp && (s->frames & (1u << v->id)))
            return true;
    }
    return !satp;
}

int shadow_frames_check(const struct vm *vm, const struct vcpu *v, struct shadow *const *on,
                        int count, int *slot)
{
    for (int i = 0; i < count; i++)
        if (on[i] && !(on[i]->frames & (1u << v->id))) {
            *slot = (int)(on[i] - vm->shadows.entries);
            return v->id;
        }
    /* Every satp the fast paths may load is held (the lifetime rule). */
    const struct trap_frame *f = v->frame;
    if (!frame_holds(vm, v, f->guest_satp) || !frame_holds(vm, v, f->sum_satp[0]) ||
        !frame_holds(vm, v, f->sum_satp[1]) || !frame_holds(vm, v, f->user_satp)) {
        *slot = -1;
        return v->id;
    }
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        const struct shadow *s = &vm->shadows.entries[i];
        if (!s->in_use)
            continue;
        for (int k = 0; k < vm->vcpu_count; k++) {
            const struct vcpu *w = &vm->vcpus[k];
            int level = -1;
            pte_t pte = pt_lookup(&s->pt, frame_va_of(vm, k), &level);
            bool runs = w->frame_slots & (1u << i), in_mask = s->frames & (1u << k);
            bool maps = (pte & PTE_V) && level == 0 && pte_to_pa(pte) == first_frame_pages_of(w->frame, k) &&
                        !(pte & PTE_U);
            if (runs != in_mask || runs != maps || (!maps && (pte & PTE_V))) {
                *slot = i;
                return k;
            }
        }
    }
    return -1;
}
#endif

/* The guest-RAM window (vm.h), for the first portion's walks of the
 * guest's tables: S-mode read-only, at a place the guest cannot reach. */
static bool shadow_map_window(struct vm *vm, struct shadow *s)
{
    uint64_t va = first_window_for(&vm->first, s->guest_satp, host_mmu.levels);
    return !va || pt_map(&s->pt, va, vm->ram_hpa, vm->first.window_size, PTE_R | PTE_A, 1);
}

static uint64_t shadow_key(uint64_t guest_satp, int *view)
{
    return shadow_key_of(guest_satp, view, SHADOW_VIEW_S);
}

struct shadow *shadow_find(struct vm *vm, uint64_t guest_satp, int view)
{
    uint64_t key = shadow_key(guest_satp, &view);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (s->in_use && s->guest_satp == key && s->view == view)
            return s;
    }
    return NULL;
}

/* What shadow_pick_victim and shadow_pick_evict decide on, slot by slot:
 * in use, when last used, held by a vCPU other than self (see
 * shadow_held_by_other). Taken under vm->lock, where holds are taken. */
struct slot_snapshot {
    bool in_use[SHADOW_CACHE_SIZE], held[SHADOW_CACHE_SIZE];
    uint64_t last_used[SHADOW_CACHE_SIZE];
};

static void snapshot_slots(const struct vm *vm, const struct vcpu *self,
                           struct slot_snapshot *snap)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        const struct shadow *s = &vm->shadows.entries[i];
        snap->in_use[i] = s->in_use;
        snap->last_used[i] = s->last_used;
        snap->held[i] = s->in_use && shadow_held_by_other(vm, s, self);
    }
}

static void shadow_clear_tables(struct vm *vm, struct shadow *s, bool prune);

/* Issue 15, fewer exits per fork: a cached shadow that makes way for a
 * new address space (each fork and exec brings one) keeps its root and
 * lodger's own tables (the first portion's, the guest-RAM window's, if
 * the new key has the same window), losing only the guest's mappings
 * (roots_used) and the vCPUs' frames: freeing and zeroing those tables
 * again for every new process was a good part of a fork's cost. Only for
 * a shadow no vCPU holds (shadow_held_by_other), as shadow_release: no
 * hart walks it, so its tables may go; its slot's generation is bumped by
 * the caller (every hart flushes its ASID before running it again). False,
 * nothing done, if the window would differ: the caller releases it. */
static bool shadow_recycle(struct vm *vm, struct shadow *s, uint64_t key)
{
    if (!s->in_use || first_window_for(&vm->first, s->guest_satp, host_mmu.levels) !=
                          first_window_for(&vm->first, key, host_mmu.levels))
        return false;
    for (int i = 0; i < vm->vcpu_count; i++) {
        if (s->frames & (1u << i))
            pt_unmap(&s->pt, frame_va_of(vm, i), first_frame_pages_size(i));
        vm->vcpus[i].frame_slots &= ~(1u << (s - vm->shadows.entries));
    }
    s->frames = 0;
    vm->shadows.epoch++;
    fence_seq_bump(vm);
    shadow_clear_tables(vm, s, true);   /* and this hart's TLB for its ASID */
    return true;
}

/* The shadow for v's guest satp and view, found or built, becomes v's
 * (v->shadow, under vm->lock: held from there, see above). */
struct shadow *shadow_get(struct vcpu *v, uint64_t guest_satp, int view)
{
    struct vm *vm = v->vm;
    struct shadow_cache *cache = &vm->shadows;
    spin_lock(&vm->lock);
    uint64_t key = shadow_key(guest_satp, &view);
    cache->clock++;
    struct shadow *found = shadow_find(vm, guest_satp, view);
    if (found) {
        found->last_used = cache->clock;
        __atomic_store_n(&v->shadow, found, __ATOMIC_RELAXED);
        spin_unlock(&vm->lock);
        return found;
    }
    /* v gives up its own (it is off the hardware). */
    struct slot_snapshot snap;
    snapshot_slots(vm, v, &snap);
    int slot = shadow_pick_victim(SHADOW_CACHE_SIZE, snap.in_use, snap.last_used, snap.held);
    if (slot < 0) {
        spin_unlock(&vm->lock);
        return NULL;    /* every shadow is held: the caller ends the VM */
    }
    struct shadow *victim = &cache->entries[slot];
    /* No free slot was left: a cached shadow makes way (the cache is too
     * small for the guest's working set of address spaces when this grows
     * steadily: every switch back to one rebuilds it, fault by fault). */
    if (victim->in_use)
        cache->replacements++;
    __atomic_store_n(&v->shadow, NULL, __ATOMIC_RELAXED);
    bool built = shadow_recycle(vm, victim, key);
    if (!built)
        shadow_release(vm, victim);
    victim->generation++;
    victim->guest_satp = key;
    victim->view = view;
    victim->last_used = cache->clock;
    victim->frames = 0;     /* each vCPU's frame comes with its resume on it */
    /* The budget spent: the VM's unheld shadows go first (v's own frame
     * holds do not count: v is off the hardware). */
    for (int attempt = 0; attempt < 2 && !built; attempt++) {
        bool created = pt_create(&victim->pt, host_mmu.levels, &cache->alloc);
        built = created && shadow_map_first_portion(vm, victim) &&
                shadow_map_window(vm, victim);
        if (!built && created)
            pt_destroy(&victim->pt);
        if (!built && (attempt || !shadow_reclaim(vm, v, NULL, false)))
            break;
    }
    if (!built) {
        spin_unlock(&vm->lock);
        return NULL;    /* its budget cannot hold it: the caller ends the VM */
    }
    victim->asid = shadow_asid(vm, (int)(victim - cache->entries));
    victim->satp = pt_mode_of_levels(host_mmu.levels) << SATP_MODE_SHIFT |
                   (uint64_t)victim->asid << SATP_ASID_SHIFT | victim->pt.root >> PAGE_SHIFT;
    victim->in_use = true;
    cache->epoch++;
    victim->stale = false;
    victim->guest_asid = (int32_t)shadow_key_asid(key);
    victim->guest_levels = pt_levels_of_mode(key >> SATP_MODE_SHIFT);
    memset(victim->roots_used, 0, sizeof(victim->roots_used));
    __atomic_store_n(&v->shadow, victim, __ATOMIC_RELAXED);
    spin_unlock(&vm->lock);
    return victim;
}

/* va: without its sign extension (inside one root entry); pt_unmap takes
 * only canonical addresses. */
static void clear_range(struct page_table *pt, uint64_t va, uint64_t size, bool prune)
{
    int bits = 12 + 9 * pt->levels;
    va = (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits));
    if (!size)
        return;
    if (prune)
        pt_unmap_prune(pt, va, size);
    else
        pt_unmap(pt, va, size);
}

/* Drops every guest mapping of a shadow, keeping its tables and the first
 * portion: other vCPUs may be running on it (their stale TLB entries are
 * theirs to flush, as on hardware). */
static void shadow_clear_tables(struct vm *vm, struct shadow *s, bool prune)
{
    int top = s->pt.levels - 1;
    uint64_t space = 1UL << (12 + 9 * s->pt.levels), entry = pt_level_size(top);
    uint64_t first = first_portion_place(&vm->first) & (space - 1);
    uint64_t first_end = first_place_end(first);
    /* Only the root entries install() filled: a guest uses a few. */
    for (unsigned w = 0; w < 8; w++) {
        while (s->roots_used[w]) {
            unsigned i = w * 64 + (unsigned)__builtin_ctzl(s->roots_used[w]);
            s->roots_used[w] &= s->roots_used[w] - 1;
            uint64_t lo = i * entry, hi = lo + entry;
            if (!first_place_overlaps(first, lo, entry)) {
                clear_range(&s->pt, lo, entry, prune);
            } else {    /* around the first portion */
                clear_range(&s->pt, lo, first - lo, prune);
                clear_range(&s->pt, first_end, hi - first_end, prune);
            }
        }
    }
    if (s->asid)
        sfence_vma_asid(s->asid);
    else
        sfence_vma_all();
}

static void shadow_clear(struct vm *vm, struct shadow *s)
{
    /* Freeing the emptied tables keeps later clears cheap; only safe when no
     * other hart may be walking them (one running vCPU). */
    int running = 0;
    for (int i = 0; i < vm->vcpu_count; i++)
        running += vm->vcpus[i].state != VCPU_STOPPED;
    shadow_clear_tables(vm, s, running <= 1);
}

bool shadow_reclaim(struct vm *vm, struct vcpu *self, const struct shadow *keep, bool others_held)
{
    struct shadow_cache *cache = &vm->shadows;
    uint64_t before = cache->pool.used;
    int keep_slot = keep ? (int)(keep - cache->entries) : -1;
    while (!shadow_pool_roomy(&cache->pool)) {
        struct slot_snapshot snap;
        snapshot_slots(vm, self, &snap);
        int slot = shadow_pick_evict(SHADOW_CACHE_SIZE, snap.in_use, snap.last_used, snap.held,
                                     keep_slot);
        if (slot < 0)
            break;
        shadow_release(vm, &cache->entries[slot]);
        cache->pool.evictions++;
    }
    if (others_held && !shadow_pool_roomy(&cache->pool)) {
        /* No hart walks the VM's shadows now: the held ones lose their
         * guest mappings and the tables under them (keeping their roots,
         * the first portion and the guest-RAM window), and every hart
         * flushes their ASIDs before it runs them again (the generation).
         * A fill walked before this must not install (the sequence). */
        fence_seq_bump(vm);
        for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
            struct shadow *s = &cache->entries[i];
            if (s->in_use) {
                shadow_clear_tables(vm, s, true);
                s->generation++;
            }
        }
        shadow_global_free(vm, true, 0, 0);     /* no shadow links them now */
        cache->pool.clears++;
    }
    return cache->pool.used < before;
}

void shadow_flush_all(struct vm *vm)
{
    spin_lock(&vm->lock);
    fence_seq_bump(vm);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        if (vm->shadows.entries[i].in_use)
            vm->shadows.entries[i].stale = true;
    /* The global translations go too (privileged spec 4.2.1: rs2=x0 covers
     * them), at once: shadows that are not stale may link a shared table
     * (none after this, but a stale one is cleared only when next used).
     * This hart may hold their entries under any shadow's ASID. */
    bool global = shadow_global_clear_all(vm);
    spin_unlock(&vm->lock);
    if (global)
        sfence_vma_all();
}

/* Privileged spec 4.2.1: with rs1=x0 and an ASID, the fence covers that
 * address space's non-global entries only; dropping a shadow's global
 * entries too is allowed (a TLB may drop anything at any time). A shadow
 * holds one ASID's translations (shadow_key_of). */
static bool filled_under(const struct shadow *s, uint64_t asid)
{
    return s->in_use && (uint64_t)s->guest_asid == asid;
}

void shadow_flush_asid(struct vm *vm, uint64_t asid)
{
    spin_lock(&vm->lock);
    fence_seq_bump(vm);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        if (filled_under(&vm->shadows.entries[i], asid))
            vm->shadows.entries[i].stale = true;
    spin_unlock(&vm->lock);
}

void shadow_use(struct vm *vm, struct shadow *s)
{
    if (s->stale) {
        shadow_clear(vm, s);
        s->stale = false;
    }
}

/* With vm->lock held, and every vCPU of the VM out of guest mode: the VM
 * stopped, or the caller holding the others (vm_hold_others: a copy made
 * or dropped, core/patch.c; block_evict). A hart running a shadow that
 * linked it is on it only for a vCPU of this VM, so no hart walks the
 * table once it is unlinked. The generation bump makes every hart flush
 * those shadows' ASIDs before it runs them again (vcpu.c,
 * flush_if_stale); the caller also bumps patching's unmap_gen (every
 * vCPU's hart flushes its whole TLB at its next resume, as for a copy). */
static void block_free(struct vm *vm, struct shadow_block *b)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if ((b->linked & (1u << i)) && s->in_use && pt_unlink(&s->pt, b->va, 1, b->table))
            s->generation++;
    }
    if (b->in_global)
        shadow_global_unlink(vm, b->va, b->table);
    sfence_vma_all();
    pool_give(&vm->shadows.pool, b->table);
    b->table = 0;
    b->linked = 0;
    b->in_global = false;
}

static void blocks_drop(struct vm *vm, bool all, uint64_t gpa, uint64_t va)
{
    uint64_t size = pt_level_size(1);
    for (int i = 0; i < SHADOW_BLOCKS; i++) {
        struct shadow_block *b = &vm->shadows.blocks[i];
        if (b->table && (all || b->gpa == (gpa & ~(size - 1)) || b->va == (va & ~(size - 1))))
            block_free(vm, b);
    }
}

void shadow_blocks_drop(struct vm *vm, uint64_t gpa, uint64_t va)
{
    spin_lock(&vm->lock);
    blocks_drop(vm, false, gpa, va);
    spin_unlock(&vm->lock);
}

void shadow_blocks_drop_all(struct vm *vm)
{
    spin_lock(&vm->lock);
    blocks_drop(vm, true, 0, 0);
    spin_unlock(&vm->lock);
}

void shadow_destroy_all(struct vm *vm)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        shadow_release(vm, &vm->shadows.entries[i]);
    blocks_drop(vm, true, 0, 0);
    shadow_global_free(vm, true, 0, 0);
    shadow_split_reset(&vm->shadows.splits);
    /* A reboot's counters start again (its budget stays). */
    struct shadow_pool *p = &vm->shadows.pool;
    p->peak = p->used;
    p->evictions = p->clears = 0;
    vm->shadows.replacements = 0;
}

/* The least recently used block table slot, a free one first. */
static struct shadow_block *block_pick(struct vm *vm)
{
    struct shadow_block *pick = NULL;
    for (int i = 0; i < SHADOW_BLOCKS; i++) {
        struct shadow_block *b = &vm->shadows.blocks[i];
        if (!pick || (pick->table && (!b->table || b->last_used < pick->last_used)))
            pick = b;
    }
    return pick;
}

/* The block table for a key, found or built (with vm->lock held); NULL
 * if the VM's shadow budget is spent, or (*full) if every slot holds a table: freeing
 * one needs the other vCPUs out of guest mode (block_evict). */
static struct shadow_block *block_get(struct vm *vm, uint64_t va, uint64_t gpa, pte_t flags,
                                      int view, bool *full)
{
    struct shadow_cache *cache = &vm->shadows;
    *full = false;
    for (int i = 0; i < SHADOW_BLOCKS; i++) {
        struct shadow_block *b = &cache->blocks[i];
        if (b->table && b->va == va && b->gpa == gpa && b->flags == flags && b->view == view) {
            b->last_used = cache->clock;
            return b;
        }
    }
    struct shadow_block *pick = block_pick(vm);
    if (pick->table) {
        *full = true;
        return NULL;
    }
    /* From the VM's shadow budget, as its shadows' tables are: 0 when it
     * is spent, and the fill then goes the ordinary way (which reclaims). */
    uint64_t table = shadow_pool_take(&cache->pool);
    if (!table)
        return NULL;
    patch_block_leaves(vm, view, va, gpa, flags, (pte_t *)(uintptr_t)table);
    shadow_pool_note_full(&cache->pool, table);     /* every entry written */
    *pick = (struct shadow_block){ .table = table, .va = va, .gpa = gpa, .flags = flags,
                                   .view = view, .last_used = cache->clock };
    cache->blocks_built++;
    return pick;
}

/* The guest mode a shadow's entries come from: a translation it holds is
 * at an address canonical for that mode (Bare: guest RAM, low addresses). */

/* Whether a fence of va (another page) may cover FRAME_PLAIN_VA, where
 * lodger maps the plain CSR page (core/patch.c) while the guest maps
 * nothing there: one guest superpage may hold both, and a fence of any
 * address under a leaf covers the whole leaf (privileged spec 4.2.1). A
 * guest leaf lies under one of its root entries. The entry there goes
 * too, so that the next resume looks at the guest's table again
 * (patch_plain_follow: the guest mapping it ends trap-free sites). */
static bool fence_covers_plain(struct vm *vm, const struct shadow *s, uint64_t va)
{
    unsigned levels = s->guest_levels;
    return levels && (va & ~(PAGE_SIZE - 1)) != FRAME_PLAIN_VA &&
           !((va ^ FRAME_PLAIN_VA) >> (12 + 9 * (levels - 1))) &&
           !first_place_contains(first_portion_place(&vm->first), FRAME_PLAIN_VA) &&
           !(first_window_contains(&vm->first, FRAME_PLAIN_VA) &&
             first_window_for(&vm->first, s->guest_satp, host_mmu.levels));
}

void shadow_flush_page(struct vm *vm, uint64_t va, uint64_t asid)
{
    /* Callers pass only addresses the fence may name (pt_fence_va_valid);
     * an address outside the host's canonical range would alias lodger's
     * own entries in pt_unmap (issue 12), whatever the callers check. */
    if (!pt_is_canonical(va, host_mmu.levels))
        return;
    spin_lock(&vm->lock);
    /* In a guest superpage shadowed in pieces: all of them (unmap_range
     * keeps lodger's own mappings). */
    uint64_t lo = 0, size = 0;
    bool whole = shadow_split_find(&vm->shadows.splits, va, &lo, &size);
    if (!whole && first_place_contains(first_portion_place(&vm->first), va)) {
        spin_unlock(&vm->lock);
        return;     /* never the first portion itself */
    }
    /* Nor the guest-RAM window, in the shadows that have it (their guest
     * cannot map there); a guest of the host's mode may use that place. */
    bool in_window = first_window_contains(&vm->first, va);
    if (whole)
        fence_seq_bump_range(vm, lo, size);
    else
        fence_seq_bump_range(vm, va & ~(PAGE_SIZE - 1), PAGE_SIZE);
    /* A fence names one page, and most cached shadows hold nothing under
     * its root entry (the address spaces of exited processes keep only
     * what their last kernel run filled): those are skipped without a
     * walk. A guest superpage held in pieces lies under one root entry
     * too, but is rare: walked everywhere. */
    unsigned root = (unsigned)(va >> (12 + 9 * (host_mmu.levels - 1))) & 511;
    uint64_t root_bit = 1UL << (root % 64);
    bool plain_too = false;
    /* The shared tables, once for all shadows (whatever the ASID: a fence
     * naming one may drop the global entries too). Only where one covers
     * the page may a shadow link one there. */
    bool shared = false;
    if (whole)
        shadow_global_unmap(vm, lo, size, 0);
    else if (!in_window)
        shared = shadow_global_unmap(vm, va & ~(PAGE_SIZE - 1), PAGE_SIZE, 0);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (!s->in_use || s->stale || (!whole && !(s->roots_used[root / 64] & root_bit)) ||
            (asid != SHADOW_ALL_ASIDS && !filled_under(s, asid)) || !shadow_may_hold(s, va))
            continue;
        if (whole)
            unmap_range(vm, s, lo, size);
        else if (!(in_window && first_window_for(&vm->first, s->guest_satp, host_mmu.levels))) {
            /* Not a link to a shared table there: unmapped above (an
             * unmap here would drop the whole link). */
            if (!shared || !pt_link_at(&s->pt, va, SHADOW_GLOBAL_LEVEL))
                pt_unmap(&s->pt, va & ~(PAGE_SIZE - 1), PAGE_SIZE);
            if (fence_covers_plain(vm, s, va)) {
                pt_unmap(&s->pt, FRAME_PLAIN_VA, PAGE_SIZE);
                plain_too = true;
            }
        }
    }
    if (plain_too)
        vm->shadows.plain_seq++;
    spin_unlock(&vm->lock);
    if (plain_too)
        __asm__ volatile("sfence.vma %0, zero" :: "r"(FRAME_PLAIN_VA) : "memory");
    /* This hart's TLB, always: another hart may have removed the shadow
     * entry already (its fence flushed its own TLB, not this one's). All
     * host ASIDs: this hart may have cached the page under any shadow;
     * every page of a superpage held in pieces (each its own TLB entry). */
    if (whole)
        sfence_vma_all();
    else
        __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

void shadow_drop_page(struct vm *vm, uint64_t va, uint64_t hpa)
{
    spin_lock(&vm->lock);
    shadow_drop_page_locked(vm, va, hpa);
    spin_unlock(&vm->lock);
}

void shadow_drop_page_locked(struct vm *vm, uint64_t va, uint64_t hpa)
{
    va &= ~(PAGE_SIZE - 1);
    if (!pt_is_canonical(va, host_mmu.levels) ||
        first_place_contains(first_portion_place(&vm->first), va))
        return;
    fence_seq_bump_range(vm, va, PAGE_SIZE);
    /* First from the shared tables: a shadow linking one then finds no
     * leaf there (pt_lookup walks through the link) and keeps the link. */
    shadow_global_unmap(vm, va, PAGE_SIZE, hpa);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        int level;
        pte_t pte = s->in_use ? pt_lookup(&s->pt, va, &level) : 0;
        if ((pte & PTE_V) && (!hpa || (level == 0 && pte_to_pa(pte) == hpa)))
            pt_unmap(&s->pt, va, PAGE_SIZE);
    }
    __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

/* Installs a shadow leaf for [va, va+size) -> guest-physical gpa, shrinking
 * to 4 KiB where the larger block would leave guest RAM, touch the first
 * portion, or replace a table of 4 KiB leaves (pt_map would free it while
 * other harts may be walking it). SHADOW_RACED, and nothing installed, if
 * a fence ran since the walk (seq) or the first portion now covers the
 * page: the access retries and the fill walks again
 * (shadow_fill_may_install). SHADOW_NO_MEMORY if the tables could not
 * grow (the top of the trap path ends the VM). */
/* What a fill's walk says about sharing its leaf (core/shadow_global.h). */
struct global_key {
    bool shareable;         /* shadow_global_leaf */
    int guest_levels;
    uint64_t l1_gpa;
};

static enum shadow_fill_result install(struct vcpu *v, uint64_t seq, uint64_t va, uint64_t gpa,
                                       uint64_t size, pte_t flags, uint64_t copy_hpa,
                                       uint64_t guest_size, const struct global_key *key)
{
    struct vm *vm = v->vm;
    struct shadow *s = v->shadow;
    spin_lock(&vm->lock);
    /* Before any link: a fence since the walk may have changed which guest
     * table serves the region (the link's key). */
    if (seq != vm->shadows.fence_seq) {
        spin_unlock(&vm->lock);
        v->count.shadow_fill_races++;
        return SHADOW_RACED;
    }
    /* Into the VM's shared table of va's region, or s's own tables. */
    bool linked = false;
    struct shadow_global *g = key ? shadow_global_target(vm, s, va, key->shareable,
                                                         key->guest_levels, key->l1_gpa, &linked)
                                  : NULL;
    struct page_table *pt = g ? &g->pt : &s->pt;
    uint64_t at = g ? shadow_global_local(va) : va;
    uint64_t base_va = va & ~(size - 1), base_gpa = gpa & ~(size - 1);
    if (size > PAGE_SIZE &&
        (!vm_gpa_to_host(vm, base_gpa, size) || ((vm->ram_hpa - vm->ram_gpa) & (size - 1)) ||
         first_place_overlaps(first_portion_place(&vm->first), base_va, size) ||
         pt_has_table(pt, at & ~(size - 1), 1))) {
        size = PAGE_SIZE;
        base_va = va & ~(PAGE_SIZE - 1);
        base_gpa = gpa & ~(PAGE_SIZE - 1);
    }
    if (!shadow_fill_may_install(seq, vm->shadows.fence_seq, base_va, size,
                                 first_portion_place(&vm->first))) {
        spin_unlock(&vm->lock);
        v->count.shadow_fill_races++;
        v->count.shadow_global_links += linked;
        return SHADOW_RACED;
    }
    /* copy_hpa: a patched copy of the 4 KiB page (core/patch.c) runs instead. */
    uint64_t hpa = copy_hpa ? copy_hpa : (uint64_t)vm_gpa_to_host(vm, base_gpa, size);
    bool mapped = pt_map(pt, g ? at & ~(size - 1) : base_va, hpa, size, flags | PTE_U | PTE_A,
                         size == PAGE_SIZE ? 0 : 1);
    if (mapped && size < guest_size)
        note_split(vm, va, guest_size);
    shadow_note_root(s, base_va);
    spin_unlock(&vm->lock);
    v->count.shadow_global_links += linked;
    v->count.shadow_global_fills += g && mapped;
    return mapped ? SHADOW_FILLED : SHADOW_NO_MEMORY;
}

/* Every block table slot is taken: the least recently used table goes,
 * with the VM's other vCPUs held out of guest mode (vm_hold_others), as a
 * copy's drop is: with several vCPUs another hart may be running a shadow
 * that links it. Nothing done if another vCPU held the VM first (it has
 * waited for it; the access retries). */
static void block_evict(struct vcpu *v)
{
    struct vm *vm = v->vm;
    if (!vm_hold_others(v))
        return;
    spin_lock(&vm->lock);
    struct shadow_block *b = block_pick(vm);
    bool freed = b->table != 0;
    if (freed)
        block_free(vm, b);
    spin_unlock(&vm->lock);
    if (freed)
        patch_unmapped(vm);     /* after vm->lock: ps->lock comes first */
    vm_release_others(vm);
}

/* A fill of va in a guest 2 MiB leaf (gpa, flags as view_flags gives
 * them) that patch_fill let link a shared block table: links it into
 * v's shadow. False, nothing done, where a superpage could not go either
 * (the block leaves RAM, holds the first portion) or the shadow has a
 * table of its own there (freeing it is not safe while other harts may
 * walk it), or out of memory for the table: the caller fills 4 KiB. */
static bool link_block(struct vcpu *v, uint64_t seq, uint64_t va, uint64_t gpa, pte_t flags,
                       uint64_t guest_size, const struct global_key *key,
                       enum shadow_fill_result *r)
{
    struct vm *vm = v->vm;
    struct shadow *s = v->shadow;
    uint64_t size = pt_level_size(1), base_va = va & ~(size - 1), base_gpa = gpa & ~(size - 1);
    /* The patch lock too (before vm->lock, its order): a table is built
     * from the copies as they are, not half way through another vCPU's
     * making or dropping one (which then frees it: shadow_blocks_drop). */
    spin_lock(&vm->patch.lock);
    spin_lock(&vm->lock);
    uint64_t first = first_portion_place(&vm->first);
    /* Before any link (as install): a fence since the walk. The block
     * touching the first portion is no race: the caller fills 4 KiB. */
    if (seq != vm->shadows.fence_seq) {
        spin_unlock(&vm->lock);
        spin_unlock(&vm->patch.lock);
        v->count.shadow_fill_races++;
        *r = SHADOW_RACED;
        return true;
    }
    /* A global block goes into the VM's shared table of its region, once
     * for every S view (a block's leaves are the same in S and S with
     * SUM: its key's view is S); else into s. */
    bool linked = false;
    struct shadow_global *g = key ? shadow_global_target(vm, s, va, key->shareable,
                                                         key->guest_levels, key->l1_gpa, &linked)
                                  : NULL;
    struct page_table *pt = g ? &g->pt : &s->pt;
    uint64_t at = g ? shadow_global_local(base_va) : base_va;
    v->count.shadow_global_links += linked;
    if (!vm_gpa_to_host(vm, base_gpa, size) || first_place_overlaps(first, base_va, size) ||
        pt_has_table(pt, at, 1)) {
        spin_unlock(&vm->lock);
        spin_unlock(&vm->patch.lock);
        return false;
    }
    bool full;
    struct shadow_block *b = block_get(vm, base_va, base_gpa, flags, g ? SHADOW_VIEW_S : s->view,
                                       &full);
    if (!b) {
        spin_unlock(&vm->lock);
        spin_unlock(&vm->patch.lock);
        if (!full)
            return false;
        block_evict(v);
        *r = SHADOW_RACED;      /* the access retries, with a free slot */
        return true;
    }
    if (g)
        b->in_global = true;
    else
        b->linked |= 1u << (s - vm->shadows.entries);
    bool done = pt_link(pt, at, 1, b->table);
    if (done && guest_size)   /* its 4 KiB leaves are pieces of the guest's leaf */
        note_split(vm, va, guest_size);
    shadow_note_root(s, base_va);
    spin_unlock(&vm->lock);
    spin_unlock(&vm->patch.lock);
    v->count.shadow_block_links += done;
    v->count.shadow_global_fills += g && done;
    *r = done ? SHADOW_FILLED : SHADOW_NO_MEMORY;
    return true;
}

/* Translation off (satp.MODE = Bare): guest-virtual is guest-physical. */
/* A guest-physical address outside RAM: a device, or nothing (access fault).
 * Instruction fetches from devices are not supported: access fault. */
static enum shadow_fill_result not_ram(const struct vm *vm, enum access_type access, uint64_t gpa, uint64_t *cause,
                                       uint64_t *gpa_out)
{
    if (access != ACCESS_FETCH && board_find_region(vm, gpa)) {
        *gpa_out = gpa;
        return SHADOW_MMIO;
    }
    *cause = walk_access_fault_cause(access);
    return SHADOW_GUEST_FAULT;
}

static enum shadow_fill_result fill_bare(struct vcpu *v, uint64_t seq, uint64_t va,
                                         enum access_type access, uint64_t *cause, uint64_t *gpa)
{
    struct vm *vm = v->vm;
    if (!vm_gpa_to_host(vm, va, 1))
        return not_ram(v->vm, access, va, cause, gpa);
    uint64_t size = pt_level_size(1);
    pte_t flags = PTE_R | PTE_W | PTE_X | PTE_D, asked = flags;
    bool block;
    uint64_t copy = patch_fill(v, va, access, va, &size, &flags, &block);
    if (copy == PATCH_FILL_RETRY)
        return SHADOW_RACED;    /* a copy went first: the access retries (no link either) */
    enum shadow_fill_result r;
    if (block && link_block(v, seq, va, va, asked, 0, NULL, &r))
        return r;
    return install(v, seq, va, va, size, flags, copy, size, NULL);
}

static void *walk_gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    return vm_gpa_to_host(ctx, gpa, len);
}

/* The permissions of a shadow leaf for guest leaf g in a view: only what
 * this view may do with the page (the guest's walk for the view allowed an
 * access to it, with A set). */
static pte_t view_flags(pte_t g, int view)
{
    pte_t flags = 0;
    if (g & PTE_R || ((view & SHADOW_VIEW_MXR) && (g & PTE_X)))
        flags |= PTE_R;
    if ((g & PTE_W) && (g & PTE_D))
        flags |= PTE_W | PTE_D;     /* a store to a clean page must fault to set D */
    if ((g & PTE_X) && !((view & SHADOW_VIEW_S) && (g & PTE_U)))
        flags |= PTE_X;             /* S-mode never executes U pages */
    return flags;
}

/* A walk request for a view's accesses (its mode, SUM and MXR). */
static struct walk_request view_request(uint64_t satp, int view, uint64_t va,
                                        enum access_type access)
{
    struct walk_request req = {
        .satp = satp, .va = va, .access = access, .user = !(view & SHADOW_VIEW_S),
        .sum = view & SHADOW_VIEW_SUM, .mxr = view & SHADOW_VIEW_MXR, .update_ad = false,
    };
    return req;
}

/* Whether guest leaf g (at level 0) may be put in a view's shadow without
 * an access of the guest's: it allows a load or a fetch in that view with
 * A already set (guest_leaf_usable). W comes only with D (view_flags). */
static bool usable_in_view(pte_t g, struct walk_request *req)
{
    req->access = ACCESS_LOAD;
    if (guest_leaf_usable(g, 0, req))
        return true;
    req->access = ACCESS_FETCH;
    return guest_leaf_usable(g, 0, req);
}

struct small_fill {
    uint64_t va, gpa;
    pte_t flags;
};

/* Installs 4 KiB leaves that no guest access asked for (neighbours of a
 * fill, the page a fence names) into s, if s is still the shadow that was
 * looked at (in use, same generation, not stale) and, as for any fill,
 * no fence ran since seq was read and none lands on the first portion.
 * Returns how many were installed; each is fenced on this hart. */
static unsigned install_small(struct vm *vm, struct shadow *s, uint32_t generation,
                              uint64_t seq, const struct small_fill *e, unsigned n)
{
    unsigned done = 0;
    spin_lock(&vm->lock);
    if (!s->in_use || s->generation != generation || s->stale) {
        spin_unlock(&vm->lock);
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!shadow_fill_may_install(seq, vm->shadows.fence_seq, e[i].va, PAGE_SIZE,
                                     first_portion_place(&vm->first)))
            continue;
        void *host = vm_gpa_to_host(vm, e[i].gpa, PAGE_SIZE);
        if (!host || !pt_map(&s->pt, e[i].va, (uint64_t)host, PAGE_SIZE,
                             e[i].flags | PTE_U | PTE_A, 0))
            continue;
        shadow_note_root(s, e[i].va);
        done++;
    }
    uint16_t asid = s->asid;
    spin_unlock(&vm->lock);
    for (unsigned i = 0; i < n && done; i++)
        __asm__ volatile("sfence.vma %0, %1" :: "r"(e[i].va), "r"((unsigned long)asid) : "memory");
    return done;
}

/* Issue 15: fewer exits per page fault. A fill of a 4 KiB page also
 * fills the valid neighbours in the same guest page-table page (an aligned
 * group of SHADOW_NEIGHBOURS entries): a process touches pages near each
 * other (fork's copies, exec's fault-around). Only what the guest's own
 * walk would allow in this view without setting A or D: A already set,
 * W only where D is (guest_leaf_usable, view_flags); a page never touched
 * keeps A=0 and faults in as before, a page only read keeps D=0. */
#define SHADOW_NEIGHBOURS 16

static void fill_neighbours(struct vcpu *v, uint64_t seq, uint64_t va,
                            const struct walk_result *res)
{
    struct vm *vm = v->vm;
    struct shadow *s = v->shadow;
    const uint64_t *table = vm_gpa_to_host(vm, res->table_gpa, PAGE_SIZE);
    if (!table)
        return;
    struct walk_request req = view_request(v->csr->satp, s->view, va, ACCESS_LOAD);
    unsigned index = (unsigned)(va >> PAGE_SHIFT) & 511;
    unsigned first = index & ~(SHADOW_NEIGHBOURS - 1u);
    uint64_t base = va & ~((uint64_t)511 << PAGE_SHIFT | (PAGE_SIZE - 1));
    unsigned done = 0;
    spin_lock(&vm->patch.lock);     /* for patch_may_map, before vm->lock */
    spin_lock(&vm->lock);
    /* The shadow's own leaf table, written in place (the fill just put va
     * there): only entries it does not hold yet. No fence: they were
     * invalid, and a walk that still misses one faults and fills it. */
    pte_t *shadow_table = s->stale || seq != vm->shadows.fence_seq ? NULL
                                                                   : pt_leaf_table(&s->pt, va);
    for (unsigned i = first; shadow_table && i < first + SHADOW_NEIGHBOURS; i++) {
        if (i == index || (shadow_table[i] & PTE_V))
            continue;
        pte_t g = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
        if (!usable_in_view(g, &req))
            continue;
        pte_t flags = view_flags(g, s->view);
        uint64_t nva = base | (uint64_t)i << PAGE_SHIFT;
        void *host = vm_gpa_to_host(vm, pte_to_pa(g), PAGE_SIZE);
        if (!flags || !host ||     /* a device page: its own fault, emulated */
            !patch_may_map(vm, s->view, nva, pte_to_pa(g), flags) ||
            !shadow_fill_may_install(seq, seq, nva, PAGE_SIZE, first_portion_place(&vm->first)))
            continue;
        pt_write_entry(&s->pt, &shadow_table[i],
                       pa_to_pte((uint64_t)host) | flags | PTE_U | PTE_A | PTE_V);
        done++;
    }
    spin_unlock(&vm->lock);
    spin_unlock(&vm->patch.lock);
    v->count.shadow_neighbour_fills += done;
}

/* Translation on: the guest's table decides (with A/D set as Svadu), and
 * the shadow leaf carries only what this view may do with the page. */
static enum shadow_fill_result fill_paged(struct vcpu *v, uint64_t seq, uint64_t va,
                                          enum access_type access, uint64_t *cause, uint64_t *gpa)
{
    int view = v->shadow->view;
    struct walk_result res;
    enum walk_status st = vcpu_translate(v, va, access, true, &res);
    if (st != WALK_OK) {
        *cause = st == WALK_PAGE_FAULT ? walk_page_fault_cause(access)
                                       : walk_access_fault_cause(access);
        return SHADOW_GUEST_FAULT;
    }
    if (!vm_gpa_to_host(v->vm, res.gpa, 1))
        return not_ram(v->vm, access, res.gpa, cause, gpa);
    uint64_t size = pt_level_size(res.level < 1 ? res.level : 1);
    pte_t flags = view_flags(res.pte, view), asked = flags;
    bool block;
    uint64_t copy = patch_fill(v, va, access, res.gpa, &size, &flags, &block);
    if (copy == PATCH_FILL_RETRY)
        return SHADOW_RACED;    /* a copy went first: the access retries (no link either) */
    /* A global kernel leaf goes into the VM's shared table of its region
     * (core/shadow_global.h), a block table of patched code too. */
    struct global_key key = {
        shadow_global_leaf((view & ~SHADOW_VIEW_SUM) == SHADOW_VIEW_S, res.pte, res.level,
                           res.l1_gpa),
        pt_levels_of_mode(v->csr->satp >> SATP_MODE_SHIFT), res.l1_gpa,
    };
    enum shadow_fill_result r;
    if (!block || !link_block(v, seq, va, res.gpa, asked, pt_level_size(res.level), &key, &r))
        r = install(v, seq, va, res.gpa, size, flags, copy, pt_level_size(res.level), &key);
    /* Measured (docs/BENCHMARKS.md): for data pages most neighbours were
     * flushed unused and the scan cost more than the faults it saved; code
     * pages are used in runs. With patched code (core/patch.c) only in the
     * U view, where no copy runs, and never a page with a copy
     * (patch_may_map: nor one mapped writable unnoticed). Filling S views
     * too (patch_may_map refuses another page executable at a copy's
     * place) was tried; 2-vCPU Linux boots then stalled at the function
     * tracer's code changes on a loaded machine, cause not found: off. */
    if (r == SHADOW_FILLED && res.level == 0 && access == ACCESS_FETCH &&
        (!v->vm->patch.on || !(v->shadow->view & SHADOW_VIEW_S)))
        fill_neighbours(v, seq, va, &res);
    return r;
}

/* Issue 15: the guest's sfence.vma of one page on this vCPU (trap.c),
 * after shadow_flush_page dropped it: Linux fences each page it has just
 * mapped (update_mmu_cache), and the access that follows would otherwise
 * be one more exit and fill. The new translation goes into the shadows of
 * the vCPU's current address space (each view built: S, S with SUM, U)
 * when the guest's table gives it, for that view, with A set - never
 * setting A or D, W only with D (as fill_neighbours). Only the fence's
 * own address space: a fence naming another ASID fills nothing. */
void shadow_refill_page(struct vcpu *v, uint64_t va, uint64_t asid)
{
    struct vm *vm = v->vm;
    uint64_t satp = v->csr->satp;
    if ((satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE ||
        (asid != SHADOW_ALL_ASIDS && asid != shadow_key_asid(satp)))
        return;
    uint64_t seq = fence_seq_now(vm);
    if (first_place_contains(first_portion_place(&vm->first), va))
        return;
    va &= ~(PAGE_SIZE - 1);
    /* One walk finds the leaf (S-mode with SUM and MXR reaches any leaf a
     * view could use); each view then takes it only if its own rules
     * allow (usable_in_view). Most fences are of pages just unmapped:
     * this walk is all they cost. */
    struct walk_request any = view_request(satp, SHADOW_VIEW_S | SHADOW_VIEW_SUM | SHADOW_VIEW_MXR,
                                           va, ACCESS_LOAD);
    struct walk_memory mem = { walk_gpa_to_host, vm };
    struct walk_result res;
    if (guest_walk(&mem, &any, &res) != WALK_OK || res.level != 0 || !(res.pte & PTE_A) ||
        !vm_gpa_to_host(vm, pte_to_pa(res.pte), PAGE_SIZE))
        return;     /* superpages: filled on their first access */
    /* Only a user page into the U view: the fence that follows a guest
     * kernel's mapping of a page for its user (Linux: update_mmu_cache
     * after a user fault), whose access comes next. Filling the S views
     * too was measured to cost more than the faults it saved. */
    if (!(res.pte & PTE_U))
        return;
    int mxr = (v->csr->sstatus & SSTATUS_MXR) ? SHADOW_VIEW_MXR : 0;
    const int views[3] = { -1, -1, mxr };
    struct shadow *found[3] = { NULL, NULL, NULL };
    uint32_t generation[3] = { 0, 0, 0 };
    int ignored = 0;
    uint64_t key = shadow_key(satp, &ignored);
    spin_lock(&vm->lock);
    for (int k = 0; k < SHADOW_CACHE_SIZE; k++) {
        struct shadow *c = &vm->shadows.entries[k];
        if (!c->in_use || c->guest_satp != key)
            continue;
        for (int i = 0; i < 3; i++)
            if (c->view == views[i]) {
                found[i] = c;
                generation[i] = c->generation;
            }
    }
    spin_unlock(&vm->lock);
    for (int i = 0; i < 3; i++) {
        struct walk_request req = view_request(satp, views[i], va, ACCESS_LOAD);
        if (!found[i] || !usable_in_view(res.pte, &req))
            continue;
        struct small_fill e = { va, pte_to_pa(res.pte), view_flags(res.pte, views[i]) };
        /* Only the U view (views[2]) is filled: no copy runs there. */
        if (!e.flags)
            continue;
        /* A copy made after this look drops the page with a fence (seq):
         * install_small then installs nothing. */
        spin_lock(&vm->patch.lock);
        bool may = patch_may_map(vm, views[i], va, e.gpa, e.flags);
        spin_unlock(&vm->patch.lock);
        if (may)
            v->count.shadow_fence_fills += install_small(vm, found[i], generation[i], seq, &e, 1);
    }
}

/* The VM's shadow budget is spent (install found no page): its own
 * shadow state makes room, never another VM's, and the access retries
 * (SHADOW_RACED: the guest sees one more fault, never a wrong answer).
 * First the shadows no vCPU holds; if that frees nothing, every other
 * vCPU is held out of guest mode and the held shadows are emptied too.
 * Only if even that was done for this vCPU's accesses SHADOW_ROOM_TRIES
 * times in a row (another vCPU's fills may take the room first), none of
 * them installing, its one translation cannot fit (v->room_tries):
 * SHADOW_NO_MEMORY, and the VM ends. */
#define SHADOW_ROOM_TRIES 4

static enum shadow_fill_result make_room(struct vcpu *v)
{
    struct vm *vm = v->vm;
    spin_lock(&vm->lock);
    bool freed = v->room_tries == 0 && shadow_reclaim(vm, v, v->shadow, false);
    spin_unlock(&vm->lock);
    if (freed) {
        v->room_tries = 1;
        return SHADOW_RACED;
    }
    if (v->room_tries > SHADOW_ROOM_TRIES)
        return SHADOW_NO_MEMORY;
    if (!vm_hold_others(v))
        return SHADOW_RACED;    /* another vCPU held the VM (it waited for it): retry */
    spin_lock(&vm->lock);
    shadow_reclaim(vm, v, v->shadow, true);
    spin_unlock(&vm->lock);
    vm_release_others(vm);
    v->room_tries = v->room_tries < 2 ? 2 : v->room_tries + 1;
    return SHADOW_RACED;
}

enum shadow_fill_result shadow_fill(struct vcpu *v, uint64_t va, enum access_type access,
                                    uint64_t *cause, uint64_t *gpa)
{
    struct vm *vm = v->vm;
    /* Before anything is read without the lock (the first portion's place,
     * the guest's table): install() compares it under the lock. */
    uint64_t seq = fence_seq_now(vm);
    if (first_place_contains(first_portion_place(&vm->first), va))
        return first_portion_is_conflict(v, va, access, cause) ? SHADOW_CONFLICT
                                                               : SHADOW_GUEST_FAULT;
    enum shadow_fill_result r = (v->csr->satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE
                                    ? fill_bare(v, seq, va, access, cause, gpa)
                                    : fill_paged(v, seq, va, access, cause, gpa);
    if (r == SHADOW_NO_MEMORY)
        r = make_room(v);
    if (r == SHADOW_RACED)
        return SHADOW_FILLED;   /* nothing installed: the access retries and walks again */
    if (r == SHADOW_FILLED) {
        v->room_tries = 0;
        v->count.shadow_fills++;
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((unsigned long)v->shadow->asid) : "memory");
    }
    return r;
}
