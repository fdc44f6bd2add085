/* lodger's driver for the board's virtio-blk disks (virtio 1.x 5.2),
 * behind struct blk_backend (io/backend.h). A request is zero-copy: the
 * caller's segments (host-physical, already checked by the caller) go
 * straight into descriptors between lodger's header and status byte; one
 * request of the caller's becomes several of the device's when its
 * segments exceed seg_max, the queue or size_max (blk_split.h).
 *
 * Synchronous, one request in flight per disk, under the disk's lock (any
 * hart may call). The hart waits for completion in wfi, woken by the
 * disk's interrupt (host_plic.h: an owned source, enabled on this hart's
 * context while it waits) or by a 1 ms timer of its own (IPIs masked in
 * sie meanwhile; lodger's own deadline is set again after). Where the hart
 * cannot take the disk's interrupt (no PLIC context, no source) it polls
 * the used ring.
 *
 * Why not poll (as this driver first did): under QEMU -icount polling
 * burns instructions for as long as QEMU's block layer works in real time,
 * and it takes a host CPU from QEMU's I/O threads. Why the timer: under
 * -icount sleep=off a hart in wfi with no timer armed never woke (QEMU
 * 7.2's vCPU thread stayed in its timer loop holding the big lock, so the
 * block layer never completed the request); with one, virtual time warps
 * to it at once, so the hart wakes once per warp while QEMU works in real
 * time, each wake a few dozen instructions. lodger.selftest=disk's
 * instret per MiB counts the warps' virtual time as well; count
 * instructions with tools/qemu-prof (docs/BENCHMARKS.md, "I/O"). */
#include <stdio.h>
#include <string.h>
#include "drivers/drivers.h"
#include "io/virtio_spec.h"
#include "drivers/blk_split.h"
#include "drivers/host_plic.h"
#include "io/backend.h"
#include "core/spinlock.h"
#include "core/mem.h"
#include "arch/riscv/encoding.h"
#include "arch/riscv/csr.h"
#include "core/console.h"
#include "core/hart.h"
#include "sbi/firmware.h"

#define BLK_QUEUE_MAX 256
#define BLK_TIMEOUT_S 60u
#define BLK_WAIT_TICKS_PER_S 1000u     /* the wait's timer: 1 ms (see the top) */

struct vblk {
    struct blk_backend backend;
    struct virtio_mmio mmio;
    struct spinlock lock;       /* the queue, header, status; one request at a time */
    struct virtq q;
    struct virtio_blk_req_header *header;   /* lodger memory the device reads */
    uint8_t *status;                        /* and the byte it writes */
    struct blk_limits limits;
    struct io_seg pieces[BLK_QUEUE_MAX];    /* the request being made (under the lock) */
    bool can_flush;
    bool wait_irq;              /* its interrupt is usable (host_plic_own) */
    bool waiting;               /* this request is waited for in wfi (under the lock) */
    bool broken;                /* the device broke the ring's rules: no more requests */
};

static struct vblk disks[IO_MAX_BLK];
static unsigned disk_count;

/* The requests between wait_begin and wait_end (under the disk's lock) are
 * waited for in wfi when this hart can take the disk's interrupt. sie
 * keeps the external and timer interrupts meanwhile: IPIs wait until the
 * request completes (the other hart waits for at most one request). */
static unsigned long wait_begin(struct vblk *d)
{
    unsigned long sie = csr_read(CSR_SIE);
    d->waiting = d->wait_irq && host_plic_can_wait(d->mmio.irq);
    if (d->waiting) {
        csr_write(CSR_SIE, SIP_SEIP | SIP_STIP);
        host_plic_wait_begin(d->mmio.irq);
        /* A completion noticed before its interrupt came left it pending. */
        virtio_mmio_ack_interrupt(&d->mmio);
        host_plic_wait_clear(d->mmio.irq);
    }
    return sie;
}

