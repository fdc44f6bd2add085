/* Issue 15, fork under patched code: a guest 2 MiB leaf that holds a
 * patched copy is shadowed through one table of 512 leaves that every
 * address space's shadow links (core/shadow.h, struct shadow_block). The
 * guest must not be able to tell: many address spaces (24, each its own
 * ASID, switched without fences: with 16 cached shadows lodger evicted
 * them, with 32 each keeps its shadow and its links to the tables) share
 * one global 2 MiB kernel mapping of patched code, as Linux's processes
 * share its text; the guest then changes that global mapping (another
 * block, no execute, back), each time with one sfence.vma of the address
 * for every ASID, and rewrites the code through another mapping (fence.i
 * only): every address space runs, reads and faults as the change says. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"
#include "../lib/counters.h"

extern char blk_page[], blk_page_end[], blk_loop[], blk_value[];
extern unsigned long blk_fault_return(void);

#define SPACES 24                       /* under lodger's 32 cached shadows: each keeps its links */
#define LOOPS 600
#define KVA_HIGH 0xffffffc000000000UL   /* Sv39's upper half, as Linux's text */
#define KVA_LOW 0xc0000000UL            /* the upper half of the guest's other code */
#define OFFSET 0x1f000UL                /* where the code page sits in each block */
#define OFFSET_B 0x3c000UL              /* and again: a copy that stays when the first goes */
#define BLOCK1 0x80800000UL             /* two 2 MiB blocks of RAM the image leaves free */
#define BLOCK2 0x80a00000UL
#define LEAF_RX (PTE_V | PTE_R | PTE_X | PTE_A | PTE_G)
#define LEAF_R (PTE_V | PTE_R | PTE_A | PTE_G)

static unsigned long *roots[SPACES], *kernel_l1, KVA;
static int levels = 3;

/* The addi's immediate (bits 31:20) as value, in the code at block + offset. */
static void set_value(unsigned long block, unsigned long offset, uint32_t value)
{
    volatile uint32_t *insn = (volatile uint32_t *)(block + offset + (blk_value - blk_page));
    *insn = (*insn & 0xfffff) | value << 20;
}

static void map_kernel_block(unsigned long pa, unsigned long flags)
{
    kernel_l1[(KVA >> 21) & 511] = PTE(pa, flags);
    sfence_va(KVA);     /* rs2 = x0: every address space (global mapping) */
}

static void switch_to(int i)
{
    __asm__ volatile("csrw satp, %0" :: "r"(satp_of(roots[i], levels, 1 + i)) : "memory");
}

/* Runs both loops from KVA in every address space, twice round (the
 * second time on shadows lodger has built), and reads the first's
 * constant there. */
static void run_everywhere(const char *what)
{
    unsigned long (*loop)(unsigned long) =
        (unsigned long (*)(unsigned long))(KVA + OFFSET + (blk_loop - blk_page));
    unsigned long (*loop_b)(unsigned long) =
        (unsigned long (*)(unsigned long))(KVA + OFFSET_B + (blk_loop - blk_page));
    const volatile uint32_t *word = (const volatile uint32_t *)(KVA + OFFSET + (blk_value - blk_page));
    unsigned long sums[8] = { 0 };
    int kinds = 0, counts[8] = { 0 }, faults = 0, fault_cause = -1;
    uint32_t words[8] = { 0 };
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < SPACES; i++) {
            switch_to(i);
            csr_write(sscratch, 3);
            int n = last_trap.count;
            /* A fault fetching the loop returns ~0 from it. */
            trap_resume_pc = (uint64_t)blk_fault_return;
            unsigned long sum = loop(LOOPS);
            trap_resume_pc = 0;
            if (sum == ~0UL) {
                faults += last_trap.count == n + 1;
                fault_cause = (int)last_trap.scause;
                continue;
            }
            sum = sum * 100000 + loop_b(LOOPS);
            uint32_t w = *word;
            int k = 0;
            while (k < kinds && (sums[k] != sum || words[k] != w))
                k++;
            if (k == kinds && kinds < 8) {
                sums[k] = sum;
                words[k] = w;
                kinds++;
            }
            counts[k]++;
        }
    }
    switch_to(0);
    gprintf("%s:", what);
    for (int k = 0; k < kinds; k++)
        gprintf(" %d spaces sums %lu, %lu (per loop %lu, %lu) word 0x%08x;", counts[k],
                sums[k] / 100000, sums[k] % 100000, sums[k] / 100000 / LOOPS,
                sums[k] % 100000 / LOOPS, (unsigned)words[k]);
    gprintf(" %d faults (scause %d)\n", faults, fault_cause);
}

