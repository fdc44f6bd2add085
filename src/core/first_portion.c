#include <stdlib.h>
#include "core/first_portion.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/reloc.h"
#include "core/console.h"
#include "arch/riscv/csr.h"

static void *walk_gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    return vm_gpa_to_host(ctx, gpa, len);
}

bool first_portion_is_conflict(struct vcpu *v, uint64_t va, enum access_type access,
                               uint64_t *cause)
{
    uint64_t gpa = va;
    if ((v->csr->satp >> SATP_MODE_SHIFT) != SATP_MODE_BARE) {
        struct walk_result res;
        enum walk_status st = vcpu_translate(v, va, access, false, &res);
        if (st != WALK_OK) {
            *cause = st == WALK_PAGE_FAULT ? walk_page_fault_cause(access)
                                           : walk_access_fault_cause(access);
            return false;
        }
        gpa = res.gpa;
    }
    /* The guest's translation allows it: a conflict if something is there
     * for the guest (its RAM or a device); otherwise its own access fault. */
    if (vm_gpa_to_host(v->vm, gpa, 1) || (access != ACCESS_FETCH && board_find_region(gpa)))
        return true;
    *cause = walk_access_fault_cause(access);
    return false;
}

/* Guest-physical [gpa, gpa+size) holds nothing the guest can reach. */
static bool physical_range_empty(const struct vm *vm, uint64_t gpa, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE)
        if (vm_gpa_to_host(vm, gpa + off, 1) || board_find_region(gpa + off))
            return false;
    return true;
}

static bool guest_range_free(const struct vm *vm, uint64_t satp, uint64_t va, uint64_t size)
{
    if ((satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE)
        return physical_range_empty(vm, va, size);
    struct walk_memory mem = { walk_gpa_to_host, vm };
    for (uint64_t off = 0; off < size; off += PAGE_SIZE)
        if (guest_walk_mapped(&mem, satp, va + off))
            return false;
    return true;
}

/* Usable for the first portion: canonical for the host, clear of lodger's
 * own identity map, and unmapped in every guest address space lodger knows
 * of (each vCPU's satp and every cached shadow's). */
static bool range_free(void *ctx, uint64_t va, uint64_t size)
{
    struct vm *vm = ctx;
    if (!pt_is_canonical(va, host_mmu.levels) || !pt_is_canonical(va + size - 1, host_mmu.levels) ||
        va + size < va)
        return false;
    for (int i = 0; i < host.mem_count; i++)
        if (va < host.mem[i].base + host.mem[i].size && host.mem[i].base < va + size)
            return false;
    if (host.test_device && va <= host.test_device && host.test_device < va + size)
        return false;
    for (int i = 0; i < vm->vcpu_count; i++)
        if (!guest_range_free(vm, vm->vcpus[i].csr->satp, va, size))
            return false;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        const struct shadow *s = &vm->shadows.entries[i];
        if (s->in_use && !guest_range_free(vm, s->guest_satp, va, size))
            return false;
    }
    return true;
}

void first_portion_move(struct vm *vm, uint64_t new_va, enum reloc_reason why)
{
    extern char first_portion_start[];
    uint64_t old = vm->first_va;
    vm->first_va = new_va;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (!s->in_use)
            continue;
        pt_unmap(&s->pt, old, FIRST_PORTION_SIZE);
        pt_unmap(&s->pt, new_va, FIRST_PORTION_SIZE);
        if (!shadow_map_first_portion(vm, s))
            vm_end(vm, true, "out of host memory moving the first portion");
    }
    /* lodger's own space: the code pages at the new place. This hart's
     * stvec follows at once: lodger's own traps enter there too. */
    pt_unmap(&host_mmu.own, old, FIRST_CODE_PAGES * PAGE_SIZE);
    if (!pt_map(&host_mmu.own, new_va, (uint64_t)first_portion_start,
                FIRST_CODE_PAGES * PAGE_SIZE, PTE_R | PTE_X | PTE_A, 0))
        panic("out of memory mapping the first portion");
    sfence_vma_all();
    csr_write(CSR_STVEC, new_va + (uint64_t)(first_trap_entry - first_portion_start));
    vm->fp.relocations[why]++;
}

static void record_latency(struct vm *vm, uint64_t ticks)
{
    struct first_portion_stats *st = &vm->fp;
    st->latency[st->latency_count % FIRST_LATENCY_SAMPLES] = ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
    st->latency_count++;
}

void first_portion_resolve(struct vcpu *v, uint64_t va, uint64_t trap_time)
{
    struct vm *vm = v->vm;
    vm->fp.conflicts++;
    struct reloc_query q = {
        .host_levels = host_mmu.levels, .size = FIRST_PORTION_SIZE, .current = vm->first_va,
        .range_free = range_free, .ctx = vm,
    };
    uint64_t new_va;
    if (!reloc_find_free(&q, &vm->reloc_seed, &new_va))
        vm_end(vm, true, "the guest maps every region lodger tried for its first portion "
               "(conflict at 0x%lx); displaced-content emulation is not implemented yet",
               (unsigned long)va);
    first_portion_move(vm, new_va, RELOC_TO_UNUSED);
    record_latency(vm, csr_read(CSR_TIME) - trap_time);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void first_portion_print_stats(const struct vm *vm)
{
    const struct first_portion_stats *st = &vm->fp;
    console_printf("lodger: vm%d first portion at 0x%lx: conflicts %lu, relocations: to unused %lu, "
                   "to random %lu, settle %lu, fetch %lu; displaced accesses emulated %lu\n",
                   vm->id, (unsigned long)vm->first_va, (unsigned long)st->conflicts,
                   (unsigned long)st->relocations[RELOC_TO_UNUSED],
                   (unsigned long)st->relocations[RELOC_TO_RANDOM],
                   (unsigned long)st->relocations[RELOC_SETTLE],
                   (unsigned long)st->relocations[RELOC_FETCH], (unsigned long)st->emulated);
    unsigned n = st->latency_count < FIRST_LATENCY_SAMPLES ? st->latency_count : FIRST_LATENCY_SAMPLES;
    if (!n)
        return;
    uint32_t sorted[FIRST_LATENCY_SAMPLES];
    for (unsigned i = 0; i < n; i++)
        sorted[i] = st->latency[i];
    qsort(sorted, n, sizeof(sorted[0]), compare_u32);
    console_printf("lodger: vm%d relocation latency (timer ticks, last %u): min %u median %u max %u\n",
                   vm->id, n, sorted[0], sorted[n / 2], sorted[n - 1]);
}
