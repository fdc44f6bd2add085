/* Extensions a hart has and the guest is not offered (issue 12, item 4).
 * lodger's guest DT offers rv64imafdc only; a vector instruction, a cache-
 * block operation (Zicbom, Zicboz) or stimecmp (Sstc) must then be illegal
 * for the guest kernel, and senvcfg must not turn on what is not offered,
 * whatever the hart under lodger has (make test's qemu10 step runs this on
 * QEMU 10 with -cpu rv64,h=false,v=true: V, Zicbom, Zicboz, Sstc, Svadu).
 * The guest reads its own DT and checks that each extension behaves as the
 * DT says: natively it is offered them, under lodger not, and both runs
 * print the same verdicts. Where an offered extension depends on the
 * firmware (menvcfg.CBZE/CBCFE/CBIE/STCE: OpenSBI 1.1 leaves menvcfg 0),
 * either outcome is accepted, as long as the instruction either trapped
 * and changed nothing or did its work. */
#include "../lib/guest.h"

extern unsigned long at_entry[2];               /* sstatus, scounteren (lib/start.S) */
void u_cbo_zero(long);

#define SENVCFG_LPE   (1UL << 2)
#define SENVCFG_SSE   (1UL << 3)
#define SENVCFG_CBIE  (3UL << 4)
#define SENVCFG_CBCFE (1UL << 6)
#define SENVCFG_CBZE  (1UL << 7)
#define SENVCFG_PMM   (3UL << 32)

static unsigned char block[512] __attribute__((aligned(256)));

/* Runs the probe (an inline asm statement) and counts its traps: sets
 * *traps and *cause. The trap handler skips the trapping instruction. */
#define PROBE(traps, cause, asm_text) do {                                  \
        int before_ = last_trap.count;                                      \
        last_trap.scause = 0;                                               \
        __asm__ volatile(".option push\n.option arch, +v, +zicbom, +zicboz\n" \
                         asm_text "\n.option pop" :: "r"(block + 128) : "t0", "memory"); \
        (traps) = last_trap.count - before_;                                \
        (cause) = (unsigned long)last_trap.scause;                          \
    } while (0)

/* One verdict line, the same natively and under lodger when it holds; the
 * details (which differ between the runs) only when it does not. */
static void verdict(const char *name, bool ok, int traps, unsigned long cause)
{
    gprintf("case %s: %s\n", name, ok ? "as the DT says" : "NOT as the DT says");
    if (!ok) {
        gprintf("FAIL %s: traps %d, scause %lu\n", name, traps, cause);
        failures++;
    }
}

static bool illegal(int traps, unsigned long cause)
{
    return traps == 1 && cause == 2;
}

static void fill(void)
{
    for (unsigned i = 0; i < sizeof(block); i++)
        block[i] = 0x5a;
}

static bool filled(void)
{
    for (unsigned i = 0; i < sizeof(block); i++)
        if (block[i] != 0x5a)
            return false;
    return true;
}

static void vector(void)
{
    bool has = dt_isa_has("v");
    int t1, t2;
    unsigned long c1, c2;
    unsigned long vs_at_entry = at_entry[0] & SSTATUS_VS;
    csr_set(sstatus, 1UL << 9);                 /* VS = Initial */
    PROBE(t1, c1, "csrr t0, vlenb");
    PROBE(t2, c2, "vsetvli t0, zero, e8, m1, ta, ma");
    /* Without V: illegal, whatever was written to VS (which may be read-only
     * zero, privileged spec 3.1.6.6), and VS was Off as the kernel started. */
    bool ok = has ? t1 == 0 && t2 == 0 : illegal(t1, c1) && illegal(t2, c2) && vs_at_entry == 0;
    verdict("vector", ok, t1 + t2, c1 ? c1 : c2);
    if (!ok)
        gprintf("  v offered %d, VS at entry %lu\n", has, vs_at_entry >> 9);
    csr_clear(sstatus, SSTATUS_VS);
}

/* A cache-block operation in the guest kernel: without the extension it is
 * illegal and changes nothing; with it, it trapped and changed nothing, or
 * it ran (cbo.zero: zeroed its block). */
static void cbo(const char *name, const char *ext, int traps, unsigned long cause, bool zeroes)
{
    bool has = dt_isa_has(ext), kept = filled();
    bool ran_ok = traps == 0 && (zeroes ? !kept : kept);
    bool ok = has ? (illegal(traps, cause) && kept) || ran_ok : illegal(traps, cause) && kept;
    verdict(name, ok, traps, cause);
    if (!ok)
        gprintf("  %s offered %d, block kept %d\n", ext, has, kept);
}

static void cache_blocks(void)
{
    int t;
    unsigned long c;
    fill();
    PROBE(t, c, "cbo.zero (%0)");
    cbo("s_cbo_zero", "zicboz", t, c, true);
    fill();
    PROBE(t, c, "cbo.clean (%0)");
    cbo("s_cbo_clean", "zicbom", t, c, false);
    PROBE(t, c, "cbo.flush (%0)");
    cbo("s_cbo_flush", "zicbom", t, c, false);
    PROBE(t, c, "cbo.inval (%0)");
    cbo("s_cbo_inval", "zicbom", t, c, false);
}

static void sstc(void)
{
    int t;
    unsigned long c;
    PROBE(t, c, "csrr t0, 0x14d");              /* stimecmp */
    bool ok = dt_isa_has("sstc") ? t == 0 || illegal(t, c) : illegal(t, c);
    verdict("stimecmp_read", ok, t, c);
}

/* senvcfg (privileged spec, senvcfg): the fields of extensions the guest is
 * not offered read 0 whatever is written; then U-mode cbo.zero with all
 * of senvcfg written is still illegal without Zicboz. */
static void senvcfg(void)
{
    unsigned long start = csr_read(0x10a);
    gprintf("case senvcfg_at_start: 0x%lx\n", start);
    csr_write(0x10a, ~0UL);
    unsigned long v = csr_read(0x10a);
    unsigned long must_be_0 = (dt_isa_has("zicboz") ? 0 : SENVCFG_CBZE) |
                              (dt_isa_has("zicbom") ? 0 : SENVCFG_CBCFE | SENVCFG_CBIE) |
                              (dt_isa_has("zicfilp") ? 0 : SENVCFG_LPE) |
                              (dt_isa_has("zicfiss") ? 0 : SENVCFG_SSE) |
                              (dt_isa_has("ssnpm") ? 0 : SENVCFG_PMM);
    /* QEMU 7.2 keeps senvcfg's CBIE, CBCFE and CBZE writable whether or not
     * its CPU offers Zicbom/Zicboz (its riscv,isa names neither), a departure
     * from the privileged spec's read-only zero (senvcfg); its DT is the one without
     * riscv,isa-extensions (lodger's has it): there, those bits are not
     * checked. */
    if (!dt_cpu_has_prop("riscv,isa-extensions"))
        must_be_0 &= ~(SENVCFG_CBZE | SENVCFG_CBCFE | SENVCFG_CBIE);
    verdict("senvcfg_fields", (v & must_be_0) == 0, 0, 0);
    if (v & must_be_0)
        gprintf("  senvcfg read 0x%lx after writing all ones\n", v);
    fill();
    long cause = run_user(u_cbo_zero, (long)(block + 128));
    bool kept = filled();
    bool ok = dt_isa_has("zicboz") && (v & SENVCFG_CBZE) ? (cause == 2 && kept) || (cause == 8 && !kept)
                                                         : cause == 2 && kept;
    verdict("u_cbo_zero_all_senvcfg", ok, 1, (unsigned long)cause);
    csr_write(0x10a, start);
}

int guest_main(void)
{
    trap_skip = 1;
    gprintf("=== begin: ext_hidden ===\n");
    vector();
    cache_blocks();
    sstc();
    senvcfg();
    return failures;
}
