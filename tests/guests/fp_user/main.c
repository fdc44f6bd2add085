/* Conflicts met by user pages (run-options: --first-portion 0x40000000):
 * an Sv57 guest maps user (U=1) pages at the forced place and, one after
 * the other, at the places lodger relocates its first portion to (see
 * fp_chase). At each, accesses the guest's page table does not allow come
 * first and must be the guest's own faults; then an allowed one, from
 * virtual U-mode or from S-mode with SUM=1, is the conflict:
 *   0 U-mode calls code there          1 S-mode load, SUM=1
 *   2 U-mode load of a read-only page  3 U-mode AMO
 *   4 U-mode LR/SC                     5 S-mode load of an execute-only page, SUM=1 MXR=1
 *   6 U-mode misaligned load from the page below
 * Natively all of this is plain memory. Under lodger the places are where
 * its first portion is (counter 54, shared/fp_places.h; faults print stval
 * relative to the place), and each place's cases must make exactly one
 * conflict and one relocation to an unused region (lib/counters.h). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 64
#include "../lib/pagetable.h"
#include "../lib/probe.h"

#include "../shared/fp_places.h"
#define BELOW 0x10000UL             /* mapped: [place - BELOW, place + ABOVE) */
#define ABOVE 0x20000UL
#define SPAN (BELOW + ABOVE)
#define DATA 0x80400000UL           /* backing of region k: DATA + k * SPAN */
#define PA(k, va) (DATA + (unsigned long)(k) * SPAN + ((va) - (region[k] - BELOW)))
#define UCODE 0x7000000000UL        /* user code page, then the mailbox page */
#define USER_RW (PTE_RW | PTE_U)

extern char guest_end[], user_page[], u_load[], u_store[], u_amo[], u_lrsc[], u_call[];
extern char pic_triple[], pic_triple_end[];
extern volatile unsigned long mailbox[];

static unsigned long *root;

static unsigned long pattern(int k, unsigned long off)
{
    return 0x05e4000000000000UL ^ (unsigned long)k << 40 ^ off * 0x10001UL;
}

/* Region k: user RW pages, its pattern written physically. */
static void map_region(int k)
{
    unsigned long lo = region[k] - BELOW;
    for (unsigned long off = 0; off < SPAN; off += 8)
        *(volatile unsigned long *)(PA(k, lo) + off) = pattern(k, off);
    pt_map(root, guest_levels(), lo, PA(k, lo), SPAN, USER_RW);
}

static void set_page(int k, unsigned long va, unsigned long flags)
{
    *pt_slot(root, guest_levels(), va, 0) = PTE(PA(k, va), flags);
    sfence_all();
}

static long user(char *routine, unsigned long arg)
{
    return run_user((void (*)(long))(UCODE + (unsigned long)(routine - user_page)), (long)arg);
}

static void user_case(const char *name, char *routine, unsigned long arg)
{
    mailbox[0] = 0xdead;
    long cause = user(routine, arg);
    if (cause == 8)
        gprintf("case %s: ok result=0x%lx\n", name, mailbox[0]);
    else
        gprintf("case %s: scause=%ld stval=place%+ld\n", name, cause,
                (long)(last_trap.stval - probe_place));
}

