/* Host tests for src/core/trap.c with the SBI it dispatches to (src/sbi/
 * but firmware.c) and the vCPU state they change (vcpu_state.c):
 * each trap gives the result the top of the trap path acts on, TRAP_NEXT
 * (pc moves past the instruction), TRAP_REDIRECTED (a handler set pc) or
 * TRAP_EXIT (the VM ends or restarts, the vCPU stops; the reason in
 * v->exit), and no handler ends anything itself. What needs hardware or
 * the rest of lodger (guest memory walks, shadows, the scheduler, the
 * console) is faked in fake_vcpu.c, shared with tests/fuzz/fuzz_trap.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/trap.h"
#include "sbi/sbi.h"
#include "fake_vcpu.h"
#include "core/plain_csr.h"

#define RAM_GPA VM_RAM_BASE
#define RAM_SIZE 0x100000UL
#define GUEST_STVEC 0x80001000UL
#define ECALL_PC 0x80002000UL

static struct vm vm;
static struct trap_frame frames[2];
static uint8_t ram[RAM_SIZE];

/* Two vCPUs, both running in virtual S with translation off. */
static int setup(void **state)
{
    (void)state;
    fake_vm_init(&vm, frames, 2, RAM_SIZE);
    for (int i = 0; i < 2; i++)
        vm.vcpus[i].csr->stvec = GUEST_STVEC;
    fake_reset(ram);
    return 0;
}

/* An ecall from virtual S at ECALL_PC with a7 = eid, a6 = fid, a0..a2. */
static enum trap_result ecall(struct vcpu *v, unsigned long eid, unsigned long fid,
                              unsigned long a0, unsigned long a1, unsigned long a2,
                              struct trap *t)
{
    v->frame->pc = ECALL_PC;
    v->frame->x[17] = eid;
    v->frame->x[16] = fid;
    v->frame->x[10] = a0;
    v->frame->x[11] = a1;
    v->frame->x[12] = a2;
    *t = (struct trap){ .cause = CAUSE_USER_ECALL, .epc = ECALL_PC, .insn_length = 4 };
    return trap_dispatch(v, t);
}

/* A CSR access from virtual S is emulated: pc moves on (TRAP_NEXT). */
static void test_csr_access_next(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    v->csr->sscratch = 0x1234;
    v->frame->x[11] = 0x5678;
    /* csrrw a0, sscratch, a1 */
    uint32_t insn = (CSR_SSCRATCH << 20) | (11 << 15) | (1 << 12) | (10 << 7) | 0x73;
    struct trap t = { .cause = CAUSE_ILLEGAL_INSTRUCTION, .tval = insn, .epc = ECALL_PC,
                      .insn_length = 4 };
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(t.insn_length, 4);
    assert_int_equal(v->frame->x[10], 0x1234);
    assert_int_equal(v->csr->sscratch, 0x5678);
}

/* A trap-free site's load or store that faults (its shadow lacks the
 * plain CSRs) is served as the CSR access it stands for: pc moves on by 4;
 * the same fault elsewhere, or of another address, is a page fault as
 * before. */
static void test_plain_site_fault_served(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    v->csr->scause = 0x77;
    v->csr->stval = 0x99;
    v->frame->x[12] = 0x4242;
    uint32_t read = (CSR_SCAUSE << 20) | (2 << 12) | (10 << 7) | 0x73;     /* csrr a0, scause */
    fake.plain_pc = ECALL_PC;
    fake.plain_insn = read;
    struct trap t = { .cause = CAUSE_LOAD_PAGE_FAULT, .tval = plain_csr_address(read),
                      .epc = ECALL_PC };
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(t.insn_length, 4);
    assert_int_equal(v->frame->x[10], 0x77);
    uint32_t write = (CSR_STVAL << 20) | (12 << 15) | (1 << 12) | 0x73;   /* csrw stval, a2 */
    fake.plain_insn = write;
    t = (struct trap){ .cause = CAUSE_STORE_PAGE_FAULT, .tval = plain_csr_address(write),
                       .epc = ECALL_PC };
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(v->csr->stval, 0x4242);
    /* Not the site's slot: the page fault goes to the shadow fill. */
    fake.fill_result = SHADOW_GUEST_FAULT;
    fake.fill_cause = CAUSE_STORE_PAGE_FAULT;
    t = (struct trap){ .cause = CAUSE_STORE_PAGE_FAULT, .tval = plain_csr_address(read),
                       .epc = ECALL_PC };
    assert_int_equal(trap_dispatch(v, &t), TRAP_REDIRECTED);
    assert_int_equal(v->csr->scause, CAUSE_STORE_PAGE_FAULT);
    fake.plain_insn = 0;
}

