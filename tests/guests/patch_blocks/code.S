/* The code the patch_blocks guest copies into two 2 MiB blocks of its RAM
 * and runs from there, through a global 2 MiB mapping every address space
 * shares: CSR accesses lodger patches, and a constant the guest rewrites. */
    .section .text.blk_page, "ax"
    .balign 4096
    .globl blk_page
blk_page:

/* unsigned long blk_loop(unsigned long n): n times sscratch + the constant. */
    .globl blk_loop, blk_value
    .option push
    .option norvc
blk_loop:
    li t1, 0
1:
    csrr t0, sscratch
    csrw sscratch, t0
blk_value:
    addi t2, zero, 1
    add t1, t1, t0
    add t1, t1, t2
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, t1
    ret
    .option pop

    .balign 4096
    .globl blk_page_end
blk_page_end:

/* Where a fault fetching blk_loop resumes (trap_resume_pc): it returns ~0
 * to blk_loop's caller, whose ra the fault left as it was. */
    .text
    .globl blk_fault_return
blk_fault_return:
    li a0, -1
    ret
