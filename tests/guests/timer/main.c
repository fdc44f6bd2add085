/* The supervisor timer through SBI TIME (and the legacy call): sip.STIP
 * follows the deadline, the interrupt arrives with scause 0x8000...05 when
 * enabled, and wfi waits for it. Nothing here prints a time value. */
#include "../lib/guest.h"

#define TICKS_1S 10000000UL     /* QEMU virt's timebase; only bounds the waits */

static unsigned long now(void) { return csr_read(time); }

static void quiet(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
    csr_write(sie, 0);
    sbi_set_timer(~0UL);
}

static int wait_stip(unsigned long limit)
{
    unsigned long end = now() + limit;
    while (now() < end)
        if (csr_read(sip) & SIP_STIP)
            return 1;
    return 0;
}

int guest_main(void)
{
    gprintf("=== begin: timer ===\n");
    quiet();
    gprintf("case stip_after_far_deadline: 0x%lx\n", csr_read(sip) & SIP_STIP);

    /* A deadline in the past is pending at once. */
    struct sbiret r = sbi_set_timer(0);
    gprintf("case set_timer_past: error=%ld stip=%d\n", r.error, wait_stip(TICKS_1S / 10));
    r = sbi_set_timer(~0UL);
    gprintf("case set_timer_far_clears: error=%ld stip=0x%lx\n", r.error, csr_read(sip) & SIP_STIP);

    /* STIP cannot be set or cleared by writing sip. */
    csr_set(sip, SIP_STIP);
    gprintf("case sip_stip_set_ignored: 0x%lx\n", csr_read(sip) & SIP_STIP);
    sbi_set_timer(0);
    wait_stip(TICKS_1S / 10);
    csr_clear(sip, SIP_STIP);
    gprintf("case sip_stip_clear_ignored: 0x%lx\n", csr_read(sip) & SIP_STIP);
    quiet();

    /* Near deadline, interrupt enabled: taken, not before the deadline. */
    int before = last_trap.count;
    unsigned long deadline = now() + 10000;
    sbi_set_timer(deadline);
    csr_write(sie, SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    unsigned long end = now() + TICKS_1S;
    while (last_trap.count == before && now() < end)
        ;
    unsigned long at = now();
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case timer_irq: taken=%d scause=0x%lx\n", last_trap.count - before,
            (unsigned long)last_trap.scause);
    gprintf("case timer_irq_not_early: %d\n", at >= deadline);
    /* The handler masked sie.STIE; STIP stays set until a new deadline. */
    gprintf("case stip_after_irq: 0x%lx\n", csr_read(sip) & SIP_STIP);
    sbi_set_timer(~0UL);
    gprintf("case stip_after_rearm_far: 0x%lx\n", csr_read(sip) & SIP_STIP);
    quiet();

    /* wfi with SIE=0 waits for the deadline; the interrupt is not taken. */
    before = last_trap.count;
    deadline = now() + TICKS_1S / 20;
    sbi_set_timer(deadline);
    csr_write(sie, SIP_STIP);
    end = now() + TICKS_1S;
    int wfis = 0;
    while (!(csr_read(sip) & SIP_STIP) && now() < end) {
        __asm__ volatile("wfi" ::: "memory");
        wfis++;
    }
    gprintf("case wfi_timer: stip=0x%lx not_early=%d taken=%d\n", csr_read(sip) & SIP_STIP,
            now() >= deadline, last_trap.count - before);
    CHECK(wfis >= 1);
    quiet();

    /* Re-arming to a later deadline before it fires: no interrupt until the
     * new one. */
    sbi_set_timer(now() + TICKS_1S / 100);
    sbi_set_timer(~0UL);
    csr_write(sie, SIP_STIP);
    csr_set(sstatus, SSTATUS_SIE);
    end = now() + TICKS_1S / 20;
    before = last_trap.count;
    while (now() < end)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case rearm_cancels: taken=%d\n", last_trap.count - before);
    quiet();

    /* The legacy SBI set_timer (extension 0) does the same. */
    r = sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, 0, 0, 0, 0);
    gprintf("case legacy_set_timer_past: ret=%ld stip=%d\n", r.error, wait_stip(TICKS_1S / 10));
    sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, ~0UL, 0, 0, 0);
    gprintf("case legacy_set_timer_far: stip=0x%lx\n", csr_read(sip) & SIP_STIP);
    quiet();
    return failures;
}
