/* Compiled to assembly only: turns struct layouts into constants for entry.S
 * (the Makefile extracts the "->NAME value" lines into offsets.inc). */
#include <stddef.h>
#include "first/frame.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" :: "i"(val))
#define FRAME_REG(n) DEFINE(FRAME_X##n, offsetof(struct trap_frame, x[n]))
#define HOST_REG(n) DEFINE(HOST_X##n, offsetof(struct host_regs, x[n]))

void offsets(void);
void offsets(void)
{
    FRAME_REG(1); FRAME_REG(2); FRAME_REG(3); FRAME_REG(4); FRAME_REG(5); FRAME_REG(6);
    FRAME_REG(7); FRAME_REG(8); FRAME_REG(9); FRAME_REG(10); FRAME_REG(11); FRAME_REG(12);
    FRAME_REG(13); FRAME_REG(14); FRAME_REG(15); FRAME_REG(16); FRAME_REG(17); FRAME_REG(18);
    FRAME_REG(19); FRAME_REG(20); FRAME_REG(21); FRAME_REG(22); FRAME_REG(23); FRAME_REG(24);
    FRAME_REG(25); FRAME_REG(26); FRAME_REG(27); FRAME_REG(28); FRAME_REG(29); FRAME_REG(30);
    FRAME_REG(31);
    DEFINE(FRAME_PC, offsetof(struct trap_frame, pc));
    DEFINE(FRAME_CAUSE, offsetof(struct trap_frame, cause));
    DEFINE(FRAME_TVAL, offsetof(struct trap_frame, tval));
    DEFINE(FRAME_STATUS, offsetof(struct trap_frame, status));
    DEFINE(FRAME_GUEST_SATP, offsetof(struct trap_frame, guest_satp));
    DEFINE(FRAME_HOST_SATP, offsetof(struct trap_frame, host_satp));
    DEFINE(FRAME_HOST_SP, offsetof(struct trap_frame, host_sp));
    DEFINE(FRAME_HOST_TP, offsetof(struct trap_frame, host_tp));
    DEFINE(FRAME_HOST_SCRATCH, offsetof(struct trap_frame, host_scratch));
    DEFINE(FRAME_HOST_TRAP, offsetof(struct trap_frame, host_trap));
    DEFINE(FRAME_HOST_FAULT, offsetof(struct trap_frame, host_fault));
    DEFINE(FRAME_FLUSH, offsetof(struct trap_frame, flush_on_switch));
    DEFINE(FRAME_X0, offsetof(struct trap_frame, x[0]));
    DEFINE(FRAME_SUM_SATP, offsetof(struct trap_frame, sum_satp));
    DEFINE(FRAME_USER_SATP, offsetof(struct trap_frame, user_satp));
    DEFINE(FRAME_CSR_STVEC, offsetof(struct trap_frame, csr.stvec));
    DEFINE(FRAME_CSR_SCOUNTEREN, offsetof(struct trap_frame, csr.scounteren));
    DEFINE(FAST_SRET, FAST_SRET);
    DEFINE(FAST_REFLECT, FAST_REFLECT);
    DEFINE(FAST_CHAINED, FAST_CHAINED);
    DEFINE(FAST_CHAIN_MAX, FAST_CHAIN_MAX);
    DEFINE(FRAME_NESTED_T1, offsetof(struct trap_frame, nested_t1));
    DEFINE(FAST_PAGE_FAULT, FAST_PAGE_FAULT);
    DEFINE(FRAME_WINDOW_VA, offsetof(struct trap_frame, window_va));
    DEFINE(FRAME_RAM_GPA, offsetof(struct trap_frame, ram_gpa));
    DEFINE(FRAME_RAM_SIZE, offsetof(struct trap_frame, ram_size));
    DEFINE(FRAME_CSR_SATP, offsetof(struct trap_frame, csr.satp));
    DEFINE(FRAME_VMODE, offsetof(struct trap_frame, vmode));
    DEFINE(FRAME_FAST_HITS, offsetof(struct trap_frame, fast_hits));
    DEFINE(FRAME_CSR_SSTATUS, offsetof(struct trap_frame, csr.sstatus));
    DEFINE(FRAME_CSR_SIE, offsetof(struct trap_frame, csr.sie));
    DEFINE(FRAME_CSR_SIP, offsetof(struct trap_frame, csr.sip));
    DEFINE(FRAME_CSR_SSCRATCH, offsetof(struct trap_frame, csr.sscratch));
    DEFINE(FRAME_CSR_SEPC, offsetof(struct trap_frame, csr.sepc));
    DEFINE(FRAME_CSR_SCAUSE, offsetof(struct trap_frame, csr.scause));
    DEFINE(FRAME_CSR_STVAL, offsetof(struct trap_frame, csr.stval));
    DEFINE(FAST_SSTATUS, FAST_SSTATUS);
    DEFINE(FAST_SIE, FAST_SIE);
    DEFINE(FAST_SIP, FAST_SIP);
    DEFINE(FAST_SSCRATCH, FAST_SSCRATCH);
    DEFINE(FAST_SEPC, FAST_SEPC);
    DEFINE(FAST_SCAUSE, FAST_SCAUSE);
    DEFINE(FAST_STVAL, FAST_STVAL);
    DEFINE(SSTATUS_FAST_WRITABLE, FAST_SSTATUS_WRITABLE);
    DEFINE(SSTATUS_FAST_SLOW, FAST_SSTATUS_SLOW);
    DEFINE(FRAME_PATCH_LEARN, offsetof(struct trap_frame, patch_learn));
    DEFINE(FRAME_SITE_HIGH, offsetof(struct trap_frame, site_high));
    DEFINE(FRAME_SITES_OFF, offsetof(struct trap_frame, sites));
    DEFINE(FRAME_SITES_COUNT, FRAME_SITES);
    DEFINE(FRAME_SITE_REF, offsetof(struct trap_frame, site_ref));
    DEFINE(FRAME_SITE_PROBES, FRAME_SITE_PROBES);
    DEFINE(FRAME_SITE_RUN, FRAME_SITE_RUN);
    DEFINE(FRAME_SITE_REFERENCED, FRAME_SITE_REFERENCED);
    DEFINE(PATCH_LEARN_PERIOD, PATCH_LEARN_PERIOD);
    DEFINE(PATCH_EBREAK, PATCH_EBREAK);
    DEFINE(FAST_PATCHED, FAST_PATCHED);
    DEFINE(FAST_LANE, FAST_LANE);
    DEFINE(SIE_CLEAR_INSN, SIE_CLEAR_INSN);
    DEFINE(SIE_SET_INSN, SIE_SET_INSN);
    DEFINE(FRAME_SIZE, sizeof(struct trap_frame));
    DEFINE(FRAME_CHECK_ENTRY, FRAME_CHECK_OFFSET + offsetof(struct fast_check_area, entry));
    DEFINE(FRAME_CHECK_SERVED, FRAME_CHECK_OFFSET + offsetof(struct fast_check_area, served));
    HOST_REG(1); HOST_REG(2); HOST_REG(3); HOST_REG(4); HOST_REG(5); HOST_REG(6);
    HOST_REG(7); HOST_REG(8); HOST_REG(9); HOST_REG(10); HOST_REG(11); HOST_REG(12);
    HOST_REG(13); HOST_REG(14); HOST_REG(15); HOST_REG(16); HOST_REG(17); HOST_REG(18);
    HOST_REG(19); HOST_REG(20); HOST_REG(21); HOST_REG(22); HOST_REG(23); HOST_REG(24);
    HOST_REG(25); HOST_REG(26); HOST_REG(27); HOST_REG(28); HOST_REG(29); HOST_REG(30);
    HOST_REG(31);
    DEFINE(HOST_PC, offsetof(struct host_regs, pc));
    DEFINE(HOST_CAUSE, offsetof(struct host_regs, cause));
    DEFINE(HOST_TVAL, offsetof(struct host_regs, tval));
    DEFINE(HOST_STATUS, offsetof(struct host_regs, status));
    DEFINE(HOST_REGS_SIZE, (sizeof(struct host_regs) + 15) & ~15UL);
}
