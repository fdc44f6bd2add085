/* The trap dispatcher: one handler per cause, each returning what the top
 * of the trap path (core/vcpu_exit.c) does next. Touches no hardware
 * state itself (host-tested, tests/host/test_trap.c). */
#include "core/trap.h"
#include "core/vm.h"
#include "core/hart.h"
#include "core/insn.h"
#include "sbi/sbi.h"

typedef enum trap_result (*exception_handler)(struct vcpu *v, struct trap *t);
static bool fetch_trapping_insn_at(struct vcpu *v, struct trap *t);

/* An exception that belongs to the guest: deliver it as the hardware would. */
static enum trap_result reflect(struct vcpu *v, struct trap *t)
{
    vcpu_inject_exception(v, t->cause, t->tval);
    return TRAP_REDIRECTED;
}

static enum trap_result illegal(struct vcpu *v, struct trap *t)
{
    /* QEMU (and the spec, optionally) report the instruction bits in stval. */
    vcpu_inject_exception(v, CAUSE_ILLEGAL_INSTRUCTION, t->insn);
    return TRAP_REDIRECTED;
}

/* Zicsr semantics (unprivileged spec 9.1): csrrw with rd=x0 does not read;
 * csrrs/csrrc with rs1=x0 (or uimm=0) do not write. Privileged spec 2.1:
 * csr[11:10]=3 is read-only, csr[9:8] is the lowest privilege allowed. */
static enum trap_result emulate_csr(struct vcpu *v, struct trap *t, const struct insn *d)
{
    uint64_t operand = d->csr_imm ? d->rs1 : vcpu_reg(v, d->rs1);
    bool writes = d->csr_op == CSR_OP_WRITE || d->rs1 != 0;
    bool read_only = (d->csr >> 10) == 3;
    uint64_t old = 0;
    if (writes && read_only)
        return illegal(v, t);
    if (((d->csr >> 8) & 3) == 0) {
        /* User CSRs that trapped: counters the firmware leaves to us. */
        if (!vcpu_read_counter(d->csr, &old))
            return illegal(v, t);
    } else if (!vcsr_read(v->csr, &v->vm->csr_cfg, d->csr, &old)) {
        return illegal(v, t);
    }
    if (writes) {
        uint64_t val = d->csr_op == CSR_OP_WRITE ? operand
                     : d->csr_op == CSR_OP_SET ? old | operand : old & ~operand;
        unsigned effects = 0;
        vcsr_write(v->csr, &v->vm->csr_cfg, d->csr, val, &effects);
        /* A new satp, SUM or MXR selects another shadow view on resume. */
        if (effects & (VCSR_EFFECT_SATP | VCSR_EFFECT_STATUS))
            v->shadow = NULL;
    }
    vcpu_set_reg(v, d->rd, old);
    v->count.csr_emulated++;
    return TRAP_NEXT;
}

/* Privileged spec 3.3.2 / 4.1.1: sret. */
static enum trap_result emulate_sret(struct vcpu *v)
{
    struct vcsr *c = v->csr;
    enum vmode target = (c->sstatus & SSTATUS_SPP) ? VMODE_S : VMODE_U;
    uint64_t s = c->sstatus & ~(SSTATUS_SIE | SSTATUS_SPP);
    if (c->sstatus & SSTATUS_SPIE)
        s |= SSTATUS_SIE;
    c->sstatus = s | SSTATUS_SPIE;
    v->frame->pc = c->sepc;
    if (target != v->mode) {
        v->mode = target;
        v->shadow = NULL;
    }
    v->count.sret++;
    return TRAP_REDIRECTED;
}

static bool fetch_trapping_insn(struct vcpu *v, struct trap *t)
{
    uint64_t cause;
    /* QEMU puts the bits in stval; cores that leave it 0 need a fetch. */
    if (t->tval) {
        t->insn = (uint32_t)t->tval;
        return true;
    }
    if (vcpu_fetch_insn(v, t->epc, &t->insn, &cause))
        return true;
    vcpu_inject_exception(v, cause, t->epc);
    return false;
}

