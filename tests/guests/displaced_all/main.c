/* Every virtual address mapped (lib/fullmap.h: Sv57, all 2^57 bytes alias
 * the guest's RAM gigapage), and lodger's first portion forced onto
 * FORCED_VA (run-options). The guest's first access there is a conflict
 * with no unused region anywhere: lodger must put its first portion on a
 * random region whose content it displaces (shared/DESIGN.md, "Where the
 * first portion lives", step 3), and give the guest its memory back at
 * FORCED_VA.
 *
 * Then every kind of data access -- loads and stores of each width, FP
 * loads and stores (NaN-boxing), the compressed forms (register- and
 * sp-based), every AMO in .w and .d with each ordering, LR/SC successes and
 * failures, misaligned accesses across page boundaries -- at the arena's
 * alias in FORCED_VA's gigapage (the first portion's old place and the
 * pages around it) and in 19 more gigapages all over the Sv57 space
 * (lodger's preferred places among them). Each kind's results are hashed;
 * all aliases must agree, and the hashes are the same natively.
 *
 * lodger picks the displaced region at random over the whole Sv57 space:
 * the aliases meet it only by chance. So each kind runs once more where
 * the first portion is (counter 54; the arena mapped there, lib/fullmap.h;
 * natively at FORCED_VA). Under lodger (lib/counters.h): the conflict is a
 * relocation to a random region; each kind's run there has accesses
 * emulated (lodger may settle meanwhile, and an LR moves the first
 * portion); nothing ever finds an unused region or displaces anew. */
#include "../lib/guest.h"
#include "../lib/fullmap.h"

/* The arena's words: [ARENA_PA - ARENA_LOW, ARENA_PA + ARENA_HIGH). */
#define ARENA_LOW 0x2000UL
#define ARENA_HIGH 0x12000UL

static unsigned long pattern(unsigned long pa)
{
    unsigned long x = pa * 0x9e3779b97f4a7c15UL;
    return x ^ (x >> 29) ^ (pa << 40);
}

static void arena_reset(void)
{
    for (unsigned long pa = ARENA_PA - ARENA_LOW; pa < ARENA_PA + ARENA_HIGH; pa += 8)
        *(volatile unsigned long *)pa = pattern(pa);
}

/* The arena's bytes as they are in RAM (through the identity mapping). */
static unsigned long arena_hash(unsigned long h)
{
    for (unsigned long pa = ARENA_PA - ARENA_LOW; pa < ARENA_PA + ARENA_HIGH; pa += 8)
        h = fm_mix(h, *(volatile unsigned long *)pa);
    return h;
}

/* Offsets from the arena base: the page before the first portion's place,
 * its first, middle and last pages and their edges, the page after it. */
static const long offs[] = { -0x1008, -8, 0, 8, 0x7f0, 0xff8, 0x1000, 0x4328, 0x8000,
                             0xbff0, 0xfff8, 0x10000, 0x10ff8 };
#define NOFFS (sizeof(offs) / sizeof(offs[0]))

#define LOAD(insn, p) ({ unsigned long v_; \
    __asm__ volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n.option pop" \
                     : "=r"(v_) : "r"(p) : "memory"); v_; })
#define STORE(insn, p, v) __asm__ volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n" \
                                           ".option pop" :: "r"(v), "r"(p) : "memory")

static unsigned long loads(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i];
        h = fm_mix(h, LOAD("lb", p + 7));
        h = fm_mix(h, LOAD("lbu", p + 7));
        h = fm_mix(h, LOAD("lb", p));
        h = fm_mix(h, LOAD("lh", p + 6));
        h = fm_mix(h, LOAD("lhu", p + 6));
        h = fm_mix(h, LOAD("lh", p + 2));
        h = fm_mix(h, LOAD("lw", p + 4));
        h = fm_mix(h, LOAD("lwu", p + 4));
        h = fm_mix(h, LOAD("lw", p));
        h = fm_mix(h, LOAD("ld", p));
    }
    return h;
}

static unsigned long stores(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i];
        STORE("sd", p, 0x0123456789abcdefUL ^ (unsigned long)i);
        STORE("sb", p + 1, 0xa5UL);
        STORE("sh", p + 2, 0x8001UL);
        STORE("sw", p + 4, 0xdeadbeefUL);
        h = fm_mix(h, LOAD("ld", p));
        STORE("sb", p + 7, 0x7fUL);
        STORE("sh", p + 4, 0xfffe1234UL);       /* only the low 16 bits go */
        h = fm_mix(h, LOAD("ld", p));
    }
    return arena_hash(h);
}

