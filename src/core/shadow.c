#include <string.h>
#include "core/shadow.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/console.h"
#include "arch/riscv/csr.h"

extern char first_portion_start[];

static uint16_t shadow_asid(const struct vm *vm, int slot)
{
    unsigned asid = 1 + (unsigned)vm->id * SHADOW_CACHE_SIZE + (unsigned)slot;
    if (host_mmu.asid_bits == 0 || asid >= (1u << host_mmu.asid_bits))
        return 0;   /* no usable ASID: the trap entry flushes on every switch */
    return (uint16_t)asid;
}

static void shadow_release(struct shadow *s)
{
    if (!s->in_use)
        return;
    pt_destroy(&s->pt);
    if (s->asid)
        sfence_vma_asid(s->asid);
    else
        sfence_vma_all();
    s->in_use = false;
}

bool shadow_map_first_portion(struct vm *vm, struct shadow *s)
{
    uint64_t code_pa = (uint64_t)first_portion_start;
    /* Code: S-mode execute only; the guest (U-mode) can neither read nor run it. */
    if (!pt_map(&s->pt, vm->first_va, code_pa, FIRST_CODE_PAGES * PAGE_SIZE,
                PTE_X | PTE_A, 0))
        return false;
    for (int i = 0; i < vm->vcpu_count; i++) {
        uint64_t va = vm->first_va + (FIRST_CODE_PAGES + (uint64_t)i) * PAGE_SIZE;
        if (!pt_map(&s->pt, va, (uint64_t)vm->vcpus[i].frame, PAGE_SIZE,
                    PTE_R | PTE_W | PTE_A | PTE_D, 0))
            return false;
    }
    return true;
}

struct shadow *shadow_get(struct vm *vm, uint64_t guest_satp, int view)
{
    struct shadow_cache *cache = &vm->shadows;
    uint64_t key = guest_satp & ~(SATP_ASID_MASK << SATP_ASID_SHIFT);
    if ((key >> SATP_MODE_SHIFT) == SATP_MODE_BARE)
        view = VMODE_S;     /* with translation off both modes see the same memory */
    struct shadow *victim = &cache->entries[0];
    cache->clock++;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &cache->entries[i];
        if (s->in_use && s->guest_satp == key && s->view == view) {
            s->last_used = cache->clock;
            return s;
        }
        if (!s->in_use || (victim->in_use && s->last_used < victim->last_used))
            victim = s;
    }
    shadow_release(victim);
    victim->guest_satp = key;
    victim->view = view;
    victim->last_used = cache->clock;
    if (!pt_create(&victim->pt, host_mmu.levels, &mem_page_allocator) ||
        !shadow_map_first_portion(vm, victim))
        vm_end(vm, true, "out of host memory for shadow page tables");
    victim->asid = shadow_asid(vm, (int)(victim - cache->entries));
    victim->satp = pt_mode_of_levels(host_mmu.levels) << SATP_MODE_SHIFT |
                   (uint64_t)victim->asid << SATP_ASID_SHIFT | victim->pt.root >> PAGE_SHIFT;
    victim->in_use = true;
    return victim;
}

void shadow_flush_all(struct vm *vm)
{
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++)
        shadow_release(&vm->shadows.entries[i]);
}

static uint64_t access_fault_cause(enum access_type access)
{
    return access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS
         : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
}

/* Translation off (satp.MODE = Bare): guest-virtual is guest-physical. */
static enum shadow_fill_result fill_bare(struct vcpu *v, uint64_t va, enum access_type access,
                                         uint64_t *cause)
{
    struct vm *vm = v->vm;
    if (!vm_gpa_to_host(vm, va, 1)) {
        *cause = access_fault_cause(access);
        return SHADOW_GUEST_FAULT;
    }
    /* A 2 MiB superpage when the whole block is guest RAM. */
    uint64_t big = pt_level_size(1);
    uint64_t block = va & ~(big - 1);
    bool use_big = vm_gpa_to_host(vm, block, big) && !((vm->ram_hpa - vm->ram_gpa) & (big - 1)) &&
                   (block + big <= vm->first_va || block >= vm->first_va + FIRST_PORTION_SIZE);
    uint64_t base = use_big ? block : va & ~(PAGE_SIZE - 1);
    uint64_t size = use_big ? big : PAGE_SIZE;
    uint64_t hpa = (uint64_t)vm_gpa_to_host(vm, base, size);
    if (!pt_map(&v->shadow->pt, base, hpa, size,
                PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D, use_big ? 1 : 0))
        vm_end(vm, true, "out of host memory for shadow page tables");
    return SHADOW_FILLED;
}

enum shadow_fill_result shadow_fill(struct vcpu *v, uint64_t va, enum access_type access,
                                    uint64_t *cause)
{
    struct vm *vm = v->vm;
    if (va >= vm->first_va && va < vm->first_va + FIRST_PORTION_SIZE)
        return SHADOW_CONFLICT;
    enum shadow_fill_result r;
    if ((v->csr.satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE)
        r = fill_bare(v, va, access, cause);
    else
        vm_end(vm, true, "guest paging mode %lu is not virtualized",
               (unsigned long)(v->csr.satp >> SATP_MODE_SHIFT));
    if (r == SHADOW_FILLED) {
        v->count.shadow_fills++;
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((unsigned long)v->shadow->asid) : "memory");
    }
    return r;
}
