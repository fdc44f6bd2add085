/* Fences of addresses that alias lodger's own pages (issue 12, item 1),
 * through every fence path a guest has: sfence.vma with rs1 (and rs2 = x0,
 * an ASID, a register holding 0), SBI RFENCE remote_sfence_vma and
 * remote_sfence_vma_asid (one page and ranges covering the address), and
 * the legacy SBI remote sfence calls (EID 6 and 7); in Bare mode, Sv39 and
 * Sv57. Two vCPUs (run-options): the second spins making SBI calls, so
 * that a fence which removes its frame page shows too.
 *
 * The aliases: lodger's first portion (2 code pages, then one frame page
 * per vCPU) and its guest-RAM window (for guests narrower than the host:
 * Sv39 here), with the bits above the virtual-address width changed: bit
 * 63 flipped, bits 63:57 cleared, bits 63:57 = 0x7e. None of these is a
 * valid virtual address in any mode, so each fence has no effect
 * (privileged spec 4.2.1: "If the value held in rs1 is not a valid virtual
 * address, then the SFENCE.VMA instruction has no effect. No exception is
 * raised in this case."). Lodger's places are read from its counter 54;
 * natively (no such extension) the defaults stand in, which is what a
 * guest could guess. Nothing printed depends on them.
 *
 * After each fence: an ebreak (a trap lodger's vector must take), an SBI
 * call (a trap lodger's C code serves), a load through a fresh mapping in
 * the paged modes (a shadow fill), and the second hart must still make
 * progress. Each case line counts the fences after which all of that held.
 * Last, in each paged mode, a page remapped under both harts (item 3). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 16
#include "../lib/pagetable.h"

#define LODGER_EID 0x0A4C4447UL
#define LODGER_ID_FIRST_VA 54           /* docs/COUNTERS.md */
#define DEFAULT_FIRST_VA 0xff00000040000000UL   /* src/core/reloc.c, Sv57 host */
#define DEFAULT_WINDOW_VA 0xff00008000000000UL  /* src/core/vm.c, Sv57 host */
#define FIRST_PAGES 4                   /* 2 code pages, 2 frames (2 vCPUs) */
#define SBI_LEGACY_REMOTE_SFENCE_VMA 6
#define SBI_LEGACY_REMOTE_SFENCE_VMA_ASID 7
#define DATA 0x80600000UL               /* pages the paged modes map afresh */

void second_entry(void);

static volatile unsigned long second_alive, second_stop, second_done;

/* Work for the second hart (it acknowledges by setting cmd back to 0). */
enum { CMD_NONE, CMD_SATP, CMD_LOAD, CMD_FENCE };
static volatile unsigned long cmd, cmd_arg, cmd_result;

static void second_serve(void)
{
    unsigned long c = __atomic_load_n(&cmd, __ATOMIC_ACQUIRE);
    if (c == CMD_SATP)
        satp_switch(cmd_arg);
    else if (c == CMD_LOAD)
        cmd_result = *(volatile unsigned long *)cmd_arg;
    else if (c == CMD_FENCE)
        sfence_va(cmd_arg);
    if (c != CMD_NONE)
        __atomic_store_n(&cmd, CMD_NONE, __ATOMIC_RELEASE);
}

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    while (!__atomic_load_n(&second_stop, __ATOMIC_ACQUIRE)) {
        sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0);     /* a trap into lodger */
        __atomic_fetch_add(&second_alive, 1, __ATOMIC_RELEASE);
        second_serve();
    }
    __atomic_store_n(&second_done, 1, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);           /* hart_stop */
}

/* The second hart makes progress (bounded: a hart that stopped for good
 * ends the wait after ~10^8 polls, natively well under a second). */
static int second_progresses(void)
{
    unsigned long start = __atomic_load_n(&second_alive, __ATOMIC_ACQUIRE);
    for (unsigned long i = 0; i < 100000000UL; i++)
        if (__atomic_load_n(&second_alive, __ATOMIC_ACQUIRE) >= start + 2)
            return 1;
    return 0;
}

#define NTARGETS 24
static unsigned long targets[NTARGETS];
static int ntargets;

static void add_aliases(unsigned long va)
{
    targets[ntargets++] = va ^ (1UL << 63);
    targets[ntargets++] = va & ((1UL << 57) - 1);
    targets[ntargets++] = (va & ((1UL << 57) - 1)) | 0x7eUL << 57;
}

