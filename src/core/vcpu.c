/* Running a vCPU: entering the guest through the first portion, delivering
 * traps and interrupts into it as the hardware would. */
#include "core/vm.h"
#include "core/hart.h"
#include "core/mem.h"
#include "core/hostdt.h"
#include "core/console.h"
#include "core/insn.h"
#include "core/spinlock.h"
#include "core/sched.h"
#include "arch/riscv/fpr.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/counters.h"
#include "core/shadow_rules.h"

typedef void (*first_resume_fn)(uint64_t frame_va, uint64_t satp, uint64_t flush)
    __attribute__((noreturn));

static uint64_t first_address_of(const struct vm *vm, const char *symbol)
{
    return vm->first_va + (uint64_t)(symbol - first_portion_start);
}

static uint64_t frame_va(const struct vcpu *v)
{
    return v->vm->first_va + (FIRST_CODE_PAGES + (uint64_t)v->id) * PAGE_SIZE;
}

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

void hart_ack_interrupt(uint64_t irq)
{
    if (irq == IRQ_S_SOFT)
        csr_clear(CSR_SIP, SIP_SSIP);
    /* Firmware timers can raise STIP again after being reprogrammed
     * (OpenSBI's software-set STIP): never trust the cached deadline after
     * an interrupt. */
    if (irq == IRQ_S_TIMER)
        this_hart()->timer_programmed = 0;
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
    return guest_walk(&mem, &req, res);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The firmware is only called when the deadline changes. */
static void set_host_timer(struct hart *h, uint64_t deadline)
{
    if (deadline != h->timer_programmed) {
        h->timer_programmed = deadline;
        firmware_set_timer(deadline);
    }
}

/* The host timer holds the earliest of the vCPU's deadline, the next
 * console-input poll, the end of a panic report's grace period, the end of
 * the time slice and the deadlines of the other vCPUs this hart holds. */
static void program_host_timer(struct vcpu *v)
{
    struct hart *h = this_hart();
    uint64_t deadline = earliest(v->timer_deadline, h->next_poll);
    deadline = earliest(deadline, __atomic_load_n(&v->vm->board.panic_deadline, __ATOMIC_ACQUIRE));
    deadline = earliest(deadline, h->slice_end);
    /* Only this hart takes vCPUs out of its queue: entries below the count stay. */
    int count = __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE);
    for (int i = 0; count > 1 && i < count; i++)
        deadline = earliest(deadline, h->queue[i]->timer_deadline);
    set_host_timer(h, deadline);
}

void vcpu_set_timer(struct vcpu *v, uint64_t deadline)
{
    v->timer_deadline = deadline;
    v->csr->sip &= ~SIP_STIP;
    program_host_timer(v);
}

/* Console input is polled into the UART once the guest uses it (by
 * interrupt, like Linux, or by polling LSR, like U-Boot). */
#define INPUT_POLLS_PER_SECOND 50

/* Virtual STIP follows the vCPU's deadline (SBI TIME: pending until the
 * next set_timer). */
static void check_timer(struct vcpu *v, uint64_t now)
{
    if (v->timer_deadline != VM_NO_DEADLINE && now >= v->timer_deadline) {
        __atomic_or_fetch(&v->csr->sip, SIP_STIP, __ATOMIC_SEQ_CST);
        v->timer_deadline = VM_NO_DEADLINE;
    }
}

/* STIP as above; the input poll runs when due. */
static void update_timer(struct vcpu *v)
{
    struct hart *h = this_hart();
    uint64_t now = csr_read(CSR_TIME);
    /* A guest kernel panic was reported on its console, and the report is
     * complete (or had its grace period): the guest will never go on. */
    if (now >= __atomic_load_n(&v->vm->board.panic_deadline, __ATOMIC_ACQUIRE) && !v->vm->ending)
        vm_end_panic(v->vm);
    check_timer(v, now);
    bool listening = v->vm->board.uart_used;
    if (now >= h->next_poll || (h->next_poll == VM_NO_DEADLINE && listening)) {
        if (listening) {
            board_poll_input(v->vm);
            h->next_poll = now + host.timebase_hz / INPUT_POLLS_PER_SECOND;
        } else {
            h->next_poll = VM_NO_DEADLINE;
        }
    }
    program_host_timer(v);
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

void hart_kick(const struct hart *h)
{
    firmware_send_ipi(1UL, h->hartid);
}

void vcpu_notify(struct vcpu *v)
{
    struct hart *h = v->hart;
    if (h && h != this_hart())
        hart_kick(h);
}

void vcpu_raise(struct vcpu *v, uint64_t sip_bit)
{
    __atomic_or_fetch(&v->csr->sip, sip_bit, __ATOMIC_SEQ_CST);
    vcpu_notify(v);
}

void vcpu_serve_requests(struct vcpu *v)
{
    unsigned r = __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE);
    if (!r)
        return;
    if (r & VCPU_REQUEST_TLB_FLUSH)
        sfence_vma_all();
    if (r & VCPU_REQUEST_FENCE_I)
        __asm__ volatile("fence.i" ::: "memory");
    __atomic_and_fetch(&v->requests, ~r, __ATOMIC_RELEASE);
}

