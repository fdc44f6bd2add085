/* Assembly helpers of the hostile guest.
 *
 * run_codebuf(regs): runs the instruction sequence main.c generated in
 * codebuf (load x1..x31 from regs, one instruction, store x1..x31 back,
 * jump to codebuf_back), starting from the CSR state in hostile_pre. At
 * codebuf_back the CSRs are snapshot into hostile_post and set back to
 * hostile_pre, so whatever the instruction did to the harness's own CSRs
 * (stvec, sscratch, sepc, sstatus, satp, ...) is undone before any C runs. */
    .section .text
    .balign 4

#define PRE_SSTATUS    0
#define PRE_SIE        8
#define PRE_SIP        16
#define PRE_STVEC      24
#define PRE_SSCRATCH   32
#define PRE_SEPC       40
#define PRE_SCAUSE     48
#define PRE_STVAL      56
#define PRE_SATP       64
#define PRE_SCOUNTEREN 72
#define PRE_SENVCFG    80
#define PRE_FCSR       88

    /* SIE off until sie and sip are set, sstatus (maybe SIE=1) last: the
     * harness never has an interrupt pending and enabled itself. */
    .macro SET_CSRS base
    ld t2, PRE_STVEC(\base);      csrw stvec, t2
    csrci sstatus, 2
    ld t2, PRE_SIE(\base);        csrw sie, t2
    ld t2, PRE_SIP(\base);        csrw sip, t2
    ld t2, PRE_SSCRATCH(\base);   csrw sscratch, t2
    ld t2, PRE_SEPC(\base);       csrw sepc, t2
    ld t2, PRE_SCAUSE(\base);     csrw scause, t2
    ld t2, PRE_STVAL(\base);      csrw stval, t2
    ld t2, PRE_SCOUNTEREN(\base); csrw scounteren, t2
    ld t2, PRE_SENVCFG(\base);    csrw senvcfg, t2
    /* No sfence.vma: satp only ever switches between Bare and identity
     * tables that never change. */
    ld t2, PRE_SATP(\base);       csrw satp, t2
    ld t2, PRE_SSTATUS(\base);    csrw sstatus, t2
    ld t2, PRE_FCSR(\base);       csrw fcsr, t2
    .endm

    .globl run_codebuf
run_codebuf:
    la t0, hostile_ctx
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd gp, 16(t0)
    sd tp, 24(t0)
    sd s0, 32(t0)
    sd s1, 40(t0)
    sd s2, 48(t0)
    sd s3, 56(t0)
    sd s4, 64(t0)
    sd s5, 72(t0)
    sd s6, 80(t0)
    sd s7, 88(t0)
    sd s8, 96(t0)
    sd s9, 104(t0)
    sd s10, 112(t0)
    sd s11, 120(t0)
    la t1, hostile_pre
    SET_CSRS t1
    la t1, codebuf
    jr t1

    .globl codebuf_back
codebuf_back:
    /* sp first: a trap from here on needs a stack. */
    la t0, hostile_ctx
    ld sp, 8(t0)
    la t1, hostile_post
    csrr t2, sstatus;    sd t2, PRE_SSTATUS(t1)
    csrr t2, sie;        sd t2, PRE_SIE(t1)
    csrr t2, sip;        sd t2, PRE_SIP(t1)
    csrr t2, stvec;      sd t2, PRE_STVEC(t1)
    csrr t2, sscratch;   sd t2, PRE_SSCRATCH(t1)
    csrr t2, sepc;       sd t2, PRE_SEPC(t1)
    csrr t2, scause;     sd t2, PRE_SCAUSE(t1)
    csrr t2, stval;      sd t2, PRE_STVAL(t1)
    csrr t2, satp;       sd t2, PRE_SATP(t1)
    csrr t2, scounteren; sd t2, PRE_SCOUNTEREN(t1)
    csrr t2, senvcfg;    sd t2, PRE_SENVCFG(t1)
    /* fcsr only once sstatus.FS is back on (the instruction may have
     * turned it off). */
    la t3, hostile_pre
    ld t2, PRE_STVEC(t3)
    csrw stvec, t2
    ld t2, PRE_SSTATUS(t3)
    andi t2, t2, ~2         /* SIE comes back in SET_CSRS */
    csrw sstatus, t2
    csrr t2, fcsr;       sd t2, PRE_FCSR(t1)
    la t1, hostile_pre
    SET_CSRS t1
    ld ra, 0(t0)
    ld gp, 16(t0)
    ld tp, 24(t0)
    ld s0, 32(t0)
    ld s1, 40(t0)
    ld s2, 48(t0)
    ld s3, 56(t0)
    ld s4, 64(t0)
    ld s5, 72(t0)
    ld s6, 80(t0)
    ld s7, 88(t0)
    ld s8, 96(t0)
    ld s9, 104(t0)
    ld s10, 112(t0)
    ld s11, 120(t0)
    ret

