/* lodger's Ethernet switch: one port per VM's network card (dev/virtio_net.c)
 * and one for the board's network card (an io/backend.h net_backend), so VMs
 * reach each other and, through the board's card, the outside.
 *
 * It is a learning switch (IEEE 802.1D's filtering database, simplified):
 * - each frame's source address is learned on the port it came in on; an
 *   address seen on another port moves there (a VM that was migrated, a
 *   bridge inside a VM);
 * - a frame to an individual address goes to the port that address was
 *   learned on, else (unknown) to every port but its own (flooding); a
 *   frame to a group address (broadcast, multicast) goes to every port but
 *   its own; nothing ever goes back out of the port it came in on;
 * - frames shorter than an Ethernet header (14 bytes) or longer than the
 *   header plus the MTU (1514 bytes; no 802.1Q tag room), and frames whose
 *   source is a group address, are dropped and counted at their port;
 * - a port that cannot take a frame now (a VM with no receive buffers, a
 *   full transmit ring) drops it and counts it: the sender never waits.
 *
 * Spoofing. A port may carry a fixed address (each VM's card: its MAC from
 * the VM's configuration), entered as a static entry: it never moves and is
 * never replaced. A frame that arrives on another port with that source
 * address is dropped and counted (spoof): no VM can draw another VM's
 * traffic to itself by sending with its address, which a plain learning
 * switch would allow (it would relearn). Other addresses (a VM's bridge,
 * containers, a changed MAC) are learned as usual.
 *
 * The table. SWITCH_BUCKETS buckets of SWITCH_WAYS entries; an address's
 * bucket is a hash keyed with a secret seed (switch_init), so a VM cannot
 * aim addresses at another's bucket. A port holds at most its quota of
 * learned entries: beyond it, its own least recently seen entry is
 * replaced. A full bucket replaces its least recently seen learned entry.
 * There is no ageing by time: a forgotten address is only flooded again,
 * and a port's learned entries are forgotten when its VM restarts
 * (switch_port_forget).
 *
 * Concurrency. Ports send from any hart at once. The switch's lock guards
 * only the table and is held for a lookup and a learn, never while a frame
 * is delivered; ports are attached before any VM runs and never change
 * after (the port list is read without a lock). Lock order: a port's
 * deliver callback may take its VM's board lock (to fill the VM's receive
 * queue and raise its interrupt), so switch_send must be called with no
 * board lock held (virtio_net transmits after the board lock is released),
 * and the switch's lock is taken inside nothing but the sender's own
 * transmit lock. Counters are atomic.
 *
 * Pure: no hardware, host-tested in tests/host/test_switch.c. Frames are
 * named by io_seg (host-physical addresses, which lodger maps 1:1; the host
 * tests use pointers). */
#ifndef LODGER_IO_SWITCH_H
#define LODGER_IO_SWITCH_H

#include <stdint.h>
#include <stdbool.h>
#include "io/backend.h"
#include "core/spinlock.h"
#include "core/limits.h"

#define ETH_ADDR_LEN 6
#define ETH_HEADER_LEN 14           /* destination, source, type */
#define SWITCH_MTU 1500
#define SWITCH_FRAME_MAX (ETH_HEADER_LEN + SWITCH_MTU)

#define SWITCH_MAX_PORTS (LODGER_MAX_VMS + IO_MAX_NET)
#define SWITCH_BUCKETS 64
#define SWITCH_WAYS 4
/* Learned entries a VM's port may hold, and the board's port (a LAN). */
#define SWITCH_VM_QUOTA 16
#define SWITCH_UPLINK_QUOTA 128

struct switch_port;

/* Hands one frame (len bytes gathered from the segments) to the port's
 * receiver; false if it cannot take it now (the switch counts a drop). Runs
 * without the switch's lock, on the sender's hart. */
typedef bool (*switch_deliver_fn)(struct switch_port *p, const struct io_seg *seg,
                                  unsigned nseg, uint32_t len);

