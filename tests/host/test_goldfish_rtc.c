/* Host tests for src/dev/goldfish_rtc.c (the Goldfish RTC's registers, as
 * QEMU's hw/rtc/goldfish_rtc.c and Linux's rtc-goldfish use them) and
 * src/core/wallclock.c (lodger's clock: time-CSR ticks to nanoseconds and
 * back, the boot line's date). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dev/goldfish_rtc.h"
#include "core/wallclock.h"

#define SEC 1000000000ULL
/* 2026-12-05 08:43:17 UTC, a clock time as lodger reads it from the board. */
#define NOW (1796460197ULL * SEC + 123456789)

static void rtc_new(struct goldfish_rtc *r)
{
    /* The device table zeroes the state; a reset clears all but the offset. */
    memset(r, 0x5a, sizeof(*r));
    r->offset = 0;
    goldfish_rtc_reset(r);
}

static uint64_t read_time(struct goldfish_rtc *r, uint64_t now)
{
    uint32_t low = goldfish_rtc_read(r, now, GOLDFISH_RTC_TIME_LOW);
    return (uint64_t)goldfish_rtc_read(r, now, GOLDFISH_RTC_TIME_HIGH) << 32 | low;
}

/* As Linux's goldfish_rtc_set_time: the high half, then the low. */
static void set_time(struct goldfish_rtc *r, uint64_t now, uint64_t t)
{
    goldfish_rtc_write(r, now, GOLDFISH_RTC_TIME_HIGH, (uint32_t)(t >> 32));
    goldfish_rtc_write(r, now, GOLDFISH_RTC_TIME_LOW, (uint32_t)t);
}

/* As Linux's goldfish_rtc_set_alarm with enabled set. */
static void arm(struct goldfish_rtc *r, uint64_t now, uint64_t t)
{
    goldfish_rtc_write(r, now, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(t >> 32));
    goldfish_rtc_write(r, now, GOLDFISH_RTC_ALARM_LOW, (uint32_t)t);
    goldfish_rtc_write(r, now, GOLDFISH_RTC_IRQ_ENABLED, 1);
}

static uint32_t status(struct goldfish_rtc *r)
{
    return goldfish_rtc_read(r, NOW, GOLDFISH_RTC_ALARM_STATUS);
}

static void reset_counts_from_the_clock(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    assert_int_equal(read_time(&r, NOW), NOW);
    assert_int_equal(read_time(&r, NOW + 5 * SEC), NOW + 5 * SEC);
    for (unsigned off = GOLDFISH_RTC_ALARM_LOW; off <= GOLDFISH_RTC_CLEAR_INTERRUPT; off += 4)
        assert_int_equal(goldfish_rtc_read(&r, NOW, off), 0);
    assert_false(goldfish_rtc_irq(&r));
}

/* TIME_HIGH returns the half latched by the last TIME_LOW read, whatever the
 * count is by then: the two halves are of one instant. */
static void time_high_is_latched_by_time_low(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_TIME_HIGH), 0);   /* nothing latched */
    uint64_t before = 0x17ffffffffULL;                  /* the low half about to carry */
    set_time(&r, NOW, before);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_TIME_LOW), 0xffffffffu);
    assert_int_equal(goldfish_rtc_read(&r, NOW + 10, GOLDFISH_RTC_TIME_HIGH), 0x17);
    assert_int_equal(goldfish_rtc_read(&r, NOW + 10, GOLDFISH_RTC_TIME_LOW), 9);
    assert_int_equal(goldfish_rtc_read(&r, NOW + 10, GOLDFISH_RTC_TIME_HIGH), 0x18);
}

/* A write of either half replaces that half of the count at once; the
 * count then goes on from there. Each RTC has its own offset. */
