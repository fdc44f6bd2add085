/* A re-entrant trap vector in the style of an OS kernel: sscratch holds the
 * top of free trap-stack space; the entry swaps it with sp, saves the
 * interrupted sp, sepc, sstatus and scause in a frame, and lowers sscratch
 * below the handler's own stack so that a trap inside the handler gets a
 * frame of its own. */
    .equ FRAME, 160
    .equ HANDLER_STACK, 1024
    .section .text
    .balign 4
    .globl nested_vector
nested_vector:
    csrrw sp, sscratch, sp
    addi sp, sp, -FRAME
    sd ra, 0(sp)
    sd t0, 8(sp)
    sd t1, 16(sp)
    sd t2, 24(sp)
    sd a0, 32(sp)
    sd a1, 40(sp)
    sd a2, 48(sp)
    sd a3, 56(sp)
    sd a4, 64(sp)
    sd a5, 72(sp)
    sd a6, 80(sp)
    sd a7, 88(sp)
    sd t3, 96(sp)
    sd t4, 104(sp)
    sd t5, 112(sp)
    sd t6, 120(sp)
    csrr t0, sscratch
    sd t0, 128(sp)
    csrr t0, sepc
    sd t0, 136(sp)
    csrr t0, sstatus
    sd t0, 144(sp)
    csrr t0, scause
    sd t0, 152(sp)
    addi t0, sp, -HANDLER_STACK
    csrw sscratch, t0
    mv a0, sp
    call nested_handler
    ld t0, 136(sp)
    csrw sepc, t0
    ld t0, 144(sp)
    csrw sstatus, t0
    addi t0, sp, FRAME
    csrw sscratch, t0
    ld ra, 0(sp)
    ld t0, 8(sp)
    ld t1, 16(sp)
    ld t2, 24(sp)
    ld a0, 32(sp)
    ld a1, 40(sp)
    ld a2, 48(sp)
    ld a3, 56(sp)
    ld a4, 64(sp)
    ld a5, 72(sp)
    ld a6, 80(sp)
    ld a7, 88(sp)
    ld t3, 96(sp)
    ld t4, 104(sp)
    ld t5, 112(sp)
    ld t6, 120(sp)
    ld sp, 128(sp)
    sret
