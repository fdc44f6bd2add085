/* The owner of struct first_portion (first_portion.h): where the first
 * portion is placed at creation and each boot, how it moves when the guest
 * wants its place, and the emulation of guest accesses to the content it
 * displaces (shared/DESIGN.md, "Where the first portion lives"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/first_portion.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/reloc.h"
#include "core/console.h"
#include "core/trap.h"
#include "core/insn.h"
#include "core/random.h"
#include "arch/riscv/fpr.h"
#include "arch/riscv/csr.h"

static void *walk_gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    return vm_gpa_to_host(ctx, gpa, len);
}

bool first_portion_is_conflict(struct vcpu *v, uint64_t va, enum access_type access,
                               uint64_t *cause)
{
    uint64_t gpa;
    if (!vcpu_guest_physical(v, va, access, false, &gpa, cause))
        return false;
    /* The guest's translation allows it: a conflict if something is there
     * for the guest (its RAM or a device); otherwise its own access fault. */
    if (vm_gpa_to_host(v->vm, gpa, 1) || (access != ACCESS_FETCH && board_find_region(v->vm, gpa)))
        return true;
    *cause = walk_access_fault_cause(access);
    return false;
}

/* Guest-physical [gpa, gpa+size) holds nothing the guest can reach. */
static bool physical_range_empty(const struct vm *vm, uint64_t gpa, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE)
        if (vm_gpa_to_host(vm, gpa + off, 1) || board_find_region(vm, gpa + off))
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

/* Canonical for the host, not wrapping past 2^64, and clear of lodger's
 * own identity map of RAM. */
static bool clear_of_host_ram(uint64_t va, uint64_t size)
{
    if (!pt_is_canonical(va, host_mmu.levels) || !pt_is_canonical(va + size - 1, host_mmu.levels) ||
        va + size < va)
        return false;
    for (int i = 0; i < host.mem_count; i++)
        if (first_ranges_overlap(va, size, host.mem[i].base, host.mem[i].size))
            return false;
    return true;
}

/* Clear of lodger's own address space (its identity map of RAM and devices)
 * and of the VM's guest-RAM window. */
static bool range_free_of_lodger(const struct vm *vm, uint64_t va, uint64_t size)
{
    /* Nor where the vCPU's plain CSRs go for trap-free sites (core/patch.c). */
    if (first_window_overlaps(&vm->first, va, size) || !clear_of_host_ram(va, size) ||
        first_ranges_overlap(va, size, FRAME_PLAIN_VA, PAGE_SIZE))
        return false;
    return !(host.test_device && first_ranges_overlap(va, size, host.test_device, 1));
}

bool first_portion_init(struct first_portion *fp, const struct vm_image *img, uint64_t ram_size,
                        char *err, unsigned long errlen)
{
    fp->va = img->first_portion_forced ? img->first_portion_va
                                       : first_default_place(host_mmu.levels);
    fp->boot_va = fp->va;
    /* lodger's own space identity-maps RAM; the first portion must not collide. */
    if ((fp->va & (PAGE_SIZE - 1)) || !clear_of_host_ram(fp->va, FIRST_PORTION_SIZE)) {
        snprintf(err, errlen, "lodger,first-portion: address 0x%lx is not usable (page-aligned, canonical, "
                 "outside host RAM)", (unsigned long)fp->va);
        return false;
    }
    /* No window where the first portion was put by hand. */
    fp->window_va = first_default_window(host_mmu.levels);
    fp->window_size = ram_size;
    if (first_window_overlaps(fp, fp->va, FIRST_PORTION_SIZE))
        fp->window_va = 0;
    lodger_random(&fp->seed, sizeof(fp->seed));
    fp->seed |= 1;                  /* xorshift never leaves 0 */
    return true;
}

