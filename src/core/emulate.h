/* Emulation of one guest load, store, AMO or LR/SC on guest memory, as the
 * hardware would do it: used for guest accesses to content displaced by the
 * first portion (shared/DESIGN.md step 3). Pure C: memory, registers and
 * translation come through callbacks; host-tested in tests/host/test_emulate.c. */
#ifndef LODGER_CORE_EMULATE_H
#define LODGER_CORE_EMULATE_H

#include <stdint.h>
#include <stdbool.h>
#include "core/insn.h"
#include "core/guest_walk.h"

struct emulate_ops {
    /* Host pointer for guest-virtual va..va+len-1 (within one page) for the
     * access, or NULL with *cause set to the fault the guest takes. */
    void *(*translate)(void *ctx, uint64_t va, uint64_t len, enum access_type access,
                       uint64_t *cause);
    uint64_t (*read_reg)(void *ctx, unsigned reg, bool fp);
    void (*write_reg)(void *ctx, unsigned reg, bool fp, uint64_t value);
    void *ctx;
};

/* The LR reservation of one hart: SC succeeds only if the reserved address
 * still holds the value LR read (compare-and-swap, as QEMU does). */
struct reservation {
    bool valid;
    uint64_t va, value;
    unsigned width;
};

enum emulate_result {
    EMULATE_DONE,           /* registers and memory updated: advance pc */
    EMULATE_FAULT,          /* the guest takes *cause with stval *tval */
    EMULATE_UNSUPPORTED,    /* not a memory access this emulator knows */
};

enum emulate_result emulate_access(const struct insn *d, const struct emulate_ops *ops,
                                   struct reservation *res, uint64_t *cause, uint64_t *tval);

#endif
