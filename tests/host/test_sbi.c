/* Host tests for the argument checks of the SBI extensions lodger offers
 * (src/sbi/), reached as a guest reaches them (an ecall through
 * trap_dispatch) on the fake vCPUs of fake_vcpu.c: Base (SBI spec ch. 4),
 * HSM (ch. 9), IPI and RFENCE (ch. 7, 8) with their hart masks (3.1:
 * hart_mask_base = -1 means every hart, the mask ignored; a mask naming a
 * hart the VM lacks is INVALID_PARAM). Every number a guest hands lodger is
 * hostile: a mask past the VM's vCPUs, a base that overflows with its
 * mask's bits, a start address outside RAM must neither reach a vCPU the
 * guest did not name nor anything outside vm->vcpus (fake.bad_targets). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/trap.h"
#include "sbi/sbi.h"
#include "fake_vcpu.h"

#define RAM_GPA VM_RAM_BASE
#define RAM_SIZE 0x100000UL
#define ECALL_PC 0x80002000UL
#define VCPUS 3
#define ALL_VCPUS ((1UL << VCPUS) - 1)
#define EVERY_HART ((unsigned long)-1)    /* hart_mask_base: every hart (SBI 3.1) */

static struct vm vm;
static struct trap_frame frames[VCPUS];
static uint8_t ram[RAM_SIZE];

/* Three vCPUs running in virtual S; the firmware identity the base
 * extension passes on. */
static int setup(void **state)
{
    (void)state;
    fake_vm_init(&vm, frames, VCPUS, RAM_SIZE);
    fake_reset(ram);
    firmware.mvendorid = 0x489;
    firmware.marchid = 0x8000000000000007UL;
    firmware.mimpid = 0x20181004;
    return 0;
}

/* An SBI call from vCPU 0 at ECALL_PC: a7 = eid, a6 = fid, a0..a4; it
 * must return to the guest past the ecall (TRAP_NEXT), with a0/a1. */
static struct sbiret sbi(unsigned long eid, unsigned long fid, unsigned long a0,
                         unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4)
{
    struct vcpu *v = &vm.vcpus[0];
    unsigned long args[5] = { a0, a1, a2, a3, a4 };
    v->frame->pc = ECALL_PC;
    v->frame->x[17] = eid;
    v->frame->x[16] = fid;
    for (int i = 0; i < 5; i++)
        v->frame->x[10 + i] = args[i];
    struct trap t = { .cause = CAUSE_USER_ECALL, .epc = ECALL_PC, .insn_length = 4 };
    assert_int_equal(trap_dispatch(v, &t), TRAP_NEXT);
    assert_int_equal(fake.bad_targets, 0);
    return (struct sbiret){ (long)v->frame->x[10], (long)v->frame->x[11] };
}

static struct sbiret send_ipi(unsigned long mask, unsigned long base)
{
    return sbi(SBI_EXT_IPI, 0, mask, base, 0, 0, 0);
}

/* Which vCPUs have SSIP pending (bit = vCPU id); clears them. */
static uint64_t take_ssip(void)
{
    uint64_t seen = 0;
    for (int i = 0; i < VCPUS; i++) {
        if (vm.vcpus[i].csr->sip & SIP_SSIP)
            seen |= 1UL << i;
        vm.vcpus[i].csr->sip &= ~SIP_SSIP;
    }
    return seen;
}

/* Base: the versions and identities, each function's a1; an unknown
 * function is NOT_SUPPORTED. */
static void test_base_identity(void **state)
{
    (void)state;
    struct sbiret r = sbi(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, 2L << 24);    /* 2.0: major in bits 30:24, minor below */
    r = sbi(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, SBI_IMPL_ID_LODGER);
    r = sbi(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0, 0, 0, 0);
    assert_int_equal(r.value, 0x489);
    r = sbi(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, 0, 0, 0);
    assert_int_equal((unsigned long)r.value, 0x8000000000000007UL);
    r = sbi(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0, 0, 0, 0);
    assert_int_equal(r.value, 0x20181004);
    r = sbi(SBI_EXT_BASE, 7, 0, 0, 0, 0, 0);
    assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
    r = sbi(SBI_EXT_BASE, (unsigned long)-1, 0, 0, 0, 0, 0);
    assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
}

