/* The board console shared by several VMs (core/console_mux.h), seen from
 * a VM. Alone (the usual native/lodger pair) it prints numbered lines
 * through its UART and its SBI console in turn. As one of several VMs
 * (tests/run-tests.py console) its command line says what it does:
 *   cm.role=lines   (default) cm.lines=N numbered lines, UART and SBI
 *                   console in turn, a few milliseconds apart
 *   cm.role=flood   cm.bytes=N bytes of numbered lines as fast as it can:
 *                   the first half through the SBI console (DBCN
 *                   console_write, taking the count written: SBI 12.1, it
 *                   may be short, or zero), the rest through the UART,
 *                   waiting for LSR.THRE before each byte; then how often
 *                   the console pushed back (short DBCN writes, LSR.THRE
 *                   clear)
 *   cm.role=echo    reads lines from its UART (polling LSR.DR) and prints
 *                   each back ("got: LINE") until the line "quit"
 *   cm.tag=NAME     each line starts "[NAME] "
 * Every line it prints is a function of its number alone, so that the
 * runner can rebuild what each VM must have written. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "../lib/guest.h"
#define TAGGED_OWN_SAY
#include "../shared/tagged.h"

#define UART ((volatile uint8_t *)0x10000000UL)
#define UART_RBR_THR 0
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define SBI_EXT_DBCN 0x4442434E

static unsigned long dbcn_short, lsr_busy;
static int has_dbcn;

static unsigned long number(const char *key, unsigned long dflt)
{
    char s[24];
    guest_arg(key, s, sizeof(s), "");
    if (!s[0])
        return dflt;
    unsigned long v = 0;
    for (const char *p = s; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    return v;
}

static void uart_put(const char *s)
{
    for (; *s; s++) {
        if (!(UART[UART_LSR] & LSR_THRE)) {
            lsr_busy++;
            while (!(UART[UART_LSR] & LSR_THRE))
                ;
        }
        UART[UART_RBR_THR] = (uint8_t)*s;
    }
}

/* Through the SBI console: DBCN where there is one (partial writes
 * counted), else the legacy putchar (OpenSBI 1.1 has no DBCN). */
static void sbi_put(const char *s)
{
    size_t len = strlen(s);
    if (!has_dbcn) {
        putstr(s);
        return;
    }
    while (len) {
        struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, len, (unsigned long)s, 0, 0);
        if (r.error) {
            failures++;
            return;
        }
        if ((size_t)r.value < len)
            dbcn_short++;
        s += r.value;
        len -= (size_t)r.value;
    }
}

static void say(bool uart, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(bool uart, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    tag_vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (uart)
        uart_put(line);
    else
        sbi_put(line);
}

static void delay_ms(unsigned long ms)
{
    unsigned long until = csr_read(time) + ms * 10000;     /* QEMU virt: 10 MHz */
    while (csr_read(time) < until)
        ;
}

/* Line k of a flood: its number, then letters that depend on it. */
static void flood_line(char *line, size_t len, unsigned long k)
{
    int n = snprintf(line, len, "flood %06lu ", k);
    for (size_t i = (size_t)n; i < 96; i++)
        line[i] = (char)('a' + (k + i) % 26);
    line[96] = '\n';
    line[97] = 0;
}

static void lines(unsigned long count)
{
    for (unsigned long k = 1; k <= count; k++) {
        say(k & 1, "line %lu of %lu: %s\n", k, count, k & 1 ? "uart" : "sbi console");
        delay_ms(2);
    }
}

static void flood(unsigned long bytes)
{
    char line[100];
    unsigned long k = 0, sent = 0;
    while (sent < bytes) {
        flood_line(line, sizeof(line), k);
        say(sent >= bytes / 2, "%s", line);
        sent += strlen(line);
        k++;
    }
    say(true, "flood: %lu lines\n", k);
    /* Out of the section compared with a native run: only meant for the
     * runner of several VMs, where a flood meets the throttle. */
    say(true, "back-pressure: dbcn short %lu, lsr busy %lu\n", dbcn_short, lsr_busy);
}

static void echo(void)
{
    char line[80];
    size_t n = 0;
    say(true, "ready\n");
    for (;;) {
        while (!(UART[UART_LSR] & LSR_DR))
            ;
        char c = (char)UART[UART_RBR_THR];
        if (c != '\r' && c != '\n') {
            if (n + 1 < sizeof(line))
                line[n++] = c;
            continue;
        }
        if (!n)
            continue;
        line[n] = 0;
        n = 0;
        say(true, "got: %s\n", line);
        if (!strcmp(line, "quit"))
            return;
    }
}

int guest_main(void)
{
    char role[16];
    guest_arg("cm.tag=", tag, sizeof(tag), "");
    guest_arg("cm.role=", role, sizeof(role), "lines");
    has_dbcn = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, 0).value != 0;
    if (!strcmp(role, "flood")) {
        flood(number("cm.bytes=", 100000));
        return failures;
    }
    say(false, "=== begin: console_mux ===\n");
    if (!strcmp(role, "echo"))
        echo();
    else
        lines(number("cm.lines=", 20));
    return failures;    /* the runtime prints the end line */
}