struct switch_counters {
    uint64_t in;            /* frames the port sent into the switch */
    uint64_t out;           /* frames the switch handed to the port */
    uint64_t out_full;      /* frames for the port dropped: it had no room */
    uint64_t in_bad;        /* frames from it dropped: size, group source address */
    uint64_t in_spoofed;    /* frames from it dropped: another port's fixed address */
    uint64_t flooded;       /* frames from it sent to every other port (unknown or group) */
};

struct switch_port {
    char name[16];              /* "vm0", "net0": for messages */
    unsigned index;
    unsigned quota;             /* learned entries it may hold */
    unsigned learned;           /* learned entries it holds (under the switch's lock) */
    bool has_mac;
    uint8_t mac[ETH_ADDR_LEN];  /* its fixed address (has_mac) */
    switch_deliver_fn deliver;
    void *ctx;                  /* the receiver's (a VM's device, a backend) */
    struct switch_counters count;
};

struct switch_entry {
    uint8_t mac[ETH_ADDR_LEN];
    uint8_t port;
    uint8_t kind;               /* SWITCH_FREE, SWITCH_LEARNED, SWITCH_STATIC */
    uint64_t seen;              /* the switch's clock when last learned (larger: more recent) */
};

enum { SWITCH_FREE, SWITCH_LEARNED, SWITCH_STATIC };

struct net_switch {
    struct spinlock lock;       /* the table, the clock, ports' learned counts */
    uint64_t seed[2];           /* the bucket hash's key */
    uint64_t clock;             /* counts learns: orders entries by recency */
    unsigned port_count;
    struct switch_port port[SWITCH_MAX_PORTS];
    struct switch_entry table[SWITCH_BUCKETS][SWITCH_WAYS];
    uint64_t moves;             /* learned addresses that moved to another port */
    uint64_t replaced;          /* learned entries replaced to make room */
};

enum switch_attach_error {
    SWITCH_ATTACH_OK = 0,
    SWITCH_ATTACH_FULL = -1,        /* SWITCH_MAX_PORTS ports already */
    SWITCH_ATTACH_BAD_MAC = -2,     /* a group address cannot be a card's */
    SWITCH_ATTACH_MAC_TAKEN = -3,   /* another port has that fixed address */
    SWITCH_ATTACH_NO_ROOM = -4,     /* its static entry's bucket is full of static entries */
};

/* An empty switch; seed keys the table's hash (random at boot). */
void switch_init(struct net_switch *sw, uint64_t seed0, uint64_t seed1);
/* Adds a port (before any frame is sent); mac (NULL: none) is its fixed
 * address, entered static. *out is the port. */
enum switch_attach_error switch_attach(struct net_switch *sw, const char *name,
                                       const uint8_t *mac, unsigned quota,
                                       switch_deliver_fn deliver, void *ctx,
                                       struct switch_port **out);
const char *switch_attach_error_string(enum switch_attach_error e);

/* A frame from port `from`: len bytes gathered from the segments (the
 * segments must hold at least len bytes). Delivers it as above; returns how
 * many ports took it. */
unsigned switch_send(struct net_switch *sw, struct switch_port *from, const struct io_seg *seg,
                     unsigned nseg, uint32_t len);

/* Forgets what the port learned (its VM restarts): its addresses are
 * flooded until seen again. Its fixed address stays. */
void switch_port_forget(struct net_switch *sw, struct switch_port *p);

/* The port an address is known at (learned or static); -1: unknown. For
 * tests and messages. */
int switch_lookup(struct net_switch *sw, const uint8_t *mac);

/* A snapshot of a port's counters. */
struct switch_counters switch_port_counters(const struct switch_port *p);

/* Copies len bytes of a frame gathered from segments, starting offset
 * bytes in, to out; false if the segments are shorter. */
bool io_seg_copy_out(const struct io_seg *seg, unsigned nseg, uint32_t offset, void *out,
                     uint32_t len);

#endif