static unsigned long inconsistent(int k)
{
    unsigned long lo = region[k] - BELOW, bad = 0;
    csr_set(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    for (unsigned long off = 0; off < SPAN; off += 8)
        bad += *(volatile unsigned long *)(lo + off) != *(volatile unsigned long *)(PA(k, lo) + off);
    csr_clear(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    return bad;
}

static void region_cases(int k)
{
    unsigned long r = region[k];
    switch (k) {
    case 0:
        __builtin_memcpy((void *)PA(0, r + 0x80), pic_triple, (unsigned long)(pic_triple_end - pic_triple));
        fence_i();
        set_page(0, r, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
        csr_set(sstatus, SSTATUS_SUM);
        probe_fetch("r0_s_call_user_code_sum1", r + 0x80);
        csr_clear(sstatus, SSTATUS_SUM);
        mailbox[1] = 11;
        user_case("r0_u_call", u_call, r + 0x80);
        break;
    case 1:
        set_page(1, r + 0x7000, PTE_RW);    /* an S page among the user ones */
        user_case("r1_u_load_s_page", u_load, r + 0x7008);
        probe_load("r1_s_load_sum0", r + 0x10);
        probe_store("r1_s_store_sum0", r + 0x2010, 1);
        csr_set(sstatus, SSTATUS_SUM);
        probe_load("r1_s_load_sum1", r + 0x10);
        probe_store("r1_s_store_sum1", r + 0x2010, 0x5111);
        csr_clear(sstatus, SSTATUS_SUM);
        user_case("r1_u_load_back", u_load, r + 0x2010);
        probe_load("r1_s_load_s_page", r + 0x7008);
        break;
    case 2:
        set_page(2, r + 0x3000, PTE_V | PTE_R | PTE_U | PTE_A);
        mailbox[1] = 0x22;
        user_case("r2_u_store_read_only", u_store, r + 0x3008);
        user_case("r2_u_load_read_only", u_load, r + 0x3008);
        user_case("r2_u_store_rw", u_store, r + 0x4008);
        break;
    case 3:
        mailbox[1] = 0x300;
        user_case("r3_u_amo", u_amo, r + 0xf000);
        user_case("r3_u_load_after_amo", u_load, r + 0xf000);
        break;
    case 4:
        user_case("r4_u_lr_sc", u_lrsc, r + 0x2020);
        user_case("r4_u_lr_sc_again", u_lrsc, r + 0x2020);
        break;
    case 5:
        set_page(5, r + 0x1000, PTE_V | PTE_X | PTE_U | PTE_A);
        csr_set(sstatus, SSTATUS_SUM);
        probe_load("r5_s_load_x_only_sum1_mxr0", r + 0x1018);
        csr_clear(sstatus, SSTATUS_SUM);
        user_case("r5_u_load_x_only_mxr0", u_load, r + 0x1018);
        csr_set(sstatus, SSTATUS_SUM | SSTATUS_MXR);
        probe_load("r5_s_load_x_only_sum1_mxr1", r + 0x1018);
        csr_clear(sstatus, SSTATUS_SUM | SSTATUS_MXR);
        csr_set(sstatus, SSTATUS_MXR);
        user_case("r5_u_load_x_only_mxr1", u_load, r + 0x1020);
        csr_clear(sstatus, SSTATUS_MXR);
        break;
    case 6:
        user_case("r6_u_misaligned_load", u_load, r - 4);
        user_case("r6_u_load_last_page", u_load, r + 0xfff8);
        break;
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_user ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    root = pt_alloc();
    pt_map_identity(root, guest_levels());
    pt_map(root, guest_levels(), UCODE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    pt_map(root, guest_levels(), UCODE + PAGE, (unsigned long)mailbox, PAGE, USER_RW);
    unsigned long satp = satp_of(root, guest_levels(), 0);
    satp_switch(satp);
    gprintf("case sv%d: %s\n", 12 + 9 * guest_levels(), csr_read(satp) == satp ? "as written" : "not supported");
    if (csr_read(satp) != satp)
        return failures;

    struct fp_counts counts;
    fp_counts_read(&counts);
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k)) {
        probe_place = follow_place(k);
        map_region(k);
        sfence_all();
        region_cases(k);
        gprintf("case region%d: inconsistent=%lu\n", k, inconsistent(k));
        /* The faults were the guest's own; the allowed access met the first
         * portion, which moved to an unused place. */
        fp_expect_n("the cases of place", k, &counts, FP_ONE_CONFLICT_TO_UNUSED);
    }
    /* U-mode reads every region once more. */
    unsigned long bad = 0;
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k))
        for (unsigned long off = 0x40; off < 0x10000; off += 0x1000) {
            unsigned long va = region[k] + off;
            if (k == 0 && off < 0x1000)
                continue;                   /* the code page */
            if ((k == 1 && off >> 12 == 7) || (k == 5 && off >> 12 == 1))
                continue;                   /* no user read */
            if (user(u_load, va) != 8 || mailbox[0] != *(volatile unsigned long *)PA(k, va))
                bad++;
        }
    gprintf("case user_reads_all_regions: wrong=%lu\n", bad);
    fp_expect("the user reads of all places", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
