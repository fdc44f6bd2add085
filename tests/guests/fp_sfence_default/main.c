/* sfence.vma naming lodger's default first-portion address (no
 * run-options; 0xff00000040000000 on an Sv57 host), in Bare mode and with
 * Sv39 (where it is not even canonical). Natively: no effect. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

int guest_main(void)
{
    gprintf("=== begin: fp_sfence_default ===\n");
    __asm__ volatile("sfence.vma %0" :: "r"(0xff00000040000000UL) : "memory");
    gprintf("case bare_sfence_default_place: survived\n");
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    satp_switch(satp_of(root, 3, 0));
    __asm__ volatile("sfence.vma %0" :: "r"(0xff00000040002000UL) : "memory");
    gprintf("case sv39_sfence_default_frame: survived\n");
    satp_switch(0);
    return failures;
}
