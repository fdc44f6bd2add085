/* The code the patch_code guest runs, alone in its own 4 KiB page: CSR
 * accesses lodger patches into ebreaks after they have trapped often
 * enough, and the guest's own breakpoints beside them. */
    .section .text.patch_page, "ax"
    .balign 4096
    .globl patch_page
patch_page:

/* unsigned long csr_loop(unsigned long n): sums sscratch and stvec n times. */
    .globl csr_loop, csr_loop_site, csr_loop_end
    .option push
    .option norvc               /* every instruction 4 bytes: interrupts land on a multiple of 4 */
csr_loop:
    li t1, 0
1:
csr_loop_site:
    csrr t0, sscratch
    csrw sscratch, t0
    csrr t2, stvec
    add t1, t1, t0
    add t1, t1, t2
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, t1
    ret
csr_loop_end:
    .option pop

/* Own breakpoints right next to patched sites: both sizes. */
    .globl own_ebreaks, own_ebreak32, own_ebreak16
own_ebreaks:
    csrr a0, sscratch
own_ebreak32:
    ebreak
    csrr a1, sscratch
    .option push
    .option rvc
own_ebreak16:
    c.ebreak
    .option pop
    csrr a2, sscratch
    add a0, a0, a1
    add a0, a0, a2
    ret

/* A CSR S-mode may not touch: an illegal instruction each time, which
 * lodger patches like any other site. */
    .globl illegal_site
illegal_site:
    csrr a0, mstatus
    ret

    .balign 4096
    .globl patch_page_end
patch_page_end:
