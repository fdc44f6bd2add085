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
        .plic_base = flags & 4 ? 0x0c000000 : 0, .plic_size = 0x4000000,
        .plic_sources = fuzz_u8(in) % 33, .uart_base = flags & 8 ? 0x10000000 : 0,
        .uart_size = 0x100, .uart_irq = fuzz_u8(in) % 33, .uart_clock_hz = fuzz_u32(in),
    };
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