/* An SBI call that returns: a0/a1 written, TRAP_NEXT. */
static void test_sbi_status_next(void **state)
{
    (void)state;
    struct trap t;
    assert_int_equal(ecall(&vm.vcpus[0], SBI_EXT_HSM, SBI_HSM_HART_STATUS, 1, 0, 0, &t), TRAP_NEXT);
    assert_int_equal(vm.vcpus[0].frame->x[10], SBI_SUCCESS);
    assert_int_equal(vm.vcpus[0].frame->x[11], SBI_HSM_STATE_STARTED);
}

/* SBI 9.4: a non-retentive suspend resumes at resume_addr with a0 =
 * hartid, a1 = opaque, satp = 0, SIE = 0: the handler set pc, so the
 * result is TRAP_REDIRECTED (pc must not move past the ecall) and the
 * registers are not overwritten with an sbiret. Meanwhile other harts see
 * the hart SUSPENDED. */
static void test_non_retentive_suspend_redirects(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[1];
    v->csr->satp = 8UL << 60 | 0x80010;
    v->csr->sstatus |= SSTATUS_SIE;
    struct trap t;
    uint64_t resume = RAM_GPA + 0x4000;
    assert_int_equal(ecall(v, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x80000000UL, resume, 0xabcd, &t),
                     TRAP_REDIRECTED);
    assert_int_equal(v->frame->pc, resume);
    assert_int_equal(v->frame->x[10], 1);
    assert_int_equal(v->frame->x[11], 0xabcd);
    assert_int_equal(v->csr->satp, 0);
    assert_int_equal(v->csr->sstatus & SSTATUS_SIE, 0);
    assert_int_equal(v->mode, VMODE_S);
    assert_true(v->waiting);
    assert_int_equal(ecall(&vm.vcpus[0], SBI_EXT_HSM, SBI_HSM_HART_STATUS, 1, 0, 0, &t), TRAP_NEXT);
    assert_int_equal(vm.vcpus[0].frame->x[11], SBI_HSM_STATE_SUSPENDED);
}

/* A retentive suspend returns SUCCESS after the wait: TRAP_NEXT. */
static void test_retentive_suspend_next(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[1];
    struct trap t;
    assert_int_equal(ecall(v, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0, 0, 0, &t), TRAP_NEXT);
    assert_int_equal(v->frame->x[10], SBI_SUCCESS);
    assert_true(v->waiting);
    assert_true(v->suspended);
}

/* Table 9.4: reserved types INVALID_PARAM, platform-specific ones
 * NOT_SUPPORTED (after the resume address check for non-retentive ones),
 * a bad resume address INVALID_ADDRESS; none of them waits. */
