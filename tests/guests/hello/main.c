/* The demo guest: prints, reads and writes a few supervisor CSRs, takes an
 * exception, then shuts down. */
#include "../lib/guest.h"

int guest_main(void)
{
    gprintf("=== begin: hello ===\n");
    gprintf("Hello from a guest that believes it runs in S-mode.\n");

    csr_write(sscratch, 0x1234abcdUL);
    CHECK(csr_read(sscratch) == 0x1234abcdUL);
    unsigned long s = csr_read(sstatus);
    gprintf("sstatus.SPP=%lu SIE=%lu UXL=%lu\n", (s >> 8) & 1, (s >> 1) & 1, (s >> 32) & 3);
    gprintf("satp=0x%lx\n", csr_read(satp));

    /* An ebreak comes back to our own trap vector. */
    int before = last_trap.count;
    __asm__ volatile("ebreak");
    CHECK(last_trap.count == before + 1);
    gprintf("trap: scause=%lu SPP=%lu\n", (unsigned long)last_trap.scause,
            (unsigned long)(last_trap.sstatus >> 8) & 1);

    unsigned long t0 = csr_read(time);
    for (volatile int i = 0; i < 100000; i++)
        ;
    CHECK(csr_read(time) > t0);
    gprintf("time advances: %s\n", csr_read(time) > t0 ? "yes" : "no");
    return failures;
}
