/* A page fence issued in one address space reaches the translations
 * cached for another (privileged spec 4.2.1: sfence.vma with rs1 = va and
 * rs2 = x0 orders the page's changes for every address space; with rs2 =
 * an ASID, for that one, whichever is running). Space B maps page VA and
 * reads it (under lodger: B's shadow holds it); the guest switches to
 * space A (satp alone, no fence), remaps VA in B's table, fences VA from
 * A, switches back to B (no fence) and reads VA: the new page. A holds
 * nothing under VA's root entry.
 *
 * Lodger skips, at a page fence, the shadows with no guest mapping under
 * the fenced address's root entry of the host's table (roots_used): the
 * VAs here lie under different root entries of an Sv57 host table (0, 1,
 * 511), in Sv39, Sv48 and Sv57, so that a wrong root (the current
 * space's, or one counted at the guest's levels) would leave B's stale
 * entry in place. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 128
#include "../lib/pagetable.h"

#define PA1 0x80600000UL
#define PA2 0x80601000UL
#define PA3 0x80602000UL

static unsigned long load(unsigned long va)
{
    return *(volatile unsigned long *)va;
}

static void fence_va_asid(unsigned long va, unsigned long asid)
{
    __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"(asid) : "memory");
}

static void one_case(const char *name, int levels, unsigned long va, unsigned long asid_a)
{
    unsigned long asid_b = asid_a + 1;
    unsigned long *a = pt_alloc(), *b = pt_alloc();
    pt_map_identity(a, levels);
    pt_map_identity(b, levels);
    pt_map(b, levels, va, PA1, PAGE, PTE_RW);
    unsigned long *leaf = pt_slot(b, levels, va, 0);
    unsigned long satp_a = satp_of(a, levels, asid_a), satp_b = satp_of(b, levels, asid_b);
    satp_switch(satp_a);    /* orders both tables' building */
    if (csr_read(satp) != satp_a) {
        csr_write(satp, 0);
        sfence_all();
        gprintf("case %s: mode not offered\n", name);
        return;
    }
    csr_write(satp, satp_b);
    unsigned long first = load(va);
    /* Every address space's entry for VA: rs2 = x0. */
    csr_write(satp, satp_a);
    *leaf = PTE(PA2, PTE_RW);
    sfence_va(va);
    csr_write(satp, satp_b);
    unsigned long after_all = load(va);
    /* B's entry only: rs2 = B's ASID, fenced while A runs. */
    csr_write(satp, satp_a);
    *leaf = PTE(PA3, PTE_RW);
    fence_va_asid(va, asid_b);
    csr_write(satp, satp_b);
    unsigned long after_asid = load(va);
    csr_write(satp, 0);
    sfence_all();
    gprintf("case %s: first 0x%lx, after a fence of every space 0x%lx, after a fence of B's 0x%lx\n",
            name, first, after_all, after_asid);
    if (first != 0x1111 || after_all != 0x2222 || after_asid != 0x3333)
        failures++;
}

int guest_main(void)
{
    gprintf("=== begin: fence_other_space ===\n");
    *(volatile unsigned long *)PA1 = 0x1111;
    *(volatile unsigned long *)PA2 = 0x2222;
    *(volatile unsigned long *)PA3 = 0x3333;
    one_case("sv39_low", 3, 0x40000000UL, 1);
    one_case("sv39_high", 3, 0xffffffc000200000UL, 3);
    one_case("sv48_low", 4, 0x40000000UL, 5);
    one_case("sv48_high", 4, 0xffff800000200000UL, 7);
    one_case("sv57_low", 5, 0x40000000UL, 9);
    one_case("sv57_root1", 5, 1UL << 48, 11);
    one_case("sv57_high", 5, 0xfffff00000200000UL, 13);
    return failures;
}
