/* A vCPU's timer and its VM's console-input poll, as the host hart that
 * runs it sees them: the host timer holds the earliest deadline of what the
 * hart has to watch. */
#include "core/vcpu_timer.h"
#include "core/vm.h"
#include "core/hart.h"
#include "core/mem.h"
#include "sbi/firmware.h"
#include "arch/riscv/csr.h"

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

/* The earliest of its VM's device timers (an RTC alarm: dev/board.h). */
static uint64_t device_deadline(const struct vcpu *v)
{
    return __atomic_load_n(&v->vm->board.device_deadline, __ATOMIC_ACQUIRE);
}

/* The host timer holds the earliest of the vCPU's deadline, the next
 * console-input poll, the end of a panic report's grace period, the end of
 * the time slice, the deadlines of the other vCPUs this hart holds and the
 * device timers of the VMs of all of them: a VM waiting in wfi beside a
 * busy one still gets its alarm on time. */
static inline void program_host_timer(struct vcpu *v)
{
    struct hart *h = this_hart();
    uint64_t deadline = earliest(v->timer_deadline, h->next_poll);
    deadline = earliest(deadline, __atomic_load_n(&v->vm->board.panic_deadline, __ATOMIC_ACQUIRE));
    deadline = earliest(deadline, h->slice_end);
    deadline = earliest(deadline, device_deadline(v));
    /* Only this hart takes vCPUs out of its queue: entries below the count stay. */
    int count = __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE);
    for (int i = 0; count > 1 && i < count; i++)
        deadline = earliest(deadline, earliest(h->queue[i]->timer_deadline,
                                               device_deadline(h->queue[i])));
    set_host_timer(h, deadline);
}

void vcpu_set_timer(struct vcpu *v, uint64_t deadline)
{
    v->timer_deadline = deadline;
    v->csr->sip &= ~SIP_STIP;
    program_host_timer(v);
}

/* Console input is polled into the UART once the guest uses it (by
 * interrupt, like Linux, or by polling LSR, like U-Boot), and always when
 * the board console is multiplexed (the focus escape, partial lines and
 * the end of a throttled VM's wait are served by the same poll). */
#define INPUT_POLLS_PER_SECOND 50

/* Virtual STIP follows the vCPU's deadline (SBI TIME: pending until the
 * next set_timer). */
void vcpu_timer_check(struct vcpu *v, uint64_t now)
{
    if (v->timer_deadline != VM_NO_DEADLINE && now >= v->timer_deadline) {
        __atomic_or_fetch(&v->csr->sip, SIP_STIP, __ATOMIC_SEQ_CST);
        v->timer_deadline = VM_NO_DEADLINE;
    }
}

/* STIP as above; the input poll runs when due. This runs at every resume,
 * so what is not due is only compared: board_run_timers and board_listening
 * are called when their answer may matter (calls that returned at once were
 * most of this path's cost per exit). */
void vcpu_timer_update(struct vcpu *v)
{
    struct hart *h = this_hart();
    uint64_t now = csr_read(CSR_TIME);
    /* A guest kernel panic was reported on its console, and the report is
     * complete (or had its grace period): the guest will never go on. */
    if (now >= __atomic_load_n(&v->vm->board.panic_deadline, __ATOMIC_ACQUIRE) && !v->vm->ending)
        vm_end_panic(v->vm);
    vcpu_timer_check(v, now);
    /* Device timers that came (their interrupts may be v's or another
     * vCPU's: vm_external_line wakes it), of every VM this hart serves. */
    if (now >= device_deadline(v))
        board_run_timers(v->vm, now);
    int count = __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE);
    for (int i = 0; count > 1 && i < count; i++)
        if (h->queue[i]->vm != v->vm)
            board_run_timers(h->queue[i]->vm, now);
    /* The poll is due, or none is planned (it starts once the VM listens). */
    if (now >= h->next_poll || h->next_poll == VM_NO_DEADLINE) {
        bool listening = board_listening(v->vm);
        if (listening) {
            board_poll_input(v->vm);
            h->next_poll = now + host.timebase_hz / INPUT_POLLS_PER_SECOND;
        } else {
            h->next_poll = VM_NO_DEADLINE;
        }
    }
    program_host_timer(v);
}

/* A hart with nothing to run sleeps until the earliest deadline of the
 * vCPUs it holds, the end of a panic report's grace period, a device
 * timer of their VMs or the next input poll; their VMs' panics and
 * console input are handled here, their device timers by the scheduler
 * before it looks for a runnable vCPU (core/hart.c: an interrupt raised
 * here would find this hart asleep). */
void vcpu_timer_idle(struct hart *h, uint64_t now)
{
    uint64_t deadline = VM_NO_DEADLINE;
    bool poll = now >= h->next_poll || h->next_poll == VM_NO_DEADLINE, listening = false;
    int count = __atomic_load_n(&h->queue_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < count; i++) {
        struct vm *vm = h->queue[i]->vm;
        uint64_t panic_at = __atomic_load_n(&vm->board.panic_deadline, __ATOMIC_ACQUIRE);
        if (now >= panic_at && !vm->ending)
            vm_end_panic(vm);
        deadline = earliest(deadline, earliest(h->queue[i]->timer_deadline, panic_at));
        deadline = earliest(deadline, device_deadline(h->queue[i]));
        if (board_listening(vm)) {
            listening = true;
            if (poll)
                board_poll_input(vm);
        }
    }
    if (poll)
        h->next_poll = listening ? now + host.timebase_hz / INPUT_POLLS_PER_SECOND : VM_NO_DEADLINE;
    set_host_timer(h, earliest(deadline, h->next_poll));
}
