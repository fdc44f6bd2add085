/* Each function makes one pending supervisor software interrupt deliverable
 * with its first instruction; the interrupt must be taken with sepc at the
 * *next* instruction, whose address the function returns in a0 (label 1).
 * On entry a0 holds the operand of the enabling instruction. */
    .section .text
    .macro ENABLE_FN name, insn
    .globl \name
    .balign 4
\name:
    \insn
1:  la a0, 1b
    ret
    .endm

    ENABLE_FN enable_by_sstatus, "csrs sstatus, a0"
    ENABLE_FN enable_by_sie, "csrs sie, a0"
    ENABLE_FN enable_by_sip, "csrs sip, a0"

    /* sret to S-mode with SPIE=1: SIE becomes 1 at the target, where the
     * interrupt is taken before the target's first instruction. */
    .globl enable_by_sret
    .balign 4
enable_by_sret:
    la t0, 1f
    csrw sepc, t0
    sret
1:  la a0, 1b
    ret

    /* An SBI call that makes an interrupt pending: taken right after the
     * ecall. a0..a7 as for sbi_call: a7 = eid, a6 = fid, a0/a1 arguments. */
    .globl enable_by_ecall
    .balign 4
enable_by_ecall:
    ecall
1:  la a0, 1b
    ret
