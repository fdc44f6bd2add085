/* Sv39 paging as the guest sees it (privileged spec 4.3-4.4): translation,
 * R/W/X/U permissions, SUM and MXR, reserved PTE encodings, A/D updates,
 * non-canonical addresses, sfence.vma, and an Sv48 root. The guest itself
 * runs from an identity-mapped gigapage; test pages live at 0x40000000. */
#include "../lib/guest.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE(pa, flags) ((((unsigned long)(pa)) >> 12) << 10 | (flags))
#define SATP_SV39 (8UL << 60)
#define SATP_SV48 (9UL << 60)

static unsigned long root39[512] __attribute__((aligned(4096)));
static unsigned long root48[512] __attribute__((aligned(4096)));
static unsigned long l1[512] __attribute__((aligned(4096)));
static unsigned long l0[512] __attribute__((aligned(4096)));
static volatile unsigned long page_a[512] __attribute__((aligned(4096)));
static volatile unsigned long page_b[512] __attribute__((aligned(4096)));
extern char user_page[];

#define VA(n) (0x40000000UL + (n) * 0x1000UL)
enum { RW, RO, INVALID, USER_RW, EXEC_ONLY, NO_AD, USER_CODE, W_ONLY, USER_RO };

static void build_tables(void)
{
    root39[2] = PTE(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root39[1] = PTE(l1, PTE_V);
    l1[0] = PTE(l0, PTE_V);
    l0[RW] = PTE(page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    l0[RO] = PTE(page_a, PTE_V | PTE_R | PTE_A);
    l0[INVALID] = PTE(page_a, PTE_R | PTE_W | PTE_A | PTE_D);
    l0[USER_RW] = PTE(page_a, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    l0[EXEC_ONLY] = PTE(page_a, PTE_V | PTE_X | PTE_A);
    l0[NO_AD] = PTE(page_b, PTE_V | PTE_R | PTE_W);
    l0[USER_CODE] = PTE(user_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    l0[W_ONLY] = PTE(page_a, PTE_V | PTE_W | PTE_A | PTE_D);
    l0[USER_RO] = PTE(page_a, PTE_V | PTE_R | PTE_U | PTE_A);
    /* Sv48: one more level on top, sharing the Sv39 tree below it. */
    root48[0] = PTE(root39, PTE_V);
}

static void report(const char *name, int before)
{
    if (last_trap.count == before)
        gprintf("case %s: no trap\n", name);
    else
        gprintf("case %s: scause=%lu stval=0x%lx\n", name, (unsigned long)last_trap.scause,
                (unsigned long)last_trap.stval);
}

static volatile unsigned long sink;
static void try_load(const char *name, unsigned long va)
{
    int before = last_trap.count;
    sink = 0xdead;
    sink = *(volatile unsigned long *)va;
    if (last_trap.count == before)
        gprintf("case %s: value=0x%lx\n", name, sink);
    else
        report(name, before);
}

static void try_store(const char *name, unsigned long va, unsigned long value)
{
    int before = last_trap.count;
    *(volatile unsigned long *)va = value;
    report(name, before);
}

static void try_fetch(const char *name, unsigned long va)
{
    int before = last_trap.count;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%1)\n"
                     "jalr ra, 0(%0)\n"
                     "1:" :: "r"(va), "r"(&trap_resume_pc) : "t0", "ra", "memory");
    report(name, before);
}

static void s_function(long arg) { sink = arg; }

int guest_main(void)
{
    gprintf("=== begin: paging ===\n");
    build_tables();
    page_a[0] = 0x1122334455667788UL;
    page_b[0] = 0x99aabbccddeeff00UL;

    unsigned long satp39 = SATP_SV39 | ((unsigned long)root39 >> 12);
    __asm__ volatile("sfence.vma" ::: "memory");
    csr_write(satp, satp39);
    __asm__ volatile("sfence.vma" ::: "memory");
    gprintf("case satp_sv39_readback: %s\n", csr_read(satp) == satp39 ? "as written" : "other");

    try_load("load_rw", VA(RW));
    try_store("store_rw", VA(RW) + 8, 0x0102030405060708UL);
    gprintf("case store_rw_seen_physically: 0x%lx\n", page_a[1]);
    try_load("load_ro", VA(RO) + 8);
    try_store("store_ro", VA(RO) + 0x10, 1);
    try_load("load_invalid", VA(INVALID) + 0x18);
    try_store("store_invalid", VA(INVALID) + 0x20, 1);
    try_fetch("fetch_invalid", VA(INVALID) + 0x40);
    try_fetch("fetch_not_executable", VA(RW));
    try_load("load_unmapped_l1", 0x40200000UL);
    try_load("load_unmapped_root", 0x00000000UL + 0x1000);

    /* SUM: S-mode loads and stores to U pages; never fetches. */
    csr_clear(sstatus, SSTATUS_SUM);
    try_load("s_load_user_sum0", VA(USER_RW));
    try_store("s_store_user_sum0", VA(USER_RW) + 0x28, 2);
    csr_set(sstatus, SSTATUS_SUM);
    try_load("s_load_user_sum1", VA(USER_RW));
    try_store("s_store_user_sum1", VA(USER_RW) + 0x28, 2);
    try_fetch("s_fetch_user_sum1", VA(USER_CODE));
    csr_clear(sstatus, SSTATUS_SUM);

    /* MXR: loads from execute-only pages. */
    try_load("load_exec_only_mxr0", VA(EXEC_ONLY));
    csr_set(sstatus, SSTATUS_MXR);
    try_load("load_exec_only_mxr1", VA(EXEC_ONLY));
    csr_clear(sstatus, SSTATUS_MXR);

    /* W without R is reserved: every access faults. */
    try_load("load_w_only", VA(W_ONLY));
    try_store("store_w_only", VA(W_ONLY) + 8, 3);

    /* Non-canonical Sv39 addresses (bits 63:39 not copies of bit 38). */
    try_load("load_noncanonical", 0x0000004000000000UL);
    try_store("store_noncanonical", 0x8000000040000000UL, 4);
    try_fetch("fetch_noncanonical", 0x0000008000000000UL);

    /* A and D clear in the PTE: QEMU sets them as the access happens. */
    try_load("load_no_ad", VA(NO_AD));
    gprintf("case pte_ad_after_load: a=%lu d=%lu\n", (l0[NO_AD] >> 6) & 1, (l0[NO_AD] >> 7) & 1);
    try_store("store_no_ad", VA(NO_AD) + 8, 5);
    gprintf("case pte_ad_after_store: a=%lu d=%lu\n", (l0[NO_AD] >> 6) & 1, (l0[NO_AD] >> 7) & 1);

    /* U-mode: its own code page, its own data, and nothing of S's. */
    page_a[0x30 / 8] = 0xabcdef;
    long cause = run_user((void (*)(long))VA(USER_CODE), (long)VA(USER_RW) + 0x30);
    gprintf("case user_copy: scause=%ld copied=0x%lx\n", cause, page_a[0x38 / 8]);
    cause = run_user((void (*)(long))VA(USER_CODE), (long)VA(RW));
    gprintf("case user_load_s_page: scause=%ld stval=0x%lx\n", cause, (unsigned long)last_trap.stval);
    cause = run_user((void (*)(long))VA(USER_CODE), (long)VA(USER_RO));
    gprintf("case user_store_ro: scause=%ld stval=0x%lx\n", cause, (unsigned long)last_trap.stval);
    cause = run_user(s_function, 1);
    gprintf("case user_fetch_s_page: scause=%ld stval=%s\n", cause,
            last_trap.stval == (uint64_t)s_function ? "s_function" : "other");
    /* SUM does not open S pages to U-mode. */
    csr_set(sstatus, SSTATUS_SUM);
    cause = run_user((void (*)(long))VA(USER_CODE), (long)VA(RW));
    csr_clear(sstatus, SSTATUS_SUM);
    gprintf("case user_load_s_page_sum1: scause=%ld\n", cause);

    /* A PTE made writable is honoured after sfence.vma of that page. */
    l0[RO] |= PTE_W | PTE_D;
    __asm__ volatile("sfence.vma %0" :: "r"(VA(RO)) : "memory");
    try_store("store_after_sfence", VA(RO) + 0x40, 6);
    l0[RO] = PTE(page_a, PTE_V | PTE_R | PTE_A);
    __asm__ volatile("sfence.vma" ::: "memory");
    try_store("store_after_revoke", VA(RO) + 0x40, 7);

    /* Sv48 with the same tree one level down. */
    unsigned long satp48 = SATP_SV48 | ((unsigned long)root48 >> 12);
    csr_write(satp, satp48);
    __asm__ volatile("sfence.vma" ::: "memory");
    unsigned long got48 = csr_read(satp);
    try_load("sv48_load_rw", VA(RW));
    try_load("sv48_load_bit39", 0x0000008040000000UL);
    csr_write(satp, satp39);
    __asm__ volatile("sfence.vma" ::: "memory");
    gprintf("case satp_sv48_readback: %s\n", got48 == satp48 ? "as written" : "other");

    /* ASID: how many bits stick (QEMU: 16). */
    csr_write(satp, satp39 | (0xffffUL << 44));
    unsigned long asid = (csr_read(satp) >> 44) & 0xffff;
    csr_write(satp, satp39);
    __asm__ volatile("sfence.vma" ::: "memory");
    gprintf("case satp_asid_ones: 0x%lx\n", asid);

    csr_write(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
    gprintf("case satp_bare_again: 0x%lx\n", csr_read(satp));
    return failures;
}
