/* lodger's wall clock (core/wallclock.h): pure, host-tested. */
#include <stdio.h>
#include "core/wallclock.h"

struct wallclock wallclock = { .hz = 1 };

void wallclock_set(struct wallclock *c, uint64_t ns, uint64_t ticks, uint64_t hz, bool from_board)
{
    *c = (struct wallclock){ .base_ns = ns, .base_ticks = ticks, .hz = hz ? hz : 1,
                             .from_board = from_board };
}

/* floor(ticks * 10^9 / hz), modulo 2^64, without a 128-bit product: whole
 * seconds, then the remainder (below hz, so its product fits while hz is
 * below 1.8e10: every timebase there is). */
static uint64_t ticks_to_ns(uint64_t ticks, uint64_t hz)
{
    return ticks / hz * WALLCLOCK_NS_PER_SEC + ticks % hz * WALLCLOCK_NS_PER_SEC / hz;
}

uint64_t wallclock_ns(const struct wallclock *c, uint64_t ticks)
{
    return c->base_ns + ticks_to_ns(ticks - c->base_ticks, c->hz);
}

uint64_t wallclock_ticks_until(const struct wallclock *c, uint64_t now, uint64_t ns)
{
    uint64_t current = wallclock_ns(c, now);
    if (ns <= current)
        return now;
    /* ceil(delta * hz / 10^9), by whole seconds and remainder as above:
     * ticks_to_ns of the result is at least delta, and wallclock_ns(now +
     * t) is at least current + ticks_to_ns(t) (the floors only lose). */
    uint64_t delta = ns - current;
    uint64_t secs = delta / WALLCLOCK_NS_PER_SEC, rem = delta % WALLCLOCK_NS_PER_SEC;
    if (secs > UINT64_MAX / c->hz)
        return UINT64_MAX;
    uint64_t ticks = secs * c->hz;
    uint64_t rem_ticks = (rem * c->hz + WALLCLOCK_NS_PER_SEC - 1) / WALLCLOCK_NS_PER_SEC;
    if (ticks > UINT64_MAX - rem_ticks || now > UINT64_MAX - (ticks + rem_ticks))
        return UINT64_MAX;
    return now + ticks + rem_ticks;
}

/* Days since 1970-01-01 to a civil date: the era-based algorithm of
 * H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (days_from_civil's
 * inverse), for days >= 0 only. */
void wallclock_format(uint64_t ns, char *buf, size_t len)
{
    uint64_t secs = ns / WALLCLOCK_NS_PER_SEC;
    uint64_t z = secs / 86400 + 719468, sod = secs % 86400;
    uint64_t era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned long year = (unsigned long)(yoe + era * 400 + (month <= 2));
    snprintf(buf, len, "%04lu-%02u-%02u %02u:%02u:%02u", year, month, day, (unsigned)(sod / 3600),
             (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}
