/* Virtual U-mode entered as a small kernel enters its user mode (issue
 * 11.1): `csrw sstatus` (SPP = 0), `csrw sepc`, then `csrw sscratch, sp`
 * immediately followed by `sret` (user.S), which lodger's first portion
 * serves in one trap, chaining the four. Every trap taken in that user mode
 * must reach the guest's vector with its own scause and stval: a load of a
 * U|R page and a store to a U|RW page that succeed (the routine then
 * ecalls), a store to a read-only page, a jump to a non-executable page, a
 * load of a U=0 page, an ecall, rdtime and FP as the firmware left
 * scounteren and FS (the kernel never sets them). With satp = Bare, then with an Sv39 table;
 * each case once entered with the four chained and once with a nop after
 * the sepc write (sscratch trapping, the sret chained to it). */
#include "../lib/guest.h"
#define PT_POOL_PAGES 8
#include "../lib/pagetable.h"

long uenter(unsigned long pc, unsigned long arg, unsigned long sstatus);
long uenter_split(unsigned long pc, unsigned long arg, unsigned long sstatus);
extern volatile unsigned long utrap_rec[3];     /* scause, stval, sepc */
extern char user_page[], u_load[], u_store[], u_jump[], u_ecall[], u_time_fp[];
extern volatile unsigned long mailbox[];

/* Sv39: the user code page at UBASE, the mailbox after it, then data. */
#define UBASE 0x40000000UL
#define U_RO (UBASE + 0x2000)       /* U R */
#define U_RW (UBASE + 0x3000)       /* U R W */
#define S_RW (UBASE + 0x4000)       /* R W, U = 0 */
#define U_NX (UBASE + 0x5000)       /* U R W, not executable */

static unsigned long data[4][512] __attribute__((aligned(4096)));

struct mode {
    const char *name;
    unsigned long code;             /* where U-mode sees user_page */
    unsigned long ro, rw, s_rw, nx; /* 0: no such page in this mode */
};

static unsigned long upc(const struct mode *m, char *routine)
{
    return m->code + (unsigned long)(routine - user_page);
}

/* One U-mode run: prints scause, stval and where it trapped (sepc relative
 * to the user code page). */
static void run(const struct mode *m, const char *what, int split, char *routine,
                unsigned long arg, long want_cause, unsigned long want_tval)
{
    unsigned long s = (csr_read(sstatus) & ~(SSTATUS_SPP | SSTATUS_SIE)) | SSTATUS_SPIE;
    utrap_rec[0] = utrap_rec[1] = utrap_rec[2] = 0xdead;
    long cause = (split ? uenter_split : uenter)(upc(m, routine), arg, s);
    gprintf("case %s_%s%s: scause=%ld stval=0x%lx at=0x%lx\n", m->name, what,
            split ? "_split" : "", cause, (unsigned long)utrap_rec[1],
            (unsigned long)utrap_rec[2] - m->code);
    CHECK(cause == want_cause);
    CHECK(utrap_rec[1] == want_tval);
}

static void cases(const struct mode *m)
{
    for (int split = 0; split < 2; split++) {
        unsigned long ro = m->ro ? m->ro : (unsigned long)data[0];
        unsigned long rw = m->rw ? m->rw : (unsigned long)data[1];
        data[0][1] = 0x10ad0000UL + (unsigned long)split;
        mailbox[0] = 0;
        run(m, "load_user_page", split, u_load, ro + 8, 8, 0);
        gprintf("case %s_load_value%s: 0x%lx\n", m->name, split ? "_split" : "", mailbox[0]);
        CHECK(mailbox[0] == data[0][1]);
        mailbox[1] = 0x5704e000UL + (unsigned long)split;
        run(m, "store_user_page", split, u_store, rw + 16, 8, 0);
        gprintf("case %s_stored%s: 0x%lx\n", m->name, split ? "_split" : "", data[1][2]);
        CHECK(data[1][2] == mailbox[1]);
        run(m, "ecall", split, u_ecall, 0, 8, 0);
        /* As the firmware left scounteren (7) and FS (Dirty, kept in the
         * sstatus written): U-mode reads time and uses FP. */
        mailbox[0] = 0;
        run(m, "time_and_fp", split, u_time_fp, 0x3ff8000000000000UL, 8, 0);
        gprintf("case %s_fp_result%s: 0x%lx\n", m->name, split ? "_split" : "", mailbox[0]);
        CHECK(mailbox[0] == 0x4008000000000000UL);
        if (m->ro) {
            data[0][3] = 0x0123;
            run(m, "store_read_only", split, u_store, m->ro + 24, 15, m->ro + 24);
            CHECK(data[0][3] == 0x0123);
        }
        if (m->nx)
            run(m, "jump_not_executable", split, u_jump, m->nx + 0x40, 12, m->nx + 0x40);
        if (m->s_rw)
            run(m, "load_supervisor_page", split, u_load, m->s_rw, 13, m->s_rw);
    }
}

int guest_main(void)
{
    gprintf("=== begin: user_entry_sret ===\n");
    /* satp = Bare: U-mode sees guest-physical memory as it is. */
    struct mode bare = { "bare", (unsigned long)user_page, 0, 0, 0, 0 };
    cases(&bare);

    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, UBASE, (unsigned long)user_page, PAGE, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
    pt_map(root, 3, UBASE + PAGE, (unsigned long)mailbox, PAGE, PTE_RW | PTE_U);
    pt_map(root, 3, U_RO, (unsigned long)data[0], PAGE, PTE_V | PTE_R | PTE_U | PTE_A);
    pt_map(root, 3, U_RW, (unsigned long)data[1], PAGE, PTE_RW | PTE_U);
    pt_map(root, 3, S_RW, (unsigned long)data[2], PAGE, PTE_RW);
    pt_map(root, 3, U_NX, (unsigned long)data[3], PAGE, PTE_RW | PTE_U);
    unsigned long satp = satp_of(root, 3, 0);
    satp_switch(satp);
    gprintf("case sv39: %s\n", csr_read(satp) == satp ? "as written" : "not supported");
    if (csr_read(satp) != satp)
        return failures + 1;
    struct mode sv39 = { "sv39", UBASE, U_RO, U_RW, S_RW, U_NX };
    cases(&sv39);
    satp_switch(0);
    return failures;
}
