/* The first portion's forced place (run-options: --first-portion
 * 0x100000000) is somewhere the guest never maps: every access the guest
 * makes there must get the guest's own fault, with the scause and stval it
 * gets natively, and lodger must not move the first portion. In Bare mode
 * 4 GiB is no memory (access faults); with Sv39, Sv48 and Sv57 the guest
 * maps nothing there (page faults, from S and from U), and then maps it to
 * guest-physical addresses where there is nothing (access faults through
 * the translation). Under lodger (lib/counters.h): no conflict, no
 * relocation, and the first portion is at F (counter 54) throughout. */
#include <stdio.h>
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/probe.h"
#include "../lib/counters.h"

#define F 0x100000000UL             /* = --first-portion in run-options */
#define NOWHERE 0x200000000UL       /* guest-physical: no RAM, no device */
#define UCODE 0x40000000UL          /* where the user code page is mapped */
#define FP_SIZE 0x10000UL

extern char user_page[], user_load[], user_store[], user_fetch[], user_amo[];

/* "prefix_what", in one of a few rotating buffers. */
static const char *nm(const char *prefix, const char *what)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, 64, "%s_%s", prefix, what);
    return b;
}

/* S-mode accesses at a few pages of the first portion. */
static void probe_s(const char *from)
{
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "%s", from);
    probe_load(nm(prefix, "load"), F);
    probe_store(nm(prefix, "store"), F + 0x1008, 1);
    probe_load(nm(prefix, "load_frame_page"), F + 0x2010);
    probe_amo(nm(prefix, "amo"), F + 0x2018);
    probe_lr(nm(prefix, "lr"), F + 0x8000);
    probe_store(nm(prefix, "store_last_word"), F + FP_SIZE - 8, 2);
    probe_fetch(nm(prefix, "fetch"), F);
    probe_fetch(nm(prefix, "fetch_frame_page"), F + 0x2000);
}

static void user(const char *what, char *routine, unsigned long arg)
{
    long cause = run_user((void (*)(long))(UCODE + (routine - user_page)), (long)arg);
    gprintf("case %s: scause=%ld stval=0x%lx\n", what, cause, (unsigned long)last_trap.stval);
}

static void probe_u(const char *from)
{
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "%s", from);
    user(nm(prefix, "user_load"), user_load, F + 0x10);
    user(nm(prefix, "user_store"), user_store, F + 0x2008);
    user(nm(prefix, "user_amo"), user_amo, F + 0xf000);
    user(nm(prefix, "user_fetch"), user_fetch, F + 0x4);
}

int guest_main(void)
{
    gprintf("=== begin: fp_unmapped ===\n");
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long place = F, now = F;
    first_portion_place(&place);
    CHECK(place == F);              /* --first-portion (under lodger) */
    probe_s("bare");
    fp_expect("the Bare accesses", &counts, FP_NOTHING);

    static const int modes[] = { 3, 4, 5 };
    static const char *const mode_names[] = { "sv39", "sv48", "sv57" };
    for (int m = 0; m < 3 && modes[m] <= guest_levels(); m++) {
        int levels = modes[m];
        unsigned long *root = pt_alloc();
        pt_map_identity(root, levels);
        pt_map(root, levels, UCODE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
        satp_switch(satp_of(root, levels, (unsigned long)m + 1));
        gprintf("case %s_satp: %s\n", mode_names[m],
                csr_read(satp) == satp_of(root, levels, (unsigned long)m + 1) ? "as written" : "other");
        probe_s(mode_names[m]);
        probe_u(mode_names[m]);

        /* The tables down to the leaf level exist; the leaves are invalid
         * (R, W, X, U set but not V). */
        for (unsigned long off = 0; off < FP_SIZE; off += PAGE)
            *pt_slot(root, levels, F + off, 0) = PTE(0x80400000UL + off, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
        sfence_all();
        probe_s(nm(mode_names[m], "invalid_leaf"));
        probe_u(nm(mode_names[m], "invalid_leaf"));

        /* Valid leaves to a guest-physical address with nothing there. */
        for (unsigned long off = 0; off < FP_SIZE; off += PAGE)
            *pt_slot(root, levels, F + off, 0) = PTE(NOWHERE + off, PTE_RWX | PTE_U);
        sfence_all();
        csr_set(sstatus, SSTATUS_SUM);
        probe_load(nm(mode_names[m], "nowhere_load"), F + 0x30);
        probe_store(nm(mode_names[m], "nowhere_store"), F + 0x3008, 3);
        probe_amo(nm(mode_names[m], "nowhere_amo"), F + 0x2000);
        csr_clear(sstatus, SSTATUS_SUM);
        probe_u(nm(mode_names[m], "nowhere"));

        /* The pages on either side are the guest's: usable, and a
         * misaligned access from one into the first portion's place faults
         * as natively. */
        pt_map(root, levels, F - PAGE, 0x80400000UL, PAGE, PTE_RW);
        pt_map(root, levels, F + FP_SIZE, 0x80401000UL, PAGE, PTE_RW);
        for (unsigned long off = 0; off < FP_SIZE; off += PAGE)
            *pt_slot(root, levels, F + off, 0) = 0;
        sfence_all();
        *(volatile unsigned long *)(F - 8) = 0x1111UL * (unsigned long)levels;
        *(volatile unsigned long *)(F + FP_SIZE) = 0x2222UL * (unsigned long)levels;
        gprintf("case %s_neighbours: below=0x%lx above=0x%lx\n", mode_names[m],
                *(volatile unsigned long *)(F - 8), *(volatile unsigned long *)(F + FP_SIZE));
        probe_load(nm(mode_names[m], "straddle_load"), F - 4);
        probe_store(nm(mode_names[m], "straddle_store"), F - 2, 4);
        probe_load(nm(mode_names[m], "straddle_load_from_above"), F + FP_SIZE - 4);
        gprintf("case %s_below_after_straddle: 0x%lx\n", mode_names[m],
                *(volatile unsigned long *)(F - 8));
        satp_switch(0);
        fp_expect(mode_names[m], &counts, FP_NOTHING);
    }
    probe_s("bare_again");
    fp_expect("the Bare accesses again", &counts, FP_NOTHING);
    first_portion_place(&now);
    CHECK(now == F);                /* never moved */
    return failures;
}
