/* Host tests for src/dev/uart.c: the NS16550A model. Register offsets and
 * bits from the 16550 data sheet, as Linux's 8250 driver uses them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dev/uart.h"

#define RBR 0   /* read, DLAB=0 */
#define THR 0   /* write, DLAB=0 */
#define DLL 0   /* DLAB=1 */
#define IER 1   /* DLAB=0 */
#define DLM 1   /* DLAB=1 */
#define IIR 2   /* read */
#define FCR 2   /* write */
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_BITS 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* What the output callback saw. */
struct sink {
    char text[256];
    unsigned count;
    bool busy;      /* answer: the console takes no more output now */
};

static bool sink_output(void *ctx, char c)
{
    struct sink *s = ctx;
    assert_true(s->count < sizeof(s->text));
    s->text[s->count++] = c;
    return !s->busy;
}

static void uart_new(struct uart *u, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    memset(u, 0x5a, sizeof(*u));    /* reset must not depend on the old state */
    u->output = sink_output;
    u->output_ctx = s;
    uart_reset(u);
}

static void reset_state(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    assert_int_equal(uart_read(&u, IER), 0);
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    assert_int_equal(uart_read(&u, LCR), 0);
    assert_int_equal(uart_read(&u, MCR), 0);
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
    assert_int_equal(uart_read(&u, SCR), 0);
    assert_false(uart_irq_pending(&u));
    assert_true(uart_rx_space(&u));
    /* The output callback survives a reset. */
    uart_write(&u, THR, 'x');
    assert_int_equal(s.count, 1);
    uart_receive(&u, 'y');
    uart_reset(&u);
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
    uart_write(&u, THR, 'z');
    assert_int_equal(s.count, 2);
    assert_memory_equal(s.text, "xz", 2);
}

static void thr_write_calls_output(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    const char *msg = "hello\r\n\0\xff";
    for (int i = 0; i < 9; i++)
        uart_write(&u, THR, (uint8_t)msg[i]);
    assert_int_equal(s.count, 9);
    assert_memory_equal(s.text, msg, 9);
    /* Transmitted bytes never come back as received ones. */
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
    /* No callback: the byte is dropped quietly. */
    u.output = NULL;
    uart_write(&u, THR, 'q');
    assert_int_equal(s.count, 9);
}

/* A busy console (a VM whose backlog is full, core/console_mux.h): the byte
 * still goes out, but THR shows not empty (LSR.THRE and TEMT clear) and no
 * THR-empty interrupt comes until the console takes output again; then
 * the interrupt comes as when a real THR empties. */
static void busy_console_holds_thr_not_empty(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, IER, IER_THRI);
    assert_int_equal(uart_read(&u, IIR) & 0x0f, IIR_THRI);    /* acknowledged */
    s.busy = true;
    uart_write(&u, THR, 'a');
    assert_int_equal(s.count, 1);
    assert_int_equal(uart_read(&u, LSR) & (LSR_THRE | LSR_TEMT), 0);
    assert_false(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR) & 0x0f, IIR_NONE);
    /* A driver that writes anyway loses nothing. */
    uart_write(&u, THR, 'b');
    assert_int_equal(s.count, 2);
    /* Enabling THRI while busy raises nothing either. */
    uart_write(&u, IER, 0);
    uart_write(&u, IER, IER_THRI);
    assert_false(uart_irq_pending(&u));
    assert_false(uart_set_tx_busy(&u, true));
    s.busy = false;
    assert_true(uart_set_tx_busy(&u, false));
    assert_int_equal(uart_read(&u, LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
    assert_true(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR) & 0x0f, IIR_THRI);
    assert_false(uart_set_tx_busy(&u, false));
    /* A reset forgets it. */
    uart_set_tx_busy(&u, true);
    uart_reset(&u);
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
}

