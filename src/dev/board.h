/* The virtual board each VM gets, laid out like QEMU virt so that guests
 * built for it find things where they expect. Its devices are the ones
 * dev/devices.def lists, registered in the VM's table (dev/device.h) when
 * the VM is made; MMIO accesses reach them through that table, and their
 * interrupt lines go by number to the VM's interrupt controller (the PLIC).
 * The board also watches the guest's consoles for a kernel panic. */
#ifndef LODGER_DEV_BOARD_H
#define LODGER_DEV_BOARD_H

#include <stdint.h>
#include <stdbool.h>
#include "core/spinlock.h"
#include "dev/device.h"
#include "core/guest_panic.h"

struct vm;
struct vcpu;

struct board {
    struct spinlock lock;       /* every device access, the interrupt lines, the panic watch */
    /* Where the interrupt controller's context outputs go: context i is vCPU
     * i's supervisor external interrupt line, `level` its new state. Set by
     * the VM's maker (core/vm.c: vm_external_line), so devices never reach a
     * vCPU or a hart themselves; called with the board's lock held. */
    void (*external_line)(struct vm *vm, unsigned context, bool level);
    struct dev_table devices;
    struct device *irqchip;     /* DEV_IRQCHIP: where lines go (NULL: none) */
    struct device *console;     /* DEV_CONSOLE: host console input goes there (NULL: none) */
    bool uart_used;             /* the guest has touched its console device: feed it input */
    /* The guest's consoles (UART, SBI console), watched for a kernel panic. */
    struct guest_panic uart_panic, sbi_panic;
    const char *panic_reason;   /* set once a panic line started */
    uint64_t panic_deadline;    /* end the VM at this time (UINT64_MAX: no panic) */
    /* The earliest of its devices' deadlines (struct device; UINT64_MAX:
     * none): each hart holding one of the VM's vCPUs keeps its host timer
     * at or before it (core/vcpu_timer.c). Written under the lock, read
     * without it (atomically). */
    uint64_t device_deadline;
};

/* After a panic line, the rest of the report (backtrace) gets this long to
 * arrive before the VM ends, if its closing line does not come first. */
#define BOARD_PANIC_GRACE_MS 2000

/* At VM creation: registers the devices (dev/devices.def) and resets them;
 * false with err set if the list is wrong (overlap, too many). */
bool board_init(struct vm *vm, char *err, unsigned long errlen);
/* As at power-on (a reboot): every device reset, no panic seen. */
void board_reset(struct vm *vm);
/* The VM's device at gpa (NULL: none). */
struct device *board_find_region(const struct vm *vm, uint64_t gpa);
/* A load (write false: *value set) or store of width bytes at gpa by v,
 * naturally aligned: DEV_FAULT if no device holds all of it. */
enum dev_status board_mmio(struct vcpu *v, uint64_t gpa, unsigned width, bool write,
                           uint64_t *value);
/* A device's interrupt line, by number, on the VM's interrupt controller;
 * called with the board lock held (from a device's operations). */
void board_set_irq(struct vm *vm, unsigned irq, bool high);
/* Device d's timer op is to run at host time `when` (the `time` CSR;
 * UINT64_MAX: not at all), replacing what it asked before; lock held. */
void board_set_deadline(struct device *d, uint64_t when);
/* Runs the timer op of each device whose deadline is at or before now;
 * takes the board lock (cheap when none is due). */
void board_run_timers(struct vm *vm, uint64_t now);
/* Recomputes each vCPU's SEIP from the interrupt controller (lock held). */
void board_update_interrupts(struct vm *vm);
/* A byte a console device transmits (lock held): to lodger's console, and
 * through the panic watch. It is never refused; returns whether the
 * console takes more now (false: the VM's console backlog is full,
 * core/console_mux.h; the device shows its transmitter busy). */
bool board_console_output(struct vm *vm, char c);
/* Whether the VM's board needs board_poll_input: its guest uses its console
 * device, or the board console is multiplexed (input, partial lines,
 * throttling). */
bool board_listening(const struct vm *vm);
/* Polls lodger's console, and moves the VM's input into its console
 * device; call periodically. */
void board_poll_input(struct vm *vm);
/* The guest's SBI console output (DBCN, legacy putchar): to lodger's
 * console, and through the panic watch. Returns how many bytes were taken:
 * fewer than len only with may_refuse, when the VM's console backlog is
 * full (core/console_mux.h). */
unsigned long board_sbi_console_write(struct vm *vm, const char *s, unsigned long len,
                                      bool may_refuse);

#endif
