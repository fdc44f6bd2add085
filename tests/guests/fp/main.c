/* The F/D extensions from S-mode: sstatus.FS gates them (Off traps,
 * Initial/Clean become Dirty on a write, SD follows Dirty) and fcsr keeps
 * the rounding mode and the accrued exception flags (unprivileged spec 11.2,
 * privileged spec 3.1.6.6). */
#include "../lib/guest.h"

#define FS_SHIFT 13
static unsigned long fs_now(void) { return (csr_read(sstatus) & SSTATUS_FS) >> FS_SHIFT; }
static void fs_set(unsigned long fs)
{
    csr_clear(sstatus, SSTATUS_FS);
    csr_set(sstatus, fs << FS_SHIFT);
}

static unsigned long bits_of(double d)
{
    union { double d; unsigned long u; } v = { .d = d };
    return v.u;
}

/* a / b with the dynamic rounding mode; returns the bits, flags in fflags. */
static unsigned long fdiv_bits(unsigned long a, unsigned long b)
{
    unsigned long r;
    __asm__ volatile("fmv.d.x ft0, %1\n"
                     "fmv.d.x ft1, %2\n"
                     "fdiv.d ft2, ft0, ft1\n"
                     "fmv.x.d %0, ft2" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");
    return r;
}

int guest_main(void)
{
    gprintf("=== begin: fp ===\n");
    unsigned long saved = csr_read(sstatus) & SSTATUS_FS;
    unsigned long one = bits_of(1.0), three = bits_of(3.0), zero = 0, minus_one = bits_of(-1.0);

    /* FS=Off: every FP instruction and fcsr access is illegal. Nothing
     * between fs_set(0) and fs_set(3) may use FP (no gprintf). */
    int before = last_trap.count;
    fs_set(0);
    __asm__ volatile(".option push\n.option norvc\nfadd.d ft0, ft0, ft0\n.option pop" ::: "ft0");
    uint64_t fadd_cause = last_trap.scause, fadd_tval = last_trap.stval;
    __asm__ volatile("csrr t0, fcsr" ::: "t0");
    uint64_t fcsr_cause = last_trap.scause, fcsr_tval = last_trap.stval;
    __asm__ volatile(".option push\n.option norvc\nfld ft0, 0(sp)\n.option pop" ::: "ft0", "memory");
    uint64_t fld_cause = last_trap.scause;
    unsigned long fs_after = fs_now();
    int traps = last_trap.count - before;
    fs_set(3);
    gprintf("case fs_off_fadd: scause=%lu stval=0x%lx\n", (unsigned long)fadd_cause,
            (unsigned long)fadd_tval);
    gprintf("case fs_off_fcsr: scause=%lu stval=0x%lx\n", (unsigned long)fcsr_cause,
            (unsigned long)fcsr_tval);
    gprintf("case fs_off_fld: scause=%lu\n", (unsigned long)fld_cause);
    gprintf("case fs_off_traps: %d fs_after=%lu\n", traps, fs_after);

    /* FS=Initial: an FP write makes it Dirty, and SD is set. */
    fs_set(1);
    __asm__ volatile("fmv.d.x ft0, %0\nfadd.d ft1, ft0, ft0" :: "r"(one) : "ft0", "ft1");
    unsigned long st = csr_read(sstatus);
    gprintf("case fs_initial_write: fs=%lu sd=%lu\n", (st & SSTATUS_FS) >> FS_SHIFT, st >> 63);

    /* FS=Clean: the same. */
    fs_set(2);
    __asm__ volatile("fmv.d.x ft0, %0" :: "r"(three) : "ft0");
    st = csr_read(sstatus);
    gprintf("case fs_clean_write: fs=%lu sd=%lu\n", (st & SSTATUS_FS) >> FS_SHIFT, st >> 63);

    /* FS=Clean, an fcsr write is a write of FP state too. */
    fs_set(2);
    __asm__ volatile("csrw fflags, zero" ::: "memory");
    gprintf("case fs_clean_fflags_write: fs=%lu\n", fs_now());
    fs_set(3);

    /* fcsr: rounding mode and flags. */
    csr_write(fcsr, 0);
    unsigned long q = fdiv_bits(one, three);
    gprintf("case div_1_3_rne: 0x%lx fflags=0x%lx\n", q, csr_read(fflags));
    csr_write(fflags, 0);
    csr_write(frm, 1);      /* RTZ */
    q = fdiv_bits(one, three);
    gprintf("case div_1_3_rtz: 0x%lx fcsr=0x%lx\n", q, csr_read(fcsr));
    csr_write(fcsr, 0);
    q = fdiv_bits(one, zero);
    gprintf("case div_1_0: 0x%lx fflags=0x%lx\n", q, csr_read(fflags));
    csr_write(fcsr, 0);
    q = fdiv_bits(zero, zero);
    gprintf("case div_0_0: 0x%lx fflags=0x%lx\n", q, csr_read(fflags));
    csr_write(fcsr, 0);
    __asm__ volatile("fmv.d.x ft0, %1\nfsqrt.d ft1, ft0\nfmv.x.d %0, ft1"
                     : "=r"(q) : "r"(minus_one) : "ft0", "ft1");
    gprintf("case sqrt_minus_1: 0x%lx fflags=0x%lx\n", q, csr_read(fflags));

    /* Field views of fcsr; upper bits are reserved and read 0. */
    csr_write(fcsr, ~0UL);
    gprintf("case fcsr_ones: fcsr=0x%lx frm=0x%lx fflags=0x%lx\n", csr_read(fcsr),
            csr_read(frm), csr_read(fflags));
    csr_write(fcsr, 0);

    /* A reserved dynamic rounding mode makes a rounding instruction illegal. */
    csr_write(frm, 5);
    before = last_trap.count;
    q = fdiv_bits(one, three);
    gprintf("case frm5_fdiv: traps=%d scause=%lu\n", last_trap.count - before,
            (unsigned long)last_trap.scause);
    csr_write(fcsr, 0);

    /* Single precision results are NaN-boxed in the 64-bit register. */
    __asm__ volatile("fmv.w.x ft0, %1\nfadd.s ft1, ft0, ft0\nfmv.x.d %0, ft1"
                     : "=r"(q) : "r"(0x3f800000UL) : "ft0", "ft1");
    gprintf("case nan_boxed_single: 0x%lx\n", q);

    csr_clear(sstatus, SSTATUS_FS);
    csr_set(sstatus, saved ? saved : SSTATUS_FS);
    return failures;
}
