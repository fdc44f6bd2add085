/* A hostile VM (issue 13, "Isolation, shown by tests"): it tries every
 * path a guest has to memory that is not its own -- another VM's RAM or
 * lodger's, which lie at host-physical addresses just past this VM's RAM
 * and elsewhere in the host's RAM -- and checks each gets the answer the
 * architecture or the SBI spec gives: an access fault, or an SBI error.
 *
 *  1. bare: loads, stores and fetches (S and U mode, MMU off) at physical
 *     addresses past its RAM (where other VMs' and lodger's RAM lie in
 *     host terms) and at MMIO addresses where its board has no device
 *     (the host's CLINT among them);
 *  2. paged (Sv39): its own page tables naming those addresses with 4 KiB,
 *     2 MiB and 1 GiB leaves (a gigapage that holds its RAM and the
 *     memory after it), and a table pointer to where nothing answers;
 *  3. SBI: DBCN buffers outside its RAM, straddling its end, of huge or
 *     wrapping lengths, base_addr_hi set; HSM hart_start/hart_status of
 *     hart ids it does not have (other VMs' vCPU numbers, the host's
 *     harts); IPI and RFENCE hart masks and bases naming harts it lacks;
 *     RFENCE ranges that wrap or cover everything; legacy calls whose
 *     hart-mask pointer points outside its RAM.
 * Positive controls (its own RAM, its own hart) show the calls work at all.
 *
 * The guest has 64 MiB (run-options), natively the same (lodger-run gives
 * QEMU at least 64 MiB): its RAM ends at 0x84000000 in both runs. Natively
 * (QEMU virt, OpenSBI 1.1) the addresses it touches are ones where QEMU
 * has nothing either; what QEMU virt has and lodger's board lacks (virtio,
 * RTC, flash, PCIe, boot ROM) is never touched. Where OpenSBI 1.1 answers
 * otherwise than the SBI spec and lodger, the case names the difference
 * and prints the same verdict for both (allowed natively only).
 *
 * vm.tag=NAME on its command line: each line starts "[NAME] " (one SBI
 * console write a line), as vm_mem's, for runs beside other VMs;
 * vm.passes=N makes it try everything N times (so that it keeps at it
 * while a slower VM beside it runs): the passes after the first print
 * only FAIL lines, and it checks their answers are the first pass's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/guest.h"
#define TAGGED_OWN_SAY
#include "../shared/tagged.h"
#include "../lib/counters.h"
#define PT_POOL_PAGES 16
#include "../lib/pagetable.h"

#define RAM_BASE 0x80000000UL
#define RAM_END 0x84000000UL            /* 64 MiB (run-options) */
#define SBI_EXT_DBCN 0x4442434EUL
#define SBI_ERR_INVALID_ADDRESS -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_LEGACY_REMOTE_FENCE_I 5
#define SBI_LEGACY_REMOTE_SFENCE_VMA 6

/* Passes after the first (vm.passes=N) print nothing but their verdict:
 * what they would print is hashed and compared with the first's. */
static int quiet;
static uint64_t said;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = tag_vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    for (const char *c = line; *c; c++)
        said = (said ^ (unsigned char)*c) * 0x100000001b3UL;
    if (!quiet || !strncmp(line + n, "FAIL", 4))
        putstr(line);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    say("FAIL %s\n", line);
    failures++;
}

/* ---- Accesses: each reports its trap (or value) and is checked. ---- */

static volatile unsigned long sink;

/* The outcome of the last probe: NO_TRAP or scause; stval. */
#define NO_TRAP (~0UL)
static unsigned long got_cause, got_tval;

static void took(int before)
{
    got_cause = last_trap.count == before ? NO_TRAP : last_trap.scause;
    got_tval = last_trap.count == before ? 0 : last_trap.stval;
}

static void s_load(unsigned long va)
{
    int before = last_trap.count;
    unsigned long v = 0;
    __asm__ volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop"
                     : "+r"(v) : "r"(va) : "memory");
    sink = v;
    took(before);
}

