/* The run-queue policy of a host hart (the mechanism is core/hart.c): which
 * of the vCPUs it holds runs next, and until when. Round robin with time
 * slices; a vCPU keeps the hart while nobody else is runnable. Pure C;
 * host-tested in tests/host/test_sched.c. */
#ifndef LODGER_CORE_SCHED_H
#define LODGER_CORE_SCHED_H

#include <stdint.h>
#include <stdbool.h>

#define SCHED_NO_DEADLINE UINT64_MAX

struct sched_queue {
    int count;
    const bool *runnable;       /* [count] */
    int current;                /* index of the vCPU that just ran, or -1 */
    unsigned next;              /* round robin: where a pick without current starts */
    uint64_t slice_end;         /* the current vCPU's slice ends then */
};

/* The index of the vCPU to run now (-1: none is runnable): the current one
 * until its slice ends while another is runnable, else the next runnable one
 * after it in queue order. Updates next and slice_end (SCHED_NO_DEADLINE
 * while only one is runnable: no need to preempt). */
int sched_pick(struct sched_queue *q, uint64_t now, uint64_t slice);

#endif
