/* Host tests for src/core/insn.c: decoding the SYSTEM instructions lodger
 * emulates, and the loads, stores and AMOs it emulates on MMIO and guest
 * page-table faults. Encodings from the unprivileged spec (Zicsr, A, F, D, C)
 * and privileged spec; the memory-access ones were assembled with
 * riscv64-unknown-elf-as -march=rv64gc and read back with objdump. */
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

/* A memory access as the decoder should see it; reg is rd for loads, LR,
 * SC and AMOs, rs2 for stores. */
struct mem_case {
    uint32_t bits;
    const char *text;       /* what objdump prints */
    enum insn_kind kind;
    unsigned reg, rs1;
    int64_t imm;
    unsigned width;
    bool sign_extend, fp;
};

#define CHECK(c, field, got, want)                                                   \
    do {                                                                             \
        if ((uint64_t)(got) != (uint64_t)(want))                                     \
            fail_msg("%s (%#x): %s is %lld, not %lld", (c)->text, (c)->bits, field,  \
                     (long long)(got), (long long)(want));                           \
    } while (0)

static void assert_mem_case(const struct mem_case *c)
{
    struct insn d = decode(c->bits);
    CHECK(c, "kind", d.kind, c->kind);
    CHECK(c, "length", d.length, (c->bits & 3) == 3 ? 4 : 2);
    CHECK(c, "rs1", d.rs1, c->rs1);
    if (c->kind == INSN_STORE) {
        CHECK(c, "rs2", d.rs2, c->reg);
    } else {
        CHECK(c, "rd", d.rd, c->reg);
    }
    CHECK(c, "imm", d.imm, c->imm);
    CHECK(c, "width", d.width, c->width);
    CHECK(c, "fp", d.fp, c->fp);
    /* Extension matters for an integer value narrower than a register, read
     * from memory into rd (SC's rd gets 0 or 1). */
    bool reads_memory = c->kind == INSN_LOAD || c->kind == INSN_LR || c->kind == INSN_AMO;
    if (c->width < 8 && !c->fp && reads_memory)
        CHECK(c, "sign_extend", d.sign_extend, c->sign_extend);
}

static void assert_mem_cases(const struct mem_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++)
        assert_mem_case(&cases[i]);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void integer_loads(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0x80048503, "lb a0,-2048(s1)", INSN_LOAD, 10, 9, -2048, 1, true, false },
        { 0xfff10283, "lb t0,-1(sp)", INSN_LOAD, 5, 2, -1, 1, true, false },
        { 0x7fe61583, "lh a1,2046(a2)", INSN_LOAD, 11, 12, 2046, 2, true, false },
        { 0xf9cfa903, "lw s2,-100(t6)", INSN_LOAD, 18, 31, -100, 4, true, false },
        { 0x7f843083, "ld ra,2040(s0)", INSN_LOAD, 1, 8, 2040, 8, true, false },
        { 0x0ff74683, "lbu a3,255(a4)", INSN_LOAD, 13, 14, 255, 1, false, false },
        { 0xf0085783, "lhu a5,-256(a6)", INSN_LOAD, 15, 16, -256, 2, false, false },
        { 0x4d2a6983, "lwu s3,1234(s4)", INSN_LOAD, 19, 20, 1234, 4, false, false },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
}

static void integer_stores(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0x80a58023, "sb a0,-2048(a1)", INSN_STORE, 10, 11, -2048, 1, false, false },
        { 0x7e639fa3, "sh t1,2047(t2)", INSN_STORE, 6, 7, 2047, 2, false, false },
        { 0xff5b2e23, "sw s5,-4(s6)", INSN_STORE, 21, 22, -4, 4, false, false },
        { 0xc111bc23, "sd a7,-1000(gp)", INSN_STORE, 17, 3, -1000, 8, false, false },
        { 0x7fcebc23, "sd t3,2040(t4)", INSN_STORE, 28, 29, 2040, 8, false, false },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
}

static void fp_loads_and_stores(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0xff852087, "flw ft1,-8(a0)", INSN_LOAD, 1, 10, -8, 4, false, true },
        { 0x3f813907, "fld fs2,1016(sp)", INSN_LOAD, 18, 2, 1016, 8, false, true },
        { 0x12a5a627, "fsw fa0,300(a1)", INSN_STORE, 10, 11, 300, 4, false, true },
        { 0x81bdb427, "fsd fs11,-2040(s11)", INSN_STORE, 27, 27, -2040, 8, false, true },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
}

static void atomic_memory_operations(void **state)
{
    (void)state;
    static const struct {
        struct mem_case c;
        unsigned rs2;
        enum amo_op op;
    } cases[] = {
        { { 0x00b6252f, "amoadd.w a0,a1,(a2)", INSN_AMO, 10, 12, 0, 4, true, false }, 11, AMO_ADD },
        { { 0x0e63b2af, "amoswap.d.aqrl t0,t1,(t2)", INSN_AMO, 5, 7, 0, 8, true, false }, 6,
          AMO_SWAP },
        { { 0xe129b4af, "amomaxu.d s1,s2,(s3)", INSN_AMO, 9, 19, 0, 8, true, false }, 18, AMO_MAXU },
        { { 0x20e7a02f, "amoxor.w zero,a4,(a5)", INSN_AMO, 0, 15, 0, 4, true, false }, 14, AMO_XOR },
        { { 0x60b6352f, "amoand.d a0,a1,(a2)", INSN_AMO, 10, 12, 0, 8, true, false }, 11, AMO_AND },
        { { 0x44e7a6af, "amoor.w.aq a3,a4,(a5)", INSN_AMO, 13, 15, 0, 4, true, false }, 14, AMO_OR },
        { { 0x81efbeaf, "amomin.d t4,t5,(t6)", INSN_AMO, 29, 31, 0, 8, true, false }, 30, AMO_MIN },
        { { 0xa15b2a2f, "amomax.w s4,s5,(s6)", INSN_AMO, 20, 22, 0, 4, true, false }, 21, AMO_MAX },
        { { 0xc18cabaf, "amominu.w s7,s8,(s9)", INSN_AMO, 23, 25, 0, 4, true, false }, 24,
          AMO_MINU },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_mem_case(&cases[i].c);
        struct insn d = decode(cases[i].c.bits);
        CHECK(&cases[i].c, "rs2", d.rs2, cases[i].rs2);
        CHECK(&cases[i].c, "amo", d.amo, cases[i].op);
    }
}

static void load_reserved_and_store_conditional(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0x1005a52f, "lr.w a0,(a1)", INSN_LR, 10, 11, 0, 4, true, false },
        { 0x140332af, "lr.d.aq t0,(t1)", INSN_LR, 5, 6, 0, 8, true, false },
        { 0x18d7362f, "sc.d a2,a3,(a4)", INSN_SC, 12, 14, 0, 8, true, false },
        { 0x1a99242f, "sc.w.rl s0,s1,(s2)", INSN_SC, 8, 18, 0, 4, true, false },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
    /* SC's data register. */
    assert_int_equal(decode(0x18d7362f).rs2, 13);
    assert_int_equal(decode(0x1a99242f).rs2, 9);
}

