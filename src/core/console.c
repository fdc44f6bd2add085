#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/console.h"
#include "core/spinlock.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"

static struct spinlock console_lock;

void console_write(const char *s, size_t len)
{
    spin_lock(&console_lock);
    firmware_write(s, len);
    spin_unlock(&console_lock);
}

void console_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    if (n > 0)
        console_write(buf, (size_t)n);
}

void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_printf("lodger: PANIC: %s\n", buf);
    firmware_reset(SBI_SRST_RESET_TYPE_SHUTDOWN, SBI_SRST_RESET_REASON_SYSFAIL);
}

/* libfdt and picolibc are built with stack protection. */
unsigned long __stack_chk_guard = 0x5a17e6c0ffee1d9bUL;
void __attribute__((noreturn)) __stack_chk_fail(void)
{
    panic("stack smashing detected");
}
