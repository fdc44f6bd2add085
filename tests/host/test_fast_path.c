/* Host tests for src/first/fast_path.c, the C twin of the first portion's
 * fast paths (src/first/entry.S, .Lfast_paths): what it declines, and a
 * randomized differential check against the second portion's CSR emulation
 * (src/core/vcsr.c), and one of the page-fault walk against the guest
 * page-table walker (src/core/guest_walk.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "core/vcsr.h"
#include "core/guest_walk.h"
#include "arch/riscv/pagetable.h"
#include "first/frame.h"

/* What lodger gives a guest (core/vm.c): F/D offered, so FS is writable. */
static const struct vcsr_config guest_cfg = {
    .satp_modes = 1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39 | 1UL << SATP_MODE_SV48 |
                  1UL << SATP_MODE_SV57,
    .asid_bits = 16,
    .sstatus_writable = SSTATUS_FS,
};

enum { F3_CSRRW = 1, F3_CSRRS = 2, F3_CSRRC = 3, F3_CSRRWI = 5, F3_CSRRSI = 6, F3_CSRRCI = 7 };
enum { REG_A0 = 10, REG_A1 = 11, REG_A2 = 12 };

#define FS_OFF 0UL
#define FS_INITIAL (1UL << SSTATUS_FS_SHIFT)
#define FS_CLEAN (2UL << SSTATUS_FS_SHIFT)
#define FS_DIRTY (3UL << SSTATUS_FS_SHIFT)
#define SSTATUS_BASE_BITS (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR)

#define GUEST_PC 0xffffffff80201000UL
#define SATP_SUM0 (SATP_MODE_SV39 << SATP_MODE_SHIFT | 0x80111UL)
#define SATP_SUM1 (SATP_MODE_SV39 << SATP_MODE_SHIFT | 0x80222UL)

static uint32_t csr_insn(unsigned funct3, unsigned rd, unsigned rs1, unsigned csr)
{
    return csr << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | OPCODE_SYSTEM;
}

/* A trap as the entry leaves it: the guest kernel executed insn. Every
 * field holds a distinct value, so that any stray write shows. */
static struct trap_frame frame_for(uint32_t insn)
{
    struct trap_frame f;
    memset(&f, 0, sizeof(f));
    for (int i = 1; i < 32; i++)
        f.x[i] = 0x1111111100000000UL + (uint64_t)i * 0x1010101UL;
    f.pc = GUEST_PC;
    f.cause = CAUSE_ILLEGAL_INSTRUCTION;
    f.tval = insn;
    f.status = FS_CLEAN | SSTATUS_SPIE;
    f.guest_satp = SATP_SUM0;
    f.host_satp = 0x8000000000081234UL;
    f.host_sp = 0x80400000UL;
    f.host_tp = 0x80410000UL;
    f.host_scratch = 0x80420000UL;
    f.host_trap = 0x80201234UL;
    f.host_fault = 0x80205678UL;
    f.flush_on_switch = 1;
    f.csr = (struct vcsr){
        .sstatus = SSTATUS_UXL_64 | FS_CLEAN | SSTATUS_SPP | SSTATUS_SPIE,
        .sie = SIP_SSIP | SIP_SEIP,
        .sip = SIP_STIP,
        .stvec = 0xffffffff80200100UL,
        .sscratch = 0xffffffe000345678UL,
        .sepc = 0x0000003fff8a1234UL,
        .scause = CAUSE_USER_ECALL,
        .stval = 0x5a5a5a5a5a5a5a5aUL,
        .satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | 0x80333UL,
        .scounteren = 7,
        .senvcfg = 1,
    };
    f.vmode = VMODE_S;
    for (int k = 0; k < 8; k++)
        f.fast_hits[k] = 100 * (uint64_t)k + 3;
    f.sum_satp[0] = SATP_SUM0;
    f.sum_satp[1] = SATP_SUM1;
    return f;
}

static bool field_differs(const char *name, int index, uint64_t got, uint64_t want)
{
    if (got == want)
        return false;
    if (index >= 0)
        print_error("frame.%s[%d] = 0x%lx, expected 0x%lx\n", name, index,
                    (unsigned long)got, (unsigned long)want);
    else
        print_error("frame.%s = 0x%lx, expected 0x%lx\n", name, (unsigned long)got,
                    (unsigned long)want);
    return true;
}

/* Whole-frame comparison naming every field that differs. */
static bool frames_differ(const struct trap_frame *got, const struct trap_frame *want)
{
    bool bad = false;
#define FIELD(f) bad |= field_differs(#f, -1, got->f, want->f)
    for (int i = 0; i < 32; i++)
        bad |= field_differs("x", i, got->x[i], want->x[i]);
    FIELD(pc); FIELD(cause); FIELD(tval); FIELD(status); FIELD(guest_satp); FIELD(host_satp);
    FIELD(host_sp); FIELD(host_tp); FIELD(host_scratch); FIELD(host_trap); FIELD(host_fault);
    FIELD(flush_on_switch);
    FIELD(csr.sstatus); FIELD(csr.sie); FIELD(csr.sip); FIELD(csr.stvec); FIELD(csr.sscratch);
    FIELD(csr.sepc); FIELD(csr.scause); FIELD(csr.stval); FIELD(csr.satp);
    FIELD(csr.scounteren); FIELD(csr.senvcfg); FIELD(vmode);
    for (int k = 0; k < FAST_KINDS; k++)
        bad |= field_differs("fast_hits", k, got->fast_hits[k], want->fast_hits[k]);
    FIELD(patch_learn); FIELD(site_high);
    for (int k = 0; k < FRAME_SITES; k++)
        bad |= field_differs("site_ref", k, got->site_ref[k], want->site_ref[k]);
    bad |= field_differs("sum_satp", 0, got->sum_satp[0], want->sum_satp[0]);
    bad |= field_differs("sum_satp", 1, got->sum_satp[1], want->sum_satp[1]);
#undef FIELD
    /* Anything the field list above misses (a field added later). */
    if (!bad && memcmp(got, want, sizeof(*got)) != 0) {
        print_error("frames differ in a field not listed in frames_differ\n");
        bad = true;
    }
    return bad;
}

static void assert_frame_equal(const struct trap_frame *got, const struct trap_frame *want)
{
    if (frames_differ(got, want))
        fail();
}

/* The twin must decline f and leave it exactly as it was. */
static void assert_declined(struct trap_frame f)
{
    struct trap_frame before = f;
    if (fast_path_csr(&f)) {
        print_error("tval 0x%lx cause 0x%lx vmode %lu: served, expected a decline\n",
                    (unsigned long)before.tval, (unsigned long)before.cause,
                    (unsigned long)before.vmode);
        fail();
    }
    assert_frame_equal(&f, &before);
}

/* Serves f, checks the frame-level bookkeeping, returns the new frame. */
static struct trap_frame serve(struct trap_frame f, enum fast_kind kind)
{
    struct trap_frame before = f;
    if (!fast_path_csr(&f)) {
        print_error("tval 0x%lx: declined, expected it served\n", (unsigned long)before.tval);
        fail();
    }
    assert_int_equal(f.pc, before.pc + 4);
    assert_int_equal(f.fast_hits[kind], before.fast_hits[kind] + 1);
    assert_int_equal(f.x[0], 0);
    return f;
}

/* ---- what the fast paths leave to the second portion ---- */

static void declines_other_causes(void **state)
{
    (void)state;
    static const uint64_t causes[] = {
        CAUSE_MISALIGNED_FETCH, CAUSE_FETCH_ACCESS, CAUSE_BREAKPOINT, CAUSE_LOAD_ACCESS,
        CAUSE_STORE_ACCESS, CAUSE_USER_ECALL, CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT,
        CAUSE_STORE_PAGE_FAULT, CAUSE_INTERRUPT | IRQ_S_TIMER, CAUSE_INTERRUPT | IRQ_S_EXT,
        CAUSE_INTERRUPT | CAUSE_ILLEGAL_INSTRUCTION,
    };
    /* stval may well look like a CSR instruction: only the cause decides. */
    for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
        struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSCRATCH));
        f.cause = causes[i];
        assert_declined(f);
    }
}

static void declines_virtual_user_mode(void **state)
{
    (void)state;
    static const unsigned csrs[] = { CSR_SSTATUS, CSR_SIE, CSR_SIP, CSR_SSCRATCH, CSR_SEPC,
                                     CSR_SCAUSE, CSR_STVAL };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, csrs[i]));
        f.vmode = VMODE_U;
        assert_declined(f);
        f.tval = csr_insn(F3_CSRRW, REG_A0, REG_A1, csrs[i]);
        assert_declined(f);
    }
}

static void declines_without_a_system_instruction(void **state)
{
    (void)state;
    static const uint64_t tvals[] = {
        0,                /* the core did not report the instruction */
        0x00053503,       /* ld a0, 0(a0) */
        0x00a5b023,       /* sd a0, 0(a1) */
        0x9002,           /* c.ebreak */
        0x14002573 & ~0x7fUL,                  /* csrr a0, sscratch without its opcode */
        (0x14002573 & ~0x7fUL) | 0x33,         /* ... with the OP opcode */
        (0x14002573 & ~0x7fUL) | 0x72,         /* ... one bit off SYSTEM */
        0x140025f3UL | 0xffffffff00000000UL,   /* upper bits: no 12-bit CSR number */
    };
    for (size_t i = 0; i < sizeof(tvals) / sizeof(tvals[0]); i++) {
        struct trap_frame f = frame_for(0);
        f.tval = tvals[i];
        assert_declined(f);
    }
}

static void declines_system_instructions_that_are_not_csr_accesses(void **state)
{
    (void)state;
    static const uint32_t insns[] = {
        0x00000073,   /* ecall */
        0x00100073,   /* ebreak */
        0x10200073,   /* sret */
        0x30200073,   /* mret */
        0x10500073,   /* wfi */
        0x12000073,   /* sfence.vma */
        0x12b50073,   /* sfence.vma a0, a1 */
    };
    for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++)
        assert_declined(frame_for(insns[i]));
    /* funct3 4 (the H extension's loads and stores) even on a served CSR's number. */
    static const unsigned csrs[] = { CSR_SSCRATCH, CSR_SEPC, CSR_SSTATUS, CSR_SIP };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        assert_declined(frame_for(csr_insn(4, REG_A0, REG_A1, csrs[i])));
        assert_declined(frame_for(csr_insn(4, REG_A0, 0, csrs[i])));
        assert_declined(frame_for(csr_insn(0, REG_A0, REG_A1, csrs[i])));
    }
}

static void declines_csrs_it_does_not_serve(void **state)
{
    (void)state;
    static const unsigned csrs[] = {
        CSR_SATP, CSR_STVEC, CSR_SCOUNTEREN, CSR_SENVCFG, CSR_STIMECMP,
        0xc00 /* cycle */, 0xc01 /* time */, 0xc02 /* instret */,
        0x300 /* mstatus */, 0x341 /* mepc */, 0xf14 /* mhartid */,
        0x200 /* vsstatus */, 0x600 /* hstatus */, 0x001 /* fflags */,
    };
    static const unsigned funct3s[] = { F3_CSRRW, F3_CSRRS, F3_CSRRC, F3_CSRRWI, F3_CSRRSI,
                                        F3_CSRRCI };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        for (size_t j = 0; j < sizeof(funct3s) / sizeof(funct3s[0]); j++) {
            assert_declined(frame_for(csr_insn(funct3s[j], REG_A0, REG_A1, csrs[i])));
            assert_declined(frame_for(csr_insn(funct3s[j], REG_A0, 0, csrs[i])));
        }
    }
}

