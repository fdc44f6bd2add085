/* Fuzzes the NS16550A model (src/dev/uart.c) with sequences of register
 * reads and writes (offsets 0-7, as dev/uart_dev.c passes them), received bytes
 * and interrupt-line queries: a guest drives it freely. The FIFO must stay
 * within its bounds. */
#include "fuzz.h"
#include "dev/uart.h"

/* The console is busy after every byte the fuzzer makes odd. */
static bool output(void *ctx, char c)
{
    (*(unsigned *)ctx)++;
    return !(c & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    unsigned written = 0;
    struct uart u;
    memset(&u, 0, sizeof(u));
    u.output = output;
    u.output_ctx = &written;
    uart_reset(&u);
    while (in.size) {
        uint8_t op = fuzz_u8(&in), value = fuzz_u8(&in);
        switch (op >> 6) {
        case 0: (void)uart_read(&u, op & 7); break;
        case 1: uart_write(&u, op & 7, value); break;
        case 2: {
            bool space = uart_rx_space(&u);
            FUZZ_CHECK(uart_receive(&u, value) == space);
            break;
        }
        default:
            if (value & 0x80)
                (void)uart_set_tx_busy(&u, value & 1);
            else
                (void)uart_irq_pending(&u);
            break;
        }
        /* A busy transmitter never says THR empty. */
        if (u.tx_busy && !(u.lcr & 0x80))
            FUZZ_CHECK(!(uart_read(&u, 5) & 0x60));
        FUZZ_CHECK(u.rx_count <= UART_FIFO_SIZE && u.rx_head < UART_FIFO_SIZE);
    }
    return 0;
}
