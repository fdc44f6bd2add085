/* The guest maps and uses the place where lodger keeps its first portion
 * (run-options: --first-portion 0x40000000): Sv39 pages at [F - 64 KiB,
 * F + 128 KiB), backed by guest RAM, plus a second virtual alias of
 * [F, F + 64 KiB). Under lodger the first touch is a conflict and the first
 * portion moves away; natively it is plain memory. Either way the guest must
 * see its own data at every page, with every kind of access: loads and
 * stores of each width (compressed and FP forms too), misaligned accesses
 * across pages, AMOs and LR/SC, code copied there and run, its trap vector
 * and its stack there. Under lodger (lib/counters.h): the first touch is
 * exactly one conflict and one relocation to an unused region, and nothing
 * after it is one. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define F 0x40000000UL              /* = --first-portion in run-options */
#define LO (F - 0x10000UL)          /* the range the guest maps: [LO, HI) */
#define HI (F + 0x20000UL)
#define ALIAS 0x40400000UL          /* a second mapping of [F, F + 64 KiB) */
#define DATA 0x80400000UL           /* guest-physical backing of [LO, HI) */
#define PA_OF(va) (DATA + ((va) - LO))
#define FP_SIZE 0x10000UL

extern char guest_end[];
extern char pic_add[], pic_add_end[], pic_xor[], pic_xor_end[], fwd_vec[], fwd_vec_end[];
extern char fwd_target[];
long call_on_stack(long (*fn)(long), long arg, void *stack_top);

static unsigned long pattern(unsigned long va) { return 0xc0de000000000000UL ^ (va * 0x9e3779b1UL); }
static unsigned long pattern2(unsigned long va) { return ~pattern(va) + 0x77; }

/* Words of [lo, hi) read through va_base that differ from want(va). */
static unsigned long mismatches(unsigned long lo, unsigned long hi, unsigned long va_base,
                                unsigned long (*want)(unsigned long), unsigned long *first)
{
    unsigned long bad = 0;
    *first = 0;
    for (unsigned long va = lo; va < hi; va += 8)
        if (*(volatile unsigned long *)(va_base + (va - lo)) != want(va)) {
            if (!bad)
                *first = va;
            bad++;
        }
    return bad;
}

#define LOAD(insn, addr) ({ unsigned long v_; \
    __asm__ volatile(".option push\n.option norvc\n" insn " %0, 0(%1)\n.option pop" \
                     : "=r"(v_) : "r"(addr) : "memory"); v_; })
#define STORE(insn, addr, val) __asm__ volatile(".option push\n.option norvc\n" insn \
    " %0, 0(%1)\n.option pop" :: "r"((unsigned long)(val)), "r"(addr) : "memory")
#define AMO(insn, addr, val) ({ unsigned long r_; \
    __asm__ volatile(insn " %0, %2, (%1)" : "=r"(r_) : "r"(addr), "r"((unsigned long)(val)) \
                     : "memory"); r_; })

