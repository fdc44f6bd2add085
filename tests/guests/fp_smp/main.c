/* Two harts and the first portion (run-options: --vcpus 2 --smp 2
 * --first-portion 0x40000000). Both harts run on one Sv57 table that maps,
 * one after the other, the forced place and the places lodger relocates
 * its first portion to (see fp_chase); as each place is mapped, both harts
 * hammer it at once - each its own words, and an AMO counter they share -
 * so that under lodger whichever touches it first makes the conflict and
 * the other is held out while the first portion moves (a rendezvous), and
 * then both keep going. Nothing may be lost: every hart reads back what it
 * wrote, and each shared counter ends at exactly 2 x the iterations. The
 * boot hart may be either hart natively (OpenSBI's lottery): nothing
 * printed depends on which. Under lodger the places are where its first
 * portion is (counter 54, shared/fp_places.h), and each must see exactly
 * one conflict and one relocation to an unused region (lib/counters.h):
 * the hart that loses the race must not make a second one. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 64
#include "../lib/pagetable.h"

#include "../shared/fp_places.h"
#define REGION 0x10000UL
#define DATA 0x80400000UL
#define PA(k) (DATA + (unsigned long)(k) * REGION)
#define ITER 4000UL
#define COUNTER 0x800UL             /* shared AMO counter, in every page */
#define OWN(h) (0x100UL + (unsigned long)(h) * 0x40)   /* each hart's words */

extern char guest_end[];
void second_entry(void);

static unsigned long *root;
static volatile unsigned long satp_shared;
static volatile int phase;                  /* regions mapped so far */
static volatile unsigned long arrived[NREGIONS + 1];
static volatile unsigned long bad[2][NREGIONS], done_second;

static void barrier(int k)
{
    __atomic_fetch_add(&arrived[k], 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&arrived[k], __ATOMIC_SEQ_CST) < 2)
        ;
}

/* Hart slot h (0: boot, 1: second) hammers region k. */
static void hammer(int h, int k)
{
    unsigned long r = region[k], errors = 0;
    for (unsigned long i = 0; i < ITER; i++) {
        unsigned long page = (i * 7 + (unsigned long)h * 3) & 15;
        volatile unsigned long *own = (volatile unsigned long *)(r + page * PAGE + OWN(h));
        unsigned long v = (unsigned long)k << 48 | (unsigned long)h << 40 | i;
        own[i & 7] = v;
        if (own[i & 7] != v)
            errors++;
        __atomic_fetch_add((unsigned long *)(r + page * PAGE + COUNTER), 1UL, __ATOMIC_RELAXED);
    }
    bad[h][k] = errors;
}

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    satp_switch(satp_shared);
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k)) {
        while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) <= k)
            ;
        sfence_all();               /* the boot hart has just mapped region k */
        barrier(k);
        hammer(1, k);
    }
    barrier(NREGIONS);
    satp_switch(0);
    done_second = 1;
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

int guest_main(void)
{
    gprintf("=== begin: fp_smp ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    /* Which hart am I? The other one is stopped. */
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0), s1 = sbi_call(SBI_EXT_HSM, 2, 1, 0, 0, 0);
    int me = s0.error == 0 && s0.value == 0 ? 0 : 1;
    gprintf("case harts: one started, one stopped: %s\n",
            !s0.error && !s1.error && (s0.value == 0) != (s1.value == 0) ? "yes" : "no");

    for (unsigned long off = 0; off < NREGIONS * REGION; off += 8)
        *(volatile unsigned long *)(DATA + off) = 0;
    root = pt_alloc();
    pt_map_identity(root, guest_levels());
    satp_shared = satp_of(root, guest_levels(), 0);
    satp_switch(satp_shared);
    gprintf("case sv%d: %s\n", 12 + 9 * guest_levels(), csr_read(satp) == satp_shared ? "as written" : "not supported");

    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)(1 - me), (unsigned long)second_entry, 0, 0);
    gprintf("case start_second: error=%ld\n", st.error);
    if (st.error)
        return failures + 1;

    struct fp_counts counts;
    fp_counts_read(&counts);
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k)) {
        follow_place(k);            /* region[k]: published by the release below */
        pt_map(root, guest_levels(), region[k], PA(k), REGION, PTE_RW);
        sfence_all();
        __atomic_store_n(&phase, k + 1, __ATOMIC_RELEASE);
        barrier(k);
        hammer(0, k);
        /* This hart has touched place k: whichever hart came first made
         * the one conflict, the other waited while the first portion moved. */
        fp_expect_n("hammering place", k, &counts, FP_ONE_CONFLICT_TO_UNUSED);
    }
    barrier(NREGIONS);
    satp_switch(0);
    while (!done_second)
        ;

    for (int k = 0; k < NREGIONS; k++) if (region_fits(k)) {
        unsigned long total = 0, last_ok = 0;
        for (unsigned long page = 0; page < 16; page++) {
            total += *(volatile unsigned long *)(PA(k) + page * PAGE + COUNTER);
            for (int h = 0; h < 2; h++)
                for (unsigned long w = 0; w < 8; w++) {
                    unsigned long v = *(volatile unsigned long *)(PA(k) + page * PAGE + OWN(h) + w * 8);
                    last_ok += v == 0 || (v >> 48 == (unsigned long)k && (v >> 40 & 0xff) == (unsigned long)h);
                }
        }
        gprintf("case region%d: counter=%lu (want %lu) readback_errors=%lu,%lu own_words_ok=%lu/256\n",
                k, total, 2 * ITER, bad[0][k], bad[1][k], last_ok);
    }
    return failures;
}
