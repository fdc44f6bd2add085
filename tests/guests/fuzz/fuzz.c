/* The fuzzing guest: from a seed (FUZZ_SEED), FUZZ_OPS random privileged
 * operations, in batches of about BATCH_OPS. Each batch is a random mix of
 *
 *  - system: random SYSTEM/MISC-MEM words in S-mode (CSR accesses of any
 *    CSR with random values, sfence.vma with random operands, wfi, fences),
 *    from varied harness states (translation on or off, an interrupt half
 *    way to being taken);
 *  - user: the same words from U-mode;
 *  - warl: random writes to every CSR lodger virtualizes (satp included);
 *  - paging: hostile Sv39/48/57 tables (random bits, loops, reserved bits,
 *    paths to where lodger keeps its first portion) and accesses through
 *    them from S and U mode, non-canonical addresses among them;
 *  - jumps: calls and srets (random SPP/SPIE) to wild addresses;
 *  - fences: sfence.vma and SBI remote fences over random ranges and ASIDs,
 *    lodger's first-portion places and non-canonical addresses among them;
 *  - sbi: SBI calls of every extension with random function ids and
 *    arguments (but those that end or stop the hart or print);
 *  - mmio: reads and writes of the UART and PLIC registers and reads just
 *    around their windows;
 *
 * the first five taken from the hostile guest (tests/guests/hostile, built
 * in here as a library). After each batch it checks its invariants: its
 * own code and a canary region still hold their checksums, a trap still
 * comes back (ebreak), the timer still fires, SBI still answers. Then it
 * prints "case batchN: HASH" where HASH covers what the deterministic
 * operations saw (the first five kinds; what SBI and MMIO answer differs
 * between OpenSBI with QEMU's devices and lodger, and is left out), so that
 * tests/run-tests.py compares the run with a native one batch by batch.
 *
 * make fuzz-guest SEED=... OPS=... builds a variant with another seed and
 * length and runs it natively and under lodger (tools/fuzz-guest). */
#include "../lib/guest.h"

#ifndef FUZZ_SEED
#define FUZZ_SEED 1
#endif
#ifndef FUZZ_OPS
#define FUZZ_OPS 100000
#endif
#define BATCH_OPS 1000

/* -DFUZZ_VERBOSE_FROM=N: one line per operation from batch N on (the
 * hostile guest's VLOG lines and this file's), to name the operation that
 * differs or hangs. */
#ifdef FUZZ_VERBOSE_FROM
static int fuzz_verbose;
#define HOSTILE_VERBOSE fuzz_verbose
#endif

/* The hostile guest's parts, run for the counts the batches choose. */
static int system_n, user_n, warl_n, trials_n, jumps_n;
#define HOSTILE_AS_LIBRARY 1
#define SYSTEM_PER_SEED system_n
#define USER_PER_SEED user_n
#define WARL_PER_CSR warl_n
#define PAGING_TRIALS trials_n
#define PAGING_ACCESSES 10
#define RANDOM_JUMPS jumps_n
/* Its fixed fence list and trap storm are the hostile guest's own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../hostile/main.c"
#pragma GCC diagnostic pop

#define WARL_CSRS 14        /* the CSRs part_warl writes */

/* ---- fences over random ranges ---- */

static unsigned long rnd_fence_va(void)
{
    switch (rnd_below(6)) {
    case 0: return fp_places[rnd_below(2)] + (rnd() & 0x7000);
    /* Differs from a first-portion place in bits 63:57 only. */
    case 1: return (fp_places[0] & ((1UL << 57) - 1)) | (rnd() & 0x7fUL) << 57;
    case 2: return 0x80200000UL + (rnd() & 0xfffff000UL);
    case 3: return ~0UL - (rnd() & 0xffff);
    default: return rnd_value();
    }
}

static void op_fence(void)
{
    unsigned long va = rnd_fence_va(), asid = rnd_below(2) ? 0 : rnd_value();
    if (rnd_below(2)) {
        VLOG("v sfence va=0x%lx asid=0x%lx\n", va, asid);
        switch (rnd_below(4)) {
        case 0: __asm__ volatile("sfence.vma" ::: "memory"); break;
        case 1: __asm__ volatile("sfence.vma %0" :: "r"(va) : "memory"); break;
        case 2: __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory"); break;
        default: __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory"); break;
        }
        mix(0xfe);
    } else {
        /* remote_fence_i, remote_sfence_vma(_asid) on this hart (mask 1,
         * base 0) or a random hart mask; sizes that wrap, cover all or
         * nothing. */
        unsigned long fid = rnd_below(3), mask = rnd_below(4) ? 1 : rnd_value();
        unsigned long base = rnd_below(4) ? 0 : rnd_value();
        unsigned long size = rnd_below(3) ? rnd() & 0x3ffff : rnd_value();
        VLOG("v rfence fid=%lu mask=0x%lx base=0x%lx va=0x%lx size=0x%lx\n", fid, mask, base, va,
             size);
        struct sbiret r = sbi_call(SBI_EXT_RFENCE, fid, mask, base, va, size);
        (void)r;    /* OpenSBI and lodger may refuse different masks alike or not */
    }
    /* lodger's trap vector must still be there. */
    int before = last_trap.count;
    __asm__ volatile("ebreak" ::: "memory");
    mix((unsigned long)(last_trap.count - before));
}

/* ---- SBI calls with random arguments ---- */

#define SBI_EXT_DBCN 0x4442434E
#define SBI_EXT_LODGER 0x0A4C4447

/* Calls that would end the run or the hart, or print (the output would
 * differ from a native run): left out. And PMU (lodger offers none):
 * OpenSBI 1.1 takes a load access fault in M-mode on counter_fw_read of a
 * bad counter index ("sbi_trap_error: trap handler failed") and the native
 * run dies. */
static bool sbi_excluded(unsigned long eid, unsigned long fid)
{
    switch (eid) {
    case 0x504D55: return true;                         /* PMU */
    case SBI_EXT_SRST: return true;                     /* system reset */
    case 0x08: return true;                             /* legacy shutdown */
    case SBI_EXT_LEGACY_PUTCHAR: return true;
    case SBI_EXT_HSM: return fid == 1 || fid == 3;      /* hart_stop, hart_suspend */
    case SBI_EXT_DBCN: return fid != 1;                 /* writes print; read stays */
    case SBI_EXT_LODGER: return fid == 2;               /* prints the counters */
    default: return false;
    }
}

static void op_sbi(void)
{
    static const unsigned long eids[] = {
        SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM, SBI_EXT_DBCN,
        SBI_EXT_LODGER, SBI_EXT_LEGACY_SET_TIMER, 0x02, SBI_EXT_LEGACY_CLEAR_IPI,
        SBI_EXT_LEGACY_SEND_IPI, 0x05, 0x06, 0x07, 0x09, 0x0f, 0x4442434F, 0x0A000000,
        0x43505043 /* CPPC */,
    };
    unsigned long eid, fid;
    do {
        eid = rnd_below(8) ? eids[rnd_below(sizeof(eids) / sizeof(eids[0]))] : rnd_value();
        fid = rnd_below(4) ? rnd_below(8) : rnd_value();
    } while (sbi_excluded(eid, fid));
    unsigned long a0 = rnd_value(), a1 = rnd_value(), a2 = rnd_value(), a3 = rnd_value();
    /* A legacy fence or IPI takes a pointer to a hart mask: now and then
     * a real one. */
    static unsigned long mask_word = 1;
    if (eid >= 4 && eid <= 7 && rnd_below(2))
        a0 = (unsigned long)&mask_word;
    /* The trap a bad pointer may raise (OpenSBI redirects it) is skipped. */
    VLOG("v sbi eid=0x%lx fid=0x%lx a0=0x%lx a1=0x%lx a2=0x%lx a3=0x%lx\n", eid, fid, a0, a1, a2,
         a3);
    sbi_call(eid, fid, a0, a1, a2, a3);
}

/* ---- MMIO to and around the devices ---- */

#define UART_BASE 0x10000000UL
#define PLIC_BASE 0x0c000000UL

static unsigned long mmio_read(unsigned long pa, unsigned width)
{
    switch (width) {
    case 1: return *(volatile uint8_t *)pa;
    case 2: return *(volatile uint16_t *)pa;
    case 4: return *(volatile uint32_t *)pa;
    default: return *(volatile uint64_t *)pa;
    }
}

static void mmio_write(unsigned long pa, unsigned width, unsigned long v)
{
    switch (width) {
    case 1: *(volatile uint8_t *)pa = (uint8_t)v; break;
    case 2: *(volatile uint16_t *)pa = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)pa = (uint32_t)v; break;
    default: *(volatile uint64_t *)pa = v; break;
    }
}

/* UART registers a write may touch: IER, FCR, LCR, MCR, LSR, MSR, SCR.
 * Not THR/DLL (offset 0): it would print, or change the divisor natively.
 * LCR, IER and MCR are put back after each slice (natively the firmware's
 * console shares this UART: DLAB or loopback would swallow its output). */
