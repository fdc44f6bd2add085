/* The trap dispatcher: what lodger does with each trap from a guest. */
#ifndef LODGER_CORE_TRAP_H
#define LODGER_CORE_TRAP_H

#include <stdint.h>
#include "core/vm.h"

/* A snapshot of one trap, taken by the first portion. */
struct trap {
    uint64_t cause, tval, epc;
    uint32_t insn;      /* the trapping instruction, when it was needed */
    unsigned insn_length;
    uint64_t time;      /* time CSR when lodger took the trap */
};

/* What a handler asks the dispatcher to do next. */
enum trap_result {
    TRAP_NEXT,      /* resume after the trapping instruction */
    TRAP_RETRY,     /* resume at the trapping instruction (pc as it is) */
};

enum trap_result trap_dispatch(struct vcpu *v, struct trap *t);
void vcpu_wait_for_interrupt(struct vcpu *v);
/* Checking builds (LODGER_CHECK_FAST): runs the C twin of the fast paths on
 * the frame as the trap left it and ends the VM unless it did what the
 * assembly did; true if a fast path served the trap (core/fast_check.c). */
bool fast_check_trap(struct vcpu *v);

#endif
