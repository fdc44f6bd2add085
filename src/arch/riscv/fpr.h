/* The hart's FP registers, which hold the running guest's values. */
#ifndef LODGER_ARCH_RISCV_FPR_H
#define LODGER_ARCH_RISCV_FPR_H

#include <stdint.h>

uint64_t fpr_read(unsigned n);
void fpr_write(unsigned n, uint64_t value);

#endif
