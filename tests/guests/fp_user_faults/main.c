/* Page faults from U-mode that the guest's own page table causes: an Sv48
 * guest's user code loads, stores and jumps to addresses its table leaves
 * unmapped, denies to U-mode, marks with reserved bits or a misaligned
 * superpage, or that are not canonical for Sv48 (among them the places
 * where lodger keeps its first portion and, on an Sv57 host, its window on
 * guest RAM), then makes allowed accesses. Every fault must reach the guest
 * kernel with the spec's scause and stval. Under lodger these faults are
 * reflected by the first portion (docs/COUNTERS.md id 57): the counter
 * must have grown by exactly the number of page faults the guest took
 * (printed; checked when the host's paging is wider than Sv48, and a
 * failed counter call is a failure, lib/counters.h), and no access may be
 * a conflict. The guest also fences the addresses of lodger's window,
 * which must not lose it; an Sv57 guest may map and remap that place as
 * its own. Capped at Sv39 (guest.levels=3: make test's runs of lodger on
 * Sv39, which has no window then and leaves these faults to the second
 * portion) the guest is Sv39 and its pages lower. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#include "../lib/counters.h"

#define LODGER_ID_FAST_PAGE_FAULT 57    /* docs/COUNTERS.md */
#define LEVELS (guest_levels() > 3 ? 4 : 3)            /* Sv48, or Sv39 */
#define UCODE (LEVELS == 4 ? 0x7000000000UL : 0x3000000000UL) /* user code, then the mailbox */
#define T (LEVELS == 4 ? 0x4000000000UL : 0x1000000000UL)     /* the test pages */
#define DATA 0x80600000UL               /* backing of the user pages (2 MiB aligned) */
#define USER_RW (PTE_RW | PTE_U)

extern char guest_end[], user_page[], u_load[], u_store[], u_call[];
extern volatile unsigned long mailbox[];

static unsigned long *root;
static unsigned long page_faults;       /* taken by user code, counted here */

static long user(char *routine, unsigned long arg)
{
    return run_user((void (*)(long))(UCODE + (unsigned long)(routine - user_page)), (long)arg);
}

static void user_case(const char *name, char *routine, unsigned long arg)
{
    mailbox[0] = 0xdead;
    long cause = user(routine, arg);
    if (cause == 12 || cause == 13 || cause == 15)
        page_faults++;
    if (cause == 8)
        gprintf("case %s: ok result=0x%lx\n", name, mailbox[0]);
    else
        gprintf("case %s: scause=%ld stval=0x%lx\n", name, cause, (unsigned long)last_trap.stval);
}

/* One 4 KiB page of the test area: [T + n * 4096] -> DATA + n * 4096. */
static void set_page(int n, unsigned long flags)
{
    *pt_slot(root, LEVELS, T + n * PAGE, 0) = PTE(DATA + n * PAGE, flags);
}

