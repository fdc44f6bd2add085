/* The board's real devices as lodger's VMs use them. A VM's virtual device
 * (dev/virtio_blk.c, dev/virtio_net.c) hands its requests to a backend; a
 * driver for one of the board's devices (drivers/) registers a backend at
 * boot. Another kind of backend (a passthrough device, a driver VM serving
 * boards whose storage and network are not virtio) would register the same
 * way, and the VMs' devices would not change.
 *
 * Buffers are named by host-physical address: lodger maps all RAM 1:1, a
 * VM's RAM is one host-contiguous range, so a device hands the guest's own
 * buffers (already checked to lie inside that VM's RAM) straight to the
 * board's device, without a copy. */
#ifndef LODGER_IO_BACKEND_H
#define LODGER_IO_BACKEND_H

#include <stdint.h>
#include <stdbool.h>

/* One piece of a buffer: host-physical, lodger may read and write it. */
struct io_seg {
    uint64_t pa;
    uint32_t len;
};

enum io_status {
    IO_OK = 0,
    IO_ERROR = -1,          /* the board's device failed the request */
    IO_UNSUPPORTED = -2,    /* this backend cannot do that (flush without a cache, ...) */
    IO_BUSY = -3,           /* no room now (a full transmit ring): try later or drop */
};

#define BLK_SECTOR 512u

/* A disk. The calls are synchronous (they return when the board's device
 * has finished) and may come from any hart at once: the backend serialises
 * what it must. */
struct blk_backend {
    char name[16];              /* "disk0": for messages */
    uint64_t sectors;           /* capacity in BLK_SECTOR-byte sectors */
    bool read_only;             /* the medium refuses writes */
    /* Reads (write false) or writes the sectors from `sector` on into or
     * from the segments, which together hold a whole number of sectors;
     * the caller has checked sector and length against `sectors`. */
    enum io_status (*rw)(struct blk_backend *b, bool write, uint64_t sector,
                         const struct io_seg *seg, unsigned nseg);
    /* Everything written before is on the medium when this returns. */
    enum io_status (*flush)(struct blk_backend *b);
    void *priv;
};

/* A network port onto the board's network: Ethernet frames without any
 * virtio header (each side adds and strips its own). */
struct net_backend {
    char name[16];              /* "net0" */
    uint8_t mac[6];             /* the board NIC's own address */
    uint32_t mtu;               /* largest frame payload it carries (1500) */
    /* Sends one frame gathered from the segments. IO_BUSY: its transmit
     * ring is full (the caller drops the frame, as a full switch port does). */
    enum io_status (*send)(struct net_backend *n, const struct io_seg *seg, unsigned nseg);
    /* Hands each frame received since the last call to `receive`; returns
     * how many. Called by lodger's switch from any hart (serialised by the
     * backend); cheap when nothing came. */
    unsigned (*poll)(struct net_backend *n);
    /* Set by the switch before the first poll: where received frames go.
     * `frame` is valid only during the call. */
    void (*receive)(void *ctx, const void *frame, uint32_t len);
    void *receive_ctx;
    void *priv;
};

#define IO_MAX_BLK 4
#define IO_MAX_NET 2

/* The registry (io/backend.c): drivers add their backends at boot, before
 * any VM is made; VMs then find them by number (the board's disk 0, 1, ...
 * in the order the host device tree lists them). Adding fails when full. */
bool io_add_blk(struct blk_backend *b);
bool io_add_net(struct net_backend *n);
unsigned io_blk_count(void);
unsigned io_net_count(void);
struct blk_backend *io_blk(unsigned index);    /* NULL: no such disk */
struct net_backend *io_net(unsigned index);    /* NULL: no such port */

#endif
