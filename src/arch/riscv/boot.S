/* lodger's entry from the firmware (OpenSBI fw_jump / fw_dynamic, U-Boot
 * booti): a0 = hartid, a1 = physical address of the device tree, MMU off. */
#include "arch/riscv/encoding.h"

#define HART_STACK_SIZE 16384

    .section .text.boot, "ax"
    .globl _start
_start:
    csrw sie, zero
    csrw sip, zero
    /* Clear .bss before anything lives there. */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, (t0)
    addi t0, t0, 8
    j 1b
2:  la sp, boot_stack + HART_STACK_SIZE
    call lodger_main
3:  wfi
    j 3b

/* Secondary harts, started through SBI HSM: a0 = hartid, a1 = opaque = stack top. */
    .globl _start_secondary
_start_secondary:
    csrw sie, zero
    mv sp, a1
    call lodger_secondary_main
4:  wfi
    j 4b

    .section .bss.boot_stack, "aw", @nobits
    .balign 16
boot_stack:
    .space HART_STACK_SIZE