static void widths(void)
{
    unsigned long p = F + 0x1000;   /* the first portion's second code page */
    STORE("sd", p, 0x8877665544332211UL);
    gprintf("case load_widths: lb=0x%lx lbu=0x%lx lh=0x%lx lhu=0x%lx lw=0x%lx lwu=0x%lx ld=0x%lx\n",
            LOAD("lb", p + 7), LOAD("lbu", p + 7), LOAD("lh", p + 6), LOAD("lhu", p + 6),
            LOAD("lw", p + 4), LOAD("lwu", p + 4), LOAD("ld", p));
    STORE("sd", p + 0x10, 0);
    STORE("sb", p + 0x10, 0xa1);
    STORE("sb", p + 0x11, 0xfff2);
    STORE("sh", p + 0x12, 0xb2c3);
    STORE("sw", p + 0x14, 0xd4e5f607);
    gprintf("case store_widths: 0x%lx\n", LOAD("ld", p + 0x10));

    /* Compressed forms: registers a0-a5 / fa0-fa5, and sp-relative. */
    register unsigned long a0 __asm__("a0") = p + 0x20;
    register unsigned long a1 __asm__("a1") = 0x0123456789abcdefUL;
    register unsigned long a2 __asm__("a2") = 0xfedcba98UL;
    register unsigned long a3 __asm__("a3"), a4 __asm__("a4");
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.sd a1, 0(a0)\n"
                     "c.sw a2, 8(a0)\n"
                     "c.ld a3, 0(a0)\n"
                     "c.lw a4, 8(a0)\n"
                     ".option pop" : "=r"(a3), "=r"(a4) : "r"(a0), "r"(a1), "r"(a2) : "memory");
    gprintf("case compressed: c.ld=0x%lx c.lw=0x%lx\n", a3, a4);
    unsigned long sp_ld, sp_lw;
    __asm__ volatile(".option push\n.option rvc\n"
                     "mv t1, sp\n"
                     "mv sp, %2\n"
                     "c.sdsp %3, 16(sp)\n"
                     "c.swsp %4, 24(sp)\n"
                     "c.ldsp %0, 16(sp)\n"
                     "c.lwsp %1, 24(sp)\n"
                     "mv sp, t1\n"
                     ".option pop" : "=&r"(sp_ld), "=&r"(sp_lw)
                     : "r"(p + 0x40), "r"(0x1122334455667788UL), "r"(0x99aabbccUL) : "t1", "memory");
    gprintf("case compressed_sp: c.ldsp=0x%lx c.lwsp=0x%lx\n", sp_ld, sp_lw);

    /* Floating point loads and stores (FS made Dirty first). */
    csr_set(sstatus, SSTATUS_FS);
    unsigned long fd, fw, cfd;
    register unsigned long cbase __asm__("a5") = p + 0x20;
    __asm__ volatile("fmv.d.x ft0, %3\n"
                     "fsd ft0, 0(%4)\n"
                     "fld ft1, 0(%4)\n"
                     "fmv.x.d %0, ft1\n"
                     "fmv.w.x ft2, %3\n"
                     "fsw ft2, 8(%4)\n"
                     "flw ft3, 8(%4)\n"
                     "fmv.x.w %1, ft3\n"
                     ".option push\n.option rvc\n"
                     "fmv.d.x fa0, %3\n"
                     "c.fsd fa0, 16(%5)\n"
                     "c.fld fa1, 16(%5)\n"
                     ".option pop\n"
                     "fmv.x.d %2, fa1"
                     : "=&r"(fd), "=&r"(fw), "=&r"(cfd)
                     : "r"(0x400921fb54442d18UL), "r"(p + 0x60), "r"(cbase)
                     : "ft0", "ft1", "ft2", "ft3", "fa0", "fa1", "memory");
    gprintf("case fp_loads_stores: fld=0x%lx flw=0x%lx c.fld=0x%lx word=0x%lx\n", fd, fw, cfd,
            LOAD("ld", p + 0x68));

    /* Misaligned, inside a page and across pages: the boundaries of the
     * first portion's pages, and its two ends. */
    static const unsigned long at[] = { F + 0x1081, F + 0x0ffc, F + 0x2ffd, F - 4, F - 1,
                                        F + FP_SIZE - 4, F + FP_SIZE - 7 };
    for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        unsigned long a = at[i], v = 0x0f1e2d3c4b5a6978UL + i;
        STORE("sd", a, v);
        unsigned long w = LOAD("ld", a), h = LOAD("lh", a + 1), wu = LOAD("lwu", a + 2);
        gprintf("case misaligned_%u: at F%+ld ld=0x%lx lh=0x%lx lwu=0x%lx %s\n", i,
                (long)(a - F), w, h, wu, w == v ? "ok" : "WRONG");
    }
}

