/* A CPU-bound (or idle) VM for the fairness tests (tests/run-tests.py
 * fairness): it counts loop iterations for a window of its own timer
 * (rdtime) and prints the count, so that two of them on one hart show how
 * lodger shares the hart between VMs. Alone (the usual native/lodger pair)
 * it does the same over a short window; the count is printed after the
 * guest's section, since it depends on the machine and its load.
 *
 * Its command line (tools/lodger-run --vm ...,append=...) says:
 *   spin.tag=NAME  each line it prints starts "[NAME] " (one SBI console
 *                  write a line, as vm_mem's)
 *   spin.ms=N      the window in milliseconds of the timer (default 100)
 *   spin.mode=spin (default) count; wfi: wait in wfi for a timer interrupt
 *                  at the window's end (sie.STIE set, sstatus.SIE clear:
 *                  wfi wakes, no trap is taken) and count nothing
 *   spin.harts=N   (spin, 1..4, default 1) harts 0..N-1 all count, over the
 *                  same window (started by SBI HSM); the count is their sum
 * After the section: "[NAME] result: MODE COUNT iterations in N ms from T"
 * (T: the timer at the window's start, which tells whether the VMs' windows
 * overlap: they share the host's timer under lodger). */
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include "../lib/guest.h"
#include "../shared/tagged.h"

#define TICKS_PER_MS 10000UL    /* QEMU virt's timebase, 10 MHz */
#define INNER 1000              /* loop iterations between two reads of time */
#define MAX_HARTS 4

void other_entry(void);
void other_main(unsigned long hartid, unsigned long slot);
static volatile unsigned long window_end, counts[MAX_HARTS], finished;

/* Iterations of INNER loop turns until the timer reaches end: the loop
 * body is an empty asm, which the compiler must keep. */
static unsigned long spin_until(unsigned long end)
{
    unsigned long count = 0;
    while (csr_read(time) < end) {
        for (int i = 0; i < INNER; i++)
            __asm__ volatile("");
        count++;
    }
    return count;
}

void other_main(unsigned long hartid, unsigned long slot)
{
    (void)hartid;
    counts[slot] = spin_until(window_end);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

/* Starts harts 0..n-1 but this one on other_entry: how many failed. */
static int start_others(unsigned long n)
{
    unsigned long me = n, slot = 1;
    for (unsigned long h = 0; h < n; h++) {
        struct sbiret s = sbi_call(SBI_EXT_HSM, 2, h, 0, 0, 0);    /* get_status */
        if (!s.error && s.value == 0)
            me = h;
    }
    if (me == n)
        return 1;
    int errors = 0;
    for (unsigned long h = 0; h < n; h++)
        if (h != me)
            errors += sbi_call(SBI_EXT_HSM, 0, h, (unsigned long)other_entry, slot++, 0).error != 0;
    return errors;
}

int guest_main(void)
{
    char mode[8], ms_arg[12], harts_arg[4];
    guest_arg("spin.tag=", tag, sizeof(tag), "");
    guest_arg("spin.mode=", mode, sizeof(mode), "spin");
    guest_arg("spin.ms=", ms_arg, sizeof(ms_arg), "100");
    guest_arg("spin.harts=", harts_arg, sizeof(harts_arg), "1");
    unsigned long ms = strtoul(ms_arg, NULL, 10), harts = strtoul(harts_arg, NULL, 10);
    bool wfi = !strcmp(mode, "wfi");
    say("=== begin: spinner ===\n");
    CHECK(ms > 0 && ms <= 3600000);
    CHECK(wfi || !strcmp(mode, "spin"));
    CHECK(harts >= 1 && harts <= MAX_HARTS && (harts == 1 || !wfi));
    if (harts < 1 || harts > MAX_HARTS)
        harts = 1;

    unsigned long start = csr_read(time), end = start + ms * TICKS_PER_MS, count = 0;
    if (wfi) {
        csr_clear(sstatus, SSTATUS_SIE);
        csr_write(sie, SIP_STIP);
        sbi_set_timer(end);
        while (csr_read(time) < end)
            __asm__ volatile("wfi");
        say("case timer_pending_after_wfi: %s\n", csr_read(sip) & SIP_STIP ? "yes" : "no");
        sbi_set_timer(~0UL);
        csr_write(sie, 0);
    } else {
        window_end = end;
        if (harts > 1) {
            int errors = start_others(harts);
            say("case start_others: errors=%d\n", errors);
            CHECK(errors == 0);
            if (errors)
                harts = 1;
        }
        counts[0] = spin_until(end);
        while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < harts - 1)
            ;
        for (unsigned long h = 0; h < harts; h++) {
            CHECK(counts[h] > 0);
            count += counts[h];
        }
        say("case counted: %s\n", count > 0 ? "yes" : "no");
    }
    say("case window_over: %s\n", csr_read(time) >= end ? "yes" : "no");
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    say("result: %s %lu iterations in %lu ms from %lu\n", mode, count * INNER, ms, start);
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
