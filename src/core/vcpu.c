/* Running a vCPU: entering the guest through the first portion, delivering
 * traps and interrupts into it as the hardware would, and what lodger sees
 * through the vCPU's eyes (its translation, its instructions). Which vCPU a
 * hart runs: core/hart.c; its timer: core/vcpu_timer.c. */
#include "core/vm.h"
#include "core/vcpu_timer.h"
#include "core/hart.h"
#include "core/mem.h"
#include "core/insn.h"
#include "core/spinlock.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/counters.h"
#include "core/shadow_rules.h"

typedef void (*first_resume_fn)(uint64_t frame_va, uint64_t satp, uint64_t flush)
    __attribute__((noreturn));

/* A counter the firmware does not let lodger read either is one the guest
 * cannot read: illegal instruction, as on hardware without it. */
bool vcpu_read_counter(unsigned csr, uint64_t *out)
{
    struct counter_value c;
    switch (csr) {
    case CSR_TIME: *out = csr_read(CSR_TIME); return true;
    case CSR_CYCLE: c = counter_read_cycle(); break;
    case CSR_INSTRET: c = counter_read_instret(); break;
    default: return false;
    }
    *out = c.value;
    return c.readable;
}

bool vcpu_select_shadow(struct vcpu *v)
{
    int view = 0;
    if (v->mode == VMODE_S)
        view |= SHADOW_VIEW_S | ((v->csr->sstatus & SSTATUS_SUM) ? SHADOW_VIEW_SUM : 0);
    if (v->csr->sstatus & SSTATUS_MXR)
        view |= SHADOW_VIEW_MXR;
    return shadow_get(v, v->csr->satp, view) != NULL;
}

static void *walk_gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    return vm_gpa_to_host(ctx, gpa, len);
}

enum walk_status vcpu_translate(struct vcpu *v, uint64_t va, enum access_type access,
                                bool update_ad, struct walk_result *res)
{
    struct walk_memory mem = { walk_gpa_to_host, v->vm };
    struct walk_request req = {
        .satp = v->csr->satp, .va = va, .access = access, .user = v->mode == VMODE_U,
        .sum = v->csr->sstatus & SSTATUS_SUM, .mxr = v->csr->sstatus & SSTATUS_MXR,
        .update_ad = update_ad,
    };
    enum walk_status st = guest_walk(&mem, &req, res);
    /* lodger wrote the guest's PTE: a patched copy of its page goes. */
    if (st == WALK_OK && res->ad_gpa)
        patch_pte_updated(v, res->ad_gpa);
    return st;
}

/* The interrupt the guest takes now, or 0. Privileged spec 4.1.3: enabled
 * when in U-mode, or in S-mode with SIE; priority SEI > SSI > STI. */
static uint64_t pending_interrupt(const struct vcpu *v)
{
    uint64_t pending = v->csr->sip & v->csr->sie;
    if (!pending || (v->mode == VMODE_S && !(v->csr->sstatus & SSTATUS_SIE)))
        return 0;
    static const unsigned order[] = { IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER };
    for (unsigned i = 0; i < 3; i++)
        if (pending & (1UL << order[i]))
            return CAUSE_INTERRUPT | order[i];
    return 0;
}

/* Held by another vCPU's rendezvous: wait in lodger until it is over, or
 * until the VM ends (a move that failed keeps the others held: the first
 * portion may be missing from their shadows). */
static void wait_while_held(struct vcpu *v)
{
    while (__atomic_load_n(&v->vm->rendezvous, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&v->vm->ended, __ATOMIC_ACQUIRE))
        vcpu_serve_requests(v);
}