void first_portion_map_in_lodger(const struct first_portion *fp)
{
    if (!pt_map(&host_mmu.own, fp->va, (uint64_t)first_portion_start, FIRST_CODE_SIZE,
                PTE_R | PTE_X | PTE_A, 0))
        panic("out of memory mapping the first portion");
}

/* Usable for the first portion: clear of lodger's own space, and unmapped
 * in every guest address space lodger knows of (each vCPU's satp and every
 * cached shadow's). */

static bool range_free(void *ctx, uint64_t va, uint64_t size)
{
    struct vm *vm = ctx;
    if (!range_free_of_lodger(vm, va, size))
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

/* Called with the VM's other vCPUs held out of guest mode (vm_hold_others)
 * and its lock taken. False if a shadow could not map it (out of memory):
 * the VM must end, its other vCPUs still held (the first portion may be
 * missing from their shadows). */
bool first_portion_move(struct vm *vm, uint64_t new_va, enum reloc_reason why)
{
    struct first_portion *fp = &vm->first;
    uint64_t old = fp->va;
    __atomic_store_n(&fp->va, new_va, __ATOMIC_RELAXED);
    /* No shared table of the guest's global mappings may hold the new
     * place (nor be linked there: the code and frames go into each
     * shadow's own tables). The others are held: they may be freed. */
    shadow_global_free(vm, false, new_va, FIRST_PORTION_SIZE);
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        struct shadow *s = &vm->shadows.entries[i];
        if (!s->in_use)
            continue;
        s->generation++;    /* every hart flushes this ASID before running it again */
        pt_unmap(&s->pt, old, FIRST_PORTION_SIZE);
        pt_unmap(&s->pt, new_va, FIRST_PORTION_SIZE);
        /* The code, and the frames of the vCPUs that may run on it only
         * (s->frames, issue 12): the same ones at the new place. */
        /* Its new place may need tables the VM's shadow budget has no
         * room for: its own shadow state makes room (the others are held,
         * so the held shadows may be emptied too), never another VM's. */
        if (!shadow_map_first_portion(vm, s) &&
            (!shadow_reclaim(vm, NULL, s, true) || !shadow_map_first_portion(vm, s)))
            return false;
    }
    /* lodger's own space: the code pages at the new place (and still at
     * the old one if another VM is there). This hart's stvec follows at
     * once: lodger's own traps enter there too. */
    if (!vm_map_first_code(vm, old))
        return false;   /* out of host memory: this VM ends, not lodger */
    csr_write(CSR_STVEC, first_symbol_va(new_va, first_trap_entry));
    fp->stats.relocations[why]++;
    return true;
}

bool first_portion_reboot(struct vm *vm)
{
    struct first_portion *fp = &vm->first;
    /* No shadow is left, so a move only remaps lodger's own table. */
    if (fp->va != fp->boot_va && !first_portion_move(vm, fp->boot_va, RELOC_TO_UNUSED))
        return false;
    memset(&fp->stats, 0, sizeof(fp->stats));
    memset(&fp->state, 0, sizeof(fp->state));
    return true;
}


/* Settling (DESIGN step 4): more than this many emulated accesses within one
 * interval means the place is hot: move on. */
#define SETTLE_INTERVALS_PER_SECOND 100
#define SETTLE_THRESHOLD 64

static bool in_history(const struct vm *vm, uint64_t va)
{
    const struct first_portion_state *st = &vm->first.state;
    unsigned n = st->history_count < FIRST_HISTORY ? st->history_count : FIRST_HISTORY;
    for (unsigned i = 0; i < n; i++)
        if (first_place_overlaps(st->history[i], va, FIRST_PORTION_SIZE))
            return true;
    return false;
}

static void remember(struct vm *vm, uint64_t va)
{
    struct first_portion_state *st = &vm->first.state;
    st->history[st->history_count++ % FIRST_HISTORY] = va;
}

/* Moves away from the current place: to an unused region if there is one,
 * else to a random region (not a recent one) whose content is then displaced. */
