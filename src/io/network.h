/* lodger's network: the one switch (io/switch.h) that every VM's card
 * (dev/virtio_net.c) and the board's first network card (io_net(0), the
 * uplink, when the board has one) plug into. */
#ifndef LODGER_IO_NETWORK_H
#define LODGER_IO_NETWORK_H

#include "io/switch.h"

/* At boot, after the drivers registered their backends and before any VM
 * is made: the switch, keyed from lodger's entropy, and its uplink. */
void network_init(void);
/* A VM's card's port, with its fixed address; NULL with err set if the
 * switch refuses it (a MAC another card has). */
struct switch_port *network_attach_vm(const char *name, const uint8_t *mac,
                                      switch_deliver_fn deliver, void *ctx, char *err,
                                      unsigned long errlen);
/* A frame from a VM's port (no board lock held: see io/switch.h). */
unsigned network_send(struct switch_port *p, const struct io_seg *seg, unsigned nseg,
                      uint32_t len);
/* Forgets what the port learned (its VM restarts). */
void network_forget(struct switch_port *p);
/* Polls the uplink for received frames (they go through the switch);
 * cheap when there is none or nothing came. No lock may be held. */
void network_poll(void);
/* Prints the port's counters on lodger's console (at the VM's end). */
void network_print_port(const char *who, const struct switch_port *p);

#endif