static void s_store(unsigned long va)
{
    int before = last_trap.count;
    __asm__ volatile(".option push\n.option norvc\nsd %0, 0(%1)\n.option pop"
                     :: "r"(0x6e6f74796f757273UL), "r"(va) : "memory");
    took(before);
}

static void s_fetch(unsigned long va)
{
    int before = last_trap.count;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%1)\n"
                     "jalr ra, 0(%0)\n"
                     "1:" :: "r"(va), "r"(&trap_resume_pc) : "t0", "ra", "memory");
    took(before);
}

static void u_load_fn(long va) { sink = *(volatile unsigned long *)va; }
static void u_store_fn(long va) { *(volatile unsigned long *)va = 0x75; }

/* Runs an access; prints "case NAME: scause=C stval=V" and checks that it
 * is the access fault (or, with a table pointer to nowhere, the fault)
 * want says, at stval = va. */
enum kind { LOAD, STORE, FETCH, ULOAD, USTORE };
static const char *const kind_names[] = { "load", "store", "fetch", "uload", "ustore" };
static const unsigned long access_fault[] = { 5, 7, 1, 5, 7 };

static void access(enum kind k, unsigned long va)
{
    switch (k) {
    case LOAD: s_load(va); break;
    case STORE: s_store(va); break;
    case FETCH: s_fetch(va); break;
    case ULOAD: case USTORE: {
        long cause = run_user(k == ULOAD ? u_load_fn : u_store_fn, (long)va);
        got_cause = (unsigned long)cause;
        got_tval = last_trap.stval;
        if (cause == 8) {       /* the ecall at user_returned: no fault */
            got_cause = NO_TRAP;
            got_tval = 0;
        }
        break;
    }
    }
}

static void expect_fault(const char *what, enum kind k, unsigned long va)
{
    access(k, va);
    if (got_cause == NO_TRAP)
        say("case %s_%s_0x%lx: no trap\n", what, kind_names[k], va);
    else
        say("case %s_%s_0x%lx: scause=%lu stval=0x%lx\n", what, kind_names[k], va, got_cause,
            got_tval);
    if (got_cause != access_fault[k] || got_tval != va)
        fail("%s %s at 0x%lx: scause %ld stval 0x%lx, want access fault %lu at it", what,
             kind_names[k], va, (long)got_cause, got_tval, access_fault[k]);
}

/* ---- 1. Bare ---- */

/* Past the guest's RAM: where other VMs' RAM and lodger's own lie in host
 * terms (lodger-run gives the host 256 MiB or more from 0x80000000), and
 * far beyond; the last is the top of the 56-bit physical space. */
