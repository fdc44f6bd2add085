/* Host tests for src/core/vcsr.c: the virtual supervisor CSR file and its
 * WARL rules (privileged spec chapter 4.1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "core/vcsr.h"

#define ALL_ONES (~0UL)

/* What lodger gives a guest on a hart with Sv39 and Sv48 and F/D. */
static const struct vcsr_config sv48_cfg = {
    .satp_modes = 1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39 | 1UL << SATP_MODE_SV48,
    .asid_bits = 16,
    .sstatus_writable = SSTATUS_FS,
};

static uint64_t read_csr(const struct vcsr *c, const struct vcsr_config *cfg, unsigned csr)
{
    uint64_t value = 0xdeadbeef;
    assert_true(vcsr_read(c, cfg, csr, &value));
    return value;
}

/* Writes val and returns the effects reported. */
static unsigned write_csr(struct vcsr *c, const struct vcsr_config *cfg, unsigned csr,
                          uint64_t val)
{
    unsigned effects = 0;
    assert_true(vcsr_write(c, cfg, csr, val, &effects));
    return effects;
}

static void reset_state(void **state)
{
    (void)state;
    struct vcsr c;
    c.stvec = c.sepc = c.satp = 0x1234;
    vcsr_reset(&c);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS), SSTATUS_UXL_64);
    static const unsigned zero_csrs[] = { CSR_SIE, CSR_SIP, CSR_STVEC, CSR_SSCRATCH, CSR_SEPC,
                                          CSR_SCAUSE, CSR_STVAL, CSR_SATP, CSR_SCOUNTEREN,
                                          CSR_SENVCFG };
    for (size_t i = 0; i < sizeof(zero_csrs) / sizeof(zero_csrs[0]); i++)
        assert_int_equal(read_csr(&c, &sv48_cfg, zero_csrs[i]), 0);
}

static void sstatus_writable_bits(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    unsigned effects = write_csr(&c, &sv48_cfg, CSR_SSTATUS, ALL_ONES);
    assert_int_equal(effects, VCSR_EFFECT_STATUS | VCSR_EFFECT_INTERRUPTS);
    /* UBE, VS and XS are not offered; UXL stays 64; SD follows FS (dirty). */
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS),
                     SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR |
                     SSTATUS_FS | SSTATUS_UXL_64 | SSTATUS_SD);
    write_csr(&c, &sv48_cfg, CSR_SSTATUS, 0);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS), SSTATUS_UXL_64);
}

static void sstatus_without_fp(void **state)
{
    (void)state;
    struct vcsr_config cfg = sv48_cfg;
    cfg.sstatus_writable = 0;
    struct vcsr c;
    vcsr_reset(&c);
    write_csr(&c, &cfg, CSR_SSTATUS, SSTATUS_FS | SSTATUS_SUM);
    assert_int_equal(read_csr(&c, &cfg, CSR_SSTATUS), SSTATUS_SUM | SSTATUS_UXL_64);
}

static void sstatus_uxl_is_read_only(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    write_csr(&c, &sv48_cfg, CSR_SSTATUS, 1UL << 32);     /* UXL = 1 (32-bit) */
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS) & SSTATUS_UXL, SSTATUS_UXL_64);
    write_csr(&c, &sv48_cfg, CSR_SSTATUS, SSTATUS_SIE);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS), SSTATUS_SIE | SSTATUS_UXL_64);
}

static void sstatus_sd_is_derived(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    /* SD itself is not writable. */
    write_csr(&c, &sv48_cfg, CSR_SSTATUS, SSTATUS_SD);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SSTATUS), SSTATUS_UXL_64);
    /* Only the Dirty state (3) of FS, VS or XS sets it. */
    for (uint64_t fs = 0; fs < 4; fs++) {
        write_csr(&c, &sv48_cfg, CSR_SSTATUS, fs << SSTATUS_FS_SHIFT);
        uint64_t s = read_csr(&c, &sv48_cfg, CSR_SSTATUS);
        assert_int_equal(s & SSTATUS_FS, fs << SSTATUS_FS_SHIFT);
        assert_int_equal(!!(s & SSTATUS_SD), fs == EXT_STATUS_DIRTY);
    }
    vcsr_reset(&c);
    c.sstatus |= SSTATUS_VS;
    assert_true(vcsr_sstatus_read(&c) & SSTATUS_SD);
    vcsr_reset(&c);
    c.sstatus |= SSTATUS_XS;
    assert_true(vcsr_sstatus_read(&c) & SSTATUS_SD);
    /* A stale SD in the stored value is not reported. */
    vcsr_reset(&c);
    c.sstatus |= SSTATUS_SD | (1UL << 9);   /* VS = Initial */
    assert_false(vcsr_sstatus_read(&c) & SSTATUS_SD);
}

static void sie_keeps_supervisor_interrupts(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SIE, ALL_ONES), VCSR_EFFECT_INTERRUPTS);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SIE), SIP_SSIP | SIP_STIP | SIP_SEIP);
    write_csr(&c, &sv48_cfg, CSR_SIE, SIP_STIP | (1UL << 7) /* MTIE */);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SIE), SIP_STIP);
}

