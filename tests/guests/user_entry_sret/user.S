/* user_entry_sret's way into U-mode, as a small kernel does it: sstatus and
 * sepc written, then `csrw sscratch, sp` immediately followed by `sret`
 * (lodger serves the run in one trap, its fast path chaining the four), and
 * its trap vector: back on the kernel stack from sscratch, the trap
 * recorded, the caller of uenter resumed.
 *
 * long uenter(unsigned long pc, unsigned long arg, unsigned long sstatus):
 * runs pc in U-mode with a0 = arg; returns the scause of the first trap
 * (recorded in utrap_rec: scause, stval, sepc). */
    .section .text
    .balign 4
    .globl uenter, uenter_split, utrap_rec
.macro uenter_prologue
    addi sp, sp, -112
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    csrr t1, stvec
    sd t1, 104(sp)
    la t1, utrap
    csrw stvec, t1
    mv t0, a0
    mv a0, a1
.endm
uenter:
    uenter_prologue
    .option push
    .option norvc
    csrw sstatus, a2
    csrw sepc, t0
    csrw sscratch, sp
    sret
    .option pop

/* The same with a nop after the sepc write: under lodger the sscratch
 * write then traps, with the sret chained to it. */
uenter_split:
    uenter_prologue
    .option push
    .option norvc
    csrw sstatus, a2
    csrw sepc, t0
    nop
    csrw sscratch, sp
    sret
    .option pop

    .balign 4
utrap:
    csrrw sp, sscratch, sp          /* the kernel's stack */
    csrr t1, scause
    csrr t2, stval
    csrr t3, sepc
    la t0, utrap_rec
    sd t1, 0(t0)
    sd t2, 8(t0)
    sd t3, 16(t0)
    mv a0, t1
    ld t1, 104(sp)
    csrw stvec, t1
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    addi sp, sp, 112
    ret

    .section .bss
    .balign 8
utrap_rec:
    .space 24

/* U-mode code (a page of its own, mapped U=1 R X). Each routine takes an
 * address in a0 and ends with an ecall; the load puts what it read in a0
 * and the kernel gets it back in the mailbox's first word. */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page, u_load, u_store, u_jump, u_ecall, u_time_fp, mailbox
user_page:
#include "../shared/user_mailbox_ops.inc"
u_jump:                     /* to a0 */
    jr a0
u_ecall:
    li a7, 0x5e
    ecall
u_time_fp:                  /* rdtime and an FP add, as the kernel left scounteren and FS */
    rdtime t0
    fmv.d.x ft0, a0
    fadd.d ft1, ft0, ft0
    fmv.x.d t0, ft1
    la t1, mailbox
    sd t0, 0(t1)
    ecall
    .balign 4096
mailbox:
    .space 4096
