/* Split virtqueues, the driver's side (virtq.h; virtio 1.x 2.6). */
#include <stddef.h>
#include "drivers/virtq.h"

#define RING_ALIGN 4096u

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

uint64_t virtq_mem_size(uint16_t size)
{
    uint64_t parts = align_up(16u * size + 6u + 2u * size, RING_ALIGN);
    return parts + align_up(6u + 8u * size, RING_ALIGN);
}

bool virtq_init(struct virtq *q, uint16_t size, void *mem)
{
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return false;
    q->size = size;
    q->desc = mem;
    q->avail = (struct virtq_avail *)((char *)mem + 16u * size);
    q->used = (struct virtq_used *)((char *)mem + align_up(16u * size + 6u + 2u * size, RING_ALIGN));
    q->free_head = 0;
    q->num_free = size;
    q->avail_idx = q->last_used = 0;
    for (unsigned i = 0; i < size; i++) {
        q->link[i] = (uint16_t)(i + 1);
        q->chain_len[i] = 0;
        q->writable[i] = 0;
    }
    return true;
}

uint64_t virtq_desc_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->desc; }
uint64_t virtq_avail_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->avail; }
uint64_t virtq_used_addr(const struct virtq *q) { return (uint64_t)(uintptr_t)q->used; }

void virtq_chain_start(struct virtq *q, struct virtq_chain *c)
{
    (void)q;
    c->count = 0;
    c->writable = 0;
    c->head = c->tail = 0;
}

void virtq_chain_add(struct virtq *q, struct virtq_chain *c, uint64_t addr, uint32_t len,
                     bool device_writes)
{
    uint16_t d = q->free_head;
    q->free_head = q->link[d];
    q->num_free--;
    q->desc[d] = (struct virtq_desc){ .addr = addr, .len = len,
                                      .flags = device_writes ? VIRTQ_DESC_F_WRITE : 0 };
    if (c->count) {
        q->desc[c->tail].flags |= VIRTQ_DESC_F_NEXT;
        q->desc[c->tail].next = d;
        q->link[c->tail] = d;
    } else {
        c->head = d;
    }
    c->tail = d;
    c->count++;
    if (device_writes)
        c->writable += len;
}

uint16_t virtq_chain_publish(struct virtq *q, struct virtq_chain *c)
{
    q->chain_len[c->head] = c->count;
    q->writable[c->head] = c->writable;
    q->avail->ring[q->avail_idx & (q->size - 1)] = c->head;
    q->avail_idx++;
    /* The entry and its descriptors before the index (2.6.13.6). */
    __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
    return c->head;
}

bool virtq_kick_needed(const struct virtq *q)
{
    /* The index store before reading the device's flag (2.6.13.6: a full barrier). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_has_used(const struct virtq *q)
{
    return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

enum virtq_used_status virtq_get_used(struct virtq *q, uint16_t *head, uint32_t *len)
{
    uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    if (idx == q->last_used)
        return VIRTQ_NONE;
    /* More used than the driver ever made available: the device is broken. */
    if ((uint16_t)(idx - q->last_used) > (uint16_t)(q->avail_idx - q->last_used))
        return VIRTQ_DEVICE_BROKEN;
    struct virtq_used_elem e = q->used->ring[q->last_used & (q->size - 1)];
    if (e.id >= q->size || !q->chain_len[e.id])
        return VIRTQ_DEVICE_BROKEN;
    q->last_used++;
    uint16_t d = (uint16_t)e.id, n = q->chain_len[d];
    uint32_t writable = q->writable[d];
    q->chain_len[d] = 0;
    /* Back on the free list, through the driver's own links. */
    uint16_t tail = d;
    for (uint16_t i = 1; i < n; i++)
        tail = q->link[tail];
    q->link[tail] = q->free_head;
    q->free_head = d;
    q->num_free += n;
    *head = d;
    *len = e.len;
    return e.len > writable ? VIRTQ_DEVICE_BROKEN : VIRTQ_GOT;
}

void virtq_suppress_interrupts(struct virtq *q, bool suppress)
{
    __atomic_store_n(&q->avail->flags, suppress ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0, __ATOMIC_RELEASE);
}
