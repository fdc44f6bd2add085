/* The board's PLIC (dev/plic.c's state machine) as a device: at QEMU
 * virt's place, the interrupt controller the other devices' lines go to,
 * one S-mode context per vCPU. */
#include <libfdt.h>
#include "dev/board.h"
#include "dev/plic.h"
#include "core/vm.h"

#define PLIC_BASE 0x0c000000UL

/* PLIC registers are 32-bit; other widths are not allowed (spec 1.0.0, ch. 2). */
static enum dev_status read(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                            uint64_t *value)
{
    (void)v;
    if (width != 4)
        return DEV_FAULT;
    *value = plic_read(d->state, offset);
    board_update_interrupts(d->vm);     /* a claim lowers SEIP */
    return DEV_DONE;
}

static enum dev_status write(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                             uint64_t value)
{
    (void)v;
    if (width != 4)
        return DEV_FAULT;
    plic_write(d->state, offset, (uint32_t)value);
    board_update_interrupts(d->vm);
    return DEV_DONE;
}

static void reset(struct device *d)
{
    plic_reset(d->state, (unsigned)d->vm->vcpu_count);
}

static void set_irq(struct device *d, unsigned irq, bool high)
{
    plic_set_level(d->state, irq, high);
}

static bool pending(const struct device *d, unsigned ctx)
{
    return plic_context_pending(d->state, ctx);
}

static int dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = fdt_property(fdt, "compatible", compat, sizeof(compat));
    if (!rc)
        rc = fdt_property_u32(fdt, "#interrupt-cells", 1);
    if (!rc)
        rc = fdt_property_u32(fdt, "#address-cells", 0);
    if (!rc)
        rc = fdt_property(fdt, "interrupt-controller", NULL, 0);
    if (!rc)
        rc = fdt_property_u32(fdt, "riscv,ndev", PLIC_SOURCES - 1);
    /* Context i is vCPU i's S-mode external interrupt (cause 9). */
    fdt32_t ext[2 * PLIC_CONTEXTS];
    unsigned n = 0;
    for (unsigned i = 0; i < ctx->vcpus && i < PLIC_CONTEXTS; i++) {
        ext[n++] = cpu_to_fdt32(DEV_DT_CPU_INTC_PHANDLE(i));
        ext[n++] = cpu_to_fdt32(9);
    }
    if (!rc)
        rc = fdt_property(fdt, "interrupts-extended", ext, (int)(n * sizeof(fdt32_t)));
    return rc ? rc : fdt_end_node(fdt);
}

const struct device_model plic_device = {
    .name = "plic", .base = PLIC_BASE, .size = PLIC_MMIO_SIZE,
    .state_size = sizeof(struct plic), .flags = DEV_IRQCHIP,
    .read = read, .write = write, .reset = reset, .dt_node = dt_node,
    .set_irq = set_irq, .pending = pending,
};