static void declines_sip_writes(void **state)
{
    (void)state;
    /* Even a write that would change nothing: the slow path re-checks interrupts. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRW, 0, REG_A1, CSR_SIP));
    f.x[REG_A1] = f.csr.sip;
    assert_declined(f);
    assert_declined(frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SIP)));
    assert_declined(frame_for(csr_insn(F3_CSRRC, 0, REG_A1, CSR_SIP)));
    assert_declined(frame_for(csr_insn(F3_CSRRWI, REG_A0, 0, CSR_SIP)));  /* csrrwi writes even 0 */
    assert_declined(frame_for(csr_insn(F3_CSRRSI, REG_A0, 2, CSR_SIP)));
    assert_declined(frame_for(csr_insn(F3_CSRRCI, 0, 2, CSR_SIP)));
}

static void declines_sie_writes_that_enable_a_pending_source(void **state)
{
    (void)state;
    /* sip = STIP, sie = SSIP|SEIP: enabling STIP may deliver an interrupt. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, 0, REG_A1, CSR_SIE));
    f.x[REG_A1] = SIP_STIP;
    assert_declined(f);
    f = frame_for(csr_insn(F3_CSRRW, REG_A0, REG_A1, CSR_SIE));
    f.x[REG_A1] = SIE_ALL;
    assert_declined(f);
    f = frame_for(csr_insn(F3_CSRRW, REG_A0, REG_A1, CSR_SIE));
    f.x[REG_A1] = ~0UL;
    assert_declined(f);
    /* An immediate can reach SSIP (bit 1) only. */
    f = frame_for(csr_insn(F3_CSRRSI, REG_A0, SIP_SSIP, CSR_SIE));
    f.csr.sie = 0;
    f.csr.sip = SIP_SSIP;
    assert_declined(f);
}

static void declines_sstatus_writes_that_change_mxr(void **state)
{
    (void)state;
    /* MXR on, and MXR off: a new shadow view. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SSTATUS));
    f.x[REG_A1] = SSTATUS_MXR;
    assert_declined(f);
    f = frame_for(csr_insn(F3_CSRRC, REG_A0, REG_A1, CSR_SSTATUS));
    f.csr.sstatus |= SSTATUS_MXR;
    f.x[REG_A1] = SSTATUS_MXR;
    assert_declined(f);
}

/* FS changes are served in place: the stored FS and the hart's (f->status,
 * what the assembly writes to sstatus) both take the new value. Linux clears
 * FS on every trap entry and restores it on the way out. */
static void serves_sstatus_writes_that_change_fs(void **state)
{
    (void)state;
    static const struct { uint64_t from, op_f3, operand, to; } cases[] = {
        { FS_OFF, F3_CSRRS, FS_INITIAL, FS_INITIAL },
        { FS_CLEAN, F3_CSRRC, SSTATUS_FS, FS_OFF },
        { FS_DIRTY, F3_CSRRC, SSTATUS_FS, FS_OFF },
        { FS_OFF, F3_CSRRS, FS_DIRTY, FS_DIRTY },
        { FS_INITIAL, F3_CSRRW, ~0UL, FS_DIRTY },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap_frame f = frame_for(csr_insn((unsigned)cases[i].op_f3, REG_A0, REG_A1,
                                                 CSR_SSTATUS));
        f.csr.sstatus = (f.csr.sstatus & ~(SSTATUS_FS | SSTATUS_MXR)) | cases[i].from;
        f.status = (f.status & ~SSTATUS_FS) | cases[i].from;
        f.x[REG_A1] = cases[i].op_f3 == F3_CSRRW ? (f.csr.sstatus & ~SSTATUS_MXR) | SSTATUS_FS
                                                 : cases[i].operand;
        uint64_t before = f.csr.sstatus, hits = f.fast_hits[FAST_SSTATUS];
        assert_true(fast_path_csr(&f));
        assert_int_equal(f.csr.sstatus & SSTATUS_FS, cases[i].to);
        assert_int_equal(f.status & SSTATUS_FS, cases[i].to);
        assert_int_equal(f.csr.sstatus & ~SSTATUS_FS, before & ~SSTATUS_FS);
        assert_int_equal(f.x[REG_A0], before | (cases[i].from == FS_DIRTY ? SSTATUS_SD : 0));
        assert_int_equal(f.fast_hits[FAST_SSTATUS], hits + 1);
    }
}

static void declines_sstatus_sie_on_with_an_interrupt_pending(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRSI, 0, SSTATUS_SIE, CSR_SSTATUS));
    f.csr.sip = SIP_SEIP;                 /* pending and enabled */
    assert_declined(f);
    f.tval = csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SSTATUS);
    f.x[REG_A1] = SSTATUS_SIE;
    assert_declined(f);
    f.tval = csr_insn(F3_CSRRW, REG_A0, REG_A1, CSR_SSTATUS);
    f.x[REG_A1] = f.csr.sstatus | SSTATUS_SIE;
    assert_declined(f);
}

static void declines_sum_change_without_the_other_view(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SSTATUS));
    f.sum_satp[1] = 0;
    f.x[REG_A1] = SSTATUS_SUM;
    assert_declined(f);
    f = frame_for(csr_insn(F3_CSRRC, REG_A0, REG_A1, CSR_SSTATUS));
    f.csr.sstatus |= SSTATUS_SUM;
    f.guest_satp = SATP_SUM1;
    f.sum_satp[0] = 0;
    f.x[REG_A1] = SSTATUS_SUM;
    assert_declined(f);
}

/* The entry's FS sync happens before the decision: a declined sstatus access
 * leaves the stored FS taken from the hardware, and nothing else changed. The
 * second portion performs the same sync (core/trap.c), so this is harmless. */
static void declined_sstatus_write_keeps_only_the_fs_sync(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SSTATUS));
    f.csr.sstatus = (f.csr.sstatus & ~SSTATUS_FS) | FS_INITIAL;
    f.status = (f.status & ~SSTATUS_FS) | FS_DIRTY;
    f.x[REG_A1] = SSTATUS_MXR;
    struct trap_frame want = f;
    want.csr.sstatus = (want.csr.sstatus & ~SSTATUS_FS) | FS_DIRTY;
    assert_false(fast_path_csr(&f));
    assert_frame_equal(&f, &want);
}

/* ---- served accesses ---- */

static void csrr_sepc(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC));
    struct trap_frame want = f;
    want.x[REG_A0] = f.csr.sepc;
    want.pc += 4;
    want.fast_hits[FAST_SEPC]++;
    f = serve(f, FAST_SEPC);
    assert_frame_equal(&f, &want);
}

static void csrw_sepc_odd_reads_back_even(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRW, 0, REG_A1, CSR_SEPC));
    f.x[REG_A1] = 0xffffffff80203457UL;
    struct trap_frame want = f;
    want.csr.sepc = 0xffffffff80203456UL;
    want.pc += 4;
    want.fast_hits[FAST_SEPC]++;
    f = serve(f, FAST_SEPC);
    assert_frame_equal(&f, &want);

    f.tval = csr_insn(F3_CSRRS, REG_A2, 0, CSR_SEPC);
    f = serve(f, FAST_SEPC);
    assert_int_equal(f.x[REG_A2], 0xffffffff80203456UL);
    /* csrrs with an odd operand: bit 0 still reads 0. */
    f.tval = csr_insn(F3_CSRRSI, REG_A0, 1, CSR_SEPC);
    f = serve(f, FAST_SEPC);
    assert_int_equal(f.x[REG_A0], 0xffffffff80203456UL);
    assert_int_equal(f.csr.sepc, 0xffffffff80203456UL);
}

static void csrrs_with_x0_does_not_write(void **state)
{
    (void)state;
    /* An odd sepc (never written by the guest) stays odd: no write happened. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC));
    f.csr.sepc = 0x1001;
    f = serve(f, FAST_SEPC);
    assert_int_equal(f.csr.sepc, 0x1001);
    assert_int_equal(f.x[REG_A0], 0x1001);
    f.tval = csr_insn(F3_CSRRCI, REG_A1, 0, CSR_SEPC);
    f = serve(f, FAST_SEPC);
    assert_int_equal(f.csr.sepc, 0x1001);
    assert_int_equal(f.x[REG_A1], 0x1001);

    /* sip reads are served, where any write would be declined. */
    static const unsigned funct3s[] = { F3_CSRRS, F3_CSRRC, F3_CSRRSI, F3_CSRRCI };
    for (size_t i = 0; i < sizeof(funct3s) / sizeof(funct3s[0]); i++) {
        f = frame_for(csr_insn(funct3s[i], REG_A0, 0, CSR_SIP));
        f.csr.sip = SIP_SSIP | SIP_SEIP;
        struct trap_frame want = f;
        want.x[REG_A0] = SIP_SSIP | SIP_SEIP;
        want.pc += 4;
        want.fast_hits[FAST_SIP]++;
        f = serve(f, FAST_SIP);
        assert_frame_equal(&f, &want);
    }

    /* An sie read with an enabled source pending: a write would be declined. */
    f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SIE));
    f.csr.sie = SIE_ALL;
    f.csr.sip = SIP_STIP;
    f = serve(f, FAST_SIE);
    assert_int_equal(f.x[REG_A0], SIE_ALL);
    assert_int_equal(f.csr.sie, SIE_ALL);

    /* And an sstatus read with SIE being off while one is pending. */
    f = frame_for(csr_insn(F3_CSRRC, REG_A0, 0, CSR_SSTATUS));
    f.csr.sip = SIP_SEIP;
    struct trap_frame want = f;
    want.x[REG_A0] = f.csr.sstatus;
    want.pc += 4;
    want.fast_hits[FAST_SSTATUS]++;
    f = serve(f, FAST_SSTATUS);
    assert_frame_equal(&f, &want);
}

static void csrrw_with_rd_x0_still_writes(void **state)
{
    (void)state;
    static const struct { unsigned csr; enum fast_kind kind; size_t offset; } plain[] = {
        { CSR_SSCRATCH, FAST_SSCRATCH, offsetof(struct vcsr, sscratch) },
        { CSR_SCAUSE, FAST_SCAUSE, offsetof(struct vcsr, scause) },
        { CSR_STVAL, FAST_STVAL, offsetof(struct vcsr, stval) },
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        struct trap_frame f = frame_for(csr_insn(F3_CSRRW, 0, REG_A1, plain[i].csr));
        f.x[REG_A1] = 0x8000000000000007UL;
        struct trap_frame want = f;
        memcpy((char *)&want.csr + plain[i].offset, &f.x[REG_A1], sizeof(uint64_t));
        want.pc += 4;
        want.fast_hits[plain[i].kind]++;
        f = serve(f, plain[i].kind);
        assert_frame_equal(&f, &want);
    }
    /* csrrwi x0 with uimm 0 writes 0. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRWI, 0, 0, CSR_SSCRATCH));
    f = serve(f, FAST_SSCRATCH);
    assert_int_equal(f.csr.sscratch, 0);
    /* sie: csrw sie, zero. */
    f = frame_for(csr_insn(F3_CSRRW, 0, 0, CSR_SIE));
    f = serve(f, FAST_SIE);
    assert_int_equal(f.csr.sie, 0);
}

