/* lodger's wall clock: nanoseconds since the Unix epoch, as the board's
 * RTC said once at boot (drivers/host_rtc.c; 0 on a board without one
 * lodger knows), kept afterwards from the `time` CSR and the timebase.
 * The VMs' RTCs (dev/goldfish_rtc.c) count from it, each with its own
 * offset. Pure arithmetic, host-tested: times wrap modulo 2^64 as
 * QEMU's RTC count does, and a deadline conversion never overflows. */
#ifndef LODGER_CORE_WALLCLOCK_H
#define LODGER_CORE_WALLCLOCK_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define WALLCLOCK_NS_PER_SEC 1000000000ULL

struct wallclock {
    uint64_t base_ns;       /* the time at base_ticks */
    uint64_t base_ticks;    /* the `time` CSR when base_ns was read */
    uint64_t hz;            /* the timebase (ticks per second), never 0 */
    bool from_board;        /* base_ns came from the board's RTC (else it started at 0) */
};

/* The one lodger keeps (core/wallclock.c); set once at boot. */
extern struct wallclock wallclock;

/* The clock reads ns at time-CSR value ticks; hz 0 is taken as 1 (a
 * board without a timebase has no timer either). */
void wallclock_set(struct wallclock *c, uint64_t ns, uint64_t ticks, uint64_t hz, bool from_board);
/* The time at time-CSR value ticks: base_ns plus the ticks since
 * base_ticks in whole nanoseconds (rounded down), modulo 2^64. */
uint64_t wallclock_ns(const struct wallclock *c, uint64_t ticks);
/* A time-CSR value at or after `now` at which wallclock_ns is at least ns
 * (the first such, or one tick later, or a nanosecond's worth of ticks
 * with a timebase above 1 GHz; now itself when ns is not after
 * wallclock_ns(now)); UINT64_MAX when that is further than the counter
 * can count. */
uint64_t wallclock_ticks_until(const struct wallclock *c, uint64_t now, uint64_t ns);
/* "YYYY-MM-DD HH:MM:SS" (UTC, proleptic Gregorian) of ns into buf (at
 * least 20 bytes). */
void wallclock_format(uint64_t ns, char *buf, size_t len);

#endif