/* For faults whose stval is an address: the instruction comes from memory. */
static bool fetch_trapping_insn_at(struct vcpu *v, struct trap *t)
{
    uint64_t cause;
    if (vcpu_fetch_insn(v, t->epc, &t->insn, &cause))
        return true;
    vcpu_inject_exception(v, cause, t->epc);
    return false;
}

static enum trap_result on_illegal_instruction(struct vcpu *v, struct trap *t)
{
    if (!fetch_trapping_insn(v, t))
        return TRAP_REDIRECTED;     /* the fetch fault was delivered */
    struct insn d;
    insn_decode(t->insn, &d);
    t->insn_length = d.length;
    if (v->mode != VMODE_S)
        return illegal(v, t);
    switch (d.kind) {
    case INSN_CSR:
        return emulate_csr(v, t, &d);
    case INSN_SRET:
        return emulate_sret(v);
    case INSN_WFI:
        v->count.wfi++;
        vcpu_wait_for_interrupt(v);
        return TRAP_NEXT;
    case INSN_SFENCE_VMA:
        /* Shadow tables behave as the guest's TLB: drop what the guest asks
         * to flush (privileged spec 4.2.1: rs1 a page or x0 for all, rs2 an
         * ASID, its bits above ASIDMAX ignored, or x0 for all of them). */
        v->count.sfence++;
        uint64_t asid = d.rs2 ? vcsr_asid(&v->vm->csr_cfg, vcpu_reg(v, d.rs2))
                              : SHADOW_ALL_ASIDS;
        if (d.rs1) {
            uint64_t va = vcpu_reg(v, d.rs1);
            if (pt_fence_va_valid(va, v->csr->satp >> SATP_MODE_SHIFT, v->vm->csr_cfg.satp_modes)) {
                shadow_flush_page(v->vm, va, asid);
                shadow_refill_page(v, va, asid);
            }
        }
        else if (d.rs2)
            shadow_flush_asid(v->vm, asid);
        else
            shadow_flush_all(v->vm);
        return TRAP_NEXT;
    default:
        return illegal(v, t);
    }
}

/* A breakpoint the first portion left to the second: from virtual S with
 * patched code (core/patch.c), not a site of the vCPU's table. An ebreak
 * of a copy (a site added or dropped since the vCPU last took the table)
 * is not the guest's: pc runs again, its original instruction. */
static enum trap_result on_breakpoint(struct vcpu *v, struct trap *t)
{
    if (v->mode == VMODE_S && patch_breakpoint_retry(v, t->epc))
        return TRAP_RETRY;
    return reflect(v, t);
}

static enum trap_result on_ecall(struct vcpu *v, struct trap *t)
{
    t->insn_length = 4;
    if (v->mode == VMODE_U)
        return reflect(v, t);   /* the guest's own system call */
    v->count.sbi_calls++;
    return sbi_dispatch(v);
}

/* A load or store that reached a device: decode it, let the VM's device
 * there do it (dev/board.c), write back the result. Anything but a
 * naturally aligned integer load/store wholly inside one device gets the
 * access fault a bus error would give; a device may also end or restart
 * the VM (DEV_EXIT: the vCPU's exit is set). */
static enum trap_result emulate_mmio(struct vcpu *v, struct trap *t, enum access_type access,
                                     uint64_t gpa)
{
    uint64_t fault = access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
    if (!fetch_trapping_insn_at(v, t))
        return TRAP_REDIRECTED;
    struct insn d;
    insn_decode(t->insn, &d);
    t->insn_length = d.length;
    bool is_load = d.kind == INSN_LOAD, is_store = d.kind == INSN_STORE;
    enum dev_status status = DEV_FAULT;
    uint64_t value = is_store ? vcpu_reg(v, d.rs2) : 0;
    if (!d.fp && (is_load || is_store) && is_load == (access == ACCESS_LOAD) &&
        !(gpa & (d.width - 1)))
        status = board_mmio(v, gpa, d.width, is_store, &value);
    if (status == DEV_FAULT) {
        vcpu_inject_exception(v, fault, t->tval);
        return TRAP_REDIRECTED;
    }
    v->count.mmio++;
    if (status == DEV_EXIT)
        return TRAP_EXIT;
    if (is_load) {
        if (d.width < 8) {
            int shift = 64 - 8 * (int)d.width;
            value = d.sign_extend ? (uint64_t)((int64_t)(value << shift) >> shift)
                                  : value & ((1UL << (8 * d.width)) - 1);
        }
        vcpu_set_reg(v, d.rd, value);
    }
    return TRAP_NEXT;
}