static const unsigned long past_ram[] = {
    RAM_END, RAM_END + 0x1000, RAM_END + 0x200000, 0x88000000UL, 0x8c000000UL,
    0x8ffff000UL, 0x90000000UL, 0xa0000000UL, 0xbffff000UL, 0xc0000000UL, 0xfffff000UL,
    0x100000000UL, 0x180000000UL, 0x1000000000UL, 0x80000000000UL, 0xfffffffffff000UL,
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* MMIO where this VM's board has no device. Natively QEMU virt has none
 * there either, except the CLINT (0x2000000), which OpenSBI keeps from
 * S-mode with PMP: an access fault too. The host's CLINT is lodger's own
 * (its harts' timers and IPIs). Left out: QEMU's debug/boot ROM
 * (0x0-0xffff), test device and RTC (0x100000-0x101fff; lodger has both),
 * PCIe I/O and the platform bus (0x3000000-0x5ffffff), the
 * PLIC window (lodger's spans 0xc000000-0xfffffff), UART, virtio and
 * fw_cfg (0x10000000-0x101fffff), flash and PCIe (0x20000000-0x7fffffff). */
static const unsigned long no_device[] = {
    0x200000UL, 0x1000000UL, 0x2000000UL, 0x2004000UL, 0x200bff8UL, 0x2ff0000UL,
    0x6000000UL, 0x8000000UL, 0xbfff000UL, 0x10200000UL, 0x11000000UL, 0x1ffff000UL,
};

static void bare_tests(void)
{
    for (unsigned i = 0; i < N(past_ram); i++) {
        expect_fault("bare", LOAD, past_ram[i]);
        expect_fault("bare", STORE, past_ram[i]);
    }
    for (unsigned i = 0; i < N(past_ram); i += 3) {
        expect_fault("bare", FETCH, past_ram[i]);
        expect_fault("bare", ULOAD, past_ram[i] + 8);
        expect_fault("bare", USTORE, past_ram[i] + 16);
    }
    for (unsigned i = 0; i < N(no_device); i++) {
        expect_fault("mmio", LOAD, no_device[i]);
        expect_fault("mmio", STORE, no_device[i] + 8);
    }
    /* The last word of its RAM is its own (a positive control). */
    s_store(RAM_END - 8);
    s_load(RAM_END - 8);
    say("case bare_last_ram_word: %s\n", got_cause == NO_TRAP && sink == 0x6e6f74796f757273UL ?
        "its own" : "not reachable");
    if (got_cause != NO_TRAP)
        fail("the last word of RAM faulted: scause %lu", got_cause);
}

/* ---- 2. Paged (Sv39) ---- */

#define VA_4K 0x100000000UL             /* 4 KiB leaves, one per target */
#define VA_2M 0x140000000UL             /* 2 MiB leaves */
#define VA_1G 0x200000000UL             /* 1 GiB leaves */
#define VA_PTR 0x3c0000000UL            /* a table pointer to nowhere */
#define VA_OWN 0x380200000UL            /* a page of its own (control) */

static const unsigned long targets_4k[] = {
    RAM_END, RAM_END + 0x5000, 0x88000000UL, 0x8ffff000UL, 0x90000000UL, 0xc0000000UL,
    0x100000000UL, 0xfffffffffff000UL, 0x2000000UL, 0x8000000UL,
};
static const unsigned long targets_2m[] = {
    RAM_END, 0x86000000UL, 0x8fe00000UL, 0x90000000UL, 0xbfe00000UL, 0x100000000UL,
};
static const unsigned long targets_1g[] = { 0xc0000000UL, 0x100000000UL, 0xffffffc0000000UL };

static unsigned long own_page[512] __attribute__((aligned(4096)));

static void paged_tests(void)
{
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);          /* its code, data and stack */
    for (unsigned i = 0; i < N(targets_4k); i++)
        *pt_slot(root, 3, VA_4K + i * PAGE, 0) = PTE(targets_4k[i], PTE_RWX);
    for (unsigned i = 0; i < N(targets_2m); i++)
        *pt_slot(root, 3, VA_2M + i * MEGA2, 1) = PTE(targets_2m[i], PTE_RWX);
    for (unsigned i = 0; i < N(targets_1g); i++)
        *pt_slot(root, 3, VA_1G + i * GIGA, 2) = PTE(targets_1g[i], PTE_RWX);
    /* A gigapage on its RAM's: its first 64 MiB are the guest's own, the
     * rest is what lies after its RAM. */
    unsigned long straddle = VA_1G + N(targets_1g) * GIGA;
    *pt_slot(root, 3, straddle, 2) = PTE(RAM_BASE, PTE_RWX);
    /* A level-1 table at a physical address where nothing answers: the
     * walk's read of the PTE is an access fault (privileged spec 4.3.2
     * step 2: a PMA violation); QEMU 7.2 raises a page fault instead. */
    *pt_slot(root, 3, VA_PTR, 2) = PTE(0x88000000UL, PTE_V);
    satp_switch(satp_of(root, 3, 0));

    for (unsigned i = 0; i < N(targets_4k); i++) {
        unsigned long va = VA_4K + i * PAGE + 0x10;
        expect_fault("sv39_4k", LOAD, va);
        expect_fault("sv39_4k", STORE, va);
        if (i % 3 == 0)
            expect_fault("sv39_4k", FETCH, va);
    }
    for (unsigned i = 0; i < N(targets_2m); i++) {
        unsigned long va = VA_2M + i * MEGA2 + 0x1ff000;
        expect_fault("sv39_2m", LOAD, va - 0x1ff000);
        expect_fault("sv39_2m", STORE, va);
        if (i % 2 == 0)
            expect_fault("sv39_2m", FETCH, va);
    }
    for (unsigned i = 0; i < N(targets_1g); i++) {
        unsigned long va = VA_1G + i * GIGA;
        expect_fault("sv39_1g", LOAD, va + 0x3ffffff8);
        expect_fault("sv39_1g", STORE, va + 0x12345678 / 8 * 8);
        expect_fault("sv39_1g", FETCH, va);
    }
    /* The gigapage over its RAM: its last word is its own, the next is not. */
    unsigned long end = straddle + (RAM_END - RAM_BASE);
    s_store(end - 8);
    s_load(end - 8);
    say("case sv39_1g_own_last_word: %s\n", got_cause == NO_TRAP ? "its own" : "not reachable");
    if (got_cause != NO_TRAP)
        fail("its RAM's last word through the gigapage faulted: scause %lu", got_cause);
    expect_fault("sv39_1g_after_ram", LOAD, end);
    expect_fault("sv39_1g_after_ram", STORE, end + 0x100000);
    expect_fault("sv39_1g_after_ram", FETCH, end + 0x4000000);
    expect_fault("sv39_1g_after_ram", LOAD, straddle + GIGA - 8);
    /* Every 64 KiB of the 448 MiB after its RAM (the host's RAM: other
     * VMs' and lodger's, wherever lodger put them), loaded and stored. */
    unsigned long tried = 0, faulted = 0;
    for (unsigned long va = end; va < end + (448UL << 20); va += 0x10000) {
        s_load(va + 0x18);
        faulted += got_cause == 5 && got_tval == va + 0x18;
        s_store(va + 0x8000);
        faulted += got_cause == 7 && got_tval == va + 0x8000;
        tried += 2;
    }
    say("case sv39_1g_scan_after_ram: %lu of %lu accesses faulted\n", faulted, tried);
    if (faulted != tried)
        fail("the scan after its RAM: %lu of %lu accesses faulted", faulted, tried);

    /* Through the table pointer to nowhere: the spec's access fault under
     * lodger; natively QEMU 7.2's page fault (12, 13, 15) is allowed. */
    static const char *const ptr_kinds[] = { "load", "store", "fetch" };
    for (int k = LOAD; k <= FETCH; k++) {
        unsigned long va = VA_PTR + 0x1000 * (unsigned long)k;
        access((enum kind)k, va);
        unsigned long page_fault = k == LOAD ? 13 : k == STORE ? 15 : 12;
        bool ok = got_tval == va && (got_cause == access_fault[k] ||
                                     (!under_lodger() && got_cause == page_fault));
        say("case sv39_table_at_0x88000000_%s: %s\n", ptr_kinds[k],
            ok ? "faults (access fault; QEMU 7.2 natively: page fault)" : "wrong");
        if (!ok)
            fail("walk through a table at 0x88000000 (%s): scause %ld stval 0x%lx", ptr_kinds[k],
                 (long)got_cause, got_tval);
    }
    /* Control: a page of its own through a fresh 4 KiB mapping. */
    *pt_slot(root, 3, VA_OWN, 0) = PTE((unsigned long)own_page, PTE_RW);
    sfence_all();
    own_page[3] = 0x1234;
    s_load(VA_OWN + 24);
    say("case sv39_own_page: %s\n", got_cause == NO_TRAP && sink == 0x1234 ? "its own" : "wrong");
    if (got_cause != NO_TRAP || sink != 0x1234)
        fail("its own page through a fresh mapping: scause %ld", (long)got_cause);
    satp_switch(0);
}

/* ---- 3. SBI ---- */

static const char *err_name(long e)
{
    switch (e) {
    case 0: return "SUCCESS";
    case -1: return "FAILED";
    case -2: return "NOT_SUPPORTED";
    case -3: return "INVALID_PARAM";
    case -4: return "DENIED";
    case -5: return "INVALID_ADDRESS";
    case -6: return "ALREADY_AVAILABLE";
    default: return "other";
    }
}

/* A call whose answer must be want; natively (OpenSBI 1.1) also
 * native_also, a difference named by why (NULL: none allowed). */
static void expect_sbi(const char *name, struct sbiret r, long want, long native_also,
                       const char *why)
{
    if (r.error == want || (why && !under_lodger() && r.error == native_also)) {
        if (why)
            say("case %s: %s (OpenSBI 1.1 natively: %s, %s)\n", name, err_name(want),
                err_name(native_also), why);
        else
            say("case %s: %s\n", name, err_name(want));
    } else {
        say("case %s: %s (%ld)\n", name, err_name(r.error), r.error);
        fail("%s: error %ld, want %ld", name, r.error, want);
    }
}

static void dbcn_tests(void)
{
    bool present = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, 0).value != 0;
    if (!under_lodger() && present) {
        /* OpenSBI 1.5 (QEMU 10) reads the buffer in M-mode: a missing
         * address would stop the firmware, not answer the guest. */
        say("case dbcn: not tried natively with DBCN present\n");
        return;
    }
    /* SBI 12.1 (write) and 12.2 (read): a buffer not wholly in memory the
     * caller may access is SBI_ERR_INVALID_PARAM; base_addr_hi is the upper
     * half of the physical address (rv64: nothing exists there). Natively
     * OpenSBI 1.1 has no DBCN (SBI 2.0): every call NOT_SUPPORTED. */
    static const struct { const char *name; unsigned long fid, len, lo, hi; } calls[] = {
        { "write_past_ram", 0, 16, RAM_END, 0 },
        { "write_straddling_ram_end", 0, 16, RAM_END - 8, 0 },
        { "write_last_byte_and_next", 0, 2, RAM_END - 1, 0 },
        { "write_other_vm_place", 0, 64, 0x88000000UL, 0 },
        { "write_host_ram", 0, 64, 0x90000000UL, 0 },
        { "write_mmio", 0, 8, 0x2000000UL, 0 },
        { "write_huge_length", 0, ~0UL, RAM_BASE + 0x200000, 0 },
        { "write_ram_size_plus_one", 0, RAM_END - RAM_BASE + 1, RAM_BASE, 0 },
        { "write_wrapping", 0, 0x2000, 0xfffffffffffff000UL, 0 },
        { "write_base_hi", 0, 8, RAM_BASE + 0x200000, 1 },
        { "read_past_ram", 1, 16, RAM_END, 0 },
        { "read_straddling_ram_end", 1, 16, RAM_END - 8, 0 },
        { "read_host_ram", 1, 64, 0x90000000UL, 0 },
        { "read_huge_length", 1, ~0UL, RAM_BASE + 0x200000, 0 },
    };
    for (unsigned i = 0; i < N(calls); i++) {
        char name[64];
        snprintf(name, sizeof(name), "dbcn_%s", calls[i].name);
        struct sbiret r = sbi_call(SBI_EXT_DBCN, calls[i].fid, calls[i].len, calls[i].lo,
                                   calls[i].hi, 0);
        long want = present ? SBI_ERR_INVALID_PARAM : SBI_ERR_NOT_SUPPORTED;
        if (r.error == want)
            say("case %s: refused\n", name);
        else {
            say("case %s: %s (%ld) value %ld\n", name, err_name(r.error), r.error, r.value);
            fail("%s: error %ld, want %ld", name, r.error, want);
        }
    }
    /* Control: its own bytes, up to its RAM's last. */
    static const char own[] = "";
    struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, 0, (unsigned long)own, 0, 0);
    say("case dbcn_write_nothing: %s\n", r.error == (present ? 0 : SBI_ERR_NOT_SUPPORTED) ?
        "accepted" : "wrong");
    if (r.error != (present ? 0 : SBI_ERR_NOT_SUPPORTED))
        fail("an empty DBCN write: error %ld", r.error);
}

