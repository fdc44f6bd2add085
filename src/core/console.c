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

/* console_lock guards the mux; the board console is written outside it, by
 * one hart at a time (the writer), so that a VM that hands in a byte never
 * waits for a slow console unless its backlog or the ring is full. */
static struct spinlock console_lock;
static volatile int writing;
/* Zeroed (in .bss, not in lodger's image) it is as console_mux_init leaves
 * it for one VM, pass-through, until console_set_vms: lodger's boot
 * messages go through it too. */
static struct console_mux mux;

/* Bytes one hart writes before it lets the others have a turn. */
#define WRITE_TURN 1024

/* Writes what waits in the ring to the board console: all of it (wait),
 * or a turn's worth if no other hart is at it (else that one goes on). */
static void write_out(bool wait)
{
    char buf[128];
    for (;;) {
        if (__atomic_exchange_n(&writing, 1, __ATOMIC_ACQUIRE)) {
            if (!wait)
                return;
            while (__atomic_load_n(&writing, __ATOMIC_RELAXED))
                ;
            continue;
        }
        size_t n, total = 0;
        do {
            spin_lock(&console_lock);
            n = console_mux_take(&mux, buf, sizeof(buf));
            spin_unlock(&console_lock);
            if (n)
                firmware_write(buf, n);
            total += n;
        } while (n && (wait || total < WRITE_TURN));
        __atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
        return;
    }
}

/* Takes console_lock with room in the ring for an operation on len bytes. */
static void lock_with_room(size_t len)
{
    for (;;) {
        spin_lock(&console_lock);
        if (console_mux_room(&mux, len))
            return;
        spin_unlock(&console_lock);
        write_out(true);
    }
}

void console_set_vms(int count, int focus, uint64_t ticks_per_second)
{
    write_out(true);
    lock_with_room(0);
    console_mux_init(&mux, ticks_per_second);
    console_mux_set_vms(&mux, count, focus);
    spin_unlock(&console_lock);
    write_out(true);
}

bool console_multiplexed(void)
{
    return console_mux_multiplexed(&mux);  /* set once, before any VM runs */
}

/* lodger's own text is out before this returns (a message before a reset
 * must not wait in the ring). */
void console_write(const char *s, size_t len)
{
    while (len) {
        size_t n = len < 512 ? len : 512;
        lock_with_room(n);
        console_mux_lodger_write(&mux, s, n);
        spin_unlock(&console_lock);
        s += n;
        len -= n;
    }
    write_out(true);
}

unsigned long console_vm_write(int vm, const char *s, unsigned long len, bool may_refuse)
{
    unsigned long n;
    if (len > CONSOLE_VM_WRITE_MAX)
        len = CONSOLE_VM_WRITE_MAX;     /* the ring could never have room for more */
    for (;;) {
        spin_lock(&console_lock);
        n = console_mux_write(&mux, vm, s, len, may_refuse, csr_read(CSR_TIME));
        bool full = !n && len && !console_mux_room(&mux, len);
        spin_unlock(&console_lock);
        if (!full)
            break;
        write_out(true);    /* the ring is full: this writer waits for the console */
    }
    /* One VM: written before this returns, as without the mux. */
    write_out(!console_multiplexed());
    return n;
}

bool console_vm_ready(int vm)
{
    if (!console_multiplexed())
        return true;
    spin_lock(&console_lock);
    bool ready = console_mux_ready(&mux, vm);
    spin_unlock(&console_lock);
    return ready;
}

/* Moves what was typed at the board console into the mux (to the focused
 * VM's input, or a command); with the lock held and room for a notice. */
static void read_input(void)
{
    int c;
    for (int n = 0; n < CONSOLE_MUX_INPUT_BURST && console_mux_input_room(&mux) &&
                    console_mux_room(&mux, 0) && (c = firmware_getchar()) >= 0; n++)
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
    write_out(false);   /* a notice */
    return c;
}

void console_poll(void)
{
    lock_with_room(0);
    console_mux_tick(&mux, csr_read(CSR_TIME));
    read_input();
    spin_unlock(&console_lock);
    write_out(false);
}

void console_vm_ended(int vm)
{
    lock_with_room(0);
    console_mux_vm_ended(&mux, vm);
    spin_unlock(&console_lock);
    write_out(true);
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
