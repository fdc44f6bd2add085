/* Code that fp_chase_traps copies into the places it maps: position-
 * independent, no stack. */
    .section .text
    .balign 4
/* long pic_inc(long a): a + 1. */
    .globl pic_inc, pic_inc_end
pic_inc:
    addi a0, a0, 1
    ret
pic_inc_end:

/* The trap vector copied into a place (at offset 0 for direct mode, or at
 * 4 * cause for a vectored interrupt). */
#include "../shared/fwd_vec.inc"

/* long sret_to(void *pc, long a): runs pc(a) in S-mode, entered by an sret
 * (sepc = pc, SPP = S); pc returns to our caller with ret. */
    .balign 4
    .globl sret_to
sret_to:
    csrw sepc, a0
    li t0, 0x100
    csrs sstatus, t0
    mv a0, a1
    sret

/* long ebreak_on_stack(void *stack_top): an ebreak with sp = stack_top, so
 * the trap handler's first store is there; returns what sp was after. */
    .balign 4
    .globl ebreak_on_stack
ebreak_on_stack:
    mv t1, sp
    mv sp, a0
    ebreak
    mv a0, sp
    mv sp, t1
    ret

/* User code (a page of its own): user_ecall makes an ecall; user_load loads
 * from a0, then makes an ecall. */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page, user_ecall, user_load
user_page:
user_ecall:
    ecall
user_load:
    ld t0, 0(a0)
    ecall
    .balign 4096
