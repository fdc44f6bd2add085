/* A VM's network card: a virtio-net device (virtio 1.x 5.1) on the
 * virtio-mmio transport (dev/virtio_dev.h), one port of lodger's switch
 * (io/network.h). Only VMs whose configuration says lodger,net have it
 * (setup); its MAC is the configuration's (core/image.h).
 *
 * Offered: VIRTIO_NET_F_MAC (config space mac), VIRTIO_NET_F_STATUS (link
 * always up), and the transport's VERSION_1, INDIRECT_DESC, EVENT_IDX. No
 * checksum or segmentation offload, no MRG_RXBUF, no control queue: frames
 * are at most 1514 bytes each way, and each received frame fills one
 * buffer (the driver's 1526-byte buffers, 5.1.6.3).
 *
 * Transmit (queue 1). QueueNotify is deferred past the board lock by the
 * transport, whose notify (under this device's lock) only notes the work;
 * this model's deferred op then sends, with no lock of its own VM held:
 * for each chain, taken under the device lock, the frame (after its
 * header, 5.1.6.2) goes through the switch with the device lock dropped,
 * then the chain is returned (used length 0) under the device lock again.
 * One vCPU of the VM sends at a time (tx_busy); another's notify meanwhile
 * only asks it to look again (tx_again), so no vCPU waits for another.
 *
 * Receive (queue 0). The switch hands a frame to the port (deliver) from
 * the sender's hart: under this device's lock a receive chain is taken, the
 * header and frame written (5.1.6.4), the chain returned; then the line is
 * raised (board lock, no device lock). No chain: the frame is dropped
 * (counted by the switch) and the sender goes on. A chain too small for
 * header and frame (a driver that ignores 5.1.6.3's 1526 bytes) is returned
 * empty (used length 0: Linux counts a length error and reposts it) and
 * the frame dropped; nothing is truncated.
 *
 * Locks, in the order they may be taken: a card's transmit turn (tx_busy),
 * the board's card (its backend), a VM's board lock, a card's device lock;
 * the switch's lock only around its table. A deliver holds no lock of the
 * sending VM's card, so two VMs sending to each other at once never wait
 * for each other's locks. Across the device lock's gaps a reset (the
 * driver's status 0, a reboot) may come: `epoch` counts them, and a chain
 * taken before one is not returned after it. */
#include <string.h>
#include "dev/virtio_dev.h"
#include "dev/virtio_net_frame.h"
#include "dev/board.h"
#include "core/vm.h"
#include "io/network.h"

/* 0x10007000, PLIC line 7: where QEMU virt puts a card given after a disk
 * (QEMU fills its slots from the last), so a VM with both sees the same
 * board under lodger as natively. */
#define NET_SLOT 6

struct virtio_net_config {          /* 5.1.4: mac, then status when F_STATUS */
    uint8_t mac[6];
    uint16_t status;
};

struct virtio_net {
    struct virtio_dev vio;         /* first: the transport's */
    struct virtio_net_config config;
    struct switch_port *port;
    uint32_t epoch;                 /* resets so far (under the device lock) */
    uint32_t tx_busy, tx_again;     /* a vCPU is sending; look again when done */
    struct vq_chain tx;          /* the chain being sent (tx_busy's) */
    struct vq_chain rx;          /* the chain being filled (the device lock's) */
    struct io_seg frame[VQ_MAX_SEGS];    /* tx's frame after its header */
};

static struct virtio_net *net_of(const struct device *d)
{
    return (struct virtio_net *)d->state;
}

/* The switch hands this VM a frame. */
static bool net_deliver(struct switch_port *p, const struct io_seg *seg, unsigned nseg,
                        uint32_t len)
{
    struct device *d = p->ctx;
    struct virtio_net *n = net_of(d);
    if (__atomic_load_n(&d->vm->ended, __ATOMIC_ACQUIRE))
        return false;
    virtio_dev_lock(d);
    struct vq *q = &n->vio.q[VIRTIO_NET_RX_QUEUE];
    if (!virtio_dev_live(&n->vio) || !q->ready) {
        virtio_dev_unlock(d);
        return false;
    }
    const char *why;
    enum vq_result r = vq_pop(q, &n->rx, &why);
    if (r == VQ_BROKEN)
        virtio_dev_broken(d, VIRTIO_NET_RX_QUEUE, why);
    uint32_t written = 0;
    if (r == VQ_OK) {
        written = virtio_net_rx_fill(&n->rx, seg, nseg, len);
        virtio_dev_used(d, VIRTIO_NET_RX_QUEUE, n->rx.head, written);
    }
    virtio_dev_unlock(d);
    if (r != VQ_EMPTY)
        virtio_dev_update_irq(d);
    return written != 0;
}

