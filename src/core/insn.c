#include "core/insn.h"
#include "arch/riscv/encoding.h"

static void decode_system(uint32_t bits, struct insn *d)
{
    unsigned funct3 = (bits >> 12) & 7;
    d->rd = (bits >> 7) & 31;
    d->rs1 = (bits >> 15) & 31;
    d->rs2 = (bits >> 20) & 31;
    if (funct3 != 0 && funct3 != 4) {
        d->kind = INSN_CSR;
        d->csr = bits >> 20;
        d->csr_op = (enum csr_op)(funct3 & 3);
        d->csr_imm = funct3 & 4;
        return;
    }
    if (funct3 == 4)  /* reserved (hlv/hsv live here with H) */
        return;
    if (bits == 0x00000073u)
        d->kind = INSN_ECALL;
    else if (bits == 0x00100073u)
        d->kind = INSN_EBREAK;
    else if (bits == MATCH_SRET)
        d->kind = INSN_SRET;
    else if (bits == MATCH_WFI)
        d->kind = INSN_WFI;
    else if ((bits & MASK_SFENCE_VMA) == MATCH_SFENCE_VMA)
        d->kind = INSN_SFENCE_VMA;
}

void insn_decode(uint32_t bits, struct insn *d)
{
    *d = (struct insn){ .kind = INSN_UNKNOWN, .length = insn_length(bits) };
    if (d->length == 4 && (bits & 0x7f) == OPCODE_SYSTEM)
        decode_system(bits, d);
}