static unsigned long fp_accesses(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i], boxed, word, dbl;
        __asm__ volatile(".option push\n.option norvc\n"
                         "flw fa0, 4(%3)\n"
                         "fmv.x.d %0, fa0\n"           /* NaN-boxed: upper 32 bits ones */
                         "fmv.x.w %1, fa0\n"
                         "fld fa1, 0(%3)\n"
                         "fmv.x.d %2, fa1\n"
                         "fsw fa1, 0(%3)\n"            /* the low 32 bits of the double */
                         "fsd fa0, 8(%3)\n"            /* the boxed single, all 64 bits */
                         ".option pop"
                         : "=&r"(boxed), "=&r"(word), "=&r"(dbl) : "r"(p) : "fa0", "fa1", "memory");
        h = fm_mix(fm_mix(fm_mix(h, boxed), word), dbl);
        h = fm_mix(fm_mix(h, LOAD("ld", p)), LOAD("ld", p + 8));
    }
    return arena_hash(h);
}

/* c.lw, c.ld, c.sw, c.sd, c.fld, c.fsd: base and data in x8-x15 / f8-f15. */
static unsigned long compressed(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        register unsigned long b __asm__("a4") = base + offs[i] - 16;
        register unsigned long w __asm__("a5");
        register unsigned long d __asm__("a3");
        register unsigned long f __asm__("a2");
        __asm__ volatile(".option push\n.option rvc\n"
                         "c.lw a5, 20(a4)\n"
                         "c.ld a3, 16(a4)\n"
                         "c.fld fa5, 16(a4)\n"
                         "fmv.x.d a2, fa5\n"
                         "c.sw a3, 16(a4)\n"
                         "c.sd a5, 24(a4)\n"
                         "c.fsd fa5, 8(a4)\n"
                         ".option pop"
                         : "=&r"(w), "=&r"(d), "=&r"(f) : "r"(b) : "fa5", "memory");
        h = fm_mix(fm_mix(fm_mix(h, w), d), f);
        h = fm_mix(fm_mix(h, LOAD("ld", base + offs[i])), LOAD("ld", base + offs[i] + 8));
    }
    return arena_hash(h);
}

/* c.lwsp, c.ldsp, c.swsp, c.sdsp, c.fldsp, c.fsdsp with sp on the arena
 * (nothing may trap into the guest meanwhile: its handler uses sp). */
static unsigned long compressed_sp(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i] - 16, w, d, f;
        __asm__ volatile("mv t0, sp\n"
                         "mv sp, %3\n"
                         ".option push\n.option rvc\n"
                         "c.lwsp %0, 20(sp)\n"
                         "c.ldsp %1, 16(sp)\n"
                         "c.fldsp fa4, 16(sp)\n"
                         "c.swsp %1, 28(sp)\n"
                         "c.sdsp %0, 32(sp)\n"
                         "c.fsdsp fa4, 8(sp)\n"
                         ".option pop\n"
                         "mv sp, t0\n"
                         "fmv.x.d %2, fa4"
                         : "=&r"(w), "=&r"(d), "=&r"(f) : "r"(p) : "t0", "fa4", "memory");
        h = fm_mix(fm_mix(fm_mix(h, w), d), f);
        h = fm_mix(fm_mix(h, LOAD("ld", p + 24)), LOAD("ld", p + 32));
    }
    return arena_hash(h);
}

#define AMO(insn, p, src) ({ unsigned long old_; \
    __asm__ volatile(insn " %0, %2, (%1)" : "=&r"(old_) : "r"(p), "r"(src) : "memory"); old_; })

static const unsigned long amo_src[] = { 0x8000000180000001UL, 0x7fffffff7fffffffUL, 5, ~0UL };

static unsigned long amo_w(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i], s = amo_src[i % 4];
        h = fm_mix(h, AMO("amoswap.w", p, s));
        h = fm_mix(h, AMO("amoadd.w", p + 4, s));
        h = fm_mix(h, AMO("amoand.w", p, s >> 3));
        h = fm_mix(h, AMO("amoor.w", p + 4, s << 5));
        h = fm_mix(h, AMO("amoxor.w", p, ~s));
        h = fm_mix(h, AMO("amomin.w", p + 4, s));
        h = fm_mix(h, AMO("amomax.w", p, s));
        h = fm_mix(h, AMO("amominu.w", p + 4, s >> 1));
        h = fm_mix(h, AMO("amomaxu.w", p, s >> 2));
        h = fm_mix(h, LOAD("ld", p));
    }
    return arena_hash(h);
}

