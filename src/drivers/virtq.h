/* A split virtqueue (virtio 1.x, 2.6) seen from the driver's side: lodger
 * driving one of the board's devices. Pure: the ring lives in memory the
 * caller gives (lodger: mem_alloc, identity-mapped, so its addresses are
 * what the device is told; host tests: malloc and a fake device). The
 * device's side is untrusted: a used entry naming a descriptor that is not
 * a chain's head in flight, a used index that ran ahead by more than the
 * queue holds, or a length past the chain's writable bytes is reported,
 * never followed. The driver's own bookkeeping (free list, chain links,
 * lengths) is private, never read back from the ring. */
#ifndef LODGER_DRIVERS_VIRTQ_H
#define LODGER_DRIVERS_VIRTQ_H

#include <stdint.h>
#include <stdbool.h>
#include "io/virtio_spec.h"     /* the ring layouts (2.7.5, 2.7.6, 2.7.8) */

#define VIRTQ_MAX_SIZE 256

struct virtq {
    uint16_t size;              /* a power of two, <= VIRTQ_MAX_SIZE */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t free_head, num_free;
    uint16_t avail_idx;         /* what the driver has published */
    uint16_t last_used;         /* the next used entry to read */
    uint16_t link[VIRTQ_MAX_SIZE];          /* a chain's next, the free list's next */
    uint16_t chain_len[VIRTQ_MAX_SIZE];     /* per head in flight: descriptors; 0: none */
    uint32_t writable[VIRTQ_MAX_SIZE];      /* per head in flight: device-writable bytes */
};

/* A chain being built: virtq_chain_add appends, virtq_chain_publish makes
 * it available to the device. */
struct virtq_chain {
    uint16_t head, tail, count;
    uint32_t writable;
};

enum virtq_used_status {
    VIRTQ_NONE,                 /* nothing new from the device */
    VIRTQ_GOT,                  /* a chain came back: its head and written length */
    VIRTQ_DEVICE_BROKEN,        /* the device broke the ring's rules (see above) */
};

/* Bytes of ring memory for a queue of size entries (page-aligned parts:
 * descriptors 16, available ring 2, used ring 4 bytes, 2.6). */
uint64_t virtq_mem_size(uint16_t size);
/* mem: virtq_mem_size(size) zeroed bytes, 4 KiB-aligned; false if size is
 * not a power of two in 1..VIRTQ_MAX_SIZE. */
bool virtq_init(struct virtq *q, uint16_t size, void *mem);
/* Where the device finds each part (QueueDesc, QueueDriver, QueueDevice). */
uint64_t virtq_desc_addr(const struct virtq *q);
uint64_t virtq_avail_addr(const struct virtq *q);
uint64_t virtq_used_addr(const struct virtq *q);

static inline unsigned virtq_free_count(const struct virtq *q) { return q->num_free; }
/* The caller has checked virtq_free_count for the whole chain first. */
void virtq_chain_start(struct virtq *q, struct virtq_chain *c);
void virtq_chain_add(struct virtq *q, struct virtq_chain *c, uint64_t addr, uint32_t len,
                     bool device_writes);
/* Returns the chain's head (its id in the used ring). */
uint16_t virtq_chain_publish(struct virtq *q, struct virtq_chain *c);
/* Whether the device asked to be notified of new buffers (2.6.10). */
bool virtq_kick_needed(const struct virtq *q);
/* The next used chain, if any: its head and the bytes the device wrote
 * into it; the chain's descriptors are free again. */
enum virtq_used_status virtq_get_used(struct virtq *q, uint16_t *head, uint32_t *len);
/* Whether the device has returned a chain not yet taken by virtq_get_used. */
bool virtq_has_used(const struct virtq *q);
/* Asks the device not to interrupt for used buffers (a hint, 2.6.7). */
void virtq_suppress_interrupts(struct virtq *q, bool suppress);

#endif
