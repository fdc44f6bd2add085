/* A and D bits and permissions stay exactly as natively when lodger fills
 * shadow entries that no access asked for (issue 15): the neighbours of a
 * fill (the other entries of the guest's leaf table, in aligned groups of
 * 16) and the page a guest's sfence.vma names. Sv39, virtual S-mode. A
 * group of 16 pages is mapped in every state that matters - never touched
 * (A=0), read only (A=1 D=0), read-only pages, U pages, execute-only pages,
 * reserved encodings, invalid entries - then one page of the group is
 * executed (under lodger: a fetch fill, with the neighbours; run-options
 * --no-patch: with patched code, the default, an S view gets no neighbour
 * fills, shadow.c). Each other page is
 * then used as the case says and the guest's PTE printed: a page never
 * touched must keep A=0, a page only read D=0, and every access must fault
 * or not as natively, with the same cause and stval. Then pages mapped or
 * remapped and fenced one by one (sfence.vma of the page): a fence of a
 * page with A=0 must not set it, a fenced clean page keeps D=0 until the
 * first store, a remapped page reads its new frame. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/counters.h"

#define LC_NEIGHBOUR_FILLS 63

#define VA 0x40000000UL             /* the group: 16 pages, aligned */
#define DATA 0x80800000UL           /* page k's frame: DATA + k * PAGE */
#define OTHER 0x80820000UL          /* frames for remapping */
#define PTE_N_BIT (1UL << 63)

static unsigned long *root, *leaf;

static unsigned long pa_of(int k) { return DATA + (unsigned long)k * PAGE; }
static unsigned long va_of(int k) { return VA + (unsigned long)k * PAGE; }

/* One access; the trap it took (scause) or 0. */
static unsigned long load(unsigned long va, unsigned long *value)
{
    int before = last_trap.count;
    unsigned long v = 0;
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
    if (value)
        *value = v;
    return last_trap.count != before ? last_trap.scause : 0;
}

static unsigned long store(unsigned long va, unsigned long value)
{
    int before = last_trap.count;
    __asm__ volatile("sd %0, 0(%1)" :: "r"(value), "r"(va) : "memory");
    return last_trap.count != before ? last_trap.scause : 0;
}

static const char *ad(int k)
{
    unsigned long p = leaf[k];
    static const char *names[4] = { "A=0 D=0", "A=1 D=0", "A=0 D=1", "A=1 D=1" };
    return names[((p & PTE_A) ? 1 : 0) | ((p & PTE_D) ? 2 : 0)];
}

static void report(const char *what, int k, unsigned long cause, unsigned long value)
{
    gprintf("case %s (page %d): trap=%lu value=0x%lx pte %s stval_ok=%s\n", what, k, cause,
            cause ? 0 : value, ad(k), !cause || last_trap.stval == va_of(k) ? "yes" : "no");
}

