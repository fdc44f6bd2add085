/* A guest superpage that lodger's shadow cannot map whole (here a 1 GiB
 * page that reaches past guest RAM: lodger shadows it with 2 MiB and 4 KiB
 * pages), changed and then fenced with sfence.vma of ONE address in it.
 * The fence covers the whole superpage: it invalidates "address-
 * translation cache entries that contain leaf page table entries
 * corresponding to the virtual address" (privileged spec 4.2.1), and the
 * leaf for every address of the gigapage is the one gigapage PTE. So an
 * access anywhere in the gigapage after the fence sees the new PTE: a
 * shadow that dropped only the fenced address's piece would let the other
 * pieces keep the old permissions. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#define VA 0x1000000000UL               /* 64 GiB: a gigapage of Sv39's lower half */
#define PA 0x80000000UL                 /* guest RAM, and past it: the gigapage leaves RAM */
#define R_OFF 0x800000UL                /* two 2 MiB blocks the image leaves free */
#define W_OFF 0xa00000UL

static unsigned long *root;

static void set_giga(unsigned long flags, unsigned long fence_va)
{
    *pt_slot(root, 3, VA, 2) = flags ? PTE(PA, flags) : 0;
    sfence_va(fence_va);
}

/* The scause of a load or store at va (-1: none). */
static long access(unsigned long va, bool write)
{
    int n = last_trap.count;
    trap_skip = 1;
    if (write)
        *(volatile unsigned long *)va = 0x5a5a;
    else
        (void)*(volatile unsigned long *)va;
    trap_skip = 0;
    return last_trap.count == n ? -1 : (long)last_trap.scause;
}

static void touch_both(const char *what)
{
    long r = access(VA + R_OFF, false), w = access(VA + W_OFF, true);
    gprintf("case %s: load at +8M scause %ld, store at +10M scause %ld\n", what, r, w);
}

int guest_main(void)
{
    gprintf("=== begin: sfence_superpage ===\n");
    root = pt_alloc();
    pt_map_identity(root, 3);
    __asm__ volatile("csrw satp, %0\nsfence.vma" :: "r"(satp_of(root, 3, 1)) : "memory");
    set_giga(PTE_RW, VA);
    touch_both("writable");
    /* Read-only, fenced at the gigapage's first address only. */
    set_giga(PTE_V | PTE_R | PTE_A, VA);
    touch_both("read-only, fence at its start");
    set_giga(PTE_RW, VA + W_OFF);
    touch_both("writable again, fence at +10M");
    /* Gone, fenced at an address in yet another 2 MiB block. */
    set_giga(0, VA + 0x3fff0000UL);
    touch_both("unmapped, fence near its end");
    set_giga(PTE_RW, VA + 0x123000UL);
    touch_both("writable, fence inside the first 2 MiB");
    /* A fence of an address with this ASID only (rs2 != x0) works alike. */
    *pt_slot(root, 3, VA, 2) = PTE(PA, PTE_V | PTE_R | PTE_A);
    __asm__ volatile("sfence.vma %0, %1" :: "r"(VA + 0x200000UL), "r"(1UL) : "memory");
    touch_both("read-only, fence of ASID 1 at +2M");
    __asm__ volatile("csrw satp, zero\nsfence.vma" ::: "memory");
    return failures;
}
