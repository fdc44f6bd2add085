/* The victim beside a hostile VM (tests/run-tests.py isolation): it fills
 * most of its RAM with a pattern and rereads it round after round while
 * the hostile VM (vm_hostile) runs, and watches for interrupts it never
 * asked for (another VM's IPI reaching it would set sip.SSIP). Its output
 * alone natively is what it must print beside the hostile VM: a byte of
 * its RAM changed, or an interrupt arriving, changes a line.
 *
 * The region: 24 MiB from 0x80400000 (above its image and stack, below
 * where the device tree lies: lodger puts it at the top of the VM's RAM,
 * QEMU natively 2 MiB below the top of at least 64 MiB). It needs 32 MiB
 * or more (run-options). vm.tag=NAME: each line starts "[NAME] ", as
 * vm_mem's; vm.rounds=N rounds (default 4). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/guest.h"
#include "../shared/tagged.h"

#define REGION ((volatile uint64_t *)0x80400000UL)
#define REGION_WORDS ((24UL << 20) / 8)

/* Interrupts pending that nobody here asked for: sie is 0 and no timer is
 * set, so sip must stay 0 (SSIP: an IPI; STIP: a timer; SEIP: the PLIC). */
static unsigned long stray;
static void watch(void) { stray |= csr_read(sip) & (SIP_SSIP | SIP_STIP | SIP_SEIP); }

int guest_main(void)
{
    char rounds_arg[8];
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    guest_arg("vm.rounds=", rounds_arg, sizeof(rounds_arg), "4");
    int rounds = atoi(rounds_arg);
    csr_write(sie, 0);
    say("=== begin: vm_victim ===\n");

    uint64_t seed = 0x71c7;
    for (const char *c = tag; *c; c++)
        seed = seed * 131 + (unsigned char)*c;
    uint64_t nonzero = 0;
    for (uint64_t i = 0; i < REGION_WORDS; i++)
        nonzero += REGION[i] != 0;
    say("case zero_at_start: %s\n", nonzero ? "no" : "yes");
    CHECK(nonzero == 0);

    uint64_t sum = 0xcbf29ce484222325UL, bad = 0;
    for (uint64_t i = 0; i < REGION_WORDS; i++)
        REGION[i] = pattern(seed, i);
    for (int round = 0; round < rounds; round++) {
        uint64_t round_bad = 0;
        for (uint64_t i = 0; i < REGION_WORDS; i++) {
            uint64_t got = REGION[i];
            round_bad += got != pattern(seed + (uint64_t)round, i);
            sum = (sum ^ got) * 0x100000001b3UL;    /* FNV-1a over what was read */
            REGION[i] = pattern(seed + (uint64_t)round + 1, i);
            if (!(i & 0xffff))
                watch();
        }
        say("case round %d: %s, sip %s\n", round, round_bad ? "corrupted" : "intact",
            stray ? "not empty" : "empty");
        bad += round_bad;
    }
    watch();
    CHECK(bad == 0);
    CHECK(stray == 0);
    say("case checksum: %016lx\n", (unsigned long)sum);
    say("case stray_interrupts: 0x%lx\n", stray);
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