int guest_main(void)
{
    gprintf("=== begin: shadow_ad ===\n");
    for (int k = 0; k < 16; k++)
        *(volatile unsigned long *)pa_of(k) = 0xda7a000000000000UL | (unsigned long)k;
    *(volatile unsigned int *)pa_of(0) = 0x00008067;   /* ret */
    fence_i();
    for (int k = 0; k < 4; k++)
        *(volatile unsigned long *)(OTHER + (unsigned long)k * PAGE) = 0x07e4000000000000UL | (unsigned long)k;
    root = pt_alloc();
    pt_map_identity(root, 3);
    leaf = pt_slot(root, 3, VA, 0);
    const unsigned long V = PTE_V, R = PTE_R, W = PTE_W, X = PTE_X, A = PTE_A, D = PTE_D;
    unsigned long flags[16] = {
        [0] = V | R | W | X | A | D,    /* executed first: the fill */
        [1] = V | R | W,                /* never touched: A stays 0 */
        [2] = V | R | W | A,            /* only read: D stays 0 */
        [3] = V | R | W | A,            /* read, then written: D set by the store */
        [4] = V | R | A | D,            /* read-only: a store faults */
        [5] = V | R | W,                /* read: A set, D not */
        [6] = 0,                        /* invalid */
        [7] = V | R | W | A | D | PTE_U,/* U page: S without SUM faults */
        [8] = V | X | A,                /* execute-only: a load faults without MXR */
        [9] = V | R | W | A,            /* written at once: D set */
        [10] = V | W | A | D,           /* W without R: reserved */
        [11] = V | R | W | A | D | PTE_N_BIT, /* N without Svnapot: reserved */
        [12] = V | R | W | A | D,       /* read and written: as natively */
        [13] = 0, [14] = 0, [15] = 0,   /* for the fences below */
    };
    for (int k = 0; k < 16; k++)
        leaf[k] = flags[k] ? PTE(pa_of(k), flags[k]) : 0;
    satp_switch(satp_of(root, 3, 1));

    unsigned long v, c, n0 = 0, n1 = 0;
    /* Page 0 holds code (a ret): the first touch is a fetch, whose fill
     * (under lodger) brings the usable neighbours along: pages 2, 3, 4, 8,
     * 9, 12 (A set, usable in this view) - not 1 and 5 (A=0), 6, 7 (U, no
     * SUM), 10 and 11 (reserved). */
    lodger_read(LC_NEIGHBOUR_FILLS, &n0);
    ((void (*)(void))va_of(0))();
    if (lodger_read(LC_NEIGHBOUR_FILLS, &n1))
        CHECK(n1 - n0 == 6);
    c = load(va_of(0), &v);
    report("the fill", 0, c, v);
    c = load(va_of(2), &v);
    report("only read", 2, c, v);
    c = load(va_of(3), &v);
    report("read", 3, c, v);
    c = store(va_of(3), 0x3333);
    c = load(va_of(3), &v);
    report("read, written, read", 3, c, v);
    c = store(va_of(4), 0x4444);
    report("store to read-only", 4, c, 0);
    c = load(va_of(5), &v);
    report("first read of A=0", 5, c, v);
    c = load(va_of(6), &v);
    report("invalid", 6, c, v);
    c = load(va_of(7), &v);
    report("U page without SUM", 7, c, v);
    csr_set(sstatus, SSTATUS_SUM);
    c = load(va_of(7), &v);
    csr_clear(sstatus, SSTATUS_SUM);
    report("U page with SUM", 7, c, v);
    c = load(va_of(8), &v);
    report("execute-only without MXR", 8, c, v);
    csr_set(sstatus, SSTATUS_MXR);
    c = load(va_of(8), &v);
    csr_clear(sstatus, SSTATUS_MXR);
    report("execute-only with MXR", 8, c, v);
    c = store(va_of(9), 0x9999);
    c = load(va_of(9), &v);
    report("written at once", 9, c, v);
    c = load(va_of(10), &v);
    report("W without R", 10, c, v);
    c = load(va_of(11), &v);
    report("N bit", 11, c, v);
    c = store(va_of(12), 0x1212);
    c = load(va_of(12), &v);
    report("written", 12, c, v);
    /* Still untouched: */
    gprintf("case never touched (page 1): pte %s\n", ad(1));
    gprintf("case only read (page 2): pte %s\n", ad(2));
    gprintf("case first read of A=0 (page 5): pte %s\n", ad(5));

    /* Fences of one page each. Page 13: mapped clean (A=1 D=0), fenced,
     * read (D stays 0), then written (D set). */
    leaf[13] = PTE(pa_of(13), V | R | W | A);
    sfence_va(va_of(13));
    c = load(va_of(13), &v);
    report("fenced clean, read", 13, c, v);
    c = store(va_of(13), 0x1313);
    c = load(va_of(13), &v);
    report("fenced clean, written", 13, c, v);
    /* Page 14: mapped with A=0, fenced, never touched: A stays 0; then a
     * read sets it. */
    leaf[14] = PTE(pa_of(14), V | R | W);
    sfence_va(va_of(14));
    gprintf("case fenced A=0, untouched (page 14): pte %s\n", ad(14));
    c = load(va_of(14), &v);
    report("fenced A=0, read", 14, c, v);
    /* Page 0, read before: remapped to another frame and fenced: the new
     * frame, at once. Then read-only: a store faults. */
    leaf[0] = PTE(OTHER, V | R | W | A | D);
    sfence_va(va_of(0));
    c = load(va_of(0), &v);
    report("remapped", 0, c, v);
    leaf[0] = PTE(OTHER, V | R | A | D);
    sfence_va(va_of(0));
    c = store(va_of(0), 0xdead);
    report("remapped read-only, store", 0, c, 0);
    /* A fence for another ASID leaves the current space's entry alone
     * (architecturally it may or may not drop it: the page's translation
     * is unchanged, so either way the read is the same). Page 15 with a
     * U page fenced: S without SUM still faults. */
    leaf[15] = PTE(pa_of(15), V | R | W | A | D | PTE_U);
    sfence_va(va_of(15));
    c = load(va_of(15), &v);
    report("fenced U page without SUM", 15, c, v);
    csr_set(sstatus, SSTATUS_SUM);
    c = load(va_of(15), &v);
    csr_clear(sstatus, SSTATUS_SUM);
    report("fenced U page with SUM", 15, c, v);
    /* Unmapped and fenced: faults again. */
    leaf[13] = 0;
    sfence_va(va_of(13));
    c = load(va_of(13), &v);
    report("unmapped and fenced", 13, c, v);

    satp_switch(0);
    /* Physically: what the stores wrote. */
    gprintf("case frames: 3=0x%lx 9=0x%lx 12=0x%lx 13=0x%lx other=0x%lx\n",
            *(volatile unsigned long *)pa_of(3), *(volatile unsigned long *)pa_of(9),
            *(volatile unsigned long *)pa_of(12), *(volatile unsigned long *)pa_of(13),
            *(volatile unsigned long *)OTHER);
    CHECK((leaf[1] & PTE_A) == 0);
    CHECK((leaf[2] & PTE_D) == 0);
    CHECK((leaf[5] & PTE_D) == 0 && (leaf[5] & PTE_A));
    CHECK(*(volatile unsigned long *)pa_of(3) == 0x3333);
    return failures;
}