static unsigned long amo_d(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i], s = amo_src[i % 4];
        h = fm_mix(h, AMO("amoswap.d", p, s));
        h = fm_mix(h, AMO("amoadd.d", p, s));
        h = fm_mix(h, AMO("amoand.d", p, ~(s >> 3)));
        h = fm_mix(h, AMO("amoor.d", p, s << 5));
        h = fm_mix(h, AMO("amoxor.d", p, ~s));
        h = fm_mix(h, AMO("amomin.d", p, s));
        h = fm_mix(h, AMO("amomax.d", p, s ^ (1UL << 63)));
        h = fm_mix(h, AMO("amominu.d", p, s >> 1));
        h = fm_mix(h, AMO("amomaxu.d", p, s));
        h = fm_mix(h, LOAD("ld", p));
    }
    return arena_hash(h);
}

/* The aq/rl bits, rd = x0, and rd = rs2. */
static unsigned long amo_forms(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i];
        h = fm_mix(h, AMO("amoadd.d.aq", p, 3UL));
        h = fm_mix(h, AMO("amoadd.d.rl", p, 5UL));
        h = fm_mix(h, AMO("amoadd.w.aqrl", p + 4, 7UL));
        h = fm_mix(h, AMO("amoswap.w.aq", p, 0x80000000UL));
        __asm__ volatile("amoor.d x0, %1, (%0)" :: "r"(p), "r"(0x100UL) : "memory");
        __asm__ volatile("amoxor.w zero, %1, (%0)" :: "r"(p + 4), "r"(0x1UL) : "memory");
        unsigned long same = 0x1122334455667788UL;
        __asm__ volatile("amoswap.d %0, %0, (%1)" : "+r"(same) : "r"(p) : "memory");
        h = fm_mix(fm_mix(h, same), LOAD("ld", p));
    }
    return arena_hash(h);
}

/* Forgets any reservation: an SC to a scratch word. */
static unsigned long scratch_word;
static void clear_reservation(void)
{
    unsigned long rc;
    __asm__ volatile("sc.d %0, zero, (%1)" : "=r"(rc) : "r"(&scratch_word) : "memory");
}

/* LR then SC of a new value; SC may fail spuriously (an interrupt between
 * them), so retry a few times: the outcome is whether it succeeded. */
static int lr_sc_d(unsigned long p, unsigned long add, unsigned long *loaded)
{
    for (int tries = 0; tries < 16; tries++) {
        unsigned long v, rc;
        __asm__ volatile("lr.d %0, (%2)\n"
                         "add t0, %0, %3\n"
                         "sc.d %1, t0, (%2)"
                         : "=&r"(v), "=&r"(rc) : "r"(p), "r"(add) : "t0", "memory");
        if (rc == 0) {
            *loaded = v;
            return 1;
        }
    }
    return 0;
}

static int lr_sc_w(unsigned long p, unsigned long add, unsigned long *loaded)
{
    for (int tries = 0; tries < 16; tries++) {
        unsigned long v, rc;
        __asm__ volatile("lr.w.aq %0, (%2)\n"
                         "add t0, %0, %3\n"
                         "sc.w.rl %1, t0, (%2)"
                         : "=&r"(v), "=&r"(rc) : "r"(p), "r"(add) : "t0", "memory");
        if (rc == 0) {
            *loaded = v;
            return 1;
        }
    }
    return 0;
}

