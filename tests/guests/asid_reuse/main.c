/* One root under two ASIDs (privileged spec 4.1.11, 4.2.1): translations
 * are cached per address space, ASID included, so what was cached while
 * the root ran under ASID 1 must never serve ASID 2. The guest runs a
 * table under ASID 1 and reads page VA, remaps VA in that same table,
 * fences ASID 2 only (which orders the change for ASID 2 and leaves ASID
 * 1's entries alone), switches to ASID 2 on the same root and reads VA
 * again: it must see the new page. (Back under ASID 1 without a fence of
 * ASID 1 either page is allowed: that value is not printed.) */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#define VA 0x40000000UL
#define PA1 0x80600000UL
#define PA2 0x80601000UL

static unsigned long load(unsigned long va)
{
    return *(volatile unsigned long *)va;
}

static void fence_asid(unsigned long asid)
{
    __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}

static void fence_va_asid(unsigned long va, unsigned long asid)
{
    __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
}

int guest_main(void)
{
    gprintf("=== begin: asid_reuse ===\n");
    *(volatile unsigned long *)PA1 = 0x1111;
    *(volatile unsigned long *)PA2 = 0x2222;
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, VA, PA1, PAGE, PTE_RW);
    unsigned long *leaf = pt_slot(root, 3, VA, 0);
    unsigned long satp1 = satp_of(root, 3, 1), satp2 = satp_of(root, 3, 2);

    csr_write(satp, satp1);
    fence_asid(1);
    gprintf("case asids: %s\n", csr_read(satp) == satp1 ? "at least 2 bits" : "fewer");
    gprintf("case asid1_first: 0x%lx\n", load(VA));

    /* Remap, fence ASID 2 only, run the same root under ASID 2. */
    *leaf = PTE(PA2, PTE_RW);
    fence_asid(2);
    csr_write(satp, satp2);
    gprintf("case asid2_after_asid2_fence: 0x%lx\n", load(VA));

    /* Back to ASID 1: its entries may still say PA1. Fence ASID 1, then
     * it must see PA2 too. */
    csr_write(satp, satp1);
    unsigned long v = load(VA);
    gprintf("case asid1_unfenced_old_or_new: %s\n", v == 0x1111 || v == 0x2222 ? "yes" : "no");
    fence_asid(1);
    gprintf("case asid1_after_asid1_fence: 0x%lx\n", load(VA));

    /* The same with one page's fence: remap to PA1, fence VA for ASID 3
     * only, then run under ASID 3 (never used before: nothing cached). */
    *leaf = PTE(PA1, PTE_RW);
    fence_va_asid(VA, 3);
    csr_write(satp, satp_of(root, 3, 3));
    gprintf("case asid3_after_page_fence: 0x%lx\n", load(VA));

    csr_write(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    return failures;
}
