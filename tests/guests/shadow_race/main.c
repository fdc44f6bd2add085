/* A fill must not outlive the fence that removed its entry (issue 12.2).
 * Two harts (run-options: --vcpus 2 --smp 2) on one Sv39 table. The
 * faulting hart keeps taking page faults on the NPAGES pages at TVA: it
 * loads from each, drops its own translations (sfence.vma) and goes round
 * again, so that under lodger each load makes a shadow fill (walk the
 * guest's table, then install). Meanwhile the boot hart, after a random
 * delay, unmaps the pages in the table and does an SBI remote sfence.vma
 * for them on the faulting hart. Once that fence has returned (the boot
 * hart says so), the faulting hart loads from each page once more, without
 * a fence of its own: the translations are gone, so each load must take a
 * load page fault (privileged
 * spec 4.2.1; SBI 8.2: the remote harts execute the sfence.vma). A fill
 * that walked the table before the unmap and installed after the fence
 * would let that load through: "stale". The boot hart may be either hart
 * natively (OpenSBI's lottery): nothing printed depends on which. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#define ITERATIONS 1200UL
#define TVA 0x40000000UL            /* the pages the harts race on */
#define NPAGES 16                   /* lodger flushes up to 16 pages one by one */
#define DATA 0x80600000UL           /* their physical pages */
#define CAUSE_LOAD_PAGE_FAULT 13

void race_second_entry(void);
long race_probe(unsigned long va);
void race_second_main(unsigned long hartid, unsigned long opaque);

static unsigned long *root;
static volatile unsigned long satp_shared;
/* The boot hart's word: 2i+1 while iteration i has TVA mapped, 2i+2 once
 * the remote fence of iteration i has returned. */
static volatile unsigned long phase;
static volatile unsigned long done_iteration;   /* the faulting hart's verdicts so far */
static volatile unsigned long loaded;           /* iterations in which a load went through */
static volatile unsigned long stale, wrong_cause, loads_while_mapped;

void race_second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    satp_switch(satp_shared);
    for (unsigned long i = 0; i < ITERATIONS; i++) {
        while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) < 2 * i + 1)
            ;
        /* Fault on TVA until the boot hart's fence has returned. */
        for (;;) {
            for (unsigned long k = 0; k < NPAGES; k++)
                if (race_probe(TVA + k * PAGE) == 0) {
                    loads_while_mapped++;
                    __atomic_store_n(&loaded, i + 1, __ATOMIC_RELEASE);
                }
            /* Its own fence would also drop a translation the boot hart's
             * fence should have: look before fencing. */
            if (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) == 2 * i + 2)
                break;
            sfence_all();
        }
        for (unsigned long k = 0; k < NPAGES; k++) {
            long cause = race_probe(TVA + k * PAGE);
            if (cause == 0)
                stale++;
            else if (cause != CAUSE_LOAD_PAGE_FAULT)
                wrong_cause++;
        }
        __atomic_store_n(&done_iteration, i + 1, __ATOMIC_RELEASE);
    }
    satp_switch(0);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

int guest_main(void)
{
    gprintf("=== begin: shadow_race ===\n");
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0), s1 = sbi_call(SBI_EXT_HSM, 2, 1, 0, 0, 0);
    int me = s0.error == 0 && s0.value == 0 ? 0 : 1, other = 1 - me;
    gprintf("case harts: one started, one stopped: %s\n",
            !s0.error && !s1.error && (s0.value == 0) != (s1.value == 0) ? "yes" : "no");

    root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, TVA, DATA, NPAGES * PAGE, PTE_RW);
    unsigned long *leaf = pt_slot(root, 3, TVA, 0);     /* NPAGES leaves in a row */
    for (unsigned long k = 0; k < NPAGES; k++)
        leaf[k] = 0;
    satp_shared = satp_of(root, 3, 0);
    satp_switch(satp_shared);
    gprintf("case sv39: %s\n", csr_read(satp) == satp_shared ? "as written" : "not supported");

    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)other, (unsigned long)race_second_entry,
                                0, 0);
    gprintf("case start_second: error=%ld\n", st.error);
    if (st.error)
        return failures + 1;

    unsigned long seed = 12345, fence_errors = 0;
    for (unsigned long i = 0; i < ITERATIONS; i++) {
        for (unsigned long k = 0; k < NPAGES; k++)
            leaf[k] = PTE(DATA + k * PAGE, PTE_RW);
        sfence_all();
        __atomic_store_n(&phase, 2 * i + 1, __ATOMIC_RELEASE);
        /* Once the faulting hart is going round (one load went through),
         * let it go on a random while, so that the unmap lands anywhere in
         * its fence-fault-walk-install cycle. */
        while (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE) != i + 1)
            ;
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        for (unsigned long spin = (seed >> 33) & 8191; spin; spin--)
            __asm__ volatile("nop");
        for (unsigned long k = 0; k < NPAGES; k++)
            __atomic_store_n(&leaf[k], 0UL, __ATOMIC_RELEASE);
        struct sbiret r = sbi_call(SBI_EXT_RFENCE, 1, 1UL << other, 0, TVA, NPAGES * PAGE);
        fence_errors += r.error != 0;
        __atomic_store_n(&phase, 2 * i + 2, __ATOMIC_RELEASE);
        while (__atomic_load_n(&done_iteration, __ATOMIC_ACQUIRE) != i + 1)
            ;
    }
    satp_switch(0);

    gprintf("case iterations: %lu\n", ITERATIONS);
    gprintf("case remote fence errors: %lu\n", fence_errors);
    gprintf("case loads after the fence that went through (stale): %lu\n", stale);
    gprintf("case loads after the fence with another cause: %lu\n", wrong_cause);
    /* That the race was run at all: the faulting hart loaded from TVA while
     * it was mapped, in every iteration (how often differs between runs). */
    gprintf("case faulting hart loaded while mapped: %s\n",
            loads_while_mapped >= ITERATIONS ? "yes" : "no");
    CHECK(stale == 0);
    CHECK(wrong_cause == 0);
    return failures;
}
