/* The user counters read on the guest's behalf (src/arch/riscv/counters.S):
 * readable = 0 when the firmware denies S-mode the counter (mcounteren). */
#ifndef LODGER_ARCH_RISCV_COUNTERS_H
#define LODGER_ARCH_RISCV_COUNTERS_H

#include <stdint.h>
#include <stdbool.h>

struct counter_value {
    uint64_t value, readable;
};
struct counter_value counter_read_cycle(void);
struct counter_value counter_read_instret(void);

/* For lodger's own trap handler: if the illegal-instruction trap at pc is
 * one of the reads above, the resume pc after it (the caller sets a0 and
 * a1 to 0), else 0. */
static inline uint64_t counter_read_fixup(uint64_t pc)
{
    extern char counter_read_cycle_insn[], counter_read_instret_insn[];
    if (pc == (uint64_t)counter_read_cycle_insn || pc == (uint64_t)counter_read_instret_insn)
        return pc + 4;
    return 0;
}

#endif