static void rd_equal_to_rs1(void **state)
{
    (void)state;
    /* csrrw a0, sscratch, a0: the swap at the top of a trap handler. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRW, REG_A0, REG_A0, CSR_SSCRATCH));
    uint64_t a0 = f.x[REG_A0], sscratch = f.csr.sscratch;
    f = serve(f, FAST_SSCRATCH);
    assert_int_equal(f.x[REG_A0], sscratch);
    assert_int_equal(f.csr.sscratch, a0);
    /* csrrs a0, stval, a0. */
    f = frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A0, CSR_STVAL));
    f.x[REG_A0] = 0xf0;
    f.csr.stval = 0x0f00;
    f = serve(f, FAST_STVAL);
    assert_int_equal(f.x[REG_A0], 0x0f00);
    assert_int_equal(f.csr.stval, 0x0ff0);
    /* csrrc a1, sie, a1. */
    f = frame_for(csr_insn(F3_CSRRC, REG_A1, REG_A1, CSR_SIE));
    f.csr.sie = SIE_ALL;
    f.csr.sip = SIP_STIP;
    f.x[REG_A1] = SIP_STIP;
    f = serve(f, FAST_SIE);
    assert_int_equal(f.x[REG_A1], SIE_ALL);
    assert_int_equal(f.csr.sie, SIP_SSIP | SIP_SEIP);
    /* csrrw a2, sepc, a2 with an odd operand. */
    f = frame_for(csr_insn(F3_CSRRW, REG_A2, REG_A2, CSR_SEPC));
    f.x[REG_A2] = 0x80000003;
    f.csr.sepc = 0x80001000;
    f = serve(f, FAST_SEPC);
    assert_int_equal(f.x[REG_A2], 0x80001000);
    assert_int_equal(f.csr.sepc, 0x80000002);
}

static void sstatus_read_shows_sd_when_fs_is_dirty(void **state)
{
    (void)state;
    static const struct { uint64_t fs; uint64_t sd; } cases[] = {
        { FS_OFF, 0 }, { FS_INITIAL, 0 }, { FS_CLEAN, 0 }, { FS_DIRTY, SSTATUS_SD },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSTATUS));
        f.csr.sstatus = SSTATUS_UXL_64 | SSTATUS_SPP | cases[i].fs;
        f.status = (f.status & ~SSTATUS_FS) | cases[i].fs;
        struct trap_frame want = f;
        want.x[REG_A0] = SSTATUS_UXL_64 | SSTATUS_SPP | cases[i].fs | cases[i].sd;
        want.pc += 4;
        want.fast_hits[FAST_SSTATUS]++;
        f = serve(f, FAST_SSTATUS);
        assert_frame_equal(&f, &want);
    }
}

static void sstatus_fs_follows_the_hardware(void **state)
{
    (void)state;
    /* The guest's FP code ran: stored Initial, hardware Dirty. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSTATUS));
    f.csr.sstatus = SSTATUS_UXL_64 | FS_INITIAL;
    f.status = (f.status & ~SSTATUS_FS) | FS_DIRTY;
    struct trap_frame want = f;
    want.csr.sstatus = SSTATUS_UXL_64 | FS_DIRTY;
    want.x[REG_A0] = SSTATUS_UXL_64 | FS_DIRTY | SSTATUS_SD;
    want.pc += 4;
    want.fast_hits[FAST_SSTATUS]++;
    f = serve(f, FAST_SSTATUS);
    assert_frame_equal(&f, &want);

    /* A write after the sync keeps the synced FS (no decline: FS unchanged). */
    f = frame_for(csr_insn(F3_CSRRS, REG_A0, REG_A1, CSR_SSTATUS));
    f.csr.sstatus = SSTATUS_UXL_64 | FS_CLEAN;
    f.status = (f.status & ~SSTATUS_FS) | FS_DIRTY;
    f.x[REG_A1] = SSTATUS_SPIE;
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.x[REG_A0], SSTATUS_UXL_64 | FS_DIRTY | SSTATUS_SD);
    assert_int_equal(f.csr.sstatus, SSTATUS_UXL_64 | FS_DIRTY | SSTATUS_SPIE);

    /* FS Off in the guest: the hardware's FS is not the guest's, no sync. */
    f = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSTATUS));
    f.csr.sstatus = SSTATUS_UXL_64;
    f.status = (f.status & ~SSTATUS_FS) | FS_DIRTY;
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.x[REG_A0], SSTATUS_UXL_64);
    assert_int_equal(f.csr.sstatus, SSTATUS_UXL_64);
}

static void sstatus_sie_clear_is_always_served(void **state)
{
    (void)state;
    /* SIE on, every source enabled and pending, SUM on with no other view:
     * clearing SIE (the spin_lock_irqsave path) is still served. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRCI, REG_A0, SSTATUS_SIE, CSR_SSTATUS));
    f.csr.sstatus |= SSTATUS_SIE | SSTATUS_SUM | SSTATUS_MXR;
    f.csr.sie = SIE_ALL;
    f.csr.sip = SIE_ALL;
    f.sum_satp[0] = f.sum_satp[1] = 0;
    struct trap_frame want = f;
    want.x[REG_A0] = f.csr.sstatus;
    want.csr.sstatus &= ~SSTATUS_SIE;
    want.pc += 4;
    want.fast_hits[FAST_SSTATUS]++;
    f = serve(f, FAST_SSTATUS);
    assert_frame_equal(&f, &want);
    /* The register form, with rd = x0. */
    f.tval = csr_insn(F3_CSRRC, 0, REG_A1, CSR_SSTATUS);
    f.csr.sstatus |= SSTATUS_SIE;
    f.x[REG_A1] = SSTATUS_SIE;
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.csr.sstatus & SSTATUS_SIE, 0);
}

static void sstatus_sie_on_served_when_nothing_enabled_is_pending(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRSI, 0, SSTATUS_SIE, CSR_SSTATUS));
    f.csr.sie = SIP_SSIP | SIP_SEIP;
    f.csr.sip = SIP_STIP;                  /* pending but not enabled */
    struct trap_frame want = f;
    want.csr.sstatus |= SSTATUS_SIE;
    want.pc += 4;
    want.fast_hits[FAST_SSTATUS]++;
    f = serve(f, FAST_SSTATUS);
    assert_frame_equal(&f, &want);
}

static void sie_writes_served_when_nothing_pending_becomes_enabled(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRW, REG_A0, REG_A1, CSR_SIE));
    f.csr.sip = SIP_STIP;
    f.x[REG_A1] = ~SIP_STIP;              /* bits outside SIE_ALL do not stick */
    struct trap_frame want = f;
    want.csr.sie = SIP_SSIP | SIP_SEIP;
    want.x[REG_A0] = f.csr.sie;
    want.pc += 4;
    want.fast_hits[FAST_SIE]++;
    f = serve(f, FAST_SIE);
    assert_frame_equal(&f, &want);
    /* Clearing a pending source. */
    f = frame_for(csr_insn(F3_CSRRCI, 0, SIP_SSIP, CSR_SIE));
    f.csr.sie = SIP_SSIP;
    f.csr.sip = SIP_SSIP;
    f = serve(f, FAST_SIE);
    assert_int_equal(f.csr.sie, 0);
}

static void sstatus_sum_switches_the_shadow_view(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(csr_insn(F3_CSRRS, 0, REG_A1, CSR_SSTATUS));
    f.x[REG_A1] = SSTATUS_SUM;
    struct trap_frame want = f;
    want.csr.sstatus |= SSTATUS_SUM;
    want.guest_satp = SATP_SUM1;
    want.pc += 4;
    want.fast_hits[FAST_SSTATUS]++;
    f = serve(f, FAST_SSTATUS);
    assert_frame_equal(&f, &want);

    f.tval = csr_insn(F3_CSRRC, REG_A0, REG_A1, CSR_SSTATUS);
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.x[REG_A0] & SSTATUS_SUM, SSTATUS_SUM);
    assert_int_equal(f.csr.sstatus & SSTATUS_SUM, 0);
    assert_int_equal(f.guest_satp, SATP_SUM0);

    /* SUM written to its current value: no view switch, even without the other view. */
    f = frame_for(csr_insn(F3_CSRRS, 0, REG_A1, CSR_SSTATUS));
    f.csr.sstatus |= SSTATUS_SUM;
    f.guest_satp = SATP_SUM1;
    f.sum_satp[0] = 0;
    f.x[REG_A1] = SSTATUS_SUM | SSTATUS_SPIE;
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.guest_satp, SATP_SUM1);
}

static void sstatus_write_keeps_read_only_bits(void **state)
{
    (void)state;
    /* csrw sstatus with every bit set but FS/MXR kept: UXL, UBE, VS, XS, SD
     * do not stick; the writable bits do. */
    struct trap_frame f = frame_for(csr_insn(F3_CSRRW, REG_A0, REG_A1, CSR_SSTATUS));
    f.x[REG_A1] = ~(SSTATUS_FS | SSTATUS_MXR) | FS_CLEAN;
    f.csr.sip = 0;
    f = serve(f, FAST_SSTATUS);
    assert_int_equal(f.csr.sstatus, SSTATUS_UXL_64 | FS_CLEAN | SSTATUS_SIE | SSTATUS_SPIE |
                                        SSTATUS_SPP | SSTATUS_SUM);
    assert_int_equal(f.guest_satp, SATP_SUM1);
}

static void fast_hits_count_each_kind(void **state)
{
    (void)state;
    struct trap_frame f = frame_for(0);
    memset(f.fast_hits, 0, sizeof(f.fast_hits));
    f.csr.sip = 0;
    static const struct { unsigned csr; enum fast_kind kind; int times; } accesses[] = {
        { CSR_SSTATUS, FAST_SSTATUS, 3 }, { CSR_SIE, FAST_SIE, 1 }, { CSR_SIP, FAST_SIP, 4 },
        { CSR_SSCRATCH, FAST_SSCRATCH, 5 }, { CSR_SEPC, FAST_SEPC, 2 },
        { CSR_SCAUSE, FAST_SCAUSE, 6 }, { CSR_STVAL, FAST_STVAL, 7 },
    };
    for (size_t i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++) {
        for (int n = 0; n < accesses[i].times; n++) {
            f.tval = csr_insn(F3_CSRRS, REG_A0, 0, accesses[i].csr);
            assert_true(fast_path_csr(&f));
        }
    }
    /* Declines count nothing. */
    f.tval = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SATP);
    assert_false(fast_path_csr(&f));
    f.tval = csr_insn(F3_CSRRSI, REG_A0, 2, CSR_SIP);
    assert_false(fast_path_csr(&f));
    for (size_t i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++)
        assert_int_equal(f.fast_hits[accesses[i].kind], accesses[i].times);
    assert_int_equal(f.fast_hits[FAST_KINDS], 0);
    assert_int_equal(f.pc, GUEST_PC + 4 * (3 + 1 + 4 + 5 + 2 + 6 + 7));
}


