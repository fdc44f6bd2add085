/* Issue 15 item 2: lodger patches the guest kernel's plain reads of
 * sscratch/sepc/scause/stval and writes of sscratch/scause/stval into loads
 * and stores of the vCPU's CSR slots, which it maps (for virtual S-mode
 * only) in the last page of the address space. The guest must not be able
 * to tell: every form reads and writes the CSRs as natively (sepc's bit 0
 * cleared, scause and stval holding any value), before and after its own
 * swaps, sets and sepc writes; U-mode cannot read that page (its fault as
 * natively, without and with paging); and when the guest kernel maps that
 * page itself, it reads and writes its own memory there, and the CSRs are
 * still right. Every loop runs far more often than lodger needs to learn
 * and patch its sites (one trap in 64). */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

extern char plain_page[], plain_page_end[];
extern unsigned long plain_loop(unsigned long n, unsigned long value);
extern char user_top_load[];

#define ROUNDS 3000
#define TOP_PAGE 0xfffffffffffff000UL
#define USER_VA 0x40000000UL
#define MEGA (2UL << 20)
#define TOP_MEGA (0UL - MEGA)               /* the last 2 MiB of the address space */
#define MEGA_PA 0x86000000UL                /* guest RAM the guest's data does not reach */        /* the code page again, for U-mode (U=1, RX) */

static unsigned long top_data[512] __attribute__((aligned(4096)));

static void loops(const char *name)
{
    unsigned long sum = 0;
    for (int i = 0; i < 10; i++)
        sum += plain_loop(ROUNDS / 10, 0x123456789abcdef0UL + (unsigned long)i * 0x1111);
    gprintf("%s: loop sum 0x%lx\n", name, sum);
    /* Each CSR's last value, as read through the second portion's path too
     * (a swap, a set of nothing). */
    plain_loop(1, 0x8000000000000ffeUL);
    unsigned long scratch = csr_read(sscratch), epc = csr_read(sepc);
    unsigned long cause, tval;
    __asm__ volatile("csrrs %0, scause, zero" : "=r"(cause));
    __asm__ volatile("csrrw %0, stval, %0" : "=r"(tval) : "0"(0x5aUL));
    gprintf("%s: sscratch 0x%lx sepc 0x%lx scause 0x%lx stval 0x%lx\n", name, scratch, epc,
            cause, tval);
    CHECK(cause == 0x8000000000000ffeUL && tval == (0x8000000000000ffeUL ^ 0x55));
}

static void user_load(const char *name, void (*fn)(long))
{
    long cause = run_user(fn, 0);
    gprintf("%s: U-mode load of the top page: scause %ld stval 0x%lx\n", name, cause,
            (unsigned long)last_trap.stval);
}

int guest_main(void)
{
    gprintf("=== begin: patch_plain ===\n");
    int levels = guest_levels();
    if (levels > 3)
        levels = 3;
    unsigned long *root = pt_alloc();
    pt_map_identity(root, levels);
    pt_map(root, levels, USER_VA, (unsigned long)plain_page, PAGE,
           PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    unsigned long satp = satp_of(root, levels, 0);

    /* Paging first: the sites are learned (and made trap-free) there. */
    satp_switch(satp);
    loops("paged");
    user_load("paged", (void (*)(long))(USER_VA + (user_top_load - plain_page)));
    /* The same code, the same sites, with translation off (where lodger
     * maps no CSR page: virtual U shares the shadow). */
    satp_switch(0);
    loops("bare");
    user_load("bare", (void (*)(long))user_top_load);
    satp_switch(satp);
    loops("paged again");

    /* A 2 MiB superpage over the top, made visible by a fence of another
     * of its pages: the fence covers the leaf, so every address under it
     * (privileged spec 4.2.1, SFENCE.VMA with rs1 naming one address),
     * the top page too. Its own data at the top, as natively. */
    volatile unsigned long *mtop = (volatile unsigned long *)TOP_PAGE;
    volatile unsigned long *mega_top = (volatile unsigned long *)(MEGA_PA + MEGA - PAGE);
    for (int i = 0; i < 512; i++)
        mega_top[i] = 0x2000 + (unsigned long)i;
    *pt_slot(root, levels, TOP_MEGA, 1) = PTE(MEGA_PA, PTE_RW);
    sfence_va(TOP_MEGA);
    gprintf("superpage: top page reads 0x%lx 0x%lx 0x%lx\n", mtop[0], mtop[508], mtop[511]);
    CHECK(mtop[0] == 0x2000 && mtop[511] == 0x2000 + 511);
    mtop[510] = 0x5a5a;
    loops("superpage");
    CHECK(mega_top[510] == 0x5a5a);
    *pt_slot(root, levels, TOP_MEGA, 1) = 0;
    sfence_va(TOP_MEGA);
    loops("superpage unmapped");

    /* The guest maps the top page itself: its own data there. */
    for (int i = 0; i < 512; i++)
        top_data[i] = 0x1000 + (unsigned long)i;
    pt_map(root, levels, TOP_PAGE, (unsigned long)top_data, PAGE, PTE_RW);
    sfence_va(TOP_PAGE);
    volatile unsigned long *top = (volatile unsigned long *)TOP_PAGE;
    gprintf("mapped: top page reads 0x%lx 0x%lx 0x%lx\n", top[0], top[508], top[511]);
    top[509] = 0xabcdef;
    loops("mapped");
    gprintf("mapped: own data 0x%lx 0x%lx 0x%lx 0x%lx\n", top_data[508], top_data[509],
            top_data[510], top_data[511]);
    CHECK(top_data[509] == 0xabcdef && top_data[511] == 0x1000 + 511);
    user_load("mapped", (void (*)(long))(USER_VA + (user_top_load - plain_page)));

    /* And unmapped again. */
    pt_map(root, levels, TOP_PAGE, 0, PAGE, 0);
    sfence_va(TOP_PAGE);
    loops("unmapped");

    satp_switch(0);
    loops("bare again");
    return failures;
}