enum path {
    SFENCE_RS1, SFENCE_RS1_ASID, SFENCE_RS1_ZERO_REG, RFENCE_PAGE, RFENCE_RANGE,
    RFENCE_ASID_PAGE, RFENCE_ASID_RANGE, LEGACY_PAGE, LEGACY_RANGE, LEGACY_ASID_RANGE, NPATHS
};
static const char *const path_names[NPATHS] = {
    "sfence_rs1", "sfence_rs1_asid", "sfence_rs1_rs2_zero", "rfence_page", "rfence_range",
    "rfence_asid_page", "rfence_asid_range", "legacy_page", "legacy_range", "legacy_asid_range",
};

static unsigned long all_harts = 3;

/* sbi_call with a4 too (remote_sfence_vma_asid's ASID): 0, the ASID the
 * guest runs under, so that lodger's ASID-keyed flushes reach its shadows. */
static long sbi_call5(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                      unsigned long a2, unsigned long a3, unsigned long a4)
{
    register unsigned long r0 __asm__("a0") = a0, r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2, r3 __asm__("a3") = a3, r4 __asm__("a4") = a4;
    register unsigned long r6 __asm__("a6") = fid, r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7)
                     : "memory");
    return (long)r0;
}     /* legacy hart mask, in memory */

/* One fence of va through a path; returns the SBI error (0 for sfence.vma). */
static long fence(enum path p, unsigned long va)
{
    unsigned long zero = 0, asid = 5;
    switch (p) {
    case SFENCE_RS1:
        __asm__ volatile("sfence.vma %0" :: "r"(va) : "memory");
        return 0;
    case SFENCE_RS1_ASID:
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
        return 0;
    case SFENCE_RS1_ZERO_REG:   /* rs2 names a register (not x0) that holds ASID 0 */
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(zero) : "memory");
        return 0;
    case RFENCE_PAGE:
        return sbi_call(SBI_EXT_RFENCE, 1, 0, (unsigned long)-1, va, 1).error;
    case RFENCE_RANGE:          /* covering the alias: from a page below, 6 pages */
        return sbi_call(SBI_EXT_RFENCE, 1, 0, (unsigned long)-1, va - PAGE, 6 * PAGE).error;
    case RFENCE_ASID_PAGE:
        return sbi_call5(SBI_EXT_RFENCE, 2, 0, (unsigned long)-1, va, PAGE, 0);
    case RFENCE_ASID_RANGE:
        return sbi_call5(SBI_EXT_RFENCE, 2, 0, (unsigned long)-1, va - 2 * PAGE, 8 * PAGE, 0);
    case LEGACY_PAGE:           /* legacy calls return a0 only */
        return sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA, 0, (unsigned long)&all_harts, va, PAGE, 0).error;
    case LEGACY_RANGE:
        return sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA, 0, 0, va - PAGE, 4 * PAGE, 0).error;
    case LEGACY_ASID_RANGE:
        return sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA_ASID, 0, (unsigned long)&all_harts,
                        va - PAGE, 3 * PAGE, 0).error;
    default:
        return -100;
    }
}

static unsigned long *root;
static int levels;                      /* 0: Bare */
static unsigned data_page;

/* After a fence: a trap, an SBI call, a shadow fill, the other hart. */
static int intact(void)
{
    int before = last_trap.count;
    __asm__ volatile("ebreak" ::: "memory");
    int ok = last_trap.count - before == 1 && last_trap.scause == 3;
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0);
    ok &= r.error == 0 && r.value != 0;
    if (levels) {
        /* A page not touched since it was mapped: the load fills a shadow entry. */
        unsigned long va = 0x40000000UL + (unsigned long)(data_page % 256) * PAGE;
        unsigned long pa = DATA + (unsigned long)(data_page % 256) * PAGE;
        *(volatile unsigned long *)pa = 0x5a5a0000UL + data_page;
        pt_map(root, levels, va, pa, PAGE, PTE_RW);
        sfence_va(va);
        ok &= *(volatile unsigned long *)va == 0x5a5a0000UL + data_page;
        data_page++;
    }
    ok &= second_progresses();
    return ok;
}

/* -DHOSTILE_FENCES_PATH=n: that path alone (to see each one fail by itself). */
#ifndef HOSTILE_FENCES_PATH
#define HOSTILE_FENCES_PATH -1
#endif

