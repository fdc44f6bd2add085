/* The virtual board each VM gets, laid out like QEMU virt so that guests
 * built for it find things where they expect: a PLIC and an NS16550A UART
 * (IRQ 10). MMIO accesses reach the devices through one table of regions. */
#ifndef LODGER_DEV_BOARD_H
#define LODGER_DEV_BOARD_H

#include <stdint.h>
#include <stdbool.h>
#include "core/spinlock.h"
#include "dev/uart.h"
#include "dev/plic.h"
#include "core/guest_panic.h"

#define BOARD_PLIC_BASE 0x0c000000UL
#define BOARD_UART_BASE 0x10000000UL
#define BOARD_UART_IRQ 10
#define BOARD_UART_CLOCK_HZ 3686400

struct vm;

struct mmio_region {
    uint64_t base, size;
    const char *name;
    /* width is 1, 2, 4 or 8; false: the access is not allowed (access fault). */
    bool (*read)(struct vm *vm, uint64_t offset, unsigned width, uint64_t *value);
    bool (*write)(struct vm *vm, uint64_t offset, unsigned width, uint64_t value);
};

struct board {
    struct spinlock lock;
    /* Where the PLIC's context outputs go: context i is vCPU i's supervisor
     * external interrupt line, `level` its new state. Set by the VM's
     * maker (core/vm.c: vm_external_line), so devices never reach a vCPU
     * or a hart themselves; called with the board's lock held. */
    void (*external_line)(struct vm *vm, unsigned context, bool level);
    bool uart_used;             /* the guest has touched its UART: feed it input */
    struct uart uart;
    struct plic plic;
    /* The guest's consoles (UART, SBI console), watched for a kernel panic. */
    struct guest_panic uart_panic, sbi_panic;
    const char *panic_reason;   /* set once a panic line started */
    uint64_t panic_deadline;    /* end the VM at this time (UINT64_MAX: no panic) */
};

/* After a panic line, the rest of the report (backtrace) gets this long to
 * arrive before the VM ends, if its closing line does not come first. */
#define BOARD_PANIC_GRACE_MS 2000

void board_init(struct vm *vm);
const struct mmio_region *board_find_region(uint64_t gpa);
/* Moves host console input into the UART; call periodically. */
void board_poll_input(struct vm *vm);
/* The guest's SBI console output (DBCN, legacy putchar): to lodger's
 * console, and through the panic watch. */
void board_sbi_console_write(struct vm *vm, const char *s, unsigned long len);
/* Recomputes the interrupt lines (UART -> PLIC -> external_line). */
void board_update_interrupts(struct vm *vm);

#endif
