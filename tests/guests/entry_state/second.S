/* Where the second hart starts (SBI HSM hart_start): its sstatus and
 * scounteren recorded before anything else, then its own stack, the
 * runtime's trap vector and second_main(hartid, opaque). */
    .section .text
    .balign 4
    .globl second_entry, second_at_entry
second_entry:
    la t0, second_at_entry
    csrr t1, sstatus
    sd t1, 0(t0)
    csrr t1, scounteren
    sd t1, 8(t0)
    la sp, second_stack_top
    la t0, guest_trap_vector
    csrw stvec, t0
    call second_main
1:  wfi
    j 1b

    .section .bss
    .balign 16
second_at_entry:
    .space 16
    .space 16384
second_stack_top:

/* U-mode cache-block operations (run_user), with the guest kernel's senvcfg
 * as it starts (0): illegal natively whether or not the hart has Zicbom/
 * Zicboz; under lodger the hart's own senvcfg must not enable them. */
    .section .text
    .balign 4
    .globl u_cbo_zero, u_cbo_inval
u_cbo_zero:
    .option push
    .option arch, +zicboz
    cbo.zero (a0)
    .option pop
    ecall
u_cbo_inval:
    .option push
    .option arch, +zicbom
    cbo.inval (a0)
    .option pop
    ecall
