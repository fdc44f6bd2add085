/* How a disk request's buffer (a list of io_segs) goes to a virtio-blk
 * device in requests the device takes: at most max_pieces data descriptors
 * each (its seg_max, and the queue's size less header and status), none
 * longer than size_max (0: no limit), each request a whole number of
 * sectors (5.2.6). Pure, host-tested (tests/host/test_blk_split.c). */
#ifndef LODGER_DRIVERS_BLK_SPLIT_H
#define LODGER_DRIVERS_BLK_SPLIT_H

#include <stdint.h>
#include "io/backend.h"

struct blk_cursor {
    unsigned seg;               /* the segment the next request starts in */
    uint32_t offset;            /* and where in it */
};

struct blk_limits {
    unsigned max_pieces;        /* >= 1 */
    uint32_t size_max;          /* 0: none */
};

/* Fills pieces[] (room for limits->max_pieces) with the next request's data
 * from the cursor on, advances the cursor past it, and returns its bytes
 * (a multiple of BLK_SECTOR). 0 with the cursor at the end: done; 0
 * otherwise: a sector is spread over more pieces than a request may have
 * (the request cannot be made without a copy). */
uint64_t blk_split_next(const struct io_seg *seg, unsigned nseg, struct blk_cursor *cursor,
                        const struct blk_limits *limits, struct io_seg *pieces, unsigned *npieces);
/* Whether the cursor has passed every segment (zero-length ones included). */
static inline int blk_split_done(const struct blk_cursor *c, unsigned nseg)
{
    return c->seg >= nseg;
}

#endif
