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

/* Under vm->lock, by every flush of guest mappings. */
static void fence_seq_bump(struct vm *vm)
{
    __atomic_store_n(&vm->shadows.fence_seq, vm->shadows.fence_seq + 1, __ATOMIC_RELEASE);
}

static uint16_t shadow_asid(const struct vm *vm, int slot)
{
    unsigned asid = 1 + (unsigned)vm->id * SHADOW_CACHE_SIZE + (unsigned)slot;
    if (host_mmu.asid_bits == 0 || asid >= (1u << host_mmu.asid_bits))
        return 0;   /* no usable ASID: the trap entry flushes on every switch */
    return (uint16_t)asid;
}

static void shadow_release(struct vm *vm, struct shadow *s)
{
    if (!s->in_use)
        return;
    /* The fast paths may hold this shadow's satp: forget them all. */
    for (int i = 0; i < vm->vcpu_count; i++)
        vm->vcpus[i].frame->sum_satp[0] = vm->vcpus[i].frame->sum_satp[1] =
            vm->vcpus[i].frame->user_satp = 0;
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

static uint64_t frame_va_of(const struct vm *vm, int id)
{
    return first_frame_va(first_portion_place(&vm->first), id);
}

static bool map_frame(struct vm *vm, struct shadow *s, int id)
{
    return pt_map(&s->pt, frame_va_of(vm, id), (uint64_t)vm->vcpus[id].frame, FIRST_FRAME_SIZE,
                  PTE_R | PTE_W | PTE_A | PTE_D, 0);
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
 * and only shrinks until the next one (shadow_release zeroes the views of
 * every vCPU); this follows it there, under vm->lock, v off the hardware.
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
bool shadow_frames_follow(struct vm *vm, struct vcpu *v, struct shadow *const *on, int count)
{
    int slots[4];
    if (count > 4)
        panic("shadow_frames_follow: %d shadows", count);
    for (int i = 0; i < count; i++)
        slots[i] = on[i] ? (int)(on[i] - vm->shadows.entries) : -1;
    struct shadow_frame_change c = shadow_frame_change_of(slots, count, v->frame_slots);
    if (!c.gain && !c.lose)
        return true;
    uint32_t bit = 1u << v->id;
    uint64_t va = frame_va_of(vm, v->id);
    bool mapped = true;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (c.lose & (1u << i)) {
            pt_unmap(&s->pt, va, FIRST_FRAME_SIZE);
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
    __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
    return mapped;
}

#ifdef LODGER_CHECK_FAST
int shadow_frames_check(const struct vm *vm, const struct vcpu *v, struct shadow *const *on,
                        int count, int *slot)
{
    for (int i = 0; i < count; i++)
        if (on[i] && !(on[i]->frames & (1u << v->id))) {
            *slot = (int)(on[i] - vm->shadows.entries);
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
            bool maps = (pte & PTE_V) && level == 0 && pte_to_pa(pte) == (uint64_t)w->frame &&
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

/* A vCPU may be running on this shadow, or switch to it in a fast path. */
static bool shadow_busy(const struct vm *vm, const struct shadow *s)
{
    for (int i = 0; i < vm->vcpu_count; i++) {
        const struct vcpu *v = &vm->vcpus[i];
        const struct trap_frame *f = v->frame;
        if (v->shadow == s || f->guest_satp == s->satp || f->sum_satp[0] == s->satp ||
            f->sum_satp[1] == s->satp || f->user_satp == s->satp)
            return true;
    }
    return false;
}

struct shadow *shadow_get(struct vm *vm, uint64_t guest_satp, int view)
{
    struct shadow_cache *cache = &vm->shadows;
    spin_lock(&vm->lock);
    uint64_t key = shadow_key(guest_satp, &view);
    cache->clock++;
    struct shadow *found = shadow_find(vm, guest_satp, view);
    if (found) {
        found->last_used = cache->clock;
        spin_unlock(&vm->lock);
        return found;
    }
    struct shadow *victim = NULL;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &cache->entries[i];
        if (s->in_use && shadow_busy(vm, s))
            continue;
        if (!victim || !s->in_use || (victim->in_use && s->last_used < victim->last_used))
            victim = s;
    }
    if (!victim) {
        spin_unlock(&vm->lock);
        return NULL;    /* every shadow is in use: the caller ends the VM */
    }
    shadow_release(vm, victim);
    victim->generation++;
    victim->guest_satp = key;
    victim->view = view;
    victim->last_used = cache->clock;
    victim->frames = 0;     /* each vCPU's frame comes with its resume on it */
    bool created = pt_create(&victim->pt, host_mmu.levels, &mem_page_allocator);
    if (!created || !shadow_map_first_portion(vm, victim) || !shadow_map_window(vm, victim)) {
        if (created)
            pt_destroy(&victim->pt);
        spin_unlock(&vm->lock);
        return NULL;    /* out of host memory: the caller ends the VM */
    }
    victim->asid = shadow_asid(vm, (int)(victim - cache->entries));
    victim->satp = pt_mode_of_levels(host_mmu.levels) << SATP_MODE_SHIFT |
                   (uint64_t)victim->asid << SATP_ASID_SHIFT | victim->pt.root >> PAGE_SHIFT;
    victim->in_use = true;
    cache->epoch++;
    victim->stale = false;
    victim->guest_asid = (int32_t)shadow_key_asid(key);
    memset(victim->roots_used, 0, sizeof(victim->roots_used));
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
static void shadow_clear(struct vm *vm, struct shadow *s)
{
    int top = s->pt.levels - 1;
    uint64_t space = 1UL << (12 + 9 * s->pt.levels), entry = pt_level_size(top);
    uint64_t first = first_portion_place(&vm->first) & (space - 1);
    uint64_t first_end = first_place_end(first);
    /* Freeing the emptied tables keeps later clears cheap; only safe when no
     * other hart may be walking them (one running vCPU). */
    int running = 0;
    for (int i = 0; i < vm->vcpu_count; i++)
        running += vm->vcpus[i].state != VCPU_STOPPED;
    bool prune = running <= 1;
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

void shadow_flush_all(struct vm *vm)
{
    spin_lock(&vm->lock);
    fence_seq_bump(vm);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        if (vm->shadows.entries[i].in_use)
            vm->shadows.entries[i].stale = true;
    spin_unlock(&vm->lock);
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

void shadow_destroy_all(struct vm *vm)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        shadow_release(vm, &vm->shadows.entries[i]);
}

/* The guest mode a shadow's entries come from: a translation it holds is
 * at an address canonical for that mode (Bare: guest RAM, low addresses). */
static bool shadow_may_hold(const struct shadow *s, uint64_t va)
{
    int levels = pt_levels_of_mode(s->guest_satp >> SATP_MODE_SHIFT);
    return pt_is_canonical(va, levels ? levels : s->pt.levels);
}

void shadow_flush_page(struct vm *vm, uint64_t va, uint64_t asid)
{
    /* Callers pass only addresses the fence may name (pt_fence_va_valid);
     * an address outside the host's canonical range would alias lodger's
     * own entries in pt_unmap (issue 12), whatever the callers check. */
    if (!pt_is_canonical(va, host_mmu.levels))
        return;
    if (first_place_contains(first_portion_place(&vm->first), va))
        return;     /* never the first portion itself */
    /* Nor the guest-RAM window, in the shadows that have it (their guest
     * cannot map there); a guest of the host's mode may use that place. */
    bool in_window = first_window_contains(&vm->first, va);
    spin_lock(&vm->lock);
    fence_seq_bump(vm);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (!s->in_use || s->stale || (asid != SHADOW_ALL_ASIDS && !filled_under(s, asid)) ||
            (in_window && first_window_for(&vm->first, s->guest_satp, host_mmu.levels)) ||
            !shadow_may_hold(s, va))
            continue;
        pt_unmap(&s->pt, va & ~(PAGE_SIZE - 1), PAGE_SIZE);
    }
    spin_unlock(&vm->lock);
    /* This hart's TLB, always: another hart may have removed the shadow
     * entry already (its fence flushed its own TLB, not this one's). All
     * host ASIDs: this hart may have cached the page under any shadow. */
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
static enum shadow_fill_result install(struct vcpu *v, uint64_t seq, uint64_t va, uint64_t gpa,
                                       uint64_t size, pte_t flags)
{
    struct vm *vm = v->vm;
    struct shadow *s = v->shadow;
    spin_lock(&vm->lock);
    uint64_t base_va = va & ~(size - 1), base_gpa = gpa & ~(size - 1);
    if (size > PAGE_SIZE &&
        (!vm_gpa_to_host(vm, base_gpa, size) || ((vm->ram_hpa - vm->ram_gpa) & (size - 1)) ||
         first_place_overlaps(first_portion_place(&vm->first), base_va, size) ||
         pt_has_table(&s->pt, base_va, 1))) {
        size = PAGE_SIZE;
        base_va = va & ~(PAGE_SIZE - 1);
        base_gpa = gpa & ~(PAGE_SIZE - 1);
    }
    if (!shadow_fill_may_install(seq, vm->shadows.fence_seq, base_va, size,
                                 first_portion_place(&vm->first))) {
        spin_unlock(&vm->lock);
        v->count.shadow_fill_races++;
        return SHADOW_RACED;
    }
    uint64_t hpa = (uint64_t)vm_gpa_to_host(vm, base_gpa, size);
    bool mapped = pt_map(&s->pt, base_va, hpa, size, flags | PTE_U | PTE_A,
                         size == PAGE_SIZE ? 0 : 1);
    unsigned root = (unsigned)(base_va >> (12 + 9 * (s->pt.levels - 1))) & 511;
    s->roots_used[root / 64] |= 1UL << (root % 64);
    spin_unlock(&vm->lock);
    return mapped ? SHADOW_FILLED : SHADOW_NO_MEMORY;
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
    return install(v, seq, va, va, pt_level_size(1), PTE_R | PTE_W | PTE_X | PTE_D);
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
    pte_t g = res.pte, flags = 0;
    if (g & PTE_R || ((view & SHADOW_VIEW_MXR) && (g & PTE_X)))
        flags |= PTE_R;
    if ((g & PTE_W) && (g & PTE_D))
        flags |= PTE_W | PTE_D;     /* a store to a clean page must fault to set D */
    if ((g & PTE_X) && !((view & SHADOW_VIEW_S) && (g & PTE_U)))
        flags |= PTE_X;             /* S-mode never executes U pages */
    uint64_t size = pt_level_size(res.level < 1 ? res.level : 1);
    return install(v, seq, va, res.gpa, size, flags);
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
    if (r == SHADOW_RACED)
        return SHADOW_FILLED;   /* nothing installed: the access retries and walks again */
    if (r == SHADOW_FILLED) {
        v->count.shadow_fills++;
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((unsigned long)v->shadow->asid) : "memory");
    }
    return r;
}
