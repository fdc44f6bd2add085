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
 * a hammer (settling). Natively, and under a lodger without the counter,
 * the same happens at FORCED_VA: the output is the same either way. */
#include "../lib/guest.h"
#include "../../guests/lib/fullmap.h"

#define LODGER_EID 0x0A4C4447UL
#define LODGER_ID_FIRST_VA 54           /* docs/COUNTERS.md */

static int follow;                      /* lodger tells where its first portion is */

static long lodger_counter(unsigned long id, unsigned long *value)
{
    struct sbiret r = sbi_call(LODGER_EID, 1, id, 0, 0, 0);
    *value = (unsigned long)r.value;
    return r.error;
}

/* Private page tables for the window; the rest stays fullmap's. */
static unsigned long priv[64][512] __attribute__((aligned(4096)));
static int priv_used;

static void window_unmap(void)
{
    for (int i = 0; i < 512; i++)
        fm_root[i] = fm_root_pte();
    priv_used = 0;
    __asm__ volatile("sfence.vma" ::: "memory");
}

/* The table below entry e (of a table at `level`), made private with the
 * same mappings if it is shared or a leaf. */
static unsigned long *private_table(unsigned long *e, int level)
{
    unsigned long pte = *e, *t;
    unsigned long *src = (unsigned long *)((pte >> 10) << 12);
    if (!(pte & 0xe) && src != fm_l3 && src != fm_l2)
        return src;
    if (priv_used == 64) {
        gprintf("FAIL out of private tables\n");
        guest_exit(1);
    }
    t = priv[priv_used++];
    if (!(pte & 0xe)) {
        for (int i = 0; i < 512; i++)
            t[i] = src[i];
    } else {
        unsigned long pa = (pte >> 10) << 12, step = 1UL << (12 + 9 * (level - 1));
        for (int i = 0; i < 512; i++)
            t[i] = FM_PTE(pa + i * step, FM_PTE_RWXAD);
    }
    *e = FM_PTE(t, FM_PTE_V);
    return t;
}

static unsigned long *leaf_slot(unsigned long va)
{
    unsigned long *t = fm_root;
    for (int level = guest_levels() - 1; level > 0; level--)
        t = private_table(&t[(va >> (12 + 9 * level)) & 511], level);
    return &t[(va >> 12) & 511];
}

/* Where the kinds run now: the first portion's place (the window mapped
 * there onto the arena) when following, else FORCED_VA. */
static unsigned long place(void)
{
    unsigned long va;
    if (!follow || lodger_counter(LODGER_ID_FIRST_VA, &va))
        return FORCED_VA;
    window_unmap();
    for (long off = -0x2000; off < 0x12000; off += 0x1000)
        *leaf_slot(va + off) = FM_PTE(ARENA_PA + off, FM_PTE_RWXAD);
    __asm__ volatile("sfence.vma" ::: "memory");
    return va;
}

static void pause_12ms(void)
{
    unsigned long t = csr_read(time);
    while (csr_read(time) - t < 120000)
        ;
}

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
/* The offsets the kinds below use: one at a time, so that each run stays
 * under lodger's settling threshold. */
static unsigned off_lo = 0, off_hi = NOFFS;

#define LOAD(insn, p) ({ unsigned long v_; \
    __asm__ volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n.option pop" \
                     : "=r"(v_) : "r"(p) : "memory"); v_; })
#define STORE(insn, p, v) __asm__ volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n" \
                                           ".option pop" :: "r"(v), "r"(p) : "memory")

static unsigned long loads(unsigned long base)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi; i++) {
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
    for (unsigned i = off_lo; i < off_hi && i < sizeof(edges) / sizeof(edges[0]); i++) {
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


/* The window mapped at base (the first portion's place when following,
 * else FORCED_VA) with some pages of it special, for faults. */
enum { P_RO = 1, P_NONE = 2, P_RW = 3, P_RO2 = 4, P_NOAD = 5, P_USER = 6, P_XONLY = 7,
       P_ATOMIC = 8, P_WONLY = 9 };
static unsigned long window_with_specials(void)
{
    unsigned long base, va;
    if (!follow || lodger_counter(LODGER_ID_FIRST_VA, &va))
        base = FORCED_VA;
    else
        base = va;
    window_unmap();
    for (long off = -0x2000; off < 0x12000; off += 0x1000)
        *leaf_slot(base + off) = FM_PTE(ARENA_PA + off, FM_PTE_RWXAD);
    const unsigned long A = 1UL << 6, D = 1UL << 7, R = 2, W = 4, X = 8, U = 16, V = 1;
    *leaf_slot(base + 0x1000 * P_RO) = FM_PTE(ARENA_PA + 0x1000 * P_RO, V | R | A);
    *leaf_slot(base + 0x1000 * P_NONE) = 0;
    *leaf_slot(base + 0x1000 * P_RO2) = FM_PTE(ARENA_PA + 0x1000 * P_RO2, V | R | A);
    *leaf_slot(base + 0x1000 * P_NOAD) = FM_PTE(ARENA_PA + 0x1000 * P_NOAD, V | R | W);
    *leaf_slot(base + 0x1000 * P_USER) = FM_PTE(ARENA_PA + 0x1000 * P_USER, V | R | W | U | A | D);
    *leaf_slot(base + 0x1000 * P_XONLY) = FM_PTE(ARENA_PA + 0x1000 * P_XONLY, V | X | A);
    *leaf_slot(base + 0x1000 * P_WONLY) = FM_PTE(ARENA_PA + 0x1000 * P_WONLY, V | W | A | D);
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
        unsigned long l = *leaf_slot(b + 0x1000 * P_NOAD);
        __asm__ volatile("sd %0, 8(%1)" :: "r"(v), "r"(b + 0x1000 * P_NOAD) : "memory");
        unsigned long s = *leaf_slot(b + 0x1000 * P_NOAD);
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
    unsigned long va;
    follow = lodger_counter(LODGER_ID_FIRST_VA, &va) == 0;

    unsigned long got;
    STORE("sd", FORCED_VA - 4, 0x1122334455667788UL);
    got = LOAD("ld", FORCED_VA - 4);
    gprintf("case conflict_store_across: loaded=0x%lx\n", got);

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
    }
    off_lo = 0;
    off_hi = NOFFS;

    faults();
    gprintf("case code_inside: 0x%lx\n", run_code(0xa000, 0));
    gprintf("case code_straddling_in: 0x%lx\n", run_code(0, 1));
    gprintf("case code_straddling_out: 0x%lx\n", run_code(0x10000, 1));
    hammer();

    window_unmap();
    fullmap_disable();
    return failures;
}
