/* The board's NS16550A UART (dev/uart.c's state machine) as a device: at
 * QEMU virt's place and line, the guest's console (host input goes to it,
 * its output to lodger's console through the panic watch). */
#include <libfdt.h>
#include "dev/board.h"
#include "dev/uart.h"
#include "core/vm.h"
#include "core/console.h"

#define UART_BASE 0x10000000UL
#define UART_IRQ 10
#define UART_CLOCK_HZ 3686400

static bool output(void *ctx, char c)
{
    return board_console_output(ctx, c);
}

static void uart_line(struct device *d)
{
    board_set_irq(d->vm, d->irq, uart_irq_pending(d->state));
}

static enum dev_status read(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                            uint64_t *value)
{
    (void)v; (void)width;   /* byte registers; wider reads return the byte */
    d->vm->board.uart_used = true;
    *value = offset < 8 ? uart_read(d->state, (unsigned)offset) : 0;
    uart_line(d);
    return DEV_DONE;
}

static enum dev_status write(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                             uint64_t value)
{
    (void)v; (void)width;
    d->vm->board.uart_used = true;
    if (offset < 8)
        uart_write(d->state, (unsigned)offset, (uint8_t)value);
    uart_line(d);
    return DEV_DONE;
}

static void reset(struct device *d)
{
    struct uart *u = d->state;
    u->output = output;
    u->output_ctx = d->vm;
    uart_reset(u);
    uart_line(d);
}

/* The VM's input (core/console.h) into the RX FIFO once the guest uses the
 * UART; and THR empty again once the console took a throttled VM's
 * backlog (core/console_mux.h), which may interrupt. */
static void input(struct device *d)
{
    bool changed = uart_set_tx_busy(d->state, !console_vm_ready(d->vm->id));
    while (d->vm->board.uart_used && uart_rx_space(d->state)) {
        int c = console_vm_getchar(d->vm->id);
        if (c < 0)
            break;
        uart_receive(d->state, (uint8_t)c);
        changed = true;
    }
    if (changed)
        uart_line(d);
}

static int dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = fdt_property_string(fdt, "compatible", "ns16550a");
    if (!rc)
        rc = fdt_property_u32(fdt, "clock-frequency", UART_CLOCK_HZ);
    if (!rc)
        rc = dev_dt_interrupts(fdt, d, ctx);
    return rc ? rc : fdt_end_node(fdt);
}

const struct device_model uart_device = {
    .name = "serial", .base = UART_BASE, .size = UART_MMIO_SIZE, .irq = UART_IRQ,
    .state_size = sizeof(struct uart), .flags = DEV_CONSOLE,
    .read = read, .write = write, .reset = reset, .dt_node = dt_node, .input = input,
};