/* ---- fast_frame_diff: what a checking build compares ---- */

static void frame_diff_finds_every_field(void **state)
{
    (void)state;
    struct trap_frame a = frame_for(csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC)), b;
    struct frame_diff d;
    assert_false(fast_frame_diff(&a, &a, &d));
    /* Each word of the frame changed alone is found, with both values:
     * a field added to the frame but not to the comparison fails here. */
    for (size_t word = 0; word < sizeof(a) / 8; word++) {
        if (word * 8 == offsetof(struct trap_frame, nested_t1))
            continue;       /* entry.S's scratch, not a result */
        b = a;
        uint64_t *w = (uint64_t *)&b + word, bit = 1UL << (word % 64);
        *w ^= bit;
        if (!fast_frame_diff(&a, &b, &d)) {
            print_error("a change at frame offset %zu goes unnoticed\n", word * 8);
            fail();
        }
        assert_int_equal(d.a ^ d.b, bit);
        assert_int_equal(d.b, *w);
    }
    b = a;
    b.x[7]++;
    b.csr.sepc++;
    assert_true(fast_frame_diff(&a, &b, &d));       /* the first field in frame order */
    assert_string_equal(d.field, "x");
    assert_int_equal(d.index, 7);
    b = a;
    b.csr.sepc++;
    assert_true(fast_frame_diff(&a, &b, &d));
    assert_string_equal(d.field, "csr.sepc");
    assert_int_equal(d.index, -1);
    b = a;
    b.fast_hits[FAST_REFLECT]++;
    assert_true(fast_frame_diff(&a, &b, &d));
    assert_string_equal(d.field, "fast_hits");
    assert_int_equal(d.index, FAST_REFLECT);
    b = a;
    b.sum_satp[1] = 0;
    assert_true(fast_frame_diff(&a, &b, &d));
    assert_string_equal(d.field, "sum_satp");
    assert_int_equal(d.index, 1);
}

/* ---- randomized differential check against core/vcsr.c ---- */

static uint64_t rng_state = 0x243f6a8885a308d3UL;

static uint64_t rng(void)   /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15UL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}

static uint64_t random_subset(uint64_t bits)
{
    return rng() & bits;
}

/* A register value: fully random, or made of the bits the CSRs care about,
 * so that sstatus and sie writes are often servable. */
static uint64_t random_register(void)
{
    switch (rng() % 4) {
    case 0: return random_subset(SSTATUS_BASE_BITS | SIE_ALL);
    case 1: return random_subset(SSTATUS_BASE_BITS | SIE_ALL | SSTATUS_FS | SSTATUS_SD |
                                 SSTATUS_UXL);
    default: return rng();
    }
}

static struct trap_frame random_frame(void)
{
    struct trap_frame f;
    uint64_t *words = (uint64_t *)&f;
    for (size_t i = 0; i < sizeof(f) / sizeof(uint64_t); i++)
        words[i] = rng();
    f.x[0] = 0;
    for (int i = 1; i < 32; i++)
        f.x[i] = random_register();
    f.cause = CAUSE_ILLEGAL_INSTRUCTION;
    f.vmode = VMODE_S;
    f.status = (f.status & ~SSTATUS_FS) | (rng() & SSTATUS_FS);
    f.csr.sstatus = SSTATUS_UXL_64 | random_subset(SSTATUS_BASE_BITS) | (rng() & SSTATUS_FS);
    f.csr.sie = random_subset(SIE_ALL);
    f.csr.sip = random_subset(SIE_ALL);
    f.csr.sepc &= ~1UL;
    for (int k = 0; k < 8; k++)
        f.fast_hits[k] %= 1000000;
    for (int v = 0; v < 2; v++)
        f.sum_satp[v] = rng() % 4 == 0 ? 0 : (rng() | 1);
    return f;
}

static const struct { unsigned csr; enum fast_kind kind; } served_csrs[] = {
    { CSR_SSTATUS, FAST_SSTATUS }, { CSR_SIE, FAST_SIE }, { CSR_SIP, FAST_SIP },
    { CSR_SSCRATCH, FAST_SSCRATCH }, { CSR_SEPC, FAST_SEPC }, { CSR_SCAUSE, FAST_SCAUSE },
    { CSR_STVAL, FAST_STVAL },
};

#define DIFF_ITERATIONS 100000

static void differential_against_vcsr(void **state)
{
    (void)state;
    static const unsigned funct3s[] = { F3_CSRRW, F3_CSRRS, F3_CSRRC, F3_CSRRWI, F3_CSRRSI,
                                        F3_CSRRCI };
    unsigned long served = 0, served_by_kind[FAST_KINDS] = { 0 }, sum_switches = 0;
    rng_state = 0x243f6a8885a308d3UL;
    for (int iter = 0; iter < DIFF_ITERATIONS; iter++) {
        size_t which = rng() % (sizeof(served_csrs) / sizeof(served_csrs[0]));
        unsigned csr = served_csrs[which].csr, funct3 = funct3s[rng() % 6];
        /* rs1 = x0 (a read) more often than 1 in 32. */
        unsigned rd = rng() % 32, rs1 = rng() % 8 == 0 ? 0 : rng() % 32;
        enum fast_kind kind = served_csrs[which].kind;
        struct trap_frame f = random_frame();
        f.tval = csr_insn(funct3, rd, rs1, csr);
        const struct trap_frame before = f;

        /* The reference: core/vcsr.c on a copy, after the entry's FS sync. */
        struct trap_frame want = before;
        if (csr == CSR_SSTATUS && (want.csr.sstatus & SSTATUS_FS))
            want.csr.sstatus = (want.csr.sstatus & ~SSTATUS_FS) | (want.status & SSTATUS_FS);
        const struct trap_frame synced = want;
        uint64_t old;
        assert_true(vcsr_read(&want.csr, &guest_cfg, csr, &old));
        uint64_t operand = (funct3 & 4) ? rs1 : before.x[rs1];
        bool writes = (funct3 & 3) == F3_CSRRW || rs1 != 0;
        if (writes) {
            uint64_t value = (funct3 & 3) == F3_CSRRW ? operand
                           : (funct3 & 3) == F3_CSRRS ? old | operand
                                                       : old & ~operand;
            unsigned effects = 0;
            assert_true(vcsr_write(&want.csr, &guest_cfg, csr, value, &effects));
        }
        if (rd)
            want.x[rd] = old;
        want.pc += 4;
        want.fast_hits[kind]++;
        uint64_t changed = want.csr.sstatus ^ synced.csr.sstatus;
        if (csr == CSR_SSTATUS && (changed & SSTATUS_SUM))
            want.guest_satp = want.sum_satp[(want.csr.sstatus & SSTATUS_SUM) != 0];
        if (csr == CSR_SSTATUS && (changed & SSTATUS_FS))   /* the hart's FS follows */
            want.status = (want.status & ~SSTATUS_FS) | (want.csr.sstatus & SSTATUS_FS);

        /* When the second portion must take over. */
        bool must_decline = false;
        if (writes && csr == CSR_SIP)
            must_decline = true;
        if (writes && csr == CSR_SIE && (want.csr.sie & want.csr.sip))
            must_decline = true;
        if (writes && csr == CSR_SSTATUS) {
            if (changed & SSTATUS_MXR)
                must_decline = true;
            if ((changed & SSTATUS_SIE) && (want.csr.sstatus & SSTATUS_SIE) &&
                (want.csr.sip & want.csr.sie))
                must_decline = true;
            /* The other view's shadow is not built yet. */
            if ((changed & SSTATUS_SUM) &&
                !want.sum_satp[(want.csr.sstatus & SSTATUS_SUM) != 0])
                must_decline = true;
        }

        bool handled = fast_path_csr(&f);
        if (handled != !must_decline || frames_differ(&f, handled ? &want : &synced)) {
            print_error("iteration %d: insn 0x%08lx (funct3 %u rd x%u rs1 %u csr 0x%x), "
                        "operand 0x%lx, sstatus 0x%lx status 0x%lx sie 0x%lx sip 0x%lx "
                        "sum_satp 0x%lx/0x%lx: %s, expected %s\n",
                        iter, (unsigned long)before.tval, funct3, rd, rs1, csr,
                        (unsigned long)operand, (unsigned long)before.csr.sstatus,
                        (unsigned long)before.status, (unsigned long)before.csr.sie,
                        (unsigned long)before.csr.sip, (unsigned long)before.sum_satp[0],
                        (unsigned long)before.sum_satp[1], handled ? "served" : "declined",
                        must_decline ? "declined" : "served");
            fail();
        }
        if (handled) {
            served++;
            served_by_kind[kind]++;
            sum_switches += csr == CSR_SSTATUS && (changed & SSTATUS_SUM);
        }
    }
    print_message("fast path served %lu of %d (sstatus %lu, sie %lu, sip %lu, SUM switches %lu)\n",
                  served, DIFF_ITERATIONS, served_by_kind[FAST_SSTATUS],
                  served_by_kind[FAST_SIE], served_by_kind[FAST_SIP], sum_switches);
    /* Not vacuous: most cases served, and every kind of path exercised. */
    assert_true(served > DIFF_ITERATIONS * 3 / 10);
    for (int k = 0; k < FAST_SRET; k++)
        assert_true(served_by_kind[k] > 500);
    assert_true(sum_switches > 100);
}

/* Chaining: a code buffer at GUEST_PC stands for the guest's memory. */
struct code {
    uint64_t base;
    uint32_t words[1024];       /* one page, word by word (pc 2-aligned reads two halves) */
    uint64_t unreadable;        /* a pc whose read faults, or 0 */
};

/* c emptied, as the code page holding GUEST_PC; returns GUEST_PC's word. */
static unsigned code_page(struct code *c)
{
    memset(c, 0, sizeof(*c));
    c->base = GUEST_PC & ~0xfffUL;
    return (unsigned)(GUEST_PC & 0xfff) / 4;
}

static bool fetch_code(void *ctx, uint64_t va, uint32_t *bits)
{
    struct code *c = ctx;
    if (va == c->unreadable || va < c->base || va + 4 > c->base + sizeof(c->words))
        return false;
    const uint8_t *b = (const uint8_t *)c->words + (va - c->base);
    *bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

/* Linux's trap entry: csrrc s1, sstatus, t0; csrr s2, sepc; csrr s3, stval;
 * csrr s4, scause; csrr s5, sscratch; then a store. One trap serves all five,
 * with the same result as five traps one after the other. */
static void chains_linux_trap_entry(void **state)
{
    (void)state;
    enum { T0 = 5, S1 = 9, S2 = 18, S3 = 19, S4 = 20, S5 = 21 };
    static struct code code;
    unsigned at = code_page(&code);
    uint32_t seq[] = {
        csr_insn(F3_CSRRC, S1, T0, CSR_SSTATUS), csr_insn(F3_CSRRS, S2, 0, CSR_SEPC),
        csr_insn(F3_CSRRS, S3, 0, CSR_STVAL), csr_insn(F3_CSRRS, S4, 0, CSR_SCAUSE),
        csr_insn(F3_CSRRS, S5, 0, CSR_SSCRATCH), 0x00813023u /* sd s0, 0(sp) */,
    };
    memcpy(&code.words[at], seq, sizeof(seq));
    struct trap_frame f = frame_for(seq[0]);
    f.x[T0] = SSTATUS_SUM | SSTATUS_FS;
    struct trap_frame want = f;
    for (int i = 0; i < 5; i++) {
        want.tval = seq[i];
        assert_true(fast_path_csr(&want));
    }
    want.fast_hits[FAST_CHAINED] += 4;
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 20);
    assert_false(frames_differ(&f, &want));
}

