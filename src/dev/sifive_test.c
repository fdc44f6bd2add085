/* QEMU virt's test finisher ("sifive,test0"; hw/misc/sifive_test.c): a
 * 32-bit register at offset 0 whose low 16 bits say how the machine ends,
 * 0x5555 pass (power off), 0x3333 fail with the exit code in bits 31:16,
 * 0x7777 reset; other values and offsets do nothing, reads return 0. As on
 * QEMU, only 2- and 4-byte accesses are valid. It is also a syscon: Linux
 * powers off and reboots through it (syscon-poweroff/syscon-reboot nodes at
 * the root, as QEMU 7.2 writes them). A write ends or restarts the VM
 * through the trap result (TRAP_EXIT), never from here. */
#include <libfdt.h>
#include "dev/board.h"
#include "core/vm.h"
#include "core/trap.h"

#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555
#define FINISHER_RESET 0x7777

static enum dev_status read(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                            uint64_t *value)
{
    (void)d; (void)v; (void)offset;
    *value = 0;
    return width == 2 || width == 4 ? DEV_DONE : DEV_FAULT;
}

static enum dev_status write(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                             uint64_t value)
{
    (void)d;
    if (width != 2 && width != 4)
        return DEV_FAULT;
    if (offset != 0)
        return DEV_DONE;
    unsigned code = (unsigned)(value >> 16) & 0xffff;
    switch (value & 0xffff) {
    case FINISHER_PASS:
        trap_exit(v, VCPU_EXIT_END_VM, false, "guest powered off through the test device (pass)");
        return DEV_EXIT;
    case FINISHER_FAIL:
        trap_exit(v, VCPU_EXIT_END_VM, true,
                  "guest powered off through the test device: failure, code %u", code);
        return DEV_EXIT;
    case FINISHER_RESET:
        trap_exit(v, VCPU_EXIT_REBOOT, false, "guest reset through the test device");
        return DEV_EXIT;
    default:
        return DEV_DONE;
    }
}

static int dt_node(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    (void)ctx;
    static const char compat[] = "sifive,test1\0sifive,test0\0syscon";
    int rc = dev_dt_begin(fdt, d);
    if (!rc)
        rc = fdt_property(fdt, "compatible", compat, sizeof(compat));
    return rc ? rc : fdt_end_node(fdt);
}

static int syscon_node(const struct device *d, void *fdt, const char *name, uint32_t value)
{
    int rc = fdt_begin_node(fdt, name);
    if (!rc)
        rc = fdt_property_u32(fdt, "value", value);
    if (!rc)
        rc = fdt_property_u32(fdt, "offset", 0);
    if (!rc)
        rc = fdt_property_u32(fdt, "regmap", d->phandle);
    if (!rc)
        rc = fdt_property_string(fdt, "compatible", name[0] == 'p' ? "syscon-poweroff"
                                                                   : "syscon-reboot");
    return rc ? rc : fdt_end_node(fdt);
}

static int dt_root(const struct device *d, void *fdt, const struct dev_dt_ctx *ctx)
{
    (void)ctx;
    int rc = syscon_node(d, fdt, "poweroff", FINISHER_PASS);
    return rc ? rc : syscon_node(d, fdt, "reboot", FINISHER_RESET);
}

const struct device_model sifive_test_device = {
    .name = "test", .base = 0x100000, .size = 0x1000,
    .read = read, .write = write, .dt_node = dt_node, .dt_root = dt_root,
};
