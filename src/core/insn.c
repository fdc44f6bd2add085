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

#define OPCODE_LOAD 0x03
#define OPCODE_LOAD_FP 0x07
#define OPCODE_STORE 0x23
#define OPCODE_STORE_FP 0x27
#define OPCODE_AMO 0x2f

static uint32_t field(uint32_t bits, int hi, int lo)
{
    return (bits >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static int64_t sign_extend(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static void mem_access(struct insn *d, enum insn_kind kind, unsigned width, bool sign, bool fp)
{
    d->kind = kind;
    d->width = width;
    d->sign_extend = sign;
    d->fp = fp;
}

static void decode_memory(uint32_t bits, struct insn *d)
{
    unsigned opcode = bits & 0x7f, funct3 = field(bits, 14, 12);
    d->rd = field(bits, 11, 7);
    d->rs1 = field(bits, 19, 15);
    d->rs2 = field(bits, 24, 20);
    switch (opcode) {
    case OPCODE_LOAD:
        if (funct3 == 7)
            return;
        d->imm = sign_extend(bits >> 20, 12);
        mem_access(d, INSN_LOAD, 1u << (funct3 & 3), funct3 < 4, false);
        return;
    case OPCODE_LOAD_FP:
        if (funct3 != 2 && funct3 != 3)
            return;     /* vector loads are not emulated */
        d->imm = sign_extend(bits >> 20, 12);
        mem_access(d, INSN_LOAD, funct3 == 2 ? 4 : 8, false, true);
        return;
    case OPCODE_STORE:
    case OPCODE_STORE_FP:
        if ((opcode == OPCODE_STORE && funct3 > 3) ||
            (opcode == OPCODE_STORE_FP && funct3 != 2 && funct3 != 3))
            return;
        d->imm = sign_extend((field(bits, 31, 25) << 5) | field(bits, 11, 7), 12);
        mem_access(d, INSN_STORE, 1u << (funct3 & 3), false, opcode == OPCODE_STORE_FP);
        return;
    case OPCODE_AMO: {
        if (funct3 != 2 && funct3 != 3)
            return;
        unsigned width = funct3 == 2 ? 4 : 8, funct5 = field(bits, 31, 27);
        static const struct { unsigned funct5; enum amo_op op; } amos[] = {
            { 0x01, AMO_SWAP }, { 0x00, AMO_ADD }, { 0x04, AMO_XOR }, { 0x0c, AMO_AND },
            { 0x08, AMO_OR }, { 0x10, AMO_MIN }, { 0x14, AMO_MAX }, { 0x18, AMO_MINU },
            { 0x1c, AMO_MAXU },
        };
        if (funct5 == 0x02 && d->rs2 == 0) {
            mem_access(d, INSN_LR, width, true, false);
            return;
        }
        if (funct5 == 0x03) {
            mem_access(d, INSN_SC, width, true, false);
            return;
        }
        for (unsigned i = 0; i < sizeof(amos) / sizeof(amos[0]); i++) {
            if (amos[i].funct5 == funct5) {
                mem_access(d, INSN_AMO, width, true, false);
                d->amo = amos[i].op;
            }
        }
        return;
    }
    }
}

/* RVC loads and stores (unprivileged spec 16.3). */
static void decode_compressed(uint32_t bits, struct insn *d)
{
    unsigned quadrant = bits & 3, funct3 = field(bits, 15, 13);
    unsigned rd_short = 8 + field(bits, 4, 2), rs1_short = 8 + field(bits, 9, 7);
    uint32_t imm_d = (field(bits, 12, 10) << 3) | (field(bits, 6, 5) << 6);    /* C.LD/SD/FLD/FSD */
    uint32_t imm_w = (field(bits, 12, 10) << 3) | (field(bits, 6, 6) << 2) | (field(bits, 5, 5) << 6);
    if (quadrant == 0) {
        d->rs1 = rs1_short;
        d->rd = d->rs2 = rd_short;
        switch (funct3) {
        case 1: d->imm = imm_d; mem_access(d, INSN_LOAD, 8, false, true); break;   /* c.fld */
        case 2: d->imm = imm_w; mem_access(d, INSN_LOAD, 4, true, false); break;   /* c.lw */
        case 3: d->imm = imm_d; mem_access(d, INSN_LOAD, 8, true, false); break;   /* c.ld */
        case 5: d->imm = imm_d; mem_access(d, INSN_STORE, 8, false, true); break;  /* c.fsd */
        case 6: d->imm = imm_w; mem_access(d, INSN_STORE, 4, false, false); break; /* c.sw */
        case 7: d->imm = imm_d; mem_access(d, INSN_STORE, 8, false, false); break; /* c.sd */
        }
    } else if (quadrant == 2) {
        d->rs1 = 2;     /* sp-relative */
        d->rd = field(bits, 11, 7);
        d->rs2 = field(bits, 6, 2);
        uint32_t lsp_d = (field(bits, 12, 12) << 5) | (field(bits, 6, 5) << 3) | (field(bits, 4, 2) << 6);
        uint32_t lsp_w = (field(bits, 12, 12) << 5) | (field(bits, 6, 4) << 2) | (field(bits, 3, 2) << 6);
        uint32_t ssp_d = (field(bits, 12, 10) << 3) | (field(bits, 9, 7) << 6);
        uint32_t ssp_w = (field(bits, 12, 9) << 2) | (field(bits, 8, 7) << 6);
        switch (funct3) {
        case 1: d->imm = lsp_d; mem_access(d, INSN_LOAD, 8, false, true); break;    /* c.fldsp */
        case 2: if (d->rd) { d->imm = lsp_w; mem_access(d, INSN_LOAD, 4, true, false); } break;
        case 3: if (d->rd) { d->imm = lsp_d; mem_access(d, INSN_LOAD, 8, true, false); } break;
        case 5: d->imm = ssp_d; mem_access(d, INSN_STORE, 8, false, true); break;   /* c.fsdsp */
        case 6: d->imm = ssp_w; mem_access(d, INSN_STORE, 4, false, false); break;  /* c.swsp */
        case 7: d->imm = ssp_d; mem_access(d, INSN_STORE, 8, false, false); break;  /* c.sdsp */
        }
    }
}

void insn_decode(uint32_t bits, struct insn *d)
{
    *d = (struct insn){ .kind = INSN_UNKNOWN, .length = insn_length(bits) };
    if (d->length == 2) {
        decode_compressed(bits & 0xffff, d);
        return;
    }
    if ((bits & 0x7f) == OPCODE_SYSTEM)
        decode_system(bits, d);
    else
        decode_memory(bits, d);
}
