/* One of several VMs at once (tests/run-tests.py multivm): it checks that
 * its memory starts zeroed and stays its own while other VMs run. Alone
 * (the usual native/lodger pair) it does the same without a tag.
 *
 * Its command line (tools/lodger-run --vm ...,append=...) says:
 *   vm.tag=NAME   each line it prints starts "[NAME] " (one SBI console
 *                 write a line: under lodger a line is never cut by another
 *                 VM's), so the runner can tell the VMs' outputs apart
 *   vm.end=pass   (default) shut down; fail: end "=== end: FAIL ===" and
 *                 shut down with "system failure"; panic: print a Linux-like
 *                 panic report and wait (lodger ends the VM); reboot: under
 *                 lodger, reboot once (SBI SRST warm reboot) and pass after
 *                 the second boot; natively, pass; loop: spin forever;
 *                 read: print "waiting for input", read a line from the
 *                 console (SBI legacy getchar) for up to vm.wait=S seconds
 *                 (default 5), print it ("none" if nothing came), and pass
 *   vm.rounds=N   rounds of checks (default 6): a VM that should outlive
 *                 the others asks for more
 * A region of its RAM, 0x80400000 + 2 MiB (it needs 8 MiB or more), must
 * read zero at each boot (lodger zeroes a VM's RAM before each boot); it is
 * filled with a pattern of the tag's own and read back over several rounds
 * while the other VMs run: another VM's write there would show. */
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include "../lib/guest.h"
#include "../shared/tagged.h"
#include "../lib/counters.h"

#define REGION ((volatile uint64_t *)0x80400000UL)
#define REGION_WORDS ((2UL << 20) / 8)
#define LC_BOOTS 58     /* docs/COUNTERS.md: this boot's number (VM) */

int guest_main(void)
{
    char end[16], rounds_arg[8];
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    guest_arg("vm.end=", end, sizeof(end), "pass");
    guest_arg("vm.rounds=", rounds_arg, sizeof(rounds_arg), "6");
    int rounds = atoi(rounds_arg);
    say("=== begin: vm_mem ===\n");

    uint64_t seed = 0x5eed;
    for (const char *c = tag; *c; c++)
        seed = seed * 131 + (unsigned char)*c;

    uint64_t nonzero = 0;
    for (uint64_t i = 0; i < REGION_WORDS; i++)
        nonzero += REGION[i] != 0;
    say("case zero_at_start: %s\n", nonzero ? "no" : "yes");
    CHECK(nonzero == 0);

    uint64_t sum = 0, bad = 0;
    for (uint64_t i = 0; i < REGION_WORDS; i++)
        REGION[i] = pattern(seed, i);
    for (int round = 0; round < rounds; round++) {
        /* Read back, then rewrite with the next round's pattern: the
         * region changes all the time, as the other VMs' do. */
        uint64_t round_bad = 0;
        for (uint64_t i = 0; i < REGION_WORDS; i++) {
            uint64_t want = pattern(seed + (uint64_t)round, i);
            if (REGION[i] != want)
                round_bad++;
            sum = (sum ^ want) * 0x100000001b3UL;     /* FNV-1a's prime */
            REGION[i] = pattern(seed + (uint64_t)round + 1, i);
        }
        say("case round %d: %s\n", round, round_bad ? "corrupted" : "intact");
        bad += round_bad;
    }
    CHECK(bad == 0);
    say("case checksum: %016lx\n", (unsigned long)sum);

    if (!strcmp(end, "read")) {
        char wait_arg[8], got[32];
        guest_arg("vm.wait=", wait_arg, sizeof(wait_arg), "5");
        unsigned long until = csr_read(time) + 10000000UL * (unsigned long)atoi(wait_arg);
        size_t n = 0;
        say("waiting for input\n");
        while (n + 1 < sizeof(got) && csr_read(time) < until) {
            long c = sbi_call(0x02, 0, 0, 0, 0, 0).error;  /* legacy getchar: a0 */
            if (c == '\n' || c == '\r')
                break;
            if (c >= 0)
                got[n++] = (char)c;
        }
        got[n] = 0;
        say("case input: %s\n", n ? got : "none");
    }
    if (!strcmp(end, "loop"))
        for (;;)
            ;
    if (!strcmp(end, "panic")) {
        /* What lodger's panic watcher looks for (core/guest_panic.c). */
        say("Kernel panic - not syncing: vm_mem panics on purpose\n");
        say("---[ end Kernel panic - not syncing: vm_mem panics on purpose ]---\n");
        for (;;)
            __asm__ volatile("wfi");
    }
    unsigned long boots = 1;
    lodger_read(LC_BOOTS, &boots);
    if (!strcmp(end, "reboot") && under_lodger() && boots == 1) {
        say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
        sbi_call(SBI_EXT_SRST, 0, 1 /* warm reboot */, 0, 0, 0);
        say("FAIL reboot returned\n");
        failures++;
    }
    if (!strcmp(end, "fail"))
        failures++;     /* on purpose: how one VM's failure ends lodger */
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