/* Base probe_extension: 1 for each extension lodger serves, 0 for any
 * other EID, whatever the upper bits (SBI 4.8); a call to one of those is
 * NOT_SUPPORTED. */
static void test_base_probe(void **state)
{
    (void)state;
    static const unsigned long offered[] = {
        SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM, SBI_EXT_SRST,
        SBI_EXT_DBCN, SBI_EXT_LODGER, SBI_EXT_0_1_SET_TIMER, SBI_EXT_0_1_SEND_IPI,
        SBI_EXT_0_1_SHUTDOWN,
    };
    static const unsigned long absent[] = {
        SBI_EXT_0_1_SHUTDOWN + 1, 0xf, SBI_EXT_BASE + 1, 0x504D55 /* PMU */,
        0x53555350 /* SUSP */, 0x43505043 /* CPPC */, SBI_EXT_HSM | 1UL << 32,
        (unsigned long)-1,
    };
    for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
        struct sbiret r = sbi(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, offered[i], 0, 0, 0, 0);
        assert_int_equal(r.error, SBI_SUCCESS);
        assert_int_equal(r.value, 1);
    }
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        struct sbiret r = sbi(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, absent[i], 0, 0, 0, 0);
        assert_int_equal(r.error, SBI_SUCCESS);
        assert_int_equal(r.value, 0);
        r = sbi(absent[i], 0, 0, 0, 0, 0, 0);
        assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
    }
}

/* IPI: exactly the harts the mask names from its base; base -1 is every
 * hart whatever the mask. */
static void test_ipi_masks(void **state)
{
    (void)state;
    assert_int_equal(send_ipi(0x5, 0).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), 0x5);
    assert_int_equal(fake.raised, 0x5);
    fake.raised = 0;
    assert_int_equal(send_ipi(0x3, 1).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), 0x6);
    assert_int_equal(send_ipi(0x1, 2).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), 0x4);
    assert_int_equal(send_ipi(0, EVERY_HART).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), ALL_VCPUS);
    assert_int_equal(send_ipi(0x8000000000000000UL, EVERY_HART).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), ALL_VCPUS);
    /* An empty mask names no hart (as OpenSBI: success, nothing sent). */
    fake.raised = 0;
    assert_int_equal(send_ipi(0, 0).error, SBI_SUCCESS);
    assert_int_equal(send_ipi(0, 1UL << 40).error, SBI_SUCCESS);
    assert_int_equal(take_ssip(), 0);
    assert_int_equal(fake.raised, 0);
    assert_int_equal(sbi(SBI_EXT_IPI, 1, 0x1, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    assert_int_equal(take_ssip(), 0);
}

/* A mask naming any hart the VM lacks is INVALID_PARAM, and then no hart
 * at all is interrupted, the valid ones included: a bit past vcpu_count,
 * a base past it, and bases whose sum with a bit overflows (which must not
 * wrap around to vCPU 0). */
static void test_ipi_bad_masks(void **state)
{
    (void)state;
    static const unsigned long bad[][2] = {
        { 1UL << VCPUS, 0 },                        /* one past the last vCPU */
        { ALL_VCPUS | 1UL << VCPUS, 0 },            /* valid ones and one past */
        { 0x3, VCPUS - 1 },                         /* the second bit is past */
        { 0x1, VCPUS },
        { 0x1, VM_MAX_VCPUS },
        { 1UL << 63, 0 },
        { 0x1, (unsigned long)-2 },                 /* not -1: hart 2^64-2 */
        { 0x4, (unsigned long)-2 },                 /* -2 + 2 wraps to vCPU 0 */
        { 0x3, (unsigned long)-2 },                 /* -2 + 1 is -1, no "every hart" */
        { 1UL << 63, 1UL << 63 },                   /* 2^63 + 2^63 wraps to 0 */
        { 0x1, 1UL << 32 },                         /* a hart id above 32 bits */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fake.raised = 0;
        assert_int_equal(send_ipi(bad[i][0], bad[i][1]).error, SBI_ERR_INVALID_PARAM);
        assert_int_equal(take_ssip(), 0);
        assert_int_equal(fake.raised, 0);
    }
}

/* RFENCE: fence.i and sfence.vma ask exactly the named harts (request
 * bits), the same masks checks; a bad mask asks none. */
static void test_rfence_masks(void **state)
{
    (void)state;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 0, 0x6, 0, 0, 0, 0).error, SBI_SUCCESS);
    assert_int_equal(fake.requested, 0x6);
    fake.requested = 0;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 0, 0, EVERY_HART, 0, 0, 0).error, SBI_SUCCESS);
    assert_int_equal(fake.requested, ALL_VCPUS);
    fake.requested = 0;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0x1, 1, 0, (unsigned long)-1, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.requested, 0x2);
    fake.requested = 0;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 2, 0x1, 2, 0, (unsigned long)-1, 5).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.requested, 0x4);
    for (unsigned long fid = 0; fid <= 2; fid++) {
        fake.requested = 0;
        assert_int_equal(sbi(SBI_EXT_RFENCE, fid, 0x3, VCPUS - 1, 0, 4096, 0).error,
                         SBI_ERR_INVALID_PARAM);
        assert_int_equal(sbi(SBI_EXT_RFENCE, fid, 0x4, (unsigned long)-2, 0, 4096, 0).error,
                         SBI_ERR_INVALID_PARAM);
        assert_int_equal(sbi(SBI_EXT_RFENCE, fid, 1UL << VCPUS, 0, 0, 4096, 0).error,
                         SBI_ERR_INVALID_PARAM);
        assert_int_equal(fake.requested, 0);
    }
    /* The hypervisor fences (H extension, SBI 8.6-8.9): lodger offers no H. */
    for (unsigned long fid = 3; fid <= 7; fid++)
        assert_int_equal(sbi(SBI_EXT_RFENCE, fid, 0x1, 0, 0, 4096, 0).error,
                         SBI_ERR_NOT_SUPPORTED);
}