static void set_time_moves_only_this_rtc(void **state)
{
    (void)state;
    struct goldfish_rtc a, b;
    rtc_new(&a);
    rtc_new(&b);
    uint64_t want = 1704067200ULL * SEC;                /* 2024-01-01 */
    set_time(&a, NOW, want);
    assert_int_equal(read_time(&a, NOW), want);
    assert_int_equal(read_time(&a, NOW + 3 * SEC), want + 3 * SEC);
    assert_int_equal(read_time(&b, NOW + 3 * SEC), NOW + 3 * SEC);
    /* Only the low half: the high half stays the count's. */
    goldfish_rtc_write(&a, NOW, GOLDFISH_RTC_TIME_LOW, 7);
    assert_int_equal(read_time(&a, NOW), (want & ~0xffffffffULL) | 7);
    goldfish_rtc_write(&a, NOW, GOLDFISH_RTC_TIME_HIGH, 0x12345678);
    assert_int_equal(read_time(&a, NOW), 0x1234567800000007ULL);
    /* A reset (the VM's reboot) keeps the time it set, nothing else. */
    arm(&a, NOW, 0);
    assert_true(goldfish_rtc_irq(&a));
    goldfish_rtc_reset(&a);
    assert_int_equal(read_time(&a, NOW), 0x1234567800000007ULL);
    assert_false(goldfish_rtc_irq(&a));
    assert_int_equal(goldfish_rtc_read(&a, NOW, GOLDFISH_RTC_IRQ_ENABLED), 0);
}

/* The count is 64 bits and wraps, as QEMU's tick_offset arithmetic does. */
static void count_wraps_modulo_2_64(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    set_time(&r, NOW, UINT64_MAX - 15);
    assert_int_equal(read_time(&r, NOW), UINT64_MAX - 15);
    assert_int_equal(read_time(&r, NOW + 32), 16);
    set_time(&r, NOW + 32, 0);
    assert_int_equal(read_time(&r, NOW + 40), 8);
}

/* An alarm not after the count fires at once: pending, not armed; the line
 * only with IRQ_ENABLED; CLEAR_INTERRUPT lowers it. */
static void alarm_in_the_past_fires_at_once(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(NOW >> 32));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_ALARM_LOW, (uint32_t)NOW);     /* == the count */
    assert_int_equal(status(&r), 0);
    assert_false(goldfish_rtc_irq(&r));             /* pending, not enabled */
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, 0xfffffffe);        /* bit 0 only */
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED), 0);
    assert_false(goldfish_rtc_irq(&r));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, 3);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED), 1);
    assert_true(goldfish_rtc_irq(&r));
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_ALARM_LOW), (uint32_t)NOW);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_ALARM_HIGH), (uint32_t)(NOW >> 32));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_CLEAR_INTERRUPT, 0);            /* any value */
    assert_false(goldfish_rtc_irq(&r));
    /* Zero is long past. */
    arm(&r, NOW, 0);
    assert_true(goldfish_rtc_irq(&r));
    assert_int_equal(status(&r), 0);
}

/* A later alarm is armed until the clock reaches it, then fires once. */
static void alarm_fires_when_its_time_comes(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    arm(&r, NOW, NOW + SEC);
    assert_int_equal(status(&r), 1);
    assert_true(r.alarm_running);
    assert_int_equal(r.alarm_at, NOW + SEC);
    goldfish_rtc_expire(&r, NOW + SEC - 1);         /* early: nothing */
    assert_int_equal(status(&r), 1);
    assert_false(goldfish_rtc_irq(&r));
    goldfish_rtc_expire(&r, NOW + SEC);
    assert_int_equal(status(&r), 0);
    assert_true(goldfish_rtc_irq(&r));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    goldfish_rtc_expire(&r, NOW + 2 * SEC);         /* disarmed: no second interrupt */
    assert_false(goldfish_rtc_irq(&r));
}

