/* Where the second hart starts (SBI HSM hart_start): its own stack and the
 * runtime's trap vector, then second_main(hartid, opaque). */
    .section .text
    .balign 4
    .globl second_entry
second_entry:
    la sp, second_stack_top
    la t0, guest_trap_vector
    csrw stvec, t0
    call second_main
1:  wfi
    j 1b

    .section .bss
    .balign 16
    .space 16384
second_stack_top:
