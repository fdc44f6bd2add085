/* lodger tells a guest where its first portion is (counter id 54,
 * docs/COUNTERS.md). With every virtual address mapped
 * (lib/fullmap.h) and a conflict on FORCED_VA, lodger puts its first
 * portion on a random region of displaced content; this guest then follows
 * it: it maps the arena window at that region (private page tables) and
 * does there what displaced_all does at aliases, so that lodger must
 * emulate each access (shared/DESIGN.md, "Where the first portion lives",
 * step 3). Each kind runs one offset at a time after a 12 ms pause, under
 * the settling threshold (64 emulated accesses per 10 ms). Then faults of
 * emulated accesses (permissions, unmapped pages, page-crossing, A/D,
 * SUM/MXR, misaligned AMO/LR), code run there (a fetch forces a move) and
 * a hammer (settling). Natively the same happens at FORCED_VA: the output
 * is the same either way. Under lodger the counters must say what each
 * step made lodger do (lib/counters.h): the conflict, a relocation to a
 * random region; each kind, exactly its number of emulated accesses and
 * no relocation (an LR moves the first portion; the sweep settles); each
 * code run, one relocation forced by a fetch; the hammer, settling. */
#include "../lib/guest.h"
#include "../../guests/lib/fullmap.h"


/* Where the kinds run now: the first portion's place (the window mapped
 * there onto the arena) under lodger, else FORCED_VA. */
static unsigned long place(void)
{
    return fm_follow();
}

static void pause_12ms(void)
{
    unsigned long t = csr_read(time);
    while (csr_read(time) - t < 120000)
        ;
}

#include "../shared/displaced_kinds.inc"

/* Under lodger, what each kind makes lodger do (lib/counters.h), run one
 * offset at a time after a pause: `emulated` accesses per offset inside
 * the first portion (the offsets below 0 or past its end touch only the
 * guest's own pages), no relocation; but lrsc, whose first access (a load)
 * is emulated and whose LR makes the first portion move (an LR cannot be
 * emulated: a conflict, counted as a fetch relocation); misaligned, whose
 * accesses straddle its edges (some emulated); and sweep, which reads and
 * writes every word of the place with no pause: lodger must settle. */
enum { EMULATED_SOME = -1, SETTLES = -2, LR_MOVES = -3 };
static const struct { const char *name; unsigned long (*fn)(unsigned long); int emulated; } kinds[] = {
    { "loads", loads, 10 }, { "stores", stores, 8 }, { "fp", fp_accesses, 6 },
    { "compressed", compressed, 8 }, { "compressed_sp", compressed_sp, 8 },
    { "amo_w", amo_w, 10 }, { "amo_d", amo_d, 10 }, { "amo_forms", amo_forms, 8 },
    { "lrsc", lrsc, LR_MOVES }, { "misaligned", misaligned, EMULATED_SOME },
    { "sweep", sweep, SETTLES },
};

static struct fp_expect kind_expect(unsigned k)
{
    unsigned long inside = 0;
    for (unsigned i = 0; i < NOFFS; i++)
        inside += offs[i] >= 0 && offs[i] < (long)FIRST_PORTION_SIZE;
    switch (kinds[k].emulated) {
    case EMULATED_SOME:
        return (struct fp_expect){ .emulated = FPC_MIN(1) };
    case SETTLES:
        return (struct fp_expect){ .settle = FPC_MIN(1), .emulated = FPC_MIN(1) };
    case LR_MOVES:
        return (struct fp_expect){ .conflicts = FPC(inside), .fetch = FPC(inside), .emulated = FPC(inside) };
    default:
        return (struct fp_expect){ .emulated = FPC(inside * (unsigned long)kinds[k].emulated) };
    }
}
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))


/* The window mapped at base (the first portion's place when following,
 * else FORCED_VA) with some pages of it special, for faults. */
enum { P_RO = 1, P_NONE = 2, P_RW = 3, P_RO2 = 4, P_NOAD = 5, P_USER = 6, P_XONLY = 7,
       P_ATOMIC = 8, P_WONLY = 9 };
static unsigned long window_with_specials(void)
{
    unsigned long base = FORCED_VA;
    first_portion_place(&base);
    fm_window_unmap();
    for (long off = -0x2000; off < 0x12000; off += 0x1000)
        *fm_leaf_slot(base + off) = FM_PTE(ARENA_PA + off, FM_PTE_RWXAD);
    const unsigned long A = 1UL << 6, D = 1UL << 7, R = 2, W = 4, X = 8, U = 16, V = 1;
    *fm_leaf_slot(base + 0x1000 * P_RO) = FM_PTE(ARENA_PA + 0x1000 * P_RO, V | R | A);
    *fm_leaf_slot(base + 0x1000 * P_NONE) = 0;
    *fm_leaf_slot(base + 0x1000 * P_RO2) = FM_PTE(ARENA_PA + 0x1000 * P_RO2, V | R | A);
    *fm_leaf_slot(base + 0x1000 * P_NOAD) = FM_PTE(ARENA_PA + 0x1000 * P_NOAD, V | R | W);
    *fm_leaf_slot(base + 0x1000 * P_USER) = FM_PTE(ARENA_PA + 0x1000 * P_USER, V | R | W | U | A | D);
    *fm_leaf_slot(base + 0x1000 * P_XONLY) = FM_PTE(ARENA_PA + 0x1000 * P_XONLY, V | X | A);
    *fm_leaf_slot(base + 0x1000 * P_WONLY) = FM_PTE(ARENA_PA + 0x1000 * P_WONLY, V | W | A | D);
    __asm__ volatile("sfence.vma" ::: "memory");
    return base;
}

/* One access; prints its value or its trap (stval relative to base). */
static void fault_case(const char *name, unsigned long base, int before, unsigned long value)
{
    if (last_trap.count == before)
        gprintf("case %s: no trap value=0x%lx\n", name, value);
    else
        gprintf("case %s: scause=%lu stval=base%+ld\n", name, (unsigned long)last_trap.scause,
                (long)(last_trap.stval - base));
}

#define TRY(name, asm_text, addr) do { \
        unsigned long b_ = window_with_specials(); \
        arena_reset(); \
        pause_12ms(); \
        unsigned long v_ = 0xdead, p_ = b_ + (addr); \
        int before_ = last_trap.count; \
        __asm__ volatile(asm_text : "+r"(v_) : "r"(p_) : "memory", "t0", "fa0"); \
        fault_case(name, b_, before_, v_); \
    } while (0)

