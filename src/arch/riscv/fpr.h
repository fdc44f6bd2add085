/* The hart's FP registers, which hold the running guest's values. */
#ifndef LODGER_ARCH_RISCV_FPR_H
#define LODGER_ARCH_RISCV_FPR_H

#include <stdint.h>

uint64_t fpr_read(unsigned n);
void fpr_write(unsigned n, uint64_t value);

/* A vCPU's FP registers while another vCPU has the hart (fcsr at byte 256). */
struct fp_state {
    uint64_t f[32];
    uint64_t fcsr;
};
void fpr_save(struct fp_state *s);
void fpr_restore(const struct fp_state *s);

#endif
