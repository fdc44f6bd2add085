/* The run-queue policy of a host hart (the mechanism is core/hart.c): which
 * of the vCPUs it holds runs next, and until when. Round robin with time
 * slices over the VMs that have a runnable vCPU on the hart, then over that
 * VM's vCPUs, so that VMs share the hart equally whatever their number of
 * vCPUs there (as Xen's credit scheduler shares by domain); a vCPU keeps the
 * hart while nobody else is runnable. Pure C; host-tested in
 * tests/host/test_sched.c. */
#ifndef LODGER_CORE_SCHED_H
#define LODGER_CORE_SCHED_H

#include <stdint.h>
#include <stdbool.h>

#define SCHED_NO_DEADLINE UINT64_MAX
#define SCHED_GROUPS 8          /* VMs: LODGER_MAX_VMS (checked in hart.c) */

struct sched_queue {
    int count;
    const bool *runnable;       /* [count] */
    const int *group;           /* [count]: each vCPU's VM, 0..SCHED_GROUPS-1;
                                 * NULL: each vCPU a VM of its own */
    int current;                /* index of the vCPU that just ran, or -1 */
    unsigned next;              /* round robin: the VM (without groups: the index)
                                 * where a pick without current starts */
    uint64_t slice_end;         /* the current vCPU's slice ends then */
    unsigned group_next[SCHED_GROUPS];  /* where a VM's next pick of its vCPUs starts */
};

/* The index of the vCPU to run now (-1: none is runnable): the current one
 * until its slice ends while another is runnable, else a vCPU of the next
 * VM after the current one's (by VM number, cyclically) that has a runnable vCPU,
 * taking that VM's vCPUs in turn; the current VM again only if no other has
 * a runnable vCPU. Updates next, group_next and slice_end
 * (SCHED_NO_DEADLINE while only one is runnable: no need to preempt). */
int sched_pick(struct sched_queue *q, uint64_t now, uint64_t slice);

#endif
