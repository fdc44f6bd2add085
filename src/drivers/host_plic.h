/* The board's PLIC, as lodger takes the interrupts of the board's devices
 * it drives (the VMs' PLICs are dev/plic.c). Each hart lodger runs on has
 * an S-mode context (hostdt: interrupts-extended); a context's enables and
 * threshold are written only by its own hart (and at boot).
 *
 * A device whose events must be noticed while every hart idles (a NIC:
 * frames for a VM waiting in wfi) is routed: enabled, priority 1, on the
 * boot hart's context, and served by host_plic_serve on a supervisor
 * external interrupt, in the trap path (core/trap.c, core/hart.c's
 * hart_ack_interrupt) or when the hart idles (core/hart.c).
 *
 * A source a hart waits for (a disk's, drivers/virtio_blk_drv.c) is owned:
 * priority 2, enabled only on the context of the hart that waits for it,
 * only while it waits, with that context's threshold at 1 (the routed
 * sources, priority 1, cannot wake the waiter; they are served after). */
#ifndef LODGER_DRIVERS_HOST_PLIC_H
#define LODGER_DRIVERS_HOST_PLIC_H

#include <stdint.h>
#include <stdbool.h>

/* From the host DT (core/mem.h's host), once the harts are known. */
void host_plic_init(void);
/* Whether interrupts from irq can reach lodger (a PLIC, a source). */
bool host_plic_usable(uint32_t irq);
/* A routed source: handler(ctx) runs (on the boot hart, no lock held)
 * each time it interrupts; the handler quiets the device's line. */
bool host_plic_route(uint32_t irq, void (*handler)(void *ctx), void *ctx);
/* Serves this hart's pending routed sources: claim, handler, complete. */
void host_plic_serve(void);

/* An owned source (above): whether this hart can wait for irq (a PLIC
 * context, a usable source); host_plic_own sets its priority once. */
bool host_plic_own(uint32_t irq);
bool host_plic_can_wait(uint32_t irq);
/* Between begin and end, irq (and nothing routed) raises this hart's
 * external interrupt: wfi wakes when it fires. clear claims and completes
 * it: call it once the device's own interrupt status is acknowledged, so
 * that a level the device has dropped no longer wakes the hart. */
void host_plic_wait_begin(uint32_t irq);
void host_plic_wait_clear(uint32_t irq);
void host_plic_wait_end(uint32_t irq);

#endif
