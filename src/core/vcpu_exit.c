/* The top of the trap path: a guest trap arrives here from the first
 * portion, is dispatched (core/trap.c), and the vCPU resumes, or leaves as
 * its handler asked (TRAP_EXIT). Only here, with no lock and no rendezvous
 * held by this hart, does a trap end or restart a VM or stop a vCPU: a
 * handler that did it from below would leave other harts waiting for a
 * lock or a rendezvous that is never released. */
#include "core/trap.h"
#include "core/vm.h"
#include "core/hart.h"
#include "arch/riscv/csr.h"

static void __attribute__((noreturn)) act_on_exit(struct vcpu *v)
{
    struct vcpu_exit e = v->exit;
    v->exit.kind = VCPU_EXIT_NONE;
    switch (e.kind) {
    case VCPU_EXIT_REBOOT:
        vm_reboot(v);
    case VCPU_EXIT_STOP:
        vcpu_stop(v);
    case VCPU_EXIT_END_VM:
        vm_end(v->vm, e.failed, "%s", e.why);
    case VCPU_EXIT_NONE:
    default:
        vm_end(v->vm, true, "a trap handler asked for an exit without a reason");
    }
}

/* Entered from the first portion (src/first/entry.S) on lodger's stack,
 * in lodger's own address space. Never returns: it resumes a guest. */
void __attribute__((noreturn)) vcpu_trap_from_guest(void);
void vcpu_trap_from_guest(void)
{
    struct vcpu *v = this_hart()->vcpu;
    struct trap_frame *f = v->frame;
    __atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
    if (v->vm->ended)
        hart_park();
#ifdef LODGER_CHECK_FAST
    /* Before anything touches the frame: served traps come here too. */
    bool served = fast_check_trap(v);
#else
    const bool served = false;
#endif
    /* Copy back the hardware's FP dirty tracking (see vcpu_resume). */
    if (v->csr->sstatus & SSTATUS_FS)
        v->csr->sstatus = (v->csr->sstatus & ~SSTATUS_FS) | (f->status & SSTATUS_FS);
    /* The fast paths may have changed the virtual mode (sret, reflected
     * traps) and the shadow view (SUM) in place. */
    v->mode = (enum vmode)f->vmode;
    if (v->shadow && v->shadow->satp != f->guest_satp && !vcpu_select_shadow(v))
        vm_end(v->vm, true, "no shadow page table for the guest (its shadow page budget is "
               "spent)");
    if (!served) {
        struct trap t = { .cause = f->cause, .tval = f->tval, .epc = f->pc, .insn_length = 4,
                          .time = csr_read(CSR_TIME) };
        /* The guest kernel's instruction that trapped (the fast path leaves
         * one in PATCH_LEARN_PERIOD here): its site may be patched. Not if
         * the hart took a breakpoint, which the fast path made this trap: a
         * patched site in the copy the guest ran, or one it chained to from
         * there (a run's, same page, so same copy), which has nothing left
         * to learn (an sfence.vma or a satp write, served here on every
         * page fault or switch; looking cost ~280 instructions each). The
         * hart's scause is still the guest's trap's: any trap since (a
         * fault of chaining's load) leaves another cause, and learning. */
        bool learn = t.cause == CAUSE_ILLEGAL_INSTRUCTION && v->mode == VMODE_S &&
                     csr_read(CSR_SCAUSE) != CAUSE_BREAKPOINT;
        uint64_t pc = t.epc;
        uint32_t insn = (uint32_t)t.tval;
        const struct shadow *ran_on = v->shadow;
        switch (trap_dispatch(v, &t)) {
        case TRAP_NEXT:
            f->pc = t.epc + t.insn_length;
            break;
        case TRAP_EXIT:
            act_on_exit(v);
        case TRAP_RETRY:
        case TRAP_REDIRECTED:
            break;
        }
        if (learn)
            patch_learn(v, ran_on, pc, insn);
    }
    vcpu_resume(v);
}