/* The chain stops at: a non-CSR SYSTEM instruction, a compressed or other
 * instruction, the end of the page, an unreadable word, FAST_CHAIN_MAX; an
 * sret is chained and served; a declined access goes to the second portion
 * with the frame describing that access. */
static void chain_stops_and_declines(void **state)
{
    (void)state;
    static struct code code;
    uint32_t read_a0 = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSCRATCH);
    const uint32_t stoppers[] = { 0x00000073u /* ecall */, 0x10500073u /* wfi */,
                                  0x12000073u /* sfence.vma */, 0x00a00593u /* li a1, 10 */,
                                  0x003022f3u /* frcsr t0: runs in U-mode */,
                                  0xc01025f3u /* rdtime a1 */ };
    for (size_t i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++) {
        unsigned at = code_page(&code);
        code.words[at] = read_a0;
        code.words[at + 1] = stoppers[i];
        struct trap_frame f = frame_for(read_a0);
        uint64_t chained = f.fast_hits[FAST_CHAINED];
        assert_true(fast_path_run(&f, fetch_code, &code));
        assert_int_equal(f.pc, GUEST_PC + 4);
        assert_int_equal(f.fast_hits[FAST_CHAINED], chained);
    }
    /* Unreadable next word; and the page's last word: no chaining. */
    code_page(&code);
    for (int i = 0; i < 1024; i++)
        code.words[i] = read_a0;
    code.unreadable = GUEST_PC + 4;
    struct trap_frame f = frame_for(read_a0);
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 4);
    code.unreadable = 0;
    f = frame_for(read_a0);
    f.pc = code.base + 0xffc;
    uint64_t chained = f.fast_hits[FAST_CHAINED];
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, code.base + 0x1000);
    assert_int_equal(f.fast_hits[FAST_CHAINED], chained);
    /* A long run: FAST_CHAIN_MAX more after the first. */
    f = frame_for(read_a0);
    f.pc = code.base;
    uint64_t hits = f.fast_hits[FAST_SSCRATCH];
    chained = f.fast_hits[FAST_CHAINED];
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, code.base + 4 * (1 + FAST_CHAIN_MAX));
    assert_int_equal(f.fast_hits[FAST_CHAINED], chained + FAST_CHAIN_MAX);
    assert_int_equal(f.fast_hits[FAST_SSCRATCH], hits + 1 + FAST_CHAIN_MAX);
    /* csrw sepc then sret: both served, the guest resumes at the new sepc. */
    unsigned at = code_page(&code);
    code.words[at] = csr_insn(F3_CSRRW, 0, REG_A1, CSR_SEPC);
    code.words[at + 1] = MATCH_SRET;
    f = frame_for(code.words[at]);
    f.x[REG_A1] = 0xffffffff80301000UL;
    f.csr.sstatus |= SSTATUS_SPP;
    f.csr.sie = 0;
    uint64_t srets = f.fast_hits[FAST_SRET];
    chained = f.fast_hits[FAST_CHAINED];
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, 0xffffffff80301000UL);
    assert_int_equal(f.fast_hits[FAST_SRET], srets + 1);
    assert_int_equal(f.fast_hits[FAST_CHAINED], chained + 1);
    /* A chained write of sie that unmasks a pending interrupt: declined, the
     * frame describing that instruction (pc, bits), the first one done. */
    code.words[at] = read_a0;
    code.words[at + 1] = csr_insn(F3_CSRRS, 0, REG_A1, CSR_SIE);
    f = frame_for(read_a0);
    f.csr.sip = SIP_STIP;
    f.csr.sie = 0;
    f.x[REG_A1] = SIP_STIP;
    assert_false(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 4);
    assert_int_equal(f.tval, code.words[at + 1]);
    assert_int_equal(f.x[REG_A0], f.csr.sscratch);
    assert_int_equal(f.csr.sie, 0);
}

/* A small kernel's way into its user mode (issue 11.1): csrw sstatus (SPP =
 * 0), csrw sepc, then csrw sscratch, sp immediately followed by sret, all
 * four in one trap. The result is that of four traps one at a time: virtual
 * U at the new sepc on the U-mode view, sscratch = sp, SIE = SPIE; and the
 * user's next traps are its own: an ecall is reflected with cause 8 into
 * the kernel's S view, an illegal instruction from U is left to the second
 * portion (which delivers it as the guest's own). */
static void chains_user_entry_sret(void **state)
{
    (void)state;
    enum { SP = 2, T0 = 5 };
    static struct code code;
    unsigned at = code_page(&code);
    const uint32_t seq[] = {
        csr_insn(F3_CSRRW, 0, REG_A2, CSR_SSTATUS), csr_insn(F3_CSRRW, 0, T0, CSR_SEPC),
        csr_insn(F3_CSRRW, 0, SP, CSR_SSCRATCH), MATCH_SRET,
    };
    memcpy(&code.words[at], seq, sizeof(seq));
    for (int fs = 0; fs < 4; fs++) {
        for (int sum = 0; sum < 2; sum++) {
            struct trap_frame f = frame_for(seq[0]);
            f.csr.sie = 0;                      /* nothing deliverable in U */
            f.user_satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | 0x80444UL;
            f.x[REG_A2] = SSTATUS_SPIE | (uint64_t)fs << SSTATUS_FS_SHIFT |
                          (sum ? SSTATUS_SUM : 0);
            f.x[T0] = 0x10078;
            struct trap_frame want = f;
            for (int i = 0; i < 4; i++) {
                want.tval = seq[i];
                assert_true(fast_path_trap(&want));
                if (i < 3)
                    assert_int_equal(want.pc, GUEST_PC + 4 * (i + 1));
            }
            want.fast_hits[FAST_CHAINED] += 3;
            assert_true(fast_path_run(&f, fetch_code, &code));
            assert_false(frames_differ(&f, &want));
            assert_int_equal(f.vmode, VMODE_U);
            assert_int_equal(f.pc, 0x10078);
            assert_int_equal(f.guest_satp, f.user_satp);
            assert_int_equal(f.csr.sscratch, f.x[SP]);
            assert_int_equal(f.csr.sstatus & (SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SUM),
                             SSTATUS_SIE | SSTATUS_SPIE | (sum ? SSTATUS_SUM : 0));
            assert_int_equal(f.csr.sstatus & SSTATUS_FS, (uint64_t)fs << SSTATUS_FS_SHIFT);
            if (fs)
                assert_int_equal(f.status & SSTATUS_FS, (uint64_t)fs << SSTATUS_FS_SHIFT);

            /* The user's ecall: into the kernel, cause 8, SPP = U. */
            struct trap_frame e = f;
            e.cause = CAUSE_USER_ECALL;
            e.tval = 0;
            e.pc = 0x10080;
            assert_true(fast_path_trap(&e));
            assert_int_equal(e.vmode, VMODE_S);
            assert_int_equal(e.csr.scause, CAUSE_USER_ECALL);
            assert_int_equal(e.csr.sepc, 0x10080);
            assert_int_equal(e.csr.sstatus & SSTATUS_SPP, 0);
            assert_int_equal(e.pc, f.csr.stvec & ~3UL);
            assert_int_equal(e.guest_satp, f.sum_satp[sum]);
            /* A CSR access from virtual U is not the kernel's: declined. */
            struct trap_frame u = f;
            u.tval = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SSCRATCH);
            u.pc = 0x10084;
            assert_declined(u);
        }
    }
}

/* ---- page faults from virtual U, against core/guest_walk.c ---- */

/* A small guest RAM holding random page tables; the twin reads it through
 * frame->window_va as the assembly reads the window. */
#define RAM_GPA 0x80000000UL
#define RAM_PAGES 64
static uint64_t guest_ram[RAM_PAGES][512] __attribute__((aligned(4096)));

/* ---- patched sites (core/patch.c): an ebreak that stands for its original ---- */

/* Sets FRAME_SITE_RUN on the entry of the site at pc (it must be there). */
static void mark_run(struct trap_frame *f, uint64_t pc)
{
    for (unsigned i = 0, slot = frame_site_slot(pc); i < FRAME_SITE_PROBES; i++, slot++) {
        uint64_t *e = &f->sites[slot & (FRAME_SITES - 1)];
        if (*e && frame_site_low(*e) == (uint32_t)pc) {
            *e |= FRAME_SITE_RUN;
            return;
        }
    }
    fail();
}

/* Puts the site (pc, insn) into f's table as core/patch.c does, with
 * FRAME_SITE_RUN on a site at pc - 4 and on this one if pc + 4 is one. */
static void add_site(struct trap_frame *f, uint64_t pc, uint32_t insn)
{
    f->site_high = pc >> 32;
    for (unsigned i = 0, slot = frame_site_slot(pc); i < FRAME_SITE_PROBES; i++, slot++) {
        uint64_t *e = &f->sites[slot & (FRAME_SITES - 1)];
        if (!*e) {
            *e = (uint64_t)insn << 32 | (uint32_t)pc;
            if (fast_site_entry(f, pc - 4))
                mark_run(f, pc - 4);
            if (fast_site_entry(f, pc + 4))
                mark_run(f, pc);
            return;
        }
    }
    fail();
}

static struct trap_frame breakpoint_at(uint64_t pc)
{
    struct trap_frame f = frame_for(0);
    f.cause = CAUSE_BREAKPOINT;
    f.tval = pc;
    f.pc = pc;
    return f;
}

/* A breakpoint from virtual S at a site is its instruction's trap: served
 * exactly as the illegal-instruction trap of that instruction would be. */
static void patched_site_served_as_its_instruction(void **state)
{
    (void)state;
    uint32_t insn = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    struct trap_frame f = breakpoint_at(GUEST_PC);
    add_site(&f, GUEST_PC, insn);
    add_site(&f, GUEST_PC + 8, MATCH_SRET);
    struct trap_frame want = f;
    want.cause = CAUSE_ILLEGAL_INSTRUCTION;
    want.tval = insn;
    assert_true(fast_path_csr(&want));
    want.fast_hits[FAST_PATCHED]++;
    want.site_ref[frame_site_slot(GUEST_PC)] = FRAME_SITE_REFERENCED;     /* its copy is hot */
    assert_true(fast_path_trap(&f));
    assert_false(frames_differ(&f, &want));
    assert_int_equal(fast_site_lookup(&f, GUEST_PC + 8), MATCH_SRET);
}

/* The slot the first portion marks referenced is the one the site was
 * found in (core/patch.c maps it to its copy), not its pc's own slot when
 * another site took that first; a breakpoint at no site marks nothing. */
