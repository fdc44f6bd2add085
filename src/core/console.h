/* lodger's own console (through the firmware's SBI console). */
#ifndef LODGER_CORE_CONSOLE_H
#define LODGER_CORE_CONSOLE_H

#include <stddef.h>

void console_write(const char *s, size_t len);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 1, 2))) panic(const char *fmt, ...);

#endif
