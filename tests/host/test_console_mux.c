/* Host tests for src/core/console_mux.c: the board console shared by the
 * VMs (prefixes, whole lines, partial lines, throttling, input focus and
 * its escape). The clock runs at 1000 ticks a second: a tick is 1 ms. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/console_mux.h"
#include "console_mux_check.h"

#define HZ 1000
#define ESC "\x1d"

static struct console_mux mux;
static struct mux_record rec;

static int setup(void **state)
{
    (void)state;
    mux_record_init(&rec);
    console_mux_init(&mux, HZ);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mux_record_free(&rec);
    return 0;
}

static void expect_out(const char *want)
{
    mux_record_drain(&mux, &rec, SIZE_MAX);
    assert_int_equal(rec.out_len, strlen(want));
    assert_memory_equal(rec.out, want, rec.out_len);
}

static void clear_out(void)
{
    mux_record_drain(&mux, &rec, SIZE_MAX);
    rec.out_len = 0;
}

static size_t vm_write(int vm, const char *s, uint64_t now)
{
    return mux_record_write(&mux, &rec, vm, s, strlen(s), false, now);
}

static void type(const char *s)
{
    for (; *s; s++) {
        assert_true(console_mux_input_room(&mux));
        console_mux_input(&mux, (uint8_t)*s);
    }
}

static void expect_input(int vm, const char *want)
{
    for (; *want; want++)
        assert_int_equal(console_mux_getchar(&mux, vm), (uint8_t)*want);
    assert_int_equal(console_mux_getchar(&mux, vm), -1);
}

/* One VM: bytes go straight out, unbuffered and unprefixed, lodger's too,
 * with nothing added (make run and the single-VM tests see no change). */
static void test_one_vm_passes_through(void **state)
{
    (void)state;
    assert_false(console_mux_multiplexed(&mux));
    vm_write(0, "guest# ", 0);
    expect_out("guest# ");
    console_mux_lodger_write(&mux, "lodger: x\n", 10);
    vm_write(0, "ls", 1);
    expect_out("guest# lodger: x\nls");
    console_mux_tick(&mux, 10 * HZ);
    expect_out("guest# lodger: x\nls");
    /* Never throttled, however much waits for the console. */
    static char big[2 * CONSOLE_MUX_BACKLOG];
    memset(big, 'x', sizeof(big));
    assert_int_equal(mux_record_write(&mux, &rec, 0, big, sizeof(big), true, 2), sizeof(big));
    assert_true(console_mux_ready(&mux, 0));
    console_mux_set_vms(&mux, 1, 0);
    assert_false(console_mux_multiplexed(&mux));
}

/* One VM: the escape is an ordinary byte; input waits on the board console
 * once the VM's queue is full (as it did in the UART's FIFO before). */
static void test_one_vm_input(void **state)
{
    (void)state;
    type(ESC "1a");
    expect_input(0, ESC "1a");
    for (int i = 0; i < CONSOLE_MUX_INPUT_MAX; i++)
        type("k");
    assert_false(console_mux_input_room(&mux));
    assert_int_equal(console_mux_getchar(&mux, 0), 'k');
    assert_true(console_mux_input_room(&mux));
    assert_int_equal(rec.out_len, 0);
}

/* Several VMs: a notice of where input goes, then whole lines, each with
 * its VM's prefix, even when the VMs write byte by byte in turn. */
static void test_lines_prefixed_and_whole(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 3, 1);
    assert_true(console_mux_multiplexed(&mux));
    expect_out("lodger: console input goes to vm1 (Ctrl-] then 0-2: that VM, n: the next, "
               "?: this line)\n");
    clear_out();
    const char *a = "hello from 0\r\n", *b = "and from 2\n";
    for (size_t i = 0; i < strlen(a); i++) {
        mux_record_write(&mux, &rec, 0, a + i, 1, false, i);
        if (i < strlen(b))
            mux_record_write(&mux, &rec, 2, b + i, 1, false, i);
    }
    expect_out("vm2| and from 2\nvm0| hello from 0\r\n");
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* A partial line waits CONSOLE_MUX_FLUSH_MS, then goes out; the VM's line
 * stays open for it, so more of it follows without a prefix. */