static void lsr_transmitter_always_empty_and_dr_follows_rx(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
    uart_write(&u, THR, 'a');
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
    assert_true(uart_receive(&u, 'b'));
    assert_true(uart_receive(&u, 'c'));
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT | LSR_DR);
    assert_int_equal(uart_read(&u, RBR), 'b');
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT | LSR_DR);
    assert_int_equal(uart_read(&u, RBR), 'c');
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
    /* Writing LSR changes nothing (read-only). */
    uart_write(&u, LSR, 0xff);
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT);
}

static void rx_fifo_keeps_order_and_drops_on_overflow(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++) {
        assert_true(uart_rx_space(&u));
        assert_true(uart_receive(&u, (uint8_t)(i + 1)));
    }
    assert_false(uart_rx_space(&u));
    assert_false(uart_receive(&u, 0xee));     /* lost, as on hardware */
    assert_false(uart_receive(&u, 0xef));
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
        assert_int_equal(uart_read(&u, RBR), i + 1);
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
    assert_int_equal(uart_read(&u, RBR), 0);   /* empty FIFO */
    assert_true(uart_rx_space(&u));
}

static void rx_fifo_wraps_around(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    /* Push and pop so the head walks past the end of the ring several times. */
    unsigned next_in = 0, next_out = 0;
    for (int round = 0; round < 5; round++) {
        while (uart_receive(&u, (uint8_t)next_in))
            next_in++;
        for (int i = 0; i < 37; i++)
            assert_int_equal(uart_read(&u, RBR), (uint8_t)next_out++);
    }
    while (uart_read(&u, LSR) & LSR_DR)
        assert_int_equal(uart_read(&u, RBR), (uint8_t)next_out++);
    assert_int_equal(next_in, next_out);
    assert_int_equal(next_in, UART_FIFO_SIZE + 4 * 37);
}

static void fcr_clears_the_rx_fifo(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_receive(&u, 'a');
    uart_receive(&u, 'b');
    uart_write(&u, FCR, FCR_ENABLE);          /* no clear bit: kept */
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, LSR_DR);
    uart_write(&u, FCR, FCR_ENABLE | FCR_CLEAR_RX);
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
    assert_int_equal(uart_read(&u, RBR), 0);
    /* The FIFO works after the clear, from a fresh start. */
    uart_receive(&u, 'c');
    assert_int_equal(uart_read(&u, RBR), 'c');
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
}

static void dlab_switches_to_the_divisor(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, IER, IER_RDI);
    uart_receive(&u, 'r');
    /* Set the divisor as the 8250 driver does: DLAB, DLL, DLM, then 8N1. */
    uart_write(&u, LCR, LCR_DLAB | LCR_8N1);
    assert_int_equal(uart_read(&u, LCR), LCR_DLAB | LCR_8N1);
    uart_write(&u, DLL, 0x1b);
    uart_write(&u, DLM, 0x02);
    assert_int_equal(s.count, 0);                 /* DLL is not THR */
    assert_int_equal(uart_read(&u, DLL), 0x1b);
    assert_int_equal(uart_read(&u, DLM), 0x02);
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, LSR_DR);   /* DLL read popped nothing */
    uart_write(&u, LCR, LCR_8N1);
    assert_int_equal(uart_read(&u, LCR), LCR_8N1);
    /* Back to RBR/IER, unchanged by the divisor writes. */
    assert_int_equal(uart_read(&u, IER), IER_RDI);
    assert_int_equal(uart_read(&u, RBR), 'r');
    uart_write(&u, THR, 't');
    assert_int_equal(s.count, 1);
    assert_int_equal(s.text[0], 't');
    /* And the divisor is kept. */
    uart_write(&u, LCR, LCR_DLAB);
    assert_int_equal(uart_read(&u, DLL), 0x1b);
    assert_int_equal(uart_read(&u, DLM), 0x02);
    uart_write(&u, IER, 0x0f);                    /* DLM, not IER */
    uart_write(&u, LCR, 0);
    assert_int_equal(uart_read(&u, IER), IER_RDI);
}

static void ier_keeps_the_low_four_bits(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, IER, 0xff);
    assert_int_equal(uart_read(&u, IER), 0x0f);
}

static void iir_priorities(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    /* Nothing enabled: no interrupt, whatever is pending. */
    uart_receive(&u, 'a');
    uart_write(&u, THR, 'b');
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    assert_false(uart_irq_pending(&u));

    /* Received data beats THR empty. */
    uart_write(&u, IER, IER_RDI | IER_THRI);
    assert_int_equal(uart_read(&u, IIR), IIR_RDI);
    assert_true(uart_irq_pending(&u));
    /* That IIR read did not acknowledge THR empty: it shows once RX drains. */
    assert_int_equal(uart_read(&u, RBR), 'a');
    assert_true(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR), IIR_THRI);
    /* This read did: nothing is left. */
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    assert_false(uart_irq_pending(&u));

    /* RX data alone, with only RDI enabled. */
    uart_write(&u, IER, IER_RDI);
    uart_receive(&u, 'c');
    assert_int_equal(uart_read(&u, IIR), IIR_RDI);
    assert_int_equal(uart_read(&u, IIR), IIR_RDI);   /* reading IIR does not clear RDI */
    assert_true(uart_irq_pending(&u));
    uart_read(&u, RBR);
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    assert_false(uart_irq_pending(&u));
}

static void iir_fifo_bits_follow_fcr(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, FCR, FCR_ENABLE);
    assert_int_equal(uart_read(&u, IIR), IIR_FIFO_BITS | IIR_NONE);
    uart_write(&u, IER, IER_RDI | IER_THRI);
    uart_receive(&u, 'a');
    assert_int_equal(uart_read(&u, IIR), IIR_FIFO_BITS | IIR_RDI);
    uart_read(&u, RBR);
    /* With the FIFO bits set, the read still acknowledges THR empty. */
    assert_int_equal(uart_read(&u, IIR), IIR_FIFO_BITS | IIR_THRI);
    assert_int_equal(uart_read(&u, IIR), IIR_FIFO_BITS | IIR_NONE);
    assert_false(uart_irq_pending(&u));
    uart_write(&u, FCR, 0);
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
}

static void thr_empty_interrupt_life_cycle(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    /* Enabling THRI with THR empty raises the interrupt at once. */
    uart_write(&u, IER, IER_THRI);
    assert_true(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR), IIR_THRI);
    assert_false(uart_irq_pending(&u));
    /* Writing IER again with THRI already set does not raise it again. */
    uart_write(&u, IER, IER_THRI);
    assert_false(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    /* Each THR write empties at once and raises it. */
    uart_write(&u, THR, 'a');
    assert_true(uart_irq_pending(&u));
    /* Disabling THRI hides it; turning THRI off and on raises it again. */
    uart_write(&u, IER, 0);
    assert_false(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
    uart_write(&u, IER, IER_THRI);
    assert_true(uart_irq_pending(&u));
    assert_int_equal(uart_read(&u, IIR), IIR_THRI);
    assert_int_equal(uart_read(&u, IIR), IIR_NONE);
}

static void loopback_feeds_thr_into_rx(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, MCR, MCR_LOOP);
    assert_int_equal(uart_read(&u, MCR), MCR_LOOP);
    uart_write(&u, IER, IER_RDI);
    uart_write(&u, THR, 0x55);
    uart_write(&u, THR, 0xaa);
    assert_int_equal(s.count, 0);             /* nothing goes out */
    assert_int_equal(uart_read(&u, LSR), LSR_THRE | LSR_TEMT | LSR_DR);
    assert_int_equal(uart_read(&u, IIR), IIR_RDI);
    assert_int_equal(uart_read(&u, RBR), 0x55);
    assert_int_equal(uart_read(&u, RBR), 0xaa);
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
    /* A loopback write also empties THR. */
    uart_write(&u, IER, IER_THRI);
    assert_int_equal(uart_read(&u, IIR), IIR_THRI);
    uart_write(&u, THR, 0x01);
    assert_int_equal(uart_read(&u, IIR), IIR_THRI);
    uart_read(&u, RBR);
    /* Out of loopback, bytes go out again. */
    uart_write(&u, MCR, 0);
    uart_write(&u, THR, 'o');
    assert_int_equal(s.count, 1);
    assert_int_equal(uart_read(&u, LSR) & LSR_DR, 0);
}