static void compressed_loads_and_stores(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0x5fe8, "c.lw a0,124(a5)", INSN_LOAD, 10, 15, 124, 4, true, false },
        { 0x4044, "c.lw s1,4(s0)", INSN_LOAD, 9, 8, 4, 4, true, false },
        { 0x7e6c, "c.ld a1,248(a2)", INSN_LOAD, 11, 12, 248, 8, true, false },
        { 0x6698, "c.ld a4,8(a3)", INSN_LOAD, 14, 13, 8, 8, true, false },
        { 0xc0b4, "c.sw a3,64(s1)", INSN_STORE, 13, 9, 64, 4, false, false },
        { 0xe55c, "c.sd a5,136(a0)", INSN_STORE, 15, 10, 136, 8, false, false },
        { 0x3750, "c.fld fa2,168(a4)", INSN_LOAD, 12, 14, 168, 8, false, true },
        { 0xbc64, "c.fsd fs1,248(s0)", INSN_STORE, 9, 8, 248, 8, false, true },
        { 0x50fe, "c.lwsp ra,252(sp)", INSN_LOAD, 1, 2, 252, 4, true, false },
        { 0x4392, "c.lwsp t2,4(sp)", INSN_LOAD, 7, 2, 4, 4, true, false },
        { 0x7dfe, "c.ldsp s11,504(sp)", INSN_LOAD, 27, 2, 504, 8, true, false },
        { 0x6522, "c.ldsp a0,8(sp)", INSN_LOAD, 10, 2, 8, 8, true, false },
        { 0xdffe, "c.swsp t6,252(sp)", INSN_STORE, 31, 2, 252, 4, false, false },
        { 0xffae, "c.sdsp a1,504(sp)", INSN_STORE, 11, 2, 504, 8, false, false },
        { 0x31fe, "c.fldsp ft3,504(sp)", INSN_LOAD, 3, 2, 504, 8, false, true },
        { 0xa622, "c.fsdsp fs0,264(sp)", INSN_STORE, 8, 2, 264, 8, false, true },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
    /* The upper halfword is not part of a compressed instruction. */
    struct insn d = decode(0xdead5fe8);
    assert_int_equal(d.kind, INSN_LOAD);
    assert_int_equal(d.length, 2);
    assert_int_equal(d.imm, 124);
}

/* Each offset bit of each compressed format on its own, so a bit taken from
 * the wrong place in the encoding shows. */
static void compressed_offsets_bit_by_bit(void **state)
{
    (void)state;
    static const struct mem_case cases[] = {
        { 0x43c8, "c.lw a0,4(a5)", INSN_LOAD, 10, 15, 4, 4, true, false },
        { 0x4788, "c.lw a0,8(a5)", INSN_LOAD, 10, 15, 8, 4, true, false },
        { 0x4b88, "c.lw a0,16(a5)", INSN_LOAD, 10, 15, 16, 4, true, false },
        { 0x5388, "c.lw a0,32(a5)", INSN_LOAD, 10, 15, 32, 4, true, false },
        { 0x43a8, "c.lw a0,64(a5)", INSN_LOAD, 10, 15, 64, 4, true, false },
        { 0x6788, "c.ld a0,8(a5)", INSN_LOAD, 10, 15, 8, 8, true, false },
        { 0x6b88, "c.ld a0,16(a5)", INSN_LOAD, 10, 15, 16, 8, true, false },
        { 0x7388, "c.ld a0,32(a5)", INSN_LOAD, 10, 15, 32, 8, true, false },
        { 0x63a8, "c.ld a0,64(a5)", INSN_LOAD, 10, 15, 64, 8, true, false },
        { 0x63c8, "c.ld a0,128(a5)", INSN_LOAD, 10, 15, 128, 8, true, false },
        { 0xc3c8, "c.sw a0,4(a5)", INSN_STORE, 10, 15, 4, 4, false, false },
        { 0xc788, "c.sw a0,8(a5)", INSN_STORE, 10, 15, 8, 4, false, false },
        { 0xcb88, "c.sw a0,16(a5)", INSN_STORE, 10, 15, 16, 4, false, false },
        { 0xd388, "c.sw a0,32(a5)", INSN_STORE, 10, 15, 32, 4, false, false },
        { 0xc3a8, "c.sw a0,64(a5)", INSN_STORE, 10, 15, 64, 4, false, false },
        { 0xe788, "c.sd a0,8(a5)", INSN_STORE, 10, 15, 8, 8, false, false },
        { 0xeb88, "c.sd a0,16(a5)", INSN_STORE, 10, 15, 16, 8, false, false },
        { 0xf388, "c.sd a0,32(a5)", INSN_STORE, 10, 15, 32, 8, false, false },
        { 0xe3a8, "c.sd a0,64(a5)", INSN_STORE, 10, 15, 64, 8, false, false },
        { 0xe3c8, "c.sd a0,128(a5)", INSN_STORE, 10, 15, 128, 8, false, false },
        { 0x2788, "c.fld fa0,8(a5)", INSN_LOAD, 10, 15, 8, 8, false, true },
        { 0x2b88, "c.fld fa0,16(a5)", INSN_LOAD, 10, 15, 16, 8, false, true },
        { 0x3388, "c.fld fa0,32(a5)", INSN_LOAD, 10, 15, 32, 8, false, true },
        { 0x23a8, "c.fld fa0,64(a5)", INSN_LOAD, 10, 15, 64, 8, false, true },
        { 0x23c8, "c.fld fa0,128(a5)", INSN_LOAD, 10, 15, 128, 8, false, true },
        { 0xa788, "c.fsd fa0,8(a5)", INSN_STORE, 10, 15, 8, 8, false, true },
        { 0xab88, "c.fsd fa0,16(a5)", INSN_STORE, 10, 15, 16, 8, false, true },
        { 0xb388, "c.fsd fa0,32(a5)", INSN_STORE, 10, 15, 32, 8, false, true },
        { 0xa3a8, "c.fsd fa0,64(a5)", INSN_STORE, 10, 15, 64, 8, false, true },
        { 0xa3c8, "c.fsd fa0,128(a5)", INSN_STORE, 10, 15, 128, 8, false, true },
        { 0x4512, "c.lwsp a0,4(sp)", INSN_LOAD, 10, 2, 4, 4, true, false },
        { 0x4522, "c.lwsp a0,8(sp)", INSN_LOAD, 10, 2, 8, 4, true, false },
        { 0x4542, "c.lwsp a0,16(sp)", INSN_LOAD, 10, 2, 16, 4, true, false },
        { 0x5502, "c.lwsp a0,32(sp)", INSN_LOAD, 10, 2, 32, 4, true, false },
        { 0x4506, "c.lwsp a0,64(sp)", INSN_LOAD, 10, 2, 64, 4, true, false },
        { 0x450a, "c.lwsp a0,128(sp)", INSN_LOAD, 10, 2, 128, 4, true, false },
        { 0x6522, "c.ldsp a0,8(sp)", INSN_LOAD, 10, 2, 8, 8, true, false },
        { 0x6542, "c.ldsp a0,16(sp)", INSN_LOAD, 10, 2, 16, 8, true, false },
        { 0x7502, "c.ldsp a0,32(sp)", INSN_LOAD, 10, 2, 32, 8, true, false },
        { 0x6506, "c.ldsp a0,64(sp)", INSN_LOAD, 10, 2, 64, 8, true, false },
        { 0x650a, "c.ldsp a0,128(sp)", INSN_LOAD, 10, 2, 128, 8, true, false },
        { 0x6512, "c.ldsp a0,256(sp)", INSN_LOAD, 10, 2, 256, 8, true, false },
        { 0x2522, "c.fldsp fa0,8(sp)", INSN_LOAD, 10, 2, 8, 8, false, true },
        { 0x2542, "c.fldsp fa0,16(sp)", INSN_LOAD, 10, 2, 16, 8, false, true },
        { 0x3502, "c.fldsp fa0,32(sp)", INSN_LOAD, 10, 2, 32, 8, false, true },
        { 0x2506, "c.fldsp fa0,64(sp)", INSN_LOAD, 10, 2, 64, 8, false, true },
        { 0x250a, "c.fldsp fa0,128(sp)", INSN_LOAD, 10, 2, 128, 8, false, true },
        { 0x2512, "c.fldsp fa0,256(sp)", INSN_LOAD, 10, 2, 256, 8, false, true },
        { 0xc22a, "c.swsp a0,4(sp)", INSN_STORE, 10, 2, 4, 4, false, false },
        { 0xc42a, "c.swsp a0,8(sp)", INSN_STORE, 10, 2, 8, 4, false, false },
        { 0xc82a, "c.swsp a0,16(sp)", INSN_STORE, 10, 2, 16, 4, false, false },
        { 0xd02a, "c.swsp a0,32(sp)", INSN_STORE, 10, 2, 32, 4, false, false },
        { 0xc0aa, "c.swsp a0,64(sp)", INSN_STORE, 10, 2, 64, 4, false, false },
        { 0xc12a, "c.swsp a0,128(sp)", INSN_STORE, 10, 2, 128, 4, false, false },
        { 0xe42a, "c.sdsp a0,8(sp)", INSN_STORE, 10, 2, 8, 8, false, false },
        { 0xe82a, "c.sdsp a0,16(sp)", INSN_STORE, 10, 2, 16, 8, false, false },
        { 0xf02a, "c.sdsp a0,32(sp)", INSN_STORE, 10, 2, 32, 8, false, false },
        { 0xe0aa, "c.sdsp a0,64(sp)", INSN_STORE, 10, 2, 64, 8, false, false },
        { 0xe12a, "c.sdsp a0,128(sp)", INSN_STORE, 10, 2, 128, 8, false, false },
        { 0xe22a, "c.sdsp a0,256(sp)", INSN_STORE, 10, 2, 256, 8, false, false },
        { 0xa42a, "c.fsdsp fa0,8(sp)", INSN_STORE, 10, 2, 8, 8, false, true },
        { 0xa82a, "c.fsdsp fa0,16(sp)", INSN_STORE, 10, 2, 16, 8, false, true },
        { 0xb02a, "c.fsdsp fa0,32(sp)", INSN_STORE, 10, 2, 32, 8, false, true },
        { 0xa0aa, "c.fsdsp fa0,64(sp)", INSN_STORE, 10, 2, 64, 8, false, true },
        { 0xa12a, "c.fsdsp fa0,128(sp)", INSN_STORE, 10, 2, 128, 8, false, true },
        { 0xa22a, "c.fsdsp fa0,256(sp)", INSN_STORE, 10, 2, 256, 8, false, true },
    };
    assert_mem_cases(cases, ARRAY_SIZE(cases));
}

static void unknown_memory_encodings(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; } cases[] = {
        { 0xffc5f503, "LOAD with funct3 7 (reserved)" },
        { 0x02056087, "vle32.v v1,(a0)" },
        { 0x0205f127, "vse64.v v2,(a1)" },
        { 0x0ad60187, "vlse8.v v3,(a2),a3" },
        { 0x00651507, "flh fa0,6(a0) (Zfh)" },
        { 0x0105c587, "flq fa1,16(a1) (Q)" },
        { 0x00a51327, "fsh fa0,6(a0) (Zfh)" },
        { 0x00b5c827, "fsq fa1,16(a1) (Q)" },
        { 0x00a5c423, "STORE with funct3 4 (reserved)" },
        { 0x28c5a52f, "AMO .w with funct5 0x05 (reserved)" },
        { 0x10c5a52f, "lr.w with rs2 = a2 (reserved)" },
        { 0x00c5852f, "AMO with funct3 0 (byte AMOs: Zabha)" },
        { 0x00c5c52f, "AMO with funct3 4" },
        { 0x00150513, "addi a0,a0,1" },
        { 0x4012, "c.lwsp zero,4(sp) (reserved)" },
        { 0x6022, "c.ldsp zero,8(sp) (reserved)" },
        { 0x8388, "quadrant 0, funct3 4 (reserved)" },
        { 0x0000, "c.unimp" },
        { 0x0808, "c.addi4spn a0,sp,16" },
        { 0x0505, "c.addi a0,1" },
        { 0x6585, "c.lui a1,0x1" },
        { 0x050e, "c.slli a0,0x3" },
        { 0x8082, "c.jr ra" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct insn d = decode(cases[i].bits);
        if (d.kind != INSN_UNKNOWN)
            fail_msg("%s (%#x): kind %d, not unknown", cases[i].text, cases[i].bits, d.kind);
        assert_int_equal(d.length, (cases[i].bits & 3) == 3 ? 4 : 2);
    }
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
        cmocka_unit_test(integer_loads),
        cmocka_unit_test(integer_stores),
        cmocka_unit_test(fp_loads_and_stores),
        cmocka_unit_test(atomic_memory_operations),
        cmocka_unit_test(load_reserved_and_store_conditional),
        cmocka_unit_test(compressed_loads_and_stores),
        cmocka_unit_test(compressed_offsets_bit_by_bit),
        cmocka_unit_test(unknown_memory_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