/* void hostile_jump(unsigned long target): calls target, with the trap
 * handler set to resume right after the call. */
    .globl hostile_jump
hostile_jump:
    addi sp, sp, -16
    sd ra, 0(sp)
    la t0, 1f
    la t1, trap_resume_pc
    sd t0, 0(t1)
    jalr ra, 0(a0)
1:  ld ra, 0(sp)
    addi sp, sp, 16
    ret

/* void hostile_sret(unsigned long target, unsigned long status): sret to
 * target with sstatus.SPP and SPIE taken from status; a trap there resumes
 * right after (the caller's trap hook makes that S-mode). */
    .globl hostile_sret
hostile_sret:
    addi sp, sp, -16
    sd ra, 0(sp)
    la t0, 1f
    la t1, trap_resume_pc
    sd t0, 0(t1)
    csrw sepc, a0
    li t1, 0x120            /* SPP | SPIE */
    csrc sstatus, t1
    and a1, a1, t1
    csrs sstatus, a1
    sret
1:  ld ra, 0(sp)
    addi sp, sp, 16
    ret

/* Accesses with fixed 4-byte encodings (the trap handler skips them).
 * Each returns the loaded or old value in a0, or a1 (the "no value"
 * marker) if it trapped before writing a0. */
    .globl hostile_ld
hostile_ld:
    .option push
    .option norvc
    mv t0, a0
    mv a0, a1
    ld a0, 0(t0)
    ret
    .globl hostile_lw
hostile_lw:
    mv t0, a0
    mv a0, a1
    lw a0, 0(t0)
    ret
    .globl hostile_sd
hostile_sd:
    sd a2, 0(a0)
    mv a0, a1
    ret
    .globl hostile_amo
hostile_amo:
    mv t0, a0
    mv a0, a1
    amoadd.d a0, a2, (t0)
    ret
    .globl hostile_lrsc
hostile_lrsc:
    /* lr.d, then sc.d of the very value loaded: memory is the same
     * whether or not the sc succeeds (an sc may fail for reasons an
     * implementation chooses); a0 = loaded value, or the marker. */
    mv t0, a0
    mv a0, a1
    lr.d a0, (t0)
    sc.d t2, a0, (t0)
    ret
    .option pop

/* The trap storm's U-mode loop: a0 ecalls, then an ebreak that ends the
 * run (the trap hook sees it). */
    .globl storm_user
storm_user:
1:  ecall
    addi a0, a0, -1
    bnez a0, 1b
    ebreak
    j storm_user

/* Landing pads for wild jumps: a c.nop, then c.ebreak at +2, then an
 * all-zero parcel (c.unimp: illegal) at +4, then a 32-bit illegal word. */
    .balign 16
    .globl jump_pad
jump_pad:
    .2byte 0x0001
    .2byte 0x9002
    .2byte 0x0000
    .2byte 0x0000
    .4byte 0xffffffff
    .4byte 0x00100073

/* User pages: code at a page the guest maps U|R|X (and in Bare, U-mode runs
 * it from RAM), and right after it a page for results, mapped U|R|W. The
 * stubs reach the result page pc-relatively, so they work wherever the two
 * pages are mapped next to each other. a0 = the address (also the value
 * stored or added). */
    .section .data.userpages, "aw"
    .balign 4096
    .globl user_code_page
user_code_page:
    .option push
    .option norvc
    .globl u_load
u_load:
    ld a1, 0(a0)
    la t0, user_result_page
    sd a1, 0(t0)
    ecall
    .globl u_store
u_store:
    sd a0, 0(a0)
    ecall
    .globl u_amo
u_amo:
    amoadd.d a1, a0, (a0)
    la t0, user_result_page
    sd a1, 0(t0)
    ecall
    .globl u_fetch
u_fetch:
    jalr ra, 0(a0)
    ecall
    .option pop
    .balign 4096
    .globl user_result_page
user_result_page:
    .space 4096

    .section .bss
    .balign 8
    .globl hostile_ctx
hostile_ctx:
    .space 128
    .globl hostile_pre
hostile_pre:
    .space 96
    .globl hostile_post
hostile_post:
    .space 96
