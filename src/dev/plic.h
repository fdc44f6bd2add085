/* A RISC-V PLIC (platform-level interrupt controller spec v1.0.0) as a pure
 * state machine: level-triggered sources, one context per vCPU (its
 * S-mode external interrupt). Host-tested. */
#ifndef LODGER_DEV_PLIC_H
#define LODGER_DEV_PLIC_H

#include <stdint.h>
#include <stdbool.h>

#define PLIC_SOURCES 32         /* source 0 does not exist */
#define PLIC_CONTEXTS 16
#define PLIC_MMIO_SIZE 0x4000000UL

struct plic {
    uint32_t priority[PLIC_SOURCES];
    uint32_t level;             /* bit n: source n's line is high */
    uint32_t pending;
    uint32_t claimed;           /* claimed and not yet completed */
    uint32_t enable[PLIC_CONTEXTS];
    uint32_t threshold[PLIC_CONTEXTS];
    unsigned contexts;
};

void plic_reset(struct plic *p, unsigned contexts);
uint32_t plic_read(struct plic *p, uint64_t offset);
void plic_write(struct plic *p, uint64_t offset, uint32_t value);
void plic_set_level(struct plic *p, unsigned source, bool high);
/* Whether context ctx has an interrupt to take (drives its SEIP). */
bool plic_context_pending(const struct plic *p, unsigned ctx);

#endif
