/* sfence.vma naming lodger's default first-portion address (no
 * run-options): under lodger where its first portion is (counter 54),
 * natively 0xff00000040000000 (the default on an Sv57 host), in Bare mode
 * and with Sv39 (where it may not even be canonical). Natively: no effect;
 * under lodger no conflict and no relocation (lib/counters.h). */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/counters.h"

int guest_main(void)
{
    gprintf("=== begin: fp_sfence_default ===\n");
    unsigned long place = 0xff00000040000000UL;
    first_portion_place(&place);
    struct fp_counts counts;
    fp_counts_read(&counts);
    __asm__ volatile("sfence.vma %0" :: "r"(place) : "memory");
    gprintf("case bare_sfence_default_place: survived\n");
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    satp_switch(satp_of(root, 3, 0));
    __asm__ volatile("sfence.vma %0" :: "r"(place + 0x2000) : "memory");
    gprintf("case sv39_sfence_default_frame: survived\n");
    satp_switch(0);
    fp_expect("the flushes", &counts, FP_NOTHING);
    unsigned long now = place;
    first_portion_place(&now);
    CHECK(now == place);
    return failures;
}