void vcpu_request(struct vcpu *self, struct vcpu *target, unsigned request)
{
    if (target == self || target->hart == this_hart()) {
        __atomic_or_fetch(&target->requests, request, __ATOMIC_SEQ_CST);
        vcpu_serve_requests(target);
        return;
    }
    struct hart *th = target->hart;
    if (target->state != VCPU_RUNNING || !th)
        return;     /* not on a hart: it starts with a clean TLB */
    __atomic_or_fetch(&target->requests, request, __ATOMIC_SEQ_CST);
    /* Not on its hart's hardware now (waiting, or another vCPU's turn): it
     * serves the request before it runs again (vcpu_resume; Dekker-style
     * with the hart's store of its current vCPU). */
    if (__atomic_load_n(&th->vcpu, __ATOMIC_SEQ_CST) != target)
        return;
    vcpu_notify(target);
    /* Wait for it, serving what others ask of this hart meanwhile (two
     * vCPUs may fence each other at once). */
    while ((__atomic_load_n(&target->requests, __ATOMIC_ACQUIRE) & request) &&
           target->hart == th && __atomic_load_n(&th->vcpu, __ATOMIC_SEQ_CST) == target &&
           target->state == VCPU_RUNNING && !self->vm->ended)
        vcpu_serve_requests(self);
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

/* Scheduling. Each hart runs the vCPUs of its run queue: one per hart
 * while they fit (a vCPU then keeps its hart), else in turn, HART_SLICE_MS
 * each; a vCPU in WFI is skipped until an interrupt is pending for it. */

static bool wake_pending(const struct vcpu *v)
{
    return (__atomic_load_n(&v->csr->sip, __ATOMIC_ACQUIRE) & v->csr->sie) || v->vm->ended ||
           v->vm->rebooting;
}

static bool runnable(const struct vcpu *v)
{
    return v->state != VCPU_STOPPED && (!v->waiting || wake_pending(v));
}

void hart_enqueue(struct hart *h, struct vcpu *v)
{
    spin_lock(&h->queue_lock);
    if (h->queue_count == HART_QUEUE_MAX)
        panic("hart %lu: run queue full", h->hartid);
    h->queue[h->queue_count] = v;
    v->hart = h;
    __atomic_store_n(&h->queue_count, h->queue_count + 1, __ATOMIC_RELEASE);
    spin_unlock(&h->queue_lock);
}

/* Only the hart itself takes vCPUs out of its queue (with its lock held). */
static void dequeue_at(struct hart *h, int i)
{
    struct vcpu *v = h->queue[i];
    for (int k = i; k + 1 < h->queue_count; k++)
        h->queue[k] = h->queue[k + 1];
    __atomic_store_n(&h->queue_count, h->queue_count - 1, __ATOMIC_RELEASE);
    if (h->fp_owner == v)
        h->fp_owner = NULL;     /* its FP registers are of no use any more */
    if (h->vcpu == v)
        h->vcpu = NULL;
}

/* v, held by this hart, stops: off the queue, then state and hart (last:
 * a rebooting or starting vCPU takes it from there). */
static void leave_hart(struct hart *h, struct vcpu *v)
{
    spin_lock(&h->queue_lock);
    for (int i = 0; i < h->queue_count; i++)
        if (h->queue[i] == v)
            dequeue_at(h, i);
    spin_unlock(&h->queue_lock);
    v->state = VCPU_STOPPED;
    v->in_guest = 0;
    v->waiting = 0;
    v->suspended = 0;
    __atomic_store_n(&v->hart, NULL, __ATOMIC_RELEASE);
}

/* The queued vCPUs other than cur whose VM ended or reboots leave the
 * queue (they are not on the hardware: nothing else to undo). */
static void sweep(struct hart *h, struct vcpu *cur)
{
    for (int i = 0; i < h->queue_count;) {
        struct vcpu *q = h->queue[i];
        if (q == cur || !(q->vm->ended || q->vm->rebooting)) {
            i++;
            continue;
        }
        spin_lock(&h->queue_lock);
        dequeue_at(h, i);
        spin_unlock(&h->queue_lock);
        if (q->vm->rebooting) {
            q->state = VCPU_STOPPED;
            q->waiting = 0;
            q->suspended = 0;
            __atomic_store_n(&q->hart, NULL, __ATOMIC_RELEASE);
        }
    }
}

void vcpu_stop_queued_for_reboot(struct vcpu *self)
{
    sweep(this_hart(), self);
}

/* Nothing to run: sleep until an interrupt, polling input and watching the
 * deadlines of the vCPUs this hart holds. A vCPU in WFI is not on the
 * hardware: remote fences wait for it no longer (vcpu_request). */
static void idle(struct hart *h, uint64_t now)
{
    __atomic_store_n(&h->vcpu, NULL, __ATOMIC_SEQ_CST);
    uint64_t deadline = VM_NO_DEADLINE;
    bool poll = now >= h->next_poll || h->next_poll == VM_NO_DEADLINE, listening = false;
    int count = __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < count; i++) {
        struct vm *vm = h->queue[i]->vm;
        uint64_t panic_at = __atomic_load_n(&vm->board.panic_deadline, __ATOMIC_ACQUIRE);
        if (now >= panic_at && !vm->ending)
            vm_end_panic(vm);
        deadline = earliest(deadline, earliest(h->queue[i]->timer_deadline, panic_at));
        if (vm->board.uart_used) {
            listening = true;
            if (poll)
                board_poll_input(vm);
        }
    }
    if (poll)
        h->next_poll = listening ? now + host.timebase_hz / INPUT_POLLS_PER_SECOND : VM_NO_DEADLINE;
    set_host_timer(h, earliest(deadline, h->next_poll));
    csr_write(CSR_SIE, SIP_STIP | SIP_SSIP | SIP_SEIP);
    wait_for_interrupt();
}

