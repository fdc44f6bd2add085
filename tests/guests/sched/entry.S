/* Where the other harts start (SBI HSM hart_start, opaque = slot 1 or 2):
 * a stack of their own, the runtime's trap vector, then
 * other_main(hartid, slot). */
    .section .text
    .balign 4
    .globl other_entry
other_entry:
    la sp, other_stacks
    addi t0, a1, 1
    slli t0, t0, 14             /* 16 KiB each */
    add sp, sp, t0
    la t0, guest_trap_vector
    csrw stvec, t0
    call other_main
1:  wfi
    j 1b

/* Loads f0..f31 with base + n (as raw doubles). */
    .globl fp_fill
    .balign 4
fp_fill:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    addi t0, a0, \n
    fmv.d.x f\n, t0
    .endr
    ret

/* How many of f0..f31 still hold base + n. */
    .globl fp_check
    .balign 4
fp_check:
    li t1, 0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.x.d t0, f\n
    addi t2, a0, \n
    bne t0, t2, 1f
    addi t1, t1, 1
1:
    .endr
    mv a0, t1
    ret

    .section .bss
    .balign 16
other_stacks:
    .space 3 * 16384