static bool move_on(struct vcpu *v, enum reloc_reason why_if_displaced)
{
    struct vm *vm = v->vm;
    struct first_portion *fp = &vm->first;
    struct reloc_query q = {
        .host_levels = host_mmu.levels, .size = FIRST_PORTION_SIZE, .current = fp->va,
        .range_free = range_free, .ctx = vm,
    };
    remember(vm, fp->va);
    bool was_displaced = fp->state.displaced;
    uint64_t new_va;
    if (reloc_find_free(&q, &fp->seed, &new_va)) {
        fp->state.displaced = false;
        return first_portion_move(vm, new_va, was_displaced ? why_if_displaced : RELOC_TO_UNUSED);
    }
    do
        new_va = reloc_random_region(&q, &fp->seed);
    while (in_history(vm, new_va) || !range_free_of_lodger(vm, new_va, FIRST_PORTION_SIZE));
    fp->state.displaced = true;
    reloc_settle_reset(&fp->state.settle, csr_read(CSR_TIME));
    return first_portion_move(vm, new_va, was_displaced ? why_if_displaced : RELOC_TO_RANDOM);
}

enum relocation { RELOCATED, RELOCATION_BUSY, RELOCATION_FAILED };

/* Moves the first portion with every other vCPU of the VM out of guest
 * mode (they trap through it). Busy if another vCPU was moving it. A move
 * that failed releases the lock but keeps the others held until the VM
 * ends (vcpu_resume): its shadows may lack the first portion. */
static enum relocation relocate(struct vcpu *v, enum reloc_reason why_if_displaced,
                                bool conflict)
{
    struct vm *vm = v->vm;
    if (!vm_hold_others(v))
        return RELOCATION_BUSY;
    spin_lock(&vm->lock);
    bool moved = move_on(v, why_if_displaced);
    /* Counted before the others run again: one of them may read the
     * counters (SBI) right after its own access found the place free. */
    if (moved && conflict)
        vm->first.stats.conflicts++;
    spin_unlock(&vm->lock);
    if (!moved)
        return RELOCATION_FAILED;
    vm_release_others(vm);
    return RELOCATED;
}

static enum trap_result out_of_memory(struct vcpu *v)
{
    return trap_exit(v, VCPU_EXIT_END_VM, true, "out of host memory or shadow page budget moving the "
                     "first portion");
}

static void record_latency(struct vm *vm, uint64_t ticks)
{
    struct first_portion_stats *st = &vm->first.stats;
    st->latency[st->latency_count % FIRST_LATENCY_SAMPLES] = ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
    st->latency_count++;
}

/* The emulator's view of this vCPU: its registers and its translation,
 * and the guest memory it stores to (at most two pieces: misaligned). */
struct emulate_ctx {
    struct vcpu *v;
    int stores;
    uint64_t gpa[2], len[2];
};

static void *emulate_translate(void *ctx, uint64_t va, uint64_t len, enum access_type access,
                               uint64_t *cause)
{
    struct emulate_ctx *e = ctx;
    struct vcpu *v = e->v;
    uint64_t gpa;
    if (!vcpu_guest_physical(v, va, access, true, &gpa, cause))
        return NULL;
    void *host_ptr = vm_gpa_to_host(v->vm, gpa, len);
    if (!host_ptr) {
        *cause = walk_access_fault_cause(access);
    } else if (access == ACCESS_STORE && e->stores < 2) {
        e->gpa[e->stores] = gpa;
        e->len[e->stores++] = len;
    }
    return host_ptr;
}

static uint64_t emulate_read_reg(void *ctx, unsigned reg, bool fp)
{
    struct emulate_ctx *e = ctx;
    return fp ? fpr_read(reg) : vcpu_reg(e->v, reg);
}

