/* Trapping instructions of every length and shape: compressed ebreak,
 * compressed and 32-bit illegal encodings, reserved SYSTEM encodings, and
 * the stval / sepc each trap reports, in S-mode and in U-mode. */
#include "../lib/guest.h"

typedef long test_fn(void);
extern test_fn c_ebreak_fn, c_zero_fn, word_ones_fn, custom0_fn, c_fldsp_fn, sret_rs1_fn,
    wfi_rd_fn;

static void run(const char *name, test_fn *fn)
{
    int before = last_trap.count;
    long resumed = fn();
    if (last_trap.count == before) {
        gprintf("case %s: no trap\n", name);
        return;
    }
    gprintf("case %s: scause=%lu stval=0x%lx sepc=%s resumed=%ld\n", name,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval,
            last_trap.sepc == (uint64_t)fn ? "at insn" : "other", resumed);
}

static void run_u(const char *name, test_fn *fn)
{
    long cause = run_user((void (*)(long))(uintptr_t)fn, 0);
    gprintf("case user_%s: scause=%ld stval=0x%lx sepc=%s\n", name, cause,
            (unsigned long)last_trap.stval, last_trap.sepc == (uint64_t)fn ? "at insn" : "other");
}

int guest_main(void)
{
    gprintf("=== begin: encodings ===\n");
    run("c_ebreak", c_ebreak_fn);
    run("c_zero", c_zero_fn);
    run("word_ones", word_ones_fn);
    run("custom0", custom0_fn);
    run("sret_rs1_nonzero", sret_rs1_fn);
    run("wfi_rd_nonzero", wfi_rd_fn);

    /* A compressed FP load with FS=Off: a 16-bit illegal instruction with
     * nonzero bits. No gprintf (it may use FP) until FS is back. */
    unsigned long fs = csr_read(sstatus) & SSTATUS_FS;
    csr_clear(sstatus, SSTATUS_FS);
    int before = last_trap.count;
    long resumed = c_fldsp_fn();
    int traps = last_trap.count - before;
    csr_set(sstatus, fs);
    gprintf("case c_fldsp_fs_off: traps=%d scause=%lu stval=0x%lx sepc=%s resumed=%ld\n", traps,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval,
            last_trap.sepc == (uint64_t)c_fldsp_fn ? "at insn" : "other", resumed);

    run_u("c_ebreak", c_ebreak_fn);
    run_u("c_zero", c_zero_fn);
    run_u("word_ones", word_ones_fn);
    run_u("custom0", custom0_fn);
    run_u("sret_rs1_nonzero", sret_rs1_fn);
    return failures;
}
