/* The code the patch_plain guest runs, alone in its own 4 KiB page: every
 * form of CSR access lodger may patch trap-free (plain loads and stores of
 * the vCPU's CSR slots), next to ones it may not (a swap, a set with an
 * operand, a write of sepc), with compressed neighbours. */
    .section .text.plain_page, "ax"
    .balign 4096
    .globl plain_page
plain_page:

/* unsigned long plain_loop(unsigned long n, unsigned long value):
 * n rounds of writes of value (and of values made from it) to sscratch,
 * scause, stval and sepc, and reads of them back; returns a sum of all
 * that was read. */
    .globl plain_loop
    .option push
    .option rvc
plain_loop:
    li a2, 0
1:
    csrw sscratch, a1           /* csrrw x0: a store */
    csrr t0, sscratch           /* csrrs rd, x0: a load */
    c.add a2, t0
    csrwi scause, 0             /* csrrwi x0, uimm 0: a store of x0 */
    csrrc t1, scause, x0        /* a load */
    c.add a2, t1
    csrw scause, a1
    csrrc t1, scause, x0
    c.add a2, t1
    xori t2, a1, 0x55
    csrw stval, t2
    csrrsi t3, stval, 0         /* a load */
    c.add a2, t3
    andi t4, a1, -2             /* (QEMU 7.2 keeps sepc's bit 0: not tested) */
    csrw sepc, t4               /* not trap-free: a write of sepc */
    csrrci t5, sepc, 0          /* a load */
    c.add a2, t5
    csrr t5, sepc
    c.add a2, t5
    addi t6, a1, 7
    csrrw t6, sscratch, t6      /* a swap: not trap-free */
    c.add a2, t6
    csrr t6, sscratch           /* the swap's value */
    c.add a2, t6
    csrs sscratch, a0           /* a set with an operand: not trap-free */
    csrr t0, sscratch
    c.add a2, t0
    csrr t1, stval
    c.add a2, t1
    csrr t1, scause
    c.add a2, t1
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, a2
    ret
    .option pop

/* long user_top_load(long): loads from the last bytes of the address space
 * in U-mode (where lodger keeps a vCPU's CSRs for its virtual S-mode). */
    .globl user_top_load
user_top_load:
    ld a0, -32(zero)
    ld a0, -8(zero)
    ecall

    .balign 4096
    .globl plain_page_end
plain_page_end:
