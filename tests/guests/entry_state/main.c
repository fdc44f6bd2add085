/* The state a hart starts in (issue 11.3, 12.4). OpenSBI starts the payload
 * and every hart that HSM hart_start starts with sstatus.FS = Dirty when
 * the hart has F/D (its mstatus_init), VS = Off without V, SUM = MXR = SPP
 * = SPIE = SIE = 0, and scounteren = 7: a guest may use FP registers at
 * once, without setting FS. Checked on the boot hart at entry, on the other
 * hart after an HSM start, and on it again after it stopped with SUM, MXR
 * and FS changed (run-options: --vcpus 2 --smp 2). Then V: without it
 * (QEMU's default rv64 CPU), a vector instruction and a vector CSR are
 * illegal instructions, and VS does not turn them on. U-mode cbo.zero and
 * cbo.inval with senvcfg as it starts are illegal too. */
#include "../lib/guest.h"

extern unsigned long at_entry[2];               /* sstatus, scounteren (lib/start.S) */
extern volatile unsigned long second_at_entry[2];
void second_entry(void);
void u_cbo_zero(long), u_cbo_inval(long);
static unsigned long cbo_target[64] __attribute__((aligned(64)));

/* An FP computation with FS as the hart started: 1.5 + 1.5, bits back. */
static unsigned long fp_use(void)
{
    unsigned long r;
    __asm__ volatile("fmv.d.x ft0, %1\n"
                     "fadd.d ft1, ft0, ft0\n"
                     "fmv.x.d %0, ft1" : "=r"(r) : "r"(0x3ff8000000000000UL) : "ft0", "ft1");
    return r;
}

static void report(const char *who, unsigned long sstatus, unsigned long scounteren)
{
    gprintf("case %s_sstatus: 0x%lx (fs=%lu vs=%lu sum=%lu mxr=%lu spp=%lu spie=%lu sie=%lu)\n",
            who, sstatus, (sstatus & SSTATUS_FS) >> 13, (sstatus & SSTATUS_VS) >> 9,
            (sstatus & SSTATUS_SUM) >> 18, (sstatus & SSTATUS_MXR) >> 19,
            (sstatus & SSTATUS_SPP) >> 8, (sstatus & SSTATUS_SPIE) >> 5, (sstatus & SSTATUS_SIE) >> 1);
    gprintf("case %s_scounteren: 0x%lx\n", who, scounteren);
}

static volatile unsigned long second_fp, second_fp_traps, second_runs;

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    int before = last_trap.count;
    second_fp = fp_use();
    second_fp_traps = (unsigned long)(last_trap.count - before);
    /* Leave state behind: the next start must not see it. */
    csr_set(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    csr_clear(sstatus, SSTATUS_FS);
    csr_write(scounteren, 0);
    __atomic_store_n(&second_runs, second_runs + 1, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

static void start_second(int other, unsigned long run)
{
    second_at_entry[0] = second_at_entry[1] = 0xdead;
    trap_skip = 1;
    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)other, (unsigned long)second_entry, 0, 0);
    gprintf("case second_start%lu: error=%ld\n", run, st.error);
    if (st.error) {
        failures++;
        return;
    }
    unsigned long spins = 0;
    while (__atomic_load_n(&second_runs, __ATOMIC_ACQUIRE) < run && ++spins < 2000000000UL)
        ;
    /* Stopped: HSM status says so once hart_stop is done. */
    for (spins = 0; sbi_call(SBI_EXT_HSM, 2, (unsigned long)other, 0, 0, 0).value != 1 &&
                    spins < 100000000UL; spins++)
        ;
    char who[16];
    gprintf("case second_runs%lu: %lu\n", run, second_runs);
    CHECK(second_runs == run);
    __builtin_snprintf(who, sizeof(who), "second%lu", run);
    report(who, second_at_entry[0], second_at_entry[1]);
    gprintf("case second%lu_fp_use: 0x%lx traps=%lu\n", run, second_fp, second_fp_traps);
    CHECK((second_at_entry[0] & SSTATUS_FS) == SSTATUS_FS);
    CHECK(second_fp == 0x4008000000000000UL && second_fp_traps == 0);
}

/* The instruction run after last_trap.count was `before` (and scause
 * cleared) trapped exactly once, as an illegal instruction. */
static void illegal_once(const char *name, int before)
{
    gprintf("case %s: traps=%d scause=%lu stval=0x%lx\n", name, last_trap.count - before,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval);
    CHECK(last_trap.count - before == 1 && last_trap.scause == 2);
}

int guest_main(void)
{
    /* Before anything else may touch FP or sstatus. */
    int before = last_trap.count;
    trap_skip = 1;
    unsigned long fp = fp_use();
    int fp_traps = last_trap.count - before;
    gprintf("=== begin: entry_state ===\n");
    report("boot", at_entry[0], at_entry[1]);
    gprintf("case boot_fp_use: 0x%lx traps=%d\n", fp, fp_traps);
    CHECK((at_entry[0] & SSTATUS_FS) == SSTATUS_FS);
    CHECK((at_entry[0] & SSTATUS_VS) == 0);
    CHECK(fp == 0x4008000000000000UL && fp_traps == 0);

    /* The other hart, twice. Which one is the boot hart is OpenSBI's lottery. */
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    int other = !s0.error && s0.value == 0 ? 1 : 0;
    start_second(other, 1);
    start_second(other, 2);

    /* V (12.4): a vector CSR and a vector instruction are illegal. */
    before = last_trap.count;
    last_trap.scause = 0;
    __asm__ volatile(".option push\n.option arch, +v\n"
                     "csrr t0, vlenb\n"
                     ".option pop" ::: "t0");
    illegal_once("vlenb", before);
    before = last_trap.count;
    last_trap.scause = 0;
    __asm__ volatile(".option push\n.option arch, +v\n"
                     "vsetvli t0, zero, e8, m1, ta, ma\n"
                     ".option pop" ::: "t0");
    illegal_once("vsetvli", before);
    /* Writing VS: without V it may be read-only zero (privileged spec
     * 3.1.6.6, "may optionally"), which lodger does as it offers no V. QEMU
     * 7.2 keeps VS writable without V: the one difference masked here. */
    csr_set(sstatus, SSTATUS_VS);
    unsigned long vs = (csr_read(sstatus) & SSTATUS_VS) >> 9;
    gprintf("case vs_write: %s\n", vs == 0 ? "reads 0 (or as written: QEMU 7.2)"
                                 : vs == 3 ? "reads 0 (or as written: QEMU 7.2)" : "other");
    before = last_trap.count;
    last_trap.scause = 0;
    __asm__ volatile(".option push\n.option arch, +v\n"
                     "vsetvli t0, zero, e8, m1, ta, ma\n"
                     ".option pop" ::: "t0");
    gprintf("case vsetvli_after_vs_write: traps=%d scause=%lu\n", last_trap.count - before,
            (unsigned long)last_trap.scause);
    CHECK(last_trap.count - before == 1 && last_trap.scause == 2);
    csr_clear(sstatus, SSTATUS_VS);

    /* senvcfg as the kernel starts (0): U-mode cbo.zero / cbo.inval are
     * illegal, and cbo.zero wrote nothing. */
    gprintf("case senvcfg_at_start: 0x%lx\n", csr_read(0x10a));
    cbo_target[0] = 0x5a5a;
    long cause = run_user(u_cbo_zero, (long)cbo_target);
    gprintf("case u_cbo_zero: scause=%ld kept=%s\n", cause, cbo_target[0] == 0x5a5a ? "yes" : "no");
    CHECK(cause == 2 && cbo_target[0] == 0x5a5a);
    cause = run_user(u_cbo_inval, (long)cbo_target);
    gprintf("case u_cbo_inval: scause=%ld\n", cause);
    CHECK(cause == 2);
    return failures;
}
