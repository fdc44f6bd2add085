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
 * After the section: "[NAME] result: MODE COUNT iterations in N ms from T"
 * (T: the timer at the window's start, which tells whether the VMs' windows
 * overlap: they share the host's timer under lodger). */
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include "../lib/guest.h"

#define TICKS_PER_MS 10000UL    /* QEMU virt's timebase, 10 MHz */
#define INNER 1000              /* loop iterations between two reads of time */

static char tag[16];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[160];
    int n = tag[0] ? snprintf(line, sizeof(line), "[%s] ", tag) : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    putstr(line);
}

static void arg(const char *args, const char *key, char *out, size_t len, const char *dflt)
{
    const char *at = args ? strstr(args, key) : NULL;
    size_t n = 0;
    if (at)
        for (at += strlen(key); at[n] && at[n] != ' ' && n + 1 < len; n++)
            out[n] = at[n];
    else
        for (; dflt[n] && n + 1 < len; n++)
            out[n] = dflt[n];
    out[n] = 0;
}

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

int guest_main(void)
{
    const char *args = guest_bootargs();
    char mode[8], ms_arg[12];
    arg(args, "spin.tag=", tag, sizeof(tag), "");
    arg(args, "spin.mode=", mode, sizeof(mode), "spin");
    arg(args, "spin.ms=", ms_arg, sizeof(ms_arg), "100");
    unsigned long ms = strtoul(ms_arg, NULL, 10);
    bool wfi = !strcmp(mode, "wfi");
    say("=== begin: spinner ===\n");
    CHECK(ms > 0 && ms <= 3600000);
    CHECK(wfi || !strcmp(mode, "spin"));

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
        count = spin_until(end);
        say("case counted: %s\n", count > 0 ? "yes" : "no");
        CHECK(count > 0);
    }
    say("case window_over: %s\n", csr_read(time) >= end ? "yes" : "no");
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    say("result: %s %lu iterations in %lu ms from %lu\n", mode, count * INNER, ms, start);
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
