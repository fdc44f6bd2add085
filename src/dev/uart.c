#include "dev/uart.h"

/* Register offsets (16550 data sheet); DLAB = LCR bit 7 switches 0/1 to the divisor. */
#define REG_RBR_THR_DLL 0
#define REG_IER_DLM 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01    /* received data available */
#define IER_THRI 0x02   /* THR empty */
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_LOOPBACK_BITS(mcr) ((((mcr) & 0x0c) << 4) | (((mcr) & 0x01) << 5) | (((mcr) & 0x02) << 3))
#define MSR_DCD_DSR_CTS 0xb0

void uart_reset(struct uart *u)
{
    bool (*output)(void *, char) = u->output;
    void *ctx = u->output_ctx;
    *u = (struct uart){ .output = output, .output_ctx = ctx };
}

static unsigned iir(const struct uart *u)
{
    unsigned fifo = (u->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO_ENABLED : 0;
    if ((u->ier & IER_RDI) && u->rx_count)
        return IIR_RDI | fifo;
    if ((u->ier & IER_THRI) && u->thr_interrupt)
        return IIR_THRI | fifo;
    return IIR_NONE | fifo;
}

bool uart_irq_pending(const struct uart *u)
{
    return !(iir(u) & IIR_NONE);
}

bool uart_rx_space(const struct uart *u)
{
    return u->rx_count < UART_FIFO_SIZE;
}

bool uart_receive(struct uart *u, uint8_t byte)
{
    if (!uart_rx_space(u))
        return false;
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
    u->rx_count++;
    return true;
}

bool uart_set_tx_busy(struct uart *u, bool busy)
{
    bool emptied = u->tx_busy && !busy;
    u->tx_busy = busy;
    if (emptied)
        u->thr_interrupt = true;    /* THR empty again: the interrupt it raises */
    return emptied;
}

uint8_t uart_read(struct uart *u, unsigned offset)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case REG_RBR_THR_DLL: {
        if (dlab)
            return u->dll;
        if (!u->rx_count)
            return 0;
        uint8_t byte = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        u->rx_count--;
        return byte;
    }
    case REG_IER_DLM:
        return dlab ? u->dlm : u->ier;
    case REG_IIR_FCR: {
        unsigned value = iir(u);
        /* Reading IIR while it reports THR empty acknowledges it. */
        if ((value & 0x0f) == IIR_THRI)
            u->thr_interrupt = false;
        return (uint8_t)value;
    }
    case REG_LCR: return u->lcr;
    case REG_MCR: return u->mcr;
    case REG_LSR: return (u->rx_count ? LSR_DR : 0) | (u->tx_busy ? 0 : LSR_THRE | LSR_TEMT);
    case REG_MSR:
        return (u->mcr & MCR_LOOP) ? MSR_LOOPBACK_BITS(u->mcr) : MSR_DCD_DSR_CTS;
    case REG_SCR: return u->scr;
    default: return 0;
    }
}

void uart_write(struct uart *u, unsigned offset, uint8_t value)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case REG_RBR_THR_DLL:
        if (dlab) {
            u->dll = value;
        } else if (u->mcr & MCR_LOOP) {
            uart_receive(u, value);
            u->thr_interrupt = true;
        } else {
            if (u->output)
                u->tx_busy = !u->output(u->output_ctx, (char)value);
            /* Transmitted at once: THR empty again, unless the console is busy. */
            u->thr_interrupt = !u->tx_busy;
        }
        break;
    case REG_IER_DLM:
        if (dlab) {
            u->dlm = value;
        } else {
            /* Enabling THRI with an empty THR raises the interrupt (8250 behaviour). */
            if ((value & IER_THRI) && !(u->ier & IER_THRI) && !u->tx_busy)
                u->thr_interrupt = true;
            u->ier = value & 0x0f;
        }
        break;
    case REG_IIR_FCR:
        u->fcr = value & 0xc9;
        if (value & FCR_CLEAR_RX)
            u->rx_head = u->rx_count = 0;
        break;
    case REG_LCR: u->lcr = value; break;
    case REG_MCR: u->mcr = value & 0x1f; break;
    case REG_SCR: u->scr = value; break;
    default: break;     /* LSR and MSR are read-only */
    }
}