/* ALARM_HIGH only stores; ALARM_LOW arms (Linux writes HIGH first). */
static void only_alarm_low_arms(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, 1);
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_ALARM_HIGH, 1);        /* in the past, unarmed */
    assert_int_equal(status(&r), 0);
    assert_false(goldfish_rtc_irq(&r));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)((NOW + 100 * SEC) >> 32));
    assert_int_equal(status(&r), 0);
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_ALARM_LOW, (uint32_t)(NOW + 100 * SEC));
    assert_int_equal(status(&r), 1);
    assert_false(goldfish_rtc_irq(&r));
}

/* The alarm is set in the RTC's count, but once armed it fires at a clock
 * time: setting the count afterwards does not move it (QEMU's timer keeps
 * its expiry). */
static void alarm_stays_on_the_clock_when_the_count_moves(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    uint64_t t = 1704067200ULL * SEC;
    set_time(&r, NOW, t);
    arm(&r, NOW, t + 2 * SEC);
    assert_int_equal(r.alarm_at, NOW + 2 * SEC);
    set_time(&r, NOW, t + 60 * SEC);                /* past the alarm's count now */
    assert_int_equal(status(&r), 1);
    goldfish_rtc_expire(&r, NOW + SEC);
    assert_int_equal(status(&r), 1);
    goldfish_rtc_expire(&r, NOW + 2 * SEC);
    assert_int_equal(status(&r), 0);
    assert_true(goldfish_rtc_irq(&r));
}

/* An alarm whose clock time QEMU's signed timer takes as negative (more
 * than 2^63 ns after the clock) has expiry 0 there: it fires at the next
 * check rather than in centuries. */
static void alarm_beyond_the_signed_clock_fires_next(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    arm(&r, NOW, UINT64_MAX);
    assert_int_equal(status(&r), 1);
    assert_int_equal(r.alarm_at, 0);
    goldfish_rtc_expire(&r, NOW);
    assert_int_equal(status(&r), 0);
    assert_true(goldfish_rtc_irq(&r));
}

/* CLEAR_ALARM disarms; an interrupt already pending stays. */
static void clear_alarm_keeps_a_pending_interrupt(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    arm(&r, NOW, NOW + SEC);
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_CLEAR_ALARM, 1);
    assert_int_equal(status(&r), 0);
    goldfish_rtc_expire(&r, NOW + 5 * SEC);
    assert_false(goldfish_rtc_irq(&r));
    arm(&r, NOW, NOW - SEC);                        /* fires at once */
    assert_true(goldfish_rtc_irq(&r));
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_CLEAR_ALARM, 1);
    assert_true(goldfish_rtc_irq(&r));
    /* Re-arming replaces the armed alarm. */
    goldfish_rtc_write(&r, NOW, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    arm(&r, NOW, NOW + 10 * SEC);
    arm(&r, NOW, NOW + 20 * SEC);
    goldfish_rtc_expire(&r, NOW + 10 * SEC);
    assert_false(goldfish_rtc_irq(&r));
    goldfish_rtc_expire(&r, NOW + 20 * SEC);
    assert_true(goldfish_rtc_irq(&r));
}

/* Offsets without a register read 0 and ignore writes; the write-only
 * registers read 0. */
static void other_offsets_read_zero(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    set_time(&r, NOW, 42 * SEC);
    for (uint64_t off = 0x20; off < 0x100; off += 4) {
        goldfish_rtc_write(&r, NOW, off, 0xffffffff);
        assert_int_equal(goldfish_rtc_read(&r, NOW, off), 0);
    }
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_CLEAR_ALARM), 0);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_CLEAR_INTERRUPT), 0);
    assert_int_equal(read_time(&r, NOW), 42 * SEC);
    assert_int_equal(status(&r), 0);
    assert_false(goldfish_rtc_irq(&r));
}

/* Widths as QEMU takes them: 4 bytes, 8 as two (low address first), no
 * 1 or 2, nothing past the 0x24-byte region; a refused access does nothing. */
