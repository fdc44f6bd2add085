/* The first portion forced onto a device, with translation off (run-options:
 * --first-portion 0x10000000, the NS16550A UART of QEMU's virt board and of
 * lodger's guest board). In Bare mode guest-virtual is guest-physical, so
 * the guest's first access to its UART is the conflict; lodger must move
 * the first portion away and then let the access reach the device. Before
 * that, an access inside the first portion where the board has nothing
 * must be the guest's own access fault. Then the same through Sv39 pages.
 * (Guest RAM cannot hold a forced first portion in Bare mode: lodger keeps
 * host RAM for its own identity map and refuses such a place: run-tests.py's
 * image checks.)
 * Under lodger (lib/counters.h): the faults are no conflict, the first UART
 * access is exactly one, with one relocation to an unused region, and
 * nothing after it moves the first portion again. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define UART 0x10000000UL           /* = --first-portion in run-options */
#define UART_SCR 7                  /* scratch register: read/write, no effect */
#define PLIC 0x0c000000UL
#define VA_UART 0x40000000UL

static unsigned long lb(unsigned long a)
{
    unsigned long v;
    __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static void sb(unsigned long a, unsigned long v) { __asm__ volatile("sb %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }

int guest_main(void)
{
    gprintf("=== begin: fp_bare ===\n");
    struct fp_counts counts;
    fp_counts_read(&counts);
    /* Inside the first portion, past the UART's registers: nothing. */
    probe_load("bare_load_past_uart", UART + 0x100);
    probe_store("bare_store_past_uart", UART + 0x800, 1);
    fp_expect("accesses where the board has nothing", &counts, FP_NOTHING);

    /* The conflict: a store to the scratch register, then loads. */
    int before = last_trap.count;
    sb(UART + UART_SCR, 0xa5);
    unsigned long scr = lb(UART + UART_SCR);
    sb(UART + UART_SCR, 0x3c);
    unsigned long scr2 = lb(UART + UART_SCR);
    gprintf("case bare_uart_scratch: 0x%lx 0x%lx traps=%d\n", scr, scr2, last_trap.count - before);
    fp_expect("the UART accesses", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    probe_load("bare_load_past_uart_after", UART + 0x100);

    /* Another device, and RAM, unaffected. */
    volatile uint32_t *prio = (volatile uint32_t *)(PLIC + 4 * 10);
    *prio = 1;
    gprintf("case bare_plic_priority: %u\n", *prio);
    *prio = 0;

    /* Sv39: the UART through an identity page and through a page at 1 GiB. */
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, UART, UART, PAGE, PTE_RW);
    pt_map(root, 3, VA_UART, UART, PAGE, PTE_RW);
    satp_switch(satp_of(root, 3, 0));
    sb(UART + UART_SCR, 0x11);
    unsigned long a = lb(VA_UART + UART_SCR);
    sb(VA_UART + UART_SCR, 0x22);
    unsigned long b = lb(UART + UART_SCR);
    gprintf("case sv39_uart_scratch: 0x%lx 0x%lx\n", a, b);
    probe_load("sv39_load_unmapped_uart_page", UART + PAGE);
    satp_switch(0);
    gprintf("case bare_again_uart_scratch: 0x%lx\n", lb(UART + UART_SCR));
    fp_expect("the rest", &counts, FP_NOTHING);
    return failures;
}
