/* CSR accesses that S-mode may not make: M-mode and hypervisor CSRs, CSR
 * numbers nothing implements, and writes to read-only counters all raise an
 * illegal-instruction exception whose stval holds the instruction bits. */
#include "../lib/guest.h"

static int trap_count;

/* Runs one instruction (as .insn bits) and reports the trap it raised. */
#define TRY_INSN(name, bits) do {                                                      \
        int before_ = last_trap.count;                                                 \
        __asm__ volatile(".option push\n.option norvc\n.word " #bits "\n.option pop"   \
                         ::: "memory", "t0");                                          \
        report(name, before_);                                                         \
    } while (0)

static void report(const char *name, int before)
{
    if (last_trap.count == before) {
        gprintf("case %s: no trap\n", name);
        return;
    }
    trap_count++;
    gprintf("case %s: scause=%lu stval=0x%lx\n", name, (unsigned long)last_trap.scause,
            (unsigned long)last_trap.stval);
}

int guest_main(void)
{
    gprintf("=== begin: csr_illegal ===\n");
    /* csrr t0, mstatus */
    TRY_INSN("read_mstatus", 0x300022f3);
    /* csrr t0, mhartid */
    TRY_INSN("read_mhartid", 0xf14022f3);
    /* csrw mscratch, t0 */
    TRY_INSN("write_mscratch", 0x34029073);
    /* csrr t0, hstatus (0x600): no H extension */
    TRY_INSN("read_hstatus", 0x600022f3);
    /* csrr t0, 0x5c0 (custom S-mode range, nothing there) */
    TRY_INSN("read_custom_5c0", 0x5c0022f3);
    /* csrr t0, 0x1ff (unallocated standard S-mode number) */
    TRY_INSN("read_unallocated_1ff", 0x1ff022f3);
    /* csrw cycle, t0 / csrw time, t0 / csrw instret, t0: read-only */
    TRY_INSN("write_cycle", 0xc0029073);
    TRY_INSN("write_time", 0xc0129073);
    TRY_INSN("write_instret", 0xc0229073);
    /* csrrs t0, time, t0 with t0 = 0 still names a write (rs1 != x0) */
    TRY_INSN("csrrs_time_rs1_nonzero", 0xc012a2f3);
    /* csrr t0, time / cycle / instret: allowed (rs1 = x0) */
    TRY_INSN("read_time", 0xc01022f3);
    TRY_INSN("read_cycle", 0xc00022f3);
    TRY_INSN("read_instret", 0xc02022f3);
    /* csrrsi t0, sstatus, 0: a read of a writable CSR */
    TRY_INSN("csrrsi_sstatus_0", 0x100062f3);
    /* csrrwi x0, 0x5c0, 0: the write alone also traps */
    TRY_INSN("csrwi_custom_5c0", 0x5c005073);
    /* mret from S-mode */
    TRY_INSN("mret", 0x30200073);
    gprintf("case traps_counted: %d\n", trap_count);
    CHECK(trap_count == 12);
    return failures;
}