bool vm_hold_others(struct vcpu *self)
{
    struct vm *vm = self->vm;
    int free = 0;
    if (!__atomic_compare_exchange_n(&vm->rendezvous, &free, 1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        wait_while_held(self);
        return false;
    }
    for (int i = 0; i < vm->vcpu_count; i++)
        if (&vm->vcpus[i] != self)
            vcpu_notify(&vm->vcpus[i]);
    /* Each other vCPU leaves guest mode (the IPI traps it) or sees the
     * rendezvous before it enters (vcpu_resume): a Dekker-style handshake. */
    for (int i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *o = &vm->vcpus[i];
        while (o != self && __atomic_load_n(&o->in_guest, __ATOMIC_SEQ_CST))
            vcpu_serve_requests(self);
    }
    return true;
}

void vm_release_others(struct vm *vm)
{
    __atomic_store_n(&vm->rendezvous, 0, __ATOMIC_SEQ_CST);
}

/* A shadow rebuilt in an ASID slot since this hart last used that slot,
 * or moved under it (first portion), may have stale TLB entries here. */
static inline __attribute__((always_inline)) void flush_if_stale(struct hart *h, const struct vm *vm, const struct shadow *s)
{
    unsigned slot = (unsigned)vm->id * SHADOW_CACHE_SIZE + (unsigned)(s - vm->shadows.entries);
    if (slot < HART_ASID_SLOTS && h->seen_generation[slot] != s->generation) {
        if (s->asid)
            sfence_vma_asid(s->asid);
        h->seen_generation[slot] = s->generation;
    }
}

void vcpu_resume(struct vcpu *v)
{
    struct hart *h = this_hart();
    v = hart_take_turn(h, v);
    struct vm *vm = v->vm;
    /* Before its requests are served (vcpu_request reads it after raising one). */
    __atomic_store_n(&h->vcpu, v, __ATOMIC_SEQ_CST);
    /* Enter guest mode unless another vCPU holds this VM (it checks
     * in_guest after raising rendezvous; we check rendezvous after raising
     * in_guest). */
    for (;;) {
        __atomic_store_n(&v->in_guest, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&vm->rendezvous, __ATOMIC_SEQ_CST))
            break;
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        wait_while_held(v);
        if (__atomic_load_n(&vm->ended, __ATOMIC_ACQUIRE))
            hart_park();    /* its queue is swept there */
    }
    vcpu_serve_requests(v);
    vcpu_timer_update(v);
    uint64_t irq = pending_interrupt(v);
    if (irq)
        vcpu_inject_interrupt(v, irq);
    /* This hart holds no lock here, nor a rendezvous: it may end the VM. */
    if (!v->shadow && !vcpu_select_shadow(v)) {
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        vm_end(vm, true, "no shadow page table for the guest (its shadow page budget is "
               "spent, or every shadow is in use)");
    }

    struct trap_frame *f = v->frame;
    f->host_satp = host_mmu.own_satp;
    f->host_sp = (uint64_t)(h->stack + HART_STACK_SIZE);
    f->host_tp = (uint64_t)h;
    f->host_scratch = (uint64_t)&h->frame;
    extern void vcpu_trap_from_guest(void);
    f->host_trap = (uint64_t)vcpu_trap_from_guest;
    f->host_fault = h->frame.host_fault;
    f->vmode = v->mode;
    f->guest_satp = v->shadow->satp;
    flush_if_stale(h, vm, v->shadow);
    /* For the fast paths: the other views of this guest satp, when built. */
    spin_lock(&vm->lock);
    int mxr = (v->csr->sstatus & SSTATUS_MXR) ? SHADOW_VIEW_MXR : 0;
    struct shadow **views = v->views.s;
    if (v->views.epoch != vm->shadows.epoch || v->views.satp != v->csr->satp ||
        v->views.mxr != mxr || !v->views.epoch) {
        views[0] = shadow_find(vm, v->csr->satp, SHADOW_VIEW_S | mxr);
        views[1] = shadow_find(vm, v->csr->satp, SHADOW_VIEW_S | SHADOW_VIEW_SUM | mxr);
        views[2] = shadow_find(vm, v->csr->satp, mxr);
        v->views.epoch = vm->shadows.epoch;
        v->views.satp = v->csr->satp;
        v->views.mxr = mxr;
    }
    shadow_use(vm, v->shadow);
    uint64_t satps[3];
    /* A shadow without an ASID shares ASID 0 with lodger's own table and
     * with every other such shadow: entering or leaving it, by the fast
     * paths' view switches too, flushes the TLB (a hart with fewer ASIDs
     * than shadows has both kinds; shadow_flush_on_switch). */
    uint16_t asids[4] = { v->shadow->asid };
    int count = 1;
    for (int i = 0; i < 3; i++) {
        if (views[i]) {
            shadow_use(vm, views[i]);
            flush_if_stale(h, vm, views[i]);
            asids[count++] = views[i]->asid;
        }
        satps[i] = views[i] ? views[i]->satp : 0;
    }
    f->flush_on_switch = shadow_flush_on_switch(asids, count);
    f->sum_satp[0] = satps[0];
    f->sum_satp[1] = satps[1];
    f->user_satp = satps[2];
    /* Its frame page in these shadows only (issue 12, shadow_frames_follow). */
    struct shadow *const on[4] = { v->shadow, views[0], views[1], views[2] };
    bool framed = shadow_frames_follow(vm, v, on, 4);
    /* Its plain CSRs where patched code reaches them (trap-free sites). */
    patch_plain_follow(v, on, 4);
#ifdef LODGER_CHECK_FAST
    int bad_slot = -1, bad = framed ? shadow_frames_check(vm, v, on, 4, &bad_slot) : -1;
#endif
    spin_unlock(&vm->lock);
    if (!framed) {
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        vm_end(vm, true, "its shadow page budget has no room to map a vCPU's frame");
    }
#ifdef LODGER_CHECK_FAST
    if (bad >= 0) {
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        vm_end(vm, true, "frame check: shadow %d maps vCPU %d's frame page wrongly (issue 12)",
               bad_slot, bad);
    }
#endif
    /* Guest page faults from virtual U walk the guest's tables through the
     * window when its shadows have one. */
    f->window_va = first_window_for(&vm->first, v->csr->satp, host_mmu.levels);
    patch_frame_sync(vm, v->id, f);
    f->ram_gpa = vm->ram_gpa;
    f->ram_size = vm->ram_size;

    /* The guest runs in U-mode; interrupts reach lodger whatever sstatus.SIE
     * is, since they target a more privileged mode (4.1.3). */
    csr_clear(CSR_SSTATUS, SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR | SSTATUS_FS);
    /* The hart's FS mirrors the guest's: Off makes FP instructions trap, and
     * the hardware's Clean -> Dirty transition is copied back at the next trap. */
    csr_set(CSR_SSTATUS, SSTATUS_SPIE | (v->csr->sstatus & SSTATUS_FS));
    csr_write(CSR_SIE, SIP_STIP | SIP_SSIP | SIP_SEIP);
    /* Counters: virtual S may read what the firmware allows; virtual U what
     * the guest kernel's scounteren allows. */
    csr_write(CSR_SCOUNTEREN, v->mode == VMODE_S ? 7UL : (v->csr->scounteren & 7UL));
    uint64_t place = first_portion_place(&vm->first);
    csr_write(CSR_STVEC, first_symbol_va(place, first_trap_entry));
    first_resume_fn resume = (first_resume_fn)first_symbol_va(place, first_resume_guest);
    resume(first_frame_va(place, v->id), f->guest_satp, f->flush_on_switch);
}