static void test_suspend_errors(void **state)
{
    (void)state;
    static const struct { unsigned long type, addr; long error; } cases[] = {
        { 0x00000001, 0, SBI_ERR_INVALID_PARAM },
        { 0x0fffffff, 0, SBI_ERR_INVALID_PARAM },
        { 0x80000001, RAM_GPA, SBI_ERR_INVALID_PARAM },
        { 0x8fffffff, RAM_GPA, SBI_ERR_INVALID_PARAM },
        { 0x100000001UL, 0, SBI_ERR_INVALID_PARAM },    /* a uint32: type 1 */
        { 0x10000000, 0, SBI_ERR_NOT_SUPPORTED },
        { 0x7fffffff, 0, SBI_ERR_NOT_SUPPORTED },
        { 0x90000000, RAM_GPA, SBI_ERR_NOT_SUPPORTED },
        { 0xffffffff, RAM_GPA, SBI_ERR_NOT_SUPPORTED },
        { 0x90000000, 0x1000, SBI_ERR_INVALID_ADDRESS },
        { 0x80000000, 0x1000, SBI_ERR_INVALID_ADDRESS },
        { 0x80000000, RAM_GPA + RAM_SIZE - 2, SBI_ERR_INVALID_ADDRESS },
    };
    struct vcpu *v = &vm.vcpus[1];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trap t;
        assert_int_equal(ecall(v, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, cases[i].type, cases[i].addr,
                               0, &t), TRAP_NEXT);
        assert_int_equal((long)v->frame->x[10], cases[i].error);
        assert_false(v->waiting);
        assert_false(v->suspended);
    }
}

/* hart_stop: TRAP_EXIT with the reason "stop", the vCPU still as it was
 * (the top stops it, holding no lock). */