/* Hart ids it does not have: the other VMs' vCPU numbers and the host's
 * harts (1..7), the largest counts, and wide values. */
static const unsigned long other_harts[] = {
    1, 2, 3, 4, 7, 8, 13, 14, 63, 64, 0x7fffffffUL, 0x100000000UL, 1UL << 63, ~0UL - 1, ~0UL,
};

static void hsm_tests(void)
{
    for (unsigned i = 0; i < N(other_harts); i++) {
        /* OpenSBI 1.1 keeps hart ids in 32 bits: 2^32 and 2^63 are its
         * hart 0 (started). SBI 9.1-9.3 take an unsigned long hartid. */
        const char *why = (uint32_t)other_harts[i] == 0 ? "hart id cut to 32 bits: hart 0" : NULL;
        char name[64];
        snprintf(name, sizeof(name), "hsm_start_hart_0x%lx", other_harts[i]);
        expect_sbi(name, sbi_call(SBI_EXT_HSM, 0, other_harts[i], 0x80200000UL, 0, 0),
                   SBI_ERR_INVALID_PARAM, SBI_ERR_ALREADY_AVAILABLE, why);
        snprintf(name, sizeof(name), "hsm_start_hart_0x%lx_at_host_ram", other_harts[i]);
        expect_sbi(name, sbi_call(SBI_EXT_HSM, 0, other_harts[i], 0x90000000UL, 0, 0),
                   SBI_ERR_INVALID_PARAM, SBI_ERR_ALREADY_AVAILABLE, why);
        snprintf(name, sizeof(name), "hsm_status_hart_0x%lx", other_harts[i]);
        expect_sbi(name, sbi_call(SBI_EXT_HSM, 2, other_harts[i], 0, 0, 0),
                   SBI_ERR_INVALID_PARAM, SBI_SUCCESS, why);
    }
    /* Its own hart is started whatever the address (both check the state
     * before an address outside RAM). */
    expect_sbi("hsm_start_self_at_host_ram", sbi_call(SBI_EXT_HSM, 0, 0, 0x90000000UL, 0, 0),
               SBI_ERR_ALREADY_AVAILABLE, 0, NULL);
    struct sbiret r = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    say("case hsm_status_self: error=%ld value=%ld\n", r.error, r.value);
    if (r.error || r.value != 0)
        fail("hart_status of itself: %ld %ld", r.error, r.value);
}

/* Masks and bases naming harts it lacks. With base 0 and bit 0 set too,
 * OpenSBI 1.1 sends to hart 0 and ignores the bits of harts it does not
 * have (SUCCESS); SBI 2.0 (7.1, 8.1) says INVALID_PARAM, as lodger does.
 * A base past the last hart is INVALID_PARAM for both. */
static const struct { unsigned long mask, base; bool opensbi_ignores; } masks[] = {
    { 0x2, 0, true }, { 0x3, 0, true }, { 0xe, 0, true }, { 1UL << 63, 0, true },
    { ~0UL, 0, true }, { 0x1, 1, false }, { 0x1, 2, false }, { 0x1, 3, false },
    { 0xff, 1, false }, { 0x1, 64, false }, { 0x1, 0x100000000UL, false },
    { 0x1, ~0UL - 1, false }, { 0x3, ~0UL - 1, false }, { 0x1, 1UL << 63, false },
};

static void clear_ssip(void) { csr_clear(sip, SIP_SSIP); }

static void mask_tests(void)
{
    csr_write(sie, 0);
    for (unsigned i = 0; i < N(masks); i++) {
        char name[80];
        const char *why = masks[i].opensbi_ignores ? "ignores harts it lacks" : NULL;
        snprintf(name, sizeof(name), "ipi_mask_0x%lx_base_0x%lx", masks[i].mask, masks[i].base);
        expect_sbi(name, sbi_call(SBI_EXT_IPI, 0, masks[i].mask, masks[i].base, 0, 0),
                   SBI_ERR_INVALID_PARAM, 0, why);
        clear_ssip();
        snprintf(name, sizeof(name), "rfence_i_mask_0x%lx_base_0x%lx", masks[i].mask,
                 masks[i].base);
        expect_sbi(name, sbi_call(SBI_EXT_RFENCE, 0, masks[i].mask, masks[i].base, 0, 0),
                   SBI_ERR_INVALID_PARAM, 0, why);
        snprintf(name, sizeof(name), "rfence_vma_mask_0x%lx_base_0x%lx", masks[i].mask,
                 masks[i].base);
        expect_sbi(name, sbi_call(SBI_EXT_RFENCE, 1, masks[i].mask, masks[i].base, 0, ~0UL),
                   SBI_ERR_INVALID_PARAM, 0, why);
        snprintf(name, sizeof(name), "rfence_vma_asid_mask_0x%lx_base_0x%lx", masks[i].mask,
                 masks[i].base);
        struct sbiret r;
        r = (struct sbiret){ 0, 0 };
        register unsigned long a0 __asm__("a0") = masks[i].mask;
        register unsigned long a1 __asm__("a1") = masks[i].base;
        register unsigned long a2 __asm__("a2") = 0x1000;
        register unsigned long a3 __asm__("a3") = 0x1000;
        register unsigned long a4 __asm__("a4") = 1;
        register unsigned long a6 __asm__("a6") = 2;
        register unsigned long a7 __asm__("a7") = SBI_EXT_RFENCE;
        __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a4), "r"(a6),
                         "r"(a7) : "memory");
        r.error = (long)a0;
        r.value = (long)a1;
        expect_sbi(name, r, SBI_ERR_INVALID_PARAM, 0, why);
    }
    /* Controls: itself, and every hart it has (base -1). */
    expect_sbi("ipi_self", sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0), 0, 0, NULL);
    int seen = 0;
    for (int i = 0; i < 100000 && !seen; i++)
        seen = (csr_read(sip) & SIP_SSIP) != 0;
    say("case ipi_self_pending: %d\n", seen);
    if (!seen)
        fail("an IPI to itself did not arrive");
    clear_ssip();
    expect_sbi("ipi_all_of_its_harts", sbi_call(SBI_EXT_IPI, 0, 0, ~0UL, 0, 0), 0, 0, NULL);
    clear_ssip();
}