static unsigned long lrsc(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < NOFFS; i++) {
        unsigned long p = base + offs[i], v = 0, rc;
        (void)LOAD("ld", p);    /* any shadow fill happens here, not between LR and SC */
        h = fm_mix(h, lr_sc_d(p, 0x10001, &v));
        h = fm_mix(h, v);
        h = fm_mix(h, lr_sc_w(p + 4, 0x7fffffff, &v));
        h = fm_mix(h, v);
        /* SC without a reservation fails and stores nothing. */
        clear_reservation();
        __asm__ volatile("sc.d %0, %2, (%1)" : "=r"(rc) : "r"(p), "r"(0xbadUL) : "memory");
        h = fm_mix(h, rc != 0);
        clear_reservation();
        __asm__ volatile("sc.w %0, %2, (%1)" : "=r"(rc) : "r"(p + 4), "r"(0xbadUL) : "memory");
        h = fm_mix(h, rc != 0);
        /* SC to another address than the LR's fails. */
        __asm__ volatile("lr.d %0, (%2)\n"
                         "sc.d %1, %0, (%3)"
                         : "=&r"(v), "=&r"(rc) : "r"(p), "r"(p + 8) : "memory");
        h = fm_mix(fm_mix(h, v), rc != 0);
        /* A second SC after a successful one fails: the first ended the reservation. */
        unsigned long rc2;
        __asm__ volatile("1: lr.d %0, (%3)\n"
                         "sc.d %1, %0, (%3)\n"
                         "bnez %1, 1b\n"
                         "sc.d %2, %0, (%3)"
                         : "=&r"(v), "=&r"(rc), "=&r"(rc2) : "r"(p) : "memory");
        h = fm_mix(h, rc2 != 0);
        h = fm_mix(h, LOAD("ld", p));
    }
    return arena_hash(h);
}

/* Misaligned loads and stores across the arena's page boundaries (QEMU
 * does them in hardware, for plain and FP accesses). */
static unsigned long misaligned(unsigned long base)
{
    static const long edges[] = { -0x1000, 0, 0x1000, 0x8000, 0xf000, 0x10000 };
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        unsigned long e = base + edges[i], f;
        h = fm_mix(h, LOAD("lh", e - 1));
        h = fm_mix(h, LOAD("lhu", e - 1));
        h = fm_mix(h, LOAD("lw", e - 3));
        h = fm_mix(h, LOAD("lwu", e - 1));
        h = fm_mix(h, LOAD("lw", e - 2));
        h = fm_mix(h, LOAD("ld", e - 7));
        h = fm_mix(h, LOAD("ld", e - 4));
        h = fm_mix(h, LOAD("ld", e - 1));
        __asm__ volatile("fld fa0, -4(%1)\n"
                         "fmv.x.d %0, fa0" : "=r"(f) : "r"(e) : "fa0", "memory");
        h = fm_mix(h, f);
        __asm__ volatile("flw fa0, -2(%1)\n"
                         "fmv.x.d %0, fa0" : "=r"(f) : "r"(e) : "fa0", "memory");
        h = fm_mix(h, f);
        STORE("sh", e - 1, 0xa1b2UL);
        STORE("sw", e - 3, 0xc3d4e5f6UL);
        STORE("sd", e - 6, 0x0102030405060708UL);
        h = fm_mix(fm_mix(h, LOAD("ld", e - 8)), LOAD("ld", e));
        STORE("sd", e - 5, 0x8877665544332211UL);
        STORE("sw", e - 1, 0x99aabbccUL);
        __asm__ volatile("fmv.d.x fa1, %1\n"
                         "fsd fa1, -2(%0)\n"
                         "fsw fa1, 3(%0)" :: "r"(e), "r"(0xfedcba9876543210UL) : "fa1", "memory");
        h = fm_mix(fm_mix(h, LOAD("ld", e - 8)), LOAD("ld", e));
        /* A compressed load whose base is misaligned. */
        register unsigned long b __asm__("a4") = e - 3;
        register unsigned long v __asm__("a5");
        __asm__ volatile(".option push\n.option rvc\nc.ld a5, 0(a4)\n.option pop"
                         : "=r"(v) : "r"(b) : "memory");
        h = fm_mix(h, v);
    }
    return arena_hash(h);
}

/* Every word from the page before the first portion's place to the page
 * after it: read through the alias and compared with RAM, then written. */
static unsigned long sweep(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    int mismatches = 0;
    for (long off = -0x1000; off < (long)FIRST_PORTION_SIZE + 0x1000; off += 8) {
        unsigned long v = *(volatile unsigned long *)(base + off);
        if (v != pattern(ARENA_PA + off))
            mismatches++;
        *(volatile unsigned long *)(base + off) = ~v + (unsigned long)off;
    }
    for (long off = -0x1000; off < (long)FIRST_PORTION_SIZE + 0x1000; off += 8)
        if (*(volatile unsigned long *)(ARENA_PA + off) != ~pattern(ARENA_PA + off) + (unsigned long)off)
            mismatches++;
    h = fm_mix(h, (unsigned long)mismatches);
    return arena_hash(h);
}

