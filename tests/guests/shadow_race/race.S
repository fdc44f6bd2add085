/* The faulting hart's pieces (main.c): its entry (SBI HSM hart_start), a
 * trap vector that only skips a faulting probe, and the probe itself. */
    .option norvc                   /* the vector skips 4-byte instructions */
    .section .text
    .balign 4
    .globl race_second_entry
race_second_entry:
    la sp, race_stack_top
    la t0, race_vector
    csrw stvec, t0
    call race_second_main
1:  wfi
    j 1b

/* Any exception: a6 = scause, resume after the instruction. Only the
 * probe's load can trap (interrupts stay off on this hart). */
    .balign 4
race_vector:
    csrw sscratch, t0
    csrr a6, scause
    csrr t0, sepc
    addi t0, t0, 4
    csrw sepc, t0
    csrr t0, sscratch
    sret

/* long race_probe(unsigned long va): 0 if the load went through, else the
 * scause of its trap. */
    .globl race_probe
race_probe:
    li a6, 0
    ld a7, 0(a0)
    mv a0, a6
    ret

    .section .bss
    .balign 16
    .space 8192
race_stack_top:
