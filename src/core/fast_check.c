/* Checking builds (make CHECK_FAST=1): each guest trap is run again through
 * the first portion's C twin (src/first/fast_path.c) on the frame as the
 * trap entry left it (src/first/entry.S keeps a copy), and the result must
 * be what the assembly did: served or declined alike, and the same frame,
 * field by field. A difference ends the VM, naming the field. */
#include <stdio.h>
#include "core/vm.h"
#include "core/trap.h"
#include "core/console.h"

#ifdef LODGER_CHECK_FAST
/* Other harts may raise this vCPU's sip (vcpu_raise) at any time; the fast
 * paths never write it. With one vCPU the check is exact. With more, the
 * twin's result takes its value from the frame as it is now, and the twin
 * runs a second time with that value as its input if it changed under the
 * assembly. (The shadow views, sum_satp[] and user_satp, change only at
 * the vCPU's own resume: shadow.c's lifetime rule. A difference there is
 * a finding.) */
static void take_shared_fields(struct trap_frame *to, const struct trap_frame *from)
{
    to->csr.sip = from->csr.sip;
}

/* The assembly's read of the next instruction when it chains (entry.S
 * .Lchain_load): S-mode, SUM and MXR set, through the shadow it runs on at
 * that point (the twin's guest_satp), so readable if that shadow maps the
 * page readable or executable. */
struct chain_read {
    const struct vm *vm;
    const struct trap_frame *twin;
};

static bool shadow_fetch(void *ctx, uint64_t va, uint32_t *bits)
{
    const struct chain_read *r = ctx;
    for (int i = 0; i < SHADOW_CACHE_SIZE; i++) {
        const struct shadow *s = &r->vm->shadows.entries[i];
        if (!s->in_use || s->satp != r->twin->guest_satp)
            continue;
        int level;
        pte_t pte = pt_lookup(&s->pt, va, &level);
        if (!(pte & PTE_V) || !(pte & (PTE_R | PTE_X)) || !(pte & PTE_A))
            return false;
        uint64_t pa = pte_to_pa(pte) + (va & (pt_level_size(level) - 1));
        *bits = *(const volatile uint16_t *)pa | (uint32_t)*(const volatile uint16_t *)(pa + 2) << 16;
        return true;
    }
    return false;
}

/* Runs the twin on the entry frame; true if it did what the assembly did
 * (served, now); else *d names the first difference (d->field NULL: served
 * or declined differ). */
static bool twin_agrees(const struct vcpu *v, const struct trap_frame *entry,
                        const struct trap_frame *now, bool served, bool shared_now,
                        bool *twin_served, struct frame_diff *d)
{
    struct trap_frame twin = *entry;
    bool smp = v->vm->vcpu_count > 1;
    if (smp && shared_now)
        take_shared_fields(&twin, now);
    /* The twin reads the guest's tables through lodger's own map of guest
     * RAM: the window is only mapped in the shadows. */
    twin.window_va = entry->window_va ? v->vm->ram_hpa : 0;
    struct chain_read read = { v->vm, &twin };
    *twin_served = fast_path_run(&twin, shadow_fetch, &read);
    twin.window_va = entry->window_va;
    if (smp)
        take_shared_fields(&twin, now);
    d->field = NULL;
    return served == *twin_served && !fast_frame_diff(now, &twin, d);
}

/* Called by the top of the trap path (core/vcpu_exit.c) before the trap is
 * dispatched, with no lock held: it may end the VM itself. */
bool fast_check_trap(struct vcpu *v)
{
    struct trap_frame *f = v->frame;
    struct fast_check_area *area = fast_check_area_of(f);
    const struct trap_frame *e = &area->entry;
    const struct trap_frame now = *f;
    bool served = area->served != 0, twin_served;
    struct frame_diff d;
    if (twin_agrees(v, e, &now, served, false, &twin_served, &d) ||
        (v->vm->vcpu_count > 1 && twin_agrees(v, e, &now, served, true, &twin_served, &d))) {
        v->count.fast_checked[served]++;
        return served;
    }
    console_printf("\nlodger: fast-path check failed on cause %lu tval 0x%lx pc 0x%lx vmode %lu\n",
                   (unsigned long)e->cause, (unsigned long)e->tval, (unsigned long)e->pc,
                   (unsigned long)e->vmode);
    if (!d.field)
        vm_end(v->vm, true, "fast-path check: the assembly %s the trap, the C twin %s it",
               served ? "served" : "declined", twin_served ? "served" : "declined");
    char index[8] = "";
    if (d.index >= 0)
        snprintf(index, sizeof(index), "[%d]", d.index);
    vm_end(v->vm, true, "fast-path check (%s): frame.%s%s = 0x%lx, C twin 0x%lx",
           served ? "served" : "declined", d.field, index, (unsigned long)d.a, (unsigned long)d.b);
}
#endif
