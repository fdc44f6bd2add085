/* The host harts that run vCPUs: each hart's run queue (the vCPUs it
 * holds), starting and stopping vCPUs on harts, idling, parking, kicking
 * another hart and the requests one vCPU's hart makes of another's. The
 * policy of which queued vCPU runs next is core/sched.c. */
#include <string.h>
#include "core/hart.h"
#include "core/vm.h"
#include "core/vcpu_timer.h"
#include "core/mem.h"
#include "core/spinlock.h"
#include "arch/riscv/fpr.h"
#include "core/console.h"
#include "core/sched.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/csr.h"
#include "drivers/host_plic.h"

void hart_ack_interrupt(uint64_t irq)
{
    /* The board's devices lodger drives (a NIC's frames: drivers/host_plic.h). */
    if (irq == IRQ_S_EXT)
        host_plic_serve();
    if (irq == IRQ_S_SOFT)
        csr_clear(CSR_SIP, SIP_SSIP);
    /* Firmware timers can raise STIP again after being reprogrammed
     * (OpenSBI's software-set STIP): never trust the cached deadline after
     * an interrupt. */
    if (irq == IRQ_S_TIMER)
        this_hart()->timer_programmed = 0;
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

/* Scheduling. Each hart runs the vCPUs of its run queue: one per hart
 * while they fit (a vCPU then keeps its hart), else in turn, HART_SLICE_MS
 * each, VM by VM (core/sched.c: VMs share the hart equally); a vCPU in WFI
 * is skipped until an interrupt is pending for it. */

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
    vcpu_timer_idle(h, now);
    csr_write(CSR_SIE, SIP_STIP | SIP_SSIP | SIP_SEIP);
    wait_for_interrupt();
    /* A frame for a VM waiting in wfi: to the switch now, not at a tick. */
    if (csr_read(CSR_SIP) & SIP_SEIP)
        host_plic_serve();
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
        /* Device timers that came (an RTC alarm) may wake a vCPU in wfi;
         * not under the queue lock (they take their board's lock).
         * Entries below the count stay: only this hart removes them. */
        for (int i = 0; i < __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE); i++)
            board_run_timers(h->queue[i]->vm, now);
        spin_lock(&h->queue_lock);
        bool ready[HART_QUEUE_MAX];
        int vm_of[HART_QUEUE_MAX];
        struct sched_queue q = { .count = h->queue_count, .runnable = ready, .group = vm_of,
                                 .current = -1, .next = h->queue_next, .slice_end = h->slice_end };
        _Static_assert(sizeof(q.group_next) == sizeof(h->vm_next), "a group is a VM");
        memcpy(q.group_next, h->vm_next, sizeof(q.group_next));
        for (int i = 0; i < q.count; i++) {
            vcpu_timer_check(h->queue[i], now);
            ready[i] = runnable(h->queue[i]);
            vm_of[i] = h->queue[i]->vm->id;
            if (h->queue[i] == cur)
                q.current = i;
        }
        int i = sched_pick(&q, now, host.timebase_hz * HART_SLICE_MS / 1000);
        h->queue_next = q.next;
        memcpy(h->vm_next, q.group_next, sizeof(h->vm_next));
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

/* hart_take_turn's way when v does not simply go on. */
static struct vcpu *__attribute__((noinline)) take_turn(struct hart *h, struct vcpu *v)
{
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
    if (h->fp_owner != v)
        switch_in(h, v);
    return v;
}

/* The vCPU this hart runs now: v (the one that trapped, or NULL) while it
 * may go on, else the next one its queue picks, sleeping while none is
 * runnable; the chosen one's FP registers are on the hart. At every exit:
 * the common case, v alone on its hart and going on, is tested first. */
struct vcpu *hart_take_turn(struct hart *h, struct vcpu *v)
{
    if (v && h->queue_count == 1 && h->fp_owner == v && !v->waiting && !v->vm->ended &&
        !__atomic_load_n(&v->vm->rebooting, __ATOMIC_ACQUIRE)) {
        h->slice_end = VM_NO_DEADLINE;      /* alone on its hart: nothing to decide */
        return v;
    }
    return take_turn(h, v);
}

static struct spinlock start_lock;

/* A started vCPU joins the hart that holds the fewest among those its VM may
 * use (an idle one while there is one, so one vCPU per hart when they fit). */
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
        if (h->online && (v->vm->hart_mask >> i & 1) && (!target || h->queue_count < target->queue_count ||
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
