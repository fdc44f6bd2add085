/* Runs of CSR instructions for csr_chain (see main.c). Each routine takes
 * its inputs in a0-a3 and returns results in a0-a1 or through memory at a0. */
    .section .text
    .option norvc

/* chain_entry(out): Linux's trap-entry run (csrrc sstatus, then csrr sepc,
 * stval, scause, sscratch); out[0..4] = what each read. */
    .globl chain_entry
chain_entry:
    li t0, 0x40000              /* SUM */
    csrrc t1, sstatus, t0
    csrr t2, sepc
    csrr t3, stval
    csrr t4, scause
    csrr t5, sscratch
    sd t1, 0(a0)
    sd t2, 8(a0)
    sd t3, 16(a0)
    sd t4, 24(a0)
    sd t5, 32(a0)
    ret

/* chain_compressed(): csrr a0, sscratch followed by c.addi a0, 1. */
    .globl chain_compressed
chain_compressed:
    csrr a0, sscratch
    .option rvc
    c.addi a0, 1
    .option norvc
    ret

/* chain_user_csr(): csrr a0, sscratch then frcsr a1 (runs in U-mode natively);
 * returns fcsr in a0. */
    .globl chain_user_csr
chain_user_csr:
    csrr a1, sscratch
    frcsr a0
    ret

/* chain_sret(target): csrw sepc, a0 then sret (SPP = S set by the caller). */
    .globl chain_sret
chain_sret:
    csrw sepc, a0
    sret

/* chain_sie(bits): csrr a1, sscratch then csrs sie, a0: the write unmasks a
 * pending interrupt, taken right after it (its sepc is chain_sie_after). */
    .globl chain_sie, chain_sie_after
chain_sie:
    csrr a1, sscratch
    csrs sie, a0
chain_sie_after:
    nop
    ret

/* chain_sum(n): n times sfence.vma, then set SUM and read sscratch at once
 * (the SUM=1 view was just cleared: reading the next instruction through it
 * faults inside lodger's fast path), clear SUM; returns the sum of the reads. */
    .globl chain_sum
chain_sum:
    li t0, 0x40000
    li a1, 0
1:  sfence.vma
    csrs sstatus, t0
    csrr t1, sscratch
    csrc sstatus, t0
    add a1, a1, t1
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, a1
    ret

/* chain_page_end(): csrr a0, sscratch as the last word of a page, csrr a1,
 * sepc as the first of the next; returns a0 + a1. */
    .balign 4096
    .space 4096 - 8
    .globl chain_page_end
chain_page_end:
    j 1f
1:  csrr a0, sscratch
    csrr a1, sepc
    add a0, a0, a1
    ret
