/* A guest's split virtqueue (virtio 1.2 2.7; 1.0: 2.4) as a device sees it: taking
 * the chains the driver made available, turning their descriptors into
 * host-physical segments (io/backend.h struct io_seg) and returning them
 * through the used ring, with notification suppression (2.7.7, 2.7.10).
 * Shared by every virtio device (virtio_blk.c, virtio_net.c).
 *
 * Every number in the rings is the guest's and hostile: each address and
 * length is checked against the VM's RAM (struct vq_mem) before any
 * read or write, chains are bounded, and anything a driver MUST NOT do
 * breaks the queue (VQ_BROKEN, with a reason): the transport then sets
 * DEVICE_NEEDS_RESET (2.1.2) and processes nothing more until the driver
 * resets the device, as QEMU's virtio_error does.
 *
 * Pure C over memory named by host address (lodger maps all RAM 1:1, so a
 * VM's RAM at host-physical ram_hpa is also readable at that address);
 * host-tested in tests/host/test_vq.c, fuzzed by tests/fuzz/fuzz_vq.c.
 * Not thread-safe: the device serialises the calls on one queue. */
#ifndef LODGER_DEV_VQ_H
#define LODGER_DEV_VQ_H

#include <stdint.h>
#include <stdbool.h>
#include "io/backend.h"
#include "io/virtio_spec.h"     /* the ring layouts (2.7.5, 2.7.6, 2.7.8) */

/* The largest queue lodger's devices offer (QueueNumMax), and the most
 * descriptors one chain may have, indirect ones included: longer chains
 * break the queue (2.7.4.2: a chain is at most the queue size; an indirect
 * table at most that too: QEMU refuses the same). */
#define VQ_MAX_SIZE 256u
#define VQ_MAX_SEGS VQ_MAX_SIZE

/* The guest's RAM: guest-physical [gpa, gpa + size) lies at host address
 * hpa (lodger: vm->ram_gpa, ram_size, ram_hpa). */
struct vq_mem {
    uint64_t gpa, size, hpa;
};

/* One queue. The transport sets num, the three addresses and the two
 * feature flags from the driver's registers and calls vq_enable; the
 * rest is vq.c's. All zero (memset) is a reset queue. */
struct vq {
    uint16_t num;                   /* queue size */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    bool event_idx;                 /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;                  /* VIRTIO_F_INDIRECT_DESC negotiated */
    /* vq.c's own, set by vq_enable. */
    bool ready;
    struct vq_mem mem;
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[num], used_event */
    volatile uint16_t *used;        /* flags, idx, ring[num] (8 bytes each), avail_event */
    uint16_t last_avail;            /* the next available entry to take */
    uint16_t used_idx;              /* the device's copy of used.idx */
    uint16_t signalled_used;        /* used.idx at the last interrupt (event index) */
    bool signalled_valid;           /* false: no interrupt sent since enable */
};

/* One chain taken from the queue: its head (the id given back in the used
 * ring) and its buffers, first the device-readable ones (out), then the
 * device-writable ones (in), each already inside the VM's RAM. Zero-length
 * descriptors give no segment. */
struct vq_chain {
    uint16_t head;
    unsigned nout, nin;             /* seg[0..nout) readable, seg[nout..nout+nin) writable */
    uint64_t out_len, in_len;       /* their total bytes */
    struct io_seg seg[VQ_MAX_SEGS];
};

enum vq_result {
    VQ_OK = 0,           /* a chain was taken */
    VQ_EMPTY = 1,        /* nothing available */
    VQ_BROKEN = -1,      /* the driver broke a rule: needs reset (reason set) */
};

/* Checks the queue the driver set up and makes it ready: size a power of 2
 * and 1..max (2.7: "Queue Size ... is always a power of 2"; 4.2.2.3: not
 * above QueueNumMax), each ring aligned (2.7 table: 16, 2, 4) and wholly
 * inside RAM. VQ_BROKEN with *reason set if not (the queue stays not
 * ready). */
enum vq_result vq_enable(struct vq *q, const struct vq_mem *mem, unsigned max,
                               const char **reason);
/* Takes the next available chain into *c. VQ_EMPTY when the driver has
 * made nothing more available; VQ_BROKEN (reason set) if avail.idx moved
 * by more than the queue size, a head or next index is out of the table, a
 * chain loops or is too long, an indirect table is empty, not a multiple of
 * 16 bytes, nested, chained (NEXT with INDIRECT) or not negotiated, a
 * readable descriptor follows a writable one (2.7.4.2), or a buffer is not
 * wholly inside RAM. */
enum vq_result vq_pop(struct vq *q, struct vq_chain *c, const char **reason);
/* Returns chain `head` with `written` bytes written into its writable
 * buffers (2.7.8: used.len); the element is visible before used.idx. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);
/* After a batch of pushes: whether the driver wants an interrupt for them
 * (2.7.7: VIRTQ_AVAIL_F_NO_INTERRUPT, or with the event index the used_event
 * it set, 2.7.10). Counts as sent when true. */
bool vq_should_interrupt(struct vq *q);
/* Before the device stops taking chains: asks the driver to notify for the
 * next one (with the event index: avail_event = the next entry), then
 * looks again. True if more became available meanwhile (take them before
 * sleeping: 2.7.10 race). */
bool vq_rearm(struct vq *q);
/* Whether the driver has made chains available that are not yet taken. */
bool vq_has_work(const struct vq *q);
/* Host address of guest-physical [gpa, gpa + len) if wholly inside mem
 * (0 length: inside or at its end), else 0. */
uint64_t vq_gpa_to_hpa(const struct vq_mem *mem, uint64_t gpa, uint64_t len);
/* Copies between a chain's segments and a buffer (the device's own header
 * or status): from offset `off` into the readable (vq_read_out) or
 * writable (vq_write_in) part; returns the bytes copied (fewer when the
 * part is shorter). */
uint64_t vq_read_out(const struct vq_chain *c, uint64_t off, void *buf, uint64_t len);
uint64_t vq_write_in(const struct vq_chain *c, uint64_t off, const void *buf,
                        uint64_t len);

#endif