static void atomics(void)
{
    unsigned long p = F + 0x2000;   /* the first portion's first trap-frame page */
    volatile unsigned long *w = (volatile unsigned long *)p;
    w[0] = 100;
    unsigned long o1 = AMO("amoswap.d", p, 7);
    unsigned long o2 = AMO("amoadd.d", p, 5);
    unsigned long o3 = AMO("amoand.d", p, 0xe);
    unsigned long o4 = AMO("amoor.d", p, 0x100);
    unsigned long o5 = AMO("amoxor.d", p, 0x1ff);
    gprintf("case amo_d: %lu 0x%lx 0x%lx 0x%lx 0x%lx final=0x%lx\n", o1, o2, o3, o4, o5, w[0]);
    w[1] = (unsigned long)-5;
    unsigned long m1 = AMO("amomax.d", p + 8, 3);
    unsigned long m2 = AMO("amominu.d", p + 8, 2);
    unsigned long m3 = AMO("amomaxu.d", p + 8, -1L);
    unsigned long m4 = AMO("amomin.d", p + 8, -9L);
    gprintf("case amo_minmax_d: 0x%lx 0x%lx 0x%lx 0x%lx final=0x%lx\n", m1, m2, m3, m4, w[1]);
    w[2] = 0x00000000fffffff0UL;
    unsigned long wa = AMO("amoadd.w", p + 16, 0x20);
    unsigned long ws = AMO("amoswap.w", p + 20, 0x80000001UL);
    unsigned long wm = AMO("amomin.w", p + 16, 0x7fffffffUL);
    gprintf("case amo_w: 0x%lx 0x%lx 0x%lx final=0x%lx\n", wa, ws, wm, w[2]);

    unsigned long v, rc, tries = 0;
    do {
        __asm__ volatile("lr.d %0, (%2)\n"
                         "addi %0, %0, 1\n"
                         "sc.d %1, %0, (%2)" : "=&r"(v), "=&r"(rc) : "r"(p + 24) : "memory");
    } while (rc && ++tries < 100);
    unsigned long vw, rcw;
    do {
        __asm__ volatile("lr.w %0, (%2)\n"
                         "addi %0, %0, -1\n"
                         "sc.w %1, %0, (%2)" : "=&r"(vw), "=&r"(rcw) : "r"(p + 32) : "memory");
    } while (rcw && ++tries < 200);
    gprintf("case lr_sc: d=0x%lx w=0x%lx %s\n", w[3], w[4], tries < 100 ? "ok" : "never succeeded");
    /* An SC to a place that holds no reservation fails and writes nothing. */
    w[5] = 0x55;
    __asm__ volatile("lr.d %0, (%2)\n"
                     "sc.d %1, %0, (%3)" : "=&r"(v), "=&r"(rc) : "r"(p + 24), "r"(p + 40) : "memory");
    gprintf("case sc_other_address: %s word=0x%lx\n", rc ? "failed" : "succeeded", w[5]);
    /* AMOs through the alias land in the same word. */
    unsigned long ao = AMO("amoadd.d", ALIAS + 0x2000, 0x1000);
    gprintf("case amo_alias: old=0x%lx through_F=0x%lx\n", ao, w[0]);
}

static void code(void)
{
    long at;
    void *dst = (void *)(F + 0x3000);
    __builtin_memcpy(dst, pic_add, (unsigned long)(pic_add_end - pic_add));
    fence_i();
    long r = ((long (*)(long, long *))dst)(5, &at);
    gprintf("case code_copied: %ld at F+0x%lx\n", r, (unsigned long)at - F);
    r = ((long (*)(long, long *))(ALIAS + 0x3000))(7, &at);
    gprintf("case code_through_alias: %ld at ALIAS+0x%lx\n", r, (unsigned long)at - ALIAS);
    /* Overwritten through the alias, run through F. */
    __builtin_memcpy((void *)(ALIAS + 0x3000), pic_xor, (unsigned long)(pic_xor_end - pic_xor));
    fence_i();
    r = ((long (*)(long, long *))dst)(0x1111, &at);
    gprintf("case code_rewritten: 0x%lx at F+0x%lx\n", r, (unsigned long)at - F);
    /* Straddling the first portion's upper end. */
    unsigned long end = F + FP_SIZE - 8;
    __builtin_memcpy((void *)end, pic_add, (unsigned long)(pic_add_end - pic_add));
    fence_i();
    r = ((long (*)(long, long *))end)(100, &at);
    gprintf("case code_straddling_end: %ld at F+0x%lx\n", r, (unsigned long)at - F);
}

