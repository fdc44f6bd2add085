/* The virtio-net header and frames as they cross a VM's queues (virtio 1.x
 * 5.1.6): what the driver gives on transmit is a struct virtio_net_hdr and
 * the frame; what the device writes into a receive buffer is a header and
 * the frame. With VIRTIO_F_VERSION_1 the header is 12 bytes whether or not
 * MRG_RXBUF is negotiated (5.1.6: num_buffers is always there). Pure,
 * host-tested in tests/host/test_virtio_net.c. */
#ifndef LODGER_DEV_VIRTIO_NET_FRAME_H
#define LODGER_DEV_VIRTIO_NET_FRAME_H

#include <stdint.h>
#include <stdbool.h>
#include "dev/vq.h"
#include "io/virtio_spec.h"     /* VIRTIO_NET_HDR_LEN */

/* The transmitted frame of chain c: its readable bytes after the header,
 * as segments into out (at most max; the same guest memory, nothing
 * copied) and their total *len. False if the chain's readable part is
 * shorter than the header (no frame). Writable buffers in a transmit chain
 * are ignored. */
bool virtio_net_tx_frame(const struct vq_chain *c, struct io_seg *out, unsigned max,
                         unsigned *nseg, uint64_t *len);

/* Writes a received frame (len bytes gathered from seg) into chain c's
 * writable buffers after a header: flags 0, gso_type NONE (no GUEST_CSUM,
 * no GUEST_TSO*: 5.1.6.4), num_buffers 1 (no MRG_RXBUF: 5.1.6.4, "MUST set
 * num_buffers to 1"). Returns the bytes written (header and frame: the
 * used length), or 0 if the buffer cannot hold both (nothing is written:
 * without MRG_RXBUF a frame never spans buffers, 5.1.6.3.2). */
uint32_t virtio_net_rx_fill(const struct vq_chain *c, const struct io_seg *seg, unsigned nseg,
                            uint32_t len);

#endif