static void patched_site_marks_its_own_slot(void **state)
{
    (void)state;
    uint64_t other = GUEST_PC + 2 * FRAME_SITES;    /* the same first slot */
    assert_int_equal(frame_site_slot(other), frame_site_slot(GUEST_PC));
    uint32_t insn = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    struct trap_frame f = breakpoint_at(GUEST_PC);
    add_site(&f, other, insn);
    add_site(&f, GUEST_PC, insn);
    unsigned own = frame_site_slot(GUEST_PC), next = (own + 1) % FRAME_SITES;
    assert_int_equal(frame_site_low(f.sites[next]), (uint32_t)GUEST_PC);
    assert_true(fast_path_trap(&f));
    for (unsigned k = 0; k < FRAME_SITES; k++)
        assert_int_equal(f.site_ref[k], k == next ? FRAME_SITE_REFERENCED : 0);
    f = breakpoint_at(GUEST_PC + 4);
    add_site(&f, GUEST_PC, insn);
    assert_true(fast_path_trap(&f));                /* the guest's own: reflected */
    for (unsigned k = 0; k < FRAME_SITES; k++)
        assert_int_equal(f.site_ref[k], 0);
}

/* The guest's own breakpoints are reflected: at no site, from virtual U at
 * a site's address, with another upper half; a declined site goes to the
 * second portion as the original instruction's illegal-instruction trap. */
static void own_breakpoints_are_reflected(void **state)
{
    (void)state;
    uint32_t insn = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SATP);     /* not served here */
    uint64_t pcs[] = { GUEST_PC + 4, GUEST_PC, GUEST_PC & 0xffffffffUL };
    for (int i = 0; i < 3; i++) {
        struct trap_frame f = breakpoint_at(pcs[i]);
        add_site(&f, GUEST_PC, insn);
        if (i == 1)
            f.vmode = VMODE_U;
        assert_true(fast_path_trap(&f));
        assert_int_equal(f.csr.scause, CAUSE_BREAKPOINT);
        assert_int_equal(f.csr.sepc, pcs[i]);
        assert_int_equal(f.csr.stval, pcs[i]);
        assert_int_equal(f.fast_hits[FAST_PATCHED], 0);
    }
    struct trap_frame f = breakpoint_at(GUEST_PC);
    add_site(&f, GUEST_PC, insn);
    assert_false(fast_path_trap(&f));
    assert_int_equal(f.cause, CAUSE_ILLEGAL_INSTRUCTION);
    assert_int_equal(f.tval, insn);
    assert_int_equal(f.pc, GUEST_PC);
}

/* With patching on (patch_learn counting), a breakpoint from virtual S at
 * no site of this vCPU's table may be an ebreak of a copy whose site the
 * table lacks (added or dropped by another vCPU since it was taken): the
 * second portion decides, the trap untouched. From virtual U it is the
 * guest's own, reflected as before. */
static void unknown_breakpoints_from_s_go_to_the_second_portion(void **state)
{
    (void)state;
    uint32_t insn = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    struct trap_frame f = breakpoint_at(GUEST_PC + 4);
    add_site(&f, GUEST_PC, insn);
    f.patch_learn = 5;
    struct trap_frame want = f;
    assert_false(fast_path_trap(&f));
    assert_false(frames_differ(&f, &want));
    f.vmode = VMODE_U;
    assert_true(fast_path_trap(&f));
    assert_int_equal(f.csr.scause, CAUSE_BREAKPOINT);
    assert_int_equal(f.csr.sepc, GUEST_PC + 4);
}

/* Chaining reads the copy: an ebreak at a site is chained as its original
 * instruction, an ebreak that is no site ends the chain. */
static void chains_through_patched_sites(void **state)
{
    (void)state;
    static struct code code;
    unsigned at = code_page(&code);
    uint32_t first = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    uint32_t second = csr_insn(F3_CSRRS, REG_A1, 0, CSR_SSCRATCH);
    code.words[at] = PATCH_EBREAK;
    code.words[at + 1] = PATCH_EBREAK;
    code.words[at + 2] = PATCH_EBREAK;      /* the guest's own */
    struct trap_frame f = breakpoint_at(GUEST_PC);
    add_site(&f, GUEST_PC, first);
    add_site(&f, GUEST_PC + 4, second);
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 8);
    assert_int_equal(f.fast_hits[FAST_PATCHED], 2);
    assert_int_equal(f.fast_hits[FAST_CHAINED], frame_for(0).fast_hits[FAST_CHAINED] + 1);
    assert_int_equal(f.x[REG_A1], f.csr.sscratch);
}

/* A patched site with no site right after it (no FRAME_SITE_RUN) does not
 * chain, even into a CSR access: the guest runs it itself (here it would
 * trap, unpatched; in a copy such an instruction is always a site). A site
 * reached by chaining ends the chain the same way. An illegal-instruction
 * trap (unpatched code) still chains. */
static void patched_sites_chain_only_into_runs(void **state)
{
    (void)state;
    static struct code code;
    unsigned at = code_page(&code);
    uint32_t first = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    uint32_t second = csr_insn(F3_CSRRS, REG_A1, 0, CSR_SSCRATCH);
    uint32_t third = csr_insn(F3_CSRRS, REG_A2, 0, CSR_SCAUSE);
    code.words[at] = PATCH_EBREAK;
    code.words[at + 1] = second;            /* not patched */
    struct trap_frame f = breakpoint_at(GUEST_PC);
    add_site(&f, GUEST_PC, first);
    assert_false(fast_site_entry(&f, GUEST_PC) & FRAME_SITE_RUN);
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 4);
    assert_int_equal(f.fast_hits[FAST_PATCHED], 1);
    assert_int_equal(f.fast_hits[FAST_CHAINED], frame_for(0).fast_hits[FAST_CHAINED]);

    /* site, site, then an unpatched CSR access: two served, no third. */
    code.words[at + 1] = PATCH_EBREAK;
    code.words[at + 2] = third;
    f = breakpoint_at(GUEST_PC);
    add_site(&f, GUEST_PC + 4, second);
    add_site(&f, GUEST_PC, first);
    assert_true(fast_site_entry(&f, GUEST_PC) & FRAME_SITE_RUN);
    assert_false(fast_site_entry(&f, GUEST_PC + 4) & FRAME_SITE_RUN);
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 8);
    assert_int_equal(f.fast_hits[FAST_PATCHED], 2);
    assert_int_equal(f.x[REG_A1], f.csr.sscratch);

    /* The same code unpatched, trapping: all three chained. */
    code.words[at] = first;
    code.words[at + 1] = second;
    f = frame_for(first);
    f.pc = GUEST_PC;
    assert_true(fast_path_run(&f, fetch_code, &code));
    assert_int_equal(f.pc, GUEST_PC + 12);
    assert_int_equal(f.x[REG_A2], f.csr.scause);
}

/* entry.S's sie_lane serves a lone site's csrrci rd, sstatus, SIE (any rd)
 * and csrsi sstatus, SIE as the general path does, counted in FAST_LANE
 * too: not a site in a run, nor csrrsi with rd, nor a set that makes an
 * interrupt deliverable (declined, as by the general path). */
static void sie_lane_sites(void **state)
{
    (void)state;
    uint32_t clear = csr_insn(F3_CSRRCI, REG_A0, SSTATUS_SIE, CSR_SSTATUS);
    uint32_t set = csr_insn(F3_CSRRSI, 0, SSTATUS_SIE, CSR_SSTATUS);
    uint32_t set_rd = csr_insn(F3_CSRRSI, REG_A0, SSTATUS_SIE, CSR_SSTATUS);
    assert_int_equal(clear & ~(31u << 7), SIE_CLEAR_INSN);
    assert_int_equal(set, SIE_SET_INSN);
    struct {
        uint32_t insn;
        bool run, pending, lane, served;
    } cases[] = {
        { clear, false, false, true, true },
        { clear, false, true, true, true },     /* clearing never delivers */
        { set, false, false, true, true },
        { set, false, true, false, false },
        { set_rd, false, false, false, true },
        { clear, true, false, false, true },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap_frame f = breakpoint_at(GUEST_PC);
        add_site(&f, GUEST_PC, cases[i].insn);
        if (cases[i].run)
            add_site(&f, GUEST_PC + 4, cases[i].insn);
        f.csr.sstatus = (f.csr.sstatus & ~SSTATUS_SIE) | (cases[i].insn == clear ? SSTATUS_SIE : 0);
        f.csr.sie = SIP_SSIP;
        f.csr.sip = cases[i].pending ? SIP_SSIP : 0;
        struct trap_frame want = f;
        want.cause = CAUSE_ILLEGAL_INSTRUCTION;
        want.tval = cases[i].insn;
        bool want_served = fast_path_csr(&want);
        want.fast_hits[FAST_PATCHED]++;
        want.fast_hits[FAST_LANE] += cases[i].lane;
        want.site_ref[frame_site_slot(GUEST_PC)] = FRAME_SITE_REFERENCED;
        assert_int_equal(fast_path_trap(&f), cases[i].served);
        assert_int_equal(want_served, cases[i].served);
        if (cases[i].served)
            assert_false(frames_differ(&f, &want));
        else
            assert_int_equal(f.fast_hits[FAST_LANE], 0);
    }
}

/* The general path's answer for a breakpoint frame f at a site holding
 * insn: the illegal-instruction trap of insn (no learning, no chaining),
 * plus the count of a patched trap. */
static bool general_path(struct trap_frame *want, const struct trap_frame *f, uint32_t insn)
{
    *want = *f;
    want->cause = CAUSE_ILLEGAL_INSTRUCTION;
    want->tval = insn;
    want->patch_learn = 0;
    bool served = fast_path_trap(want);
    want->patch_learn = f->patch_learn;
    want->fast_hits[FAST_PATCHED]++;
    return served;
}

/* entry.S's other lanes: sstatus and sscratch with a register operand (any
 * rd and rs1, csrrw/csrrs/csrrc) and sret back to virtual U serve a lone
 * site exactly as the general path does, counted in FAST_LANE too; sites
 * in a run, immediate forms other than the SIE toggles and sret back to S
 * go to the general path (no lane count); what the general path declines
 * (MXR changed, SIE set with an interrupt pending, a view not built, sret
 * to U with an interrupt pending or no U view) the lanes decline too. */
