/* lodger's console (through the firmware's SBI console), shared by lodger
 * and the VMs' consoles through the multiplexer (core/console_mux.h), all
 * under one lock: a line never mixes with another. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/console.h"
#include "core/console_mux.h"
#include "core/spinlock.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"

static struct spinlock console_lock;

static void emit(void *ctx, const char *s, size_t len)
{
    (void)ctx;
    firmware_write(s, len);
}

/* One VM, pass-through, until console_set_vms (the clock is not needed
 * then); lodger's boot messages go through it too. */
static struct console_mux mux = { .vm_count = 1, .open = CONSOLE_MUX_OPEN_NONE, .emit = emit };

void console_set_vms(int count, int focus, uint64_t ticks_per_second)
{
    spin_lock(&console_lock);
    console_mux_init(&mux, ticks_per_second, emit, 0);
    console_mux_set_vms(&mux, count, focus);
    spin_unlock(&console_lock);
}

bool console_multiplexed(void)
{
    return console_mux_multiplexed(&mux);  /* set once, before any VM runs */
}

void console_write(const char *s, size_t len)
{
    spin_lock(&console_lock);
    console_mux_lodger_write(&mux, s, len);
    spin_unlock(&console_lock);
}

unsigned long console_vm_write(int vm, const char *s, unsigned long len, bool may_refuse)
{
    spin_lock(&console_lock);
    unsigned long n = console_mux_write(&mux, vm, s, len, may_refuse, csr_read(CSR_TIME));
    spin_unlock(&console_lock);
    return n;
}

bool console_vm_ready(int vm)
{
    if (!console_multiplexed())
        return true;
    spin_lock(&console_lock);
    bool ready = console_mux_ready(&mux, vm, csr_read(CSR_TIME));
    spin_unlock(&console_lock);
    return ready;
}

/* Moves what was typed at the board console into the mux (to the focused
 * VM's input, or a command); with the lock held. */
static void read_input(void)
{
    int c;
    for (int n = 0; n < CONSOLE_MUX_INPUT_BURST && console_mux_input_room(&mux) &&
                    (c = firmware_getchar()) >= 0; n++)
        console_mux_input(&mux, (uint8_t)c);
}

int console_vm_getchar(int vm)
{
    spin_lock(&console_lock);
    int c = console_mux_getchar(&mux, vm);
    if (c < 0) {
        read_input();
        c = console_mux_getchar(&mux, vm);
    }
    spin_unlock(&console_lock);
    return c;
}

void console_poll(void)
{
    spin_lock(&console_lock);
    console_mux_tick(&mux, csr_read(CSR_TIME));
    read_input();
    spin_unlock(&console_lock);
}

void console_vm_ended(int vm)
{
    spin_lock(&console_lock);
    console_mux_vm_ended(&mux, vm);
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
