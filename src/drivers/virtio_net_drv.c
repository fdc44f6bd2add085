/* lodger's driver for the board's virtio-net NIC (virtio 1.x 5.1), behind
 * struct net_backend (io/backend.h). No offloads are negotiated: frames
 * are plain Ethernet, each behind a 12-byte virtio_net_hdr (VERSION_1,
 * 5.1.6), one descriptor each way.
 *
 * Receive: NET_RX_BUFFERS buffers of NET_BUF_SIZE bytes in lodger memory
 * are posted at start (5.1.6.3.1: at least 1526 bytes without MRG_RXBUF),
 * each re-posted as soon as its frame was handed to n->receive. The NIC's
 * interrupt is routed to the boot hart (host_plic_route): a frame that
 * comes while every hart idles reaches the switch then, not at the next
 * timer tick (docs/ARCHITECTURE.md, "The board's devices").
 *
 * Send: the frame is copied into one of NET_TX_BUFFERS lodger buffers
 * (the caller's memory is a guest's, which it may reuse as soon as send
 * returns, while the NIC reads the buffer later); completed sends are
 * reclaimed by the next send; their interrupts are not wanted.
 *
 * Locks: rx_lock for poll (held while n->receive runs), tx_lock for send.
 * A receive handler may send (on this NIC too): rx_lock, then tx_lock,
 * never the other way. poll only tries rx_lock: a hart that finds another
 * polling leaves the frames to it. */
#include <stdio.h>
#include <string.h>
#include "drivers/drivers.h"
#include "io/virtio_spec.h"
#include "drivers/host_plic.h"
#include "io/backend.h"
#include "core/spinlock.h"
#include "core/mem.h"
#include "arch/riscv/encoding.h"
#include "core/console.h"

#define NET_BUF_SIZE 2048u
#define NET_RX_BUFFERS 128u
#define NET_TX_BUFFERS 64u
#define NET_HDR sizeof(struct virtio_net_hdr)
/* The longest frame either way: 1500 bytes of payload, a header and a VLAN tag. */
#define NET_FRAME_MAX (1500u + 14u + 4u)

struct vnet {
    struct net_backend backend;
    struct virtio_mmio mmio;
    struct spinlock rx_lock, tx_lock;
    struct virtq rx, tx;
    uint8_t *rx_buf, *tx_buf;   /* NET_BUF_SIZE per descriptor of each queue */
    bool broken;
};

static struct vnet nics[IO_MAX_NET];
static unsigned nic_count;

static void broken(struct vnet *d)
{
    if (!d->broken)
        console_printf("lodger: %s: the device broke the virtqueue's rules; no more frames\n",
                       d->backend.name);
    d->broken = true;
}

/* A receive buffer for the descriptor the queue hands out next. */
static void post_rx(struct vnet *d)
{
    struct virtq_chain c;
    virtq_chain_start(&d->rx, &c);
    uint16_t desc = d->rx.free_head;
    virtq_chain_add(&d->rx, &c, (uintptr_t)(d->rx_buf + (uint64_t)desc * NET_BUF_SIZE),
                    NET_BUF_SIZE, true);
    virtq_chain_publish(&d->rx, &c);
}

static unsigned net_poll(struct net_backend *n)
{
    struct vnet *d = n->priv;
    unsigned frames = 0;
    /* A try-lock: a hart that finds another polling leaves the frames to
     * it, and the holder looks again after it unlocks, so a frame that came
     * just before is not left waiting for the next one. */
    while (n->receive && !d->broken && virtq_has_used(&d->rx) &&
           !__atomic_exchange_n(&d->rx_lock.locked, 1, __ATOMIC_ACQUIRE)) {
        unsigned posted = 0;
        uint16_t head;
        uint32_t len;
        enum virtq_used_status st;
        while (!d->broken && (st = virtq_get_used(&d->rx, &head, &len)) != VIRTQ_NONE) {
            if (st != VIRTQ_GOT || len < NET_HDR) {
                broken(d);
                break;
            }
            /* A frame longer than any sent here is the device's mistake: dropped. */
            if (len - NET_HDR <= NET_FRAME_MAX && len > NET_HDR) {
                n->receive(n->receive_ctx, d->rx_buf + (uint64_t)head * NET_BUF_SIZE + NET_HDR,
                           len - (uint32_t)NET_HDR);
                frames++;
            }
            post_rx(d);
            posted++;
        }
        if (posted && virtq_kick_needed(&d->rx))
            virtio_mmio_notify(&d->mmio, VIRTIO_NET_RX_QUEUE);
        spin_unlock(&d->rx_lock);
    }
    return frames;
}