/* The vCPU this hart runs next: cur (the one that trapped, or NULL) until
 * its slice ends while another is runnable, then the next runnable one in
 * queue order. Sleeps while none is. */
static struct vcpu *sched_next(struct hart *h, struct vcpu *cur)
{
    for (;;) {
        csr_clear(CSR_SIP, SIP_SSIP);
        uint64_t now = csr_read(CSR_TIME);
        sweep(h, cur);
        spin_lock(&h->queue_lock);
        bool ready[HART_QUEUE_MAX];
        struct sched_queue q = { .count = h->queue_count, .runnable = ready, .current = -1,
                                 .next = h->queue_next, .slice_end = h->slice_end };
        for (int i = 0; i < q.count; i++) {
            check_timer(h->queue[i], now);
            ready[i] = runnable(h->queue[i]);
            if (h->queue[i] == cur)
                q.current = i;
        }
        int i = sched_pick(&q, now, host.timebase_hz * HART_SLICE_MS / 1000);
        h->queue_next = q.next;
        h->slice_end = q.slice_end;
        if (i >= 0) {
            struct vcpu *pick = h->queue[i];
            pick->waiting = 0;
            pick->suspended = 0;    /* HSM: a retentive or non-retentive resume */
            if (pick->state == VCPU_START_PENDING)
                pick->state = VCPU_RUNNING;
            spin_unlock(&h->queue_lock);
            return pick;
        }
        spin_unlock(&h->queue_lock);
        idle(h, now);
    }
}

void hart_park(void)
{
    struct hart *h = this_hart();
    __atomic_store_n(&h->vcpu, NULL, __ATOMIC_SEQ_CST);
    vcpu_resume(sched_next(h, NULL));
}

/* v takes the hart from another vCPU: FP registers swapped; the TLB and
 * instruction cache may hold what the other one saw (a VM's vCPUs share
 * shadow ASIDs, and fences for a vCPU off the hardware wait until it runs),
 * so both are flushed. */
static void switch_in(struct hart *h, struct vcpu *v)
{
    if (h->fp_owner)
        fpr_save(&h->fp_owner->fp);
    fpr_restore(&v->fp);
    h->fp_owner = v;
    sfence_vma_all();
    __asm__ volatile("fence.i" ::: "memory");
}

/* A shadow rebuilt in an ASID slot since this hart last used that slot,
 * or moved under it (first portion), may have stale TLB entries here. */