static enum trap_result on_page_fault(struct vcpu *v, struct trap *t)
{
    enum access_type access = t->cause == CAUSE_FETCH_PAGE_FAULT ? ACCESS_FETCH
                            : t->cause == CAUSE_LOAD_PAGE_FAULT ? ACCESS_LOAD : ACCESS_STORE;
    uint64_t cause = t->cause, gpa = 0;
    switch (shadow_fill(v, t->tval, access, &cause, &gpa)) {
    case SHADOW_FILLED:
        return TRAP_RETRY;
    case SHADOW_MMIO:
        return emulate_mmio(v, t, access, gpa);
    case SHADOW_GUEST_FAULT:
        vcpu_inject_exception(v, cause, t->tval);
        return TRAP_REDIRECTED;
    case SHADOW_NO_MEMORY:
        return trap_exit(v, VCPU_EXIT_END_VM, true, "out of host memory for shadow page tables");
    case SHADOW_CONFLICT:
    default:
        /* Moved away (retry: the access reaches the guest's own page now),
         * emulated on displaced content (pc moves on), or out of memory. */
        return first_portion_resolve(v, t, access);
    }
}

static const exception_handler exception_handlers[CAUSE_COUNT] = {
    [CAUSE_MISALIGNED_FETCH] = reflect,
    [CAUSE_FETCH_ACCESS] = reflect,
    [CAUSE_ILLEGAL_INSTRUCTION] = on_illegal_instruction,
    [CAUSE_BREAKPOINT] = on_breakpoint,
    [CAUSE_MISALIGNED_LOAD] = reflect,
    [CAUSE_LOAD_ACCESS] = reflect,
    [CAUSE_MISALIGNED_STORE] = reflect,
    [CAUSE_STORE_ACCESS] = reflect,
    [CAUSE_USER_ECALL] = on_ecall,
    [CAUSE_FETCH_PAGE_FAULT] = on_page_fault,
    [CAUSE_LOAD_PAGE_FAULT] = on_page_fault,
    [CAUSE_STORE_PAGE_FAULT] = on_page_fault,
};

/* Another hart wants this one's attention (requests are served and
 * pending virtual interrupts delivered on resume), or the host timer fired
 * (deadlines and the input poll are checked on resume): acknowledged on
 * this hart (core/hart.c). */
static enum trap_result on_interrupt(struct vcpu *v, uint64_t irq)
{
    if (irq < 16)
        v->count.interrupts[irq]++;
    if (irq != IRQ_S_SOFT && irq != IRQ_S_TIMER)
        return trap_exit(v, VCPU_EXIT_END_VM, true, "unexpected host interrupt %lu",
                         (unsigned long)irq);
    hart_ack_interrupt(irq);
    return TRAP_RETRY;
}

enum trap_result trap_dispatch(struct vcpu *v, struct trap *t)
{
    if (t->cause & CAUSE_INTERRUPT)
        return on_interrupt(v, t->cause & ~CAUSE_INTERRUPT);
    if (t->cause < CAUSE_COUNT)
        v->count.exceptions[t->cause]++;
    exception_handler h = t->cause < CAUSE_COUNT ? exception_handlers[t->cause] : NULL;
    if (!h)
        return trap_exit(v, VCPU_EXIT_END_VM, true, "unexpected trap cause %lu at 0x%lx",
                         (unsigned long)t->cause, (unsigned long)t->epc);
    return h(v, t);
}