static const struct { const char *name; unsigned long (*fn)(unsigned long); } kinds[] = {
    { "loads", loads }, { "stores", stores }, { "fp", fp_accesses },
    { "compressed", compressed }, { "compressed_sp", compressed_sp },
    { "amo_w", amo_w }, { "amo_d", amo_d }, { "amo_forms", amo_forms },
    { "lrsc", lrsc }, { "misaligned", misaligned }, { "sweep", sweep },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Sv57 indices (root, level 3, level 2) of the gigapages whose arena alias
 * is used: FORCED_VA's first, then the identity, low and high ones, the
 * gigapages of lodger's preferred places for each host mode, others. */
static const unsigned short gigapages[][3] = {
    { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 0 }, { 0, 0, 3 }, { 0, 0, 254 }, { 0, 0, 511 },
    { 0, 1, 0 }, { 0, 255, 510 }, { 0, 511, 511 }, { 255, 511, 510 }, { 255, 511, 511 },
    { 256, 0, 1 }, { 256, 0, 0 }, { 511, 256, 1 }, { 511, 511, 257 }, { 511, 511, 511 },
    { 17, 300, 42 }, { 100, 200, 300 }, { 384, 5, 77 }, { 431, 444, 455 },
};
#define NGIGA (sizeof(gigapages) / sizeof(gigapages[0]))

int guest_main(void)
{
    gprintf("=== begin: displaced_all ===\n");
    fm_fp_on();
    arena_reset();
    gprintf("case satp_sv57_full_map: %s\n", fullmap_enable() ? "as written" : "other");

    /* The conflict: a misaligned store from the page before the first
     * portion's place into its first page, then a load across it. */
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long got;
    STORE("sd", FORCED_VA - 4, 0x1122334455667788UL);
    got = LOAD("ld", FORCED_VA - 4);
    gprintf("case conflict_store_across: loaded=0x%lx ram=0x%lx,0x%lx\n", got,
            *(volatile unsigned long *)(ARENA_PA - 8), *(volatile unsigned long *)ARENA_PA);

    /* No unused region anywhere: displaced content. */
    fp_expect("the conflict", &counts, (struct fp_expect){ .conflicts = FPC(1), .random = FPC(1) });

    unsigned long first[NKINDS];
    int agree[NKINDS] = { 0 };
    for (unsigned g = 0; g <= NGIGA; g++) {
        /* The aliases (on the first portion only by chance), then, for
         * each kind, where the first portion is then (lib/fullmap.h). */
        unsigned long base = g < NGIGA ? fm_alias(gigapages[g][0], gigapages[g][1], gigapages[g][2]) : 0;
        if (g == NGIGA)
            fp_expect("the aliases", &counts, (struct fp_expect){ .conflicts = FPC_ANY, .settle = FPC_ANY,
                                                                  .fetch = FPC_ANY, .emulated = FPC_ANY });
        for (unsigned k = 0; k < NKINDS; k++) {
            arena_reset();
            unsigned long h = kinds[k].fn(base ? base : fm_follow());
            if (!base) {
                /* Its accesses there emulated, until lodger settles (no
                 * pause here) or an LR moves the first portion. */
                fm_window_unmap();
                struct fp_expect e = { .conflicts = FPC_ANY, .settle = FPC_ANY, .fetch = FPC_ANY,
                                       .emulated = FPC_MIN(1) };
                if (kinds[k].fn == lrsc)    /* an LR there: before any settling */
                    e.conflicts.min = e.fetch.min = 1;
                fp_expect(kinds[k].name, &counts, e);
            }
            if (g == 0)
                first[k] = h;
            if (h == first[k])
                agree[k]++;
            else
                gprintf("FAIL %s at 0x%lx: 0x%lx, at 0x%lx: 0x%lx\n", kinds[k].name, base, h,
                        (unsigned long)FORCED_VA, first[k]);
        }
    }
    for (unsigned k = 0; k < NKINDS; k++) {
        gprintf("case %s: 0x%lx at %d/%u aliases\n", kinds[k].name, first[k], agree[k],
                (unsigned)NGIGA + 1);
        if (agree[k] != (int)NGIGA + 1)
            failures++;
    }
    fullmap_disable();
    return failures;
}
