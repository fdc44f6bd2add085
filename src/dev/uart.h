/* An NS16550A UART as a pure state machine over register accesses (the
 * model of QEMU's and real 16550As that Linux's 8250 driver expects).
 * Transmit is instant, unless the console it writes to is busy (a VM with
 * its console backlog full, core/console_mux.h): then the transmitter shows
 * THR not empty (LSR.THRE and TEMT clear, no THR-empty interrupt) until
 * the console takes output again. A byte written meanwhile still goes out
 * (never lost). Received bytes wait in a FIFO. Host-tested. */
#ifndef LODGER_DEV_UART_H
#define LODGER_DEV_UART_H

#include <stdint.h>
#include <stdbool.h>

#define UART_FIFO_SIZE 64
#define UART_MMIO_SIZE 0x100

struct uart {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thr_interrupt;         /* THR-empty interrupt pending (until IIR read or THR write) */
    bool tx_busy;               /* the console takes no output now: THR shown not empty */
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    /* Sends a byte; returns whether the console takes more now. */
    bool (*output)(void *ctx, char c);
    void *output_ctx;
};

void uart_reset(struct uart *u);
uint8_t uart_read(struct uart *u, unsigned offset);
void uart_write(struct uart *u, unsigned offset, uint8_t value);
/* Queues a received byte; false if the FIFO is full (the byte is lost, as on hardware). */
bool uart_receive(struct uart *u, uint8_t byte);
bool uart_rx_space(const struct uart *u);
/* The console takes output again (busy false) or not; true if that
 * raised the THR-empty interrupt condition (call update the lines). */
bool uart_set_tx_busy(struct uart *u, bool busy);
/* The interrupt line: high while any enabled condition is pending. */
bool uart_irq_pending(const struct uart *u);

#endif
