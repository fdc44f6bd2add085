/* Host tests for src/core/sched.c: the run-queue policy of a host hart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sched.h"

#define SLICE 100

/* One vCPU, runnable: it keeps the hart, and nothing preempts it. */
static void test_alone(void **state)
{
    (void)state;
    bool r[] = { true };
    struct sched_queue q = { .count = 1, .runnable = r, .current = 0, .slice_end = 5 };
    assert_int_equal(sched_pick(&q, 1000, SLICE), 0);
    assert_true(q.slice_end == SCHED_NO_DEADLINE);
    q.current = -1;
    assert_int_equal(sched_pick(&q, 1000, SLICE), 0);
}

/* Nothing runnable (all waiting): -1, and the state is left alone. */
static void test_none_runnable(void **state)
{
    (void)state;
    bool r[] = { false, false };
    struct sched_queue q = { .count = 2, .runnable = r, .current = 1, .next = 1, .slice_end = 7 };
    assert_int_equal(sched_pick(&q, 1000, SLICE), -1);
    assert_int_equal(q.next, 1);
    assert_true(q.slice_end == 7);
    struct sched_queue empty = { .count = 0, .runnable = r, .current = -1 };
    assert_int_equal(sched_pick(&empty, 1000, SLICE), -1);
}

/* Three runnable vCPUs take turns, one slice each, in queue order. */
static void test_round_robin(void **state)
{
    (void)state;
    bool r[] = { true, true, true };
    struct sched_queue q = { .count = 3, .runnable = r, .current = -1, .slice_end = SCHED_NO_DEADLINE };
    uint64_t now = 1000;
    int order[7];
    for (int k = 0; k < 7; k++) {
        order[k] = sched_pick(&q, now, SLICE);
        assert_true(q.slice_end == now + SLICE);
        /* Traps within the slice keep it. */
        q.current = order[k];
        assert_int_equal(sched_pick(&q, now + SLICE / 2, SLICE), order[k]);
        assert_true(q.slice_end == now + SLICE);
        now += SLICE;
    }
    int want[] = { 0, 1, 2, 0, 1, 2, 0 };
    assert_memory_equal(order, want, sizeof(want));
}

/* A vCPU in WFI is skipped; when it is the current one, another runs at once. */
static void test_waiting_skipped(void **state)
{
    (void)state;
    bool r[] = { true, false, true };
    struct sched_queue q = { .count = 3, .runnable = r, .current = 0, .slice_end = 2000 };
    assert_int_equal(sched_pick(&q, 1500, SLICE), 0);     /* slice not over */
    assert_int_equal(sched_pick(&q, 2000, SLICE), 2);     /* over: 1 waits, 2 goes */
    assert_true(q.slice_end == 2000 + SLICE);
    r[2] = false;                                          /* 2 enters WFI */
    q.current = 2;
    assert_int_equal(sched_pick(&q, 2010, SLICE), 0);
    assert_true(q.slice_end == SCHED_NO_DEADLINE);         /* alone: no preemption */
}

/* A vCPU running alone keeps going when another wakes, until a slice from
 * then on has passed (the waker does not wait forever, nor preempt at once). */
static void test_wake_starts_a_slice(void **state)
{
    (void)state;
    bool r[] = { true, false };
    struct sched_queue q = { .count = 2, .runnable = r, .current = 0,
                             .slice_end = SCHED_NO_DEADLINE };
    assert_int_equal(sched_pick(&q, 1000, SLICE), 0);
    assert_true(q.slice_end == SCHED_NO_DEADLINE);
    r[1] = true;                                           /* an IPI wakes vCPU 1 */
    assert_int_equal(sched_pick(&q, 5000, SLICE), 0);
    assert_true(q.slice_end == 5000 + SLICE);
    assert_int_equal(sched_pick(&q, 5000 + SLICE, SLICE), 1);
}

/* Without a current vCPU (the hart was idle, or it stopped) the pick starts
 * where the last one left off. */