static void test_hart_stop_exits(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[1];
    struct trap t;
    assert_int_equal(ecall(v, SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_STOP);
    assert_int_equal(v->state, VCPU_RUNNING);
}

/* SBI SRST (10.1): shutdown, reboots and a system failure exit with their
 * reasons; a reserved type returns INVALID_PARAM. */
static void test_srst_exits(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    struct trap t;
    assert_int_equal(ecall(v, SBI_EXT_SRST, 0, SBI_SRST_RESET_TYPE_SHUTDOWN, 0, 0, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_END_VM);
    assert_false(v->exit.failed);
    assert_string_equal(v->exit.why, "guest shutdown (no reason)");
    assert_int_equal(ecall(v, SBI_EXT_SRST, 0, SBI_SRST_RESET_TYPE_COLD_REBOOT, 0, 0, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_REBOOT);
    assert_int_equal(ecall(v, SBI_EXT_SRST, 0, SBI_SRST_RESET_TYPE_WARM_REBOOT,
                           SBI_SRST_RESET_REASON_SYSFAIL, 0, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_END_VM);
    assert_true(v->exit.failed);
    v->frame->x[10] = 0;
    assert_int_equal(ecall(v, SBI_EXT_SRST, 0, 3, 0, 0, &t), TRAP_NEXT);
    assert_int_equal((long)v->frame->x[10], SBI_ERR_INVALID_PARAM);
}

/* The legacy shutdown (SBI 5.7) exits too. */
static void test_legacy_shutdown_exits(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    struct trap t;
    assert_int_equal(ecall(v, SBI_EXT_0_1_SHUTDOWN, 0, 0, 0, 0, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_END_VM);
    assert_false(v->exit.failed);
}

/* A guest-user ecall is delivered to the guest kernel: TRAP_REDIRECTED. */
static void test_user_ecall_redirects(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    v->mode = VMODE_U;
    struct trap t;
    assert_int_equal(ecall(v, SBI_EXT_SRST, 0, SBI_SRST_RESET_TYPE_SHUTDOWN, 0, 0, &t),
                     TRAP_REDIRECTED);
    assert_int_equal(v->frame->pc, GUEST_STVEC);
    assert_int_equal(v->csr->sepc, ECALL_PC);
    assert_int_equal(v->csr->scause, CAUSE_USER_ECALL);
    assert_int_equal(v->mode, VMODE_S);
    assert_int_equal(v->exit.kind, VCPU_EXIT_NONE);
}

/* What lodger cannot serve ends the VM through the top: an unknown cause,
 * an unexpected host interrupt, a shadow fill out of memory. Host timer,
 * software and external interrupts are acknowledged and the guest retried. */
static void test_unexpected_exits(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    struct trap t = { .cause = 10, .epc = ECALL_PC };
    assert_int_equal(trap_dispatch(v, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_END_VM);
    assert_true(v->exit.failed);
    assert_string_equal(v->exit.why, "unexpected trap cause 10 at 0x80002000");
    t = (struct trap){ .cause = CAUSE_INTERRUPT | 13 };     /* none lodger enables */
    assert_int_equal(trap_dispatch(v, &t), TRAP_EXIT);
    assert_int_equal(fake.acked_irq, -1);
    t = (struct trap){ .cause = CAUSE_INTERRUPT | IRQ_S_TIMER };
    assert_int_equal(trap_dispatch(v, &t), TRAP_RETRY);
    assert_int_equal(fake.acked_irq, IRQ_S_TIMER);
    /* The board's devices lodger drives (drivers/host_plic.c). */
    v->exit.kind = VCPU_EXIT_NONE;
    t = (struct trap){ .cause = CAUSE_INTERRUPT | IRQ_S_EXT };
    assert_int_equal(trap_dispatch(v, &t), TRAP_RETRY);
    assert_int_equal(fake.acked_irq, IRQ_S_EXT);
    fake.fill_result = SHADOW_NO_MEMORY;
    v->exit.kind = VCPU_EXIT_NONE;
    t = (struct trap){ .cause = CAUSE_LOAD_PAGE_FAULT, .tval = RAM_GPA, .epc = ECALL_PC };
    assert_int_equal(trap_dispatch(v, &t), TRAP_EXIT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_END_VM);
    fake.fill_result = SHADOW_FILLED;
    assert_int_equal(trap_dispatch(v, &t), TRAP_RETRY);
}

/* SBI 5.5: legacy send_ipi reads its hart mask from the caller's memory
 * and raises SSIP on exactly those harts; a mask naming a hart the VM
 * lacks is INVALID_PARAM with none raised; a mask lodger cannot read
 * faults as the guest's own load would, at the ecall (the ipi and legacy
 * extensions on the shared fakes). */
static void test_legacy_send_ipi_mask(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    struct trap t;
    uint64_t mask = 2;
    memcpy(ram + 0x100, &mask, 8);
    assert_int_equal(ecall(v, SBI_EXT_0_1_SEND_IPI, 0, RAM_GPA + 0x100, 0x77, 0, &t), TRAP_NEXT);
    assert_int_equal(v->frame->x[10], SBI_SUCCESS);
    assert_int_equal(v->frame->x[11], 0x77);       /* a1 left alone (SBI 5) */
    assert_int_equal(fake.raised, 2);
    assert_true(vm.vcpus[1].csr->sip & SIP_SSIP);
    fake.raised = 0;
    mask = 5;
    memcpy(ram + 0x100, &mask, 8);
    assert_int_equal(ecall(v, SBI_EXT_0_1_SEND_IPI, 0, RAM_GPA + 0x100, 0, 0, &t), TRAP_NEXT);
    assert_int_equal((long)v->frame->x[10], SBI_ERR_INVALID_PARAM);
    assert_int_equal(fake.raised, 0);
    assert_int_equal(ecall(v, SBI_EXT_0_1_SEND_IPI, 0, RAM_GPA + RAM_SIZE - 4, 0, 0, &t),
                     TRAP_REDIRECTED);
    assert_int_equal(v->csr->scause, CAUSE_LOAD_ACCESS);
    assert_int_equal(v->csr->stval, RAM_GPA + RAM_SIZE);    /* the bytes past RAM */
    assert_int_equal(v->csr->sepc, ECALL_PC);
    assert_int_equal(fake.raised, 0);
}

/* sfence.vma of a page (issue 15): the shadows drop it, then the vCPU's
 * own address space gets the new translation (shadow_refill_page, after
 * the flush of the same page and ASID); an address not valid for the mode
 * reaches neither; a remote fence (SBI) refills nothing. */
static void test_sfence_page_refills(void **state)
{
    (void)state;
    struct vcpu *v = &vm.vcpus[0];
    v->csr->satp = SATP_MODE_SV39 << SATP_MODE_SHIFT | (uint64_t)(RAM_GPA >> 12);
    v->frame->x[11] = 0x40001000;
    v->frame->x[12] = 7;
    /* sfence.vma a1, a2 */
    uint32_t insn = (0x09u << 25) | (12 << 20) | (11 << 15) | 0x73;
    struct trap t = { .cause = CAUSE_ILLEGAL_INSTRUCTION, .tval = insn, .epc = ECALL_PC,
                      .insn_length = 4 };
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(fake.flush_pages, 1);
    assert_int_equal(fake.refill_pages, 1);
    assert_int_equal(fake.refills_after_flush, 1);
    /* Not canonical for Sv39: no effect at all. */
    v->frame->x[11] = 0x0000800000000000UL;
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(fake.flush_pages, 1);
    assert_int_equal(fake.refill_pages, 1);
    /* SBI remote sfence.vma of one page for vCPU 1 (hart mask 2, base 0). */
    v->frame->x[13] = 0x1000;
    assert_int_equal(ecall(v, SBI_EXT_RFENCE, 1, 2, 0, 0x40001000, &t), TRAP_NEXT);
    assert_int_equal((long)v->frame->x[10], SBI_SUCCESS);
    assert_int_equal(fake.flush_pages, 2);
    assert_int_equal(fake.refill_pages, 1);
}

/* The board's interrupt line into a vCPU (vm_external_line): SEIP follows
 * the level, only that vCPU's; a rising edge (only) kicks the hart that
 * holds it; a PLIC context past the VM's vCPUs reaches nothing. */
static void test_external_line(void **state)
{
    (void)state;
    vm_external_line(&vm, 1, true);
    assert_true(vm.vcpus[1].csr->sip & SIP_SEIP);
    assert_false(vm.vcpus[0].csr->sip & SIP_SEIP);
    assert_int_equal(fake.notified, 2);
    vm_external_line(&vm, 1, true);         /* still high: no second kick */
    assert_int_equal(fake.notifies, 1);
    vm.vcpus[1].csr->sip |= SIP_SSIP;
    vm_external_line(&vm, 1, false);
    assert_int_equal(vm.vcpus[1].csr->sip, SIP_SSIP);   /* the other bits stay */
    assert_int_equal(fake.notifies, 1);
    vm_external_line(&vm, 0, true);
    assert_int_equal(fake.notified, 3);
    vm_external_line(&vm, 2, true);
    vm_external_line(&vm, ~0u, true);
    assert_int_equal(fake.notifies, 2);
    assert_int_equal(fake.bad_targets, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_csr_access_next, setup),
        cmocka_unit_test_setup(test_plain_site_fault_served, setup),
        cmocka_unit_test_setup(test_sbi_status_next, setup),
        cmocka_unit_test_setup(test_non_retentive_suspend_redirects, setup),
        cmocka_unit_test_setup(test_retentive_suspend_next, setup),
        cmocka_unit_test_setup(test_suspend_errors, setup),
        cmocka_unit_test_setup(test_hart_stop_exits, setup),
        cmocka_unit_test_setup(test_srst_exits, setup),
        cmocka_unit_test_setup(test_legacy_shutdown_exits, setup),
        cmocka_unit_test_setup(test_user_ecall_redirects, setup),
        cmocka_unit_test_setup(test_unexpected_exits, setup),
        cmocka_unit_test_setup(test_legacy_send_ipi_mask, setup),
        cmocka_unit_test_setup(test_sfence_page_refills, setup),
        cmocka_unit_test_setup(test_external_line, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
