/* What a trap handler returns (core/trap.h), apart so that handlers in
 * modules below vm.h (first_portion.h) can name it. */
#ifndef LODGER_CORE_TRAP_RESULT_H
#define LODGER_CORE_TRAP_RESULT_H

/* What a handler asks the top of the trap path (vcpu_trap_from_guest) to do
 * next. As KVM's handlers return "resume" or "exit" and OpenSBI marks a
 * redirected trap so that its caller leaves mepc alone, handlers never end
 * a VM or move a vCPU off its hart themselves: they may hold a lock or sit
 * in a rendezvous, and other harts would wait for them forever. */
enum trap_result {
    TRAP_NEXT,          /* resume after the trapping instruction */
    TRAP_RETRY,         /* resume at the trapping instruction (pc as it is) */
    TRAP_REDIRECTED,    /* the handler set pc (a trap delivered, an HSM resume) */
    TRAP_EXIT,          /* v->exit says what: end or restart the VM, stop the vCPU */
};

#endif
