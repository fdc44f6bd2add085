/* The pure rules of the shadow cache (src/core/shadow.c), host-tested in
 * tests/host/test_shadow_rules.c: which key a shadow is cached under, and
 * whether a fill may still install what its walk of the guest's table found. */
#ifndef LODGER_CORE_SHADOW_RULES_H
#define LODGER_CORE_SHADOW_RULES_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/encoding.h"
#include "core/first_portion.h"
#include "core/shadow_global.h"

/* A shadow caches the translations of one address space: the guest's
 * satp with its ASID. Privileged spec 4.1.11 / 4.2.1: translations are
 * per ASID, so what was cached under ASID A must not serve ASID B, even on
 * the same root (a guest may reuse a root under a new ASID and flush only
 * that ASID, or none if it was never used). With translation off (Bare)
 * every mode and ASID sees the same memory: one key, the S view. */
static inline uint64_t shadow_key_of(uint64_t guest_satp, int *view, int view_s)
{
    if ((guest_satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE) {
        *view = view_s;
        return guest_satp & ~(SATP_ASID_MASK << SATP_ASID_SHIFT);
    }
    return guest_satp;
}

/* The guest ASID a shadow's entries were filled under. */
static inline uint64_t shadow_key_asid(uint64_t key)
{
    return (key >> SATP_ASID_SHIFT) & SATP_ASID_MASK;
}

/* A fill walks the guest's table without the VM's lock and installs with
 * it. walked_seq is the VM's fence sequence read (acquire) before the walk,
 * seq_now the one under the lock at install: any flush of shadow mappings
 * in between (sfence.vma, an SBI remote fence) may be for an entry the
 * walk read before the guest removed it, and the guest's fence has
 * returned, so the fill must not install (the access retries and walks
 * again). Nor may it install over the first portion at first_va, which may
 * have moved there since the fill looked. */
static inline bool shadow_fill_may_install(uint64_t walked_seq, uint64_t seq_now, uint64_t va,
                                           uint64_t size, uint64_t first_va)
{
    return walked_seq == seq_now && !first_place_overlaps(first_va, va, size);
}

/* Whether a satp switch among these shadows (a vCPU's current one and the
 * views the fast path may switch to in place, by their hardware ASIDs)
 * needs an sfence.vma: yes if any of them has none of its own (ASID 0,
 * when the host has too few ASID bits): ASID 0's TLB entries may belong to
 * whichever shadow ran under it last. */
static inline bool shadow_flush_on_switch(const uint16_t *asids, int count)
{
    for (int i = 0; i < count; i++)
        if (asids[i] == 0)
            return true;
    return false;
}

/* Issue 12, defence in depth: a vCPU's trap-frame page is mapped only in
 * the shadows it may run on without going through the second portion (its
 * current one and the views the fast paths switch to in place, fixed at
 * each resume). slots: the cache slots of those shadows (-1: none; a slot
 * may come twice); mapped: the slots whose shadow maps the frame now. The
 * slots that must gain it, and those that must lose it. */
struct shadow_frame_change {
    uint32_t gain, lose;
};

static inline struct shadow_frame_change shadow_frame_change_of(const int *slots, int count,
                                                                uint32_t mapped)
{
    uint32_t want = 0;
    for (int i = 0; i < count; i++)
        if (slots[i] >= 0 && slots[i] < 32)
            want |= 1u << slots[i];
    struct shadow_frame_change c = { want & ~mapped, mapped & ~want };
    return c;
}

/* Issue 12, shadow lifetime. Which cache slot shadow_get (re)builds: a
 * free one, else the least recently used of those no vCPU holds; -1 if
 * every slot is held. held[i]: some vCPU holds slot i (shadow.c,
 * shadow_held: it is the vCPU's chosen shadow, or its frame may name it,
 * a hold taken under vm->lock and dropped only at that vCPU's next resume
 * or stop). A held shadow is never released, whatever its age: a hart may
 * be about to switch satp to it in a fast path. */
static inline int shadow_pick_victim(int count, const bool *in_use, const uint64_t *last_used,
                                     const bool *held)
{
    int victim = -1;
    for (int i = 0; i < count; i++) {
        if (!in_use[i])
            return i;
        if (held[i])
            continue;
        if (victim < 0 || last_used[i] < last_used[victim])
            victim = i;
    }
    return victim;
}

/* The shadow budget (core/shadow_pool.h) is spent: which shadow to evict
 * next. The least recently used of those in use that no vCPU holds and
 * that is not keep (the one being filled or built); -1 if none. Only the
 * VM's own shadows are ever candidates: the budget is per VM. */
static inline int shadow_pick_evict(int count, const bool *in_use, const uint64_t *last_used,
                                    const bool *held, int keep)
{
    int victim = -1;
    for (int i = 0; i < count; i++) {
        if (!in_use[i] || held[i] || i == keep)
            continue;
        if (victim < 0 || last_used[i] < last_used[victim])
            victim = i;
    }
    return victim;
}

/* Issue 15, shared global tables (core/shadow_global.h): whether a guest
 * leaf, found at level by a walk for a view, may go into the VM's shared
 * table of its region. s_class: the view is virtual S with or without SUM
 * and without MXR (SUM only changes what U=1 pages allow, MXR what X-only
 * ones do). Only G=1, U=0 leaves (privileged spec 4.3.1: global mappings
 * exist in every address space; 4.2.1: an ASID fence need not flush
 * them), found through a guest level-1 table (l1_gpa: the key that makes
 * every address space linking the table walk the same guest tables). */
static inline bool shadow_global_leaf(bool s_class, uint64_t pte, int level, uint64_t l1_gpa)
{
    return s_class && (pte & PTE_G) && !(pte & PTE_U) && level <= 1 && l1_gpa != 0;
}

/* Whether the region at region (SHADOW_GLOBAL_SIZE-aligned) holds none of
 * lodger's own mappings: the first portion's place (its code and every
 * vCPU's frame pages), the guest-RAM window (window_size 0: none), the
 * plain CSR page at plain_va. Such regions stay in each shadow's own tables. */
static inline bool shadow_global_region_ok(uint64_t region, uint64_t first_va, uint64_t window_va,
                                           uint64_t window_size, uint64_t plain_va)
{
    return !first_place_overlaps(first_va, region, SHADOW_GLOBAL_SIZE) &&
           !first_ranges_overlap(window_va, window_size, region, SHADOW_GLOBAL_SIZE) &&
           plain_va - region >= SHADOW_GLOBAL_SIZE;
}

#endif