/* Takes the next transmit chain (false: none, or the device stopped). */
static bool take_tx(struct device *d, uint32_t *epoch)
{
    struct virtio_net *n = net_of(d);
    struct vq *q = &n->vio.q[VIRTIO_NET_TX_QUEUE];
    virtio_dev_lock(d);
    bool took = virtio_dev_live(&n->vio) && q->ready &&
                virtio_dev_take(d, VIRTIO_NET_TX_QUEUE, &n->tx);
    *epoch = n->epoch;
    virtio_dev_unlock(d);
    return took;
}

static void transmit(struct device *d)
{
    struct virtio_net *n = net_of(d);
    if (__atomic_exchange_n(&n->tx_busy, 1, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&n->tx_again, 1, __ATOMIC_RELEASE);
        return;
    }
    for (;;) {
        __atomic_store_n(&n->tx_again, 0, __ATOMIC_RELAXED);
        uint32_t epoch;
        while (take_tx(d, &epoch)) {
            unsigned nseg;
            uint64_t len;
            if (virtio_net_tx_frame(&n->tx, n->frame, VQ_MAX_SEGS, &nseg, &len))
                /* Longer than any frame: the switch counts it as bad. */
                network_send(n->port, n->frame, nseg,
                             len > SWITCH_FRAME_MAX ? SWITCH_FRAME_MAX + 1 : (uint32_t)len);
            virtio_dev_lock(d);
            if (n->epoch == epoch && virtio_dev_live(&n->vio) && n->vio.q[VIRTIO_NET_TX_QUEUE].ready)
                virtio_dev_used(d, VIRTIO_NET_TX_QUEUE, n->tx.head, 0);
            virtio_dev_unlock(d);
        }
        virtio_dev_update_irq(d);
        __atomic_store_n(&n->tx_busy, 0, __ATOMIC_RELEASE);
        /* Another vCPU's notify while we sent: look again, unless it (or a
         * third) has taken the turn since. */
        if (!__atomic_load_n(&n->tx_again, __ATOMIC_ACQUIRE) ||
            __atomic_exchange_n(&n->tx_busy, 1, __ATOMIC_ACQUIRE))
            return;
    }
}

/* Under the device lock: only note the work (see the top). */
static void net_notify(struct device *d, unsigned q)
{
    if (q == VIRTIO_NET_TX_QUEUE)
        __atomic_store_n(&net_of(d)->tx_again, 1, __ATOMIC_RELEASE);
}

static enum dev_status net_deferred(struct device *d, struct vcpu *v)
{
    enum dev_status s = virtio_dev_deferred(d, v);
    if (__atomic_load_n(&net_of(d)->tx_again, __ATOMIC_ACQUIRE))
        transmit(d);
    return s;
}

/* With the board lock and the device lock held: a reset or a reboot. */
static void net_reset(struct device *d)
{
    struct virtio_net *n = net_of(d);
    n->epoch++;
    if (n->port)
        network_forget(n->port);
}

static int net_setup(struct device *d, char *err, unsigned long errlen)
{
    const struct vm_image *img = &d->vm->image;
    if (!img->net)
        return DEV_SETUP_ABSENT;
    struct virtio_net *n = net_of(d);
    memcpy(n->config.mac, img->mac, sizeof(n->config.mac));
    n->config.status = VIRTIO_NET_S_LINK_UP;
    n->vio.features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS;
    n->vio.config = &n->config;
    n->vio.config_len = sizeof(n->config);
    char name[8] = { 'v', 'm', (char)('0' + d->vm->id % 10), 0 };
    n->port = network_attach_vm(name, img->mac, net_deliver, d, err, errlen);
    return n->port ? DEV_SETUP_PRESENT : DEV_SETUP_ERROR;
}

static void net_print(const struct device *d)
{
    char who[8] = { 'v', 'm', (char)('0' + d->vm->id % 10), 0 };
    network_print_port(who, net_of(d)->port);
}

static const struct virtio_dev_ops virtio_net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .queues = 2,
    .notify = net_notify,
    .reset = net_reset,
};

const struct device_model virtio_net_device = {
    .name = "virtio_mmio",
    .base = VIRTIO_MMIO_BASE(NET_SLOT),
    .size = VIRTIO_MMIO_SIZE,
    .irq = VIRTIO_MMIO_IRQ(NET_SLOT),
    .state_size = sizeof(struct virtio_net),
    .read = virtio_dev_read,
    .write = virtio_dev_write,
    .deferred = net_deferred,
    .reset = virtio_dev_reset,
    .dt_node = virtio_dev_dt_node,
    .setup = net_setup,
    .print = net_print,
    .impl = &virtio_net_ops,
};
