/* Cutting a disk request into requests a virtio-blk device takes (blk_split.h). */
#include "drivers/blk_split.h"

static void skip_empty(const struct io_seg *seg, unsigned nseg, struct blk_cursor *c)
{
    while (c->seg < nseg && c->offset >= seg[c->seg].len) {
        c->seg++;
        c->offset = 0;
    }
}

uint64_t blk_split_next(const struct io_seg *seg, unsigned nseg, struct blk_cursor *cursor,
                        const struct blk_limits *limits, struct io_seg *pieces, unsigned *npieces)
{
    struct blk_cursor c = *cursor;
    unsigned n = 0;
    uint64_t bytes = 0;
    skip_empty(seg, nseg, &c);
    while (c.seg < nseg && n < limits->max_pieces) {
        uint32_t take = seg[c.seg].len - c.offset;
        if (limits->size_max && take > limits->size_max)
            take = limits->size_max;
        pieces[n++] = (struct io_seg){ seg[c.seg].pa + c.offset, take };
        bytes += take;
        c.offset += take;
        skip_empty(seg, nseg, &c);
    }
    /* Back to the last whole sector: the last pieces shrink or go, and the
     * cursor steps back over what they gave up. */
    uint64_t excess = bytes % BLK_SECTOR;
    bytes -= excess;
    while (excess) {
        struct io_seg *last = &pieces[n - 1];
        uint32_t back = excess < last->len ? (uint32_t)excess : last->len;
        last->len -= back;
        excess -= back;
        if (!last->len)
            n--;
    }
    *npieces = n;
    /* The cursor: bytes past where this request started. */
    c = *cursor;
    uint64_t left = bytes;
    skip_empty(seg, nseg, &c);
    while (left) {
        uint32_t avail = seg[c.seg].len - c.offset;
        uint32_t step = left < avail ? (uint32_t)left : avail;
        c.offset += step;
        left -= step;
        skip_empty(seg, nseg, &c);
    }
    *cursor = c;
    return bytes;
}
