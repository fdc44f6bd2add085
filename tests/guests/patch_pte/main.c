/* Issue 15: lodger runs the guest kernel's patched code from copies, and
 * must drop a copy whenever the page it copies is written: by the guest,
 * and by lodger itself. The one write lodger makes into guest memory on
 * its own is the A/D update of a guest PTE (guest_walk.c, as Svadu
 * hardware does it). A PTE lies in a page table, which is a whole page
 * (privileged spec 4.3.1): for Linux, whose tables come from the page
 * allocator, never in a code page. But an entry with V=0 may hold any
 * bits, so a guest may put code in its page-table page, and execute a
 * valid entry too. This one does (code.S): a page that is its own leaf
 * table and holds a patched CSR access, and an entry whose low half is a
 * c.j that the A bit redirects. After a load through that entry (the walk
 * sets A), the jump must land where A=1 sends it, natively and under
 * lodger (whose copy of the page would still say A=0). It is executed
 * only after the load: QEMU (7.2) sets A/D without invalidating the code
 * it translated from the page, so a jump run before would stay as it
 * was natively, fence.i or not. Another entry, run before and never
 * loaded through, shows the jump with A=0. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern unsigned long pte_page[];
extern unsigned long pte_site(void);
extern char pte_jump[], pte_jump_untouched[];

#define TABLE_VA 0x40000000UL       /* the 2 MiB that pte_page maps as a leaf table */
#define ENTRY 64                    /* pte_jump's entry: VA TABLE_VA + 64 pages */
#define UNTOUCHED 96                /* pte_jump_untouched's */
/* The page entry 64 maps: X only, G (c.j's offset bits: X is bit 1, G bit 3),
 * A=D=0; its PPN's low six bits are c.j's funct3 (101) and offset bits
 * 11, 4, 9 (all 0): a page at 0x28000 modulo 256 KiB, in RAM. */
#define TARGET_PA 0x80428000UL

static unsigned long jump(char *at)
{
    unsigned long (*fn)(void) = (unsigned long (*)(void))(void *)at;
    return fn();
}

int guest_main(void)
{
    gprintf("=== begin: patch_pte ===\n");
    int levels = guest_levels();
    if (levels > 3)
        levels = 3;
    pte_page[ENTRY] = PTE(TARGET_PA, PTE_V | PTE_X | PTE_G);
    pte_page[UNTOUCHED] = PTE(TARGET_PA, PTE_V | PTE_X | PTE_G);
    __asm__ volatile("fence.i" ::: "memory");
    gprintf("case entry: 0x%04lx (c.j), A %lu\n", pte_page[ENTRY] & 0xffff,
            (pte_page[ENTRY] >> 6) & 1);

    unsigned long *root = pt_alloc();
    pt_map_identity(root, levels);
    *pt_slot(root, levels, TABLE_VA, 1) = PTE(pte_page, PTE_V);
    satp_switch(satp_of(root, levels, 0));

    /* Often enough for lodger to learn and patch the site (one trap in
     * 64 is learned): from then on the page runs from its copy. */
    csr_write(sscratch, 7);
    unsigned long sum = 0;
    for (int i = 0; i < 2000; i++)
        sum += pte_site();
    gprintf("case site: sum %lu\n", sum);
    unsigned long before = jump(pte_jump_untouched);
    gprintf("case untouched: jump returns %lu (A %lu)\n", before, (pte_page[UNTOUCHED] >> 6) & 1);
    CHECK(before == 0);

    /* A load through entry 64 (X only: with MXR); the walk sets its A. */
    csr_set(sstatus, SSTATUS_MXR);
    unsigned long word = *(volatile unsigned long *)(TABLE_VA + ENTRY * PAGE);
    csr_clear(sstatus, SSTATUS_MXR);
    (void)word;
    /* The walk's A update is a store to this code page (Zifencei: fence.i
     * before executing what was stored). */
    __asm__ volatile("fence.i" ::: "memory");
    /* The page's loads above (as any load from a patched page) had the
     * original mapped in its place; the site, run again, has its copy
     * mapped again (lodger: a known site that traps): the jump runs from
     * the copy, or what replaced it. */
    sum = 0;
    for (int i = 0; i < 2000; i++)
        sum += pte_site();
    unsigned long after = jump(pte_jump);
    gprintf("case after: jump returns %lu (A %lu)\n", after, (pte_page[ENTRY] >> 6) & 1);
    CHECK(after == 1);
    after = jump(pte_jump_untouched);
    gprintf("case untouched_after: jump returns %lu (A %lu)\n", after,
            (pte_page[UNTOUCHED] >> 6) & 1);
    CHECK(after == 0);
    gprintf("case site_again: sum %lu\n", sum);
    satp_switch(0);
    return failures;
}
