/* The board's devices lodger drives (drivers.h): each virtio-mmio
 * transport of the host DT is probed (virtio 1.x 4.2.3.1.1: magic, then
 * version 2 -- version 1 is the legacy interface, which lodger does not
 * drive -- then the device id; 0 is an empty slot) and its driver attached,
 * in the tree's order: the first disk found is board disk 0. */
#include "drivers/drivers.h"
#include "io/virtio_spec.h"
#include "drivers/host_plic.h"
#include "core/mem.h"
#include "core/console.h"

void drivers_init(void)
{
    host_plic_init();
    for (int i = 0; i < host.virtio_count; i++) {
        const struct host_virtio *hv = &host.virtio[i];
        struct virtio_mmio m = { .base = (uintptr_t)hv->base, .irq = hv->irq };
        if (hv->size < VIRTIO_MMIO_CONFIG ||
            virtio_mmio_read(&m, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC_VIRT)
            continue;
        uint32_t version = virtio_mmio_read(&m, VIRTIO_MMIO_VERSION);
        uint32_t id = virtio_mmio_read(&m, VIRTIO_MMIO_DEVICE_ID);
        if (!id || (id != VIRTIO_ID_BLOCK && id != VIRTIO_ID_NET))
            continue;
        if (version != 2) {
            console_printf("lodger: virtio-mmio at 0x%lx: version %u (legacy), not driven: lodger "
                           "drives virtio 1.x only (QEMU: -global virtio-mmio.force-legacy=false)\n",
                           (unsigned long)hv->base, version);
            continue;
        }
        const char *why = "";
        bool ok = id == VIRTIO_ID_BLOCK ? virtio_blk_attach(&m, &why) : virtio_net_attach(&m, &why);
        if (!ok)
            console_printf("lodger: virtio-%s at 0x%lx: not used: %s\n",
                           id == VIRTIO_ID_BLOCK ? "blk" : "net", (unsigned long)hv->base, why);
    }
}
