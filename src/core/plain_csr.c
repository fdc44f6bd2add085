/* Which CSR accesses are plain storage (plain_csr.h). Each CSR, against
 * the privileged spec (20211203) and lodger's virtual CSR file (vcsr.c),
 * which the slots are:
 *  - sscratch (4.1.6): read/write, every SXLEN-bit value held. Reads and
 *    writes qualify.
 *  - sepc (4.1.7): WARL, sepc[0] always zero (IALIGN=16). lodger clears bit
 *    0 where it writes the slot (vcsr_write, trap delivery) and where it
 *    uses it (sret, vcsr_read): reads qualify; a write does not (a store
 *    cannot clear the bit).
 *  - scause (4.1.8): the Exception Code is WLRL, so a read after an
 *    unsupported value may return any value that depends only on it; lodger
 *    (as QEMU) holds every value written. Reads and writes qualify.
 *  - stval (4.1.9): WARL, must hold every valid address and 0; lodger (as
 *    QEMU) holds every value. Reads and writes qualify.
 * Not sstatus: SD is derived from FS/VS/XS on read (4.1.1) and the hart
 * turns FS Dirty without a trap (lodger copies it back at the next trap).
 * Not sie/sip: sip changes as interrupts come and go, and a write to sie
 * can make one deliverable at once (4.1.3, taken precisely).
 * Forms (unprivileged spec 9.1, Zicsr): csrrs/csrrc with rs1=x0 and
 * csrrsi/csrrci with uimm=0 only read; csrrw/csrrwi with rd=x0 only write.
 * A read into x0 has nothing to load; a swap (rd and rs1 both set) and a
 * set/clear with an operand need two effects, which one 4-byte instruction
 * slot cannot hold. */
#include <stdbool.h>
#include "core/plain_csr.h"
#include "arch/riscv/encoding.h"
#include "first/frame.h"

#define FUNCT3_CSRRW 1
#define FUNCT3_CSRRS 2
#define FUNCT3_CSRRC 3
#define FUNCT3_CSRRWI 5
#define FUNCT3_CSRRSI 6
#define FUNCT3_CSRRCI 7
#define OPCODE_LOAD_INT 0x03
#define OPCODE_STORE_INT 0x23
#define FUNCT3_DOUBLEWORD 3

/* The slot's offset from x0 (sign-extended 12-bit immediate). */
static int slot_imm(unsigned csr)
{
    return FRAME_PLAIN_IMM(8 * (int)(csr - CSR_SSCRATCH));
}

uint32_t plain_csr_form(uint32_t insn)
{
    if ((insn & 0x7f) != OPCODE_SYSTEM)
        return 0;
    unsigned rd = (insn >> 7) & 31, funct3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31;
    unsigned csr = insn >> 20;
    if (csr < CSR_SSCRATCH || csr > CSR_STVAL)
        return 0;
    uint32_t imm = (uint32_t)slot_imm(csr) & 0xfff;
    bool reads = (funct3 == FUNCT3_CSRRS || funct3 == FUNCT3_CSRRC ||
                  funct3 == FUNCT3_CSRRSI || funct3 == FUNCT3_CSRRCI) && rs1 == 0 && rd != 0;
    if (reads)      /* ld rd, imm(zero) */
        return imm << 20 | FUNCT3_DOUBLEWORD << 12 | rd << 7 | OPCODE_LOAD_INT;
    bool writes = rd == 0 && csr != CSR_SEPC &&
                  (funct3 == FUNCT3_CSRRW || (funct3 == FUNCT3_CSRRWI && rs1 == 0));
    if (writes) {   /* sd rs1, imm(zero); csrrwi's uimm 0 stores x0 */
        unsigned rs2 = funct3 == FUNCT3_CSRRW ? rs1 : 0;
        return (imm >> 5) << 25 | rs2 << 20 | FUNCT3_DOUBLEWORD << 12 | (imm & 31) << 7 |
               OPCODE_STORE_INT;
    }
    return 0;
}

uint64_t plain_csr_address(uint32_t insn)
{
    return (uint64_t)(int64_t)slot_imm(insn >> 20);
}
