/* Three harts (run-options: --vcpus 3 --smp 2): under lodger two of the
 * vCPUs share a host hart and run in turn. Each hart fills its FP registers
 * with its own values and spins across many time slices, checking they stay
 * its own (lodger swaps FP registers when it switches vCPUs); then a token
 * goes round the three harts, each waiting for it in WFI and woken by an
 * IPI (a vCPU in WFI gives its hart away; an IPI to a vCPU off the hardware
 * wakes the hart that holds it). The boot hart may be any of the three
 * natively (OpenSBI's lottery): nothing printed depends on which. */
#include "../lib/guest.h"

#define HARTS 3
#define SPIN_MS 60              /* several 10 ms slices */
#define ROUNDS 4

void other_entry(void);
void other_main(unsigned long hartid, unsigned long slot);
void fp_fill(unsigned long base);
unsigned long fp_check(unsigned long base);

static volatile unsigned long hartid_of[HARTS], fcsr_ok[HARTS], fp_ok[HARTS];
static volatile unsigned long token[HARTS], passes[HARTS], arrived, finished;
static unsigned long timebase_hz = 10000000;    /* QEMU virt */

static void barrier(unsigned long *count, unsigned long target)
{
    __atomic_fetch_add(count, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(count, __ATOMIC_SEQ_CST) < target)
        ;
}

/* FP registers and fcsr through time slices: every check must find them. */
static void fp_through_slices(unsigned slot)
{
    unsigned long base = 0x1000000000000UL * (slot + 1) + 0x100;
    csr_set(sstatus, SSTATUS_FS);
    fp_fill(base);
    unsigned long frm = slot + 1, bad_fcsr = 0, good = 0, checks = 0;
    __asm__ volatile("fsrm %0" :: "r"(frm));
    unsigned long end = csr_read(time) + timebase_hz / 1000 * SPIN_MS;
    while (csr_read(time) < end) {
        for (volatile int i = 0; i < 2000; i++)
            ;
        unsigned long now_frm;
        __asm__ volatile("frrm %0" : "=r"(now_frm));
        bad_fcsr += now_frm != frm;
        good += fp_check(base) == 32;
        checks++;
    }
    fp_ok[slot] = good == checks && checks > 0;
    fcsr_ok[slot] = bad_fcsr == 0;
}

static void send_ipi(unsigned long hartid)
{
    sbi_call(SBI_EXT_IPI, 0, 1UL << hartid, 0, 0, 0);
}

/* The token goes 0 -> 1 -> 2 -> 0 ... ROUNDS times; each hart waits in WFI. */
static void token_ring(unsigned slot)
{
    csr_write(sie, SIP_SSIP);           /* SIE stays 0: WFI wakes, nothing is taken */
    for (int r = 0; r < ROUNDS; r++) {
        if (!(slot == 0 && r == 0)) {
            while (!__atomic_load_n(&token[slot], __ATOMIC_ACQUIRE)) {
                __asm__ volatile("wfi");
                csr_clear(sip, SIP_SSIP);
            }
        }
        __atomic_store_n(&token[slot], 0, __ATOMIC_RELEASE);
        passes[slot]++;
        unsigned next = (slot + 1) % HARTS;
        if (slot == HARTS - 1 && r == ROUNDS - 1)
            break;      /* the last pass */
        __atomic_store_n(&token[next], 1, __ATOMIC_RELEASE);
        send_ipi(hartid_of[next]);
    }
    csr_write(sie, 0);
    csr_clear(sip, SIP_SSIP);
}

static void run(unsigned slot)
{
    barrier((unsigned long *)&arrived, HARTS);
    fp_through_slices(slot);
    token_ring(slot);
}

void other_main(unsigned long hartid, unsigned long slot)
{
    hartid_of[slot] = hartid;
    run((unsigned)slot);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0);   /* hart_stop */
}

int guest_main(void)
{
    gprintf("=== begin: sched ===\n");
    unsigned long me = HARTS, stopped = 0;
    for (unsigned long h = 0; h < HARTS; h++) {
        struct sbiret s = sbi_call(SBI_EXT_HSM, 2, h, 0, 0, 0);
        if (!s.error && s.value == 0)
            me = h;
        stopped += !s.error && s.value == 1;
    }
    gprintf("case harts: one started, two stopped: %s\n", me < HARTS && stopped == 2 ? "yes" : "no");
    if (me == HARTS)
        return failures + 1;
    hartid_of[0] = me;
    unsigned slot = 1;
    int start_errors = 0;
    for (unsigned long h = 0; h < HARTS; h++)
        if (h != me) {
            hartid_of[slot] = h;
            start_errors += sbi_call(SBI_EXT_HSM, 0, h, (unsigned long)other_entry, slot, 0).error != 0;
            slot++;
        }
    gprintf("case start_others: errors=%d\n", start_errors);
    if (start_errors)
        return failures + 1;
    run(0);
    while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < HARTS - 1)
        ;
    for (unsigned s = 0; s < HARTS; s++) {
        CHECK(fp_ok[s] && fcsr_ok[s] && passes[s] == ROUNDS);
        gprintf("case slot%u: fp registers kept %s, rounding mode kept %s, token passes %lu\n", s,
                fp_ok[s] ? "yes" : "no", fcsr_ok[s] ? "yes" : "no", passes[s]);
    }
    return failures;
}
