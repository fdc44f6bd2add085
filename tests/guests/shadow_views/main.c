/* Shadow lifetime under churn (issue 12): two harts (run-options: --vcpus
 * 2 --smp 2), each cycling through its own 12 address spaces - 24 in all,
 * each seen through two views (SUM off and on), three times what lodger's
 * shadow cache holds (16 per VM), so every satp switch of one hart makes
 * lodger release some shadow while the other hart runs. In each space a
 * hart toggles sstatus.SUM several times and reads and writes the space's
 * user page (U=1) with SUM set: under lodger each toggle is a fast-path
 * satp switch between the two views' shadows, loaded from the vCPU's
 * frame. A shadow released while a hart may still switch to it (freed,
 * rebuilt for another space) would show as a wrong word, a fault, or
 * lodger stopping. Every word read is checked against the space's tag and
 * the hart's count; the pages are checked physically at the end. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 160
#include "../lib/pagetable.h"

#define NSPACES 24                  /* 12 per hart */
#define ROUNDS 40
#define TOGGLES 4
#define UVA 0x40000000UL            /* the user page, in every space */
#define DATA 0x80800000UL           /* space i's page: DATA + i * PAGE */

void second_entry(void);

static unsigned long satps[NSPACES];
static volatile unsigned long started, done_second;
static volatile unsigned long reads[2], bad[2], traps_seen[2];

static unsigned long tag(int i)
{
    return 0x5a00000000000000UL | (unsigned long)i << 32;
}

/* Hart slot h: spaces h, h + 2, h + 4, ... */
static void churn(int h)
{
    for (int r = 0; r < ROUNDS; r++)
        for (int n = 0; n < NSPACES / 2; n++) {
            int i = 2 * ((n * 5 + r) % (NSPACES / 2)) + h;
            satp_switch(satps[i]);
            for (int t = 0; t < TOGGLES; t++) {
                csr_set(sstatus, SSTATUS_SUM);
                volatile unsigned long *w = (volatile unsigned long *)UVA;
                unsigned long v = w[0];
                reads[h]++;
                if ((v & ~0xffffffffUL) != tag(i))
                    bad[h]++;
                w[0] = v + 1;       /* the low half counts this space's visits */
                w[1 + t] = v;
                csr_clear(sstatus, SSTATUS_SUM);
                /* The other view again, with the tag read through a kernel
                 * mapping of the same page as a cross-check. */
                if (*(volatile unsigned long *)(DATA + (unsigned long)i * PAGE) != v + 1)
                    bad[h]++;
            }
        }
    satp_switch(0);
}

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    churn(1);
    __atomic_store_n(&done_second, 1, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

int guest_main(void)
{
    gprintf("=== begin: shadow_views ===\n");
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0), s1 = sbi_call(SBI_EXT_HSM, 2, 1, 0, 0, 0);
    int me = s0.error == 0 && s0.value == 0 ? 0 : 1;
    gprintf("case harts: one started, one stopped: %s\n",
            !s0.error && !s1.error && (s0.value == 0) != (s1.value == 0) ? "yes" : "no");
    /* Every table is built before the second hart starts (pt_alloc is not
     * shared-safe). */
    for (int i = 0; i < NSPACES; i++) {
        unsigned long *root = pt_alloc();
        pt_map_identity(root, 3);
        pt_map(root, 3, UVA, DATA + (unsigned long)i * PAGE, PAGE, PTE_RW | PTE_U);
        satps[i] = satp_of(root, 3, (unsigned long)i + 1);
        volatile unsigned long *p = (volatile unsigned long *)(DATA + (unsigned long)i * PAGE);
        p[0] = tag(i);
        for (int t = 0; t < TOGGLES; t++)
            p[1 + t] = 0;
    }
    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)(1 - me), (unsigned long)second_entry, 0, 0);
    gprintf("case start_second: error=%ld\n", st.error);
    if (st.error)
        return failures + 1;
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        ;
    churn(0);
    while (!__atomic_load_n(&done_second, __ATOMIC_ACQUIRE))
        ;
    gprintf("case hart0: reads=%lu bad=%lu\n", reads[0], bad[0]);
    gprintf("case hart1: reads=%lu bad=%lu\n", reads[1], bad[1]);
    CHECK(bad[0] == 0 && bad[1] == 0);
    CHECK(reads[0] == ROUNDS * (NSPACES / 2) * TOGGLES && reads[1] == reads[0]);
    /* Physically: each space was visited ROUNDS * TOGGLES times. */
    unsigned long wrong = 0;
    for (int i = 0; i < NSPACES; i++) {
        unsigned long v = *(volatile unsigned long *)(DATA + (unsigned long)i * PAGE);
        wrong += v != tag(i) + ROUNDS * TOGGLES;
    }
    gprintf("case pages: wrong=%lu\n", wrong);
    CHECK(wrong == 0);
    return failures;
}
