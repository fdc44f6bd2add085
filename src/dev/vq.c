/* A guest's split virtqueue, device side (dev/vq.h; virtio 1.x 2.7).
 * Each guest number is read once into a local and checked before use; the
 * rings themselves were checked to lie inside RAM at enable. */
#include <string.h>
#include "dev/vq.h"

/* Ring sizes (2.7, "Virtqueue Part ... Size"): flags, idx, ring, and the
 * event field at the end. */
#define DESC_BYTES(n) (16ull * (n))
#define AVAIL_BYTES(n) (6ull + 2ull * (n))
#define USED_BYTES(n) (6ull + 8ull * (n))

uint64_t vq_gpa_to_hpa(const struct vq_mem *mem, uint64_t gpa, uint64_t len)
{
    /* Written so that nothing wraps: gpa + len may exceed 2^64. */
    if (gpa < mem->gpa)
        return 0;
    uint64_t off = gpa - mem->gpa;
    if (off > mem->size || len > mem->size - off)
        return 0;
    return mem->hpa + off;
}

enum vq_result vq_enable(struct vq *q, const struct vq_mem *mem, unsigned max,
                               const char **reason)
{
    q->ready = false;
    uint64_t desc, avail, used;
    if (q->num == 0 || q->num > max || (q->num & (q->num - 1))) {
        *reason = "queue size is not a power of 2 up to QueueNumMax";
        return VQ_BROKEN;
    }
    /* 2.7 alignment table: descriptors 16, available ring 2, used ring 4. */
    if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
        *reason = "a ring is not aligned";
        return VQ_BROKEN;
    }
    desc = vq_gpa_to_hpa(mem, q->desc_gpa, DESC_BYTES(q->num));
    avail = vq_gpa_to_hpa(mem, q->avail_gpa, AVAIL_BYTES(q->num));
    used = vq_gpa_to_hpa(mem, q->used_gpa, USED_BYTES(q->num));
    if (!desc || !avail || !used) {
        *reason = "a ring is not inside the VM's RAM";
        return VQ_BROKEN;
    }
    q->mem = *mem;
    q->desc = (volatile struct virtq_desc *)desc;
    q->avail = (volatile uint16_t *)avail;
    q->used = (volatile uint16_t *)used;
    q->last_avail = q->used_idx = q->signalled_used = 0;
    q->signalled_valid = false;
    q->ready = true;
    return VQ_OK;
}

bool vq_has_work(const struct vq *q)
{
    return q->ready && q->avail[1] != q->last_avail;
}

/* A descriptor of an indirect table, which need not be aligned (the spec
 * asks alignment only of the queue's own table). */
static struct virtq_desc read_desc(uint64_t table, unsigned i)
{
    struct virtq_desc d;
    uint64_t at = table + 16ull * i;
    if (at & 7)
        memcpy(&d, (const void *)at, sizeof(d));
    else
        d = *(const volatile struct virtq_desc *)at;
    return d;
}

#define BROKEN(why) do { *reason = (why); return VQ_BROKEN; } while (0)

enum vq_result vq_pop(struct vq *q, struct vq_chain *c, const char **reason)
{
    if (!q->ready)
        return VQ_EMPTY;
    uint16_t avail_idx = q->avail[1];
    uint16_t waiting = (uint16_t)(avail_idx - q->last_avail);
    if (waiting == 0)
        return VQ_EMPTY;
    /* 2.7.6: the driver adds at most num entries ahead of the device. */
    if (waiting > q->num)
        BROKEN("avail.idx moved by more than the queue size");
    __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* the entries after the index */
    uint16_t head = q->avail[2 + (q->last_avail & (q->num - 1))];
    if (head >= q->num)
        BROKEN("an available ring entry is outside the descriptor table");

