/* Fuzzes the instruction decoder (src/core/insn.c) with any 32-bit word: a
 * guest's instruction bits (stval or guest memory) reach it unchecked. The
 * decoded fields must stay in their ranges, as the emulators index
 * register files and CSR tables with them. */
#include "fuzz.h"
#include "core/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    uint32_t bits = fuzz_u32(&in);
    struct insn d;
    memset(&d, 0x5a, sizeof(d));
    insn_decode(bits, &d);
    FUZZ_CHECK(d.length == insn_length(bits));
    if (d.kind == INSN_UNKNOWN)
        return 0;
    FUZZ_CHECK(d.rd < 32 && d.rs1 < 32 && d.rs2 < 32);
    if (d.kind == INSN_CSR) {
        FUZZ_CHECK(d.csr < 4096);
        FUZZ_CHECK(d.csr_op == CSR_OP_WRITE || d.csr_op == CSR_OP_SET ||
                   d.csr_op == CSR_OP_CLEAR);
    }
    if (d.kind == INSN_LOAD || d.kind == INSN_STORE || d.kind == INSN_AMO ||
        d.kind == INSN_LR || d.kind == INSN_SC)
        FUZZ_CHECK(d.width == 1 || d.width == 2 || d.width == 4 || d.width == 8);
    if (d.kind == INSN_AMO)
        FUZZ_CHECK(d.amo <= AMO_MAXU);
    return 0;
}
