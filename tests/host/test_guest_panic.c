/* Host tests for src/core/guest_panic.c: spotting Linux's panic report in
 * console output fed byte by byte. The lines are Linux 6.12's (kernel/panic.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/guest_panic.h"

/* Feeds s; returns the events in order, one letter each: S(tarted), L(ine), E(nded). */
static const char *feed(struct guest_panic *p, const char *s)
{
    static char events[64];
    unsigned n = 0;
    for (; *s; s++) {
        enum guest_panic_event ev = guest_panic_feed(p, *s);
        if (ev != GUEST_PANIC_NONE && n < sizeof(events) - 1)
            events[n++] = "-SLE"[ev];
    }
    events[n] = 0;
    return events;
}

static const char report[] =
    "[    1.315089]  fuseblk\r\n"
    "[    1.315486] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n"
    "[    1.316142] CPU: 0 UID: 0 PID: 1 Comm: swapper/0 Not tainted 6.12.107+deb13-riscv64 #1\r\n"
    "[    1.316858] Call Trace:\r\n"
    "[    1.317105] [<ffffffff80006f7c>] dump_backtrace+0x28/0x30\r\n"
    "[    1.321703] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on "
    "unknown-block(0,0) ]---\r\n";

static void test_full_report(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, report), "SLE");
    assert_string_equal(p.reason, "VFS: Unable to mount root fs on unknown-block(0,0)");
}

/* The marker is recognised the moment it is complete, before its line ends;
 * the reason grows with the line. */
static void test_started_before_line_end(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, "[    0.5] Kernel panic - not syncin"), "");
    assert_false(p.started);
    assert_string_equal(feed(&p, "g"), "S");
    assert_true(p.started);
    assert_string_equal(feed(&p, ": Attempted to kill init!"), "");
    assert_string_equal(p.reason, "Attempted to kill init!");
    assert_string_equal(feed(&p, " exitcode=0x00000100\n"), "L");
    assert_string_equal(p.reason, "Attempted to kill init! exitcode=0x00000100");
}

/* Ordinary output and near misses are not a panic. */
static void test_no_panic(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, "Run /init as init process\n"
                                 "kernel panic - not syncing: lower case\n"
                                 "Kernel panic - syncing\n"
                                 "Kernel panic - not\nsyncing: split over two lines\n"), "");
    assert_false(p.started);
}

/* A closing line whose panic line was missed still says a panic happened. */
static void test_closing_line_alone(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, "---[ end Kernel panic - not syncing: x ]---\n"), "SL");
    assert_string_equal(p.reason, "x ]---");
}

/* Only the first panic counts; a closing line before the panic line ends
 * does not end the report. */
static void test_one_report(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, "Kernel panic - not syncing: first ---[ end Kernel panic - not "
                                 "syncing"), "S");
    assert_string_equal(feed(&p, "\nKernel panic - not syncing: second\n"), "L");
    assert_string_equal(p.reason, "first ---[ end Kernel panic - not syncing");
    assert_string_equal(feed(&p, "---[ end Kernel panic - not syncing: first ]---\n"), "E");
}

/* Long lines are cut, not overrun; unprintable bytes do not reach the reason. */
static void test_long_and_binary(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    char junk[1000];
    memset(junk, 'x', sizeof(junk) - 1);
    junk[sizeof(junk) - 1] = 0;
    assert_string_equal(feed(&p, junk), "");
    assert_string_equal(feed(&p, "Kernel panic - not syncing"), "");  /* past the cut */
    assert_string_equal(feed(&p, "\nKernel panic - not syncing: \x01\x1b[0m"), "S");
    assert_string_equal(feed(&p, junk), "");
    assert_int_equal(strlen(p.reason), GUEST_PANIC_REASON_MAX - 1);
    assert_memory_equal(p.reason, "??[0mxx", 7);
    assert_string_equal(feed(&p, "\n"), "L");
}

/* A reset watch starts over. */
static void test_reset(void **state)
{
    (void)state;
    struct guest_panic p;
    guest_panic_reset(&p);
    assert_string_equal(feed(&p, report), "SLE");
    guest_panic_reset(&p);
    assert_false(p.started);
    assert_string_equal(p.reason, "");
    assert_string_equal(feed(&p, report), "SLE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_report),
        cmocka_unit_test(test_started_before_line_end),
        cmocka_unit_test(test_no_panic),
        cmocka_unit_test(test_closing_line_alone),
        cmocka_unit_test(test_one_report),
        cmocka_unit_test(test_long_and_binary),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
