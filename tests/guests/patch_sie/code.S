/* The code the patch_sie guest runs, alone in its own 4 KiB page: the
 * interrupt-enable sites lodger's first portion serves in its shortest lane
 * (entry.S sie_lane): csrrci rd, sstatus, SIE with rd of every kind (x0,
 * t0-t2 that the lane keeps in the frame, sp that it keeps in sscratch, a
 * register it leaves in the hart) and csrsi sstatus, SIE, each alone (a
 * plain instruction between: no run of sites), next to forms the lane leaves
 * to the general path (csrrsi with rd, a run of two). */
    .section .text.sie_page, "ax"
    .balign 4096
    .globl sie_page
sie_page:

/* unsigned long sie_loop(unsigned long n): n rounds; returns the sum of
 * every value read (sstatus with SIE set, each time, and its FS and SD as
 * the guest's FP use left them). 13 sites a round: an odd number, so that
 * lodger's learning (one trap in 64) reaches each. */
    .globl sie_loop
sie_loop:
    addi sp, sp, -32
    sd s1, 0(sp)
    sd s2, 8(sp)
    li a2, 0
1:
    csrsi sstatus, 2            /* 1: set */
    addi a2, a2, 1
    csrrci t0, sstatus, 2       /* 2: clear, rd in the frame */
    add a2, a2, t0
    csrsi sstatus, 2            /* 3 */
    addi a2, a2, 1
    csrrci t1, sstatus, 2       /* 4 */
    add a2, a2, t1
    csrsi sstatus, 2            /* 5 */
    addi a2, a2, 1
    csrrci t2, sstatus, 2       /* 6 */
    add a2, a2, t2
    csrsi sstatus, 2            /* 7 */
    addi a2, a2, 1
    csrrci s1, sstatus, 2       /* 8: rd in the hart */
    add a2, a2, s1
    csrsi sstatus, 2            /* 9 */
    mv s2, sp
    csrrci sp, sstatus, 2       /* 10: rd = sp */
    mv t3, sp
    mv sp, s2
    add a2, a2, t3
    csrrsi a5, sstatus, 2       /* 11: a set that reads (general path) */
    add a2, a2, a5
    csrrci a4, sstatus, 2       /* 12, 13: a run of two (general path, chained) */
    csrci sstatus, 2
    add a2, a2, a4
    addi a0, a0, -1
    bnez a0, 1b
    mv a0, a2
    ld s1, 0(sp)
    ld s2, 8(sp)
    addi sp, sp, 32
    ret

/* unsigned long sie_pending(void): sets SIE at a lone site while a software
 * interrupt is pending and enabled; the interrupt must be taken right
 * after it. Returns the address of the instruction after the site. */
    .globl sie_pending
sie_pending:
    csrsi sstatus, 2
1:  csrci sstatus, 2
    la a0, 1b
    ret

    .balign 4096
    .globl sie_page_end
sie_page_end:
