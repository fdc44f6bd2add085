/* Like fp_chase (run-options: --first-portion 0x40000000), but each first
 * touch of a place is made by a control transfer or a trap rather than by
 * an ordinary access: an sret to code there; a U-mode ecall, a U-mode page
 * fault, an illegal instruction and a timer interrupt delivered to a trap
 * vector there (direct, then vectored); the trap handler's first push onto
 * a stack there; and a compressed sp-relative store. Under lodger these go
 * through the fast paths' and the C dispatcher's trap delivery before the
 * conflict. Under lodger the places are where its first portion is
 * (counter 54, shared/fp_places.h), and each first touch must be exactly
 * one conflict and one relocation to an unused region (lib/counters.h). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 64
#include "../lib/pagetable.h"

#include "../shared/fp_places.h"
#define BELOW 0x10000UL
#define ABOVE 0x20000UL
#define SPAN (BELOW + ABOVE)
#define DATA 0x80400000UL
#define PA(k, va) (DATA + (unsigned long)(k) * SPAN + ((va) - (region[k] - BELOW)))
#define UCODE 0x7000000000UL

extern char guest_end[], pic_inc[], pic_inc_end[], fwd_vec[], fwd_vec_end[], fwd_target[];
extern char user_page[], user_ecall[], user_load[];
long sret_to(unsigned long pc, long a);
unsigned long ebreak_on_stack(unsigned long stack_top);

static unsigned long *root;

static unsigned long pattern(int k, unsigned long off)
{
    return 0x7a95000000000000UL ^ (unsigned long)k << 40 ^ off * 0x10001UL;
}

static void map_region(int k)
{
    unsigned long lo = region[k] - BELOW;
    for (unsigned long off = 0; off < SPAN; off += 8)
        *(volatile unsigned long *)(PA(k, lo) + off) = pattern(k, off);
    pt_map(root, guest_levels(), lo, PA(k, lo), SPAN, PTE_RWX);
    sfence_all();
}

static unsigned long inconsistent(int k)
{
    unsigned long lo = region[k] - BELOW, bad = 0;
    for (unsigned long off = 0; off < SPAN; off += 8)
        bad += *(volatile unsigned long *)(lo + off) != *(volatile unsigned long *)(PA(k, lo) + off);
    return bad;
}

/* The forwarding vector, written physically at place + off. */
static void vector_at(int k, unsigned long off)
{
    __builtin_memcpy((void *)PA(k, region[k] + off), fwd_vec, (unsigned long)(fwd_vec_end - fwd_vec));
    fence_i();
    csr_write(sscratch, fwd_target);
}

static void report(const char *name, int before, unsigned long old_stvec)
{
    csr_write(stvec, old_stvec);
    gprintf("case %s: traps=%d scause=0x%lx stval=0x%lx sscratch=%s\n", name, last_trap.count - before,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval,
            csr_read(sscratch) == (unsigned long)fwd_target ? "kept" : "other");
}

static void touch(int k)
{
    unsigned long r = region[k], old = csr_read(stvec);
    int before = last_trap.count;
    switch (k) {
    case 0: {   /* an sret to code there */
        __builtin_memcpy((void *)PA(0, r + 0x100), pic_inc, (unsigned long)(pic_inc_end - pic_inc));
        fence_i();
        long v = sret_to(r + 0x100, 41);
        csr_clear(sstatus, SSTATUS_SIE);
        gprintf("case touch0_sret: %ld traps=%d\n", v, last_trap.count - before);
        break;
    }
    case 1:     /* a U-mode ecall, to a vector there */
        vector_at(1, 0x1000);
        csr_write(stvec, r + 0x1000);
        gprintf("case touch1_user_ecall: run_user=%ld\n",
                run_user((void (*)(long))(UCODE + (unsigned long)(user_ecall - user_page)), 0));
        report("touch1_user_ecall_trap", before, old);
        break;
    case 2:     /* a U-mode page fault, to a vector there */
        vector_at(2, 0x2000);
        csr_write(stvec, r + 0x2000);
        gprintf("case touch2_user_page_fault: run_user=%ld\n",
                run_user((void (*)(long))(UCODE + (unsigned long)(user_load - user_page)), 0x50000008L));
        report("touch2_user_page_fault_trap", before, old);
        break;
    case 3:     /* an illegal instruction in S-mode, to a vector there */
        vector_at(3, 0xf000);
        csr_write(stvec, r + 0xf000);
        __asm__ volatile(".option push\n.option norvc\n.word 0xffffffff\n.option pop" ::: "memory");
        report("touch3_illegal_instruction", before, old);
        break;
    case 4: {   /* a timer interrupt, to a vectored table there (cause 5 slot) */
        vector_at(4, 0x3000 + 4 * IRQ_STI);
        csr_write(stvec, (r + 0x3000) | 1);
        csr_set(sie, 1UL << IRQ_STI);
        sbi_set_timer(csr_read(time) + 1000);
        csr_set(sstatus, SSTATUS_SIE);
        for (unsigned long i = 0; i < 100000000UL && last_trap.count == before; i++)
            __asm__ volatile("nop");
        csr_clear(sstatus, SSTATUS_SIE);
        sbi_set_timer(~0UL);
        csr_clear(sie, 1UL << IRQ_STI);
        report("touch4_timer_interrupt", before, old);
        break;
    }
    case 5: {   /* the trap handler's first push onto a stack there */
        unsigned long sp = ebreak_on_stack(r + 0x4000);
        gprintf("case touch5_trap_on_stack: traps=%d scause=%lu sp_back=%s saved_ra=%s\n",
                last_trap.count - before, (unsigned long)last_trap.scause,
                sp == r + 0x4000 ? "yes" : "no",
                *(volatile unsigned long *)(r + 0x4000 - 144) ==
                *(volatile unsigned long *)PA(5, r + 0x4000 - 144) ? "consistent" : "OTHER");
        break;
    }
    case 6: {   /* a compressed sp-relative store */
        __asm__ volatile(".option push\n.option rvc\n"
                         "mv t1, sp\n"
                         "mv sp, %0\n"
                         "c.sdsp %1, 8(sp)\n"
                         "mv sp, t1\n"
                         ".option pop" :: "r"(r + 0x6000), "r"(0x66UL) : "t1", "memory");
        gprintf("case touch6_c_sdsp: 0x%lx\n", *(volatile unsigned long *)PA(6, r + 0x6008));
        break;
    }
    }
}

int guest_main(void)
{
    gprintf("=== begin: fp_chase_traps ===\n");
    gprintf("case image_below_data: %s\n", (unsigned long)guest_end < DATA ? "yes" : "no");
    root = pt_alloc();
    pt_map_identity(root, guest_levels());
    pt_map(root, guest_levels(), UCODE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
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
        gprintf("case region%d: inconsistent=%lu\n", k, inconsistent(k));
        /* The first touch met the first portion: it moved to an unused place. */
        fp_expect_n("touching place", k, &counts, FP_ONE_CONFLICT_TO_UNUSED);
    }
    unsigned long bad = 0;
    for (int k = 0; k < NREGIONS; k++) if (region_fits(k))
        bad += inconsistent(k);
    gprintf("case all_regions: inconsistent=%lu\n", bad);
    fp_expect("the chase", &counts, FP_NOTHING);
    satp_switch(0);
    return failures;
}
