/* A vCPU's architectural state, apart from the hardware that runs it
 * (core/vcpu.c): its registers, a trap entering virtual S, an HSM reset,
 * WFI. Pure C, also linked into the host tests (tests/host/test_trap.c). */
#include <stdarg.h>
#include <stdio.h>
#include "core/vm.h"
#include "core/trap.h"
#include "sbi/firmware.h"

/* Declared in core/trap.h; here, with the rest of the vCPU's state, so
 * that the first portion can end a VM without reaching the dispatcher. */
enum trap_result trap_exit(struct vcpu *v, enum vcpu_exit_kind kind, bool failed,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->exit.why, sizeof(v->exit.why), fmt, ap);
    va_end(ap);
    v->exit.kind = kind;
    v->exit.failed = failed;
    return TRAP_EXIT;
}

void vcpu_firmware_start_state(struct vcpu *v)
{
    v->csr->sstatus = SSTATUS_UXL_64 | firmware.start_fs;
    v->csr->scounteren = firmware.start_scounteren;
}

uint64_t vcpu_reg(const struct vcpu *v, unsigned reg)
{
    return reg ? v->frame->x[reg] : 0;
}

void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
    if (reg)
        v->frame->x[reg] = val;
}

/* Privileged spec 4.1.1 / 4.1.9: what a trap into S-mode does. */
static void enter_guest_trap(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    struct vcsr *c = v->csr;
    c->sepc = v->frame->pc;
    c->scause = cause;
    c->stval = tval;
    uint64_t s = c->sstatus & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    if (v->mode == VMODE_S)
        s |= SSTATUS_SPP;
    if (c->sstatus & SSTATUS_SIE)
        s |= SSTATUS_SPIE;
    c->sstatus = s;
    uint64_t base = c->stvec & ~STVEC_MODE_MASK;
    bool vectored = (c->stvec & STVEC_MODE_MASK) == STVEC_MODE_VECTORED;
    v->frame->pc = (cause & CAUSE_INTERRUPT) && vectored ? base + 4 * (cause & 0x3f) : base;
    if (v->mode != VMODE_S) {
        v->mode = VMODE_S;
        v->shadow = NULL;   /* chosen on resume (vcpu_resume), where no lock is held */
    }
    v->count.injected++;
    v->reservation.valid = false;   /* a trap may end a reservation (spec 8.2) */
}

void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    enter_guest_trap(v, cause, tval);
}

void vcpu_inject_interrupt(struct vcpu *v, uint64_t cause)
{
    enter_guest_trap(v, cause, 0);
}

/* WFI resumes when an enabled interrupt is pending, whatever SIE says
 * (privileged spec 3.3.3 / 4.1.3). The vCPU waits off the hardware: the
 * hart runs another vCPU of its queue, or sleeps (vcpu_resume); other harts
 * wake it with an IPI (vcpu_notify). */
void vcpu_wait_for_interrupt(struct vcpu *v)
{
    v->waiting = 1;
}

/* SBI spec 9.1 (hart_start) and 9.4 (non-retentive resume): S-mode at pc,
 * a0 = hartid, a1 = opaque, satp = 0, sstatus.SIE = 0. */
void vcpu_reset_to(struct vcpu *v, uint64_t pc, uint64_t opaque)
{
    v->frame->pc = pc;
    v->frame->x[10] = (uint64_t)v->id;
    v->frame->x[11] = opaque;
    v->csr->satp = 0;
    /* SBI 9.2: satp = 0, sstatus.SIE = 0; the rest as the firmware starts
     * a hart (natively, OpenSBI's warm boot sets mstatus afresh): nothing
     * the vCPU had before it stopped, FS as the firmware gives it. */
    vcpu_firmware_start_state(v);
    v->mode = VMODE_S;
    v->shadow = NULL;
}

void vcpu_prepare_start(struct vcpu *v, uint64_t pc, uint64_t opaque)
{
    vcpu_reset_to(v, pc, opaque);
    v->csr->sie = 0;
    v->csr->sip &= ~(SIP_SSIP | SIP_STIP);
    v->timer_deadline = VM_NO_DEADLINE;
    v->waiting = 0;
    v->state = VCPU_START_PENDING;
}