static void run_paths(const char *mode)
{
    for (int p = 0; p < NPATHS; p++) {
        if (HOSTILE_FENCES_PATH >= 0 && p != HOSTILE_FENCES_PATH)
            continue;
        int good = 0, errors_ok = 0;
        for (int t = 0; t < ntargets; t++) {
            long err = fence((enum path)p, targets[t]);
            errors_ok += err == 0;
            good += intact();
        }
        gprintf("case %s_%s: sbi_error_0=%d/%d intact=%d/%d\n", mode, path_names[p], errors_ok,
                ntargets, good, ntargets);
        CHECK(errors_ok == ntargets && good == ntargets);
    }
}

static unsigned long on_second(unsigned long c, unsigned long arg)
{
    cmd_arg = arg;
    __atomic_store_n(&cmd, c, __ATOMIC_RELEASE);
    while (__atomic_load_n(&cmd, __ATOMIC_ACQUIRE) != CMD_NONE)
        ;
    return cmd_result;
}

/* Issue 12, item 3: both harts on one table read a page; it is remapped;
 * the boot hart fences it (lodger drops the shadow entry and fences its
 * own TLB), then the second hart fences it (nothing left to drop in the
 * shadow: its own TLB must be fenced all the same) and must read the new
 * page. (QEMU 7.2 flushes a hart's whole TLB on every satp write, and
 * lodger's trap entry writes satp, so only hardware with real TLBs could
 * show a missing fence here; the case checks the remap on both harts.) */
static void remap_two_harts(void)
{
    const unsigned long va = 0x50000000UL, pa1 = DATA + 0x100000UL, pa2 = pa1 + PAGE;
    *(volatile unsigned long *)pa1 = 0x1111;
    *(volatile unsigned long *)pa2 = 0x2222;
    pt_map(root, levels, va, pa1, PAGE, PTE_RW);
    sfence_va(va);
    on_second(CMD_SATP, csr_read(satp));
    unsigned long a0 = *(volatile unsigned long *)va, a1 = on_second(CMD_LOAD, va);
    pt_map(root, levels, va, pa2, PAGE, PTE_RW);
    sfence_va(va);
    unsigned long b0 = *(volatile unsigned long *)va;
    on_second(CMD_FENCE, va);
    unsigned long b1 = on_second(CMD_LOAD, va);
    on_second(CMD_SATP, 0);
    gprintf("case sv%d_remap_two_harts: before=%lx,%lx after=%lx,%lx\n", 12 + 9 * levels, a0, a1,
            b0, b1);
    CHECK(a0 == 0x1111 && a1 == 0x1111 && b0 == 0x2222 && b1 == 0x2222);
}

int guest_main(void)
{
    gprintf("=== begin: hostile_fences ===\n");
    unsigned long first_va = DEFAULT_FIRST_VA;
    struct sbiret r = sbi_call(LODGER_EID, 1, LODGER_ID_FIRST_VA, 0, 0, 0);
    if (r.error == 0)
        first_va = (unsigned long)r.value;
    for (int i = 0; i < FIRST_PAGES; i++)
        add_aliases(first_va + (unsigned long)i * PAGE);
    /* The window maps guest RAM from its base: its first pages hold
     * nothing of this guest's, the pages of its code and tables do. */
    add_aliases(DEFAULT_WINDOW_VA + ((unsigned long)&pt_pool[0] - 0x80000000UL));
    add_aliases(DEFAULT_WINDOW_VA + ((unsigned long)&guest_main - 0x80000000UL));

    /* The other hart: stopped at boot, started here (the boot hart may be
     * either natively: nothing printed depends on which). */
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    int me = s0.error == 0 && s0.value == 0 ? 0 : 1;
    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)(1 - me),
                                (unsigned long)second_entry, 0, 0);
    gprintf("case start_second: error=%ld progresses=%d\n", st.error, st.error ? 0 : second_progresses());
    if (st.error)
        return failures + 1;

    run_paths("bare");
    static const int modes[] = { 3, 5 };
    for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        levels = modes[m];
        pt_used = 0;
        root = pt_alloc();
        pt_map_identity(root, levels);
        satp_switch(satp_of(root, levels, 0));
        run_paths(levels == 3 ? "sv39" : "sv57");
        remap_two_harts();
        satp_switch(0);
    }
    levels = 0;

    __atomic_store_n(&second_stop, 1, __ATOMIC_RELEASE);
    unsigned long spins = 0;
    while (!__atomic_load_n(&second_done, __ATOMIC_ACQUIRE) && spins < 100000000UL)
        spins++;
    gprintf("case second_stopped: %s\n", second_done ? "yes" : "no");
    CHECK(second_done);
    return failures;
}