/* RFENCE ranges on its own hart: whatever the range, the fence is done
 * (a range that wraps or covers everything is a flush of all: SBI 8.3
 * allows INVALID_ADDRESS for a bad range, neither lodger nor OpenSBI uses
 * it); afterwards its own mapping still works and a mapping beyond RAM
 * still faults. */
static void range_tests(void)
{
    static const struct { const char *name; unsigned long start, size; } ranges[] = {
        { "all", 0, ~0UL },
        { "zero_size", 0x80200000UL, 0 },
        { "one_page", VA_OWN, 0x1000 },
        { "wrapping", 0xfffffffffffff000UL, 0x2000 },
        { "wrapping_far", 0x8000000000000000UL, 0x8000000000001000UL },
        { "last_byte", ~0UL, 1 },
        { "huge", 0x1000, 1UL << 62 },
        { "host_ram", 0x88000000UL, 0x8000000UL },
        { "just_over_16_pages", VA_4K, 16 * 0x1000 + 1 },
    };
    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    *pt_slot(root, 3, VA_OWN, 0) = PTE((unsigned long)own_page, PTE_RW);
    *pt_slot(root, 3, VA_4K, 0) = PTE(0x90000000UL, PTE_RW);
    satp_switch(satp_of(root, 3, 1));
    own_page[5] = 0x5678;
    for (unsigned i = 0; i < N(ranges); i++) {
        for (unsigned long fid = 1; fid <= 2; fid++) {
            char name[64];
            snprintf(name, sizeof(name), "rfence_%s_%s", fid == 1 ? "vma" : "vma_asid",
                     ranges[i].name);
            register unsigned long a0 __asm__("a0") = 1;
            register unsigned long a1 __asm__("a1") = 0;
            register unsigned long a2 __asm__("a2") = ranges[i].start;
            register unsigned long a3 __asm__("a3") = ranges[i].size;
            register unsigned long a4 __asm__("a4") = i == 0 ? ~0UL : 1;    /* ASID */
            register unsigned long a6 __asm__("a6") = fid;
            register unsigned long a7 __asm__("a7") = SBI_EXT_RFENCE;
            __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a4), "r"(a6),
                             "r"(a7) : "memory");
            expect_sbi(name, (struct sbiret){ (long)a0, (long)a1 }, 0, 0, NULL);
            s_load(VA_OWN + 40);
            if (got_cause != NO_TRAP || sink != 0x5678)
                fail("%s: its own page afterwards: scause %ld", name, (long)got_cause);
            s_load(VA_4K);
            if (got_cause != 5 || got_tval != VA_4K)
                fail("%s: the page at 0x90000000 afterwards: scause %ld", name, (long)got_cause);
        }
    }
    satp_switch(0);
}