    uint64_t table = (uint64_t)(uintptr_t)q->desc;
    unsigned table_n = q->num, index = head, in_table = 0, total = 0;
    bool indirect = false;
    c->head = head;
    c->nout = c->nin = 0;
    c->out_len = c->in_len = 0;
    for (;;) {
        if (index >= table_n)
            BROKEN("a next index is outside the descriptor table");
        /* A chain visits each descriptor of a table at most once (2.7.4.2:
         * no longer than the queue size; an indirect table bounds its own
         * part), so more visits are a loop. */
        if (++in_table > table_n || ++total > VQ_MAX_SEGS)
            BROKEN("a descriptor chain loops or is too long");
        struct virtq_desc d = read_desc(table, index);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* 2.7.5.3.1: only when negotiated, never with NEXT, never
             * inside an indirect table; its length a whole number of
             * descriptors. */
            if (!q->indirect)
                BROKEN("an indirect descriptor without VIRTIO_F_INDIRECT_DESC");
            if (indirect)
                BROKEN("an indirect descriptor inside an indirect table");
            if (d.flags & VIRTQ_DESC_F_NEXT)
                BROKEN("an indirect descriptor with NEXT");
            if (d.len == 0 || d.len % 16 || d.len / 16 > VQ_MAX_SEGS)
                BROKEN("an indirect table's length is 0, not a multiple of 16 or too long");
            uint64_t t = vq_gpa_to_hpa(&q->mem, d.addr, d.len);
            if (!t)
                BROKEN("an indirect table is not inside the VM's RAM");
            table = t;
            table_n = d.len / 16;
            index = 0;
            in_table = 0;
            total--;            /* the table's descriptor is no buffer */
            indirect = true;
            continue;
        }
        bool writable = d.flags & VIRTQ_DESC_F_WRITE;
        if (!writable && c->nin)
            BROKEN("a device-readable descriptor after a device-writable one");
        if (d.len) {
            uint64_t pa = vq_gpa_to_hpa(&q->mem, d.addr, d.len);
            if (!pa)
                BROKEN("a buffer is not inside the VM's RAM");
            c->seg[c->nout + c->nin] = (struct io_seg){ .pa = pa, .len = d.len };
            if (writable) {
                c->nin++;
                c->in_len += d.len;
            } else {
                c->nout++;
                c->out_len += d.len;
            }
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        index = d.next;
    }
    q->last_avail++;
    return VQ_OK;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
    volatile struct virtq_used_elem *ring = (volatile struct virtq_used_elem *)(q->used + 2);
    ring[q->used_idx & (q->num - 1)] = (struct virtq_used_elem){ .id = head, .len = written };
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* 2.7.8.2: the element before the index */
    q->used[1] = ++q->used_idx;
}

bool vq_should_interrupt(struct vq *q)
{
    /* The driver's flags or used_event are read after used.idx is written
     * (the driver writes them before re-reading used.idx). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(q->avail[0] & VIRTQ_AVAIL_F_NO_INTERRUPT);
    /* 2.7.10: interrupt when used.idx passed used_event since the last
     * interrupt: (new - event - 1) < (new - old), in 16 bits. */
    uint16_t event = q->avail[2 + q->num], now = q->used_idx, old = q->signalled_used;
    bool valid = q->signalled_valid;
    q->signalled_used = now;
    q->signalled_valid = true;
    return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

bool vq_rearm(struct vq *q)
{
    if (!q->ready)
        return false;
    if (q->event_idx)
        q->used[2 + 4 * q->num] = q->last_avail;    /* avail_event */
    else
        q->used[0] = 0;     /* never VIRTQ_USED_F_NO_NOTIFY */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* then look at avail.idx again */
    return vq_has_work(q);
}

/* Copies between buf and the chain's segments [first, end), from byte off
 * of them on: into buf (to_buf) or out of it. */
static uint64_t copy_segments(const struct vq_chain *c, unsigned first, unsigned end, uint64_t off,
                              void *buf, uint64_t len, bool to_buf)
{
    uint64_t done = 0;
    for (unsigned i = first; i < end && done < len; i++) {
        if (off >= c->seg[i].len) {
            off -= c->seg[i].len;
            continue;
        }
        uint64_t n = c->seg[i].len - off;
        if (n > len - done)
            n = len - done;
        void *seg = (void *)(uintptr_t)(c->seg[i].pa + off);
        if (to_buf)
            memcpy((char *)buf + done, seg, n);
        else
            memcpy(seg, (char *)buf + done, n);
        done += n;
        off = 0;
    }
    return done;
}

uint64_t vq_read_out(const struct vq_chain *c, uint64_t off, void *buf, uint64_t len)
{
    return copy_segments(c, 0, c->nout, off, buf, len, true);
}

uint64_t vq_write_in(const struct vq_chain *c, uint64_t off, const void *buf,
                        uint64_t len)
{
    return copy_segments(c, c->nout, c->nout + c->nin, off, (void *)buf, len, false);
}