static void wait_end(struct vblk *d, unsigned long sie)
{
    if (d->waiting) {
        host_plic_wait_end(d->mmio.irq);
        /* lodger's own deadline again (a past one fires once the trap returns). */
        firmware_set_timer(this_hart()->timer_programmed);
        csr_write(CSR_SIE, sie);
        d->waiting = false;
    }
}

/* One request to the device: header, data pieces, status; waits for it. */
static enum io_status submit(struct vblk *d, uint32_t type, uint64_t sector,
                             const struct io_seg *pieces, unsigned n)
{
    if (d->broken)
        return IO_ERROR;
    d->header->type = type;
    d->header->reserved = 0;
    d->header->sector = sector;
    *d->status = 0xff;
    struct virtq_chain c;
    virtq_chain_start(&d->q, &c);
    virtq_chain_add(&d->q, &c, (uintptr_t)d->header, sizeof(*d->header), false);
    for (unsigned i = 0; i < n; i++)
        virtq_chain_add(&d->q, &c, pieces[i].pa, pieces[i].len, type == VIRTIO_BLK_T_IN);
    virtq_chain_add(&d->q, &c, (uintptr_t)d->status, 1, true);
    uint16_t head = virtq_chain_publish(&d->q, &c);
    if (virtq_kick_needed(&d->q))
        virtio_mmio_notify(&d->mmio, 0);
    /* A disk that has not answered in BLK_TIMEOUT_S is dead: the request's
     * buffers stay its own (the device is never given another). */
    uint64_t start = csr_read(CSR_TIME);
    for (unsigned spins = 1; !virtq_has_used(&d->q); spins++) {
        if (d->waiting) {
            /* Woken by its interrupt or the timer. The interrupt is
             * acknowledged at the device first (the line drops), then at
             * the PLIC: a level left raised would wake the next wfi at once. */
            firmware_set_timer(csr_read(CSR_TIME) + host.timebase_hz / BLK_WAIT_TICKS_PER_S);
            wait_for_interrupt();
            virtio_mmio_ack_interrupt(&d->mmio);
            host_plic_wait_clear(d->mmio.irq);
        }
        if ((d->waiting || !(spins % 4096)) &&
            csr_read(CSR_TIME) - start > BLK_TIMEOUT_S * host.timebase_hz) {
            d->broken = true;
            console_printf("lodger: %s: no answer in %u s; no more requests\n", d->backend.name,
                           BLK_TIMEOUT_S);
            return IO_ERROR;
        }
    }
    uint16_t got;
    uint32_t len;
    /* One request in flight: what comes back must be it, with its status. */
    if (virtq_get_used(&d->q, &got, &len) != VIRTQ_GOT || got != head || len < 1) {
        d->broken = true;
        console_printf("lodger: %s: the device broke the virtqueue's rules; no more requests\n",
                       d->backend.name);
        return IO_ERROR;
    }
    uint8_t status = __atomic_load_n(d->status, __ATOMIC_ACQUIRE);
    return status == VIRTIO_BLK_S_OK ? IO_OK
         : status == VIRTIO_BLK_S_UNSUPP ? IO_UNSUPPORTED : IO_ERROR;
}

static enum io_status blk_rw(struct blk_backend *b, bool write, uint64_t sector,
                             const struct io_seg *seg, unsigned nseg)
{
    struct vblk *d = b->priv;
    if (write && b->read_only)
        return IO_ERROR;
    struct io_seg *pieces = d->pieces;
    struct blk_cursor cursor = { 0, 0 };
    enum io_status st = IO_OK;
    spin_lock(&d->lock);
    unsigned long sie = wait_begin(d);
    while (st == IO_OK && !blk_split_done(&cursor, nseg)) {
        unsigned n;
        uint64_t bytes = blk_split_next(seg, nseg, &cursor, &d->limits, pieces, &n);
        /* The caller checked the range; a request past the disk is still refused. */
        if (!bytes || sector > b->sectors || bytes / BLK_SECTOR > b->sectors - sector) {
            st = IO_ERROR;      /* or a sector spread over more pieces than a request takes */
            break;
        }
        st = submit(d, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, pieces, n);
        sector += bytes / BLK_SECTOR;
    }
    wait_end(d, sie);
    spin_unlock(&d->lock);
    return st;
}

