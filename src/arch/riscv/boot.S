/* lodger's entry from the firmware (OpenSBI fw_jump / fw_dynamic, U-Boot
 * booti): a0 = hartid, a1 = physical address of the device tree, MMU off. */
#include "arch/riscv/encoding.h"

#define HOST_MAX_HARTS 16       /* core/hostdt.h */

#define HART_STACK_SIZE 16384

    .section .text.boot, "ax"
    .globl _start
_start:
    csrw sie, zero
    csrw sip, zero
    /* One boot hart. OpenSBI 1.1 on QEMU sometimes lets a second hart into
     * the payload too (seen with -smp 2): the lottery lives in .data, which
     * no one clears, and the loser waits to be parked like a started hart. */
    lla t0, boot_lottery
    li t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez t1, .Llate_hart
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

.Llate_hart:
    lla t0, boot_done
1:  lw t1, (t0)
    beqz t1, 1b
    fence r, rw
    /* A stack of its own: late_stacks[hartid] (the boot hart cleared them). */
    li t1, HOST_MAX_HARTS
    bgeu a0, t1, 3b
    lla sp, late_stacks
    addi t1, a0, 1
    li t2, HART_STACK_SIZE
    mul t1, t1, t2
    add sp, sp, t1
    call lodger_secondary_main
    j 3b

/* Secondary harts, started through SBI HSM: a0 = hartid, a1 = opaque = stack top. */
    .globl _start_secondary
_start_secondary:
    csrw sie, zero
    mv sp, a1
    call lodger_secondary_main
4:  wfi
    j 4b

    .section .data
    .balign 4
    .globl boot_lottery, boot_done
boot_lottery:
    .word 0
boot_done:
    .word 0                 /* set by lodger_main once harts[] is filled */

    .section .bss.boot_stack, "aw", @nobits
    .balign 16
boot_stack:
    .space HART_STACK_SIZE
late_stacks:
    .space HART_STACK_SIZE * HOST_MAX_HARTS
