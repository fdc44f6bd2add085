/* sfence.vma naming addresses inside the first portion's place (run-options:
 * --first-portion 0x40000000). A guest may flush any address, mapped or not
 * (Linux flushes each page it has just mapped): natively that changes
 * nothing the guest can see. Flushes of each page of the place - lodger's
 * code pages, its trap frame, the rest - in Bare mode, then with Sv39 with
 * the place unmapped, then with it mapped (before and after the conflict),
 * each followed by a trap and an SBI call to show the guest still runs.
 * Under lodger (lib/counters.h): no flush is a conflict, the first load of
 * the mapped place is exactly one (one relocation to an unused region). */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0x40000000UL              /* = --first-portion in run-options */
#define DATA 0x80400000UL

static const unsigned long pages[] = { 0, 1, 2, 3, 15 };

static void flushes(const char *mode, unsigned long asid)
{
    for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        unsigned long va = F + pages[i] * PAGE + 0x18;
        if (asid)
            __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
        else
            __asm__ volatile("sfence.vma %0" :: "r"(va) : "memory");
        int before = last_trap.count;
        __asm__ volatile("ebreak");
        struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0);   /* spec version */
        gprintf("case %s_sfence_page%lu%s: traps=%d sbi_error=%ld\n", mode, pages[i],
                asid ? "_asid" : "", last_trap.count - before, r.error);
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_sfence ===\n");
    struct fp_counts counts;
    fp_counts_read(&counts);
    flushes("bare", 0);

    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_slot(root, 3, F, 0);         /* tables exist, the place is not mapped */
    satp_switch(satp_of(root, 3, 5));
    flushes("sv39_unmapped", 0);
    flushes("sv39_unmapped", 5);
    probe_load("sv39_unmapped_load", F + 0x2000);

    for (unsigned long off = 0; off < 0x10000; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0xf1u + off;
    pt_map(root, 3, F, DATA, 0x10000, PTE_RW);
    flushes("sv39_mapped", 0);      /* as a kernel does after mapping */
    fp_expect("the flushes and the fault", &counts, FP_NOTHING);
    probe_load("sv39_mapped_load", F + 0x2000);     /* the conflict */
    fp_expect("the first load of the mapped place", &counts, FP_ONE_CONFLICT_TO_UNUSED);
    flushes("sv39_after_conflict", 0);
    probe_load("sv39_after_conflict_load", F + 0x1000);
    fp_expect("the flushes after the conflict", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
