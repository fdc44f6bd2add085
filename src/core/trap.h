/* The trap dispatcher: what lodger does with each trap from a guest. */
#ifndef LODGER_CORE_TRAP_H
#define LODGER_CORE_TRAP_H

#include <stdint.h>
#include "core/vcpu.h"
#include "core/trap_result.h"

/* A snapshot of one trap, taken by the first portion. */
struct trap {
    uint64_t cause, tval, epc;
    uint32_t insn;      /* the trapping instruction, when it was needed */
    unsigned insn_length;
    uint64_t time;      /* time CSR when lodger took the trap */
};


enum trap_result trap_dispatch(struct vcpu *v, struct trap *t);
/* Records why the vCPU leaves (v->exit) and returns TRAP_EXIT. The message
 * is printed when the VM ends (VCPU_EXIT_END_VM only). */
enum trap_result trap_exit(struct vcpu *v, enum vcpu_exit_kind kind, bool failed,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void vcpu_wait_for_interrupt(struct vcpu *v);
/* Checking builds (LODGER_CHECK_FAST): runs the C twin of the fast paths on
 * the frame as the trap left it and ends the VM unless it did what the
 * assembly did; true if a fast path served the trap (core/fast_check.c). */
bool fast_check_trap(struct vcpu *v);

#endif