static void mcr_keeps_the_low_five_bits(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, MCR, 0xff);
    assert_int_equal(uart_read(&u, MCR), 0x1f);
}

static void scratch_register(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, SCR, 0xa5);
    assert_int_equal(uart_read(&u, SCR), 0xa5);
    uart_write(&u, LCR, LCR_DLAB);             /* DLAB does not affect SCR */
    assert_int_equal(uart_read(&u, SCR), 0xa5);
    uart_write(&u, SCR, 0x5a);
    uart_write(&u, LCR, 0);
    assert_int_equal(uart_read(&u, SCR), 0x5a);
    assert_int_equal(s.count, 0);
}

static void msr_reports_modem_lines(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    /* Outside loopback: carrier, DSR and CTS asserted, as a connected line. */
    assert_int_equal(uart_read(&u, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
    uart_write(&u, MCR, MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
    assert_int_equal(uart_read(&u, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
    /* In loopback the outputs come back: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
    uart_write(&u, MCR, MCR_LOOP);
    assert_int_equal(uart_read(&u, MSR), 0);
    uart_write(&u, MCR, MCR_LOOP | MCR_DTR);
    assert_int_equal(uart_read(&u, MSR), MSR_DSR);
    uart_write(&u, MCR, MCR_LOOP | MCR_RTS);
    assert_int_equal(uart_read(&u, MSR), MSR_CTS);
    uart_write(&u, MCR, MCR_LOOP | MCR_OUT1);
    assert_int_equal(uart_read(&u, MSR), MSR_RI);
    uart_write(&u, MCR, MCR_LOOP | MCR_OUT2);
    assert_int_equal(uart_read(&u, MSR), MSR_DCD);
    uart_write(&u, MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
    assert_int_equal(uart_read(&u, MSR), MSR_DCD | MSR_RI | MSR_DSR | MSR_CTS);
    /* MSR is read-only. */
    uart_write(&u, MSR, 0);
    assert_int_equal(uart_read(&u, MSR), MSR_DCD | MSR_RI | MSR_DSR | MSR_CTS);
}

static void unknown_offsets_read_zero(void **state)
{
    (void)state;
    struct uart u;
    struct sink s;
    uart_new(&u, &s);
    uart_write(&u, SCR, 0x77);
    for (unsigned off = 8; off < UART_MMIO_SIZE; off += 7) {
        uart_write(&u, off, 0xff);
        assert_int_equal(uart_read(&u, off), 0);
    }
    assert_int_equal(uart_read(&u, SCR), 0x77);
    assert_int_equal(uart_read(&u, IER), 0);
    assert_int_equal(s.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_state),
        cmocka_unit_test(thr_write_calls_output),
        cmocka_unit_test(busy_console_holds_thr_not_empty),
        cmocka_unit_test(lsr_transmitter_always_empty_and_dr_follows_rx),
        cmocka_unit_test(rx_fifo_keeps_order_and_drops_on_overflow),
        cmocka_unit_test(rx_fifo_wraps_around),
        cmocka_unit_test(fcr_clears_the_rx_fifo),
        cmocka_unit_test(dlab_switches_to_the_divisor),
        cmocka_unit_test(ier_keeps_the_low_four_bits),
        cmocka_unit_test(iir_priorities),
        cmocka_unit_test(iir_fifo_bits_follow_fcr),
        cmocka_unit_test(thr_empty_interrupt_life_cycle),
        cmocka_unit_test(loopback_feeds_thr_into_rx),
        cmocka_unit_test(mcr_keeps_the_low_five_bits),
        cmocka_unit_test(scratch_register),
        cmocka_unit_test(msr_reports_modem_lines),
        cmocka_unit_test(unknown_offsets_read_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
