/* lodger's console (through the firmware's SBI console), which the VMs'
 * consoles share (core/console_mux.h: with several VMs, prefixed lines,
 * throttling, input to the focused VM). */
#ifndef LODGER_CORE_CONSOLE_H
#define LODGER_CORE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void console_write(const char *s, size_t len);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 1, 2))) panic(const char *fmt, ...);

/* The VMs the board runs and which one has the input first; call once,
 * before any runs. With one VM the console is as without VMs. */
void console_set_vms(int count, int focus, uint64_t ticks_per_second);
bool console_multiplexed(void);
/* A VM's console output (its UART, its SBI console): how many bytes were
 * taken, fewer than len only with may_refuse when the VM's backlog is full,
 * or when len is over CONSOLE_VM_WRITE_MAX. */
#define CONSOLE_VM_WRITE_MAX 4096
unsigned long console_vm_write(int vm, const char *s, unsigned long len, bool may_refuse);
/* Whether the VM's console takes output now (its UART's THR empty). */
bool console_vm_ready(int vm);
/* The VM's next input byte (reading the board console), or -1. */
int console_vm_getchar(int vm);
/* Call periodically: reads what was typed, writes partial lines due. */
void console_poll(void);
/* The VM ended: its last partial line goes out, the input focus moves on. */
void console_vm_ended(int vm);

#endif
