/* Issue 15, several vCPUs: one hart rewrites code that the other runs, as
 * the unprivileged spec's Zifencei chapter says it must be done: the
 * writing hart stores the new instructions, orders them with a data fence
 * before it tells the other hart, and the other hart executes fence.i
 * before it runs them ("FENCE.I does not ensure that other RISC-V harts'
 * instruction fetches will observe the local hart's stores ... the writing
 * hart also has to execute a data FENCE before requesting that all remote
 * RISC-V harts execute a FENCE.I"). Under lodger the page runs from a
 * patched copy whose sites are ebreaks (learned again and again between
 * rewrites): each rewrite must drop the copy and its sites on both vCPUs,
 * so that after its fence.i the other hart runs exactly what was written,
 * including a rewritten patched site (csrr t0, sepc <-> csrr t0,
 * sscratch), never the copy's ebreak nor the old site's instruction.
 * Before its fence.i, a hart may run old or new code, each of the two
 * instructions either: those runs only have to give a value that some mix
 * gives. No trap reaches the guest. Both bare and paged (Sv39 identity
 * gigapage). */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern unsigned long xmod_fn(void);
extern uint32_t xmod_site[], xmod_value[];
void second_entry(void);

#define GENERATIONS 60
#define CALLS 150                   /* per generation: lodger learns a site in 64 traps */
#define SCRATCH 1000UL              /* each hart's sscratch */
#define SEPC 2000UL                 /* each hart's sepc */

static volatile unsigned long gen, ack, phase, satp_shared;
static volatile unsigned long second_wrong, second_odd, second_seen;

/* li a0, k (addi a0, zero, k) */
static uint32_t li_a0(unsigned long k) { return (uint32_t)(k << 20) | 0x00000513u; }
/* csrr t0, csr (csrrs t0, csr, zero) */
static uint32_t csrr_t0(unsigned csr) { return (uint32_t)csr << 20 | 0x000022f3u; }
#define CSR_SSCRATCH 0x140
#define CSR_SEPC 0x141

/* What xmod_fn returns in generation k (0: as assembled). */
static unsigned long expected(unsigned long k)
{
    return k + (k % 2 ? SCRATCH : SEPC);
}

static void set_csrs(void)
{
    csr_write(sscratch, SCRATCH);
    csr_write(sepc, SEPC);
}

/* A value some mix of generations k and k+1's two instructions gives. */
static bool mixed(unsigned long v, unsigned long k)
{
    return v == k + SCRATCH || v == k + SEPC || v == k + 1 + SCRATCH || v == k + 1 + SEPC;
}

/* The other hart: runs xmod_fn; after each generation it sees, fence.i,
 * then exactly that generation's value. */
static void follow(unsigned long seen, unsigned long until)
{
    while (seen < until) {
        unsigned long now = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
        if (now != seen) {
            __asm__ volatile("fence.i" ::: "memory");
            seen = now;
            if (xmod_fn() != expected(now))
                second_wrong++;
            second_seen++;
            for (int i = 0; i < CALLS; i++) {
                unsigned long v = xmod_fn();
                /* The next generation may be written meanwhile: old or new. */
                if (!mixed(v, now))
                    second_odd++;
            }
            __atomic_store_n(&ack, now, __ATOMIC_RELEASE);
        }
    }
}

void second_main(unsigned long hartid, unsigned long opaque);
void second_main(unsigned long hartid, unsigned long opaque)
{
    (void)hartid;
    (void)opaque;
    set_csrs();
    follow(0, GENERATIONS);                 /* bare */
    while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 1)
        ;
    satp_switch(satp_shared);
    __atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
    follow(GENERATIONS, 2 * GENERATIONS);   /* paged */
    satp_switch(0);
    __atomic_store_n(&phase, 3, __ATOMIC_RELEASE);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

/* The boot hart: generations first..last, each written while the other
 * hart runs the code, published after a data fence, acknowledged. */
static void rewrite(const char *how, unsigned long first, unsigned long last)
{
    unsigned long own_wrong = 0, before = second_wrong, seen_before = second_seen;
    for (unsigned long k = first; k <= last; k++) {
        while (__atomic_load_n(&ack, __ATOMIC_ACQUIRE) != k - 1)
            ;
        *(volatile uint32_t *)xmod_site = csrr_t0(k % 2 ? CSR_SSCRATCH : CSR_SEPC);
        *(volatile uint32_t *)xmod_value = li_a0(k);
        __asm__ volatile("fence w, w" ::: "memory");
        __atomic_store_n(&gen, k, __ATOMIC_RELEASE);
        __asm__ volatile("fence.i" ::: "memory");
        if (xmod_fn() != expected(k))
            own_wrong++;
    }
    while (__atomic_load_n(&ack, __ATOMIC_ACQUIRE) != last)
        ;
    gprintf("case %s: %lu generations; other hart after fence.i: %lu seen, %lu wrong; "
            "writing hart: %lu wrong\n", how, last - first + 1, second_seen - seen_before,
            second_wrong - before, own_wrong);
    CHECK(second_wrong == before && own_wrong == 0 && second_seen - seen_before == last - first + 1);
}

int guest_main(void)
{
    gprintf("=== begin: patch_smp ===\n");
    set_csrs();
    gprintf("case as assembled: %lu\n", xmod_fn());
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    int me = s0.error == 0 && s0.value == 0 ? 0 : 1;
    unsigned long *root = pt_alloc();
    int levels = guest_levels();
    if (levels > 3)
        levels = 3;
    pt_map_identity(root, levels);
    satp_shared = satp_of(root, levels, 0);
    struct sbiret st = sbi_call(SBI_EXT_HSM, 0, (unsigned long)(1 - me), (unsigned long)second_entry, 0, 0);
    gprintf("case start_second: error=%ld\n", st.error);
    if (st.error)
        return failures + 1;
    rewrite("bare", 1, GENERATIONS);
    __atomic_store_n(&phase, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 2)
        ;
    satp_switch(satp_shared);
    rewrite("paged", GENERATIONS + 1, 2 * GENERATIONS);
    satp_switch(0);
    while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 3)
        ;
    gprintf("case in between: %lu runs gave a value no mix of old and new gives\n", second_odd);
    CHECK(second_odd == 0);
    gprintf("case traps: %d\n", last_trap.count);
    CHECK(last_trap.count == 0);
    return failures;
}