static void accesses(const char *what, unsigned long va, int fetch)
{
    char name[64];
    __builtin_snprintf(name, sizeof(name), "%s_load", what);
    user_case(name, u_load, va);
    __builtin_snprintf(name, sizeof(name), "%s_store", what);
    user_case(name, u_store, va);
    if (fetch) {
        __builtin_snprintf(name, sizeof(name), "%s_fetch", what);
        user_case(name, u_call, va);
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_user_faults ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    for (unsigned long off = 0; off < 16 * PAGE; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0x5a00000000000000UL | off;
    root = pt_alloc();
    pt_map_identity(root, LEVELS);
    pt_map(root, LEVELS, UCODE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    pt_map(root, LEVELS, UCODE + PAGE, (unsigned long)mailbox, PAGE, USER_RW);
    set_page(0, USER_RW);                                   /* allowed */
    set_page(1, 0);                                         /* invalid leaf */
    set_page(2, PTE_RW);                                    /* a kernel page (U=0) */
    set_page(3, PTE_V | PTE_R | PTE_U | PTE_A);             /* read-only */
    set_page(4, PTE_V | PTE_X | PTE_U | PTE_A);             /* execute-only */
    set_page(5, PTE_V | PTE_W | PTE_U | PTE_A | PTE_D);     /* W without R: reserved */
    set_page(6, USER_RW | 1UL << 54);                       /* reserved bit 54 */
    set_page(7, USER_RW | 1UL << 61);                       /* PBMT without Svpbmt */
    set_page(8, USER_RW | 1UL << 63);                       /* N without Svnapot */
    set_page(9, PTE_V);                                     /* a pointer at level 0 */
    set_page(10, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
    /* 2 MiB leaves: one misaligned (PPN not a multiple of 512), one aligned. */
    *pt_slot(root, LEVELS, T + 2 * MEGA2, 1) = PTE(DATA + PAGE, USER_RW);
    *pt_slot(root, LEVELS, T + 4 * MEGA2, 1) = PTE(DATA, USER_RW);
    /* Non-leaf entries with D, A or U (reserved, privileged spec 4.3.1). */
    *pt_slot(root, LEVELS, T + 1 * GIGA, 2) = PTE(pt_alloc(), PTE_V | PTE_U);
    *pt_slot(root, LEVELS, T + 2 * GIGA, 2) = PTE(pt_alloc(), PTE_V | PTE_A);
    *pt_slot(root, LEVELS, T + 3 * GIGA, 2) = PTE(pt_alloc(), PTE_V | PTE_D);
    unsigned long satp = satp_of(root, LEVELS, 0);
    satp_switch(satp);
    gprintf("case sv%d: %s\n", 12 + 9 * LEVELS, csr_read(satp) == satp ? "as written" : "not supported");
    if (csr_read(satp) != satp)
        return failures;

    /* Under lodger the first portion's reflection counts the faults
     * (docs/COUNTERS.md id 57) if the host's paging is wider than Sv48:
     * then the first portion sits where Sv48 is not canonical. */
    unsigned long fast_before = 0, fp_place = 0;
    int counted = lodger_read(LODGER_ID_FAST_PAGE_FAULT, &fast_before) && first_portion_place(&fp_place) &&
                  (long)(fp_place << 16) >> 16 != (long)fp_place;
    struct fp_counts counts;
    fp_counts_read(&counts);

    mailbox[1] = 0x77;
    accesses("user_rw", T + 8, 0);
    user_case("user_rw_load_back", u_load, T + 8);
    accesses("unmapped_leaf", T + PAGE + 0x10, 1);
    accesses("unmapped_root", 0x500000000000UL, 1);
    accesses("unmapped_table", T + GIGA / 2, 1);
    accesses("kernel_page", T + 2 * PAGE + 0x18, 1);
    accesses("kernel_image", 0x80200000UL, 1);
    accesses("read_only", T + 3 * PAGE + 0x20, 1);
    accesses("execute_only", T + 4 * PAGE + 0x28, 0);
    csr_set(sstatus, SSTATUS_MXR);
    user_case("execute_only_load_mxr", u_load, T + 4 * PAGE + 0x28);
    user_case("read_only_store_mxr", u_store, T + 3 * PAGE + 0x20);
    csr_clear(sstatus, SSTATUS_MXR);
    accesses("write_only", T + 5 * PAGE, 1);
    accesses("reserved_bit54", T + 6 * PAGE, 1);
    accesses("pbmt", T + 7 * PAGE, 1);
    accesses("napot", T + 8 * PAGE, 1);
    accesses("pointer_at_level0", T + 9 * PAGE, 1);
    user_case("rwx_load", u_load, T + 10 * PAGE + 0x30);
    accesses("superpage_misaligned", T + 2 * MEGA2 + 0x1008, 1);
    user_case("superpage_load", u_load, T + 4 * MEGA2 + 3 * PAGE + 0x40);
    accesses("nonleaf_u", T + GIGA + 0x1000, 1);
    accesses("nonleaf_a", T + 2 * GIGA + 0x1000, 1);
    accesses("nonleaf_d", T + 3 * GIGA + 0x1000, 1);
    /* Not canonical for Sv48: the bottom of the hole, lodger's guest-RAM
     * window and first portion on an Sv57 host, the top of the hole. */
    /* A guest may fence any address, lodger's window included: the
     * window stays (every fault below walks through it). */
    sfence_va(0xff00008000000000UL);
    sfence_va(0xff00008000200000UL);
    sfence_va(0xff00000040000000UL);
    accesses("noncanonical_low", 0x0000800000000000UL, 1);
    accesses("noncanonical_window", 0xff00008000000000UL, 1);
    accesses("noncanonical_first_portion", 0xff00000040000000UL, 1);
    accesses("noncanonical_high", 0xffff7ffffffff000UL, 1);
    accesses("noncanonical_sign", 0x8000000000000000UL, 0);
    /* Lodger's first portion on an Sv39 host (canonical, unmapped here). */
    accesses("unmapped_sv39_first_portion_place", 0xffffffc040000000UL, 1);

    /* Many faults in a row (a guest's demand paging). */
    unsigned long wrong = 0;
    for (unsigned long i = 0; i < 300; i++) {
        unsigned long va = 0x600000000000UL + i * 0x10008;
        long cause = user(i % 3 == 2 ? u_store : u_load, va);
        page_faults++;
        wrong += cause != (i % 3 == 2 ? 15 : 13) || last_trap.stval != va;
    }
    gprintf("case fault_loop: wrong=%lu\n", wrong);

    unsigned long fast_after = 0;
    gprintf("case page_faults_taken: %lu\n", page_faults);
    if (counted && lodger_read(LODGER_ID_FAST_PAGE_FAULT, &fast_after) &&
        fast_after - fast_before != page_faults) {
        gprintf("FAIL counters: the first portion reflected %lu page faults (want %lu)\n",
                fast_after - fast_before, page_faults);
        failures++;
    }
    /* No access was to the first portion's place (non-canonical for Sv48). */
    fp_expect("the Sv48 faults", &counts, FP_NOTHING);
    satp_switch(0);

    /* Sv57: the same place is the guest's own (no window in its shadows),
     * and a fence of it drops the guest's old mapping. */
    unsigned long *root57 = pt_alloc(), place = 0xff00008000000000UL;
    pt_map_identity(root57, 5);
    pt_map(root57, 5, UCODE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    pt_map(root57, 5, UCODE + PAGE, (unsigned long)mailbox, PAGE, USER_RW);
    pt_map(root57, 5, place, DATA + 11 * PAGE, PAGE, USER_RW);
    satp = satp_of(root57, 5, 0);
    if (guest_levels() == 5)
        satp_switch(satp);
    if (guest_levels() == 5 && csr_read(satp) == satp) {
        user_case("sv57_window_place_load", u_load, place + 0x48);
        *pt_slot(root57, 5, place, 0) = PTE(DATA + 12 * PAGE, USER_RW);
        sfence_va(place);
        user_case("sv57_window_place_load_after_remap", u_load, place + 0x48);
        satp_switch(0);
    }
    fp_expect("the Sv57 window place", &counts, FP_NOTHING);
    return failures;
}