static enum io_status blk_flush(struct blk_backend *b)
{
    struct vblk *d = b->priv;
    if (!d->can_flush)
        return IO_UNSUPPORTED;
    spin_lock(&d->lock);
    unsigned long sie = wait_begin(d);
    enum io_status st = submit(d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
    wait_end(d, sie);
    spin_unlock(&d->lock);
    return st;
}

bool virtio_blk_attach(const struct virtio_mmio *m, const char **why)
{
    if (disk_count == IO_MAX_BLK) {
        *why = "more disks than lodger takes";
        return false;
    }
    struct vblk *d = &disks[disk_count];
    d->mmio = *m;
    uint64_t features;
    if (!virtio_mmio_negotiate(m, 1ull << VIRTIO_F_VERSION_1,
                               1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_FLUSH |
                               1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_SIZE_MAX,
                               &features, why) ||
        !virtio_mmio_setup_queue(m, 0, &d->q, BLK_QUEUE_MAX, why))
        return false;
    if (d->q.size < 4) {
        *why = "its queue is too small";
        return false;
    }
    uint64_t page = mem_alloc(PAGE_SIZE, PAGE_SIZE);
    if (!page) {
        *why = "no memory for its requests";
        return false;
    }
    d->header = (struct virtio_blk_req_header *)(uintptr_t)page;
    d->status = (uint8_t *)(uintptr_t)(page + sizeof(*d->header));
    /* Header and status take two of the queue's descriptors (5.2.6). */
    d->limits.max_pieces = d->q.size - 2u;
    if (features & (1ull << VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t seg_max = (uint32_t)virtio_mmio_config(m, VIRTIO_BLK_CFG_SEG_MAX, 4);
        if (seg_max && seg_max < d->limits.max_pieces)
            d->limits.max_pieces = seg_max;
    }
    if (features & (1ull << VIRTIO_BLK_F_SIZE_MAX))
        d->limits.size_max = (uint32_t)virtio_mmio_config(m, VIRTIO_BLK_CFG_SIZE_MAX, 4);
    if (d->limits.size_max && d->limits.size_max < BLK_SECTOR)
        d->limits.size_max = BLK_SECTOR;    /* nonsense from the device: a sector a piece */
    d->can_flush = features & (1ull << VIRTIO_BLK_F_FLUSH);
    /* Waited for by its interrupt where the PLIC lets us; else polled, and
     * the device need not interrupt. */
    d->wait_irq = host_plic_own(m->irq);
    virtq_suppress_interrupts(&d->q, !d->wait_irq);
    virtio_mmio_driver_ok(m);

    struct blk_backend *b = &d->backend;
    snprintf(b->name, sizeof(b->name), "disk%u", disk_count);
    b->sectors = virtio_mmio_config(m, VIRTIO_BLK_CFG_CAPACITY, 8);
    b->read_only = features & (1ull << VIRTIO_BLK_F_RO);
    b->rw = blk_rw;
    b->flush = blk_flush;
    b->priv = d;
    if (!io_add_blk(b)) {
        *why = "the backend registry is full";
        return false;
    }
    disk_count++;
    uint64_t mib = b->sectors / (1024 * 1024 / BLK_SECTOR);
    console_printf("lodger: %s: virtio-blk at 0x%lx, %lu sectors (%lu %s), %s%s\n", b->name,
                   (unsigned long)m->base, (unsigned long)b->sectors,
                   (unsigned long)(mib ? mib : b->sectors * BLK_SECTOR / 1024), mib ? "MiB" : "KiB",
                   b->read_only ? "read-only" : "read-write", d->can_flush ? "" : ", no flush");
    return true;
}