static const uint8_t uart_writable[] = { 1, 2, 3, 4, 5, 6, 7 };

static void op_mmio(void)
{
    static const unsigned widths[] = { 1, 1, 1, 2, 4, 8 };
    unsigned width = widths[rnd_below(6)];
    unsigned long pa, v = rnd_value();
    switch (rnd_below(8)) {
    case 0: case 1: case 2:     /* UART registers, byte writes */
        if (rnd_below(2)) {
            pa = UART_BASE + uart_writable[rnd_below(sizeof(uart_writable))];
            VLOG("v mmio write 0x%lx 0x%lx\n", pa, v & 0xff);
            mmio_write(pa, 1, v);
        } else {
            (void)mmio_read(UART_BASE + rnd_below(8), 1);
        }
        return;
    case 3: case 4:             /* PLIC: priorities, context 1, claims */
        switch (rnd_below(5)) {
        case 0: pa = PLIC_BASE + 4 * rnd_below(32); break;             /* priority */
        case 1: pa = PLIC_BASE + 0x1000 + 4 * rnd_below(2); break;     /* pending */
        case 2: pa = PLIC_BASE + 0x2080 + 4 * rnd_below(2); break;     /* enable */
        case 3: pa = PLIC_BASE + 0x201000; break;                      /* threshold */
        default: pa = PLIC_BASE + 0x201004; break;                     /* claim */
        }
        VLOG("v mmio plic 0x%lx 0x%lx\n", pa, v);
        if (rnd_below(2))
            mmio_write(pa, 4, v);
        else
            (void)mmio_read(pa, 4);
        return;
    default: {                  /* reads around the windows, any width */
        static const unsigned long around[] = {
            UART_BASE - 8, UART_BASE + 8, UART_BASE + 0xf8, UART_BASE + 0x100,
            UART_BASE + 0xff8, PLIC_BASE - 8, PLIC_BASE + 0x3ffff8, PLIC_BASE + 0x400000,
            PLIC_BASE + 0x5ffff8, PLIC_BASE + 0x600000, PLIC_BASE + 0x3fffff8,
            0x0fffffff0UL, 0x0200bff8UL /* CLINT mtime natively */, 0x0,
        };
        pa = around[rnd_below(sizeof(around) / sizeof(around[0]))] + rnd_below(8);
        if (width > 1)
            pa &= ~(unsigned long)(width - 1) | (rnd_below(4) ? 0 : 1);
        VLOG("v mmio read 0x%lx width %u\n", pa, width);
        (void)mmio_read(pa, width);
        return;
    }
    }
}

/* ---- invariants ---- */

extern char _start[], guest_text_end[];
static uint64_t canary[2048];

static uint64_t checksum(const void *from, const void *to)
{
    uint64_t h = 0xcbf29ce484222325UL;
    for (const uint64_t *p = from; p < (const uint64_t *)to; p++) {
        h ^= *p;
        h *= 0x100000001b3UL;
    }
    return h;
}

static uint64_t text_sum, canary_sum;

/* The timer: a deadline 1 ms ahead must make STIP pending within 10 s (of
 * time; the wait is bounded), and the interrupt be taken once SIE is set.
 * The wait runs with SIE=0 (wfi wakes on an interrupt pending and enabled
 * in sie alone): with SIE=1, an interrupt taken between the loop's test
 * and the wfi (its handler masks sie.STIE) would leave the wfi asleep for
 * good. */
static bool timer_fires(void)
{
    unsigned long start = csr_read(time);
    int before = last_trap.count;
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
    sbi_set_timer(start + 10000);
    csr_write(sie, SIP_STIP);
    while (!(csr_read(sip) & SIP_STIP) && csr_read(time) - start < 100000000UL)
        __asm__ volatile("wfi");
    csr_set(sstatus, SSTATUS_SIE);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    sbi_set_timer(~0UL);
    return last_trap.count == before + 1 && last_trap.scause == (CAUSE_INTERRUPT | IRQ_STI);
}

static void check_invariants(unsigned batch)
{
    int f = failures;
    CHECK(checksum(_start, guest_text_end) == text_sum);
    CHECK(checksum(canary, canary + 2048) == canary_sum);
    int before = last_trap.count;
    __asm__ volatile("ebreak" ::: "memory");
    CHECK(last_trap.count == before + 1 && last_trap.scause == 3);
    CHECK(timer_fires());
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0);    /* spec version */
    CHECK(r.error == 0 && r.value >= 1);
    r = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_TIME, 0, 0, 0);       /* probe TIME */
    CHECK(r.error == 0 && r.value != 0);
    if (failures != f)
        gprintf("invariants broken after batch %u\n", batch);
}