static void test_no_current(void **state)
{
    (void)state;
    bool r[] = { true, true, true };
    struct sched_queue q = { .count = 3, .runnable = r, .current = -1, .next = 2 };
    assert_int_equal(sched_pick(&q, 0, SLICE), 2);
    assert_int_equal(q.next, 3);
    q.current = -1;
    assert_int_equal(sched_pick(&q, 0, SLICE), 0);      /* wraps */
}

/* Picks over n slices from current -1 on, each vCPU running its whole
 * slice: how many slices each vCPU got. */
static void run_slices(struct sched_queue *q, int n, int *slices)
{
    uint64_t now = 1000;
    for (int k = 0; k < n; k++) {
        int i = sched_pick(q, now, SLICE);
        assert_true(i >= 0);
        slices[i]++;
        q->current = i;
        now += SLICE;
    }
}

/* VMs share the hart equally, whatever their number of vCPUs on it: VM 0
 * with three vCPUs, VM 1 with one get 50% each, VM 0's spread over its
 * three in turn (vCPU by vCPU, VM 1's would have 25%). */
static void test_vms_share_equally(void **state)
{
    (void)state;
    bool r[] = { true, true, true, true };
    int vm[] = { 0, 0, 0, 1 };
    struct sched_queue q = { .count = 4, .runnable = r, .group = vm, .current = -1 };
    int slices[4] = { 0 };
    run_slices(&q, 600, slices);
    assert_int_equal(slices[3], 300);
    assert_int_equal(slices[0], 100);
    assert_int_equal(slices[1], 100);
    assert_int_equal(slices[2], 100);
}

/* Three VMs interleaved in the queue (3 vCPUs of 2 VMs and one of a
 * third): a third each; a VM's vCPUs in queue order. */
static void test_three_vms_interleaved(void **state)
{
    (void)state;
    bool r[] = { true, true, true, true, true };
    int vm[] = { 2, 5, 2, 7, 5 };
    struct sched_queue q = { .count = 5, .runnable = r, .group = vm, .current = -1 };
    int slices[5] = { 0 };
    run_slices(&q, 600, slices);
    assert_int_equal(slices[0] + slices[2], 200);
    assert_int_equal(slices[1] + slices[4], 200);
    assert_int_equal(slices[3], 200);
    assert_int_equal(slices[0], 100);
    assert_int_equal(slices[1], 100);
}

/* A VM whose vCPUs all wait takes nothing; the other VM's vCPUs take turns
 * (its own VM again when no other has a runnable vCPU). */
static void test_waiting_vm_takes_nothing(void **state)
{
    (void)state;
    bool r[] = { false, true, true, false };
    int vm[] = { 0, 1, 1, 0 };
    struct sched_queue q = { .count = 4, .runnable = r, .group = vm, .current = -1 };
    int slices[4] = { 0 };
    run_slices(&q, 100, slices);
    assert_int_equal(slices[0] + slices[3], 0);
    assert_int_equal(slices[1], 50);
    assert_int_equal(slices[2], 50);
    /* All of VM 1 waits too: nothing, the state left alone. */
    r[1] = r[2] = false;
    assert_int_equal(sched_pick(&q, 1 << 20, SLICE), -1);
}

/* One VM of several vCPUs alone on the hart: plain round robin. */
static void test_one_vm_round_robin(void **state)
{
    (void)state;
    bool r[] = { true, true, true };
    int vm[] = { 4, 4, 4 };
    struct sched_queue q = { .count = 3, .runnable = r, .group = vm, .current = -1 };
    int order[6];
    uint64_t now = 1000;
    for (int k = 0; k < 6; k++) {
        order[k] = sched_pick(&q, now, SLICE);
        q.current = order[k];
        now += SLICE;
    }
    int want[] = { 0, 1, 2, 0, 1, 2 };
    assert_memory_equal(order, want, sizeof(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alone),
        cmocka_unit_test(test_none_runnable),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_waiting_skipped),
        cmocka_unit_test(test_wake_starts_a_slice),
        cmocka_unit_test(test_no_current),
        cmocka_unit_test(test_vms_share_equally),
        cmocka_unit_test(test_three_vms_interleaved),
        cmocka_unit_test(test_waiting_vm_takes_nothing),
        cmocka_unit_test(test_one_vm_round_robin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