static void flush_if_stale(struct hart *h, const struct vm *vm, const struct shadow *s)
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
    for (;;) {
        if (v && v->vm->ended) {
            sweep(h, NULL);
            v = NULL;
        } else if (v && __atomic_load_n(&v->vm->rebooting, __ATOMIC_ACQUIRE)) {
            leave_hart(h, v);       /* the rebooting vCPU waits for this */
            v = NULL;
        }
        if (v && !v->waiting && h->queue_count == 1) {
            h->slice_end = VM_NO_DEADLINE;  /* alone on its hart: nothing to decide */
            break;
        }
        struct vcpu *next = sched_next(h, v);
        /* A vCPU woken by its VM's end or reboot goes round once more. */
        if (next == v && !v->vm->ended && !v->vm->rebooting)
            break;
        v = next;
    }
    struct vm *vm = v->vm;
    if (h->fp_owner != v)
        switch_in(h, v);
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
    update_timer(v);
    uint64_t irq = pending_interrupt(v);
    if (irq)
        vcpu_inject_interrupt(v, irq);
    /* This hart holds no lock here, nor a rendezvous: it may end the VM. */
    if (!v->shadow && !vcpu_select_shadow(v)) {
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        vm_end(vm, true, "no shadow page table for the guest (out of host memory or every "
               "shadow in use)");
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
#ifdef LODGER_CHECK_FAST
    int bad_slot = -1, bad = framed ? shadow_frames_check(vm, v, on, 4, &bad_slot) : -1;
#endif
    spin_unlock(&vm->lock);
    if (!framed) {
        __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
        vm_end(vm, true, "out of host memory mapping a vCPU's frame");
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
    f->window_va = vm_window_for(vm, v->csr->satp);
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
    csr_write(CSR_STVEC, first_address_of(vm, first_trap_entry));
    first_resume_fn resume = (first_resume_fn)first_address_of(vm, first_resume_guest);
    resume(frame_va(v), f->guest_satp, f->flush_on_switch);
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

void vcpu_firmware_start_state(struct vcpu *v)
{
    v->csr->sstatus = SSTATUS_UXL_64 | firmware.start_fs;
    v->csr->scounteren = firmware.start_scounteren;
}

static struct spinlock start_lock;

/* A started vCPU joins the hart that holds the fewest (an idle one while
 * there is one, so one vCPU per hart when they fit). */
long vcpu_start(struct vcpu *v, uint64_t pc, uint64_t opaque)
{
    struct hart *target = NULL;
    spin_lock(&start_lock);
    if (v->state != VCPU_STOPPED || v->hart) {
        spin_unlock(&start_lock);
        return SBI_ERR_ALREADY_AVAILABLE;
    }
    for (int i = 0; i < hart_count && !v->vm->rebooting; i++) {
        struct hart *h = &harts[i];
        if (h->online && (!target || h->queue_count < target->queue_count ||
                          (h->queue_count == target->queue_count && target == this_hart())))
            target = h;
    }
    if (!target) {
        spin_unlock(&start_lock);
        return SBI_ERR_FAILED;
    }
    vcpu_prepare_start(v, pc, opaque);
    hart_enqueue(target, v);
    spin_unlock(&start_lock);
    if (target != this_hart())
        hart_kick(target);
    return SBI_SUCCESS;
}

void vcpu_stop(struct vcpu *v)
{
    /* Off every shadow: its frame page too (shadow_frames_follow), and it
     * holds none (shadow.c). */
    spin_lock(&v->vm->lock);
    shadow_frames_follow(v->vm, v, NULL, 0);
    v->shadow = NULL;
    spin_unlock(&v->vm->lock);
    spin_lock(&start_lock);
    leave_hart(this_hart(), v);
    spin_unlock(&start_lock);
    for (int i = 0; i < v->vm->vcpu_count; i++)
        if (v->vm->vcpus[i].state != VCPU_STOPPED)
            hart_park();    /* another vCPU goes on */
    vm_end(v->vm, false, "every vCPU stopped (SBI HSM hart_stop)");
}

/* Under the start lock: a start either lands before (its vCPU runs, then
 * stops for the reboot) or sees the reboot and fails. */
bool vcpu_begin_reboot(struct vm *vm)
{
    spin_lock(&start_lock);
    bool first = !vm->rebooting;
    __atomic_store_n(&vm->rebooting, 1, __ATOMIC_SEQ_CST);
    spin_unlock(&start_lock);
    return first;
}

void vcpu_stop_for_reboot(struct vcpu *v)
{
    leave_hart(this_hart(), v);
    hart_park();
}

void vcpu_leave_hart(struct vcpu *v)
{
    leave_hart(this_hart(), v);
}
