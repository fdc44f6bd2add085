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
    bool uart_used;             /* the guest has touched its UART: feed it input */
    struct uart uart;
    struct plic plic;
};

void board_init(struct vm *vm);
const struct mmio_region *board_find_region(uint64_t gpa);
/* Moves host console input into the UART; call periodically. */
void board_poll_input(struct vm *vm);
/* Recomputes the interrupt lines (UART -> PLIC -> each vCPU's SEIP). */
void board_update_interrupts(struct vm *vm);

#endif
