/* Exceptions and the sstatus state machine around them (privileged spec
 * 4.1.1, 3.3.2): ebreak in S-mode, traps taken from U-mode (entered with
 * sret, SPP=0), privileged instructions in U-mode, and sret itself. */
#include "../lib/guest.h"

#define SHOWN (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP)

extern char ebreak_insn[], sret_target[], sret_target2[];

static void ebreak_cases(void)
{
    int before = last_trap.count;
    __asm__ volatile(".globl ebreak_insn\nebreak_insn: ebreak" ::: "memory");
    CHECK(last_trap.count == before + 1);
    gprintf("case ebreak_scause: %lu\n", (unsigned long)last_trap.scause);
    gprintf("case ebreak_sepc: %s\n", last_trap.sepc == (uint64_t)ebreak_insn ? "at ebreak" : "other");
    gprintf("case ebreak_stval: 0x%lx\n", (unsigned long)last_trap.stval);

    /* No interrupt is enabled in sie, so SIE=1 takes nothing. */
    csr_write(sie, 0);
    csr_clear(sstatus, SHOWN);
    csr_set(sstatus, SSTATUS_SIE);
    __asm__ volatile("ebreak" ::: "memory");
    unsigned long after = csr_read(sstatus);
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case trap_entry_sie1: 0x%lx\n", (unsigned long)last_trap.sstatus & SHOWN);
    gprintf("case after_sret_sie1: 0x%lx\n", after & SHOWN);

    csr_clear(sstatus, SHOWN);
    __asm__ volatile("ebreak" ::: "memory");
    after = csr_read(sstatus);
    gprintf("case trap_entry_sie0: 0x%lx\n", (unsigned long)last_trap.sstatus & SHOWN);
    gprintf("case after_sret_sie0: 0x%lx\n", after & SHOWN);
}

/* sret from S-mode to S-mode: SIE <- SPIE, SPIE <- 1, SPP <- U. */
static void sret_cases(void)
{
    csr_write(sie, 0);
    csr_clear(sstatus, SHOWN);
    csr_set(sstatus, SSTATUS_SPP | SSTATUS_SPIE);
    csr_write(sepc, (unsigned long)sret_target);
    unsigned long st;
    __asm__ volatile("sret\n.globl sret_target\nsret_target: csrr %0, sstatus" : "=r"(st) :: "memory");
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case sret_spie1_to_s: 0x%lx\n", st & SHOWN);

    csr_clear(sstatus, SHOWN);
    csr_set(sstatus, SSTATUS_SPP);
    csr_write(sepc, (unsigned long)sret_target2);
    __asm__ volatile("sret\n.globl sret_target2\nsret_target2: csrr %0, sstatus" : "=r"(st) :: "memory");
    gprintf("case sret_spie0_to_s: 0x%lx\n", st & SHOWN);
}

static volatile long user_value;

static void user_ecall(long arg)
{
    user_value = arg + 1;
    __asm__ volatile("li a7, 0x1234\necall" ::: "a7", "memory");
}
static void user_ebreak(long arg) { (void)arg; __asm__ volatile("ebreak" ::: "memory"); }
static void user_returns(long arg) { user_value = arg * 2; }
static void user_csr_sstatus(long arg) { (void)arg; (void)csr_read(sstatus); }
static void user_csr_sscratch(long arg) { (void)arg; csr_write(sscratch, 1); }
static void user_sret(long arg) { (void)arg; __asm__ volatile("sret" ::: "memory"); }
static void user_wfi(long arg) { (void)arg; __asm__ volatile("wfi" ::: "memory"); }
static void user_sfence(long arg) { (void)arg; __asm__ volatile("sfence.vma" ::: "memory"); }
static void user_illegal_zero(long arg) { (void)arg; __asm__ volatile(".word 0" ::: "memory"); }
static void user_read_cycle(long arg)
{
    (void)arg;
    user_value = csr_read(cycle) != 0;
}

static void user_report(const char *name, void (*fn)(long), long arg)
{
    long cause = run_user(fn, arg);
    gprintf("case user_%s: scause=%ld stval=0x%lx spp=%lu\n", name, cause,
            (unsigned long)last_trap.stval, (unsigned long)(last_trap.sstatus & SSTATUS_SPP) >> 8);
}

static void user_cases(void)
{
    long cause = run_user(user_ecall, 41);
    gprintf("case user_ecall_scause: %ld\n", cause);
    gprintf("case user_ecall_ran: %ld\n", user_value);
    gprintf("case user_ecall_spp: %lu\n", (unsigned long)(last_trap.sstatus & SSTATUS_SPP) >> 8);
    gprintf("case user_ecall_stval: 0x%lx\n", (unsigned long)last_trap.stval);

    cause = run_user(user_returns, 21);
    gprintf("case user_return_value: %ld\n", user_value);
    gprintf("case user_return_ecall_at_stub: %s scause=%ld\n",
            last_trap.sepc == (uint64_t)user_returned ? "yes" : "no", cause);

    user_report("ebreak", user_ebreak, 0);
    user_report("csrr_sstatus", user_csr_sstatus, 0);
    user_report("csrw_sscratch", user_csr_sscratch, 0);
    user_report("sret", user_sret, 0);
    user_report("wfi", user_wfi, 0);
    user_report("sfence_vma", user_sfence, 0);
    user_report("illegal_zero", user_illegal_zero, 0);

    /* Counters in U-mode need scounteren.CY (the firmware sets mcounteren).
     * Not time: OpenSBI 1.1 emulates a U-mode time read whatever TM says. */
    unsigned long saved = csr_read(scounteren);
    csr_write(scounteren, 0);
    user_report("rdcycle_scounteren0", user_read_cycle, 0);
    csr_write(scounteren, 1);
    user_value = 0;
    cause = run_user(user_read_cycle, 0);
    gprintf("case user_rdcycle_scounteren_cy: scause=%ld read=%ld\n", cause, user_value);
    csr_write(scounteren, saved);

    /* SIE=1 in S-mode before entering U: the trap from U saves it in SPIE. */
    csr_write(sie, 0);
    csr_set(sstatus, SSTATUS_SIE);
    run_user(user_ebreak, 0);
    csr_clear(sstatus, SSTATUS_SIE);
    gprintf("case user_trap_entry_sie1: 0x%lx\n", (unsigned long)last_trap.sstatus & SHOWN);
}

int guest_main(void)
{
    gprintf("=== begin: traps ===\n");
    ebreak_cases();
    sret_cases();
    user_cases();
    return failures;
}
