/* One conflict after another (run-options: --first-portion 0x40000000):
 * an Sv57 guest maps and touches, one after the other, the forced place and
 * then the places lodger prefers when it relocates its first portion
 * (src/core/reloc.c: for each of Sv57, Sv48 and Sv39, 1 GiB above the
 * bottom of the kernel half and 1 GiB + 64 KiB below the top of the user
 * half). A place is mapped only once the previous one has been touched, so
 * under lodger on an Sv57 host each first touch should meet the first
 * portion there again; natively all of this is plain memory. Each first
 * touch is a different kind of access: a call into code, a trap through a
 * vector there, a store, an AMO, LR/SC, an FP load, a misaligned load
 * reaching in from the page below. After each, the whole 192 KiB around the
 * place must read as the guest's physical memory. Under lodger, the places
 * are where its first portion is (counter 54, shared/fp_places.h), and each
 * first touch must be exactly one conflict and one relocation to an unused
 * region (lib/counters.h); nothing after the chase may move it. */
#include "../lib/guest.h"
#define PT_POOL_PAGES 64
#include "../lib/pagetable.h"

#include "../shared/fp_places.h"
#define BELOW 0x10000UL             /* mapped: [place - BELOW, place + ABOVE) */
#define ABOVE 0x20000UL
#define SPAN (BELOW + ABOVE)
#define DATA 0x80400000UL           /* backing of region k: DATA + k * SPAN */
#define PA(k, va) (DATA + (unsigned long)(k) * SPAN + ((va) - (region[k] - BELOW)))

extern char guest_end[];
extern char pic_add[], pic_add_end[], fwd_vec[], fwd_vec_end[], fwd_target[];

static unsigned long *root;

static unsigned long pattern(int k, unsigned long off)
{
    return 0xc4a5e00000000000UL ^ (unsigned long)k << 40 ^ off * 0x10001UL;
}

static void map_region(int k)
{
    unsigned long lo = region[k] - BELOW;
    for (unsigned long off = 0; off < SPAN; off += 8)
        *(volatile unsigned long *)(PA(k, lo) + off) = pattern(k, off);
    pt_map(root, guest_levels(), lo, PA(k, lo), SPAN, PTE_RWX);
    sfence_all();
}

/* Words of region k whose virtual view differs from the physical one. */
static unsigned long inconsistent(int k)
{
    unsigned long lo = region[k] - BELOW, bad = 0;
    for (unsigned long off = 0; off < SPAN; off += 8)
        bad += *(volatile unsigned long *)(lo + off) != *(volatile unsigned long *)(PA(k, lo) + off);
    return bad;
}

/* Words of region k still holding the initial pattern. */
static unsigned long unchanged(int k)
{
    unsigned long lo = region[k] - BELOW, same = 0;
    for (unsigned long off = 0; off < SPAN; off += 8)
        same += *(volatile unsigned long *)(PA(k, lo) + off) == pattern(k, off);
    return same;
}