static void access_widths_and_region(void **state)
{
    (void)state;
    struct goldfish_rtc r;
    rtc_new(&r);
    uint64_t v = 0x77;
    for (unsigned width = 1; width <= 2; width++) {
        assert_false(goldfish_rtc_load(&r, NOW, 0, width, &v));
        assert_false(goldfish_rtc_store(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, width, 1));
    }
    assert_int_equal(v, 0x77);
    assert_false(goldfish_rtc_load(&r, NOW, 0x24, 4, &v));
    assert_false(goldfish_rtc_load(&r, NOW, 0xffc, 4, &v));
    assert_false(goldfish_rtc_load(&r, NOW, 0x20, 8, &v));       /* its high half is past it */
    assert_false(goldfish_rtc_store(&r, NOW, 0x20, 8, 0));
    assert_true(goldfish_rtc_load(&r, NOW, 0x20, 4, &v));
    assert_int_equal(v, 0);
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED), 0);
    /* A 64-bit load of TIME_LOW: one instant, the low half latching the high. */
    assert_true(goldfish_rtc_load(&r, NOW, GOLDFISH_RTC_TIME_LOW, 8, &v));
    assert_int_equal(v, NOW);
    /* A 64-bit store to TIME_LOW sets the whole count. */
    assert_true(goldfish_rtc_store(&r, NOW, GOLDFISH_RTC_TIME_LOW, 8, 0x0000000700000005ULL));
    assert_int_equal(read_time(&r, NOW), 0x0000000700000005ULL);
    /* A 64-bit store to ALARM_LOW arms with the old high half (0: in the
     * past, it fires), then stores the new one, arming nothing. */
    assert_true(goldfish_rtc_store(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, 4, 1));
    assert_true(goldfish_rtc_store(&r, NOW, GOLDFISH_RTC_ALARM_LOW, 8, 0x4444444433333333ULL));
    assert_true(goldfish_rtc_irq(&r));
    assert_int_equal(status(&r), 0);
    assert_true(goldfish_rtc_load(&r, NOW, GOLDFISH_RTC_ALARM_LOW, 8, &v));
    assert_int_equal(v, 0x4444444433333333ULL);
    /* IRQ_ENABLED and CLEAR_ALARM in one store. */
    arm(&r, NOW, 0x4444444433333333ULL);
    assert_int_equal(status(&r), 1);
    assert_true(goldfish_rtc_store(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED, 8, 0x100000000ULL));
    assert_int_equal(goldfish_rtc_read(&r, NOW, GOLDFISH_RTC_IRQ_ENABLED), 0);
    assert_int_equal(status(&r), 0);
}

static void wallclock_counts_from_its_base(void **state)
{
    (void)state;
    struct wallclock c;
    wallclock_set(&c, NOW, 5000, 10000000, true);
    assert_int_equal(wallclock_ns(&c, 5000), NOW);
    assert_int_equal(wallclock_ns(&c, 5001), NOW + 100);
    assert_int_equal(wallclock_ns(&c, 5000 + 10000000), NOW + SEC);
    /* A timebase that does not divide 10^9: rounded down, never drifting. */
    wallclock_set(&c, 0, 0, 3, false);
    assert_int_equal(wallclock_ns(&c, 1), 333333333);
    assert_int_equal(wallclock_ns(&c, 3), SEC);
    assert_int_equal(wallclock_ns(&c, 3000000001ULL), 1000000000ULL * SEC + 333333333);
    /* A counter that wrapped since the base (ticks below base_ticks). */
    wallclock_set(&c, NOW, UINT64_MAX - 9, 10, false);
    assert_int_equal(wallclock_ns(&c, 10), NOW + 2 * SEC);
    /* No timebase: taken as 1 Hz, no division by zero. */
    wallclock_set(&c, 0, 0, 0, false);
    assert_int_equal(wallclock_ns(&c, 2), 2 * SEC);
}

/* wallclock_ticks_until is where an alarm's deadline comes from: never
 * before the time, at most one tick (or one nanosecond) after the first
 * tick that reaches it. */
