/* Interrupts become deliverable the instant an instruction enables them:
 * the trap is taken before the next instruction, with sepc pointing at it
 * (privileged spec 3.1.9: interrupts are checked between instructions). */
#include "../lib/guest.h"

typedef unsigned long enable_fn(unsigned long operand);
extern enable_fn enable_by_sstatus, enable_by_sie, enable_by_sip, enable_by_sret;
unsigned long enable_by_ecall(unsigned long a0, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5,
                              unsigned long fid, unsigned long eid);

static void quiet(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
    sbi_set_timer(~0UL);
}

static void report(const char *name, int before, unsigned long next)
{
    gprintf("case %s: taken=%d scause=0x%lx sepc=%s\n", name, last_trap.count - before,
            (unsigned long)last_trap.scause, last_trap.sepc == next ? "next insn" : "other");
}

int guest_main(void)
{
    gprintf("=== begin: irq_precise ===\n");
    quiet();

    int before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    unsigned long next = enable_by_sstatus(SSTATUS_SIE);
    report("enable_sstatus_sie", before, next);
    quiet();

    before = last_trap.count;
    csr_set(sip, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    next = enable_by_sie(SIP_SSIP);
    report("enable_sie_ssie", before, next);
    quiet();

    before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    next = enable_by_sip(SIP_SSIP);
    report("set_sip_ssip", before, next);
    quiet();

    before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SPP | SSTATUS_SPIE);
    next = enable_by_sret(0);
    report("sret_spie", before, next);
    quiet();

    /* SBI IPI to this hart. */
    before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    next = enable_by_ecall(1, 0, 0, 0, 0, 0, 0, SBI_EXT_IPI);
    report("sbi_send_ipi_self", before, next);
    quiet();

    /* SBI set_timer with a deadline in the past. */
    before = last_trap.count;
    csr_write(sie, SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    next = enable_by_ecall(0, 0, 0, 0, 0, 0, 0, SBI_EXT_TIME);
    report("sbi_set_timer_past", before, next);
    quiet();
    return failures;
}