/* Reads 2 bytes of instruction at guest virtual va (a parcel never
 * crosses a page, IALIGN=16). */
bool vcpu_guest_physical(struct vcpu *v, uint64_t va, enum access_type access, bool update_ad,
                         uint64_t *gpa, uint64_t *cause)
{
    *gpa = va;
    if ((v->csr->satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE)
        return true;
    struct walk_result res;
    enum walk_status st = vcpu_translate(v, va, access, update_ad, &res);
    if (st != WALK_OK) {
        *cause = st == WALK_PAGE_FAULT ? walk_page_fault_cause(access)
                                       : walk_access_fault_cause(access);
        return false;
    }
    *gpa = res.gpa;
    return true;
}

static bool fetch_parcel(struct vcpu *v, uint64_t va, uint16_t *out, uint64_t *cause)
{
    uint64_t gpa;
    if (!vcpu_guest_physical(v, va, ACCESS_FETCH, false, &gpa, cause))
        return false;
    *cause = CAUSE_FETCH_ACCESS;
    return vm_read(v->vm, gpa, out, 2);
}

/* The one place that reads guest instructions. */
bool vcpu_fetch_insn(struct vcpu *v, uint64_t pc, uint32_t *bits, uint64_t *cause)
{
    uint16_t half[2];
    if (!fetch_parcel(v, pc, &half[0], cause))
        return false;
    *bits = half[0];
    if (insn_length(half[0]) == 4) {
        if (!fetch_parcel(v, pc + 2, &half[1], cause))
            return false;
        *bits |= (uint32_t)half[1] << 16;
    }
    return true;
}
