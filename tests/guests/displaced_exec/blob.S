/* Position-independent code that displaced_exec copies into the arena and
 * runs at many aliases. Its layout is fixed: a 2-byte c.nop, then 32-bit
 * instructions only up to blob_straddle_end, so that copied 32 bytes below a
 * page boundary the instruction at offset 30 straddles it. Entry points
 * (offsets from exec_blob): 0 straddle, 64 sum, 128 table, 192 data,
 * 256 patch. Each takes a0 and returns a0. */
    .section .rodata.blob, "a"
    .balign 64
    .globl exec_blob, exec_blob_end
exec_blob:
    .option norelax
/* 0: a0 + 0x1234, through 32-bit instructions across offset 32. */
    .option push
    .option rvc
    c.nop
    .option norvc
    addi a0, a0, 0x100          /* 2 */
    addi a0, a0, 0x200          /* 6 */
    addi a0, a0, 0x30           /* 10 */
    addi a0, a0, 0x4            /* 14 */
    xori a0, a0, 0              /* 18 */
    addi a0, a0, 0x300          /* 22 */
    addi a0, a0, 0x400          /* 26 */
    addi a0, a0, 0x200          /* 30: straddles offset 32 */
    lui t0, 0                   /* 34 */
    add a0, a0, t0              /* 38 */
    ret                         /* 42 */
    .option pop

/* 64: sum of i * i for i < a0 (mod 2^64), compressed and 32-bit mixed. */
    .balign 64
    li t0, 0
    li t1, 0
1:  bgeu t1, a0, 2f
    mul t2, t1, t1
    add t0, t0, t2
    addi t1, t1, 1
    j 1b
2:  mv a0, t0
    ret

/* 128: a word of a table in the blob itself (pc-relative), indexed by
 * a0 & 3, xor a0. */
    .balign 64
3:  auipc t0, %pcrel_hi(4f)
    addi t0, t0, %pcrel_lo(3b)
    andi t1, a0, 3
    slli t1, t1, 3
    add t0, t0, t1
    ld t0, 0(t0)
    xor a0, a0, t0
    ret
    .balign 8
4:  .dword 0x0123456789abcdef, 0xfedcba9876543210, 0x8000000000000001, 0x7ffffffffffffffe

/* 192: stores a0 into a word of the blob (pc-relative), reads it back as
 * two halves through another base, returns the sum + 1. */
    .balign 64
5:  auipc t0, %pcrel_hi(6f)
    sd a0, %pcrel_lo(5b)(t0)
    addi t1, t0, %pcrel_lo(5b)
    addi t1, t1, -8
    lw t2, 8(t1)
    lwu t3, 12(t1)
    slli t3, t3, 32
    slli t2, t2, 32
    srli t2, t2, 32
    or a0, t2, t3
    addi a0, a0, 1
    ret
    .balign 8
6:  .dword 0

/* 256: a0 + an immediate that the guest patches (the addi's upper 12 bits). */
    .balign 64
    .option push
    .option norvc
    .globl exec_blob_patch
exec_blob_patch:
    addi a0, a0, 1
    ret
    .option pop
    .balign 64
exec_blob_end:
