/* Physical memory the guest does not have: loads, stores and fetches past
 * the end of RAM raise access faults (scause 5, 7, 1) with the address in
 * stval, from S-mode and from U-mode, and the guest carries on. */
#include "../lib/guest.h"

/* lodger-run gives the guest 128 MiB from 0x80000000, natively and under lodger. */
#define PAST_RAM 0x88000000UL

static void report(const char *name, int before)
{
    if (last_trap.count == before)
        gprintf("case %s: no trap\n", name);
    else
        gprintf("case %s: scause=%lu stval=0x%lx\n", name, (unsigned long)last_trap.scause,
                (unsigned long)last_trap.stval);
}

static void fetch_at(unsigned long addr)
{
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%1)\n"
                     "jalr ra, 0(%0)\n"
                     "1:" :: "r"(addr), "r"(&trap_resume_pc) : "t0", "ra", "memory");
}

static volatile unsigned long sink;
static void user_load(long addr) { sink = *(volatile unsigned long *)addr; }
static void user_store(long addr) { *(volatile unsigned long *)addr = 1; }

int guest_main(void)
{
    gprintf("=== begin: access_faults ===\n");
    int before = last_trap.count;
    sink = *(volatile unsigned long *)PAST_RAM;
    report("load_past_ram", before);
    before = last_trap.count;
    sink = *(volatile uint8_t *)(PAST_RAM + 0x123);
    report("load_byte_past_ram", before);
    before = last_trap.count;
    *(volatile unsigned long *)(PAST_RAM + 8) = 1;
    report("store_past_ram", before);
    /* No AMO case: QEMU 7.2 reports an AMO's access fault as a load's (5),
     * the spec says store/AMO (7). */
    before = last_trap.count;
    fetch_at(PAST_RAM + 0x40);
    report("fetch_past_ram", before);
    gprintf("case fetch_past_ram_sepc: 0x%lx\n", (unsigned long)last_trap.sepc);

    /* The last byte of RAM is there. */
    before = last_trap.count;
    sink = *(volatile uint8_t *)(PAST_RAM - 1);
    report("load_last_ram_byte", before);

    /* From U-mode (MMU off, so U-mode reaches physical memory directly). */
    long cause = run_user(user_load, PAST_RAM + 0x200);
    gprintf("case user_load_past_ram: scause=%ld stval=0x%lx spp=%lu\n", cause,
            (unsigned long)last_trap.stval, (unsigned long)(last_trap.sstatus & SSTATUS_SPP) >> 8);
    cause = run_user(user_store, PAST_RAM + 0x208);
    gprintf("case user_store_past_ram: scause=%ld stval=0x%lx\n", cause,
            (unsigned long)last_trap.stval);
    cause = run_user((void (*)(long))(PAST_RAM + 0x300), 0);
    gprintf("case user_fetch_past_ram: scause=%ld stval=0x%lx\n", cause,
            (unsigned long)last_trap.stval);

    /* Far away, under 2^56. */
    before = last_trap.count;
    sink = *(volatile unsigned long *)0x00f0000000000000UL;
    report("load_high_pa", before);
    return failures;
}
