/* The guest maps devices at the first portion's forced place (run-options:
 * --first-portion 0x40000000, Sv39): the UART's page at 0x40000000 and the
 * PLIC's first page (source priorities) at 0x40002000, where lodger keeps
 * its trap vector and its trap frame. The first UART access is the conflict
 * and must then reach the device through the guest's translation; the
 * other pages of the place stay unmapped (the guest's own faults). Under
 * lodger (lib/counters.h): the fault before is no conflict, the UART store
 * is exactly one (one relocation to an unused region), nothing after it. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0x40000000UL              /* = --first-portion in run-options */
#define UART 0x10000000UL
#define PLIC 0x0c000000UL

static unsigned long lbu(unsigned long a)
{
    unsigned long v;
    __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}

int guest_main(void)
{
    gprintf("=== begin: fp_mmio ===\n");
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, F, UART, PAGE, PTE_RW);
    pt_map(root, 3, F + 0x2000, PLIC, PAGE, PTE_RW);
    satp_switch(satp_of(root, 3, 0));

    struct fp_counts counts;
    fp_counts_read(&counts);
    probe_load("unmapped_page1", F + 0x1000);
    fp_expect("the unmapped page's load", &counts, FP_NOTHING);
    /* The conflict: a byte store to the UART's scratch register. */
    __asm__ volatile("sb %0, 7(%1)" :: "r"(0x5aUL), "r"(F) : "memory");
    gprintf("case uart_scratch: 0x%lx\n", lbu(F + 7));
    fp_expect("the UART store", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    /* Compressed word accesses to the PLIC's priority of source 10. */
    register unsigned long base __asm__("a5") = F + 0x2000;
    register unsigned long val __asm__("a4") = 2;
    register unsigned long got __asm__("a3");
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.sw a4, 40(a5)\n"
                     "c.lw a3, 40(a5)\n"
                     ".option pop" : "=r"(got) : "r"(base), "r"(val) : "memory");
    gprintf("case plic_priority: %lu\n", got);
    *(volatile uint32_t *)(F + 0x2028) = 0;
    gprintf("case plic_priority_cleared: %u\n", *(volatile uint32_t *)(F + 0x2028));
    probe_load("unmapped_page3", F + 0x3000);
    probe_store("unmapped_page15", F + 0xf000, 1);
    satp_switch(0);
    *(volatile uint32_t *)(PLIC + 0x28) = 3;
    gprintf("case bare_uart_scratch: 0x%lx plic_priority=%u\n", lbu(UART + 7),
            *(volatile uint32_t *)(PLIC + 0x28));
    *(volatile uint32_t *)(PLIC + 0x28) = 0;
    fp_expect("the rest", &counts, FP_NOTHING);
    return failures;
}