/* RFENCE sfence.vma ranges (SBI 8.3, 8.4): a few pages are fenced one by
 * one, in the last page of the address space too; a range that wraps past
 * 2^64, a large one or size -1 fence everything (the ASID's, for fid 2). */
static void test_rfence_ranges(void **state)
{
    (void)state;
    const unsigned long top_page = 0xfffffffffffff000UL;    /* canonical in Sv39 */
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0, EVERY_HART, 0x80001010, 0x2000, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_pages, 3);      /* 0x80001000, 2000, 3000 */
    assert_int_equal(fake.flushed_va[0], 0x80001000);
    assert_int_equal(fake.flushed_va[2], 0x80003000);
    assert_int_equal(fake.flush_alls, 0);
    fake.flush_pages = 0;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0, EVERY_HART, top_page + 8, 0x100, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_pages, 1);
    assert_int_equal(fake.flushed_va[0], top_page);
    fake.flush_pages = 0;
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0, EVERY_HART, top_page, 0x2000, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_pages, 0);
    assert_int_equal(fake.flush_alls, 1);
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0, EVERY_HART, 0, (unsigned long)-1, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(sbi(SBI_EXT_RFENCE, 1, 0, EVERY_HART, 0x80000000, 17 * 4096, 0).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_alls, 3);
    assert_int_equal(fake.flush_pages, 0);
    assert_int_equal(sbi(SBI_EXT_RFENCE, 2, 0, EVERY_HART, top_page, 0x2000, 9).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_asids, 1);
    assert_int_equal(sbi(SBI_EXT_RFENCE, 2, 0, EVERY_HART, 0x80000000, 4096, 9).error,
                     SBI_SUCCESS);
    assert_int_equal(fake.flush_pages, 1);
    assert_int_equal(fake.flushed_asid[0], 9);
    assert_int_equal(fake.flush_alls, 3);
}

/* HSM hart_start (SBI 9.1): a hart id the VM lacks is INVALID_PARAM, a
 * running or starting one ALREADY_AVAILABLE, a start address outside RAM
 * INVALID_ADDRESS; none of these starts anything. A stopped vCPU starts
 * at the address with a0 = its id, a1 = opaque, START_PENDING. */