static void touch(int k)
{
    unsigned long r = region[k];
    switch (k) {
    case 0: {   /* a call into code there (written through the physical view) */
        long at = 0;
        __builtin_memcpy((void *)PA(0, r + 0x40), pic_add, (unsigned long)(pic_add_end - pic_add));
        fence_i();
        long v = ((long (*)(long, long *))(r + 0x40))(9, &at);
        gprintf("case touch0_call: %ld at place+0x%lx\n", v, (unsigned long)at - r);
        break;
    }
    case 1: {   /* a trap whose vector is there */
        unsigned long old = csr_read(stvec);
        __builtin_memcpy((void *)PA(1, r + 0x1000), fwd_vec, (unsigned long)(fwd_vec_end - fwd_vec));
        fence_i();
        csr_write(sscratch, fwd_target);
        csr_write(stvec, r + 0x1000);
        int before = last_trap.count;
        __asm__ volatile("ebreak");
        int n = last_trap.count - before;
        csr_write(stvec, old);
        gprintf("case touch1_trap_vector: traps=%d scause=%lu\n", n, (unsigned long)last_trap.scause);
        break;
    }
    case 2: {   /* a store to what was lodger's trap frame */
        *(volatile unsigned long *)(r + 0x2ff8) = 0x5707e;
        gprintf("case touch2_store: 0x%lx physical=0x%lx\n", *(volatile unsigned long *)(r + 0x2ff8),
                *(volatile unsigned long *)PA(2, r + 0x2ff8));
        break;
    }
    case 3: {   /* an AMO on the last page */
        unsigned long old;
        __asm__ volatile("amoswap.d %0, %2, (%1)" : "=r"(old) : "r"(r + 0xf008), "r"(0xa30UL) : "memory");
        gprintf("case touch3_amo: old=%s new=0x%lx\n",
                old == pattern(3, BELOW + 0xf008) ? "pattern" : "OTHER", *(volatile unsigned long *)(r + 0xf008));
        break;
    }
    case 4: {   /* LR/SC */
        unsigned long v, rc, tries = 0;
        do {
            __asm__ volatile("lr.d %0, (%2)\n"
                             "addi %0, %0, 4\n"
                             "sc.d %1, %0, (%2)" : "=&r"(v), "=&r"(rc) : "r"(r + 0x1010) : "memory");
        } while (rc && ++tries < 100);
        gprintf("case touch4_lr_sc: %s %s\n",
                *(volatile unsigned long *)(r + 0x1010) == pattern(4, BELOW + 0x1010) + 4 ? "added" : "WRONG",
                tries < 100 ? "ok" : "never succeeded");
        break;
    }
    case 5: {   /* an FP load, then compressed ones */
        unsigned long v;
        csr_set(sstatus, SSTATUS_FS);
        __asm__ volatile("fld ft0, 0(%1)\n"
                         "fmv.x.d %0, ft0" : "=r"(v) : "r"(r + 0x3000) : "ft0", "memory");
        register unsigned long base __asm__("a5") = r + 0x5000;
        register unsigned long w __asm__("a4");
        __asm__ volatile(".option push\n.option rvc\n"
                         "c.lw a4, 4(a5)\n"
                         ".option pop" : "=r"(w) : "r"(base) : "memory");
        gprintf("case touch5_fld: %s c.lw=%s\n", v == pattern(5, BELOW + 0x3000) ? "pattern" : "OTHER",
                w == (unsigned long)(long)(int)(pattern(5, BELOW + 0x5000) >> 32) ? "pattern" : "OTHER");
        break;
    }
    case 6: {   /* a misaligned load from the page below into the first page */
        unsigned long v = *(volatile unsigned long *)(r - 4);
        unsigned long want = pattern(6, BELOW - 8) >> 32 | pattern(6, BELOW) << 32;
        gprintf("case touch6_misaligned: %s\n", v == want ? "pattern" : "OTHER");
        break;
    }
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_chase ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    root = pt_alloc();
    pt_map_identity(root, guest_levels());
    unsigned long satp = satp_of(root, guest_levels(), 0);
    satp_switch(satp);
    gprintf("case sv%d: %s\n", 12 + 9 * guest_levels(), csr_read(satp) == satp ? "as written" : "not supported");
    if (csr_read(satp) != satp)
        return failures;

    struct fp_counts counts;
    fp_counts_read(&counts);
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k)) {
        follow_place(k);
        map_region(k);
        touch(k);
        gprintf("case region%d: inconsistent=%lu unchanged=%lu\n", k, inconsistent(k), unchanged(k));
        /* The first touch met the first portion: it moved to an unused place. */
        fp_expect_n("touching place", k, &counts, FP_ONE_CONFLICT_TO_UNUSED);
    }
    unsigned long bad = 0;
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k))
        bad += inconsistent(k);
    gprintf("case all_regions_after_chase: inconsistent=%lu\n", bad);

    /* Through Bare mode and back. */
    satp_switch(0);
    satp_switch(satp);
    bad = 0;
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k))
        bad += inconsistent(k);
    gprintf("case all_regions_after_bare: inconsistent=%lu\n", bad);

    /* The forced place unmapped: the guest's own fault; mapped again to
     * the next region's memory (region 1, or 5 for an Sv39 guest): that memory. */
    int o = 1;
    while (!region_fits(o))
        o++;
    for (unsigned long off = 0; off < 0x10000; off += PAGE)
        *pt_slot(root, guest_levels(), region[0] + off, 0) = 0;
    sfence_all();
    int before = last_trap.count;
    (void)*(volatile unsigned long *)(region[0] + 0x2000);
    gprintf("case place0_unmapped: traps=%d scause=%lu stval=0x%lx\n", last_trap.count - before,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval);
    pt_map(root, guest_levels(), region[0], PA(o, region[o]), 0x10000, PTE_RW);
    sfence_all();
    bad = 0;
    for (unsigned long off = 0; off < 0x10000; off += 8)
        bad += *(volatile unsigned long *)(region[0] + off) != *(volatile unsigned long *)(region[o] + off);
    gprintf("case place0_remapped: differs_from_next_region=%lu\n", bad);
    fp_expect("the places' reuse (the first portion is elsewhere)", &counts, FP_NOTHING);

    satp_switch(0);
    return failures;
}