static void sip_only_ssip_is_writable(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SIP, ALL_ONES), VCSR_EFFECT_INTERRUPTS);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SIP), SIP_SSIP);
    /* Timer and external pending bits are lodger's to set; the guest cannot clear them. */
    c.sip = SIP_STIP | SIP_SEIP | SIP_SSIP;
    write_csr(&c, &sv48_cfg, CSR_SIP, 0);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SIP), SIP_STIP | SIP_SEIP);
    write_csr(&c, &sv48_cfg, CSR_SIP, SIP_SSIP);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SIP), SIP_STIP | SIP_SEIP | SIP_SSIP);
}

static void stvec_mode_is_direct_or_vectored(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_STVEC, 0x80200001), VCSR_EFFECT_NONE);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_STVEC), 0x80200001);
    /* A reserved MODE (2 or 3): the write is ignored whole, as QEMU does. */
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_STVEC, 0x80300002), VCSR_EFFECT_NONE);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_STVEC), 0x80200001);
    write_csr(&c, &sv48_cfg, CSR_STVEC, 0xffffffffc0001003);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_STVEC), 0x80200001);
    write_csr(&c, &sv48_cfg, CSR_STVEC, 0xffffffffc0001000);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_STVEC), 0xffffffffc0001000);
}

static void sepc_bit_0_is_zero(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    write_csr(&c, &sv48_cfg, CSR_SEPC, 0x80200003);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SEPC), 0x80200002);
    write_csr(&c, &sv48_cfg, CSR_SEPC, ALL_ONES);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SEPC), ALL_ONES - 1);
}

static void plain_registers_hold_any_value(void **state)
{
    (void)state;
    static const unsigned csrs[] = { CSR_SSCRATCH, CSR_SCAUSE, CSR_STVAL };
    struct vcsr c;
    vcsr_reset(&c);
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        uint64_t value = 0x8000000000000005UL + i;
        assert_int_equal(write_csr(&c, &sv48_cfg, csrs[i], value), VCSR_EFFECT_NONE);
        assert_int_equal(read_csr(&c, &sv48_cfg, csrs[i]), value);
    }
}

static void scounteren_and_senvcfg(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    write_csr(&c, &sv48_cfg, CSR_SCOUNTEREN, ALL_ONES);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SCOUNTEREN), 0xffffffff);
    /* FIOM (bit 0) only: no Zicbom, Zicboz or Svpbmt to configure. */
    write_csr(&c, &sv48_cfg, CSR_SENVCFG, ALL_ONES);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SENVCFG), 1);
    write_csr(&c, &sv48_cfg, CSR_SENVCFG, ALL_ONES - 1);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SENVCFG), 0);
}

static uint64_t satp(uint64_t mode, uint64_t asid, uint64_t ppn)
{
    return mode << SATP_MODE_SHIFT | asid << SATP_ASID_SHIFT | ppn;
}

static void satp_supported_modes(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    uint64_t sv39 = satp(SATP_MODE_SV39, 0xbeef, 0x80123);
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SATP, sv39), VCSR_EFFECT_SATP);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SATP), sv39);
    uint64_t sv48 = satp(SATP_MODE_SV48, 1, SATP_PPN_MASK);
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SATP, sv48), VCSR_EFFECT_SATP);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SATP), sv48);
}

static void satp_unsupported_mode_changes_nothing(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    uint64_t sv39 = satp(SATP_MODE_SV39, 7, 0x80123);
    write_csr(&c, &sv48_cfg, CSR_SATP, sv39);
    /* Sv57 (not offered here) and the reserved modes 1-7 and 11-15. */
    static const uint64_t modes[] = { SATP_MODE_SV57, 1, 7, 11, 15 };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SATP, satp(modes[i], 3, 0x90000)),
                         VCSR_EFFECT_NONE);
        assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SATP), sv39);
    }
    /* Offered, Sv57 is taken. */
    struct vcsr_config sv57_cfg = sv48_cfg;
    sv57_cfg.satp_modes |= 1UL << SATP_MODE_SV57;
    assert_int_equal(write_csr(&c, &sv57_cfg, CSR_SATP, satp(SATP_MODE_SV57, 3, 0x90000)),
                     VCSR_EFFECT_SATP);
    assert_int_equal(read_csr(&c, &sv57_cfg, CSR_SATP), satp(SATP_MODE_SV57, 3, 0x90000));
}

static void satp_bare_writes_zero(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    write_csr(&c, &sv48_cfg, CSR_SATP, satp(SATP_MODE_SV39, 7, 0x80123));
    assert_int_equal(write_csr(&c, &sv48_cfg, CSR_SATP, satp(SATP_MODE_BARE, 0x55, 0x80000)),
                     VCSR_EFFECT_SATP);
    assert_int_equal(read_csr(&c, &sv48_cfg, CSR_SATP), 0);
}

static void satp_asid_keeps_implemented_bits(void **state)
{
    (void)state;
    struct vcsr_config cfg = sv48_cfg;
    struct vcsr c;
    vcsr_reset(&c);
    cfg.asid_bits = 9;
    write_csr(&c, &cfg, CSR_SATP, satp(SATP_MODE_SV39, 0xffff, 0x80123));
    assert_int_equal(read_csr(&c, &cfg, CSR_SATP), satp(SATP_MODE_SV39, 0x1ff, 0x80123));
    cfg.asid_bits = 0;
    write_csr(&c, &cfg, CSR_SATP, satp(SATP_MODE_SV39, 0xffff, 0x80123));
    assert_int_equal(read_csr(&c, &cfg, CSR_SATP), satp(SATP_MODE_SV39, 0, 0x80123));
}

/* A hart like the SiFive U74 (lodger.mmu=sv39 lodger.asid-bits=0 gives the
 * guest its modes; the ASID bits a guest gets are lodger's choice, 0 here to
 * check the spec's ASIDLEN discovery): Sv48 and Sv57 writes leave satp as
 * it was (privileged spec 4.1.11), all-ones ASID reads back as zero. */
static void satp_sv39_only_hart(void **state)
{
    (void)state;
    const struct vcsr_config u74 = {
        .satp_modes = 1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39,
        .asid_bits = 0,
    };
    struct vcsr c;
    vcsr_reset(&c);
    assert_int_equal(write_csr(&c, &u74, CSR_SATP, satp(SATP_MODE_SV48, 0, 0x80123)),
                     VCSR_EFFECT_NONE);
    assert_int_equal(write_csr(&c, &u74, CSR_SATP, satp(SATP_MODE_SV57, 0, 0x80123)),
                     VCSR_EFFECT_NONE);
    assert_int_equal(read_csr(&c, &u74, CSR_SATP), 0);
    uint64_t sv39 = satp(SATP_MODE_SV39, 0, 0x80456);
    assert_int_equal(write_csr(&c, &u74, CSR_SATP, sv39 | SATP_ASID_MASK << SATP_ASID_SHIFT),
                     VCSR_EFFECT_SATP);
    assert_int_equal(read_csr(&c, &u74, CSR_SATP), sv39);
    assert_int_equal(write_csr(&c, &u74, CSR_SATP, satp(SATP_MODE_SV57, 5, 0x80789)),
                     VCSR_EFFECT_NONE);
    assert_int_equal(read_csr(&c, &u74, CSR_SATP), sv39);
}

static void effects_accumulate(void **state)
{
    (void)state;
    struct vcsr c;
    vcsr_reset(&c);
    unsigned effects = 0;
    assert_true(vcsr_write(&c, &sv48_cfg, CSR_SATP, satp(SATP_MODE_SV39, 0, 0x80000), &effects));
    assert_true(vcsr_write(&c, &sv48_cfg, CSR_SIE, SIP_STIP, &effects));
    assert_true(vcsr_write(&c, &sv48_cfg, CSR_SSCRATCH, 1, &effects));
    assert_int_equal(effects, VCSR_EFFECT_SATP | VCSR_EFFECT_INTERRUPTS);
}

static void unknown_csrs_are_refused(void **state)
{
    (void)state;
    /* M-mode, hypervisor, user counters and FP CSRs are not lodger's to emulate here. */
    static const unsigned csrs[] = { 0x300 /* mstatus */, 0x600 /* hstatus */, CSR_CYCLE,
                                     CSR_TIME, CSR_FCSR, 0x101, 0x145, 0x181, 0xfff };
    struct vcsr c, before;
    vcsr_reset(&c);
    before = c;
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        uint64_t value = 0x1234;
        unsigned effects = 0;
        assert_false(vcsr_read(&c, &sv48_cfg, csrs[i], &value));
        assert_int_equal(value, 0x1234);
        assert_false(vcsr_write(&c, &sv48_cfg, csrs[i], ALL_ONES, &effects));
        assert_int_equal(effects, VCSR_EFFECT_NONE);
        assert_memory_equal(&c, &before, sizeof(c));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_state),
        cmocka_unit_test(sstatus_writable_bits),
        cmocka_unit_test(sstatus_without_fp),
        cmocka_unit_test(sstatus_uxl_is_read_only),
        cmocka_unit_test(sstatus_sd_is_derived),
        cmocka_unit_test(sie_keeps_supervisor_interrupts),
        cmocka_unit_test(sip_only_ssip_is_writable),
        cmocka_unit_test(stvec_mode_is_direct_or_vectored),
        cmocka_unit_test(sepc_bit_0_is_zero),
        cmocka_unit_test(plain_registers_hold_any_value),
        cmocka_unit_test(scounteren_and_senvcfg),
        cmocka_unit_test(satp_supported_modes),
        cmocka_unit_test(satp_unsupported_mode_changes_nothing),
        cmocka_unit_test(satp_bare_writes_zero),
        cmocka_unit_test(satp_asid_keeps_implemented_bits),
        cmocka_unit_test(satp_sv39_only_hart),
        cmocka_unit_test(effects_accumulate),
        cmocka_unit_test(unknown_csrs_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
