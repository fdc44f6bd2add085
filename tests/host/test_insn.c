/* Host tests for src/core/insn.c: decoding the SYSTEM instructions lodger
 * emulates. Encodings from the unprivileged spec (Zicsr) and privileged spec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "core/insn.h"

static uint32_t csr_insn(unsigned funct3, unsigned rd, unsigned rs1, unsigned csr)
{
    return csr << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | OPCODE_SYSTEM;
}

static struct insn decode(uint32_t bits)
{
    struct insn d;
    memset(&d, 0xa5, sizeof(d));    /* the decoder must set every field */
    insn_decode(bits, &d);
    return d;
}

static void assert_csr(uint32_t bits, enum csr_op op, bool imm, unsigned rd, unsigned rs1,
                       unsigned csr)
{
    struct insn d = decode(bits);
    assert_int_equal(d.kind, INSN_CSR);
    assert_int_equal(d.length, 4);
    assert_int_equal(d.csr_op, op);
    assert_int_equal(d.csr_imm, imm);
    assert_int_equal(d.rd, rd);
    assert_int_equal(d.rs1, rs1);
    assert_int_equal(d.csr, csr);
}

static void csr_register_forms(void **state)
{
    (void)state;
    assert_csr(csr_insn(1, 5, 6, CSR_SSTATUS), CSR_OP_WRITE, false, 5, 6, CSR_SSTATUS);
    assert_csr(csr_insn(2, 10, 0, CSR_SIP), CSR_OP_SET, false, 10, 0, CSR_SIP);
    assert_csr(csr_insn(3, 0, 31, CSR_SATP), CSR_OP_CLEAR, false, 0, 31, CSR_SATP);
    /* csrr a0, sstatus as an assembler writes it. */
    assert_csr(0x10002573, CSR_OP_SET, false, 10, 0, CSR_SSTATUS);
    /* csrw stvec, a1 */
    assert_csr(0x10559073, CSR_OP_WRITE, false, 0, 11, CSR_STVEC);
}

static void csr_immediate_forms(void **state)
{
    (void)state;
    assert_csr(csr_insn(5, 1, 0x1f, CSR_SSCRATCH), CSR_OP_WRITE, true, 1, 0x1f, CSR_SSCRATCH);
    assert_csr(csr_insn(6, 2, 2, CSR_SSTATUS), CSR_OP_SET, true, 2, 2, CSR_SSTATUS);
    assert_csr(csr_insn(7, 0, 2, CSR_SSTATUS), CSR_OP_CLEAR, true, 0, 2, CSR_SSTATUS);
    /* csrsi sstatus, 2 (set SIE) as an assembler writes it. */
    assert_csr(0x10016073, CSR_OP_SET, true, 0, 2, CSR_SSTATUS);
}

static void csr_number_uses_all_twelve_bits(void **state)
{
    (void)state;
    assert_csr(csr_insn(2, 3, 0, CSR_TIME), CSR_OP_SET, false, 3, 0, CSR_TIME);
    assert_csr(csr_insn(1, 3, 4, 0xfff), CSR_OP_WRITE, false, 3, 4, 0xfff);
    assert_csr(csr_insn(1, 3, 4, 0x000), CSR_OP_WRITE, false, 3, 4, 0x000);
}

static void assert_kind(uint32_t bits, enum insn_kind kind)
{
    struct insn d = decode(bits);
    assert_int_equal(d.kind, kind);
    assert_int_equal(d.length, 4);
}

static void privileged_instructions(void **state)
{
    (void)state;
    assert_kind(0x10200073, INSN_SRET);
    assert_kind(0x10500073, INSN_WFI);
    assert_kind(0x00000073, INSN_ECALL);
    assert_kind(0x00100073, INSN_EBREAK);
}

static void sfence_vma_operands(void **state)
{
    (void)state;
    struct insn d = decode(0x12000073);     /* sfence.vma (all) */
    assert_int_equal(d.kind, INSN_SFENCE_VMA);
    assert_int_equal(d.rs1, 0);
    assert_int_equal(d.rs2, 0);
    d = decode(0x12b50073);                 /* sfence.vma a0, a1 */
    assert_int_equal(d.kind, INSN_SFENCE_VMA);
    assert_int_equal(d.length, 4);
    assert_int_equal(d.rs1, 10);
    assert_int_equal(d.rs2, 11);
    d = decode(0x13f00073);                 /* sfence.vma zero, t6 */
    assert_int_equal(d.kind, INSN_SFENCE_VMA);
    assert_int_equal(d.rs1, 0);
    assert_int_equal(d.rs2, 31);
}

static void unknown_instructions(void **state)
{
    (void)state;
    assert_kind(0x30200073, INSN_UNKNOWN);  /* mret */
    assert_kind(0x00200073, INSN_UNKNOWN);  /* uret (removed) */
    assert_kind(0x16000073, INSN_UNKNOWN);  /* sinval.vma */
    assert_kind(0x22000073, INSN_UNKNOWN);  /* hfence.vvma */
    assert_kind(0x000000f3, INSN_UNKNOWN);  /* ecall with rd != 0: reserved */
    assert_kind(0x10208073, INSN_UNKNOWN);  /* sret with rs1 != 0 */
    assert_kind(0x10500173, INSN_UNKNOWN);  /* wfi with rd != 0 */
    assert_kind(0x120000f3, INSN_UNKNOWN);  /* sfence.vma with rd != 0 */
    assert_kind(0x68054573, INSN_UNKNOWN);  /* hlv.w a0, (a0): funct3 4 (H extension) */
    assert_kind(0x00000013, INSN_UNKNOWN);  /* addi zero, zero, 0 */
    assert_kind(0x00b50533, INSN_UNKNOWN);  /* add a0, a0, a1 */
    struct insn d = decode(0x30200073);
    assert_int_equal(d.csr, 0);             /* only CSR instructions carry a number */
}

static void compressed_instructions(void **state)
{
    (void)state;
    assert_int_equal(insn_length(0x0001), 2);   /* c.nop */
    assert_int_equal(insn_length(0x9002), 2);   /* c.ebreak */
    assert_int_equal(insn_length(0x8082), 2);   /* c.ret */
    assert_int_equal(insn_length(0x0073), 4);
    struct insn d = decode(0x9002);
    assert_int_equal(d.kind, INSN_UNKNOWN);
    assert_int_equal(d.length, 2);
    /* Low bits 00/01/10 mean 16 bits even if the next halfword follows. */
    d = decode(0x10200070);
    assert_int_equal(d.kind, INSN_UNKNOWN);
    assert_int_equal(d.length, 2);
    d = decode(0x10500072);
    assert_int_equal(d.kind, INSN_UNKNOWN);
    assert_int_equal(d.length, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csr_register_forms),
        cmocka_unit_test(csr_immediate_forms),
        cmocka_unit_test(csr_number_uses_all_twelve_bits),
        cmocka_unit_test(privileged_instructions),
        cmocka_unit_test(sfence_vma_operands),
        cmocka_unit_test(unknown_instructions),
        cmocka_unit_test(compressed_instructions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
