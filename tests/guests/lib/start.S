/* Entry of every test guest: S-mode, MMU off, a0 = hartid, a1 = DT. */
    .section .text.start, "ax"
    .globl _start
_start:
    la t0, at_entry             /* the state the firmware started us in */
    csrr t1, sstatus
    sd t1, 0(t0)
    csrr t1, scounteren
    sd t1, 8(t0)
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
    .globl at_entry
at_entry:                       /* sstatus, scounteren at _start */
    .space 16
    .space 16384
guest_stack_top:
