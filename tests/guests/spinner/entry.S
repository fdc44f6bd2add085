/* Where the other harts start (SBI HSM hart_start, opaque = their slot,
 * 1..3): a stack of their own, the runtime's trap vector, then
 * other_main(hartid, slot). */
    .section .text
    .balign 4
    .globl other_entry
other_entry:
    la sp, other_stacks
    slli t0, a1, 13             /* 8 KiB each, slot 1 at the first's top */
    add sp, sp, t0
    la t0, guest_trap_vector
    csrw stvec, t0
    call other_main
1:  wfi
    j 1b

    .section .bss
    .balign 16
other_stacks:
    .space 3 * 8192
