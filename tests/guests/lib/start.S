/* Entry of every test guest: S-mode, MMU off, a0 = hartid, a1 = DT. */
    .section .text.start, "ax"
    .globl _start
_start:
    la sp, guest_stack_top
    la t0, guest_trap_vector
    csrw stvec, t0
    la t0, guest_dt
    sd a1, 0(t0)
    call guest_main
    mv a0, a0
    call guest_exit
1:  j 1b

    .section .bss
    .balign 16
    .space 16384
guest_stack_top:
