/*
 * The first portion's code: the one trap vector of every hart (stvec), and
 * the way back into a guest. It runs at whatever virtual address the VM's
 * first portion currently has, so it is position-independent: no absolute
 * address, no call out of this section (checked at build time by
 * tools/check-first-portion). Everything it needs comes from the trap frame
 * that sscratch points to.
 *
 *  from a guest (sstatus.SPP = U): save the guest's registers in its frame,
 *      switch satp to lodger's own table, call the C dispatcher
 *      (frame->host_trap) on the hart's stack. The dispatcher never returns;
 *      it leaves through first_resume_guest.
 *  from lodger itself (SPP = S): lodger's table is already active; save its
 *      registers on its own stack and call frame->host_fault.
 */
#include "arch/riscv/encoding.h"
#include "offsets.inc"

/* The fast paths work in the registers they save at the trap (t0-t6, a0-a7,
 * s2: the "fast" registers); the guest's other registers (ra, gp, tp, s0,
 * s1, s3-s11: the "deferred" ones) stay live in the hart until the trap goes
 * to the second portion (.Lslow_path saves them) and are read and written in
 * place by a CSR access that names them (.Lread_x, .Lwrite_x). So a fast
 * path saves and restores 16 registers, not 30. */
#define FAST_REGS 5,6,7,10,11,12,13,14,15,16,17,18,28,29,30,31
#define DEFERRED_REGS 1,3,4,8,9,19,20,21,22,23,24,25,26,27
.macro save_fast_regs           /* all but t0, which the entry saved first */
    .irp n, 6,7,10,11,12,13,14,15,16,17,18,28,29,30,31
    sd x\n, FRAME_X\n(sp)
    .endr
.endm

.macro save_deferred_regs
    .irp n, DEFERRED_REGS
    sd x\n, FRAME_X\n(sp)
    .endr
.endm

.macro restore_fast_regs
    .irp n, FAST_REGS
    ld x\n, FRAME_X\n(sp)
    .endr
.endm

.macro restore_guest_regs
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, FRAME_X\n(sp)
    .endr
.endm

/* Guest register n for a CSR access (.Lread_x, .Lwrite_x): in the frame,
 * or in the hart for a deferred one. */
#define IS_DEFERRED(n) ((n == 1) || (n == 3) || (n == 4) || (n == 8) || (n == 9) || \
                        ((n >= 19) && (n <= 27)))
.macro read_x n, to
    .if \n == 0
    li \to, 0
    .elseif IS_DEFERRED(\n)
    mv \to, x\n
    .else
    ld \to, FRAME_X\n(sp)
    .endif
.endm

.macro write_x n, from
    .if \n == 0
    nop
    .elseif IS_DEFERRED(\n)
    mv x\n, \from
    .else
    sd \from, FRAME_X\n(sp)
    .endif
.endm


/* The lane's t1 = the guest's sstatus with FS as the hart tracked it
 * (load_sstatus_synced's rule, with t0 alone: t2 holds rd). */
.macro lane_fs_synced
    srli t0, t1, 13
    andi t0, t0, 3
    beqz t0, .Llane_fs_off\@
    csrr t0, sstatus
    xor t0, t0, t1
    srli t0, t0, 13
    andi t0, t0, 3
    slli t0, t0, 13
    xor t1, t1, t0
.Llane_fs_off\@:
.endm

/* t0 = x[t0] for a lane (t0-t2 and t3 saved; t3 the link, t1 used). */
.macro lane_read_x
#ifdef LODGER_CHECK_FAST
    slli t0, t0, 3
    add t1, sp, t0                  /* all saved, x0's slot zeroed at the entry */
    ld t0, FRAME_X0(t1)
#else
    slli t0, t0, 2
    lla t1, .Llane_read_x
    add t1, t1, t0
    jalr t3, t1
#endif
.endm

/*
 * Lanes: the guest kernel's commonest patched sites, served right at the
 * trap entry with only t0-t2 saved (t3-t5 too by the lanes that need them),
 * before the fast registers are: what the general path (.Lfast_breakpoint,
 * .Lfast_insn) would do, for a site the probe of its table slots finds
 * and after which no run of sites follows (no chaining). The C twin is the
 * general path's (fast_path.c, lane_site says which sites come here; the
 * checking build runs the lanes after the full save and compares):
 *  - SIE: `csrrci rd, sstatus, SIE` (local_irq_save/disable, any rd) and
 *    `csrsi sstatus, SIE` (local_irq_enable);
 *  - sstatus with a register operand: `csrrw/csrrs/csrrc rd, sstatus, rs1`
 *    (Linux's `csrrc s1, sstatus, t0` at trap entry, the SUM toggles of its
 *    user accesses), with the general path's rules: FS as the hart tracked
 *    it, SD, the writable mask, a SUM switch to the other view, FS the
 *    hart's; a change of MXR, a view not built, or SIE set with an
 *    interrupt pending and enabled go to the general path (which declines);
 *  - sscratch with a register operand: `csrrw tp, sscratch, tp` of Linux's
 *    trap entry (plain storage: any rd, rs1, funct3 1-3);
 *  - `sret` back to virtual U (to S: the general path), privileged spec
 *    3.3.2, as .Lfast_sret.
 * Anything else goes to miss with the registers as the guest had them.
 * Guest registers are read by lane_read_x, written by lane_write_x.
 */
/* The lanes' read-modify-write: val = the operand (in val) applied to old
 * by the funct3 of the instruction in t2 (csrrw, csrrs, csrrc); t3 is
 * scratch. csr_new_value is the general path's, in its own registers. */
.macro lane_csr_op val, old
    srli t3, t2, 12
    andi t3, t3, 3
    addi t3, t3, -2
    bltz t3, 1f                     /* csrrw: the operand */
    bnez t3, 2f
    or \val, \old, \val            /* csrrs */
    j 1f
2:  not \val, \val                  /* csrrc */
    and \val, \old, \val
1:
.endm

.macro lanes miss, done, done_follows=0  /* done_follows: done is right after */
    sd t1, FRAME_X6(sp)
    sd t2, FRAME_X7(sp)
    csrr t0, scause
    addi t0, t0, -CAUSE_BREAKPOINT
    bnez t0, 85f
    ld t0, FRAME_VMODE(sp)
    beqz t0, 90f                    /* from virtual U: the guest's own */
    csrr t0, sepc
    ld t1, FRAME_SITE_HIGH(sp)      /* the upper half first, as site_lookup */
    srli t2, t0, 32                 /* does: t2 then holds the slot found (97) */
    bne t1, t2, 90f
    srli t2, t0, 1                  /* t2: the probe, from pc's own slot */
96: andi t1, t2, FRAME_SITES_COUNT - 1  /* (site_lookup, with t0-t2 alone) */
    slli t1, t1, 3
    add t1, t1, sp
    ld t1, FRAME_SITES_OFF(t1)
    beqz t1, 90f                    /* an empty slot ends the probe */
    xor t1, t1, t0
    slli t1, t1, 32
    srli t1, t1, 33                 /* the low halves, but for FRAME_SITE_RUN */
    beqz t1, 97f
    addi t2, t2, 1
    srli t1, t0, 1
    addi t1, t1, FRAME_SITE_PROBES
    bne t2, t1, 96b
    j 90f
97: andi t2, t2, FRAME_SITES_COUNT - 1  /* t2: the slot */
    slli t1, t2, 3
    add t1, t1, sp
    ld t1, FRAME_SITES_OFF(t1)      /* t1: the entry */
    add t2, t2, sp                  /* as .Lfast_breakpoint: the slot found is */
    li t0, FRAME_SITE_REFERENCED    /* referenced, served here or not (the run */
    sb t0, FRAME_SITE_REF(t2)       /* of 86: its first; core/patch_clock.h) */
    andi t0, t1, FRAME_SITE_RUN
    srli t2, t1, 32                 /* t2: the original instruction */
#ifdef LODGER_CHECK_FAST
    sd t2, FRAME_TVAL(sp)           /* the twin's too (a miss: the general path's) */
#endif
    bnez t0, 86f                    /* a run follows: only the one of 86 here */
    srli t0, t2, 13                 /* bits 31:13 the same for SIE clear and set */
    li t1, SIE_CLEAR_INSN >> 13
    beq t0, t1, 80f
    srli t0, t2, 20                 /* the CSR number */
    andi t1, t2, 0x7f
    addi t1, t1, -OPCODE_SYSTEM
    bnez t1, 90f
    li t1, CSR_SSTATUS
    beq t0, t1, 81f
    li t1, CSR_SSCRATCH
    beq t0, t1, 81f
    li t1, MATCH_SRET
    beq t2, t1, 80f
    j 90f

80: /* SIE: csrrci rd, sstatus, SIE, or csrsi sstatus, SIE; and sret */
    ld t1, FRAME_CSR_SSTATUS(sp)
    lane_fs_synced                  /* t1: the stored sstatus */
    li t0, MATCH_SRET
    beq t2, t0, 83f
    srli t0, t2, 12
    andi t0, t0, 1
    bnez t0, 91f                    /* funct3 7: csrrci rd, sstatus, SIE */
    srli t0, t2, 7
    andi t0, t0, 31
    bnez t0, 90f                    /* csrrsi rd != x0: the general path */
    andi t0, t1, SSTATUS_SIE
    bnez t0, 92f                    /* set already: no interrupt newly enabled */
    ld t0, FRAME_CSR_SIP(sp)
    ld t2, FRAME_CSR_SIE(sp)
    and t0, t0, t2
    bnez t0, 90f                    /* one pending and enabled: taken, slow path */
92: ori t1, t1, SSTATUS_SIE
    sd t1, FRAME_CSR_SSTATUS(sp)
    li t2, 0                        /* rd = x0 */
    j 95f
91: srli t2, t2, 7
    andi t2, t2, 31                 /* t2: rd */
    srli t0, t1, 13                 /* t0: the value read, SD when FS is Dirty */
    andi t0, t0, 3
    addi t0, t0, -3
    seqz t0, t0
    slli t0, t0, 63
    or t0, t0, t1
    andi t1, t1, ~SSTATUS_SIE
    sd t1, FRAME_CSR_SSTATUS(sp)
95: lla t1, .Llane_write_x          /* x[rd] = t0, then the count of kind t2 */
    slli t2, t2, 2
    add t1, t1, t2
    li t2, FAST_SSTATUS
    jr t1

81: /* sstatus or sscratch with a register operand (funct3 1-3); t3 links
     * lane_read_x */
    srli t0, t2, 12
    andi t0, t0, 7
    addi t0, t0, -1
    sltiu t0, t0, 3
    beqz t0, 90f                    /* an immediate operand (SIE: above) */
    sd t3, FRAME_X28(sp)
    srli t0, t2, 15
    andi t0, t0, 31
    lane_read_x                     /* t0 = x[rs1] */
    srli t1, t2, 20
    li t3, CSR_SSCRATCH
    beq t1, t3, 82f
    /* sstatus: t4, t5 for the work too */
    sd t4, FRAME_X29(sp)
    sd t5, FRAME_X30(sp)
    mv t4, t0                       /* t4: the operand */
    ld t1, FRAME_CSR_SSTATUS(sp)
    lane_fs_synced                  /* t1: the stored sstatus */
    srli t0, t1, 13                 /* t0: the value read, SD when FS is Dirty */
    andi t0, t0, 3
    addi t0, t0, -3
    seqz t0, t0
    slli t0, t0, 63
    or t0, t0, t1
    lane_csr_op t4, t0              /* t4 = the new value by funct3 */
    li t3, SSTATUS_FAST_WRITABLE
    and t4, t4, t3
    not t3, t3
    and t3, t1, t3
    or t4, t4, t3                   /* t4: the new stored sstatus */
    xor t3, t4, t1                  /* t3: bits that change */
    li t1, SSTATUS_FAST_SLOW
    and t1, t3, t1
    bnez t1, 88f                    /* MXR: a new shadow view */
    andi t1, t3, SSTATUS_SIE
    beqz t1, 3f
    andi t1, t4, SSTATUS_SIE
    beqz t1, 3f
    ld t1, FRAME_CSR_SIP(sp)
    ld t5, FRAME_CSR_SIE(sp)
    and t1, t1, t5
    bnez t1, 88f                    /* SIE on with an interrupt pending */
3:  li t5, SSTATUS_SUM
    and t1, t3, t5
    beqz t1, 4f
    and t1, t4, t5                  /* SUM changes: the other S-mode view, if built */
    snez t1, t1
    slli t1, t1, 3
    add t1, t1, sp
    ld t1, FRAME_SUM_SATP(t1)
    beqz t1, 88f
    csrw satp, t1
    sd t1, FRAME_GUEST_SATP(sp)
    ld t1, FRAME_FLUSH(sp)
    beqz t1, 4f
    sfence.vma
4:  li t1, SSTATUS_FS
    and t5, t3, t1
    beqz t5, 5f
    csrc sstatus, t1                /* FS changes: the hart's follows */
    and t5, t4, t1
    csrs sstatus, t5
    ld t3, FRAME_STATUS(sp)
    not t1, t1
    and t3, t3, t1
    or t3, t3, t5
    sd t3, FRAME_STATUS(sp)
5:  sd t4, FRAME_CSR_SSTATUS(sp)
    srli t1, t2, 32
    bnez t1, 87f                    /* the csrw sepc after it (86) */
    ld t3, FRAME_X28(sp)
    ld t4, FRAME_X29(sp)
    ld t5, FRAME_X30(sp)
    srli t2, t2, 7
    andi t2, t2, 31                 /* rd */
    j 95b

