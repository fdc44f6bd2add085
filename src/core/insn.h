/* Instruction decoding for the instructions lodger emulates.
 * Pure C; host-tested in tests/host/test_insn.c. */
#ifndef LODGER_CORE_INSN_H
#define LODGER_CORE_INSN_H

#include <stdint.h>
#include <stdbool.h>

enum insn_kind {
    INSN_UNKNOWN = 0,
    INSN_CSR,           /* csrrw/csrrs/csrrc and immediate forms */
    INSN_SRET,
    INSN_WFI,
    INSN_SFENCE_VMA,
    INSN_ECALL,
    INSN_EBREAK,
    INSN_LOAD,          /* integer or FP load, incl. compressed forms */
    INSN_STORE,
    INSN_AMO,           /* AMO*.W/D */
    INSN_LR,
    INSN_SC,
};

enum amo_op {
    AMO_SWAP, AMO_ADD, AMO_XOR, AMO_AND, AMO_OR, AMO_MIN, AMO_MAX, AMO_MINU, AMO_MAXU,
};

enum csr_op { CSR_OP_WRITE = 1, CSR_OP_SET = 2, CSR_OP_CLEAR = 3 };

struct insn {
    enum insn_kind kind;
    unsigned length;        /* 2 or 4 bytes */
    unsigned rd, rs1, rs2;
    unsigned csr;
    enum csr_op csr_op;
    bool csr_imm;           /* rs1 field is a 5-bit immediate */
    /* Memory accesses: address = x[rs1] + imm; data register rd (loads) or
     * rs2 (stores, AMOs), in the FP file when fp. */
    int64_t imm;
    unsigned width;         /* 1, 2, 4 or 8 bytes */
    bool sign_extend;
    bool fp;
    enum amo_op amo;
};

/* Length of an instruction from its low 16 bits (unprivileged spec 1.5). */
static inline unsigned insn_length(uint32_t low_bits)
{
    return (low_bits & 3) == 3 ? 4 : 2;
}

void insn_decode(uint32_t bits, struct insn *out);

#endif
