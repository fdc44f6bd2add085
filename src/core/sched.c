#include "core/sched.h"

static int group_of(const struct sched_queue *q, int i)
{
    return q->group ? q->group[i] : i;
}

/* The first runnable vCPU of group g from the group's own place on. */
static int pick_in_group(struct sched_queue *q, int g)
{
    if (!q->group)
        return g;       /* each vCPU its own group: it is the one */
    unsigned start = q->group_next[g];
    for (int k = 0; k < q->count; k++) {
        int i = (int)((start + (unsigned)k) % (unsigned)q->count);
        if (q->runnable[i] && q->group[i] == g) {
            q->group_next[g] = (unsigned)(i + 1);
            return i;
        }
    }
    return -1;
}

int sched_pick(struct sched_queue *q, uint64_t now, uint64_t slice)
{
    int ready = 0, pick = -1;
    for (int i = 0; i < q->count; i++)
        ready += q->runnable[i];
    bool current_ok = q->current >= 0 && q->current < q->count && q->runnable[q->current];
    if (current_ok && (ready == 1 || now < q->slice_end)) {
        pick = q->current;
    } else {
        /* The next VM after the current one's (by number, cyclically)
         * that has a runnable vCPU, the current one's VM last. */
        int groups = q->group ? SCHED_GROUPS : q->count;
        int start = q->current >= 0 ? group_of(q, q->current) + 1 : (int)q->next;
        int own = q->current >= 0 && q->current < q->count ? group_of(q, q->current) : -1;
        int g = -1, best = groups;
        for (int i = 0; i < q->count; i++) {
            int d = ((group_of(q, i) - start) % groups + groups) % groups;
            if (q->runnable[i] && group_of(q, i) != own && d < best) {
                best = d;
                g = group_of(q, i);
            }
        }
        if (g < 0)
            g = own;
        pick = g >= 0 ? pick_in_group(q, g) : -1;
        if (pick >= 0 && !q->runnable[pick])
            pick = -1;      /* each vCPU its own group: the current one waits */
        if (pick >= 0)
            q->next = (unsigned)(group_of(q, pick) + 1);
    }
    if (pick < 0)
        return -1;
    if (ready <= 1)
        q->slice_end = SCHED_NO_DEADLINE;
    else if (pick != q->current || q->slice_end == SCHED_NO_DEADLINE || now >= q->slice_end)
        q->slice_end = now + slice;     /* a new slice, or others just became runnable */
    return pick;
}