static void register_lanes(void **state)
{
    (void)state;
    enum { REG_T0 = 5, REG_TP = 4, REG_S1 = 9, REG_T3 = 28, REG_SP = 2, REG_A4 = 14 };
    uint32_t entry_csrrc = csr_insn(F3_CSRRC, REG_S1, REG_T0, CSR_SSTATUS);
    uint32_t exit_csrw = csr_insn(F3_CSRRW, 0, REG_A0, CSR_SSTATUS);
    uint32_t sum_on = csr_insn(F3_CSRRS, 0, REG_A4, CSR_SSTATUS);
    uint32_t swap = csr_insn(F3_CSRRW, REG_TP, REG_TP, CSR_SSCRATCH);
    struct {
        const char *what;
        uint32_t insn;
        uint64_t operand;           /* x[rs1] */
        unsigned rs1;
        bool run, spp, pending, no_views, lane, served;
    } cases[] = {
        { "csrrc s1, sstatus, t0 (FS off)", entry_csrrc, SSTATUS_SUM | SSTATUS_FS, REG_T0,
          false, true, false, false, true, true },
        { "csrrc ... in a run", entry_csrrc, SSTATUS_SUM | SSTATUS_FS, REG_T0,
          true, true, false, false, false, true },
        { "csrw sstatus, a0 (FS dirty, SPIE)", exit_csrw,
          SSTATUS_FS | SSTATUS_SPIE | SSTATUS_SD, REG_A0, false, true, false, false, true, true },
        { "csrs sstatus, a4 (SUM: the other view)", sum_on, SSTATUS_SUM, REG_A4,
          false, true, false, false, true, true },
        { "csrs sstatus, a4 (SUM, view not built)", sum_on, SSTATUS_SUM, REG_A4,
          false, true, false, true, false, false },
        { "csrs sstatus, a4 (MXR)", sum_on, SSTATUS_MXR, REG_A4,
          false, true, false, false, false, false },
        { "csrs sstatus, a4 (SIE, pending)", sum_on, SSTATUS_SIE, REG_A4,
          false, true, true, false, false, false },
        { "csrs sstatus, a4 (SIE, none pending)", sum_on, SSTATUS_SIE, REG_A4,
          false, true, false, false, true, true },
        { "csrrs t3, sstatus, x0", csr_insn(F3_CSRRS, REG_T3, 0, CSR_SSTATUS), 0, 0,
          false, true, false, false, true, true },
        { "csrrsi a0, sstatus, 4", csr_insn(F3_CSRRSI, REG_A0, 4, CSR_SSTATUS), 0, 0,
          false, true, false, false, false, true },
        { "csrrw tp, sscratch, tp", swap, 0xffffffd800123400UL, REG_TP,
          false, true, false, false, true, true },
        { "csrrs sp, sscratch, t3", csr_insn(F3_CSRRS, REG_SP, REG_T3, CSR_SSCRATCH), 0xf0f0,
          REG_T3, false, true, false, false, true, true },
        { "csrrc x0, sscratch, s1", csr_insn(F3_CSRRC, 0, REG_S1, CSR_SSCRATCH), 0x5678,
          REG_S1, false, true, false, false, true, true },
        { "csrrwi a0, sscratch, 3", csr_insn(F3_CSRRWI, REG_A0, 3, CSR_SSCRATCH), 0, 0,
          false, true, false, false, false, true },
        { "csrrw tp, sscratch, tp in a run", swap, 1, REG_TP,
          true, true, false, false, false, true },
        { "sret to U", MATCH_SRET, 0, 0, false, false, false, false, true, true },
        { "sret to U, pending", MATCH_SRET, 0, 0, false, false, true, false, false, false },
        { "sret to U, no U view", MATCH_SRET, 0, 0, false, false, false, true, false, false },
        { "sret to S", MATCH_SRET, 0, 0, false, true, false, false, false, true },
        { "sret to U in a run", MATCH_SRET, 0, 0, true, false, false, false, false, true },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int collide = 0; collide < 2; collide++) {
            struct trap_frame f = breakpoint_at(GUEST_PC);
            /* collide: another site holds pc's own slot, this one is found
             * at the second probe (the lanes probe as site_lookup does). */
            if (collide)
                add_site(&f, GUEST_PC + 2 * FRAME_SITES, csr_insn(F3_CSRRS, REG_A0, 0, CSR_SIE));
            add_site(&f, GUEST_PC, cases[i].insn);
            if (cases[i].run)
                add_site(&f, GUEST_PC + 4, csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC));
            if (cases[i].rs1)
                f.x[cases[i].rs1] = cases[i].operand;
            f.csr.sstatus = (f.csr.sstatus & ~SSTATUS_SPP) | (cases[i].spp ? SSTATUS_SPP : 0) |
                            SSTATUS_SPIE | SSTATUS_SUM * (cases[i].insn == entry_csrrc);
            f.status = (f.status & ~SSTATUS_FS) | FS_DIRTY;
            f.csr.sie = SIP_SSIP;
            f.csr.sip = cases[i].pending ? SIP_SSIP : 0;
            f.user_satp = cases[i].no_views ? 0 : 0x8000000000087777UL;
            if (cases[i].no_views)
                f.sum_satp[1] = 0;
            struct trap_frame want;
            bool want_served = general_path(&want, &f, cases[i].insn);
            want.fast_hits[FAST_LANE] += cases[i].lane;
            /* The slot the site was found in is marked (its copy is hot),
             * as .Lfast_breakpoint marks it: with collide, not pc's own. */
            want.site_ref[(frame_site_slot(GUEST_PC) + collide) % FRAME_SITES] =
                FRAME_SITE_REFERENCED;
            bool served = fast_path_trap(&f);
            if (served != cases[i].served || want_served != cases[i].served) {
                print_error("%s (collide %d): served %d, general path %d, expected %d\n",
                            cases[i].what, collide, served, want_served, cases[i].served);
                fail();
            }
            if (served && frames_differ(&f, &want)) {
                print_error("%s (collide %d)\n", cases[i].what, collide);
                fail();
            }
            if (!served)
                assert_int_equal(f.fast_hits[FAST_LANE], want.fast_hits[FAST_LANE] - cases[i].lane);
        }
    }
}

/* The one run a lane serves whole (entry.S 86/87, fast_path.c sepc_run):
 * Linux's return, csrw sstatus, a0 then csrw sepc, a2, both patched, in one
 * trap: as the general path serves the first and chains into the second,
 * with FAST_LANE counted, even where reading the second would fault. Not a
 * lane: a longer run, a second that is not csrw sepc, a first with rd, a
 * second past the page. */
static void sepc_run_lane(void **state)
{
    (void)state;
    enum { T3 = 28 };
    static struct code code;
    uint32_t w_sstatus = csr_insn(F3_CSRRW, 0, REG_A0, CSR_SSTATUS);
    uint32_t w_sepc = csr_insn(F3_CSRRW, 0, T3, CSR_SEPC);
    struct {
        const char *what;
        uint32_t first, second;
        bool third, last_word, lane, unreadable;
    } cases[] = {
        { "csrw sstatus, a0; csrw sepc, t3", w_sstatus, w_sepc, false, false, true, false },
        /* The lane reads nothing: served whole where a read would fault. */
        { "... its second unreadable", w_sstatus, w_sepc, false, false, true, true },
        { "csrrs sstatus, a0 (SUM) first", csr_insn(F3_CSRRS, 0, REG_A0, CSR_SSTATUS), w_sepc,
          false, false, true, false },
        { "a run of three", w_sstatus, w_sepc, true, false, false, false },
        { "csrr a2, sepc second", w_sstatus, csr_insn(F3_CSRRS, REG_A2, 0, CSR_SEPC),
          false, false, false, false },
        { "csrw sepc, a0 with rd", w_sstatus, csr_insn(F3_CSRRW, REG_A1, REG_A0, CSR_SEPC),
          false, false, false, false },
        { "csrrw a1, sstatus, a0 first", csr_insn(F3_CSRRW, REG_A1, REG_A0, CSR_SSTATUS),
          w_sepc, false, false, false, false },
        { "csrw sepc past the page", w_sstatus, w_sepc, false, true, false, false },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned at = code_page(&code);
        uint64_t pc = GUEST_PC;
        if (cases[i].last_word) {       /* the second would start the next page */
            at = 1023;
            pc = code.base + 0xffc;
        }
        struct trap_frame f = breakpoint_at(pc);
        add_site(&f, pc, cases[i].first);
        add_site(&f, pc + 4, cases[i].second);
        code.words[at] = PATCH_EBREAK;
        if (at + 1 < 1024)
            code.words[at + 1] = PATCH_EBREAK;
        if (cases[i].third) {
            add_site(&f, pc + 8, w_sepc);
            code.words[at + 2] = PATCH_EBREAK;
        } else if (at + 2 < 1024) {
            code.words[at + 2] = 0x00a00593u;     /* li a1, 10 */
        }
        code.unreadable = cases[i].unreadable ? pc + 4 : 0;
        f.x[REG_A0] = SSTATUS_SPIE | FS_DIRTY | SSTATUS_SUM;
        f.x[T3] = 0x0000003fff8a5679UL;
        f.csr.sstatus |= SSTATUS_SPP;
        /* The general path: both (or all) as chained illegal-instruction traps. */
        struct trap_frame want = f;
        want.patch_learn = 0;
        want.cause = CAUSE_ILLEGAL_INSTRUCTION;
        want.tval = cases[i].first;
        assert_true(fast_path_csr(&want));
        want.fast_hits[FAST_PATCHED]++;
        if (!cases[i].last_word) {
            want.tval = cases[i].second;
            assert_true(fast_path_csr(&want));
            want.fast_hits[FAST_PATCHED]++;
            want.fast_hits[FAST_CHAINED]++;
        }
        if (cases[i].third) {
            want.tval = w_sepc;
            assert_true(fast_path_csr(&want));
            want.fast_hits[FAST_PATCHED]++;
            want.fast_hits[FAST_CHAINED]++;
        }
        want.fast_hits[FAST_LANE] += cases[i].lane;
        /* The first site's slot is marked, not the second's (chained: the
         * same page, so the same copy), lane or general path alike. */
        want.site_ref[frame_site_slot(pc)] = FRAME_SITE_REFERENCED;
        if (!fast_path_run(&f, fetch_code, &code)) {
            print_error("%s: declined\n", cases[i].what);
            fail();
        }
        if (frames_differ(&f, &want)) {
            print_error("%s\n", cases[i].what);
            fail();
        }
    }
}

/* One illegal-instruction trap in PATCH_LEARN_PERIOD goes to the second
 * portion to be learned; none when patching is off. */
static void learning_declines_one_trap_in_a_period(void **state)
{
    (void)state;
    uint32_t insn = csr_insn(F3_CSRRS, REG_A0, 0, CSR_SEPC);
    struct trap_frame f = frame_for(insn);
    assert_true(fast_path_trap(&f));
    f = frame_for(insn);
    f.patch_learn = 2;
    assert_true(fast_path_trap(&f));
    assert_int_equal(f.patch_learn, 1);
    f = frame_for(insn);
    f.patch_learn = 1;
    struct trap_frame want = f;
    want.patch_learn = PATCH_LEARN_PERIOD;
    assert_false(fast_path_trap(&f));
    assert_false(frames_differ(&f, &want));
}


static void *ram_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    uint64_t size = sizeof(guest_ram);
    if (gpa < RAM_GPA || len > size || gpa - RAM_GPA > size - len)
        return NULL;
    return (char *)guest_ram + (gpa - RAM_GPA);
}

static uint64_t random_ppn(void)
{
    switch (rng() % 8) {
    case 0: return rng() & SATP_PPN_MASK;           /* almost surely outside RAM */
    case 1: return RAM_GPA >> PAGE_SHIFT;           /* aligned for 2 MiB and 1 GiB leaves */
    default: return (RAM_GPA >> PAGE_SHIFT) + rng() % RAM_PAGES;
    }
}

/* Invalid entries, pointers (some with the bits reserved in non-leaf PTEs),
 * leaves with any permissions (W without R too), reserved bits now and then. */
static uint64_t random_pte(void)
{
    uint64_t pte = random_ppn() << PTE_PPN_SHIFT | PTE_V, kind = rng() % 16;
    if (kind < 2)
        return rng() & ~PTE_V;
    if (kind < 10)
        pte |= rng() % 8 == 0 ? rng() & (PTE_D | PTE_A | PTE_U | PTE_G) : 0;
    else
        pte |= rng() & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D);
    if (rng() % 12 == 0)
        pte |= rng() & (PTE_N | PTE_PBMT | PTE_RESERVED_HIGH);
    return pte;
}