static void faults(void)
{
    TRY("ro_load", "ld %0, 8(%1)", 0x1000 * P_RO);
    TRY("ro_store", "sd %0, 8(%1)", 0x1000 * P_RO);
    TRY("ro_amo", "amoadd.d %0, %0, (%1)", 0x1000 * P_RO + 16);
    TRY("ro_sc", "lr.d t0, (%1)\n sc.d %0, t0, (%1)", 0x1000 * P_RO + 24);
    TRY("none_load", "lw %0, 4(%1)", 0x1000 * P_NONE);
    TRY("none_store", "sb %0, 5(%1)", 0x1000 * P_NONE);
    TRY("none_fld", "fld fa0, 8(%1)\n fmv.x.d %0, fa0", 0x1000 * P_NONE);
    TRY("none_lr", "lr.w %0, (%1)", 0x1000 * P_NONE + 12);
    TRY("cross_into_none_load", "ld %0, -4(%1)", 0x1000 * P_NONE);
    TRY("cross_into_ro_store", "sd %0, -4(%1)", 0x1000 * P_RO2);
    TRY("cross_out_of_none_load", "ld %0, -4(%1)", 0x1000 * P_RW);
    TRY("noad_load", "ld %0, 0(%1)", 0x1000 * P_NOAD);
    {
        unsigned long b = window_with_specials();
        pause_12ms();
        unsigned long v;
        __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(b + 0x1000 * P_NOAD) : "memory");
        unsigned long l = *fm_leaf_slot(b + 0x1000 * P_NOAD);
        __asm__ volatile("sd %0, 8(%1)" :: "r"(v), "r"(b + 0x1000 * P_NOAD) : "memory");
        unsigned long s = *fm_leaf_slot(b + 0x1000 * P_NOAD);
        gprintf("case noad_bits: after_load a=%lu d=%lu after_store a=%lu d=%lu\n",
                (l >> 6) & 1, (l >> 7) & 1, (s >> 6) & 1, (s >> 7) & 1);
    }
    csr_clear(sstatus, SSTATUS_SUM);
    TRY("user_load_sum0", "ld %0, 0(%1)", 0x1000 * P_USER);
    TRY("user_amo_sum0", "amoor.w %0, %0, (%1)", 0x1000 * P_USER + 8);
    csr_set(sstatus, SSTATUS_SUM);
    TRY("user_load_sum1", "ld %0, 0(%1)", 0x1000 * P_USER);
    TRY("user_store_sum1", "sw %0, 4(%1)", 0x1000 * P_USER);
    csr_clear(sstatus, SSTATUS_SUM);
    TRY("xonly_load_mxr0", "lhu %0, 6(%1)", 0x1000 * P_XONLY);
    csr_set(sstatus, SSTATUS_MXR);
    TRY("xonly_load_mxr1", "lhu %0, 6(%1)", 0x1000 * P_XONLY);
    TRY("xonly_store_mxr1", "sh %0, 6(%1)", 0x1000 * P_XONLY);
    csr_clear(sstatus, SSTATUS_MXR);
    TRY("wonly_load", "ld %0, 0(%1)", 0x1000 * P_WONLY);
    TRY("wonly_store", "sd %0, 0(%1)", 0x1000 * P_WONLY);
    TRY("misaligned_amo_d", "amoadd.d %0, %0, (%1)", 0x1000 * P_ATOMIC + 4);
    TRY("misaligned_amo_w", "amoswap.w %0, %0, (%1)", 0x1000 * P_ATOMIC + 2);
    TRY("misaligned_lr_d", "lr.d %0, (%1)", 0x1000 * P_ATOMIC + 4);
    TRY("misaligned_sc_w", "sc.w %0, %0, (%1)", 0x1000 * P_ATOMIC + 1);
    TRY("misaligned_ld", "ld %0, 3(%1)", 0x1000 * P_ATOMIC);
}

/* Code in the window: straight-line code whose second instruction
 * straddles the first portion's first page boundary, then code inside. */
static unsigned long run_code(long off, int straddle)
{
    unsigned long base = window_with_specials();
    volatile unsigned short *c = (volatile unsigned short *)(ARENA_PA + off - (straddle ? 6 : 0));
    const unsigned insns[] = { 0x00150513, 0x00250513, 0x00450513, 0x00008067 };  /* addi a0,a0,1/2/4; ret */
    for (int i = 0; i < 4; i++) {
        c[2 * i] = (unsigned short)insns[i];
        c[2 * i + 1] = (unsigned short)(insns[i] >> 16);
    }
    __asm__ volatile("fence.i" ::: "memory");
    pause_12ms();
    return ((unsigned long (*)(unsigned long))(base + off - (straddle ? 6 : 0)))(0x100);
}

/* Many accesses in a row at the place: no pause, so lodger settles (moves
 * on) while this runs; a few rounds, each where the first portion is then. */
static void hammer(void)
{
    for (int round = 0; round < 3; round++) {
        unsigned long base = window_with_specials(), sum = FM_HASH_INIT;
        arena_reset();
        for (unsigned long n = 0; n < 4000; n++) {
            unsigned long p = base + 0xa000 + (n * 72) % 0x6000, v;
            if (n & 1) {
                __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
                sum = fm_mix(sum, v);
            } else {
                __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(v) : "r"(p), "r"(n) : "memory");
                sum = fm_mix(sum, v);
            }
        }
        gprintf("case hammer_round%d: 0x%lx arena=0x%lx\n", round, sum, arena_hash(FM_HASH_INIT));
    }
}

