/* A VM's virtio-blk device (virtio 1.x 5.2) over the virtio-mmio transport
 * (dev/virtio_dev.h): a slice of one of the board's disks (its configuration's
 * lodger,disk; dev/disk_slice.h) through that disk's backend (io/backend.h),
 * the guest's buffers handed to it without a copy. Present only in VMs
 * whose configuration names a disk; at QEMU virt's last virtio-mmio slot,
 * where QEMU puts the first -device (so /dev/vda natively and under lodger). */
#include <stdio.h>
#include <string.h>
#include "dev/virtio_dev.h"
#include "dev/disk_slice.h"
#include "dev/board.h"
#include "io/backend.h"
#include "core/vm.h"

#define BLK_SLOT 7

struct blk_state {
    struct virtio_dev vio;          /* first: the transport's */
    struct blk_backend *disk;
    uint64_t start, sectors;        /* the slice, in BLK_SECTOR sectors */
    bool read_only;
    struct virtio_blk_config config;
    char id[VIRTIO_BLK_ID_BYTES];
    struct vq_chain chain;          /* the request being served (under vio.lock) */
};

/* Drops `skip` bytes from the front of segs[0..*n) (in place); returns the
 * first segment left. */
static struct io_seg *skip_front(struct io_seg *seg, unsigned *n, uint64_t skip)
{
    while (*n && skip >= seg->len) {
        skip -= seg->len;
        seg++;
        (*n)--;
    }
    if (*n && skip) {
        seg->pa += skip;
        seg->len -= (uint32_t)skip;
    }
    return seg;
}

/* One request (5.2.6): returns its status; *written the bytes written into
 * the guest's buffers, status byte included (used.len, 2.7.8). */