static void test_partial_line_after_timeout(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    vm_write(1, "login: ", 100);
    console_mux_tick(&mux, 100 + CONSOLE_MUX_FLUSH_MS - 1);
    expect_out("");
    console_mux_tick(&mux, 100 + CONSOLE_MUX_FLUSH_MS);
    expect_out("vm1| login: ");
    vm_write(1, "r", 200);
    console_mux_tick(&mux, 200 + CONSOLE_MUX_FLUSH_MS);
    vm_write(1, "oot\n", 300);
    expect_out("vm1| login: root\n");
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* Another source writing while a VM's partial line is out ends that line
 * first; the VM's next output is marked as the continuation. */
static void test_broken_line_continued(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    vm_write(0, "abc", 0);
    console_mux_tick(&mux, CONSOLE_MUX_FLUSH_MS);
    vm_write(1, "x\n", CONSOLE_MUX_FLUSH_MS + 1);
    vm_write(0, "def\n", CONSOLE_MUX_FLUSH_MS + 2);
    expect_out("vm0| abc\nvm1| x\nvm0+ def\n");
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* A line longer than the buffer goes out in full buffers, continued. */
static void test_long_line_in_pieces(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    char line[CONSOLE_MUX_LINE_MAX + 10];
    memset(line, 'y', sizeof(line) - 1);
    line[sizeof(line) - 1] = 0;
    vm_write(0, line, 0);
    /* The first full buffer is out at once, unended. */
    mux_record_drain(&mux, &rec, SIZE_MAX);
    assert_int_equal(rec.out_len, 5 + CONSOLE_MUX_LINE_MAX);
    vm_write(1, "b\n", 1);
    assert_true(mux_check_multiplexed(&mux, &rec));
    assert_memory_equal(rec.out + 5 + CONSOLE_MUX_LINE_MAX, "\nvm1| b\n", 8);
    console_mux_tick(&mux, 1000);
    mux_record_drain(&mux, &rec, SIZE_MAX);
    assert_memory_equal(rec.out + rec.out_len - 15, "\nvm0+ yyyyyyyyy", 15);
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* lodger's own text comes after what the VMs wrote before it, on a line of
 * its own. */
static void test_lodger_after_vm_partials(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    vm_write(1, "Booting", 0);
    mux_record_lodger(&mux, &rec, "LL\n", 3);
    vm_write(1, "...\n", 1);
    expect_out("vm1| Booting\nLL\nvm1+ ...\n");
    /* lodger prints a line in pieces: a VM's line that comes meanwhile
     * goes before it, never inside it. */
    clear_out();
    mux_record_lodger(&mux, &rec, "L", 1);
    vm_write(0, "v\n", 2);
    expect_out("vm0| v\n");
    mux_record_lodger(&mux, &rec, "L\n", 2);
    expect_out("vm0| v\nLL\n");
    /* An unfinished one goes at the second tick that finds it. */
    clear_out();
    mux_record_lodger(&mux, &rec, "LLL", 3);
    console_mux_tick(&mux, 100);
    expect_out("");
    console_mux_tick(&mux, 120);
    vm_write(1, "w\n", 130);
    expect_out("LLL\nvm1| w\n");
}

/* A VM whose backlog (bytes the board console has not taken) is full:
 * its refusable writes (SBI DBCN) take only what fits, then nothing, and it
 * is not ready (its UART's THRE) until the console takes its bytes; other
 * VMs are untouched; writes that cannot be refused still go in. */
static void test_flooding_vm_throttled(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    static char flood[CONSOLE_MUX_BACKLOG + 100];
    memset(flood, 'f', sizeof(flood));
    assert_true(console_mux_ready(&mux, 0));
    assert_int_equal(mux_record_write(&mux, &rec, 0, flood, sizeof(flood), true, 1),
                     CONSOLE_MUX_BACKLOG);
    assert_false(console_mux_ready(&mux, 0));
    assert_int_equal(mux_record_write(&mux, &rec, 0, flood, 10, true, 2), 0);
    assert_int_equal(mux.vms[0].throttled, 100 + 10);
    /* The other VM writes as it likes; its line waits behind vm0's backlog. */
    assert_true(console_mux_ready(&mux, 1));
    assert_int_equal(mux_record_write(&mux, &rec, 1, "ok\n", 3, true, 3), 3);
    /* A THR write or a legacy putchar is taken anyway. */
    assert_int_equal(mux_record_write(&mux, &rec, 0, "!\n", 2, false, 4), 2);
    /* The console takes part of it: still over; all of vm0's: ready. */
    mux_record_drain(&mux, &rec, 10);
    assert_false(console_mux_ready(&mux, 0));
    mux_record_drain(&mux, &rec, SIZE_MAX);
    assert_true(console_mux_ready(&mux, 0));
    assert_int_equal(mux_record_write(&mux, &rec, 0, flood, 100, true, 5), 100);
    console_mux_tick(&mux, 1000);
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* When the ring is full even a write that cannot be refused takes nothing
 * (the caller lets the console take output, then writes again); the room
 * comes back as the console takes it. */
static void test_full_ring_waits_for_console(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    static char line[CONSOLE_MUX_LINE_MAX];
    memset(line, 'w', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    size_t taken = 0;
    while (mux_record_write(&mux, &rec, 1, line, sizeof(line), false, 0) == sizeof(line))
        taken += sizeof(line);
    assert_true(taken > CONSOLE_MUX_RING / 2);
    assert_false(console_mux_room(&mux, sizeof(line)));
    assert_false(console_mux_ready(&mux, 1));
    mux_record_drain(&mux, &rec, 8 * sizeof(line));
    assert_true(console_mux_room(&mux, sizeof(line)));
    assert_int_equal(mux_record_write(&mux, &rec, 1, line, sizeof(line), false, 0), sizeof(line));
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* The focus: the configured VM's at start; Ctrl-] and a digit or n moves
 * it, with a notice; input goes only to the focused VM. */
static void test_focus_switching(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 3, 2);
    clear_out();
    type("ab");
    type(ESC "0");
    expect_out("lodger: console input goes to vm0 (Ctrl-] then 0-2: that VM, n: the next, "
               "?: this line)\n");
    type("cd" ESC "n" "e" ESC "n" "f");
    expect_input(2, "abf");
    expect_input(0, "cd");
    expect_input(1, "e");
    /* The escape twice is one escape byte; before another byte, both. */
    type(ESC ESC ESC "x");
    expect_input(2, ESC ESC "x");
    /* No such VM, or the same one: input stays; ? says where it goes. */
    clear_out();
    type(ESC "7" ESC "2");
    expect_out("lodger: there is no vm7; console input stays with vm2\n");
    clear_out();
    type(ESC "?");
    expect_out("lodger: console input goes to vm2 (Ctrl-] then 0-2: that VM, n: the next, "
               "?: this line)\n");
    expect_input(2, "");
}

/* A notice while lodger's own text is in the middle of a line is a line
 * of its own (found by fuzz_console_mux). */
static void test_notice_after_lodger_partial(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    clear_out();
    mux_record_lodger(&mux, &rec, "L", 1);
    type(ESC "1");
    mux_record_lodger(&mux, &rec, "L\n", 2);
    expect_out("lodger: console input goes to vm1 (Ctrl-] then 0-1: that VM, n: the next, "
               "?: this line)\nLL\n");
    assert_true(mux_check_multiplexed(&mux, &rec));
}

/* An ended VM is skipped by n and refused by its digit; the focus leaves
 * it when it ends, and its partial line goes out. */
static void test_focus_leaves_ended_vm(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 3, 1);
    vm_write(1, "bye", 0);
    clear_out();
    console_mux_vm_ended(&mux, 1);
    assert_int_equal(mux.focus, 2);
    expect_out("vm1| bye\nlodger: console input goes to vm2 (Ctrl-] then 0-2: that VM, n: the "
               "next, ?: this line)\n");
    clear_out();
    type(ESC "1");
    expect_out("lodger: vm1 has ended; console input stays with vm2\n");
    type(ESC "n");
    assert_int_equal(mux.focus, 0);
    type(ESC "n");
    assert_int_equal(mux.focus, 2);
}

/* Several VMs: a VM that does not read loses what overflows its queue, and
 * the board console is never blocked: the escape still gets through. */
static void test_input_never_blocks_escape(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 2, 0);
    for (int i = 0; i < CONSOLE_MUX_INPUT_MAX + 5; i++)
        type("z");
    assert_int_equal(mux.vms[0].input_dropped, 5);
    type(ESC "1" "q");
    expect_input(1, "q");
}

/* Random writes of every kind by 4 VMs and lodger, partial lines, ticks
 * and throttling: each VM's stream comes out whole and in order. */
static void test_random_streams_rebuilt(void **state)
{
    (void)state;
    console_mux_set_vms(&mux, 4, 0);
    unsigned seed = 12345;
    uint64_t now = 0;
    for (int step = 0; step < 4000; step++) {
        seed = seed * 1103515245 + 12345;
        unsigned r = seed >> 8;
        now += r % 7;
        char buf[300];
        size_t len = (r >> 4) % sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            buf[i] = (seed >> 16) % 13 == 0 ? '\n' : (char)('a' + (seed >> 20) % 26);
        }
        if (!console_mux_room(&mux, len))
            mux_record_drain(&mux, &rec, len + CONSOLE_MUX_RESERVE);
        switch (r % 6) {
        case 0: console_mux_tick(&mux, now); break;
        case 1: mux_record_lodger(&mux, &rec, r & 1 ? "LL\n" : "L", r & 1 ? 3 : 1); break;
        case 2: mux_record_drain(&mux, &rec, r % 2000); break;
        default:
            mux_record_write(&mux, &rec, (int)((r >> 3) % 4), buf, len, r & 64, now);
            break;
        }
    }
    assert_true(rec.lodger_bytes > 0);
    if (!mux_check_multiplexed(&mux, &rec))
        fail_msg("%s", rec.why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_vm_passes_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_vm_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines_prefixed_and_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_line_after_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_line_continued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lodger_after_vm_partials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flooding_vm_throttled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_ring_waits_for_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_focus_switching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notice_after_lodger_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_focus_leaves_ended_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_never_blocks_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_streams_rebuilt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
