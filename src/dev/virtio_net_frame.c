/* virtio-net headers and frames (dev/virtio_net_frame.h). */
#include <string.h>
#include "dev/virtio_net_frame.h"

bool virtio_net_tx_frame(const struct vq_chain *c, struct io_seg *out, unsigned max,
                         unsigned *nseg, uint64_t *len)
{
    *nseg = 0;
    *len = 0;
    if (c->out_len < VIRTIO_NET_HDR_LEN)
        return false;
    /* 5.1.6.2: the header's fields describe offloads lodger does not offer
     * (no CSUM, no HOST_TSO*): the device MUST ignore flags it does not
     * know, and the driver MUST send gso_type NONE; the header is skipped. */
    uint64_t skip = VIRTIO_NET_HDR_LEN;
    for (unsigned i = 0; i < c->nout && *nseg < max; i++) {
        uint64_t pa = c->seg[i].pa, n = c->seg[i].len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        pa += skip;
        n -= skip;
        skip = 0;
        out[(*nseg)++] = (struct io_seg){ .pa = pa, .len = (uint32_t)n };
        *len += n;
    }
    return true;
}

uint32_t virtio_net_rx_fill(const struct vq_chain *c, const struct io_seg *seg, unsigned nseg,
                            uint32_t len)
{
    if (c->in_len < (uint64_t)VIRTIO_NET_HDR_LEN + len)
        return 0;
    const uint8_t hdr[VIRTIO_NET_HDR_LEN] = { [10] = 1 };  /* num_buffers = 1, little-endian */
    vq_write_in(c, 0, hdr, sizeof(hdr));
    uint64_t off = VIRTIO_NET_HDR_LEN;
    uint32_t left = len;
    for (unsigned i = 0; i < nseg && left; i++) {
        uint32_t n = seg[i].len < left ? seg[i].len : left;
        vq_write_in(c, off, (const void *)(uintptr_t)seg[i].pa, n);
        off += n;
        left -= n;
    }
    return VIRTIO_NET_HDR_LEN + len - left;
}
