/* Stand-ins for what the trap dispatcher (src/core/trap.c) and the SBI
 * extensions (src/sbi/) reach beyond themselves: guest memory, the vCPU's
 * hart and scheduler, shadows, devices and the console. Shared by
 * tests/host/test_trap.c and tests/fuzz/fuzz_trap.c. Each fake does what
 * the real one does to the vCPU's state, as far as a test can see it, and
 * records what reached it in `fake`, for the caller to check. */
#ifndef LODGER_TESTS_FAKE_VCPU_H
#define LODGER_TESTS_FAKE_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "core/vm.h"
#include "core/trap.h"

#define FAKE_LOG 64     /* entries kept in each log below (later ones only counted) */

struct fake_state {
    /* Set by the test. */
    uint8_t *ram;                   /* host copy of guest RAM: vm->ram_gpa, vm->ram_size */
    enum shadow_fill_result fill_result;
    uint64_t fill_cause, fill_gpa;  /* for SHADOW_GUEST_FAULT, SHADOW_MMIO (which a fetch,
                                     * or a gpa no region has, turns into an access fault) */
    bool fetch_ok;                  /* vcpu_fetch_insn: fetch_bits, or fetch_cause */
    uint32_t fetch_bits;
    uint64_t fetch_cause;
    enum trap_result resolve_result;    /* first_portion_resolve */
    const struct dev_table *devices;    /* the VM's devices (NULL: none): board_find_region
                                         * and board_mmio look them up with dev/devtable.c */
    long start_error;               /* vcpu_start of a stopped vCPU: 0 starts it */
    const char *input;              /* console_vm_getchar: these bytes, then -1 */
    uint64_t plain_pc;              /* patch_plain_fault: a trap-free site at this pc */
    uint32_t plain_insn;            /* ...standing for this instruction (0: none) */
    unsigned long input_len;
    /* Recorded. */
    int acked_irq;                  /* last hart_ack_interrupt (-1: none) */
    int started_vcpu;               /* last vcpu_start that started one (-1: none) */
    unsigned long starts;           /* vcpu_start calls */
    uint64_t raised, requested;     /* vcpu_raise / vcpu_request targets (bit = vCPU id) */
    uint64_t notified;              /* vcpu_notify targets (bit = vCPU id) */
    unsigned long notifies;         /* vcpu_notify calls */
    unsigned long bad_targets;      /* raise/request/start of a vCPU outside vm->vcpus[0..count) */
    unsigned long flush_pages, flush_asids, flush_alls;
    uint64_t flushed_va[FAKE_LOG], flushed_asid[FAKE_LOG];
    unsigned long refill_pages;     /* shadow_refill_page calls: after a flush of the same va */
    unsigned long refills_after_flush;
    unsigned long console_writes, console_bytes;
    const char *console_from[FAKE_LOG];
    unsigned long console_len[FAKE_LOG];
    unsigned long gpa_grants;       /* vm_gpa_to_host answers that were not NULL */
    unsigned long getchars, timer_sets, counter_prints;
};
extern struct fake_state fake;

/* A VM of `vcpus` vCPUs on frames[0..vcpus), RAM at VM_RAM_BASE of ram_size
 * bytes, translation modes Bare and Sv39, 16 ASID bits, sstatus.FS writable;
 * each vCPU running in virtual S, CSRs reset, no timer deadline. */
void fake_vm_init(struct vm *vm, struct trap_frame *frames, int vcpus, uint64_t ram_size);
/* Clears the record and sets the defaults: fill FILLED, fetch faults,
 * resolve RETRY, no devices, starts succeed, no input. */
void fake_reset(uint8_t *ram);
/* The VM's RAM as the fakes serve it: [gpa, gpa + len) wholly inside (no
 * wrap past 2^64), as an exact 128-bit comparison. */
bool fake_in_ram(const struct vm *vm, uint64_t gpa, uint64_t len);
/* The same for a host pointer into fake.ram. */
bool fake_host_in_ram(const struct vm *vm, const void *p, uint64_t len);

#endif
