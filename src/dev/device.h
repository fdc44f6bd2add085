/* Emulated devices as descriptors. Each VM has one table of the devices it
 * was given (dev/devices.def lists them; board.c registers them when the VM
 * is made): where each sits in guest-physical space, its interrupt line, its
 * register operations, its reset, its device-tree node and its state. MMIO
 * that reaches no RAM is looked up here (as Bao's per-VM vm_emul_add_mem
 * list and Xvisor's emulator registry do). The table itself (devtable.c)
 * is pure and host-tested; "How to add a device" in docs/ARCHITECTURE.md. */
#ifndef LODGER_DEV_DEVICE_H
#define LODGER_DEV_DEVICE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct vm;
struct vcpu;
struct device;

/* What a register access did. */
enum dev_status {
    DEV_DONE,       /* done (a read's value set) */
    DEV_FAULT,      /* not allowed: the guest takes an access fault, as from a bus error */
    DEV_EXIT,       /* done, and the accessing vCPU's exit is set (trap_exit): the
                     * VM ends, restarts or the vCPU stops at the top of the trap path */
    DEV_DEFER,      /* done so far: the model's `deferred` op finishes it once the
                     * board lock is dropped (work too long to hold the VM's other
                     * vCPUs' device accesses up: a virtio queue notify doing disk I/O) */
    DEV_RETRY,      /* from `deferred` only: part done, the rest when the guest runs
                     * the same access again (it resumes at it, pc unchanged): a
                     * guest that keeps a device busy cannot keep its hart from
                     * the scheduler */
};

/* What a device's tree node needs to know of the rest of the tree. */
struct dev_dt_ctx {
    unsigned vcpus;
    uint32_t irq_parent;    /* phandle of the VM's interrupt controller (0: none) */
};
/* The phandle of vCPU id's riscv,cpu-intc node (guest_dt.c writes them). */
#define DEV_DT_CPU_INTC_PHANDLE(id) (1u + (id))
/* Each registered device's phandle: this plus its index in the table. */
#define DEV_DT_PHANDLE_BASE 0x100u

#define DEV_IRQCHIP 1u      /* the interrupt controller device lines go to */
#define DEV_CONSOLE 2u      /* takes host console input; the tree's stdout-path */

/* One kind of device, shared by every VM that has one. Register accesses
 * are naturally aligned, 1, 2, 4 or 8 bytes wide, wholly inside the
 * device, and run with the VM's board lock held. */
struct device_model {
    const char *name;           /* node name ("serial" makes serial@10000000) */
    uint64_t base, size;        /* where it is (QEMU virt's place) */
    unsigned irq;               /* its line on the interrupt controller (0: none) */
    size_t state_size;          /* bytes of per-VM state (d->state, zeroed at registration) */
    unsigned flags;             /* DEV_IRQCHIP, DEV_CONSOLE */
    enum dev_status (*read)(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                            uint64_t *value);
    enum dev_status (*write)(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                             uint64_t value);
    /* As at power-on (VM creation and each reboot). */
    void (*reset)(struct device *d);
    /* Its node under /soc, and (optional) nodes at the root; libfdt's
     * sequential-write calls; return 0 or a libfdt error. */
    int (*dt_node)(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx);
    int (*dt_root)(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx);
    /* DEV_IRQCHIP: a source's level; whether vCPU ctx has an interrupt to take. */
    void (*set_irq)(struct device *d, unsigned irq, bool high);
    bool (*pending)(const struct device *d, unsigned ctx);
    /* DEV_CONSOLE: moves waiting host console input in. */
    void (*input)(struct device *d);
    /* After a write returned DEV_DEFER, called by the same vCPU without the
     * board lock; returns DEV_DONE, DEV_EXIT or DEV_RETRY. */
    enum dev_status (*deferred)(struct device *d, struct vcpu *v);
    /* Optional, for a device a VM has only when its configuration asks (a
     * disk): called at VM creation right after registration (d->vm set,
     * state zeroed, before the first reset) to read the configuration
     * (d->vm->image). Returns DEV_SETUP_PRESENT, DEV_SETUP_ABSENT (the entry
     * is removed again) or DEV_SETUP_ERROR with err set to one line (the VM,
     * and so the image, is refused). */
    int (*setup)(struct device *d, char *err, unsigned long errlen);
    /* Optional, for a device that acts at a time of its own (an RTC's
     * alarm): the host time it asked for with board_set_deadline came;
     * called with the board lock held, now the `time` CSR, its deadline
     * already cleared (it sets a new one if it wants). */
    void (*timer)(struct device *d, uint64_t now);
    /* Optional: prints the device's counters on lodger's console, one
     * line each starting "lodger: vmN ", with the VM's (at its end). */
    void (*print)(const struct device *d);
    /* Constant data of the model's own kind (virtio: struct virtio_ops). */
    const void *impl;
};

#define DEV_SETUP_PRESENT 1
#define DEV_SETUP_ABSENT 0
#define DEV_SETUP_ERROR (-1)

/* A device in one VM's table. */
struct device {
    const struct device_model *model;
    uint64_t base, size;
    unsigned irq;
    uint32_t phandle;
    void *state;
    struct vm *vm;
    uint64_t deadline;          /* host time its timer op is due (UINT64_MAX: none) */
};

/* Per VM: the board's three, up to 8 virtio-mmio slots, room to spare;
 * virtio devices hold a descriptor chain's segments (dev/vq.h). */
#define DEV_MAX 16
#define DEV_STATE_SPACE 32768

struct dev_table {
    struct device dev[DEV_MAX];
    unsigned count;
    size_t state_used;
    _Alignas(16) unsigned char state_space[DEV_STATE_SPACE];
};

enum dev_add_error {
    DEV_ADD_OK = 0,
    DEV_ADD_FULL = -1,          /* DEV_MAX devices already */
    DEV_ADD_BAD_RANGE = -2,     /* size 0, or the range wraps past 2^64 */
    DEV_ADD_OVERLAP = -3,       /* it overlaps a device already registered */
    DEV_ADD_NO_SPACE = -4,      /* its state does not fit DEV_STATE_SPACE */
};

void dev_table_clear(struct dev_table *t);
/* Registers a device of model m at [base, base + size) with line irq; on
 * success *out (if not NULL) is its entry, state zeroed. */
enum dev_add_error dev_table_add(struct dev_table *t, const struct device_model *m, uint64_t base,
                                 uint64_t size, unsigned irq, struct device **out);
/* Removes the entry added last (a device its VM does not have after all:
 * DEV_SETUP_ABSENT), its state space with it. */
void dev_table_drop_last(struct dev_table *t);
/* The device whose range holds gpa (NULL: none). */
struct device *dev_table_find(const struct dev_table *t, uint64_t gpa);
/* The device that holds all of [gpa, gpa + width), with *offset its offset
 * there; NULL if none does (nothing there, or the access runs past its end). */
struct device *dev_table_lookup(const struct dev_table *t, uint64_t gpa, unsigned width,
                                uint64_t *offset);
/* The first device with every bit of flag (NULL: none). */
struct device *dev_table_with(const struct dev_table *t, unsigned flag);
const char *dev_add_error_string(enum dev_add_error e);

/* Tree helpers for dt_node writers: begins the node "<name>@<base>" and
 * writes its reg (two cells each) and phandle; writes interrupts and
 * interrupt-parent when the device has a line and the VM a controller. */
int dev_dt_begin(void *fdt, const struct device *d);
int dev_dt_interrupts(void *fdt, const struct device *d, const struct dev_dt_ctx *ctx);

#endif
