/* Virtual machines: memory, devices, shadows, first portion and vCPUs
 * (struct vcpu and its functions: core/vcpu.h). */
#ifndef LODGER_CORE_VM_H
#define LODGER_CORE_VM_H

#include <stdint.h>
#include <stdbool.h>
#include "core/vcpu.h"
#include "core/vcsr.h"
#include "core/shadow.h"
#include "core/image.h"
#include "core/limits.h"
#include "dev/board.h"
#include "core/first_portion.h"
#include "core/patch.h"
#include "core/spinlock.h"
#include "arch/riscv/encoding.h"

#define VM_MAX_VMS LODGER_MAX_VMS
#define VM_RAM_BASE 0x80000000UL    /* guest-physical, as on QEMU virt */

struct hart;

struct vm {
    int id;
    struct vm_image image;
    uint64_t ram_gpa, ram_size, ram_hpa;
    struct first_portion first; /* its place, window, history, counters (first_portion.c) */
    struct vcsr_config csr_cfg;
    struct shadow_cache shadows;
    struct patch_state patch;   /* patched guest-kernel code (core/patch.h) */
    struct board board;
    int vcpu_count;
    struct vcpu vcpus[VM_MAX_VCPUS];
    uint32_t hart_mask;         /* lodger's harts (bit = index) its vCPUs may run on */
    struct spinlock lock;       /* shadows, first-portion moves */
    volatile int rendezvous;    /* a vCPU is moving the first portion: others wait */
    volatile int ending;        /* vm_end has begun (on one hart) */
    volatile int rebooting;     /* a vCPU is restarting the VM: the others stop */
    unsigned boots;             /* boots so far, this one included */
    volatile bool ended;
    int exit_failed;            /* the guest reported a failure */
};

/* Creates the next VM (vm0, vm1, ...) from its configuration: its own RAM
 * (zeroed), vCPUs, devices, first-portion place, shadows and counters. On
 * failure returns NULL with err set, naming the configuration's property at
 * fault (lodger then does not boot). */
struct vm *vm_create(const struct vm_image *img, char *err, unsigned long errlen);
/* The hart that runs vm's vCPU 0 at power-on: the one it may use that holds
 * the fewest vCPUs (NULL: none is online). */
struct hart *vm_boot_hart(const struct vm *vm);
/* lodger's own table maps the first portion's code at vm->first_va (the
 * instruction after each satp switch is fetched there) and no longer at
 * old_va unless another VM sits there too. False: out of memory. */
bool vm_map_first_code(struct vm *vm, uint64_t old_va);
void __attribute__((noreturn)) vm_run(struct vm *vm);
/* Ends the VM: prints why and its counters; lodger shuts down when no VM is
 * left. Never returns: the hart goes on with other vCPUs (hart_park). Call
 * it only where this hart holds no lock and no rendezvous, that is from the
 * top of the trap path (core/vcpu_exit.c) and the scheduler (vcpu_resume,
 * idle); handlers return TRAP_EXIT instead (core/trap.h). */
void __attribute__((noreturn)) vm_end(struct vm *vm, bool failed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Restarts the VM from its images (SBI SRST reboot), called like vm_end: every other vCPU
 * stopped, memory, devices, shadows and first portion as at the first boot,
 * vCPU 0 at the kernel entry on this hart. */
void __attribute__((noreturn)) vm_reboot(struct vcpu *self);
/* Ends the VM after its kernel reported a panic on its console (dev/board.c). */
void __attribute__((noreturn)) vm_end_panic(struct vm *vm);
void vm_print_counters(const struct vm *vm);

/* The board's interrupt line into vCPU `context` (struct board
 * external_line): its virtual SEIP follows level, and a newly pending one
 * is noticed at once, whichever hart holds the vCPU (core/vcpu_irq.c). */
void vm_external_line(struct vm *vm, unsigned context, bool level);

/* Guest-physical memory, always through these bounds-checked helpers. */
void *vm_gpa_to_host(const struct vm *vm, uint64_t gpa, uint64_t len);
bool vm_read(const struct vm *vm, uint64_t gpa, void *buf, uint64_t len);
bool vm_write(const struct vm *vm, uint64_t gpa, const void *buf, uint64_t len);

/* Brings every other running vCPU of the VM out of guest mode and holds it
 * in lodger until vm_release_others(); false if another vCPU got there first
 * (then this one has waited for it, and should retry its trap). */
bool vm_hold_others(struct vcpu *self);
void vm_release_others(struct vm *vm);

#endif