/* Legacy calls (SBI 5) take a pointer to the hart mask: one outside its
 * RAM is a load that faults, delivered at the ecall (OpenSBI loads it
 * with MPRV and redirects the trap; lodger does the same). */
static void legacy_tests(void)
{
    static const unsigned long ptrs[] = { RAM_END, 0x88000000UL, 0x90000000UL, 0x2000000UL,
                                          0xfffffffffff000UL };
    static const unsigned long eids[] = { SBI_EXT_LEGACY_SEND_IPI, SBI_LEGACY_REMOTE_FENCE_I,
                                          SBI_LEGACY_REMOTE_SFENCE_VMA };
    for (unsigned e = 0; e < N(eids); e++)
        for (unsigned i = 0; i < N(ptrs); i++) {
            int before = last_trap.count;
            sbi_call(eids[e], 0, ptrs[i], 0, ~0UL, 0);
            took(before);
            say("case legacy_%lu_mask_at_0x%lx: scause=%ld stval=0x%lx\n", eids[e], ptrs[i],
                (long)got_cause, got_tval);
            if (got_cause != 5 || got_tval != ptrs[i])
                fail("legacy %lu with its mask at 0x%lx: scause %ld stval 0x%lx", eids[e],
                     ptrs[i], (long)got_cause, got_tval);
        }
    /* A mask in its RAM naming harts it lacks: refused by lodger (the
     * v0.2 rule), ignored by OpenSBI 1.1. Only a0 is returned. */
    static unsigned long mask = 0xe;
    for (unsigned e = 0; e < N(eids); e++) {
        char name[48];
        snprintf(name, sizeof(name), "legacy_%lu_mask_0xe", eids[e]);
        struct sbiret r = sbi_call(eids[e], 0, (unsigned long)&mask, 0, ~0UL, 0);
        expect_sbi(name, (struct sbiret){ r.error, 0 }, SBI_ERR_INVALID_PARAM, 0,
                   "ignores harts it lacks");
    }
    clear_ssip();
}

int guest_main(void)
{
    const char *args = guest_bootargs();
    guest_arg("vm.tag=", tag, sizeof(tag), "");
    const char *p = args ? strstr(args, "vm.passes=") : NULL;
    int passes = p ? atoi(p + 10) : 1;
    say("=== begin: vm_hostile ===\n");
    uint64_t first = 0;
    for (int pass = 0; pass < passes; pass++) {
        quiet = pass > 0;
        said = 0xcbf29ce484222325UL;
        pt_used = 0;            /* each pass builds its tables afresh */
        bare_tests();
        paged_tests();
        dbcn_tests();
        hsm_tests();
        mask_tests();
        range_tests();
        legacy_tests();
        quiet = 0;
        if (pass == 0)
            first = said;
        else if (said != first)
            fail("pass %d: answers differ from the first pass's", pass + 1);
    }
    if (passes > 1)
        say("case passes: %d, each with the first's answers\n", passes);
    say("=== end: %s ===\n", failures ? "FAIL" : "PASS");
    sbi_call(SBI_EXT_SRST, 0, 0, failures ? 1 : 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
