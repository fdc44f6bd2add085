/* lodger's network: the switch and its uplink to the board's card
 * (io/network.h). */
#include <stdio.h>
#include "io/network.h"
#include "core/random.h"
#include "core/console.h"

static struct net_switch lan;
static struct net_backend *uplink;
static struct switch_port *uplink_port;

/* The switch hands a frame to the board's card: a full transmit ring drops
 * it (IO_BUSY), as a full port does. */
static bool uplink_deliver(struct switch_port *p, const struct io_seg *seg, unsigned nseg,
                           uint32_t len)
{
    (void)len;
    struct net_backend *n = p->ctx;
    return n->send(n, seg, nseg) == IO_OK;
}

/* The board's card received a frame: into the switch. Called by the
 * backend's poll; the frame is valid only during the call, and every port
 * copies it before deliver returns. */
static void uplink_receive(void *ctx, const void *frame, uint32_t len)
{
    struct io_seg seg = { .pa = (uint64_t)(uintptr_t)frame, .len = len };
    switch_send(&lan, ctx, &seg, 1, len);
}

void network_init(void)
{
    uint64_t seed[2];
    lodger_random(seed, sizeof(seed));
    switch_init(&lan, seed[0], seed[1]);
    struct net_backend *n = io_net(0);
    if (!n)
        return;
    /* The board's card is not a station of the switch (lodger has no
     * network stack): its own address is not entered, what lies behind it
     * is learned. */
    enum switch_attach_error e = switch_attach(&lan, n->name, NULL, SWITCH_UPLINK_QUOTA,
                                               uplink_deliver, n, &uplink_port);
    if (e != SWITCH_ATTACH_OK) {
        console_printf("lodger: network: %s: %s; VMs have no way out\n", n->name,
                       switch_attach_error_string(e));
        return;
    }
    n->receive_ctx = uplink_port;
    __atomic_store_n(&n->receive, uplink_receive, __ATOMIC_RELEASE);
    __atomic_store_n(&uplink, n, __ATOMIC_RELEASE);
    console_printf("lodger: network: VMs' cards switched with the board's %s\n", n->name);
}

struct switch_port *network_attach_vm(const char *name, const uint8_t *mac,
                                      switch_deliver_fn deliver, void *ctx, char *err,
                                      unsigned long errlen)
{
    struct switch_port *p;
    enum switch_attach_error e = switch_attach(&lan, name, mac, SWITCH_VM_QUOTA, deliver, ctx, &p);
    if (e != SWITCH_ATTACH_OK) {
        snprintf(err, errlen, "network card %02x:%02x:%02x:%02x:%02x:%02x: %s", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5], switch_attach_error_string(e));
        return NULL;
    }
    return p;
}

unsigned network_send(struct switch_port *p, const struct io_seg *seg, unsigned nseg, uint32_t len)
{
    return switch_send(&lan, p, seg, nseg, len);
}

void network_forget(struct switch_port *p)
{
    switch_port_forget(&lan, p);
}

void network_poll(void)
{
    struct net_backend *n = __atomic_load_n(&uplink, __ATOMIC_ACQUIRE);
    if (n && n->poll)
        n->poll(n);
}

void network_print_port(const char *who, const struct switch_port *p)
{
    struct switch_counters c = switch_port_counters(p);
    console_printf("lodger: %s network: sent %llu, received %llu, dropped: no receive buffer %llu, "
                   "bad frames %llu, spoofed %llu; flooded %llu\n", who,
                   (unsigned long long)c.in, (unsigned long long)c.out,
                   (unsigned long long)c.out_full, (unsigned long long)c.in_bad,
                   (unsigned long long)c.in_spoofed, (unsigned long long)c.flooded);
}