static enum io_status net_send(struct net_backend *n, const struct io_seg *seg, unsigned nseg)
{
    struct vnet *d = n->priv;
    uint64_t total = 0;
    for (unsigned i = 0; i < nseg; i++)
        total += seg[i].len;
    if (total < 14 || total > NET_FRAME_MAX)
        return IO_ERROR;
    spin_lock(&d->tx_lock);
    uint16_t head;
    uint32_t len;
    enum virtq_used_status st;
    while (!d->broken && (st = virtq_get_used(&d->tx, &head, &len)) != VIRTQ_NONE)
        if (st != VIRTQ_GOT)
            broken(d);
    if (d->broken || !virtq_free_count(&d->tx)) {
        spin_unlock(&d->tx_lock);
        return d->broken ? IO_ERROR : IO_BUSY;
    }
    uint16_t desc = d->tx.free_head;
    uint8_t *buf = d->tx_buf + (uint64_t)desc * NET_BUF_SIZE;
    memset(buf, 0, NET_HDR);
    uint64_t at = NET_HDR;
    for (unsigned i = 0; i < nseg; i++) {
        memcpy(buf + at, (const void *)(uintptr_t)seg[i].pa, seg[i].len);
        at += seg[i].len;
    }
    struct virtq_chain c;
    virtq_chain_start(&d->tx, &c);
    virtq_chain_add(&d->tx, &c, (uintptr_t)buf, (uint32_t)at, false);
    virtq_chain_publish(&d->tx, &c);
    if (virtq_kick_needed(&d->tx))
        virtio_mmio_notify(&d->mmio, VIRTIO_NET_TX_QUEUE);
    spin_unlock(&d->tx_lock);
    return IO_OK;
}

/* The NIC's interrupt (on the boot hart, no lock held): its line drops,
 * and frames go to the switch if one listens. */
static void net_interrupt(void *ctx)
{
    struct vnet *d = ctx;
    virtio_mmio_ack_interrupt(&d->mmio);
    if (d->backend.receive)
        net_poll(&d->backend);
}

bool virtio_net_attach(const struct virtio_mmio *m, const char **why)
{
    if (nic_count == IO_MAX_NET) {
        *why = "more NICs than lodger takes";
        return false;
    }
    struct vnet *d = &nics[nic_count];
    d->mmio = *m;
    uint64_t features;
    if (!virtio_mmio_negotiate(m, 1ull << VIRTIO_F_VERSION_1, 1ull << VIRTIO_NET_F_MAC, &features, why) ||
        !virtio_mmio_setup_queue(m, VIRTIO_NET_RX_QUEUE, &d->rx, NET_RX_BUFFERS, why) ||
        !virtio_mmio_setup_queue(m, VIRTIO_NET_TX_QUEUE, &d->tx, NET_TX_BUFFERS, why))
        return false;
    uint64_t rx = mem_alloc((uint64_t)d->rx.size * NET_BUF_SIZE, PAGE_SIZE);
    uint64_t tx = mem_alloc((uint64_t)d->tx.size * NET_BUF_SIZE, PAGE_SIZE);
    if (!rx || !tx) {
        *why = "no memory for its buffers";
        return false;
    }
    d->rx_buf = (uint8_t *)(uintptr_t)rx;
    d->tx_buf = (uint8_t *)(uintptr_t)tx;
    struct net_backend *n = &d->backend;
    snprintf(n->name, sizeof(n->name), "net%u", nic_count);
    /* The device's address, or a stable one of lodger's own (VMs' defaults
     * are 52:54:00:4c:44:N, core/image.h). */
    if (features & (1ull << VIRTIO_NET_F_MAC))
        for (unsigned i = 0; i < 6; i++)
            n->mac[i] = (uint8_t)virtio_mmio_config(m, VIRTIO_NET_CFG_MAC + i, 1);
    else
        memcpy(n->mac, (const uint8_t[6]){ 0x52, 0x54, 0x00, 0x4c, 0x48, (uint8_t)nic_count }, 6);
    n->mtu = 1500;
    n->send = net_send;
    n->poll = net_poll;
    n->priv = d;
    for (unsigned i = 0; i < d->rx.size; i++)
        post_rx(d);
    virtq_suppress_interrupts(&d->tx, true);
    virtio_mmio_driver_ok(m);
    virtio_mmio_notify(m, VIRTIO_NET_RX_QUEUE);
    if (!io_add_net(n)) {
        *why = "the backend registry is full";
        return false;
    }
    bool irq = host_plic_route(m->irq, net_interrupt, d);
    nic_count++;
    console_printf("lodger: %s: virtio-net at 0x%lx, MAC %02x:%02x:%02x:%02x:%02x:%02x%s\n", n->name,
                   (unsigned long)m->base, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
                   n->mac[5], irq ? "" : ", no interrupt (frames wait for the switch's poll)");
    return true;
}
