/* Trap-free sites (issue 15 item 2): which CSR instructions of the guest
 * kernel treat a CSR as plain storage, and the load or store that does the
 * same on the vCPU's plain CSRs (first/frame.h, FRAME_PLAIN_VA) with no
 * trap. Pure; host-tested in tests/host/test_plain_csr.c. */
#ifndef LODGER_CORE_PLAIN_CSR_H
#define LODGER_CORE_PLAIN_CSR_H

#include <stdint.h>

/* The instruction that replaces insn in a patched copy (an `ld rd,
 * imm(zero)` or `sd rs, imm(zero)` reaching the CSR's slot in the last
 * FRAME_PLAIN_SIZE bytes of the address space), or 0 if insn is not one
 * of the forms that qualify. */
uint32_t plain_csr_form(uint32_t insn);

/* The address the replacement of insn accesses (plain_csr_form(insn) != 0). */
uint64_t plain_csr_address(uint32_t insn);

#endif
