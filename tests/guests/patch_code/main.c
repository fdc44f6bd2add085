/* Issue 15: lodger runs the guest kernel's hot code from execute-only
 * copies in which the instructions that trap (CSR accesses, sret, ...) are
 * ebreaks. The guest must not be able to tell: it reads its patched code
 * (through the same mapping, another one, and an execute-only one with
 * MXR) and sees its own bytes; it rewrites it through the same mapping and
 * through another and runs what it wrote; its own ebreaks beside patched
 * sites arrive as breakpoints with their own sepc; a patched CSR access
 * that is illegal raises an illegal instruction with its own bits in stval;
 * interrupts taken in a loop of patched sites point into the loop. Every
 * loop runs far more often than lodger needs to learn and patch its sites
 * (one trap in 64 is learned). */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern char patch_page[], patch_page_end[];
extern unsigned long csr_loop(unsigned long n);
extern char csr_loop_site[], csr_loop_end[];
extern unsigned long own_ebreaks(void);
extern char own_ebreak32[], own_ebreak16[];
extern unsigned long illegal_site(void);

#define LOOPS 2000
#define ALIAS_VA 0xc0000000UL       /* the code page again, RW (no X) */
#define XONLY_VA 0xc0001000UL       /* the code page again, X only */

static uint32_t word_at(const void *p)
{
    const volatile uint16_t *h = p;
    return h[0] | (uint32_t)h[1] << 16;
}

/* What the guest reads at its sites: its own instructions. */
static void print_code(const char *how, const char *base)
{
    uint32_t sum = 0;
    for (int i = 0; i < 7; i++)
        sum = sum * 31 + word_at(base + (csr_loop_site - patch_page) + 4 * i);
    gprintf("%s: site words 0x%08x 0x%08x 0x%08x hash 0x%08x\n", how,
            word_at(base + (csr_loop_site - patch_page)),
            word_at(base + (csr_loop_site - patch_page) + 4),
            word_at(base + (csr_loop_site - patch_page) + 8), sum);
}

static void run_loops(const char *name)
{
    csr_write(sscratch, 3);
    unsigned long sum = 0;
    for (int i = 0; i < 20; i++)
        sum += csr_loop(LOOPS / 20);
    gprintf("%s: loop sum %lu\n", name, sum - (unsigned long)LOOPS * csr_read(stvec));
}

static void own_breakpoints(void)
{
    csr_write(sscratch, 5);
    int before = last_trap.count, bad = 0;
    unsigned long sum = 0;
    for (int i = 0; i < LOOPS; i++) {
        int n = last_trap.count;
        sum += own_ebreaks();
        if (last_trap.count != n + 2 || last_trap.scause != 3 ||
            last_trap.sepc != (uint64_t)own_ebreak16)
            bad++;
    }
    gprintf("own ebreaks: %d breakpoints, %d calls wrong, sum %lu, last sepc %s\n",
            last_trap.count - before, bad, sum,
            last_trap.sepc == (uint64_t)own_ebreak16 ? "at c.ebreak" : "elsewhere");
}

static void illegal_sites(void)
{
    int before = last_trap.count, bad = 0;
    for (int i = 0; i < LOOPS; i++) {
        illegal_site();
        if (last_trap.scause != 2 || last_trap.sepc != (uint64_t)illegal_site ||
            last_trap.stval != word_at(illegal_site))
            bad++;
    }
    gprintf("illegal site: %d traps, %d wrong, stval 0x%lx\n", last_trap.count - before, bad,
            (unsigned long)last_trap.stval);
}

/* Timer interrupts while the loop of patched sites runs: each is taken
 * at an instruction of the loop (precise), and the loop's result is right. */
static void interrupts_in_loop(void)
{
    int taken = 0, inside = 0, misplaced = 0, wrong_sums = 0;
    csr_write(sscratch, 3);
    for (int i = 0; i < 20; i++) {
        int n = last_trap.count;
        csr_set(sie, SIP_STIP);
        sbi_set_timer(csr_read(time) + 2000 + 300 * i);
        csr_set(sstatus, SSTATUS_SIE);
        unsigned long sum = 0, rounds = 0;
        while (last_trap.count == n && rounds < 1000000) {
            sum += csr_loop(50);
            rounds++;
        }
        csr_clear(sstatus, SSTATUS_SIE);
        sbi_set_timer(~0UL);
        taken += last_trap.count == n + 1 && last_trap.scause == (CAUSE_INTERRUPT | IRQ_STI);
        uint64_t at = last_trap.sepc - (uint64_t)csr_loop;
        if (at < (uint64_t)(csr_loop_end - (char *)csr_loop)) {
            inside++;
            misplaced += at % 4 != 0;
        }
        wrong_sums += sum != rounds * 50 * (3 + csr_read(stvec));
    }
    gprintf("interrupts: %d of 20 taken, some in the loop: %s, misplaced %d, wrong sums %d\n",
            taken, inside ? "yes" : "no", misplaced, wrong_sums);
}

/* Rewrites the first site (csrr t0, sscratch) as li t0, 7 through the
 * mapping at base, runs it, and puts it back. */
static void rewrite(const char *how, char *base)
{
    volatile uint32_t *site = (volatile uint32_t *)(base + (csr_loop_site - patch_page));
    uint32_t old = *site;
    *site = 0x00700293;         /* addi t0, zero, 7 */
    fence_i();
    run_loops(how);
    print_code(how, patch_page);
    *site = old;
    fence_i();
    run_loops("restored");
    print_code("restored", patch_page);
}

int guest_main(void)
{
    gprintf("=== begin: patch_code ===\n");
    int levels = guest_levels();
    if (levels > 3)
        levels = 3;
    run_loops("bare");
    print_code("bare read", patch_page);
    own_breakpoints();
    illegal_sites();
    interrupts_in_loop();
    rewrite("bare rewrite", patch_page);

    /* Paging: the code also at an RW alias and an X-only alias. */
    unsigned long *root = pt_alloc();
    pt_map_identity(root, levels);
    pt_map(root, levels, ALIAS_VA, (unsigned long)patch_page, PAGE, PTE_RW);
    pt_map(root, levels, XONLY_VA, (unsigned long)patch_page, PAGE,
           PTE_V | PTE_X | PTE_A);
    satp_switch(satp_of(root, levels, 0));
    run_loops("paged");
    print_code("paged read", patch_page);
    print_code("alias read", (char *)ALIAS_VA);
    csr_set(sstatus, SSTATUS_MXR);
    print_code("x-only read with MXR", (char *)XONLY_VA);
    run_loops("paged with MXR");
    print_code("paged read with MXR", patch_page);
    csr_clear(sstatus, SSTATUS_MXR);
    int n = last_trap.count;
    trap_resume_pc = 0;
    (void)*(volatile uint32_t *)XONLY_VA;
    gprintf("x-only read without MXR: %d trap, scause %lu\n", last_trap.count - n,
            (unsigned long)last_trap.scause);
    own_breakpoints();
    illegal_sites();
    interrupts_in_loop();
    rewrite("same-mapping rewrite", patch_page);
    run_loops("paged again");
    rewrite("alias rewrite", (char *)ALIAS_VA);
    satp_switch(0);
    run_loops("bare again");
    return failures;
}
