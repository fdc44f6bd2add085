/* With the MMU off, every address is a physical one: loads, stores and
 * fetches at addresses no memory answers raise access faults, including the
 * high addresses where lodger keeps its first portion in the shadow table
 * (its default place 0xfffffffffc000000, and 0xff00000040000000). */
#include <stdio.h>
#include "../lib/guest.h"

static volatile unsigned long sink;

static void report(const char *name, int before)
{
    if (last_trap.count == before)
        gprintf("case %s: no trap\n", name);
    else
        gprintf("case %s: scause=%lu stval=0x%lx\n", name, (unsigned long)last_trap.scause,
                (unsigned long)last_trap.stval);
}

static void try_fetch(const char *name, unsigned long va)
{
    int before = last_trap.count;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%1)\n"
                     "jalr ra, 0(%0)\n"
                     "1:" :: "r"(va), "r"(&trap_resume_pc) : "t0", "ra", "memory");
    report(name, before);
}

static const unsigned long addrs[] = {
    0xfffffffffc000000UL, 0xfffffffffc000ff8UL, 0xfffffffffc001000UL,
    0xff00000040000000UL, 0xffffffffffff0000UL,
};

int guest_main(void)
{
    gprintf("=== begin: bare_high_addresses ===\n");
    char name[64];
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        int before = last_trap.count;
        sink = *(volatile unsigned long *)addrs[i];
        snprintf(name, sizeof(name), "load_%u", i);
        report(name, before);
        before = last_trap.count;
        *(volatile unsigned long *)addrs[i] = 0;
        snprintf(name, sizeof(name), "store_%u", i);
        report(name, before);
        snprintf(name, sizeof(name), "fetch_%u", i);
        try_fetch(name, addrs[i]);
    }
    return failures;
}