static void trap_vector_there(void)
{
    unsigned long vec = F + 0x4000, old = csr_read(stvec);
    __builtin_memcpy((void *)vec, fwd_vec, (unsigned long)(fwd_vec_end - fwd_vec));
    fence_i();
    csr_write(sscratch, fwd_target);
    csr_write(stvec, vec);
    int before = last_trap.count;
    __asm__ volatile("ebreak");
    unsigned long c1 = last_trap.scause;
    *(volatile unsigned long *)0x50000000UL = 1;    /* unmapped */
    unsigned long c2 = last_trap.scause, t2 = last_trap.stval;
    int n = last_trap.count - before;
    csr_write(stvec, old);
    gprintf("case trap_vector_in_region: traps=%d scause=%lu,%lu stval=0x%lx sscratch=%s\n", n,
            c1, c2, t2, csr_read(sscratch) == (unsigned long)fwd_target ? "kept" : "other");
}

static long recurse(long n)
{
    volatile long local[8];
    for (int i = 0; i < 8; i++)
        local[i] = n * i;
    if (n == 3)
        __asm__ volatile("ebreak");     /* a trap taken with sp in the region */
    return n == 0 ? 0 : local[7] + recurse(n - 1);
}

int guest_main(void)
{
    gprintf("=== begin: fp_conflict ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");

    /* Bare: the pattern, written physically. */
    for (unsigned long va = LO; va < HI; va += 8)
        *(volatile unsigned long *)PA_OF(va) = pattern(va);

    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, LO, DATA, HI - LO, PTE_RWX);
    pt_map(root, 3, ALIAS, PA_OF(F), FP_SIZE, PTE_RWX);
    satp_switch(satp_of(root, 3, 0));

    /* The first touch: a load from the first page. */
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long v = *(volatile unsigned long *)(F + 0x18);
    fp_expect("the first touch", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    gprintf("case first_touch_load: 0x%lx %s\n", v, v == pattern(F + 0x18) ? "ok" : "WRONG");
    unsigned long first, bad = mismatches(LO, HI, LO, pattern, &first);
    gprintf("case range_read: mismatches=%lu first=0x%lx\n", bad, first);
    bad = mismatches(F, F + FP_SIZE, ALIAS, pattern, &first);
    gprintf("case alias_read: mismatches=%lu first=0x%lx\n", bad, first);

    /* Every word rewritten through F; seen physically and through the alias. */
    for (unsigned long va = LO; va < HI; va += 8)
        *(volatile unsigned long *)va = pattern2(va);
    bad = mismatches(LO, HI, PA_OF(LO), pattern2, &first);
    gprintf("case range_write_physical: mismatches=%lu first=0x%lx\n", bad, first);
    bad = mismatches(F, F + FP_SIZE, ALIAS, pattern2, &first);
    gprintf("case range_write_alias: mismatches=%lu first=0x%lx\n", bad, first);

    /* Stores through the alias, loads through F, and back. */
    *(volatile unsigned long *)(ALIAS + 0x5008) = 0xa11a5UL;
    *(volatile unsigned long *)(F + 0xf010) = 0xf00dUL;
    gprintf("case alias_store: F=0x%lx alias=0x%lx physical=0x%lx\n",
            *(volatile unsigned long *)(F + 0x5008), *(volatile unsigned long *)(ALIAS + 0xf010),
            *(volatile unsigned long *)PA_OF(F + 0xf010));

    widths();
    atomics();
    code();
    trap_vector_there();

    int before = last_trap.count;
    long sum = call_on_stack(recurse, 6, (void *)(F + 0x7000));
    gprintf("case stack_in_region: %ld traps=%d\n", sum, last_trap.count - before);

    /* Last: every word through F equals the physical word. */
    bad = 0;
    for (unsigned long va = LO; va < HI; va += 8)
        bad += *(volatile unsigned long *)va != *(volatile unsigned long *)PA_OF(va);
    gprintf("case range_final_consistent: mismatches=%lu\n", bad);
    fp_expect("the accesses after the first touch", &counts, FP_NOTHING);

    satp_switch(0);
    return failures;
}
