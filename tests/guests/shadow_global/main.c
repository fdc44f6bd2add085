/* Issue 15, shared shadow tables of global kernel mappings
 * (src/core/shadow_global.h): lodger shadows a 1 GiB region's global
 * (G=1, U=0) leaves once per VM, in a table every S-mode view links whose
 * walk goes through the same guest level-1 table. A wrong sharing shows
 * here as a word read from the wrong page:
 *  1. two address spaces whose kernel halves use different guest tables
 *     for one region: VA X global to one page in A, non-global to another
 *     in B (and a global page beside it in both, so that both link a
 *     shared table if the key were the region alone). QEMU (whose TLB
 *     flushes at every satp write) and lodger give each space its own
 *     page. (Privileged spec 4.3.1 calls a global mapping that differs
 *     between spaces a software bug: either page may be used; this guest
 *     checks that lodger keys its sharing by the guest's own tables.)
 *  2. a region whose level-1 table both spaces share, as Linux copies its
 *     kernel half: a global leaf changed in A with sfence.vma of its
 *     address (rs2 = x0: every ASID, globals too), then read in B: the new
 *     page (one global TLB; 4.2.1). The same with sfence.vma x0, x0.
 *  3. a non-global leaf in that shared region (read in B after B already
 *     linked the region through a global one): changed, then only B's
 *     ASID fenced (sfence.vma x0, asid: it must order non-global entries
 *     of that ASID, 4.2.1): B must see the new page; a non-global leaf put
 *     into the shared table would survive that fence (B's shadow only
 *     drops its link; Z's fill links the table again before W is read).
 *  4. SUM on (another S view, sharing the table): the same words. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#define R1 0xffffffd000000000UL     /* case 1: its own table in each space */
#define R2 0xffffffd040000000UL     /* cases 2-4: one table, both spaces */
#define X (R1 + 0x5000)
#define Y (R1 + 0x6000)
#define Z (R2 + 0x7000)
#define W (R2 + 0x8000)
#define V (R2 + 0x9000)
#define P1 0x80600000UL
#define P2 0x80601000UL
#define P3 0x80602000UL
#define P4 0x80603000UL
#define KERNEL (PTE_RW | PTE_G)

static unsigned long load(unsigned long va)
{
    return *(volatile unsigned long *)va;
}

static void fence_asid(unsigned long asid)
{
    __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}

int guest_main(void)
{
    gprintf("=== begin: shadow_global ===\n");
    *(volatile unsigned long *)P1 = 0x1111;
    *(volatile unsigned long *)P2 = 0x2222;
    *(volatile unsigned long *)P3 = 0x3333;
    *(volatile unsigned long *)P4 = 0x4444;
    unsigned long *a = pt_alloc(), *b = pt_alloc();
    pt_map_identity(a, 3);
    pt_map_identity(b, 3);
    /* Case 1: R1 through a table of each space's own. */
    *pt_slot(a, 3, X, 0) = PTE(P1, KERNEL);
    *pt_slot(a, 3, Y, 0) = PTE(P3, KERNEL);
    *pt_slot(b, 3, Y, 0) = PTE(P3, KERNEL);
    *pt_slot(b, 3, X, 0) = PTE(P2, PTE_RW);
    /* Cases 2-4: R2's level-1 table, made in a, is b's too. */
    unsigned long *z = pt_slot(a, 3, Z, 0), *w = pt_slot(a, 3, W, 0);
    *z = PTE(P1, KERNEL);
    *w = PTE(P3, PTE_RW);
    *pt_slot(a, 3, V, 0) = PTE(P4, KERNEL);
    b[(R2 >> 30) & 511] = a[(R2 >> 30) & 511];
    unsigned long sa = satp_of(a, 3, 1), sb = satp_of(b, 3, 2);

    csr_write(satp, sa);
    sfence_all();
    gprintf("case a_y_x: 0x%lx 0x%lx\n", load(Y), load(X));
    csr_write(satp, sb);
    fence_asid(2);
    gprintf("case b_y_x: 0x%lx 0x%lx\n", load(Y), load(X));
    csr_write(satp, sa);
    gprintf("case a_x_again: 0x%lx\n", load(X));

    /* Case 2: both spaces read Z; A changes it and fences its address. */
    gprintf("case a_z: 0x%lx\n", load(Z));
    csr_write(satp, sb);
    gprintf("case b_z: 0x%lx\n", load(Z));
    csr_write(satp, sa);
    *z = PTE(P2, KERNEL);
    sfence_va(Z);
    gprintf("case a_z_changed: 0x%lx\n", load(Z));
    csr_write(satp, sb);
    gprintf("case b_z_after_page_fence: 0x%lx\n", load(Z));
    *z = PTE(P4, KERNEL);
    sfence_all();
    /* V first (global too): under lodger its fill links the region again
     * before Z is read. */
    csr_write(satp, sa);
    unsigned long av = load(V);
    unsigned long az = load(Z);
    gprintf("case a_v_z_after_full_fence: 0x%lx 0x%lx\n", av, az);
    csr_write(satp, sb);
    gprintf("case b_z_after_full_fence: 0x%lx\n", load(Z));

    /* Case 3: B has linked R2 (Z above); W is not global. */
    gprintf("case b_w: 0x%lx\n", load(W));
    *w = PTE(P1, PTE_RW);
    fence_asid(2);
    /* Z first: under lodger its fill links the region again, so that W's
     * read finds whatever the shared table holds for it. */
    unsigned long vz = load(Z);
    unsigned long vw = load(W);
    gprintf("case b_z_w_after_asid_fence: 0x%lx 0x%lx\n", vz, vw);
    csr_write(satp, sa);
    fence_asid(1);
    gprintf("case a_w_after_asid_fence: 0x%lx\n", load(W));

    /* Case 4: the SUM view (another shadow of each space). */
    csr_set(sstatus, SSTATUS_SUM);
    gprintf("case a_sum: 0x%lx 0x%lx 0x%lx\n", load(X), load(Z), load(W));
    *z = PTE(P3, KERNEL);
    sfence_va(Z);
    csr_write(satp, sb);
    gprintf("case b_sum: 0x%lx 0x%lx 0x%lx\n", load(X), load(Z), load(W));
    csr_clear(sstatus, SSTATUS_SUM);
    gprintf("case b_nosum_z: 0x%lx\n", load(Z));

    csr_write(satp, 0);
    sfence_all();
    return failures;
}
