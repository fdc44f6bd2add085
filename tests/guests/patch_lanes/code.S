/* The code the patch_lanes guest runs, alone in its own 4 KiB page: the
 * sites lodger's first portion serves in its lanes besides the SIE one
 * (entry.S, lanes): sstatus and sscratch with a register operand, each
 * alone (a plain instruction between: no run of sites), and the one run a
 * lane serves whole (csrw sstatus, rs; csrw sepc, rs), with rd and rs1 of
 * every kind the lanes tell apart (t0-t2 kept in the frame, t3 saved for
 * the operand read, sp kept in sscratch, tp and s1 left in the hart, x0),
 * next to forms the lanes leave to the general path or decline (a change of
 * MXR, SIE set with an interrupt pending). */
    .section .text.lanes_page, "ax"
    .balign 4096
    .globl lanes_page
lanes_page:

/* unsigned long lanes_loop(unsigned long n): n rounds; returns the sum of
 * every value read (sstatus with its FS and SD as the guest's FP use left
 * them, sscratch, sepc, the registers swapped). 23 sites a round: an odd
 * number, so that lodger's learning (one trap in 64) reaches each. */
    .globl lanes_loop
lanes_loop:
    addi sp, sp, -48
    sd s1, 0(sp)
    sd s2, 8(sp)
    sd tp, 16(sp)
    li a2, 0
1:
    slli t3, a0, 1              /* for the sepc writes: even (QEMU's own sepc */
    addi t3, t3, 0x102          /* keeps bit 0 in bare mode, the spec's reads 0) */
    addi t4, t3, 0x232
    li t0, 0x46000              /* SUM | FS: Linux's trap entry */
    csrrc s1, sstatus, t0       /* 1: rd in the hart, rs1 in the frame; FS off */
    add a2, a2, s1
    csrw sstatus, s1            /* 2: rs1 in the hart; FS back; with 3, Linux's */
    csrw sepc, t3               /* 3: return (a run of two, served whole) */
    addi a2, a2, 1
    csrr t0, sepc               /* (a read of it) */
    add a2, a2, t0
    csrw sstatus, s1            /* a run of three: the general path chains */
    csrw sepc, a0
    csrw sepc, t4
    addi a2, a2, 1
    csrr t0, sepc
    add a2, a2, t0
    li t3, 0x40000              /* SUM */
    csrrs t1, sstatus, t3       /* 3: rs1 = t3; SUM on (paged: the other view) */
    add a2, a2, t1
    csrrc t2, sstatus, t3       /* 4: SUM off */
    add a2, a2, t2
    csrrw tp, sscratch, tp      /* 5: Linux's swap at trap entry */
    add a2, a2, tp
    csrrw tp, sscratch, tp      /* 6: back */
    mv s2, sp
    csrrw sp, sscratch, sp      /* 7: rd = rs1 = sp (sscratch in the lane) */
    mv t4, sp
    csrrw sp, sscratch, sp      /* 8: back */
    add a2, a2, t4
    csrrs t3, sscratch, a0      /* 9: csrrs, rd = t3 */
    add a2, a2, t3
    csrrc t0, sscratch, a0      /* 10: csrrc, rd = t0 */
    add a2, a2, t0
    csrrw x0, sscratch, t3      /* 11: rd = x0, rs1 = t3 */
    addi a2, a2, 1
    csrrw t5, sscratch, t2      /* 12: rd = t5, rs1 = t2 */
    add a2, a2, t5
    csrrs a5, sstatus, x0       /* 13: a read (rs1 = x0: no write) */
    add a2, a2, a5
    li t6, 0x100000             /* 14, 15: MXR on and off: the general path */
    csrs sstatus, t6
    addi a2, a2, 1
    csrc sstatus, t6
    csrw sscratch, s2           /* (trap-free or a site: plain storage) */
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, a2
    ld s1, 0(sp)
    ld s2, 8(sp)
    ld tp, 16(sp)
    addi sp, sp, 48
    ret

/* unsigned long lanes_pending(void): sets SIE with a register operand at a
 * lone site while a software interrupt is pending and enabled; the
 * interrupt must be taken right after it. Returns the address of the
 * instruction after the site. */
    .globl lanes_pending
lanes_pending:
    li t0, 2
    csrs sstatus, t0
1:  li t0, 2
    csrc sstatus, t0
    la a0, 1b
    ret

    .balign 4096
    .globl lanes_page_end
lanes_page_end:
