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
};

enum csr_op { CSR_OP_WRITE = 1, CSR_OP_SET = 2, CSR_OP_CLEAR = 3 };

struct insn {
    enum insn_kind kind;
    unsigned length;        /* 2 or 4 bytes */
    unsigned rd, rs1, rs2;
    unsigned csr;
    enum csr_op csr_op;
    bool csr_imm;           /* rs1 field is a 5-bit immediate */
};

/* Length of an instruction from its low 16 bits (unprivileged spec 1.5). */
static inline unsigned insn_length(uint32_t low_bits)
{
    return (low_bits & 3) == 3 ? 4 : 2;
}

void insn_decode(uint32_t bits, struct insn *out);

#endif
