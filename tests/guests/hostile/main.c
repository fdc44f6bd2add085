/* A randomized hostile guest. For each of a fixed list of seeds (a small
 * PRNG below), it
 *
 *  1. system: runs random SYSTEM-opcode words (every funct3, CSR numbers
 *     from the whole 12-bit space, random rd/rs1/immediates, random
 *     register values) and some MISC-MEM ones (fence, fence.i), each alone
 *     in a generated code buffer;
 *     user: the same (but for the SYSTEM words S-mode leaves out, which
 *     are all fine from U-mode) run in U-mode;
 *  2. warl: writes random values (csrrw/s/c and their immediate forms) to
 *     every S-mode CSR lodger virtualizes, and the FP CSRs;
 *  3. paging: builds hostile Sv39/48/57 tables (PTEs pointing outside guest
 *     RAM, tables that point to themselves, reserved bits, misaligned
 *     superpages, garbage, paths to where lodger keeps its first portion),
 *     touches addresses through them from S and U mode, then goes back to
 *     Bare;
 *  4. jumps: calls wild addresses from S and U mode, Bare and Sv39;
 *
 * and, once, SBI remote fences and sfence.vma over hostile ranges (each
 * followed by a trap; before the seeds) and a trap storm (100000 ebreaks
 * in S, 100000 ecalls from U; after them).
 * Each part hashes what it saw (trap causes, stval, register and CSR values
 * afterwards, loaded values, PTEs after A/D updates) and prints one
 * "case seedN_part:" line, so that a difference names the seed and part.
 * Build with -DHOSTILE_VERBOSE=1 for one line per instruction or access,
 * to find the first item that differs.
 *
 * Everything here must give the same answer natively and under lodger, so
 * whatever legitimately differs (time, counters, implementation choices of
 * QEMU that the architecture leaves open or that QEMU gets wrong) is left
 * out or masked, each with a comment saying why. */
#include "../lib/guest.h"

#ifndef HOSTILE_VERBOSE
#define HOSTILE_VERBOSE 0
#endif
#define VLOG(...) do { if (HOSTILE_VERBOSE) gprintf(__VA_ARGS__); } while (0)

/* How many items each part runs; a guest that includes this file as a
 * library (tests/guests/fuzz) sets its own. */
#ifndef SYSTEM_PER_SEED
#define SYSTEM_PER_SEED 2000
#define USER_PER_SEED 1000
#define WARL_PER_CSR 40
#define PAGING_TRIALS 48
#define PAGING_ACCESSES 10
#define RANDOM_JUMPS 24
#endif
#define STORM 100000

static const uint64_t seeds[] = {
    0x1, 0x5eed0001, 0xdeadbeefcafe, 0x0123456789abcdef,
};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

/* ---- PRNG (xorshift64*) and the running hash ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dUL;
}
static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

/* A value with a useful shape: 0, all ones, one bit, all but one bit,
 * sparse, dense, small, or uniform. */
static uint64_t rnd_value(void)
{
    switch (rnd_below(8)) {
    case 0: return 0;
    case 1: return ~0UL;
    case 2: return 1UL << rnd_below(64);
    case 3: return ~(1UL << rnd_below(64));
    case 4: return rnd() & rnd() & rnd();
    case 5: return rnd() | rnd();
    case 6: return rnd_below(64);
    default: return rnd();
    }
}

static uint64_t hash;
static void mix(uint64_t v)
{
    hash ^= v;
    hash *= 0x100000001b3UL;
    hash ^= hash >> 29;
}

#define NO_TRAP 0xffffUL

/* ---- CSR numbers and sstatus bits ---- */

#define CSR_FFLAGS 0x001
#define CSR_FRM 0x002
#define CSR_FCSR 0x003
#define CSR_SSTATUS 0x100
#define CSR_SIE 0x104
#define CSR_STVEC 0x105
#define CSR_SCOUNTEREN 0x106
#define CSR_SENVCFG 0x10a
#define CSR_SSCRATCH 0x140
#define CSR_SEPC 0x141
#define CSR_SCAUSE 0x142
#define CSR_STVAL 0x143
#define CSR_SIP 0x144
#define CSR_SATP 0x180

#define UXL_64 (2UL << 32)
#define SATP_MODE(m) ((unsigned long)(m) << 60)

/* ---- the code buffer and its runner (stub.S) ---- */

/* CSR state before (hostile_pre: set before every instruction and again
 * after it) and right after the instruction (hostile_post). Same layout
 * as the PRE_* offsets in stub.S. */
struct csr_state {
    unsigned long sstatus, sie, sip, stvec, sscratch, sepc, scause, stval, satp, scounteren,
        senvcfg, fcsr;
};
extern struct csr_state hostile_pre, hostile_post;
extern char codebuf_back[];
void run_codebuf(unsigned long *regs);
void hostile_jump(unsigned long target);
void hostile_sret(unsigned long target, unsigned long status);
unsigned long hostile_ld(unsigned long va, unsigned long marker);
unsigned long hostile_lw(unsigned long va, unsigned long marker);
unsigned long hostile_sd(unsigned long va, unsigned long marker, unsigned long value);
unsigned long hostile_amo(unsigned long va, unsigned long marker, unsigned long addend);
unsigned long hostile_lrsc(unsigned long va, unsigned long marker);
void storm_user(long n);
extern char jump_pad[], user_code_page[], user_result_page[];
extern char u_load[], u_store[], u_amo[], u_fetch[];

/* x1..x31 in, x1..x31 out; [32] is where the buffer jumps back to
 * (S-mode) or the stack pointer for its closing ecall (U-mode). */
static unsigned long regs[33];
/* addi, 30 loads, the instruction, 30 stores, ld + jalr back (or ld sp +
 * ecall). */
#define INSN_SLOT 31
uint32_t codebuf[72] __attribute__((aligned(64)));
/* The stack for a trap taken by the instruction under test: sp is a
 * register like any other there, but the trap handler pushes onto it.
 * 64 KiB aligned, so its top has bits 4-7 and 9-10 clear (see sanitize). */
static unsigned char scratch_stack[8192] __attribute__((aligned(65536)));
#define SCRATCH_TOP ((unsigned long)scratch_stack + sizeof(scratch_stack))