static void test_hsm_start(void **state)
{
    (void)state;
    struct vcpu *t = &vm.vcpus[2];
    t->state = VCPU_STOPPED;
    static const unsigned long bad_ids[] = { VCPUS, VM_MAX_VCPUS, 1UL << 32, (unsigned long)-1 };
    for (unsigned i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
        assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_START, bad_ids[i], RAM_GPA, 0, 0, 0).error,
                         SBI_ERR_INVALID_PARAM);
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_START, 1, RAM_GPA, 0, 0, 0).error,
                     SBI_ERR_ALREADY_AVAILABLE);
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_START, 0, RAM_GPA, 0, 0, 0).error,
                     SBI_ERR_ALREADY_AVAILABLE);    /* the caller itself */
    static const unsigned long bad_addresses[] = {
        RAM_GPA - 4, RAM_GPA + RAM_SIZE, RAM_GPA + RAM_SIZE - 2, 0, 0x10000000 /* UART */,
        (unsigned long)-4,
    };
    for (unsigned i = 0; i < sizeof(bad_addresses) / sizeof(bad_addresses[0]); i++)
        assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_START, 2, bad_addresses[i], 0, 0, 0).error,
                         SBI_ERR_INVALID_ADDRESS);
    assert_int_equal(fake.started_vcpu, -1);
    assert_int_equal(t->state, VCPU_STOPPED);
    struct sbiret r = sbi(SBI_EXT_HSM, SBI_HSM_HART_START, 2, RAM_GPA + 0x400, 0xabcd, 0, 0);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(fake.started_vcpu, 2);
    assert_int_equal(t->state, VCPU_START_PENDING);
    assert_int_equal(t->frame->pc, RAM_GPA + 0x400);
    assert_int_equal(t->frame->x[10], 2);
    assert_int_equal(t->frame->x[11], 0xabcd);
    assert_int_equal(t->csr->satp, 0);
    assert_false(t->csr->sstatus & SSTATUS_SIE);
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_START, 2, RAM_GPA, 0, 0, 0).error,
                     SBI_ERR_ALREADY_AVAILABLE);
    assert_int_equal(fake.starts, 1);   /* only the good start reached vcpu_start */
}

/* HSM hart_get_status (SBI 9.3): each state as another hart sees it; a
 * hart id the VM lacks is INVALID_PARAM. An unknown function is
 * NOT_SUPPORTED. */
static void test_hsm_status(void **state)
{
    (void)state;
    vm.vcpus[1].state = VCPU_STOPPED;
    vm.vcpus[2].state = VCPU_START_PENDING;
    struct sbiret r = sbi(SBI_EXT_HSM, SBI_HSM_HART_STATUS, 0, 0, 0, 0, 0);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, SBI_HSM_STATE_STARTED);
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_STATUS, 1, 0, 0, 0, 0).value,
                     SBI_HSM_STATE_STOPPED);
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_STATUS, 2, 0, 0, 0, 0).value,
                     SBI_HSM_STATE_START_PENDING);
    vm.vcpus[2].state = VCPU_RUNNING;
    vm.vcpus[2].suspended = 1;
    assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_STATUS, 2, 0, 0, 0, 0).value,
                     SBI_HSM_STATE_SUSPENDED);
    static const unsigned long bad_ids[] = { VCPUS, 1UL << 32, (unsigned long)-1 };
    for (unsigned i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
        assert_int_equal(sbi(SBI_EXT_HSM, SBI_HSM_HART_STATUS, bad_ids[i], 0, 0, 0, 0).error,
                         SBI_ERR_INVALID_PARAM);
    assert_int_equal(sbi(SBI_EXT_HSM, 4, 0, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_base_identity, setup),
        cmocka_unit_test_setup(test_base_probe, setup),
        cmocka_unit_test_setup(test_ipi_masks, setup),
        cmocka_unit_test_setup(test_ipi_bad_masks, setup),
        cmocka_unit_test_setup(test_rfence_masks, setup),
        cmocka_unit_test_setup(test_rfence_ranges, setup),
        cmocka_unit_test_setup(test_hsm_start, setup),
        cmocka_unit_test_setup(test_hsm_status, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