static uint8_t serve(struct blk_state *s, struct vq_chain *c, const struct virtio_blk_req_header *h,
                     uint32_t *written)
{
    *written = 1;
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool write = h->type == VIRTIO_BLK_T_OUT;
        struct io_seg *data;
        unsigned n;
        uint64_t bytes;
        if (write) {
            /* The data follows the header in the readable part. */
            n = c->nout;
            data = skip_front(c->seg, &n, sizeof(*h));
            bytes = c->out_len - sizeof(*h);
        } else {
            /* The data is the writable part but its last byte (the status). */
            n = c->nin;
            data = c->seg + c->nout;
            if (data[n - 1].len == 1)
                n--;
            else
                data[n - 1].len--;
            bytes = c->in_len - 1;
        }
        /* 5.2.6.2: a write to a read-only device fails and writes nothing;
         * a request past the capacity or of part of a sector fails too. */
        uint64_t count = bytes / BLK_SECTOR;
        if ((write && s->read_only) || bytes % BLK_SECTOR || h->sector > s->sectors ||
            count > s->sectors - h->sector)
            return VIRTIO_BLK_S_IOERR;
        if (count && s->disk->rw(s->disk, write, s->start + h->sector, data, n) != IO_OK)
            return VIRTIO_BLK_S_IOERR;
        if (!write)
            *written = (uint32_t)bytes + 1;
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_FLUSH: {
        enum io_status r = s->disk->flush ? s->disk->flush(s->disk) : IO_UNSUPPORTED;
        /* A disk without a cache has nothing to flush. */
        return r == IO_OK || r == IO_UNSUPPORTED ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    }
    case VIRTIO_BLK_T_GET_ID: {
        /* 5.2.6: up to 20 bytes, NUL-padded; fewer if the buffer is shorter. */
        uint64_t room = c->in_len - 1;
        uint32_t n = room < VIRTIO_BLK_ID_BYTES ? (uint32_t)room : VIRTIO_BLK_ID_BYTES;
        vq_write_in(c, 0, s->id, n);
        *written = n + 1;
        return VIRTIO_BLK_S_OK;
    }
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static void blk_notify(struct device *d, unsigned qi)
{
    struct blk_state *s = d->state;
    struct vq_chain *c = &s->chain;
    while (!virtio_dev_yield(d) && virtio_dev_take(d, qi, c)) {
        struct virtio_blk_req_header h;
        /* A request is a 16-byte header and a status byte at least
         * (5.2.6); without them there is nowhere to say it failed, so
         * the device needs reset (QEMU's "missing headers" does so). */
        if (c->out_len < sizeof(h) || c->in_len < 1) {
            virtio_dev_broken(d, qi, "a request without its header or status byte");
            return;
        }
        vq_read_out(c, 0, &h, sizeof(h));
        const struct io_seg *last = &c->seg[c->nout + c->nin - 1];
        volatile uint8_t *status = (volatile uint8_t *)(uintptr_t)(last->pa + last->len - 1);
        uint32_t written;
        *status = serve(s, c, &h, &written);
        virtio_dev_used(d, qi, c->head, written);
    }
}

/* Sector reads for the partition table, through the backend into a buffer
 * of lodger's own (RAM, mapped 1:1, so its address is host-physical). */
static bool read_sector(void *ctx, uint64_t sector, void *buf)
{
    struct blk_backend *disk = ctx;
    static uint8_t bounce[BLK_SECTOR] __attribute__((aligned(BLK_SECTOR)));
    struct io_seg seg = { .pa = (uintptr_t)bounce, .len = BLK_SECTOR };
    if (sector >= disk->sectors || disk->rw(disk, false, sector, &seg, 1) != IO_OK)
        return false;
    memcpy(buf, bounce, BLK_SECTOR);
    return true;
}

/* Every VM's slice so far: VMs are made one after the other at boot. */
static struct disk_claim claims[LODGER_MAX_VMS];
static unsigned claim_count;

static int blk_setup(struct device *d, char *err, unsigned long errlen)
{
    struct blk_state *s = d->state;
    const struct vm *vm = d->vm;
    const char *text = vm->image.disk;
    struct disk_spec spec;
    char why[160];
    if (!text[0])
        return DEV_SETUP_ABSENT;
    if (!disk_spec_parse(text, &spec, why, sizeof(why))) {    /* image_parse checked it */
        snprintf(err, errlen, "lodger,disk %s", why);
        return DEV_SETUP_ERROR;
    }
    s->disk = io_blk(spec.disk);
    if (!s->disk) {
        snprintf(err, errlen, "lodger,disk %s: the board has no disk %u (lodger found %u)", text,
                 spec.disk, io_blk_count());
        return DEV_SETUP_ERROR;
    }
    if (!disk_spec_resolve(&spec, s->disk->sectors, read_sector, s->disk, &s->start,
                           &s->sectors, why, sizeof(why))) {
        snprintf(err, errlen, "lodger,disk %s: board disk %u (%s): %s", text, spec.disk,
                 s->disk->name, why);
        return DEV_SETUP_ERROR;
    }
    s->read_only = spec.read_only || s->disk->read_only;
    /* A VM made again under the same number (the host tests do) replaces
     * its own claim. */
    for (unsigned i = 0; i < claim_count; i++)
        if (claims[i].vm == (unsigned)vm->id)
            claims[i--] = claims[--claim_count];
    struct disk_claim mine = { .vm = (unsigned)vm->id, .disk = spec.disk, .start = s->start,
                               .count = s->sectors, .read_only = s->read_only };
    const struct disk_claim *other = disk_claim_conflict(claims, claim_count, &mine);
    if (other) {
        snprintf(err, errlen, "lodger,disk %s: sectors %llu..%llu of board disk %u overlap vm%u's "
                 "%s slice (sectors %llu..%llu); only read-only slices may share",
                 text, (unsigned long long)mine.start,
                 (unsigned long long)(mine.start + mine.count - 1), spec.disk, other->vm,
                 other->read_only ? "read-only" : "writable", (unsigned long long)other->start,
                 (unsigned long long)(other->start + other->count - 1));
        return DEV_SETUP_ERROR;
    }
    if (claim_count < LODGER_MAX_VMS)
        claims[claim_count++] = mine;

    s->config = (struct virtio_blk_config){ .capacity = s->sectors, .seg_max = VQ_MAX_SEGS - 2,
                                     .blk_size = BLK_SECTOR, .num_queues = 1 };
    s->vio.config = &s->config;
    s->vio.config_len = sizeof(s->config);
    /* seg_max: a request's header and status byte take two descriptors. */
    s->vio.features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                      1ull << VIRTIO_BLK_F_FLUSH | (s->read_only ? 1ull << VIRTIO_BLK_F_RO : 0);
    snprintf(s->id, sizeof(s->id), "lodger-vm%d-disk%u", vm->id, spec.disk);
    return DEV_SETUP_PRESENT;
}

static const struct virtio_dev_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .queues = 1,
    .notify = blk_notify,
};

const struct device_model virtio_blk_device = {
    .name = "virtio_mmio",
    .base = VIRTIO_MMIO_BASE(BLK_SLOT),
    .size = VIRTIO_MMIO_SIZE,
    .irq = VIRTIO_MMIO_IRQ(BLK_SLOT),
    .state_size = sizeof(struct blk_state),
    .read = virtio_dev_read,
    .write = virtio_dev_write,
    .deferred = virtio_dev_deferred,
    .reset = virtio_dev_reset,
    .dt_node = virtio_dev_dt_node,
    .setup = blk_setup,
    .impl = &blk_ops,
};