static uint32_t enc_i(unsigned opc, unsigned f3, unsigned rd, unsigned rs1, int imm)
{
    return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
static uint32_t enc_s(unsigned opc, unsigned f3, unsigned rs1, unsigned rs2, int imm)
{
    return (uint32_t)((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           (uint32_t)(imm & 0x1f) << 7 | opc;
}

/* The buffer: base register B <- a0 (regs), x1..x31 but B loaded from
 * regs, the instruction, x1..x31 but B stored back, then back to
 * codebuf_back through regs[32] (S-mode), or an ecall that ends the run
 * (U-mode). B is chosen so that the instruction neither reads nor writes
 * it. */
static void gen_code(uint32_t insn, unsigned b, bool user)
{
    uint32_t *p = codebuf;
    *p++ = enc_i(0x13, 0, b, 10, 0);
    for (unsigned r = 1; r < 32; r++)
        if (r != b)
            *p++ = enc_i(0x03, 3, r, b, 8 * (int)r);
    *p++ = insn;
    for (unsigned r = 1; r < 32; r++)
        if (r != b)
            *p++ = enc_s(0x23, 3, b, r, 8 * (int)r);
    if (user) {
        /* The word may have set sp (kept in regs above): the trap handler
         * needs a stack for the ecall. */
        *p++ = enc_i(0x03, 3, 2, b, 8 * 32);
        *p++ = 0x00000073;      /* ecall */
    } else {
        unsigned t = b == 5 ? 6 : 5;
        *p++ = enc_i(0x03, 3, t, b, 8 * 32);
        *p++ = enc_i(0x67, 0, 0, t, 0);
    }
    __asm__ volatile("fence.i" ::: "memory");
}

/* The harness's CSR state for a seed: interrupts off (SIE=0, sie=0, no
 * software interrupt pending), FP on (Dirty: an FP CSR write cannot change
 * FS then), its own trap vector, translation off; the rest random. */
static void default_pre(void)
{
    hostile_pre.sstatus = SSTATUS_FS | UXL_64 |
                          (rnd() & (SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR));
    hostile_pre.sie = 0;
    hostile_pre.sip = 0;
    hostile_pre.stvec = (unsigned long)guest_trap_vector;
    hostile_pre.sscratch = rnd();
    hostile_pre.sepc = rnd() & ~1UL;
    hostile_pre.scause = rnd();
    hostile_pre.stval = rnd();
    hostile_pre.satp = 0;
    hostile_pre.scounteren = rnd() & 0xffffffffUL;
    hostile_pre.senvcfg = rnd() & 1;
    hostile_pre.fcsr = rnd() & 0xff;
}

static bool is_reg_form(unsigned f3) { return f3 == 1 || f3 == 2 || f3 == 3; }

/* Bits of a value written to a CSR that are kept out of what this guest
 * writes, because QEMU 7.2 (native) and lodger legitimately differ there:
 *  - sstatus.VS: QEMU lets S-mode write VS although the hart has no V (the
 *    spec allows either); lodger keeps it 0 as it hides V.
 *  - sstatus.UXL: QEMU 7.2 takes any UXL value written (even 3, reserved)
 *    although it runs U-mode only at 64 bits; lodger keeps 2 (XLEN 64).
 *  - sepc bit 0: always 0 (IALIGN 16), QEMU 7.2 keeps it (QEMU bug).
 *  - scounteren bits 63:32: scounteren is a 32-bit register; QEMU 7.2
 *    keeps 64 bits (QEMU bug).
 *  - senvcfg CBIE/CBCFE/CBZE (bits 4-7): QEMU 7.2 has Zicbom/Zicboz;
 *    lodger does not offer them (not in its guest DT), so they read 0.
 * A csrrw/csrrwi of sstatus writes UXL as well: it writes 2 there. */
static unsigned long warl_excluded_bits(unsigned csr)
{
    switch (csr) {
    case CSR_SSTATUS: return SSTATUS_VS | SSTATUS_UXL;
    case CSR_SEPC: return 1;
    case CSR_SCOUNTEREN: return ~0xffffffffUL;
    case CSR_SENVCFG: return 0xf0;
    default: return 0;
    }
}

static bool is_counter(unsigned csr)
{
    return (csr >= 0xc00 && csr <= 0xc1f) || (csr >= 0xc80 && csr <= 0xc9f);
}

/* Makes the value a CSR instruction writes free of the bits above. */
static void sanitize_csr_write(uint32_t *insn, unsigned b)
{
    unsigned csr = *insn >> 20, f3 = (*insn >> 12) & 7, rs1 = (*insn >> 15) & 31;
    unsigned long bits = warl_excluded_bits(csr);
    /* csrrs/csrrc with rs1 != x0 is a write whatever the register holds
     * (Zicsr: it "will still attempt to write the unmodified value back"),
     * so on a read-only counter it is an illegal instruction. QEMU 7.2
     * decides by the register's value instead: with a zero value it reads
     * the counter (time, cycle: values that move), natively and (the
     * guest's U-mode instruction on the same QEMU) under lodger. The value
     * is made non-zero so that both trap. */
    if (is_counter(csr) && (f3 == 2 || f3 == 3) && rs1 != 0 && regs[rs1] == 0)
        regs[rs1] = 1;
    if (!bits || f3 == 3 || f3 == 7)
        return;     /* nothing to keep out, or a clear (clears never set) */
    if (!is_reg_form(f3)) {
        rs1 &= ~(unsigned)bits;
        *insn = (*insn & ~(31U << 15)) | rs1 << 15;
        return;
    }
    if (rs1 == 0)
        return;
    if (rs1 == 2 || rs1 == b) {
        /* sp's value is not ours to change: use another register. */
        do
            rs1 = 5 + rnd_below(27);
        while (rs1 == b);
        *insn = (*insn & ~(31U << 15)) | rs1 << 15;
    }
    regs[rs1] &= ~bits;
    if (csr == CSR_SSTATUS && f3 == 1)
        regs[rs1] |= UXL_64;
}

/* CSR instructions left out of part 1, and why. writes: whether the
 * instruction writes the CSR (csrrs/csrrc with rs1=x0 or uimm=0 do not);
 * user: run in U-mode. */
static bool csr_excluded(unsigned csr, bool writes, bool user)
{
    /* cycle, time, instret, hpmcounter3-31 and (RV32) their h halves: their
     * values move on their own and differ under lodger (time runs while
     * lodger works; lodger offers no hpmcounters). A write traps
     * (read-only) before anything is read, so writes stay in. */
    if (is_counter(csr) && !writes)
        return true;
    /* stimecmp(h): Sstc. Natively present (QEMU 7.2), and its value is a
     * deadline in time, not ours to compare. */
    if (csr == 0x14d || csr == 0x15d)
        return true;
    /* Hypervisor and VS CSRs: the hart has no H, but QEMU 7.2 still lets
     * S-mode reach some of them (htimedelta 0x605 reads natively). */
    if ((csr >= 0x200 && csr <= 0x2ff) || (csr >= 0x600 && csr <= 0x6ff) ||
        (csr >= 0xa00 && csr <= 0xaff) || (csr >= 0xe00 && csr <= 0xeff))
        return true;
    /* Vector CSRs (vstart, vxsat, vxrm, vcsr, vl, vtype, vlenb): present or
     * not depending on the host, and lodger hides V. */
    if ((csr >= 0x008 && csr <= 0x00f) || (csr >= 0xc20 && csr <= 0xc22))
        return true;
    /* seed (Zkr): random by definition where implemented. */
    if (csr == 0x015)
        return true;
    /* satp: a write would switch to an address space that does not map this
     * code; part 2 writes satp with values it controls. (From U-mode it is
     * an illegal instruction, so it stays.) */
    if (csr == CSR_SATP && writes && !user)
        return true;
    return false;
}

/* SYSTEM words with funct3 = 0 left out of part 1 in S-mode (exact
 * encodings; any other bits set in rd/rs1/rs2 make them reserved
 * encodings, which stay). From U-mode all of them stay: an ecall ends the
 * run, the others are illegal instructions there. */
static bool priv_excluded(uint32_t insn, bool user)
{
    if (user)
        return false;
    switch (insn) {
    case 0x00000073:    /* ecall: an SBI call with random a0-a7 (could shut down) */
    case 0x10200073:    /* sret: control flow (to a random sepc) */
    case 0x30200073:    /* mret: control flow (illegal in S, as csr_illegal checks) */
    case 0x7b200073:    /* dret: control flow (illegal outside debug mode) */
    case 0x10500073:    /* wfi: may sleep until an interrupt that never comes
                           (part_system runs it with one pending) */
        return true;
    default:
        return false;
    }
}

/* A CSR number: now and then sstatus/sie/sip (the interrupt ones), half
 * the time near one that exists, else any of 4096. */
static unsigned rnd_csr(void)
{
    static const uint16_t near[] = {
        0x001, 0x002, 0x003, 0x100, 0x104, 0x105, 0x106, 0x10a, 0x10c, 0x140, 0x141, 0x142,
        0x143, 0x144, 0x150, 0x151, 0x180, 0x5a8, 0xda0, 0x300, 0x302, 0x303, 0x304, 0x305,
        0x306, 0x30a, 0x340, 0x341, 0x342, 0x343, 0x344, 0x3a0, 0x3b0, 0x7a0, 0x7a1, 0x7b0,
        0x7b1, 0xb00, 0xb02, 0xf11, 0xf12, 0xf13, 0xf14, 0xf15, 0x320, 0x323, 0x5c0, 0x800,
        0x9c0, 0xcc0, 0xdc0, 0xfc0, 0x7c0, 0x017, 0x040, 0x041, 0x044, 0x000, 0x004, 0x005,
    };
    static const uint16_t hot[] = { CSR_SSTATUS, CSR_SIE, CSR_SIP };
    if (rnd_below(8) == 0)
        return hot[rnd_below(3)];
    if (rnd_below(2))
        return (near[rnd_below(sizeof(near) / sizeof(near[0]))] + rnd_below(3) - 1) & 0xfff;
    return rnd_below(4096);
}

/* funct7 values of the privileged (funct3 0) and hypervisor load/store
 * (funct3 4) encodings, to hit near-valid words more often than chance. */
static const uint8_t f7_priv[] = { 0x00, 0x08, 0x09, 0x0b, 0x0c, 0x11, 0x13, 0x18, 0x31,
                                   0x33, 0x3d, 0x10, 0x20 };
static const uint8_t f7_hlsv[] = { 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x20, 0x40,
                                   0x41, 0x43 };

/* A MISC-MEM word: fence with random fm/pred/succ and reserved fields,
 * fence.i with random reserved fields, or a reserved funct3 (3-7: illegal).
 * Not funct3 2 (cbo.*): QEMU 7.2 has Zicbom/Zicboz, lodger does not offer
 * them. */
static uint32_t rnd_misc_mem(void)
{
    static const uint8_t f3s[] = { 0, 0, 1, 1, 3, 4, 5, 6, 7 };
    return (uint32_t)(rnd() & 0xfff) << 20 | rnd_below(32) << 15 |
           (uint32_t)f3s[rnd_below(sizeof(f3s))] << 12 | rnd_below(32) << 7 | 0x0f;
}

static bool is_csr_insn(uint32_t insn)
{
    unsigned f3 = (insn >> 12) & 7;
    return (insn & 0x7f) == 0x73 && f3 != 0 && f3 != 4;
}

static uint32_t rnd_system(bool user)
{
    if (rnd_below(16) == 0)
        return rnd_misc_mem();
    for (;;) {
        unsigned f3 = rnd_below(8), rd = rnd_below(32), rs1 = rnd_below(32), top;
        if (f3 == 0 || f3 == 4) {
            const uint8_t *f7 = f3 == 0 ? f7_priv : f7_hlsv;
            unsigned n = f3 == 0 ? sizeof(f7_priv) : sizeof(f7_hlsv);
            top = rnd_below(3) ? (unsigned)f7[rnd_below(n)] << 5 | rnd_below(32) : rnd_below(4096);
            if (rnd_below(3) == 0)
                rd = 0;
            if (rnd_below(3) == 0)
                rs1 = 0;
        } else {
            top = rnd_csr();
            if (rnd_below(4) == 0)
                rd = 0;
            if (rnd_below(4) == 0)
                rs1 = 0;
        }
        uint32_t insn = top << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73;
        if (f3 == 0 || f3 == 4) {
            if (f3 == 0 && priv_excluded(insn, user))
                continue;
            return insn;
        }
        bool writes = f3 == 1 || f3 == 5 || rs1 != 0;
        if (!csr_excluded(top, writes, user))
            return insn;
    }
}

/* Registers the word uses (rd, rs1, and rs2 for funct3 0, e.g. sfence.vma's
 * ASID): the base register must be none of these, nor x0 or sp. */
static unsigned pick_base(uint32_t insn)
{
    unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
    for (;;) {
        unsigned b = 5 + rnd_below(27);
        if (b != rd && b != rs1 && b != rs2)
            return b;
    }
}

static int items_trapped;

/* Runs one word with random registers; hashes the trap (if any), every
 * register and every harness CSR after it. */
static void run_word(uint32_t insn, const unsigned long *preset, unsigned preset_reg)
{
    unsigned b = pick_base(insn);
    for (unsigned r = 1; r < 32; r++)
        regs[r] = rnd_value();
    regs[2] = SCRATCH_TOP;
    if (preset)
        regs[preset_reg] = *preset;
    if (is_csr_insn(insn))
        sanitize_csr_write(&insn, b);
    regs[b] = (unsigned long)regs;
    regs[32] = (unsigned long)codebuf_back;
    gen_code(insn, b, false);
    /* names the word if it hangs */
    VLOG("v next 0x%08x b=x%u satp=0x%lx stvec=0x%lx sie=0x%lx sip=0x%lx\n", (unsigned)insn, b,
         hostile_pre.satp, hostile_pre.stvec, hostile_pre.sie, hostile_pre.sip);

    int before = last_trap.count;
    run_codebuf(regs);
    int traps = last_trap.count - before;
    bool trapped = traps != 0;
    unsigned long cause = trapped ? last_trap.scause : NO_TRAP;
    unsigned long tval = trapped ? last_trap.stval : 0;
    items_trapped += trapped;
    mix(insn);
    mix((unsigned long)traps);
    mix((unsigned long)(trapped ? trap_last_slot : 99));
    mix(cause);
    mix(tval);
    mix(trapped ? last_trap.sepc - (unsigned long)codebuf : 0);
    for (unsigned r = 1; r < 32; r++)
        mix(regs[r]);
    const unsigned long *post = &hostile_post.sstatus;
    for (unsigned i = 0; i < sizeof(hostile_post) / sizeof(long); i++)
        mix(post[i]);
    unsigned rd = (insn >> 7) & 31;
    VLOG("v insn 0x%08x b=x%u traps=%d cause=0x%lx stval=0x%lx rd=x%u:0x%lx sstatus=0x%lx "
         "sie=0x%lx sip=0x%lx stvec=0x%lx sepc=0x%lx scounteren=0x%lx senvcfg=0x%lx satp=0x%lx "
         "fcsr=0x%lx\n",
         (unsigned)insn, b, traps, cause, tval, rd, regs[rd], hostile_post.sstatus,
         hostile_post.sie,
         hostile_post.sip, hostile_post.stvec, hostile_post.sepc, hostile_post.scounteren,
         hostile_post.senvcfg, hostile_post.satp, hostile_post.fcsr);
}

/* ---- part 1: random SYSTEM words ---- */

/* Identity tables for Sv39/48/57 (the guest's gigapage at 0x80000000), for
 * translation on without losing this code (parts 1 and 2). */
static unsigned long id39[512] __attribute__((aligned(4096)));
static unsigned long id48[512] __attribute__((aligned(4096)));
static unsigned long id57[512] __attribute__((aligned(4096)));

/* Each word runs from a varied harness state: translation off or on
 * (identity Sv39/48/57 tables, random ASID), and a software interrupt half
 * way to being taken: pending and/or enabled in sie with SIE=0, or SIE=1
 * with it either pending or enabled, so that a word that sets the missing
 * bit (sstatus.SIE, sie.SSIE or sip.SSIP) takes it right after itself (not
 * when the word writes sp, which the trap handler needs). stvec stays direct: natively the firmware
 * (OpenSBI 1.1) takes the exceptions it does not delegate (illegal
 * instruction, access faults, misaligned) and redirects them to stvec
 * with its MODE bits, so in vectored mode to base + 1: a trap loop. */
static void part_system(void)
{
    struct csr_state saved = hostile_pre;
    for (int i = 0; i < SYSTEM_PER_SEED; i++) {
        hostile_pre = saved;
        unsigned long asid = (rnd() & 0xffff) << 44;
        switch (rnd_below(6)) {
        case 0: hostile_pre.satp = SATP_MODE(8) | asid | (unsigned long)id39 >> 12; break;
        case 1: hostile_pre.satp = SATP_MODE(9) | asid | (unsigned long)id48 >> 12; break;
        case 2: hostile_pre.satp = SATP_MODE(10) | asid | (unsigned long)id57 >> 12; break;
        default: break;
        }
        switch (rnd_below(4)) {
        case 0:
            hostile_pre.sstatus |= SSTATUS_SIE;
            hostile_pre.sie = SIP_SSIP;
            break;
        case 1:
            hostile_pre.sstatus |= SSTATUS_SIE;
            hostile_pre.sip = SIP_SSIP;
            break;
        default:
            if (rnd_below(2))
                hostile_pre.sie = SIP_SSIP;
            if (rnd_below(2))
                hostile_pre.sip = SIP_SSIP;
            break;
        }
        uint32_t insn = rnd_system(false);
        if (((insn >> 7) & 31) == 2) {
            hostile_pre.sie = 0;
            hostile_pre.sip = 0;
        }
        /* Now and then a wfi, only with an interrupt pending and enabled
         * in sie (SIE=0): it must not wait, and takes nothing. */
        if (rnd_below(64) == 0) {
            insn = 0x10500073;
            hostile_pre.sstatus &= ~SSTATUS_SIE;
            hostile_pre.sie = hostile_pre.sip = SIP_SSIP;
        }
        mix(hostile_pre.satp);
        mix(hostile_pre.stvec);
        mix(hostile_pre.sie | hostile_pre.sip << 32 | (hostile_pre.sstatus & SSTATUS_SIE) << 40);
        run_word(insn, NULL, 0);
    }
    hostile_pre = saved;
    csr_write(sie, 0);
    csr_write(sip, 0);
    csr_write(satp, 0);
}

/* The same from U-mode: the buffer runs with run_user and ends with an
 * ecall; a trap the word takes is skipped (user_trap_continue), the ecall
 * ends the run (user_hook). Only fcsr of the CSRs can change in U-mode. */
static volatile unsigned long user_word_cause, user_word_tval;

static void user_hook(void)
{
    if (last_trap.sstatus & SSTATUS_SPP)
        return;
    if (last_trap.sepc == (unsigned long)&codebuf[INSN_SLOT]) {
        user_word_cause = last_trap.scause;
        user_word_tval = last_trap.stval;
    }
    if (last_trap.scause == 8)
        user_trap_continue = 0;
}

static void run_word_user(uint32_t insn)
{
    unsigned b = pick_base(insn);
    for (unsigned r = 1; r < 32; r++)
        regs[r] = rnd_value();
    regs[2] = SCRATCH_TOP;
    if (is_csr_insn(insn))
        sanitize_csr_write(&insn, b);
    regs[b] = (unsigned long)regs;
    regs[32] = SCRATCH_TOP;
    gen_code(insn, b, true);
    csr_write(fcsr, hostile_pre.fcsr);
    VLOG("v next 0x%08x\n", (unsigned)insn);   /* names the word if it hangs */

    user_word_cause = NO_TRAP;
    user_word_tval = 0;
    int before = last_trap.count;
    trap_hook = user_hook;
    user_trap_continue = 1;
    long end = run_user((void (*)(long))(uintptr_t)codebuf, (long)regs);
    trap_hook = NULL;
    user_trap_continue = 0;
    int traps = last_trap.count - before;
    unsigned long fcsr = csr_read(fcsr);
    items_trapped += user_word_cause != NO_TRAP;
    mix(insn);
    mix((unsigned long)traps);
    mix((unsigned long)end);
    mix(user_word_cause);
    mix(user_word_tval);
    for (unsigned r = 1; r < 32; r++)
        mix(regs[r]);
    mix(fcsr);
    unsigned rd = (insn >> 7) & 31;
    VLOG("v uinsn 0x%08x b=x%u traps=%d end=%ld cause=0x%lx stval=0x%lx rd=x%u:0x%lx fcsr=0x%lx\n",
         (unsigned)insn, b, traps, end, user_word_cause, user_word_tval, rd, regs[rd], fcsr);
}

static void part_user(void)
{
    for (int i = 0; i < USER_PER_SEED; i++)
        run_word_user(rnd_system(true));
}

/* ---- part 2: WARL of the virtualized CSRs ---- */


#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE(pa, flags) ((((unsigned long)(pa)) >> 12) << 10 | (flags))
#define PTE_PPN(pte) (((pte) >> 10) & ((1UL << 44) - 1))
#define PTE_RESERVED (0x3ffUL << 54)

static void build_user_chain(void);
static void build_identity(void)
{
    id39[2] = PTE(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    id48[0] = PTE(id39, PTE_V);
    id57[0] = PTE(id48, PTE_V);
    build_user_chain();
}

static unsigned long rnd_satp_value(void)
{
    unsigned long asid = (rnd() & 0xffff) << 44;
    switch (rnd_below(5)) {
    case 0: return 0;
    case 1: return SATP_MODE(8) | asid | (unsigned long)id39 >> 12;
    case 2: return SATP_MODE(9) | asid | (unsigned long)id48 >> 12;
    case 3: return SATP_MODE(10) | asid | (unsigned long)id57 >> 12;
    default: {
        /* A mode nothing implements (1-7, 11-15): the whole write is
         * ignored (privileged spec 4.1.11), whatever the other fields. */
        static const uint8_t bad[] = { 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15 };
        return SATP_MODE(bad[rnd_below(sizeof(bad))]) | (rnd() & ((1UL << 60) - 1));
    }
    }
}

static void part_warl(void)
{
    static const uint16_t csrs[] = {
        CSR_SSTATUS, CSR_SIE, CSR_SIP, CSR_STVEC, CSR_SSCRATCH, CSR_SEPC, CSR_SCAUSE,
        CSR_STVAL, CSR_SCOUNTEREN, CSR_SENVCFG, CSR_FFLAGS, CSR_FRM, CSR_FCSR, CSR_SATP,
    };
    for (unsigned c = 0; c < sizeof(csrs) / sizeof(csrs[0]); c++) {
        unsigned csr = csrs[c];
        for (int i = 0; i < WARL_PER_CSR; i++) {
            unsigned rd = 1 + rnd_below(31), rs1 = 1 + rnd_below(31);
            if (rd == 2)
                rd = 0;
            if (csr == CSR_SATP) {
                /* csrrw only, from a register other than sp, with values
                 * that keep this code mapped (or change nothing). */
                if (rs1 == 2)
                    rs1 = 3;
                unsigned long v = rnd_satp_value();
                run_word((unsigned)csr << 20 | rs1 << 15 | 1 << 12 | rd << 7 | 0x73, &v, rs1);
                continue;
            }
            static const uint8_t ops[] = { 1, 2, 3, 5, 6, 7 };
            unsigned f3 = ops[rnd_below(6)];
            if (is_reg_form(f3) && rs1 == 2)
                rs1 = 0;
            unsigned long v = rnd_value();
            run_word((unsigned)csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73,
                     rs1 ? &v : NULL, rs1);
        }
    }
}

/* ---- part 3: hostile page tables ---- */

/* Tables the hostile trials fill: root, two level-1 and two level-0
 * tables. root[2] is the guest's own identity gigapage (never touched);
 * root[3] leads to the user pages at 0xc0000000 (code) and 0xc0001000
 * (results). Data pages: the first half of each but its first word is
 * c.ebreak parcels (a fetch that gets there traps at once), the rest
 * distinct words with bit 0 clear (read as a PTE they are invalid); stores
 * keep off the c.ebreak parts. */
static unsigned long root[512] __attribute__((aligned(4096)));
static unsigned long l1a[512] __attribute__((aligned(4096)));
static unsigned long l1b[512] __attribute__((aligned(4096)));
static unsigned long l0a[512] __attribute__((aligned(4096)));
static unsigned long l0b[512] __attribute__((aligned(4096)));
static unsigned long ul1[512] __attribute__((aligned(4096)));
static unsigned long ul0[512] __attribute__((aligned(4096)));
static unsigned long dpage[4][512] __attribute__((aligned(4096)));

#define USER_VA 0xc0000000UL
static unsigned long *const hostile_tables[] = { root, l1a, l1b, l0a, l0b };
#define NHOSTILE (sizeof(hostile_tables) / sizeof(hostile_tables[0]))

static bool in_page(unsigned long pa, const void *page)
{
    return pa - (unsigned long)page < 4096;
}
static bool in_dpage(unsigned long pa)
{
    return pa - (unsigned long)dpage < sizeof(dpage);
}
static bool in_ebreak_half(unsigned long pa)
{
    return in_dpage(pa) && (pa & 4095) >= 8 && (pa & 4095) < 2048;
}
/* An even offset into a data page's c.ebreak half. */
static unsigned long ebreak_off(void) { return 8 + (rnd() & 0x7f6); }
static bool in_table(unsigned long pa)
{
    for (unsigned i = 0; i < NHOSTILE; i++)
        if (in_page(pa, hostile_tables[i]))
            return true;
    return in_page(pa, ul1) || in_page(pa, ul0) || in_page(pa, id39) || in_page(pa, id48);
}
/* Physical addresses where nothing answers, natively (QEMU virt, 128 MiB)
 * and under lodger: every access there is an access fault. Device windows,
 * the firmware's RAM below 0x80200000 (PMP-protected natively, guest RAM
 * under lodger) and RAM this guest does not own are never touched. */
static bool unassigned(unsigned long pa)
{
    return pa < 0x1000 || (pa >= 0x88000000UL && pa < 0xc0000000UL) ||
           (pa >= 0x100000000000UL && pa < 0x100040000000UL) ||
           (pa >= 0xffffffc0000000UL && pa < 0x100000000000000UL);
}

/* Levels of the trial's tables: 3 (Sv39), 4 (Sv48) or 5 (Sv57). */
static int levels = 3;

static unsigned long sign_extend(unsigned long va, int bits)
{
    return (unsigned long)((long)(va << (64 - bits)) >> (64 - bits));
}
static bool canonical(unsigned long va) { return sign_extend(va, 12 + 9 * levels) == va; }

enum walk_result { WALK_FAULT, WALK_LEAF, WALK_UNSAFE };
struct walk_info {
    unsigned long pa;           /* WALK_LEAF: where the access goes */
    unsigned long *leaf;        /* WALK_LEAF: the leaf PTE */
    /* The walk reads a PTE from where nothing answers: an access fault
     * (privileged spec 4.3.2 step 2, a PMA violation); QEMU 7.2 raises a
     * page fault instead. */
    bool vacant;
    /* The walk passes a pointer PTE with D, A or U set: reserved in
     * non-leaf PTEs (4.3.1), so a page fault (step 3, as lodger does);
     * QEMU 7.2 ignores them and walks on. */
    bool reserved_nonleaf;
};

/* A software Sv39/48/57 walk as QEMU 7.2 does it (bits 63:54 set fault: it has
 * no Svpbmt/Svnapot), permissions left out, noting where the architecture
 * says otherwise (see struct walk_info). Only used to keep this guest's
 * accesses to memory it owns or to places where nothing answers, and to
 * know which results QEMU gets wrong; what the hart reports is hashed. */
static enum walk_result walk(unsigned long va, struct walk_info *w)
{
    w->vacant = w->reserved_nonleaf = false;
    if (!canonical(va))
        return WALK_FAULT;
    unsigned long table = (unsigned long)root;
    for (int level = levels - 1; level >= 0; level--) {
        unsigned long pte_pa = table + ((va >> (12 + 9 * level)) & 511) * 8;
        if (unassigned(pte_pa)) {
            w->vacant = true;
            return WALK_FAULT;
        }
        if (!in_table(pte_pa) && !in_dpage(pte_pa))
            return WALK_UNSAFE;
        unsigned long pte = *(volatile unsigned long *)pte_pa;
        if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) || (pte & PTE_RESERVED))
            return WALK_FAULT;
        unsigned long ppn = PTE_PPN(pte);
        if (pte & (PTE_R | PTE_X)) {
            if (level > 0 && (ppn & ((1UL << (9 * level)) - 1)))
                return WALK_FAULT;      /* misaligned superpage */
            w->pa = (ppn << 12) | (va & ((1UL << (12 + 9 * level)) - 1));
            w->leaf = (unsigned long *)pte_pa;
            return WALK_LEAF;
        }
        if (level == 0)
            return WALK_FAULT;
        if (pte & (PTE_D | PTE_A | PTE_U))
            w->reserved_nonleaf = true;
        table = ppn << 12;
    }
    return WALK_FAULT;
}

/* A physical address for a PTE to point at: a hostile table, a data page,
 * the aligned bases of guest RAM and of this image (for superpages), and
 * places where nothing is; now and then any 44-bit PPN at all. A leaf
 * (leafish) points at a data page more often. */
static unsigned long rnd_target(bool leafish)
{
    if (leafish && rnd_below(2))
        return (unsigned long)dpage[rnd_below(4)];
    switch (rnd_below(16)) {
    case 0: return (unsigned long)root;
    case 1: return (unsigned long)l1a;
    case 2: return (unsigned long)l1b;
    case 3: return (unsigned long)l0a;
    case 4: return (unsigned long)l0b;
    case 5: case 6: case 7: return (unsigned long)dpage[rnd_below(4)];
    case 8: return 0x80000000UL;
    case 9: return 0x80200000UL;
    case 10: return 0;
    case 11: return 0x88000000UL;
    case 12: return 0x100000000000UL;
    case 13: return 0xffffffc0000000UL;
    case 14: return 0xfffffffffff000UL;
    default: return (rnd() & ((1UL << 44) - 1)) << 12;
    }
}

/* A hostile PTE: a pointer to a next level, a leaf with all rights, random
 * flags (RSW included), or V plus random rights; now and then with some of
 * bits 63:54 (reserved without Svpbmt/Svnapot) set. leafish: mostly
 * leaves. */
static unsigned long rnd_pte(bool leafish)
{
    unsigned r = leafish ? rnd_below(8) : rnd_below(5);
    unsigned long flags;
    if (leafish ? r == 0 : r < 2)
        flags = PTE_V;
    else if (leafish ? r == 1 : r == 2)
        flags = rnd() & 0x3ff;
    else if (leafish ? r < 6 : r == 3)
        flags = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | (rnd() & (PTE_U | PTE_G));
    else
        flags = PTE_V | (rnd() & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D | 0x300));
    unsigned long pte = PTE(rnd_target(leafish), flags);
    if (rnd_below(8) == 0)
        pte |= rnd() & PTE_RESERVED;
    return pte;
}

static unsigned rnd_slot(void)
{
    static const uint16_t slots[] = { 0, 1, 4, 255, 256, 257, 510, 511 };
    return rnd_below(2) ? slots[rnd_below(sizeof(slots) / sizeof(slots[0]))] : rnd_below(512);
}

/* The address with index idx[l] at level l, sign-extended for the mode. */
static unsigned long make_va(const unsigned *idx, unsigned long off)
{
    unsigned long va = off;
    for (int l = 0; l < levels; l++)
        va |= (unsigned long)idx[l] << (12 + 9 * l);
    return sign_extend(va, 12 + 9 * levels);
}

static void va_indices(unsigned long va, unsigned *idx)
{
    for (int l = 0; l < 5; l++)
        idx[l] = (va >> (12 + 9 * l)) & 511;
}

static void sfence(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

/* The user pages at USER_VA, reached through slot 3 of a level-2 table:
 * the Sv39 root, or id39 (which Sv48/Sv57 roots reach through slot 0). */
static void build_user_chain(void)
{
    ul1[0] = PTE(ul0, PTE_V);
    ul0[0] = PTE(user_code_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    ul0[1] = PTE(user_result_page, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    id39[3] = PTE(ul1, PTE_V);
}

/* Root slots the trials leave alone: what maps this guest's own code, data
 * and user pages. */
static bool root_slot_reserved(unsigned i)
{
    return levels == 3 ? i == 2 || i == 3 : i == 0;
}

static void reset_tables(void)
{
    for (unsigned t = 0; t < NHOSTILE; t++)
        for (int i = 0; i < 512; i++)
            hostile_tables[t][i] = 0;
    if (levels == 3) {
        root[2] = id39[2];
        root[3] = id39[3];
    } else {
        root[0] = PTE(levels == 4 ? id39 : id48, PTE_V);
    }
}

static void fill_dpages(void)
{
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < 512; i++)
            dpage[p][i] = i > 0 && i < 256 ? 0x9002900290029002UL
                                  : 0x5a5a000000000000UL | (unsigned long)p << 32 | i * 16UL;
}

/* LDX, SDX: a misaligned ld/sd that crosses into the next page. */
enum access { ACC_LD, ACC_LW, ACC_SD, ACC_AMO, ACC_LRSC, ACC_FETCH, ACC_ULD, ACC_USD,
              ACC_UAMO, ACC_UFETCH, ACC_LDX, ACC_SDX, ACC_KINDS };
static const char *const access_names[] = { "ld", "lw", "sd", "amo", "lrsc", "fetch", "uld",
                                            "usd", "uamo", "ufetch", "ldx", "sdx" };

static bool access_writes(enum access k)
{
    return k == ACC_SD || k == ACC_AMO || k == ACC_USD || k == ACC_UAMO || k == ACC_SDX;
}
static bool access_fetches(enum access k) { return k == ACC_FETCH || k == ACC_UFETCH; }

/* Whether the access may be made: where the walk ends must be memory this
 * guest owns and may use that way, or a place where nothing answers. A
 * store may hit the hostile level-1/level-0 tables (making new mappings
 * out of whatever is stored), never root or the user chain. */
static struct walk_info access_info;
static bool access_safe(enum access k, unsigned long va)
{
    struct walk_info *w = &access_info;
    enum walk_result r = walk(va, w);
    if (r == WALK_UNSAFE)
        return false;
    /* Where QEMU walks on and lodger faults, only reads: what they do is
     * not hashed, and the leaf's A bit is put back afterwards. */
    if (w->reserved_nonleaf && access_writes(k))
        return false;
    if (r == WALK_FAULT || unassigned(w->pa))
        return true;
    if (access_fetches(k))
        return in_ebreak_half(w->pa);
    /* Stores keep off the c.ebreak halves, so that a fetch there traps. */
    if (access_writes(k))
        return (in_dpage(w->pa) && !in_ebreak_half(w->pa)) || in_page(w->pa, l1a) ||
               in_page(w->pa, l1b) || in_page(w->pa, l0a) || in_page(w->pa, l0b);
    return in_dpage(w->pa) || in_table(w->pa);
}

/* If the walk ends in a leaf over a data page, moves va's page offset bits
 * (up to the leaf's size) so that it lands in one: superpages over guest
 * RAM are aimed at memory this guest owns. */
static unsigned long aim(unsigned long va)
{
    struct walk_info w;
    if (walk(va, &w) != WALK_LEAF || in_dpage(w.pa))
        return va;
    for (unsigned long size = 1UL << (12 + 9 * (levels - 1)); size >= 4096; size >>= 9) {
        unsigned long base = w.pa - (va & (size - 1));
        unsigned long dp = (unsigned long)dpage[rnd_below(4)] + (rnd() & 0xff8);
        if (dp >= base && dp - base < size) {
            unsigned long cand = (va & ~(size - 1)) | (dp - base);
            struct walk_info got;
            if (walk(cand, &got) == WALK_LEAF && got.pa == dp)
                return cand;
        }
    }
    return va;
}

/* A user stub, where U-mode runs it: at USER_VA when paged, else in place. */
static void (*user_fn(const char *stub, bool paged))(long)
{
    unsigned long off = (unsigned long)stub - (unsigned long)user_code_page;
    return (void (*)(long))(paged ? USER_VA + off : (unsigned long)stub);
}

static int accesses_made, accesses_skipped;

/* An access fault's page-fault twin (fetch, load, store/AMO). */
static unsigned long as_page_fault(unsigned long cause)
{
    return cause == 1 ? 12 : cause == 5 ? 13 : cause == 7 ? 15 : cause;
}

/* One access; hashes kind, va, trap and value. w: the software walk of va
 * when translation is on (see struct walk_info), else NULL. */
static void do_access(enum access k, unsigned long va, bool paged, const struct walk_info *w)
{
    unsigned long *leaf = w && w->reserved_nonleaf && !w->vacant ? w->leaf : NULL;
    unsigned long leaf_before = leaf ? *leaf : 0;
    const unsigned long marker = 0x6d61726b6572UL;
    unsigned long value = marker;
    unsigned long store = 0x1111111111111111UL * (1 + rnd_below(15)) & ~1UL;
    int before = last_trap.count;
    long ucause = -1;
    volatile unsigned long *result = (volatile unsigned long *)user_result_page;
    *result = marker;
    switch (k) {
    case ACC_LD: case ACC_LDX: value = hostile_ld(va, marker); break;
    case ACC_SDX: hostile_sd(va, marker, store); break;
    case ACC_LW: value = hostile_lw(va & ~3UL, marker); break;
    case ACC_SD:
        /* Into a hostile table: a PTE, so that the next walks use it. */
        hostile_sd(va, marker, rnd_below(2) ? rnd_pte(rnd_below(2)) : store);
        break;
    case ACC_AMO: value = hostile_amo(va, marker, 2); break;
    case ACC_LRSC: value = hostile_lrsc(va, marker); break;
    case ACC_FETCH: hostile_jump(va); break;
    case ACC_ULD: ucause = run_user(user_fn(u_load, paged), (long)va); value = *result; break;
    case ACC_USD: ucause = run_user(user_fn(u_store, paged), (long)va); break;
    case ACC_UAMO: ucause = run_user(user_fn(u_amo, paged), (long)va); value = *result; break;
    case ACC_UFETCH: ucause = run_user(user_fn(u_fetch, paged), (long)va); break;
    default: break;
    }
    bool trapped = last_trap.count != before;
    unsigned long cause = trapped ? last_trap.scause : NO_TRAP;
    unsigned long tval = trapped ? last_trap.stval : 0;
    VLOG("v access %s va=0x%lx cause=0x%lx stval=0x%lx value=0x%lx ucause=%ld%s%s\n",
         access_names[k], va, cause, tval, value, ucause, w && w->vacant ? " vacant" : "",
         w && w->reserved_nonleaf ? " reserved_nonleaf" : "");
    accesses_made++;
    mix(k);
    mix(va);
    if (w && w->reserved_nonleaf) {
        /* QEMU 7.2 walks on (maybe to a leaf, setting its A bit); lodger
         * faults as the spec says. Nothing of it is hashed. */
        if (leaf) {
            *leaf = leaf_before;
            sfence();
        }
        mix(0x7e5e);
        return;
    }
    if (w && w->vacant) {
        /* The spec's access fault (lodger) and QEMU 7.2's page fault are
         * hashed alike. */
        cause = as_page_fault(cause);
        ucause = (long)as_page_fault((unsigned long)ucause);
    }
    mix(cause);
    mix(tval);
    mix(value);
    mix((unsigned long)ucause);
}

static void hash_tables(void)
{
    for (unsigned t = 0; t < NHOSTILE; t++)
        for (int i = 0; i < 512; i++)
            mix(hostile_tables[t][i]);
}

/* Where lodger keeps its first portion by default (0xff00000040000000,
 * canonical for Sv57 only) and where it used to (0xfffffffffc000000,
 * canonical for all): a trial's path sometimes maps exactly there. */
static const unsigned long fp_places[] = { 0xff00000040000000UL, 0xfffffffffc000000UL };

static void paging_trial(int trial)
{
    static const int modes[] = { 3, 3, 4, 5 };
    levels = modes[rnd_below(4)];
    reset_tables();
    /* Tables of a path from the root down, by level. */
    unsigned long *const path_table[5] = { l0a, l1a, l1b, l0b, root };
    unsigned s[5], sl = rnd_slot();
    for (int l = 0; l < 5; l++)
        s[l] = rnd_slot();
    bool at_place = false;
    if (rnd_below(4) == 0) {
        unsigned long place = fp_places[rnd_below(2)];
        if (canonical(place)) {
            va_indices(place, s);
            at_place = true;
        }
    }
    while (root_slot_reserved(s[levels - 1]))
        s[levels - 1] = rnd_slot();
    while (root_slot_reserved(sl) || sl == s[levels - 1])
        sl = rnd_slot();
    /* A path root[s] -> ... -> l0a[s0] to a (mostly) leaf, its links now
     * and then replaced by a hostile PTE; to lodger's place, a path that
     * works (with a random leaf now and then). */
    for (int l = levels - 1; l > 0; l--)
        path_table[l == levels - 1 ? 4 : l][s[l]] =
            at_place || rnd_below(5) ? PTE(path_table[l - 1], PTE_V)
                                     : rnd_pte(l == 1 && rnd_below(2));
    if (at_place && rnd_below(4))
        l0a[s[0]] = PTE(dpage[rnd_below(4)], PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D |
                                                 (rnd() & (PTE_U | PTE_G)));
    else
        l0a[s[0]] = rnd_pte(true);
    /* Often the next page too (for accesses across the boundary): the
     * next data page with the same rights, or anything. */
    if (s[0] < 511 && rnd_below(2)) {
        unsigned long pte = l0a[s[0]], pa = PTE_PPN(pte) << 12;
        l0a[s[0] + 1] = rnd_below(3) && in_dpage(pa) && in_dpage(pa + 4096)
                            ? PTE(pa + 4096, pte & 0x3ff) : rnd_pte(true);
    }
    /* A loop at slot sl (addresses below use it as an index at every
     * level): the root points at itself (with junk flags now and then),
     * the level-1 table back at the root, or a level-0 entry is a pointer
     * although level 0 has none below it. */
    switch (rnd_below(3)) {
    case 0:
        root[sl] = PTE(root, PTE_V | (rnd_below(4) ? 0 : rnd() & (PTE_U | PTE_G | PTE_A | PTE_D)));
        break;
    case 1: l1a[sl] = PTE(root, PTE_V); break;
    default: l0a[sl] = PTE(rnd_below(2) ? l1b : root, PTE_V); break;
    }
    /* Noise: more hostile PTEs anywhere but the reserved root slots. */
    int noise = (int)rnd_below(12);
    for (int n = 0; n < noise; n++) {
        unsigned t = rnd_below(NHOSTILE), i = rnd_slot();
        if (t == 0 && root_slot_reserved(i))
            continue;
        hostile_tables[t][i] = rnd_pte(rnd_below(2));
    }
    unsigned long sum_mxr = rnd() & (SSTATUS_SUM | SSTATUS_MXR);
    csr_clear(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    csr_set(sstatus, sum_mxr);
    VLOG("v trial %d sv%d s=%u/%u/%u/%u/%u sl=%u sum_mxr=0x%lx%s\n", trial, 12 + 9 * levels,
         s[4], s[3], s[2], s[1], s[0], sl, sum_mxr, at_place ? " at_place" : "");
    mix((unsigned long)levels);
    mix(sum_mxr);

    sfence();
    csr_write(satp, SATP_MODE(levels + 5) | (unsigned long)root >> 12);
    sfence();
    for (int a = 0; a < PAGING_ACCESSES; a++) {
        enum access k = (enum access)rnd_below(ACC_KINDS);
        unsigned idx[5];
        unsigned long off = rnd() & 0xff8, va;
        switch (at_place && rnd_below(2) ? 9 : rnd_below(10)) {
        case 0:             /* indices from the path and the loop, mixed up */
            for (int l = 0; l < 5; l++) {
                unsigned r = rnd_below(levels + 2);
                idx[l] = r < (unsigned)levels ? s[r] : r == (unsigned)levels ? sl : rnd_slot();
            }
            va = make_va(idx, off);
            break;
        case 1: case 2:     /* through the loop */
            for (int l = 0; l < 5; l++)
                idx[l] = rnd_below(2) ? sl : s[l];
            va = make_va(idx, off);
            break;
        case 3:             /* not canonical */
            va = make_va(s, off) ^ 1UL << (12 + 9 * levels + rnd_below(64 - 12 - 9 * levels));
            break;
        case 4:             /* anywhere, maybe misaligned */
            va = rnd();
            break;
        default:            /* the path itself */
            va = make_va(s, off);
            break;
        }
        if (rnd_below(8))
            va = aim(va);
        bool safe;
        if (k == ACC_LDX || k == ACC_SDX) {
            /* Both pages must be fine, and neither may end in an access
             * fault (nothing there, or a walk QEMU gets wrong): QEMU 7.2
             * then reports stval aligned down to 8, outside the access
             * (lodger: the access's address), and when one page has an
             * access fault and the other a page fault, which of the two is
             * reported is the implementation's choice. */
            va = (va | 0xfff) - rnd_below(7);
            struct walk_info first;
            safe = access_safe(k, va);
            first = access_info;
            safe = safe && access_safe(k, (va + 7) & ~7UL);
            struct walk_info *w[2] = { &first, &access_info };
            for (int i = 0; i < 2; i++) {
                unsigned long pa;
                if (w[i]->vacant || w[i]->reserved_nonleaf ||
                    (walk(i ? (va + 7) & ~7UL : va, w[i]) == WALK_LEAF &&
                     (pa = w[i]->pa, unassigned(pa))))
                    safe = false;
            }
        } else {
            safe = access_safe(k, va);
        }
        if (!safe) {
            accesses_skipped++;
            mix(0x5c1b);
            VLOG("v skip %s va=0x%lx\n", access_names[k], va);
            continue;
        }
        do_access(k, va, true, &access_info);
        sfence();
    }
    csr_write(satp, 0);
    sfence();
    csr_clear(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    hash_tables();
}

static void part_paging(void)
{
    fill_dpages();
    for (int t = 0; t < PAGING_TRIALS; t++)
        paging_trial(t);
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < 512; i++)
            mix(dpage[p][i]);
}

/* ---- part 4: wild jumps ---- */

/* An exception at the target of an sret to U-mode resumes in S-mode (an
 * interrupt returns to the target, in its mode). */
static void resume_in_s(void)
{
    if (!(last_trap.scause & CAUSE_INTERRUPT))
        csr_set(sstatus, SSTATUS_SPP);
}

/* A jump to target: a call from S-mode, a call from U-mode (run_user), or
 * an sret to S-mode or to U-mode (SPIE random; sie is 0 so SIE=1 takes
 * nothing). */
static void jump_one(unsigned long target, bool user, bool paged)
{
    if (rnd_below(3)) {
        do_access(user ? ACC_UFETCH : ACC_FETCH, target, paged, NULL);
    } else {
        unsigned long status = (user ? 0 : SSTATUS_SPP) | (rnd() & SSTATUS_SPIE);
        /* Even: sepc bit 0 is always 0 (IALIGN 16), QEMU 7.2 keeps it and
         * jumps to the odd address. */
        target &= ~1UL;
        /* Now and then into a pending software interrupt: enabled in sie,
         * so taken at the target before anything there runs if SPIE=1 or
         * the target is in U-mode. */
        bool irq = rnd_below(3) == 0;
        int before = last_trap.count;
        if (irq) {
            csr_set(sie, SIP_SSIP);
            csr_set(sip, SIP_SSIP);
        }
        trap_hook = resume_in_s;
        hostile_sret(target, status);
        trap_hook = NULL;
        csr_clear(sstatus, SSTATUS_SIE);
        csr_write(sie, 0);
        csr_write(sip, 0);
        bool trapped = last_trap.count != before;
        mix(0x5e7);
        mix((unsigned long)irq);
        mix((unsigned long)(last_trap.count - before));
        mix(status);
        mix(target);
        mix(trapped ? last_trap.scause : NO_TRAP);
        mix(trapped ? last_trap.stval : 0);
        mix(last_trap.sstatus & (SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE));
        VLOG("v sret %s%s 0x%lx traps=%d cause=0x%lx stval=0x%lx sepc=0x%lx\n", user ? "U" : "S",
             irq ? " irq" : "", target, last_trap.count - before,
             trapped ? (unsigned long)last_trap.scause : NO_TRAP, (unsigned long)last_trap.stval,
             (unsigned long)last_trap.sepc);
    }
    /* where it stopped: the pad's own traps are at different places */
    mix(last_trap.sepc);
}

/* Targets that are safe in Bare mode (physical): nothing there, or the
 * pad. The pad: c.nop, c.ebreak (+2), c.unimp (+4, +6), all ones (+8),
 * ebreak (+12); +1 and +3 lose bit 0 in jalr. */
static unsigned long bare_target(void)
{
    static const unsigned long wild[] = {
        0x0, 0x4, 0xffe, 0x88000000UL, 0x88000002UL, 0x8ffffffeUL, 0xbffffffeUL,
        0x100000000000UL, 0x100000000002UL, 0xfffffffffff000UL, 0xfffffffffffffeUL,
        0xff00000040000000UL, 0x0100000040000000UL, 0x7f00000040000000UL,
    };
    unsigned n = sizeof(wild) / sizeof(wild[0]);
    unsigned i = rnd_below(n + 6);
    if (i < n)
        return wild[i];
    if (i == n)
        return (unsigned long)dpage[rnd_below(4)] + ebreak_off();
    return (unsigned long)jump_pad + rnd_below(14);
}

/* In Sv39 (the identity gigapage plus the user pages and three data pages
 * at 0x40000000: R+X, R only, U+R+X): those, places nothing maps, and
 * addresses that are not canonical. */
static unsigned long paged_target(void)
{
    static const unsigned long wild[] = {
        0x0, 0x4000000000UL, 0x8000000080200000UL, 0xffffffff00000000UL, 0x3ffffffffeUL,
        0xffffffc000000000UL, 0xfffffffffffffffeUL, 0x7ffffffffffff000UL, USER_VA,
        USER_VA + 0x1000, 0x88000000UL, 0x40000000UL, 0x40001000UL, 0x40002000UL, 0x40003000UL,
    };
    unsigned n = sizeof(wild) / sizeof(wild[0]);
    unsigned i = rnd_below(n + 6);
    if (i < n)
        return wild[i] + (wild[i] >= 0x40000000UL && wild[i] < 0x40003000UL ? ebreak_off() : 0);
    if (i == n)
        return (rnd() | 0x8000000000UL) & ~1UL; /* bit 39 set: rarely canonical */
    return (unsigned long)jump_pad + rnd_below(14);
}

static void part_jumps(void)
{
    levels = 3;
    fill_dpages();
    for (int i = 0; i < RANDOM_JUMPS; i++) {
        bool user = rnd_below(2);
        unsigned long t = bare_target();
        VLOG("v jump bare %s 0x%lx\n", user ? "U" : "S", t);
        jump_one(t, user, false);
    }
    reset_tables();
    root[1] = PTE(l1a, PTE_V);
    l1a[0] = PTE(l0a, PTE_V);
    l0a[0] = PTE(dpage[0], PTE_V | PTE_R | PTE_X | PTE_A);
    l0a[1] = PTE(dpage[1], PTE_V | PTE_R | PTE_A);
    l0a[2] = PTE(dpage[2], PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    csr_write(satp, SATP_MODE(8) | (unsigned long)root >> 12);
    sfence();
    for (int i = 0; i < RANDOM_JUMPS; i++) {
        bool user = rnd_below(2);
        unsigned long t = paged_target();
        struct walk_info wi;
        enum walk_result w = walk(t, &wi);
        unsigned long pa = wi.pa;
        if (w == WALK_UNSAFE || (w == WALK_LEAF && !unassigned(pa) && !in_ebreak_half(pa) &&
                                 !(pa - (unsigned long)jump_pad < 14) &&
                                 pa != (unsigned long)user_code_page &&
                                 pa != (unsigned long)user_result_page)) {
            mix(0x5c1b);
            continue;
        }
        VLOG("v jump sv39 %s 0x%lx\n", user ? "U" : "S", t);
        jump_one(t, user, true);
    }
    csr_write(satp, 0);
    sfence();
}

/* ---- fences: SBI remote fences and sfence.vma over hostile ranges ---- */

/* After each fence, a trap (ebreak): lodger's trap vector must still be
 * there. Prints one case per fence: the SBI error (or "insn") and whether
 * the ebreak came back. */
static void fence_check(const char *name, long error)
{
    int before = last_trap.count;
    __asm__ volatile("ebreak" ::: "memory");
    gprintf("case fence_%s: error=%ld ebreak=%d\n", name, error, last_trap.count - before);
}

static void sbi_rfence_range(const char *name, unsigned long fid, unsigned long start,
                             unsigned long size)
{
    struct sbiret r = sbi_call(SBI_EXT_RFENCE, fid, 1, 0, start, size);
    fence_check(name, r.error);
}

static void sfence_va(const char *name, unsigned long va)
{
    __asm__ volatile("sfence.vma %0" :: "r"(va) : "memory");
    fence_check(name, 0);
}

static void part_fences(void)
{
    /* remote_sfence_vma (fid 1) and _asid (fid 2; ASID 0) on this hart:
     * nothing, everything, a page, 16 and 17 pages, a range that wraps
     * past the top (all), the page below the last, lodger's places. */
    sbi_rfence_range("rfence_empty", 1, 0x80200000UL, 0);
    sbi_rfence_range("rfence_all", 1, 0, ~0UL);
    sbi_rfence_range("rfence_page", 1, 0x80200000UL, 1);
    sbi_rfence_range("rfence_16_pages", 2, 0x80200000UL, 16 * 4096);
    sbi_rfence_range("rfence_17_pages", 2, 0x80200000UL, 17 * 4096);
    sbi_rfence_range("rfence_wraps", 1, 0xfffffffffffff000UL, 0x2000);
    sbi_rfence_range("rfence_below_last_page", 1, 0xffffffffffffe000UL, 0x1000);
    sbi_rfence_range("rfence_fp_place", 1, fp_places[0], 0x4000);
    sbi_rfence_range("rfence_old_fp_place", 2, fp_places[1], 0x4000);
    sbi_rfence_range("rfence_noncanonical", 1, 0x8000000000000000UL, 0x3000);
    sbi_rfence_range("fence_i", 0, 0, 0);
    /* A range inside the last page of the address space (lodger's page
     * loop once wrapped to 0 there and ran ~2^52 times), and ranges that
     * end exactly at the top. */
    sbi_rfence_range("rfence_last_page", 1, 0xfffffffffffff000UL, 1);
    sbi_rfence_range("rfence_asid_last_page", 2, 0xfffffffffffffff0UL, 2);
    sbi_rfence_range("rfence_to_top", 1, 0xfffffffffffff000UL, 0x1000);
    sbi_rfence_range("rfence_two_to_top", 2, 0xffffffffffffe000UL, 0x2000);
    /* sfence.vma naming lodger's places (canonical ones: lodger keeps its
     * own pages), their neighbours, and non-canonical addresses. */
    sfence_va("sfence_fp_place", fp_places[0]);
    sfence_va("sfence_fp_place_frame", fp_places[0] + 0x3000);
    sfence_va("sfence_old_fp_place", fp_places[1]);
    sfence_va("sfence_below_fp_place", fp_places[0] - 0x1000);
    sfence_va("sfence_noncanonical", 0x8000000000000000UL);
    sfence_va("sfence_top", ~0UL);
    /* Addresses that differ from lodger's first portion only in bits 63:57
     * (not canonical: not a valid virtual address, the fence has no
     * effect). Lodger once unmapped its own trap vector from the shadow
     * tables with them and hung at the next trap. The same through SBI;
     * tests/guests/hostile_fences tries every fence path. */
    sfence_va("sfence_fp_alias", fp_places[0] & ((1UL << 57) - 1));
    sfence_va("sfence_fp_alias_7f", (fp_places[0] & ((1UL << 57) - 1)) | 0x7eUL << 57);
    sfence_va("sfence_fp_alias_bit63", fp_places[0] ^ 1UL << 63);
    sbi_rfence_range("rfence_fp_alias", 1, fp_places[0] & ((1UL << 57) - 1), 1);
    sbi_rfence_range("rfence_fp_alias_range", 1, (fp_places[0] ^ 1UL << 63) - 0x1000, 0x5000);
}

/* ---- part 5: trap storm ---- */

static void storm_hook(void)
{
    /* The U loop's closing ebreak ends the run. */
    if (last_trap.scause == 3 && !(last_trap.sstatus & SSTATUS_SPP))
        user_trap_continue = 0;
}

static void part_storm(void)
{
    int before = last_trap.count;
    for (int i = 0; i < STORM; i++)
        __asm__ volatile("ebreak" ::: "memory");
    gprintf("case storm_s_ebreak: traps=%d\n", last_trap.count - before);

    before = last_trap.count;
    trap_hook = storm_hook;
    user_trap_continue = 1;
    long cause = run_user(storm_user, STORM);
    trap_hook = NULL;
    user_trap_continue = 0;
    gprintf("case storm_u_ecall: traps=%d last_cause=%ld\n", last_trap.count - before, cause);
}

#ifndef HOSTILE_AS_LIBRARY
int guest_main(void)
{
    gprintf("=== begin: hostile ===\n");
    /* Start from the same state natively and under lodger: FP on (the
     * firmware leaves FS Dirty, lodger starts a VM with FS Off), no timer
     * pending (Sstc natively: STIP follows stimecmp). */
    csr_set(sstatus, SSTATUS_FS);
    sbi_set_timer(~0UL);
    build_identity();
    /* First, while lodger's first portion is still at its default place
     * (the paging part provokes a conflict that moves it). */
    part_fences();
    for (unsigned s = 0; s < NSEEDS; s++) {
        rng_state = seeds[s];
        default_pre();

        hash = 0xcbf29ce484222325UL;
        items_trapped = 0;
        part_system();
        gprintf("case seed%u_system: 0x%016lx traps=%d\n", s, (unsigned long)hash, items_trapped);

        hash = 0xcbf29ce484222325UL;
        items_trapped = 0;
        part_user();
        gprintf("case seed%u_user: 0x%016lx traps=%d\n", s, (unsigned long)hash, items_trapped);

        hash = 0xcbf29ce484222325UL;
        items_trapped = 0;
        part_warl();
        gprintf("case seed%u_warl: 0x%016lx traps=%d\n", s, (unsigned long)hash, items_trapped);

        hash = 0xcbf29ce484222325UL;
        accesses_made = accesses_skipped = 0;
        part_paging();
        gprintf("case seed%u_paging: 0x%016lx accesses=%d skipped=%d\n", s, (unsigned long)hash,
                accesses_made, accesses_skipped);

        hash = 0xcbf29ce484222325UL;
        part_jumps();
        gprintf("case seed%u_jumps: 0x%016lx\n", s, (unsigned long)hash);
    }
    part_storm();
    return failures;
}
#endif