static void wallclock_deadlines_are_never_early(void **state)
{
    (void)state;
    static const uint64_t rates[] = { 1, 3, 32768, 1000000, 10000000, 24000000, 1000000007,
                                      4000000000ULL };
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        struct wallclock c;
        wallclock_set(&c, NOW, 1000, rates[i], true);
        for (int k = 0; k < 2000; k++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            uint64_t now = 1000 + (seed & 0xffffff);
            uint64_t delta = k < 1000 ? (seed >> 24) % (20 * SEC) : (seed >> 24) % 1000;
            uint64_t target = wallclock_ns(&c, now) + delta;
            uint64_t t = wallclock_ticks_until(&c, now, target);
            assert_true(t >= now);
            assert_true(wallclock_ns(&c, t) >= target);
            /* One tick late at most, or a nanosecond's worth of ticks when
             * a tick is shorter than one. */
            uint64_t slack = 1 + rates[i] / SEC;
            if (t > now + slack)
                assert_true(wallclock_ns(&c, t - slack - 1) < target);
        }
    }
    struct wallclock c;
    wallclock_set(&c, NOW, 0, 10000000, true);
    assert_int_equal(wallclock_ticks_until(&c, 77, NOW), 77);          /* already past */
    assert_int_equal(wallclock_ticks_until(&c, 77, 0), 77);
    assert_int_equal(wallclock_ticks_until(&c, 0, NOW + SEC), 10000000);
    /* The latest alarm time (QEMU's signed timer: below 2^63) at 10 MHz. */
    uint64_t far = wallclock_ticks_until(&c, 0, INT64_MAX);
    assert_true(far < UINT64_MAX && wallclock_ns(&c, far) >= INT64_MAX);
    /* Further than the counter counts: never. */
    wallclock_set(&c, 0, 0, 4000000000ULL, false);
    assert_int_equal(wallclock_ticks_until(&c, UINT64_MAX - 10, wallclock_ns(&c, UINT64_MAX - 10) + SEC),
                     UINT64_MAX);
}

static void wallclock_formats_dates(void **state)
{
    (void)state;
    static const struct { uint64_t secs; const char *text; } dates[] = {
        { 0, "1970-01-01 00:00:00" },
        { 951786061, "2000-02-29 01:01:01" },
        { 1709164799, "2024-02-28 23:59:59" },
        { 1796460197, "2026-12-05 08:43:17" },
        { 4102444800ULL, "2100-01-01 00:00:00" },
        { UINT64_MAX / SEC, "2554-07-21 23:34:33" },
    };
    for (unsigned i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        char buf[32];
        uint64_t ns = dates[i].secs * SEC;      /* the second's last nanosecond, or 2^64 - 1 */
        ns += ns <= UINT64_MAX - (SEC - 1) ? SEC - 1 : UINT64_MAX - ns;
        wallclock_format(ns, buf, sizeof(buf));
        assert_string_equal(buf, dates[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_counts_from_the_clock),
        cmocka_unit_test(time_high_is_latched_by_time_low),
        cmocka_unit_test(set_time_moves_only_this_rtc),
        cmocka_unit_test(count_wraps_modulo_2_64),
        cmocka_unit_test(alarm_in_the_past_fires_at_once),
        cmocka_unit_test(alarm_fires_when_its_time_comes),
        cmocka_unit_test(only_alarm_low_arms),
        cmocka_unit_test(alarm_stays_on_the_clock_when_the_count_moves),
        cmocka_unit_test(alarm_beyond_the_signed_clock_fires_next),
        cmocka_unit_test(clear_alarm_keeps_a_pending_interrupt),
        cmocka_unit_test(other_offsets_read_zero),
        cmocka_unit_test(access_widths_and_region),
        cmocka_unit_test(wallclock_counts_from_its_base),
        cmocka_unit_test(wallclock_deadlines_are_never_early),
        cmocka_unit_test(wallclock_formats_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