/* ---- batches ---- */

enum kind { K_SYSTEM, K_USER, K_WARL, K_PAGING, K_JUMPS, K_FENCE, K_SBI, K_MMIO, KINDS };
static const char *const kind_names[] = { "system", "user", "warl", "paging", "jumps",
                                          "fence", "sbi", "mmio" };
static unsigned long kind_ops[KINDS];

/* One slice of a batch: a kind and a few of its operations. Returns how
 * many operations ran. */
static unsigned run_slice(void)
{
    enum kind k = (enum kind)rnd_below(KINDS);
    unsigned n;
    VLOG("v slice %s\n", kind_names[k]);
    switch (k) {
    case K_SYSTEM: system_n = n = 10 + rnd_below(40); part_system(); break;
    case K_USER: user_n = n = 5 + rnd_below(20); part_user(); break;
    case K_WARL: warl_n = 1 + rnd_below(2); n = warl_n * WARL_CSRS; part_warl(); break;
    case K_PAGING:
        fill_dpages();
        n = (1 + rnd_below(3)) * PAGING_ACCESSES;
        for (unsigned t = 0; t < n / PAGING_ACCESSES; t++)
            paging_trial((int)t);
        break;
    case K_JUMPS: jumps_n = 1 + rnd_below(6); n = 2 * jumps_n; part_jumps(); break;
    case K_FENCE: n = 5 + rnd_below(10); for (unsigned i = 0; i < n; i++) op_fence(); break;
    case K_SBI: n = 5 + rnd_below(20); for (unsigned i = 0; i < n; i++) op_sbi(); break;
    default: {
        n = 5 + rnd_below(30);
        uint8_t ier = *(volatile uint8_t *)(UART_BASE + 1);
        uint8_t lcr = *(volatile uint8_t *)(UART_BASE + 3);
        uint8_t mcr = *(volatile uint8_t *)(UART_BASE + 4);
        for (unsigned i = 0; i < n; i++)
            op_mmio();
        *(volatile uint8_t *)(UART_BASE + 3) = lcr;
        *(volatile uint8_t *)(UART_BASE + 1) = ier;
        *(volatile uint8_t *)(UART_BASE + 4) = mcr;
        /* Every source's priority back to 0 (never interrupts): natively
         * context 1 is this hart's S-mode, under lodger it is no one's, so
         * an external interrupt left enabled there would make sip differ. */
        for (unsigned s = 1; s < 32; s++)
            *(volatile uint32_t *)(PLIC_BASE + 4 * s) = 0;
        break;
    }
    }
    /* What SBI calls and MMIO may have left: a timer deadline, a pending
     * software interrupt, interrupt enables. */
    if (k == K_SBI || k == K_MMIO) {
        sbi_set_timer(~0UL);
        csr_write(sie, 0);
        csr_clear(sip, SIP_SSIP);
    }
    kind_ops[k] += n;
    return n;
}

int guest_main(void)
{
    gprintf("=== begin: fuzz ===\n");
    csr_set(sstatus, SSTATUS_FS);
    sbi_set_timer(~0UL);
    build_identity();
    rng_state = FUZZ_SEED * 0x9e3779b97f4a7c15UL | 1;
    for (unsigned i = 0; i < 2048; i++)
        canary[i] = rnd();
    text_sum = checksum(_start, guest_text_end);
    canary_sum = checksum(canary, canary + 2048);
    gprintf("case seed: %lu ops=%lu\n", (unsigned long)FUZZ_SEED, (unsigned long)FUZZ_OPS);

    unsigned long ops = 0;
    unsigned batch = 0;
    while (ops < FUZZ_OPS) {
#ifdef FUZZ_VERBOSE_FROM
        fuzz_verbose = batch >= FUZZ_VERBOSE_FROM;
#endif
        default_pre();
        hash = 0xcbf29ce484222325UL;
        unsigned long in_batch = 0;
        while (in_batch < BATCH_OPS && ops + in_batch < FUZZ_OPS)
            in_batch += run_slice();
        ops += in_batch;
        check_invariants(batch);
        gprintf("case batch%u: 0x%016lx\n", batch, (unsigned long)hash);
        batch++;
    }
    for (int k = 0; k < KINDS; k++)
        gprintf("case ops_%s: %lu\n", kind_names[k], kind_ops[k]);
    gprintf("case ops: %lu in %u batches\n", ops, batch);
    return failures;
}