82: /* sscratch: plain storage, any value sticks */
    ld t1, FRAME_CSR_SSCRATCH(sp)
    lane_csr_op t0, t1              /* t0 = the new value by funct3 */
    sd t0, FRAME_CSR_SSCRATCH(sp)
    mv t0, t1                       /* the value read */
    ld t3, FRAME_X28(sp)
    srli t2, t2, 7
    andi t2, t2, 31                 /* rd */
    lla t1, .Llane_write_x
    slli t2, t2, 2
    add t1, t1, t2
    li t2, FAST_SSCRATCH
    jr t1

83: /* sret back to virtual U (t1: the stored sstatus) */
    andi t0, t1, SSTATUS_SPP
    bnez t0, 90f                    /* back to S: the general path */
    ld t0, FRAME_CSR_SIP(sp)
    ld t2, FRAME_CSR_SIE(sp)
    and t0, t0, t2
    bnez t0, 90f                    /* to U: every enabled pending interrupt is taken */
    ld t2, FRAME_USER_SATP(sp)
    beqz t2, 90f                    /* the U-mode view is not built */
    andi t0, t1, SSTATUS_SPIE
    srli t0, t0, 4                  /* SIE = SPIE, SPIE = 1, SPP = U (0 already) */
    andi t1, t1, ~SSTATUS_SIE
    or t1, t1, t0
    ori t1, t1, SSTATUS_SPIE
    sd t1, FRAME_CSR_SSTATUS(sp)
    sd zero, FRAME_VMODE(sp)
    ld t0, FRAME_CSR_SCOUNTEREN(sp) /* counters as the guest kernel allows its users */
    andi t0, t0, 7
    csrw scounteren, t0
    csrw satp, t2
    sd t2, FRAME_GUEST_SATP(sp)
    ld t0, FRAME_FLUSH(sp)
    beqz t0, 1f
    sfence.vma
1:  li t2, FAST_SRET
    ld t0, FRAME_CSR_SEPC(sp)       /* to sepc (bit 0 may be set: frame.h) */
    andi t0, t0, -2
    j 98f

85: /* An ecall from virtual U, into the guest kernel (.Lfast_ecall, .Lfast_reflect) */
    addi t0, t0, CAUSE_BREAKPOINT - CAUSE_USER_ECALL
    bnez t0, 90f
    ld t0, FRAME_VMODE(sp)
    bnez t0, 90f                    /* from virtual S: an SBI call */
    ld t1, FRAME_CSR_SSTATUS(sp)
    lane_fs_synced                  /* t1: the stored sstatus */
    li t0, SSTATUS_SUM              /* the S-mode view for the kernel's SUM, if built */
    and t0, t1, t0
    snez t0, t0
    slli t0, t0, 3
    add t0, t0, sp
    ld t2, FRAME_SUM_SATP(t0)
    beqz t2, 90f
    andi t0, t1, SSTATUS_SIE
    slli t0, t0, 4                  /* SPIE = SIE, SIE = 0, SPP = U */
    andi t1, t1, ~(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP)
    or t1, t1, t0
    sd t1, FRAME_CSR_SSTATUS(sp)
    csrr t0, sepc
    sd t0, FRAME_CSR_SEPC(sp)
    li t0, CAUSE_USER_ECALL
    sd t0, FRAME_CSR_SCAUSE(sp)
    sd zero, FRAME_CSR_STVAL(sp)
    li t0, 1
    sd t0, FRAME_VMODE(sp)
    csrw satp, t2
    sd t2, FRAME_GUEST_SATP(sp)
    ld t0, FRAME_FLUSH(sp)
    beqz t0, 1f
    sfence.vma