static void fill_guest_ram(void)
{
    for (int p = 0; p < RAM_PAGES; p++)
        for (int i = 0; i < 512; i++)
            guest_ram[p][i] = random_pte();
}

static const uint64_t page_fault_causes[] = {
    CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT,
};

static enum access_type access_of(uint64_t cause)
{
    return cause == CAUSE_FETCH_PAGE_FAULT ? ACCESS_FETCH
         : cause == CAUSE_LOAD_PAGE_FAULT ? ACCESS_LOAD : ACCESS_STORE;
}

/* A page fault from virtual U on the random tables. */
static struct trap_frame page_fault_frame(void)
{
    struct trap_frame f = random_frame();
    static const uint64_t modes[] = { SATP_MODE_SV39, SATP_MODE_SV48, SATP_MODE_SV57 };
    uint64_t mode = modes[rng() % 3];
    int bits = 12 + 9 * pt_levels_of_mode(mode);
    f.cause = page_fault_causes[rng() % 3];
    f.vmode = VMODE_U;
    f.csr.satp = mode << SATP_MODE_SHIFT | (rng() & SATP_ASID_MASK) << SATP_ASID_SHIFT |
                 random_ppn();
    /* Mostly canonical for the mode. */
    f.tval = rng() % 8 ? (uint64_t)((int64_t)(rng() << (64 - bits)) >> (64 - bits)) : rng();
    f.window_va = (uint64_t)(uintptr_t)guest_ram;
    f.ram_gpa = RAM_GPA;
    f.ram_size = sizeof(guest_ram);
    return f;
}

/* The guest kernel takes the fault (privileged spec 4.1.1, 4.1.9; what
 * vcpu.c's enter_guest_trap does), on the view of its SUM. */
static struct trap_frame reflected(struct trap_frame f)
{
    if (f.csr.sstatus & SSTATUS_FS)
        f.csr.sstatus = (f.csr.sstatus & ~SSTATUS_FS) | (f.status & SSTATUS_FS);
    uint64_t s = f.csr.sstatus;
    f.csr.sepc = f.pc;
    f.csr.scause = f.cause;
    f.csr.stval = f.tval;
    f.csr.sstatus = (s & ~(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP)) |
                    (s & SSTATUS_SIE ? SSTATUS_SPIE : 0);
    f.guest_satp = f.sum_satp[(s & SSTATUS_SUM) != 0];
    f.vmode = VMODE_S;
    f.pc = f.csr.stvec & ~3UL;
    f.fast_hits[FAST_PAGE_FAULT]++;
    return f;
}

static void page_fault_declined_without_window_or_from_s(void **state)
{
    (void)state;
    memset(guest_ram, 0, sizeof(guest_ram));    /* every entry invalid: a guest fault */
    struct trap_frame f = page_fault_frame();
    f.csr.satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | RAM_GPA >> PAGE_SHIFT;
    f.tval = 0x10000;
    f.sum_satp[0] = f.sum_satp[1] = SATP_SUM0;
    struct trap_frame served = f, want = reflected(f);
    assert_true(fast_path_trap(&served));
    assert_frame_equal(&served, &want);
    assert_int_equal(served.csr.stval, 0x10000);
    /* No window (a guest of the host's own mode): the slow path. */
    struct trap_frame g = f, before = f;
    g.window_va = before.window_va = 0;
    assert_false(fast_path_trap(&g));
    assert_frame_equal(&g, &before);
    /* From virtual S: the slow path (SUM views, conflicts, devices). */
    g = before = f;
    g.vmode = before.vmode = VMODE_S;
    assert_false(fast_path_trap(&g));
    assert_frame_equal(&g, &before);
    /* The guest kernel's view for its SUM not built yet. */
    g = f;
    g.sum_satp[(g.csr.sstatus & SSTATUS_SUM) != 0] = 0;
    assert_false(fast_path_trap(&g));
}

/* The window is the guest's RAM from ram_gpa: a table outside it is the
 * walk's access fault, left to the slow path. */
static void page_fault_declined_for_a_table_outside_ram(void **state)
{
    (void)state;
    memset(guest_ram, 0, sizeof(guest_ram));
    struct trap_frame f = page_fault_frame();
    f.sum_satp[0] = f.sum_satp[1] = SATP_SUM0;
    f.tval = 0x10000;
    f.csr.satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | ((RAM_GPA >> PAGE_SHIFT) + RAM_PAGES);
    struct trap_frame before = f;
    assert_false(fast_path_trap(&f));
    assert_frame_equal(&f, &before);
    f.csr.satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | ((RAM_GPA >> PAGE_SHIFT) - 1);
    assert_false(fast_path_trap(&f));
    /* A pointer out of RAM one level down. */
    guest_ram[0][0] = ((RAM_GPA >> PAGE_SHIFT) + RAM_PAGES) << PTE_PPN_SHIFT | PTE_V;
    f.csr.satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | RAM_GPA >> PAGE_SHIFT;
    before = f;
    assert_false(fast_path_trap(&f));
    assert_frame_equal(&f, &before);
}

#define WALK_ITERATIONS 200000

static void page_fault_differential_against_guest_walk(void **state)
{
    (void)state;
    struct walk_memory mem = { ram_to_host, NULL };
    unsigned long reflected_canonical = 0, reflected_other = 0, allowed = 0, superpages = 0,
                  access_faults = 0, no_view = 0, by_cause[16] = { 0 };
    rng_state = 0x13198a2e03707344UL;
    for (int iter = 0; iter < WALK_ITERATIONS; iter++) {
        if (iter % 200 == 0)
            fill_guest_ram();
        struct trap_frame f = page_fault_frame();
        const struct trap_frame before = f;
        struct walk_request req = {
            .satp = f.csr.satp, .va = f.tval, .access = access_of(f.cause), .user = true,
            .sum = f.csr.sstatus & SSTATUS_SUM, .mxr = f.csr.sstatus & SSTATUS_MXR,
            .update_ad = false,
        };
        struct walk_result res;
        enum walk_status st = guest_walk(&mem, &req, &res);
        struct trap_frame want = before;
        bool serve = false;
        if (st == WALK_PAGE_FAULT) {
            want = reflected(before);
            serve = want.guest_satp != 0;
            if (!serve) {       /* declined after the FS sync, as for ecalls */
                want = before;
                if (want.csr.sstatus & SSTATUS_FS)
                    want.csr.sstatus = (want.csr.sstatus & ~SSTATUS_FS) | (want.status & SSTATUS_FS);
            }
        }
        bool handled = fast_path_trap(&f);
        if (handled != serve || frames_differ(&f, &want)) {
            print_error("iteration %d: cause %lu va 0x%lx satp 0x%lx sstatus 0x%lx: walk %d, "
                        "%s, expected %s\n", iter, (unsigned long)before.cause,
                        (unsigned long)before.tval, (unsigned long)before.csr.satp,
                        (unsigned long)before.csr.sstatus, (int)st,
                        handled ? "served" : "declined", serve ? "served" : "declined");
            fail();
        }
        int levels = pt_levels_of_mode(before.csr.satp >> SATP_MODE_SHIFT);
        if (serve) {
            by_cause[before.cause]++;
            if (pt_is_canonical(before.tval, levels))
                reflected_canonical++;
            else
                reflected_other++;
        }
        no_view += st == WALK_PAGE_FAULT && !serve;
        allowed += st == WALK_OK;
        superpages += st == WALK_OK && res.level > 0;
        access_faults += st == WALK_ACCESS_FAULT;
    }
    print_message("reflected %lu (+%lu non-canonical), allowed %lu (%lu superpages), "
                  "access faults %lu, no view %lu\n", reflected_canonical, reflected_other,
                  allowed, superpages, access_faults, no_view);
    /* Not vacuous: every outcome, for every access type. */
    assert_true(reflected_canonical > 10000 && reflected_other > 1000);
    assert_true(allowed > 1000 && superpages > 100 && access_faults > 1000 && no_view > 1000);
    for (size_t i = 0; i < 3; i++)
        assert_true(by_cause[page_fault_causes[i]] > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chains_linux_trap_entry),
        cmocka_unit_test(patched_site_served_as_its_instruction),
        cmocka_unit_test(patched_site_marks_its_own_slot),
        cmocka_unit_test(unknown_breakpoints_from_s_go_to_the_second_portion),
        cmocka_unit_test(own_breakpoints_are_reflected),
        cmocka_unit_test(chains_through_patched_sites),
        cmocka_unit_test(patched_sites_chain_only_into_runs),
        cmocka_unit_test(sie_lane_sites),
        cmocka_unit_test(register_lanes),
        cmocka_unit_test(sepc_run_lane),
        cmocka_unit_test(learning_declines_one_trap_in_a_period),
        cmocka_unit_test(chain_stops_and_declines),
        cmocka_unit_test(chains_user_entry_sret),
        cmocka_unit_test(declines_other_causes),
        cmocka_unit_test(declines_virtual_user_mode),
        cmocka_unit_test(declines_without_a_system_instruction),
        cmocka_unit_test(declines_system_instructions_that_are_not_csr_accesses),
        cmocka_unit_test(declines_csrs_it_does_not_serve),
        cmocka_unit_test(declines_sip_writes),
        cmocka_unit_test(declines_sie_writes_that_enable_a_pending_source),
        cmocka_unit_test(declines_sstatus_writes_that_change_mxr),
        cmocka_unit_test(serves_sstatus_writes_that_change_fs),
        cmocka_unit_test(declines_sstatus_sie_on_with_an_interrupt_pending),
        cmocka_unit_test(declines_sum_change_without_the_other_view),
        cmocka_unit_test(declined_sstatus_write_keeps_only_the_fs_sync),
        cmocka_unit_test(csrr_sepc),
        cmocka_unit_test(csrw_sepc_odd_reads_back_even),
        cmocka_unit_test(csrrs_with_x0_does_not_write),
        cmocka_unit_test(csrrw_with_rd_x0_still_writes),
        cmocka_unit_test(rd_equal_to_rs1),
        cmocka_unit_test(sstatus_read_shows_sd_when_fs_is_dirty),
        cmocka_unit_test(sstatus_fs_follows_the_hardware),
        cmocka_unit_test(sstatus_sie_clear_is_always_served),
        cmocka_unit_test(sstatus_sie_on_served_when_nothing_enabled_is_pending),
        cmocka_unit_test(sie_writes_served_when_nothing_pending_becomes_enabled),
        cmocka_unit_test(sstatus_sum_switches_the_shadow_view),
        cmocka_unit_test(sstatus_write_keeps_read_only_bits),
        cmocka_unit_test(fast_hits_count_each_kind),
        cmocka_unit_test(frame_diff_finds_every_field),
        cmocka_unit_test(differential_against_vcsr),
        cmocka_unit_test(page_fault_declined_without_window_or_from_s),
        cmocka_unit_test(page_fault_declined_for_a_table_outside_ram),
        cmocka_unit_test(page_fault_differential_against_guest_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