static void series(unsigned long kva, const char *where);

int guest_main(void)
{
    gprintf("=== begin: patch_blocks ===\n");
    for (unsigned long p = 0; p < MEGA2; p += PAGE)     /* both blocks: zeroes, but the code */
        for (unsigned long b = BLOCK1; b <= BLOCK2; b += MEGA2)
            for (unsigned long o = 0; o < PAGE; o += 8)
                *(volatile unsigned long *)(b + p + o) = 0;
    for (unsigned long o = 0; o < (unsigned long)(blk_page_end - blk_page); o++)
        for (unsigned long b = BLOCK1; b <= BLOCK2; b += MEGA2) {
            ((volatile char *)b + OFFSET)[o] = blk_page[o];
            ((volatile char *)b + OFFSET_B)[o] = blk_page[o];
        }
    set_value(BLOCK2, OFFSET, 2);
    set_value(BLOCK2, OFFSET_B, 9);
    fence_i();
    for (int i = 0; i < SPACES; i++) {
        roots[i] = pt_alloc();
        pt_map_identity(roots[i], levels);
    }
    /* At a high address (lodger patches the sites of one upper half of
     * addresses at a time: it starts again with each satp switch), then
     * beside the guest's own code (its copies then last). */
    series(KVA_HIGH, "high");
    series(KVA_LOW, "low");
    unsigned long links = 0;
    if (under_lodger() && lodger_read(68, &links) && links == 0)
        CHECK(!"no shadow fill linked a block table");
    return failures;
}

static void series(unsigned long kva, const char *where)
{
    KVA = kva;
    gprintf("%s:\n", where);
    set_value(BLOCK1, OFFSET, 1);
    set_value(BLOCK1, OFFSET_B, 7);
    fence_i();
    kernel_l1 = pt_alloc();
    for (int i = 0; i < SPACES; i++)
        roots[i][(KVA >> 30) & 511] = PTE(kernel_l1, PTE_V);  /* shared, as Linux's kernel half */
    map_kernel_block(BLOCK1, LEAF_RX);
    __asm__ volatile("csrw satp, %0\nsfence.vma" :: "r"(satp_of(roots[0], levels, 1)) : "memory");
    run_everywhere("block 1");
    map_kernel_block(BLOCK2, LEAF_RX);
    run_everywhere("block 2");
    map_kernel_block(BLOCK1, LEAF_R);
    run_everywhere("block 1 not executable");
    map_kernel_block(BLOCK1, LEAF_RX);
    run_everywhere("block 1 again");
    /* Through the identity mapping, no sfence.vma: the first loop's copy
     * goes, the second's stays (its block still holds a copy). */
    set_value(BLOCK1, OFFSET, 5);
    fence_i();
    run_everywhere("block 1 rewritten");
    map_kernel_block(BLOCK2, LEAF_RX);
    run_everywhere("block 2 again");
    kernel_l1[(KVA >> 21) & 511] = 0;
    sfence_va(KVA);
    run_everywhere("unmapped");
    map_kernel_block(BLOCK1, LEAF_RX);
    run_everywhere("block 1 last");
    __asm__ volatile("csrw satp, zero\nsfence.vma" ::: "memory");
}
