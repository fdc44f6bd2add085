#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "core/guest_dt.h"

#define TRY(expr) do { int rc_ = (expr); if (rc_) return rc_; } while (0)

static int prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
    fdt64_t cells[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };
    return fdt_property(fdt, name, cells, sizeof(cells));
}

static int write_cpu(void *fdt, unsigned id, const struct guest_dt_params *p)
{
    char name[32];
    snprintf(name, sizeof(name), "cpu@%u", id);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "device_type", "cpu"));
    TRY(fdt_property_u32(fdt, "reg", id));
    TRY(fdt_property_string(fdt, "status", "okay"));
    TRY(fdt_property_string(fdt, "compatible", "riscv"));
    TRY(fdt_property_string(fdt, "riscv,isa", p->isa));
    TRY(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
    /* riscv,isa-extensions is a string list: NUL-separated. */
    char list[256];
    size_t used = 0;
    for (const char *const *e = p->isa_extensions; e && *e; e++) {
        size_t n = strlen(*e) + 1;
        if (used + n > sizeof(list))
            return -FDT_ERR_NOSPACE;
        memcpy(list + used, *e, n);
        used += n;
    }
    if (used)
        TRY(fdt_property(fdt, "riscv,isa-extensions", list, (int)used));
    if (p->mmu_type)
        TRY(fdt_property_string(fdt, "mmu-type", p->mmu_type));
    TRY(fdt_begin_node(fdt, "interrupt-controller"));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
    TRY(fdt_property_u32(fdt, "phandle", DEV_DT_CPU_INTC_PHANDLE(id)));
    TRY(fdt_end_node(fdt));
    return fdt_end_node(fdt);
}

/* /soc and each device's node in it, then the nodes devices put at the root. */
static int write_devices(void *fdt, const struct guest_dt_params *p)
{
    const struct dev_table *t = p->devices;
    const struct device *chip = t ? dev_table_with(t, DEV_IRQCHIP) : NULL;
    struct dev_dt_ctx ctx = { .vcpus = p->vcpus, .irq_parent = chip ? chip->phandle : 0 };
    TRY(fdt_begin_node(fdt, "soc"));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
    TRY(fdt_property(fdt, "ranges", NULL, 0));
    for (unsigned i = 0; t && i < t->count; i++)
        if (t->dev[i].model->dt_node)
            TRY(t->dev[i].model->dt_node(&t->dev[i], fdt, &ctx));
    TRY(fdt_end_node(fdt));
    for (unsigned i = 0; t && i < t->count; i++)
        if (t->dev[i].model->dt_root)
            TRY(t->dev[i].model->dt_root(&t->dev[i], fdt, &ctx));
    return 0;
}

int guest_dt_build(void *buf, size_t size, const struct guest_dt_params *p)
{
    TRY(fdt_create(buf, (int)size));
    TRY(fdt_finish_reservemap(buf));
    TRY(fdt_begin_node(buf, ""));
    TRY(fdt_property_u32(buf, "#address-cells", 2));
    TRY(fdt_property_u32(buf, "#size-cells", 2));
    TRY(fdt_property_string(buf, "compatible", "lodger,virt"));
    TRY(fdt_property_string(buf, "model", "lodger virtual machine"));

    TRY(fdt_begin_node(buf, "chosen"));
    if (p->bootargs && p->bootargs[0])
        TRY(fdt_property_string(buf, "bootargs", p->bootargs));
    const struct device *console = p->devices ? dev_table_with(p->devices, DEV_CONSOLE) : NULL;
    if (console) {
        char path[80];
        snprintf(path, sizeof(path), "/soc/%s@%llx", console->model->name,
                 (unsigned long long)console->base);
        TRY(fdt_property_string(buf, "stdout-path", path));
    }
    /* Linux credits it to its RNG at once (random.trust_bootloader), as it
     * does with the seed QEMU or U-Boot put in a board's tree. */
    if (p->rng_seed && p->rng_seed_len)
        TRY(fdt_property(buf, "rng-seed", p->rng_seed, (int)p->rng_seed_len));
    if (p->initrd_end > p->initrd_start) {
        TRY(fdt_property_u64(buf, "linux,initrd-start", p->initrd_start));
        TRY(fdt_property_u64(buf, "linux,initrd-end", p->initrd_end));
    }
    TRY(fdt_end_node(buf));

    TRY(fdt_begin_node(buf, "cpus"));
    TRY(fdt_property_u32(buf, "#address-cells", 1));
    TRY(fdt_property_u32(buf, "#size-cells", 0));
    TRY(fdt_property_u32(buf, "timebase-frequency", (uint32_t)p->timebase_hz));
    for (unsigned i = 0; i < p->vcpus; i++)
        TRY(write_cpu(buf, i, p));
    TRY(fdt_end_node(buf));

    char name[32];
    snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)p->ram_base);
    TRY(fdt_begin_node(buf, name));
    TRY(fdt_property_string(buf, "device_type", "memory"));
    TRY(prop_u64_pair(buf, "reg", p->ram_base, p->ram_size));
    TRY(fdt_end_node(buf));

    TRY(write_devices(buf, p));
    TRY(fdt_end_node(buf));
    return fdt_finish(buf);
}

int guest_dt_set_seed(void *fdt, const void *seed, size_t len)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen == -FDT_ERR_NOTFOUND)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    if (chosen < 0)
        return chosen;
    return fdt_setprop(fdt, chosen, "rng-seed", seed, (int)len);
}