int guest_main(void)
{
    gprintf("=== begin: displaced_follow ===\n");
    fm_fp_on();
    arena_reset();
    gprintf("case satp_sv57_full_map: %s\n", fullmap_enable() ? "as written" : "other");

    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long got;
    STORE("sd", FORCED_VA - 4, 0x1122334455667788UL);
    got = LOAD("ld", FORCED_VA - 4);
    gprintf("case conflict_store_across: loaded=0x%lx\n", got);
    /* No unused region anywhere: displaced content. */
    fp_expect("the conflict", &counts, (struct fp_expect){ .conflicts = FPC(1), .random = FPC(1) });

    for (unsigned k = 0; k < NKINDS; k++) {
        unsigned long h = FM_HASH_INIT;
        for (unsigned i = 0; i < NOFFS; i++) {
            off_lo = i;
            off_hi = i + 1;
            unsigned long base = place();
            arena_reset();
            pause_12ms();
            h = fm_mix(h, kinds[k].fn(base));
        }
        gprintf("case %s: 0x%lx\n", kinds[k].name, h);
        fp_expect(kinds[k].name, &counts, kind_expect(k));
    }
    off_lo = 0;
    off_hi = NOFFS;

    /* An SC alone on the first portion fails (no reservation, nothing
     * stored; emulated if it traps); an LR there cannot be emulated (the SC after it
     * would run in hardware without its reservation): it moves the first
     * portion, as a fetch does, and the pair then runs on the guest's page. */
    {
        unsigned long base = place(), rc, v = 0;
        arena_reset();
        pause_12ms();
        clear_reservation();
        __asm__ volatile("sc.d %0, %2, (%1)" : "=r"(rc) : "r"(base + 0x100), "r"(0x5cUL) : "memory");
        gprintf("case sc_alone: %s word=%s\n", rc ? "failed" : "succeeded",
                *(volatile unsigned long *)(ARENA_PA + 0x100) == pattern(ARENA_PA + 0x100) ? "kept" : "OTHER");
        /* QEMU 7.2 fails an SC without a reservation before translating
         * its address: no trap, nothing to emulate. Hardware that checks
         * the address first traps and lodger emulates it. Either way no
         * move. */
        fp_expect("the SC alone", &counts, (struct fp_expect){ .emulated = { 0, 1 } });
        int ok = lr_sc_d(base + 0x108, 3, &v);
        gprintf("case lr_sc_pair: %s loaded=%s word=%s\n", ok ? "succeeded" : "failed",
                v == pattern(ARENA_PA + 0x108) ? "pattern" : "OTHER",
                *(volatile unsigned long *)(ARENA_PA + 0x108) == pattern(ARENA_PA + 0x108) + 3 ? "added" : "OTHER");
        fp_expect("the LR/SC pair", &counts, (struct fp_expect){ .conflicts = FPC(1), .fetch = FPC(1) });
    }

    faults();
    /* The allowed accesses among them emulated; the LRs move (as fetches). */
    fp_expect("faults", &counts, (struct fp_expect){ .conflicts = FPC_ANY, .fetch = FPC_ANY,
                                                     .emulated = FPC_MIN(1) });
    /* A fetch from displaced content: one move each. */
    static const struct fp_expect fetch_moves = { .conflicts = FPC(1), .fetch = FPC(1) };
    gprintf("case code_inside: 0x%lx\n", run_code(0xa000, 0));
    fp_expect("code_inside", &counts, fetch_moves);
    gprintf("case code_straddling_in: 0x%lx\n", run_code(0, 1));
    fp_expect("code_straddling_in", &counts, fetch_moves);
    gprintf("case code_straddling_out: 0x%lx\n", run_code(0x10000, 1));
    fp_expect("code_straddling_out", &counts, fetch_moves);
    hammer();
    fp_expect("hammer", &counts, (struct fp_expect){ .settle = FPC_MIN(1), .emulated = FPC_MIN(1) });

    fm_window_unmap();
    fullmap_disable();
    return failures;
}
