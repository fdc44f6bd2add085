/* CSR instructions naming every general register as rd and as rs1, so the
 * trap-and-emulate path's register decoding is checked register by register.
 *
 * void csr_swap_all(uint64_t out[32], uint64_t in[32]):
 *   for each xN (N = 1..31, but sp): sscratch = 0x5c00 + N; xN = in[N];
 *   csrrw xN, sscratch, xN; out[N] = xN (the old sscratch) and
 *   in[N] = sscratch (what xN held). Registers are restored afterwards. */
    .section .text
    .balign 4
    .globl csr_swap_all
csr_swap_all:
    addi sp, sp, -128
    sd ra, 0(sp)
    sd gp, 8(sp)
    sd tp, 16(sp)
    sd s0, 24(sp)
    sd s1, 32(sp)
    sd s2, 40(sp)
    sd s3, 48(sp)
    sd s4, 56(sp)
    sd s5, 64(sp)
    sd s6, 72(sp)
    sd s7, 80(sp)
    sd s8, 88(sp)
    sd s9, 96(sp)
    sd s10, 104(sp)
    sd s11, 112(sp)
    /* a0 = out, a1 = in; kept in sscratch-free places: t5 = out, t6 = in,
     * except while testing t5/t6 themselves (then a0/a1 are used). */
    mv t5, a0
    mv t6, a1
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29
    li t0, 0x5c00 + \n
    csrw sscratch, t0
    ld x\n, (\n * 8)(t6)
    csrrw x\n, sscratch, x\n
    sd x\n, (\n * 8)(t5)
    csrr t0, sscratch
    sd t0, (\n * 8)(t6)
    .endr
    /* t5 (x30) and t6 (x31): use a0/a1 as the pointers. */
    mv a0, t5
    mv a1, t6
    .irp n, 30,31
    li t0, 0x5c00 + \n
    csrw sscratch, t0
    ld x\n, (\n * 8)(a1)
    csrrw x\n, sscratch, x\n
    sd x\n, (\n * 8)(a0)
    csrr t0, sscratch
    sd t0, (\n * 8)(a1)
    .endr
    ld ra, 0(sp)
    ld gp, 8(sp)
    ld tp, 16(sp)
    ld s0, 24(sp)
    ld s1, 32(sp)
    ld s2, 40(sp)
    ld s3, 48(sp)
    ld s4, 56(sp)
    ld s5, 64(sp)
    ld s6, 72(sp)
    ld s7, 80(sp)
    ld s8, 88(sp)
    ld s9, 96(sp)
    ld s10, 104(sp)
    ld s11, 112(sp)
    addi sp, sp, 128
    ret