1:  li t0, 7                        /* virtual S reads the counters the firmware allows */
    csrw scounteren, t0
    ld t1, FRAME_FAST_HITS + 8 * FAST_REFLECT(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_REFLECT(sp)
    ld t0, FRAME_CSR_STVEC(sp)
    andi t0, t0, -4                 /* exceptions go to the base, vectored or not */
    j \done

86: /* A run of two served whole: an sstatus write with rd = x0 and a
     * register operand, then a lone `csrw sepc, rs` in the same page
     * (Linux's return: csrw sstatus, a0; csrw sepc, a2), as the general
     * path serves the first and chains into the second. To 81 with t2 =
     * the first instruction, bit 32 set and the second's rs above it. */
    srli t0, t2, 20
    li t1, CSR_SSTATUS
    bne t0, t1, 90f
    slli t0, t2, 52
    srli t0, t0, 52                 /* opcode and rd (x0) */
    li t1, OPCODE_SYSTEM
    bne t0, t1, 90f
    sd t2, FRAME_TVAL(sp)           /* (kept here meanwhile) */
    csrr t0, sepc
    addi t1, t0, 7                  /* the second all in the first's page */
    xor t1, t1, t0
    srli t1, t1, 12
    bnez t1, 90f
    addi t0, t0, 4                  /* t0: the second's pc */
    srli t2, t0, 1                  /* its entry, probed as above */
1:  andi t1, t2, FRAME_SITES_COUNT - 1
    slli t1, t1, 3
    add t1, t1, sp
    ld t1, FRAME_SITES_OFF(t1)
    beqz t1, 90f
    xor t1, t1, t0
    slli t1, t1, 32
    srli t1, t1, 33
    beqz t1, 2f
    addi t2, t2, 1
    srli t1, t0, 1
    addi t1, t1, FRAME_SITE_PROBES
    bne t2, t1, 1b
    j 90f
2:  andi t1, t2, FRAME_SITES_COUNT - 1
    slli t1, t1, 3
    add t1, t1, sp
    ld t1, FRAME_SITES_OFF(t1)
    andi t0, t1, FRAME_SITE_RUN
    bnez t0, 90f                    /* a longer run: the general path */
    srli t2, t1, 32
    li t0, ~(31 << 15)
    and t0, t2, t0
    li t1, CSR_SEPC << 20 | 1 << 12 | OPCODE_SYSTEM
    bne t0, t1, 90f                 /* not csrw sepc, rs */
    srli t2, t2, 15
    andi t2, t2, 31
    slli t2, t2, 1
    ori t2, t2, 1
    slli t2, t2, 32
    ld t1, FRAME_TVAL(sp)
    or t2, t2, t1
    j 81b

87: /* The second of 86's run: sepc = x[rs] with bit 0 clear (as .Lfast_sepc) */
    ld t4, FRAME_X29(sp)            /* the guest's, for the read */
    ld t5, FRAME_X30(sp)
    srli t0, t2, 33
    lane_read_x
    andi t0, t0, -2
    sd t0, FRAME_CSR_SEPC(sp)
    ld t3, FRAME_X28(sp)
#ifdef LODGER_CHECK_FAST
    srli t1, t2, 33                 /* the twin's tval: the chained instruction */
    slli t1, t1, 15
    li t0, CSR_SEPC << 20 | 1 << 12 | OPCODE_SYSTEM
    or t0, t0, t1
    sd t0, FRAME_TVAL(sp)
#endif
    ld t1, FRAME_FAST_HITS + 8 * FAST_SEPC(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_SEPC(sp)
    ld t1, FRAME_FAST_HITS + 8 * FAST_CHAINED(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_CHAINED(sp)
    ld t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    csrr t0, sepc
    addi t0, t0, 8
    li t2, FAST_SSTATUS
    j 98f

88: ld t4, FRAME_X29(sp)
    ld t5, FRAME_X30(sp)
    ld t3, FRAME_X28(sp)
90: ld t1, FRAME_X6(sp)
    ld t2, FRAME_X7(sp)
    j \miss

.Llane_write_x_done:                /* t2: the kind served */
    csrr t0, sepc
    addi t0, t0, 4
98: /* t0: the guest's next pc */
#ifdef LODGER_CHECK_FAST
    /* The twin's frame: the site's instruction trapped (cause, tval). */
    li t1, CAUSE_ILLEGAL_INSTRUCTION
    sd t1, FRAME_CAUSE(sp)
    /* (FRAME_TVAL: the instruction, stored where the probe found it) */
#endif
    slli t2, t2, 3
    add t2, t2, sp
    ld t1, FRAME_FAST_HITS(t2)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS(t2)
    ld t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    ld t1, FRAME_FAST_HITS + 8 * FAST_LANE(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_LANE(sp)
    .if \done_follows == 0
    j \done
    .endif
.endm

    .section .first.text, "ax"
    .balign 4096
    .globl first_portion_start
first_portion_start:

    .globl first_trap_entry
    .balign 4
first_trap_entry:
    csrrw sp, sscratch, sp          /* sp = frame, sscratch = interrupted sp */
    sd t0, FRAME_X5(sp)
    csrr t0, sstatus
    andi t0, t0, SSTATUS_SPP
    bnez t0, .Lfrom_lodger
#ifndef LODGER_CHECK_FAST
    lanes .Lfull_entry, .Llane_resume, 1
.Llane_resume:                      /* t0: the guest's next pc */
    csrw sepc, t0
    ld t0, FRAME_X5(sp)
    ld t1, FRAME_X6(sp)
    ld t2, FRAME_X7(sp)
    csrrw sp, sscratch, sp          /* sp = the guest's, sscratch = frame */
    sret
.Lfull_entry:
#endif

    /* A guest trapped: the fast registers and the trap go into its frame
     * (the deferred registers when it leaves for the second portion). */
    save_fast_regs
    csrr t0, sscratch
    sd t0, FRAME_X2(sp)
    csrr t0, sepc
    sd t0, FRAME_PC(sp)
    csrr t0, stval
    sd t0, FRAME_TVAL(sp)
    csrr t0, sstatus
    sd t0, FRAME_STATUS(sp)
    csrr t0, scause                 /* t0: the cause, for .Lfast_paths */
    sd t0, FRAME_CAUSE(sp)
#ifdef LODGER_CHECK_FAST
    /* Checking build: keep the whole frame as the trap left it for the C
     * twin (the deferred registers too: saved again, unchanged or as a
     * fast path wrote them, by .Lslow_path, where every served trap goes). */
    save_deferred_regs
    sd zero, FRAME_X0(sp)           /* x0, for the lanes' operand read */
    li t0, FRAME_CHECK_ENTRY
    add t0, t0, sp
    mv t1, sp
    li t2, FRAME_SIZE
1:  ld t3, 0(t1)
    sd t3, 0(t0)
    addi t0, t0, 8
    addi t1, t1, 8
    addi t2, t2, -8
    bnez t2, 1b
    li t0, FRAME_CHECK_SERVED
    add t0, t0, sp
    sd zero, 0(t0)
    ld t0, FRAME_CAUSE(sp)
    /* The lane that the normal build runs before saving, here after, and
     * checked as any fast path (with t1-t3 as the guest had them: the
     * copy above used them, and t3). */
    ld t1, FRAME_X6(sp)
    ld t2, FRAME_X7(sp)
    ld t3, FRAME_X28(sp)
    lanes .Lcheck_lane_miss, .Lfast_resume_at
.Lcheck_lane_miss:
    ld t0, FRAME_CAUSE(sp)
#endif
    j .Lfast_paths

.Lslow_path:
    /* The rest of the guest's registers, as a fast path may have left them
     * (a CSR access served before a chained one that is declined). */
    save_deferred_regs
    /* Into the second address space. Load all we need before the switch:
     * the frame is not mapped there. */
    ld t0, FRAME_HOST_SATP(sp)
    ld t1, FRAME_HOST_TRAP(sp)
    ld t2, FRAME_HOST_SCRATCH(sp)
    ld t3, FRAME_FLUSH(sp)
    ld tp, FRAME_HOST_TP(sp)
    ld sp, FRAME_HOST_SP(sp)
    csrw satp, t0
    beqz t3, 1f
    sfence.vma
1:  csrw sscratch, t2
    /* lodger's C code never uses the FPU: keep the guest's FP registers
     * intact and make any accidental use fault. */
    li t0, SSTATUS_FS
    csrc sstatus, t0
    jr t1

.Lfrom_lodger:
    /* The fast path's read of the guest's next instruction faulted (another
     * hart dropped the shadow entry): back to it, to resume without chaining.
     * That read keeps the guest's t0 in t0, so the store above changed nothing. */
    sd t1, FRAME_NESTED_T1(sp)
    csrr t0, sepc
    lla t1, .Lchain_load
    sub t0, t0, t1
    sltiu t0, t0, 5                 /* either of its two loads */
    beqz t0, 1f
    lla t0, .Lchain_fault
    csrw sepc, t0
    ld t1, FRAME_NESTED_T1(sp)
    ld t0, FRAME_X5(sp)
    sret
1:  ld t1, FRAME_NESTED_T1(sp)
    ld t0, FRAME_X5(sp)
    csrrw sp, sscratch, sp          /* back to lodger's stack; sscratch = frame */
    addi sp, sp, -HOST_REGS_SIZE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, HOST_X\n(sp)
    .endr
    addi t0, sp, HOST_REGS_SIZE
    sd t0, HOST_X2(sp)
    csrr t0, sepc
    sd t0, HOST_PC(sp)
    csrr t0, scause
    sd t0, HOST_CAUSE(sp)
    csrr t0, stval
    sd t0, HOST_TVAL(sp)
    csrr t0, sstatus
    sd t0, HOST_STATUS(sp)
    csrr t0, sscratch
    ld t0, FRAME_HOST_FAULT(t0)
    mv a0, sp
    jalr t0                         /* lodger_fault(struct host_regs *) */
    ld t0, HOST_PC(sp)
    csrw sepc, t0
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, HOST_X\n(sp)
    .endr
    addi sp, sp, HOST_REGS_SIZE
    sret

/*
 * Fast paths: the guest kernel's accesses to the virtual CSRs it touches on
 * every trap and every interrupt toggle, its sret, and the traps of its
 * users that are its own business (ecalls, breakpoints, page faults its
 * table causes), served here without leaving the guest's address space.
 * The C twin, src/first/fast_path.c, follows this code step by step and is
 * what the host tests check (and checking builds, make CHECK_FAST=1, on
 * every trap). Anything unusual (stval without the instruction, a change
 * of MXR, an interrupt that may become deliverable, a shadow view not built
 * yet) goes to .Lslow_path with the frame as the trap entry left it. All
 * guest registers are in the frame.
 */
.macro csr_new_value            /* t4 = op(a7 old, a5 operand) by funct3 in a1 */
    andi t0, a1, 3
    mv t4, a5
    li t1, 2
    bne t0, t1, 11f
    or t4, a7, a5
11: li t1, 3
    bne t0, t1, 12f
    not t4, a5
    and t4, a7, t4
12:
.endm

.macro load_sstatus_synced      /* t5 = the guest's sstatus, FS as the hardware tracked it */
    ld t5, FRAME_CSR_SSTATUS(sp)
    li t0, SSTATUS_FS
    and t1, t5, t0
    beqz t1, 13f
    ld t2, FRAME_STATUS(sp)
    and t2, t2, t0
    not t1, t0
    and t5, t5, t1
    or t5, t5, t2
    sd t5, FRAME_CSR_SSTATUS(sp)
13:
.endm

.macro switch_satp reg          /* to another shadow view of the same guest satp */
    csrw satp, \reg
    sd \reg, FRAME_GUEST_SATP(sp)
    ld t2, FRAME_FLUSH(sp)
    beqz t2, 14f
    sfence.vma
14:
.endm

.macro count_hit kind_reg       /* fast_hits[kind]++ */
    slli t0, \kind_reg, 3
    add t0, t0, sp
    ld t1, FRAME_FAST_HITS(t0)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS(t0)
.endm

/* a0 = the original instruction of the patched site at pc and t6 its
 * table entry (frame.h: the site table, probed as fast_path.c's
 * fast_site_entry does); else on to miss. pc is not one of t1, t2, t4, t5,
 * t6, which it uses. */
.macro site_lookup pc, miss
    ld t1, FRAME_SITE_HIGH(sp)
    srli t2, \pc, 32
    bne t1, t2, \miss
    slli t1, \pc, 32
    srli t1, t1, 32                 /* t1: the low half of pc */
    beqz t1, \miss
    srli t2, \pc, 1
    li t4, FRAME_SITE_PROBES
15: andi t2, t2, FRAME_SITES_COUNT - 1
    slli t5, t2, 3
    add t5, t5, sp
    ld t6, FRAME_SITES_OFF(t5)
    beqz t6, \miss                  /* an empty slot ends the probe */
    xor t5, t6, t1
    slli t5, t5, 32
    srli t5, t5, 33                 /* the low halves, but for FRAME_SITE_RUN */
    beqz t5, 16f
    addi t2, t2, 1
    addi t4, t4, -1
    bnez t4, 15b
    j \miss
16: srli a0, t6, 32
.endm

.Lfast_paths:                       /* t0: the cause; hottest first (patched sites) */
    li t1, CAUSE_BREAKPOINT
    beq t0, t1, .Lfast_breakpoint
    li t1, CAUSE_ILLEGAL_INSTRUCTION
    beq t0, t1, .Lfast_illegal
    li t1, CAUSE_USER_ECALL
    beq t0, t1, .Lfast_ecall
    li t1, CAUSE_LOAD_PAGE_FAULT
    beq t0, t1, .Lfast_page_fault
    li t1, CAUSE_STORE_PAGE_FAULT
    beq t0, t1, .Lfast_page_fault
    li t1, CAUSE_FETCH_PAGE_FAULT
    beq t0, t1, .Lfast_page_fault
    j .Lslow_path
.Lfast_illegal:
    ld t0, FRAME_VMODE(sp)
    beqz t0, .Lslow_path            /* from virtual U: the guest kernel's business */
    /* Patching (core/patch.c): one in PATCH_LEARN_PERIOD of these traps goes
     * to the second portion, which patches its site. */
    ld t0, FRAME_PATCH_LEARN(sp)
    beqz t0, 1f
    addi t0, t0, -1
    sd t0, FRAME_PATCH_LEARN(sp)
    bnez t0, 1f
    li t0, PATCH_LEARN_PERIOD
    sd t0, FRAME_PATCH_LEARN(sp)
    j .Lslow_path
1:  li s2, FAST_CHAIN_MAX           /* s2: instructions that may still be chained */
    ld a0, FRAME_TVAL(sp)           /* the instruction bits (0 if the core leaves them out) */
.Lfast_insn:                        /* a0: the instruction */
    li t1, 0x10200073               /* sret */
    beq a0, t1, .Lfast_sret
    andi t0, a0, 0x7f
    li t1, OPCODE_SYSTEM
    bne t0, t1, .Lslow_path
    srli a1, a0, 12
    andi a1, a1, 7                  /* funct3 */
    andi t0, a1, 3
    beqz t0, .Lslow_path            /* not a CSR instruction */
    srli a2, a0, 15
    andi a2, a2, 31                 /* rs1 or uimm */
    srli a3, a0, 7
    andi a3, a3, 31                 /* rd */
    srli a4, a0, 20                 /* CSR number */
    mv a5, a2                       /* operand: uimm ... */
    andi t0, a1, 4
    bnez t0, .Lread_x_done
    lla t0, .Lread_x                /* ... or x[rs1] */
    slli t1, a2, 2
    add t0, t0, t1
    jr t0
.Lread_x_done:
    andi t0, a1, 3                  /* a6: does it write? csrrw*, or rs1/uimm != 0 */
    addi t0, t0, -1
    seqz t0, t0
    snez t1, a2
    or a6, t0, t1

    li t1, CSR_SSTATUS              /* by how often Linux uses them */
    beq a4, t1, .Lfast_sstatus
    li t1, CSR_SSCRATCH
    li t2, FRAME_CSR_SSCRATCH
    li t3, FAST_SSCRATCH
    beq a4, t1, .Lfast_plain
    li t1, CSR_SCAUSE
    li t2, FRAME_CSR_SCAUSE
    li t3, FAST_SCAUSE
    beq a4, t1, .Lfast_plain
    li t1, CSR_STVAL
    li t2, FRAME_CSR_STVAL
    li t3, FAST_STVAL
    beq a4, t1, .Lfast_plain
    li t1, CSR_SEPC
    beq a4, t1, .Lfast_sepc
    li t1, CSR_SIE
    beq a4, t1, .Lfast_sie
    li t1, CSR_SIP
    beq a4, t1, .Lfast_sip
    j .Lslow_path

.Lfast_plain:                       /* any value sticks: sscratch, scause, stval */
    add t5, sp, t2
    ld a7, 0(t5)
    beqz a6, .Lfast_done
    csr_new_value
    sd t4, 0(t5)
    j .Lfast_done

.Lfast_sepc:                        /* bit 0 reads 0 (IALIGN=16) */
    li t3, FAST_SEPC
    ld a7, FRAME_CSR_SEPC(sp)
    beqz a6, .Lfast_done
    csr_new_value
    andi t4, t4, -2
    sd t4, FRAME_CSR_SEPC(sp)
    j .Lfast_done

.Lfast_sip:                         /* reads only; writes may raise SSIP */
    bnez a6, .Lslow_path
    li t3, FAST_SIP
    ld a7, FRAME_CSR_SIP(sp)
    j .Lfast_done

.Lfast_sie:
    li t3, FAST_SIE
    ld a7, FRAME_CSR_SIE(sp)
    beqz a6, .Lfast_done
    csr_new_value
    andi t4, t4, SIE_ALL
    ld t0, FRAME_CSR_SIP(sp)
    and t0, t0, t4
    bnez t0, .Lslow_path            /* an interrupt may become deliverable */
    sd t4, FRAME_CSR_SIE(sp)
    j .Lfast_done

.Lfast_sstatus:
    li t3, FAST_SSTATUS
    load_sstatus_synced
    li t0, SSTATUS_FS
    mv a7, t5                       /* the value read: SD when FS is Dirty */
    and t1, t5, t0
    bne t1, t0, 2f
    li t1, 1
    slli t1, t1, 63
    or a7, a7, t1
2:  beqz a6, .Lfast_done
    csr_new_value
    li t1, SSTATUS_FAST_WRITABLE
    and t4, t4, t1
    not t1, t1
    and t6, t5, t1
    or t4, t4, t6                   /* t4: the new stored sstatus */
    xor t0, t4, t5                  /* t0: bits that change */
    li t1, SSTATUS_FAST_SLOW
    and t1, t0, t1
    bnez t1, .Lslow_path            /* MXR: a new shadow view */
    andi t1, t0, SSTATUS_SIE
    beqz t1, 3f
    andi t1, t4, SSTATUS_SIE
    beqz t1, 3f
    ld t1, FRAME_CSR_SIP(sp)
    ld t2, FRAME_CSR_SIE(sp)
    and t1, t1, t2
    bnez t1, .Lslow_path            /* SIE on with an interrupt pending */
3:
    li t1, SSTATUS_SUM
    and t1, t0, t1
    beqz t1, 4f
    /* SUM changes: switch to the other S-mode view's shadow if it is built. */
    li t1, SSTATUS_SUM
    and t1, t4, t1
    snez t1, t1
    slli t1, t1, 3
    add t1, t1, sp
    ld t1, FRAME_SUM_SATP(t1)
    beqz t1, .Lslow_path
    switch_satp t1
4:  li t1, SSTATUS_FS
    and t2, t0, t1
    beqz t2, 5f
    /* FS changes: the hart's FS follows (Off makes FP instructions trap; the
     * registers keep their values, as the guest's would). */
    csrc sstatus, t1
    and t2, t4, t1
    csrs sstatus, t2
    ld t6, FRAME_STATUS(sp)
    not t1, t1
    and t6, t6, t1
    or t6, t6, t2
    sd t6, FRAME_STATUS(sp)
5:  sd t4, FRAME_CSR_SSTATUS(sp)

.Lfast_done:                        /* a7: old value, a3: rd, t3: kind */
    lla t0, .Lwrite_x               /* x[rd] = a7 */
    slli t1, a3, 2
    add t0, t0, t1
    jr t0
.Lwrite_x_done:
    count_hit t3
    ld t0, FRAME_PC(sp)
    addi t0, t0, 4
    /* Chaining (frame.h): the next instruction, if in the same page and a
     * CSR access or sret, is served now, as if it had trapped. */
    sd t0, FRAME_PC(sp)
    beqz s2, .Lfast_resume_at
    addi s2, s2, -1
    slli t1, t0, 52
    srli t1, t1, 52
    li t2, 0xffc
    bgtu t1, t2, .Lfast_resume_at
    mv t1, t0
    li t2, SSTATUS_SUM | SSTATUS_MXR /* a U page, and executable is enough */
    csrs sstatus, t2
    csrw sscratch, sp               /* a fault below comes back with sp = frame */
    ld t0, FRAME_X5(sp)             /* ... and stores t0 there again: the guest's */
.Lchain_load:
    lhu a0, 0(t1)                   /* two halves: pc may be 2-byte aligned */
    lhu a1, 2(t1)
    csrc sstatus, t2
    ld t0, FRAME_PC(sp)
    slli a1, a1, 16
    or a0, a0, a1
    li a2, 0                        /* a2: a patched site (its ebreak in the copy) */
    li t1, PATCH_EBREAK
    bne a0, t1, 3f
    ld t1, FRAME_VMODE(sp)          /* (always S here: chaining serves virtual S only) */
    beqz t1, .Lfast_resume_at
    site_lookup t0, .Lfast_resume_at
    li a2, 1
    andi t1, t6, FRAME_SITE_RUN
    bnez t1, 3f
    li s2, 0                        /* served, then no more: no run of sites follows */
3:  andi t1, a0, 0x7f
    li t2, OPCODE_SYSTEM
    bne t1, t2, .Lfast_resume_at
    li t1, 0x10200073
    beq a0, t1, 2f
    srli t1, a0, 12
    andi t1, t1, 3
    beqz t1, .Lfast_resume_at       /* not a CSR access: ecall, wfi, sfence.vma... */
    srli t1, a0, 28
    andi t1, t1, 3
    beqz t1, .Lfast_resume_at       /* a user CSR (fcsr, time...): U-mode may run it */
2:  sd a0, FRAME_TVAL(sp)           /* the second portion, if it takes over, sees this one */
    li t3, FAST_CHAINED
    count_hit t3
    beqz a2, .Lfast_insn
    li t3, FAST_PATCHED
    count_hit t3
    j .Lfast_insn
.Lchain_fault:
    li t2, SSTATUS_SUM | SSTATUS_MXR
    csrc sstatus, t2
    ld t0, FRAME_PC(sp)
.Lfast_resume_at:                   /* t0: the guest's next pc */
#ifdef LODGER_CHECK_FAST
    /* Checking build: the second portion compares with the C twin, then
     * resumes the guest at the pc the fast path chose. */
    sd t0, FRAME_PC(sp)
    li t0, FRAME_CHECK_SERVED
    add t0, t0, sp
    li t1, 1
    sd t1, 0(t0)
    j .Lslow_path
#endif
    csrw sepc, t0
    csrw sscratch, sp
    restore_fast_regs
    ld sp, FRAME_X2(sp)
    sret

/* Reading and writing guest register n for a CSR access: in the frame, or
 * in the hart for a deferred one. 4 bytes an entry (two compressed
 * instructions, named so that the assembler cannot choose another size;
 * table_end checks they end where they should), indexed by n. A register whose access does not
 * compress (sp in sscratch, for the lanes) jumps out of its entry. */
.macro table_end start             /* fails to assemble if it went past */
    .org \start + 32 * 4
.endm
    .option push
    .option rvc
    .option norelax
.Lread_x:                           /* a5 = x[n] */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .if \n == 0
    c.li a5, 0
    .elseif IS_DEFERRED(\n)
    c.mv a5, x\n
    .else
    c.ldsp a5, FRAME_X\n(sp)
    .endif
    c.j 1f
    .endr
    table_end .Lread_x
1:  j .Lread_x_done
.Lwrite_x:                          /* x[n] = a7 */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .if \n == 0
    c.nop
    .elseif IS_DEFERRED(\n)
    c.mv x\n, a7
    .else
    c.sdsp a7, FRAME_X\n(sp)
    .endif
    c.j 1f
    .endr
    table_end .Lwrite_x
1:  j .Lwrite_x_done
/* The lanes' t0 = x[n], back to t3 (lanes): t0-t3 are in the frame, sp in
 * sscratch, the others in the hart (the checking build: all in the frame,
 * read without this). */
#ifndef LODGER_CHECK_FAST
.Llane_read_x:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .if \n == 0
    c.li t0, 0
    .elseif \n == 2
    c.j 2f
    c.nop
    .elseif ((\n >= 5) && (\n <= 7)) || (\n == 28)
    c.ldsp t0, FRAME_X\n(sp)
    .else
    c.mv t0, x\n
    .endif
    .if \n != 2
    c.jr t3
    .endif
    .endr
    table_end .Llane_read_x
2:  csrr t0, sscratch
    jr t3
#endif
/* The lanes' x[n] = t0: t0-t2 are in the frame, sp in sscratch, the others
 * in the hart (the checking build: as .Lwrite_x, all saved). */
.Llane_write_x:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
#ifdef LODGER_CHECK_FAST
    .if \n == 0
    c.nop
    .elseif IS_DEFERRED(\n)
    c.mv x\n, t0
    .else
    c.sdsp t0, FRAME_X\n(sp)
    .endif
    c.j 1f
#else
    .if \n == 0
    c.nop
    c.j 1f
    .elseif \n == 2
    c.j 2f
    c.nop
    .elseif (\n >= 5) && (\n <= 7)
    c.sdsp t0, FRAME_X\n(sp)
    c.j 1f
    .else
    c.mv x\n, t0
    c.j 1f
    .endif
#endif
    .endr
    table_end .Llane_write_x
#ifndef LODGER_CHECK_FAST
2:  csrw sscratch, t0
#endif
1:  j .Llane_write_x_done
    .option pop

/* sret from virtual S (privileged spec 3.3.2): SIE = SPIE, SPIE = 1, SPP = U,
 * mode = SPP, pc = sepc. To the slow path when an interrupt becomes
 * deliverable, or when the U-mode view is not built yet. */
.Lfast_sret:
    load_sstatus_synced
    li t1, SSTATUS_SIE | SSTATUS_SPP
    not t1, t1
    and t4, t5, t1
    andi t2, t5, SSTATUS_SPIE
    srli t2, t2, 4                  /* SPIE (bit 5) -> SIE (bit 1) */
    or t4, t4, t2
    ori t4, t4, SSTATUS_SPIE
    ld t1, FRAME_CSR_SIP(sp)
    ld t2, FRAME_CSR_SIE(sp)
    and t1, t1, t2                  /* t1: pending and enabled */
    andi t0, t5, SSTATUS_SPP
    beqz t0, 1f
    andi t2, t4, SSTATUS_SIE        /* back to S: interrupts if SIE becomes 1 */
    beqz t2, 2f
    bnez t1, .Lslow_path
2:  li a6, 1
    li t3, 0                        /* same view: no satp switch */
    j 3f
1:  bnez t1, .Lslow_path            /* to U: every enabled pending interrupt is taken */
    ld t3, FRAME_USER_SATP(sp)
    beqz t3, .Lslow_path
    li a6, 0
    ld t0, FRAME_CSR_SCOUNTEREN(sp) /* counters as the guest kernel allows its users */
    andi t0, t0, 7
    csrw scounteren, t0
3:  sd t4, FRAME_CSR_SSTATUS(sp)
    sd a6, FRAME_VMODE(sp)
    beqz t3, 4f
    switch_satp t3
4:  li t3, FAST_SRET
    count_hit t3
    ld t0, FRAME_CSR_SEPC(sp)
    andi t0, t0, -2                 /* a plain store may have set bit 0 (frame.h) */
    j .Lfast_resume_at

/* Traps that belong to the guest kernel, delivered as the hardware would
 * (privileged spec 4.1.1, 4.1.9; the C twin is vcpu.c's enter_guest_trap):
 * an ecall from virtual U, and breakpoints. sepc/scause/stval, SPP = the
 * old mode, SPIE = SIE, SIE = 0, pc = stvec's base, mode S. */
.Lfast_ecall:
    ld t0, FRAME_VMODE(sp)
    bnez t0, .Lslow_path            /* from virtual S: an SBI call */
    li a4, CAUSE_USER_ECALL
    li a5, 0
    li a7, FAST_REFLECT
    j .Lfast_reflect
.Lfast_breakpoint:
    /* The ebreak of a patched site (core/patch.c) is its original
     * instruction: from here on the trap is that instruction's illegal-
     * instruction trap, for the fast paths and the second portion alike. */
    ld t0, FRAME_VMODE(sp)
    beqz t0, 1f                     /* from virtual U: the guest's own */
    ld t0, FRAME_PC(sp)
    site_lookup t0, 2f
    li t1, CAUSE_ILLEGAL_INSTRUCTION
    sd t1, FRAME_CAUSE(sp)
    sd a0, FRAME_TVAL(sp)
    add t5, t2, sp                  /* t2: its slot (site_lookup) */
    li t1, FRAME_SITE_REFERENCED    /* hot: its copy stays (core/patch_clock.h) */
    sb t1, FRAME_SITE_REF(t5)
    ld t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    addi t1, t1, 1
    sd t1, FRAME_FAST_HITS + 8 * FAST_PATCHED(sp)
    /* Chaining after a site only into a run of sites (frame.h). */
    li s2, FAST_CHAIN_MAX
    andi t1, t6, FRAME_SITE_RUN
    bnez t1, .Lfast_insn
    li s2, 0
    j .Lfast_insn
    /* Not in this table, from virtual S, patching on: an ebreak of a copy
     * that this table does not know yet (or any more) must not reach the
     * guest; the second portion tells (core/patch.c). */
2:  ld t0, FRAME_PATCH_LEARN(sp)
    bnez t0, .Lslow_path
1:  li a4, CAUSE_BREAKPOINT
    ld a5, FRAME_TVAL(sp)
    li a7, FAST_REFLECT
.Lfast_reflect:                     /* a4: cause, a5: tval, a7: fast_hits kind */
    load_sstatus_synced
    ld a6, FRAME_VMODE(sp)
    li t3, 0
    bnez a6, 1f
    /* From U: the S-mode view for the kernel's SUM must be built. */
    li t1, SSTATUS_SUM
    and t1, t5, t1
    snez t1, t1
    slli t1, t1, 3
    add t1, t1, sp
    ld t3, FRAME_SUM_SATP(t1)
    beqz t3, .Lslow_path
1:  li t1, SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP
    not t1, t1
    and t4, t5, t1
    slli t2, a6, 8                  /* SPP = the old mode */
    or t4, t4, t2
    andi t2, t5, SSTATUS_SIE
    slli t2, t2, 4                  /* SIE (bit 1) -> SPIE (bit 5) */
    or t4, t4, t2
    sd t4, FRAME_CSR_SSTATUS(sp)
    ld t0, FRAME_PC(sp)
    sd t0, FRAME_CSR_SEPC(sp)
    sd a4, FRAME_CSR_SCAUSE(sp)
    sd a5, FRAME_CSR_STVAL(sp)
    li t0, 1
    sd t0, FRAME_VMODE(sp)
    beqz t3, 2f
    switch_satp t3
    li t0, 7                        /* virtual S reads the counters the firmware allows */
    csrw scounteren, t0
2:  count_hit a7
    ld t0, FRAME_CSR_STVEC(sp)
    andi t0, t0, -4                 /* exceptions go to the base, vectored or not */
    j .Lfast_resume_at

/* A page fault from virtual U that the guest's own table causes, reflected
 * into the guest kernel like an ecall. The guest's table is walked as
 * core/guest_walk.c does (privileged spec 4.3.2 steps 2-6; no A/D update)
 * through the guest-RAM window (frame->window_va; 0: none, slow path), a
 * read-only mapping of guest RAM that the guest's mode cannot reach. If the
 * walk allows the access (a shadow fill, A/D to set, a device, a conflict)
 * or reads a PTE outside RAM, the slow path does it all again. The C twin
 * is fast_path.c's fast_page_fault. */
.Lfast_page_fault:
    ld t1, FRAME_VMODE(sp)
    bnez t1, .Lslow_path            /* virtual S: SUM views, conflicts, devices */
    ld a0, FRAME_WINDOW_VA(sp)
    beqz a0, .Lslow_path
    ld a1, FRAME_CSR_SATP(sp)
    srli a2, a1, SATP_MODE_SHIFT
    addi a2, a2, 3 - SATP_MODE_SV39 /* levels: Sv39 3, Sv48 4, Sv57 5 */
    li t1, 3
    blt a2, t1, .Lslow_path
    li t1, 5
    bgt a2, t1, .Lslow_path
    ld a3, FRAME_TVAL(sp)           /* the faulting address */
    slli t1, a2, 3
    add t1, t1, a2
    li t2, 64 - 12
    sub t1, t2, t1                  /* 64 - VA bits */
    sll t2, a3, t1
    sra t2, t2, t1
    bne t2, a3, .Lfast_page_fault_reflect   /* not canonical (step 1) */
    slli a1, a1, 64 - 44
    srli a1, a1, 64 - 44 - PAGE_SHIFT       /* a1: the root table, satp.PPN << 12 */
    ld a4, FRAME_RAM_GPA(sp)
    ld a5, FRAME_RAM_SIZE(sp)
    li a6, PTE_N | PTE_PBMT | PTE_RESERVED_HIGH
    addi a2, a2, -1                 /* a2: the level */
1:  slli t1, a2, 3
    add t1, t1, a2
    addi t1, t1, PAGE_SHIFT
    srl t2, a3, t1
    andi t2, t2, 511
    slli t2, t2, 3
    add t2, t2, a1
    sub t2, t2, a4                  /* the PTE's offset in guest RAM */
    bgeu t2, a5, .Lslow_path        /* outside RAM: the walk's access fault */
    add t2, t2, a0
    ld t3, 0(t2)                    /* the PTE, through the window (step 2) */
    andi t4, t3, PTE_V              /* step 3: invalid, W without R, reserved bits */
    beqz t4, .Lfast_page_fault_reflect
    andi t4, t3, PTE_R | PTE_W
    li t5, PTE_W
    beq t4, t5, .Lfast_page_fault_reflect
    and t4, t3, a6
    bnez t4, .Lfast_page_fault_reflect
    andi t4, t3, PTE_R | PTE_X
    bnez t4, 2f
    andi t4, t3, PTE_D | PTE_A | PTE_U  /* reserved in non-leaf PTEs (4.3.1) */
    bnez t4, .Lfast_page_fault_reflect
    srli a1, t3, PTE_PPN_SHIFT      /* step 4: the next table (reserved bits are 0) */
    slli a1, a1, PAGE_SHIFT
    addi a2, a2, -1
    bgez a2, 1b
    j .Lfast_page_fault_reflect     /* a pointer at level 0 */
2:  andi t4, t3, PTE_U              /* step 5: a leaf; U-mode needs U, then R/W/X */
    beqz t4, .Lfast_page_fault_reflect
    ld t0, FRAME_CAUSE(sp)
    li t1, CAUSE_FETCH_PAGE_FAULT
    andi t4, t3, PTE_X
    beq t0, t1, 3f
    li t1, CAUSE_STORE_PAGE_FAULT
    andi t4, t3, PTE_W
    beq t0, t1, 3f
    andi t4, t3, PTE_R              /* a load: R, or X with sstatus.MXR */
    bnez t4, 3f
    ld t5, FRAME_CSR_SSTATUS(sp)
    li t6, SSTATUS_MXR
    and t5, t5, t6
    beqz t5, 3f
    andi t4, t3, PTE_X
3:  beqz t4, .Lfast_page_fault_reflect
    slli t1, a2, 3                  /* step 6: a misaligned superpage */
    add t1, t1, a2
    li t5, 1
    sll t5, t5, t1
    addi t5, t5, -1
    srli t6, t3, PTE_PPN_SHIFT
    and t6, t6, t5
    bnez t6, .Lfast_page_fault_reflect
    j .Lslow_path                   /* the guest's table allows it */
.Lfast_page_fault_reflect:
    ld a4, FRAME_CAUSE(sp)
    ld a5, FRAME_TVAL(sp)
    li a7, FAST_PAGE_FAULT
    j .Lfast_reflect

/*
 * first_resume_guest(a0 = frame address in the guest's space, a1 = guest satp,
 *                    a2 = non-zero to flush the TLB after the switch)
 * Called by lodger, in its own space, at the VM's first-portion address (its
 * code pages are mapped there in both spaces), with sstatus.SPP = U set up.
 * Never returns.
 */
    .globl first_resume_guest
    .balign 4
first_resume_guest:
    csrw satp, a1
    beqz a2, 1f
    sfence.vma
1:  mv sp, a0
    csrw sscratch, sp
    ld t0, FRAME_PC(sp)
    csrw sepc, t0
    restore_guest_regs
    ld sp, FRAME_X2(sp)
    sret

    .balign 4096
    .globl first_portion_end
first_portion_end:
