/* Supervisor interrupts (privileged spec 4.1.3, 3.1.9): the software
 * interrupt raised by writing sip.SSIP, gated by sie and sstatus.SIE, taken
 * through a vectored stvec at base + 4 * cause; wfi wakes on a pending and
 * enabled interrupt even when SIE=0; SSI is taken before STI. */
#include "../lib/guest.h"

static void quiet(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
    sbi_set_timer(~0UL);
}

static volatile int irq_order[4], nirq;
static volatile unsigned long irq_spp;
static void order_hook(void)
{
    if ((long)last_trap.scause < 0 && nirq < 4) {
        irq_order[nirq++] = (int)(last_trap.scause & 63);
        irq_spp = (last_trap.sstatus & SSTATUS_SPP) >> 8;
    }
}

static volatile long user_value;
static void user_work(long arg) { user_value = arg + 1; }
static void user_wait_irq(long arg)
{
    (void)arg;
    for (long i = 0; i < 1000000 && !nirq; i++)
        user_value = 1;
}

static void spin(void)
{
    for (volatile int i = 0; i < 1000; i++)
        ;
}

int guest_main(void)
{
    gprintf("=== begin: interrupts ===\n");
    unsigned long saved_stvec = csr_read(stvec);
    quiet();

    /* Pending and enabled in sie, but SIE=0 in S-mode: not taken. */
    int before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    spin();
    gprintf("case ssi_sie0_taken: %d\n", last_trap.count - before);
    gprintf("case ssi_sie0_sip: 0x%lx\n", csr_read(sip));

    /* SIE=1: taken at once, in direct mode. */
    csr_set(sstatus, SSTATUS_SIE);
    spin();
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case ssi_sie1_taken: %d\n", last_trap.count - before);
    gprintf("case ssi_scause: 0x%lx\n", (unsigned long)last_trap.scause);
    gprintf("case ssi_direct_slot: %d\n", trap_last_slot);
    gprintf("case ssi_entry_status: spp=%lu spie=%lu sie=%lu\n",
            (unsigned long)(last_trap.sstatus >> 8) & 1, (unsigned long)(last_trap.sstatus >> 5) & 1,
            (unsigned long)(last_trap.sstatus >> 1) & 1);
    /* The handler masked sie.SSIE; the bit stays pending until cleared. */
    gprintf("case ssi_still_pending: 0x%lx\n", csr_read(sip) & SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    gprintf("case ssi_cleared: 0x%lx\n", csr_read(sip) & SIP_SSIP);

    /* SIE=1 but the source is off in sie: not taken. */
    before = last_trap.count;
    csr_write(sie, 0);
    csr_set(sip, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    spin();
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case ssi_masked_in_sie_taken: %d\n", last_trap.count - before);
    csr_clear(sip, SIP_SSIP);

    /* Vectored mode: the interrupt lands at base + 4 * 1, an exception at base. */
    csr_write(stvec, (unsigned long)guest_trap_vector_table | 1);
    before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
    spin();
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sip, SIP_SSIP);
    gprintf("case vectored_ssi: taken=%d slot=%d scause=0x%lx\n", last_trap.count - before,
            trap_last_slot, (unsigned long)last_trap.scause);
    __asm__ volatile("ebreak" ::: "memory");
    gprintf("case vectored_ebreak: slot=%d scause=%lu\n", trap_last_slot,
            (unsigned long)last_trap.scause);

    /* Timer interrupt through the vector too: a deadline already passed. */
    before = last_trap.count;
    sbi_set_timer(0);
    csr_write(sie, SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    for (int i = 0; i < 100000 && last_trap.count == before; i++)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case vectored_sti: taken=%d slot=%d scause=0x%lx\n", last_trap.count - before,
            trap_last_slot, (unsigned long)last_trap.scause);
    csr_write(stvec, saved_stvec);
    quiet();

    /* Both pending, enabled at once: SSI has priority over STI. */
    sbi_set_timer(0);
    for (int i = 0; i < 100000 && !(csr_read(sip) & SIP_STIP); i++)
        ;
    csr_set(sip, SIP_SSIP);
    gprintf("case both_pending_sip: 0x%lx\n", csr_read(sip));
    trap_hook = order_hook;
    csr_write(sie, SIP_SSIP | SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    for (int i = 0; i < 100000 && nirq < 2; i++)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
    trap_hook = NULL;
    gprintf("case priority_order: %d then %d (of %d)\n", irq_order[0], irq_order[1], nirq);
    quiet();

    /* wfi with SIE=0 returns once an interrupt enabled in sie is pending;
     * the interrupt itself is not taken. */
    before = last_trap.count;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    __asm__ volatile("wfi" ::: "memory");
    gprintf("case wfi_ssip_pending_sie0: returned taken=%d\n", last_trap.count - before);
    quiet();

    /* wfi woken by an IPI the firmware sends to this very hart. */
    csr_write(sie, SIP_SSIP);
    struct sbiret r = sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0);
    for (int i = 0; i < 1000 && !(csr_read(sip) & SIP_SSIP); i++)
        __asm__ volatile("wfi" ::: "memory");
    gprintf("case wfi_self_ipi: error=%ld sip=0x%lx taken=%d\n", r.error,
            csr_read(sip) & SIP_SSIP, last_trap.count - before);
    quiet();

    /* In U-mode, supervisor interrupts are enabled whatever sstatus.SIE
     * says: a pending SSI is taken as soon as sret enters U-mode, with SPP=0,
     * and the U-mode code goes on afterwards. */
    nirq = 0;
    trap_hook = order_hook;
    csr_write(sie, SIP_SSIP);
    csr_set(sip, SIP_SSIP);
    long cause = run_user(user_work, 20);
    trap_hook = NULL;
    gprintf("case user_ssi_sie0: irqs=%d first=%d user_value=%ld ended_by=%ld\n", nirq,
            irq_order[0], user_value, cause);
    gprintf("case user_ssi_entry: spp=%lu\n", irq_spp);
    quiet();

    /* The same with the timer, SIE=0 again. */
    nirq = 0;
    user_value = 0;
    trap_hook = order_hook;
    sbi_set_timer(0);
    csr_write(sie, SIP_STIP);
    cause = run_user(user_wait_irq, 0);
    trap_hook = NULL;
    gprintf("case user_sti_sie0: irqs=%d first=%d ended_by=%ld\n", nirq,
            irq_order[0], cause);
    quiet();
    return failures;
}
