/* Host tests for src/core/plain_csr.c: which CSR instructions become a
 * plain load or store of the vCPU's CSR slots at the top of the address
 * space, checked through lodger's own decoder (src/core/insn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "core/plain_csr.h"
#include "core/insn.h"
#include "first/frame.h"

/* A Zicsr instruction: funct3 op, csr, rd, rs1 (or uimm). */
static uint32_t csr_insn(unsigned funct3, unsigned csr, unsigned rd, unsigned rs1)
{
    return csr << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | OPCODE_SYSTEM;
}

/* The slot of csr: the frame's first 32 bytes, which end the address space. */
static uint64_t slot(unsigned csr)
{
    return 0 - (uint64_t)FRAME_PLAIN_SIZE + 8 * (csr - CSR_SSCRATCH);
}

static void assert_load(uint32_t insn, unsigned csr, unsigned rd)
{
    uint32_t form = plain_csr_form(insn);
    assert_int_not_equal(form, 0);
    struct insn d;
    insn_decode(form, &d);
    assert_int_equal(d.kind, INSN_LOAD);
    assert_int_equal(d.length, 4);
    assert_int_equal(d.width, 8);
    assert_false(d.fp);
    assert_int_equal(d.rs1, 0);
    assert_int_equal(d.rd, rd);
    assert_int_equal((uint64_t)d.imm, slot(csr));
    assert_int_equal(plain_csr_address(insn), slot(csr));
}

static void assert_store(uint32_t insn, unsigned csr, unsigned rs)
{
    uint32_t form = plain_csr_form(insn);
    assert_int_not_equal(form, 0);
    struct insn d;
    insn_decode(form, &d);
    assert_int_equal(d.kind, INSN_STORE);
    assert_int_equal(d.length, 4);
    assert_int_equal(d.width, 8);
    assert_false(d.fp);
    assert_int_equal(d.rs1, 0);
    assert_int_equal(d.rs2, rs);
    assert_int_equal((uint64_t)d.imm, slot(csr));
    assert_int_equal(plain_csr_address(insn), slot(csr));
}

/* csrr (csrrs rd, csr, x0), csrrc rd, csr, x0, csrrsi/csrrci with uimm 0:
 * reads of all four, into every register. */
static void test_reads(void **state)
{
    (void)state;
    for (unsigned csr = CSR_SSCRATCH; csr <= CSR_STVAL; csr++)
        for (unsigned rd = 1; rd < 32; rd++) {
            assert_load(csr_insn(2, csr, rd, 0), csr, rd);
            assert_load(csr_insn(3, csr, rd, 0), csr, rd);
            assert_load(csr_insn(6, csr, rd, 0), csr, rd);
            assert_load(csr_insn(7, csr, rd, 0), csr, rd);
        }
    /* Linux's trap entry: csrr s2, sepc; csrr s5, sscratch. */
    assert_load(0x14102973, CSR_SEPC, 18);
    assert_load(0x14002af3, CSR_SSCRATCH, 21);
}

/* csrw (csrrw x0, csr, rs) and csrwi 0 of sscratch, scause, stval. */
static void test_writes(void **state)
{
    (void)state;
    static const unsigned csrs[] = { CSR_SSCRATCH, CSR_SCAUSE, CSR_STVAL };
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned rs = 0; rs < 32; rs++)
            assert_store(csr_insn(1, csrs[i], 0, rs), csrs[i], rs);
        assert_store(csr_insn(5, csrs[i], 0, 0), csrs[i], 0);
    }
    /* Linux: csrw sscratch, x0 and csrw sscratch, tp. */
    assert_store(0x14001073, CSR_SSCRATCH, 0);
    assert_store(0x14021073, CSR_SSCRATCH, 4);
}

/* What does not qualify: two effects (swap, set/clear with an operand, a
 * non-zero csrrwi), a read into x0, sepc writes (bit 0 must be cleared),
 * other CSRs (sstatus, sie, sip, stvec, satp, user and machine ones),
 * other instructions. */
static void test_refused(void **state)
{
    (void)state;
    for (unsigned csr = CSR_SSCRATCH; csr <= CSR_STVAL; csr++) {
        assert_int_equal(plain_csr_form(csr_insn(1, csr, 4, 4)), 0);  /* csrrw tp, csr, tp */
        assert_int_equal(plain_csr_form(csr_insn(1, csr, 5, 0)), 0);  /* csrrw t0, csr, x0 */
        assert_int_equal(plain_csr_form(csr_insn(2, csr, 5, 6)), 0);
        assert_int_equal(plain_csr_form(csr_insn(3, csr, 0, 6)), 0);
        assert_int_equal(plain_csr_form(csr_insn(2, csr, 0, 0)), 0);
        assert_int_equal(plain_csr_form(csr_insn(6, csr, 5, 1)), 0);
        assert_int_equal(plain_csr_form(csr_insn(7, csr, 5, 2)), 0);
        assert_int_equal(plain_csr_form(csr_insn(5, csr, 0, 3)), 0);
        assert_int_equal(plain_csr_form(csr_insn(5, csr, 5, 0)), 0);
        assert_int_equal(plain_csr_form(csr_insn(0, csr, 5, 0)), 0);  /* not Zicsr */
        assert_int_equal(plain_csr_form(csr_insn(4, csr, 5, 0)), 0);
    }
    assert_int_equal(plain_csr_form(csr_insn(1, CSR_SEPC, 0, 12)), 0);   /* csrw sepc, a2 */
    assert_int_equal(plain_csr_form(csr_insn(5, CSR_SEPC, 0, 0)), 0);
    static const unsigned others[] = { CSR_SSTATUS, CSR_SIE, CSR_SIP, CSR_STVEC, CSR_SATP,
                                       0x13f, 0x144, 0x340, 0x341, 0xc01, 0x001 };
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(plain_csr_form(csr_insn(2, others[i], 5, 0)), 0);
        assert_int_equal(plain_csr_form(csr_insn(1, others[i], 0, 5)), 0);
    }
    assert_int_equal(plain_csr_form(0x10200073), 0);    /* sret */
    assert_int_equal(plain_csr_form(0x00100073), 0);    /* ebreak */
    assert_int_equal(plain_csr_form(0x14002283 & ~0x7fu), 0);
    assert_int_equal(plain_csr_form(0x00003283), 0);    /* ld t0, 0(zero) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads),
        cmocka_unit_test(test_writes),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
