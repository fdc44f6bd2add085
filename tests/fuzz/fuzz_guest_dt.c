/* Fuzzes the guest device-tree code (src/core/guest_dt.c) with what users
 * control: the parameters a VM image sets (memory size, vCPUs, bootargs of
 * any length and bytes, initrd place) go to guest_dt_build, and a VM
 * image's own tree (any sound blob) is opened with room and given its
 * rng-seed by guest_dt_set_seed, as core/vm.c does. Either succeeds with a
 * sound tree or fails with a libfdt error. */
#include "fuzz.h"
#include <libfdt.h>
#include "core/guest_dt.h"

#define DT_SPACE (64 * 1024)

static const char *const extensions[] = { "i", "m", "a", "f", "d", "c", "zicsr", NULL };

/* Devices as the VM's table gives them (dev/device.h): an interrupt
 * controller and a console, anywhere, each writing a node of its own. */
static int node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = dev_dt_interrupts(fdt, d, ctx);
    return rc ? rc : fdt_end_node(fdt);
}
static int root_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    (void)ctx;
    int rc = fdt_begin_node(fdt, "poweroff");
    if (!rc)
        rc = fdt_property_u32(fdt, "regmap", d->phandle);
    return rc ? rc : fdt_end_node(fdt);
}
static const struct device_model chip = { .name = "plic", .flags = DEV_IRQCHIP, .dt_node = node };
static const struct device_model console = { .name = "serial", .flags = DEV_CONSOLE,
                                             .dt_node = node, .dt_root = root_node };

static void build(struct fuzz_input *in, uint8_t *dt)
{
    char bootargs[1100];
    size_t n = fuzz_u16(in) % sizeof(bootargs);
    for (size_t i = 0; i < n; i++)
        bootargs[i] = (char)fuzz_u8(in);
    bootargs[n] = 0;
    uint8_t seed[64];
    for (size_t i = 0; i < sizeof(seed); i++)
        seed[i] = fuzz_u8(in);
    uint8_t flags = fuzz_u8(in);
    struct guest_dt_params p = {
        .ram_base = fuzz_u64(in), .ram_size = fuzz_u64(in), .vcpus = fuzz_u8(in) % 17,
        .timebase_hz = fuzz_u64(in), .isa = "rv64imafdc_zicsr_zifencei",
        .isa_extensions = extensions, .mmu_type = flags & 1 ? "riscv,sv57" : NULL,
        .bootargs = bootargs, .initrd_start = fuzz_u64(in), .initrd_end = fuzz_u64(in),
        .rng_seed = flags & 2 ? seed : NULL, .rng_seed_len = fuzz_u8(in) % (sizeof(seed) + 1),
    };
    static struct dev_table devices;
    dev_table_clear(&devices);
    if (flags & 4)
        dev_table_add(&devices, &chip, fuzz_u64(in), fuzz_u64(in), 0, NULL);
    if (flags & 8)
        dev_table_add(&devices, &console, fuzz_u64(in), fuzz_u64(in), fuzz_u8(in) % 33, NULL);
    p.devices = flags & 16 ? &devices : NULL;
    if (guest_dt_build(dt, DT_SPACE, &p) == 0)
        FUZZ_CHECK(fdt_check_full(dt, fdt_totalsize(dt)) == 0);
}

static void set_seed(struct fuzz_input *in, uint8_t *dt)
{
    size_t size = in->size;
    uint8_t *blob = malloc(size ? size : 1);
    memcpy(blob, in->data, size);
    if (size >= sizeof(struct fdt_header) && fdt_totalsize(blob) <= size &&
        fdt_check_full(blob, fdt_totalsize(blob)) == 0 &&
        fdt_open_into(blob, dt, DT_SPACE) == 0) {
        static const uint8_t seed[64] = { 1, 2, 3 };
        if (guest_dt_set_seed(dt, seed, sizeof(seed)) == 0)
            FUZZ_CHECK(fdt_check_full(dt, fdt_totalsize(dt)) == 0);
    }
    free(blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    uint8_t *dt = malloc(DT_SPACE);
    if (fuzz_u8(&in) & 1)
        set_seed(&in, dt);
    else
        build(&in, dt);
    free(dt);
    return 0;
}
