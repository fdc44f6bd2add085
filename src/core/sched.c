#include "core/sched.h"

int sched_pick(struct sched_queue *q, uint64_t now, uint64_t slice)
{
    int ready = 0, pick = -1;
    for (int i = 0; i < q->count; i++)
        ready += q->runnable[i];
    bool current_ok = q->current >= 0 && q->current < q->count && q->runnable[q->current];
    if (current_ok && (ready == 1 || now < q->slice_end)) {
        pick = q->current;
    } else {
        int start = q->current >= 0 ? q->current + 1 : (int)q->next;
        for (int k = 0; k < q->count && pick < 0; k++) {
            int i = (start + k) % q->count;
            if (q->runnable[i])
                pick = i;
        }
        if (pick >= 0)
            q->next = (unsigned)(pick + 1);
    }
    if (pick < 0)
        return -1;
    if (ready <= 1)
        q->slice_end = SCHED_NO_DEADLINE;
    else if (pick != q->current || q->slice_end == SCHED_NO_DEADLINE || now >= q->slice_end)
        q->slice_end = now + slice;     /* a new slice, or others just became runnable */
    return pick;
}