static void emulate_write_reg(void *ctx, unsigned reg, bool fp, uint64_t value)
{
    struct emulate_ctx *e = ctx;
    struct vcpu *v = e->v;
    if (!fp) {
        vcpu_set_reg(v, reg, value);
        return;
    }
    fpr_write(reg, value);
    /* The hardware marks FP state dirty on an FP register write (4.1.1.6). */
    v->csr->sstatus |= SSTATUS_FS;
    v->frame->status |= SSTATUS_FS;
}

/* DESIGN step 3: one guest load/store/AMO on displaced content, done on the
 * guest's memory through lodger's own mapping. */
static enum trap_result emulate_displaced(struct vcpu *v, struct trap *t)
{
    struct vm *vm = v->vm;
    uint64_t cause;
    if (!vcpu_fetch_insn(v, t->epc, &t->insn, &cause)) {
        vcpu_inject_exception(v, cause, t->epc);
        return TRAP_REDIRECTED;
    }
    struct insn d;
    insn_decode(t->insn, &d);
    t->insn_length = d.length;
    struct emulate_ctx ctx = { .v = v };
    struct emulate_ops ops = { emulate_translate, emulate_read_reg, emulate_write_reg, &ctx };
    uint64_t tval = 0;
    enum emulate_result done = emulate_access(&d, &ops, &v->reservation, &cause, &tval);
    /* A patched page's copy goes (core/patch.c), after the store: a copy
     * made meanwhile holds what was stored. */
    for (int i = 0; i < ctx.stores; i++)
        patch_guest_wrote(v, ctx.gpa[i], ctx.len[i]);
    switch (done) {
    case EMULATE_DONE:
        break;
    case EMULATE_FAULT:
        vcpu_inject_exception(v, cause, tval);
        return TRAP_REDIRECTED;
    default:
        /* Not a plain access (e.g. a vector load): move away instead. */
        return relocate(v, RELOC_SETTLE, false) == RELOCATION_FAILED ? out_of_memory(v) : TRAP_RETRY;
    }
    vm->first.stats.emulated++;
    if (reloc_settle_hot(&vm->first.state.settle, csr_read(CSR_TIME),
                         host.timebase_hz / SETTLE_INTERVALS_PER_SECOND, SETTLE_THRESHOLD) &&
        relocate(v, RELOC_SETTLE, false) == RELOCATION_FAILED)
        return out_of_memory(v);
    return TRAP_NEXT;
}

/* An LR cannot be emulated: the SC that follows runs in hardware, which
 * holds no reservation for it and fails without trapping. Like a fetch, it
 * makes the first portion move so that the hardware runs the pair. */
static bool is_lr(struct vcpu *v, struct trap *t)
{
    uint64_t cause;
    struct insn d;
    if (!vcpu_fetch_insn(v, t->epc, &t->insn, &cause))
        return false;
    insn_decode(t->insn, &d);
    return d.kind == INSN_LR;
}

enum trap_result first_portion_resolve(struct vcpu *v, struct trap *t, enum access_type access)
{
    struct vm *vm = v->vm;
    if (vm->first.state.displaced && access != ACCESS_FETCH && !is_lr(v, t))
        return emulate_displaced(v, t);
    /* A conflict: the guest wants this place (an instruction fetch from
     * displaced content cannot be emulated cheaply: move too). */
    switch (relocate(v, RELOC_FETCH, true)) {
    case RELOCATION_FAILED:
        return out_of_memory(v);
    case RELOCATED:
        record_latency(vm, csr_read(CSR_TIME) - t->time);
        break;
    case RELOCATION_BUSY:
        break;
    }
    return TRAP_RETRY;  /* the access reaches the guest's own page now */
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void first_portion_print_stats(const struct vm *vm)
{
    const struct first_portion_stats *st = &vm->first.stats;
    console_printf("lodger: vm%d first portion at 0x%lx: conflicts %lu, relocations: to unused %lu, "
                   "to random %lu, settle %lu, fetch %lu; displaced accesses emulated %lu\n",
                   vm->id, (unsigned long)vm->first.va, (unsigned long)st->conflicts,
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
