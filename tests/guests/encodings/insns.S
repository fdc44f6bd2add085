/* Each function's first instruction is the one under test; the trap
 * handler skips it (2 or 4 bytes) and the function returns 1. */
    .section .text
    .macro TEST_FN name
    .globl \name
    .balign 4
\name:
    .endm

    TEST_FN c_ebreak_fn
    c.ebreak
    li a0, 1
    ret

    /* 0x0000 then c.nop (0x0001): stval must not include the c.nop. */
    TEST_FN c_zero_fn
    .2byte 0
    .2byte 0x0001
    li a0, 1
    ret

    TEST_FN word_ones_fn
    .word 0xffffffff
    li a0, 1
    ret

    /* custom-0 major opcode: nothing implements it. */
    TEST_FN custom0_fn
    .word 0x0000000b
    li a0, 1
    ret

    TEST_FN c_fldsp_fn
    c.fldsp ft0, 0(sp)
    li a0, 1
    ret

    /* sret with rs1 = x1: a reserved SYSTEM encoding. */
    TEST_FN sret_rs1_fn
    .word 0x10208073
    li a0, 1
    ret

    /* wfi with rd = x1: reserved too. */
    TEST_FN wfi_rd_fn
    .word 0x105000f3
    li a0, 1
    ret
