/* Host tests for src/core/hostdt.c: what lodger reads from the host's device
 * tree. The trees are written here with libfdt's sequential-write API, shaped
 * like QEMU's virt and sifive_u trees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "core/hostdt.h"

#define DT_SPACE (64 * 1024)

static void *dt_begin(void)
{
    void *dt = calloc(1, DT_SPACE);
    assert_non_null(dt);
    assert_int_equal(fdt_create(dt, DT_SPACE), 0);
    return dt;
}

static void dt_finish(void *dt)
{
    assert_int_equal(fdt_end_node(dt), 0);     /* the root */
    assert_int_equal(fdt_finish(dt), 0);
}

static void prop_u32(void *dt, const char *name, uint32_t v)
{
    assert_int_equal(fdt_property_u32(dt, name, v), 0);
}

static void prop_u64(void *dt, const char *name, uint64_t v)
{
    assert_int_equal(fdt_property_u64(dt, name, v), 0);
}

static void prop_string(void *dt, const char *name, const char *s)
{
    assert_int_equal(fdt_property_string(dt, name, s), 0);
}

static void begin_node(void *dt, const char *name)
{
    assert_int_equal(fdt_begin_node(dt, name), 0);
}

static void end_node(void *dt)
{
    assert_int_equal(fdt_end_node(dt), 0);
}

/* A reg of 2-cell addresses and sizes: n (base, size) pairs. */
static void prop_reg64(void *dt, const uint64_t *pairs, int n)
{
    fdt64_t cells[8];
    assert_true(n <= 4);
    for (int i = 0; i < 2 * n; i++)
        cells[i] = cpu_to_fdt64(pairs[i]);
    assert_int_equal(fdt_property(dt, "reg", cells, 16 * n), 0);
}

static void cpu_node(void *dt, unsigned id, const char *status, const char *mmu, const char *isa)
{
    char name[32];
    snprintf(name, sizeof(name), "cpu@%u", id);
    begin_node(dt, name);
    prop_string(dt, "device_type", "cpu");
    prop_u32(dt, "reg", id);
    if (status)
        prop_string(dt, "status", status);
    prop_string(dt, "compatible", "riscv");
    prop_string(dt, "riscv,isa", isa);
    if (mmu)
        prop_string(dt, "mmu-type", mmu);
    end_node(dt);
}

/* A tree with everything hostdt_parse reads. initrd_cells: 1 or 2. */
static void *full_tree(int initrd_cells)
{
    void *dt = dt_begin();
    assert_int_equal(fdt_add_reservemap_entry(dt, 0x80000000, 0x40000), 0);
    assert_int_equal(fdt_add_reservemap_entry(dt, 0x8f000000, 0x2000), 0);
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    prop_string(dt, "model", "riscv-virtio,qemu");
    prop_string(dt, "compatible", "riscv-virtio");

    begin_node(dt, "chosen");
    prop_string(dt, "bootargs", "console=ttyS0");
    if (initrd_cells == 2) {
        prop_u64(dt, "linux,initrd-start", 0x188200000);
        prop_u64(dt, "linux,initrd-end", 0x188300000);
    } else {
        prop_u32(dt, "linux,initrd-start", 0x88200000);
        prop_u32(dt, "linux,initrd-end", 0x88280000);
    }
    end_node(dt);

    begin_node(dt, "memory@80000000");
    prop_string(dt, "device_type", "memory");
    prop_reg64(dt, (const uint64_t[]){ 0x80000000, 0x8000000, 0x90000000, 0x4000000 }, 2);
    end_node(dt);
    begin_node(dt, "memory@100000000");
    prop_string(dt, "device_type", "memory");
    prop_reg64(dt, (const uint64_t[]){ 0x100000000, 0x100000000 }, 1);
    end_node(dt);

    begin_node(dt, "reserved-memory");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    assert_int_equal(fdt_property(dt, "ranges", NULL, 0), 0);
    begin_node(dt, "mmode_resv0@80040000");
    prop_reg64(dt, (const uint64_t[]){ 0x80040000, 0x20000 }, 1);
    assert_int_equal(fdt_property(dt, "no-map", NULL, 0), 0);
    end_node(dt);
    end_node(dt);

    begin_node(dt, "cpus");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 0);
    prop_u32(dt, "timebase-frequency", 10000000);
    cpu_node(dt, 0, "okay", NULL, "rv64imac");       /* a monitor core: no MMU */
    cpu_node(dt, 1, "okay", "riscv,sv48", "rv64imafdc_zicsr_zifencei");
    cpu_node(dt, 2, "disabled", "riscv,sv48", "rv64imafdc");
    cpu_node(dt, 3, NULL, "riscv,sv39", "rv64imafdch");     /* no status: okay */
    cpu_node(dt, 4, "ok", "riscv,sv57", "rv64gc");           /* the old spelling */
    begin_node(dt, "cpu-map");                              /* not a cpu */
    begin_node(dt, "cluster0");
    end_node(dt);
    end_node(dt);
    end_node(dt);

    begin_node(dt, "soc");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    begin_node(dt, "uart@10000000");
    prop_string(dt, "compatible", "ns16550a");
    prop_reg64(dt, (const uint64_t[]){ 0x10000000, 0x100 }, 1);
    end_node(dt);
    begin_node(dt, "test@100000");
    static const char test_compatible[] = "sifive,test1\0sifive,test0\0syscon";
    assert_int_equal(fdt_property(dt, "compatible", test_compatible, sizeof(test_compatible)), 0);
    prop_reg64(dt, (const uint64_t[]){ 0x100000, 0x1000 }, 1);
    end_node(dt);
    /* A disabled RTC is skipped for the next one. */
    begin_node(dt, "rtc@200000");
    prop_string(dt, "compatible", "google,goldfish-rtc");
    prop_string(dt, "status", "disabled");
    prop_reg64(dt, (const uint64_t[]){ 0x200000, 0x1000 }, 1);
    end_node(dt);
    begin_node(dt, "rtc@101000");
    prop_string(dt, "compatible", "google,goldfish-rtc");
    prop_reg64(dt, (const uint64_t[]){ 0x101000, 0x1000 }, 1);
    end_node(dt);
    end_node(dt);
    dt_finish(dt);
    return dt;
}

static void assert_range(struct mem_range r, uint64_t base, uint64_t size)
{
    assert_int_equal(r.base, base);
    assert_int_equal(r.size, size);
}

static void full_tree_is_read(void **state)
{
    (void)state;
    void *dt = full_tree(2);
    struct host_info info;
    memset(&info, 0x5a, sizeof(info));
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_ptr_equal(info.fdt, dt);
    assert_int_equal(info.fdt_size, fdt_totalsize(dt));
    assert_string_equal(info.model, "riscv-virtio,qemu");

    assert_int_equal(info.mem_count, 3);
    assert_range(info.mem[0], 0x80000000, 0x8000000);
    assert_range(info.mem[1], 0x90000000, 0x4000000);
    assert_range(info.mem[2], 0x100000000, 0x100000000);

    /* The /memreserve/ entries, then /reserved-memory's children. */
    assert_int_equal(info.reserved_count, 3);
    assert_range(info.reserved[0], 0x80000000, 0x40000);
    assert_range(info.reserved[1], 0x8f000000, 0x2000);
    assert_range(info.reserved[2], 0x80040000, 0x20000);

    assert_int_equal(info.initrd_start, 0x188200000);
    assert_int_equal(info.initrd_end, 0x188300000);
    assert_int_equal(info.timebase_hz, 10000000);
    assert_int_equal(info.test_device, 0x100000);
    assert_int_equal(info.rtc, 0x101000);
    free(dt);
}

static void harts_without_mmu_or_disabled_are_skipped(void **state)
{
    (void)state;
    void *dt = full_tree(2);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.hart_count, 3);
    assert_int_equal(info.harts[0].hartid, 1);
    assert_string_equal(info.harts[0].isa, "rv64imafdc_zicsr_zifencei");
    assert_string_equal(info.harts[0].mmu_type, "riscv,sv48");
    assert_int_equal(info.harts[1].hartid, 3);
    assert_string_equal(info.harts[1].isa, "rv64imafdch");
    assert_string_equal(info.harts[1].mmu_type, "riscv,sv39");
    assert_int_equal(info.harts[2].hartid, 4);
    assert_string_equal(info.harts[2].mmu_type, "riscv,sv57");
    free(dt);
}

static void initrd_as_32_bit_cells(void **state)
{
    (void)state;
    void *dt = full_tree(1);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.initrd_start, 0x88200000);
    assert_int_equal(info.initrd_end, 0x88280000);
    free(dt);
}

static void not_a_device_tree(void **state)
{
    (void)state;
    uint32_t junk[64];
    for (int i = 0; i < 64; i++)
        junk[i] = 0x12345678u * (uint32_t)i;
    struct host_info info;
    assert_int_equal(hostdt_parse(junk, &info), -FDT_ERR_BADMAGIC);
}

static void minimal_tree_leaves_everything_empty(void **state)
{
    (void)state;
    void *dt = dt_begin();
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    dt_finish(dt);
    struct host_info info;
    memset(&info, 0x5a, sizeof(info));
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_string_equal(info.model, "");
    assert_int_equal(info.mem_count, 0);
    assert_int_equal(info.reserved_count, 0);
    assert_int_equal(info.initrd_start, 0);
    assert_int_equal(info.initrd_end, 0);
    assert_int_equal(info.timebase_hz, 0);
    assert_int_equal(info.hart_count, 0);
    assert_int_equal(info.test_device, 0);
    assert_int_equal(info.rtc, 0);
    free(dt);
}

static void one_cell_addresses_and_64_bit_timebase(void **state)
{
    (void)state;
    void *dt = dt_begin();
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 1);
    begin_node(dt, "memory@80000000");
    prop_string(dt, "device_type", "memory");
    fdt32_t reg[4] = { cpu_to_fdt32(0x80000000), cpu_to_fdt32(0x10000000),
                       cpu_to_fdt32(0xc0000000), cpu_to_fdt32(0x1000) };
    assert_int_equal(fdt_property(dt, "reg", reg, sizeof(reg)), 0);
    end_node(dt);
    begin_node(dt, "cpus");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 0);
    prop_u64(dt, "timebase-frequency", 0x100000000);
    cpu_node(dt, 7, "okay", "riscv,sv39", "rv64gc");
    end_node(dt);
    dt_finish(dt);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.mem_count, 2);
    assert_range(info.mem[0], 0x80000000, 0x10000000);
    assert_range(info.mem[1], 0xc0000000, 0x1000);
    assert_int_equal(info.timebase_hz, 0x100000000);
    assert_int_equal(info.hart_count, 1);
    assert_int_equal(info.harts[0].hartid, 7);
    free(dt);
}

static void tables_stop_at_their_limits(void **state)
{
    (void)state;
    void *dt = dt_begin();
    for (int i = 0; i < HOST_MAX_RESERVED + 4; i++)
        assert_int_equal(fdt_add_reservemap_entry(dt, 0x80000000 + 0x10000 * (uint64_t)i, 0x1000), 0);
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    for (int i = 0; i < HOST_MAX_MEM + 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "memory@%x", 0x80000000 + 0x1000000 * i);
        begin_node(dt, name);
        prop_string(dt, "device_type", "memory");
        prop_reg64(dt, (const uint64_t[]){ 0x80000000 + 0x1000000 * (uint64_t)i, 0x1000000 }, 1);
        end_node(dt);
    }
    begin_node(dt, "reserved-memory");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    begin_node(dt, "more@90000000");
    prop_reg64(dt, (const uint64_t[]){ 0x90000000, 0x1000 }, 1);
    end_node(dt);
    end_node(dt);
    begin_node(dt, "cpus");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 0);
    for (unsigned i = 0; i < HOST_MAX_HARTS + 4; i++)
        cpu_node(dt, i, "okay", "riscv,sv39", "rv64gc");
    end_node(dt);
    dt_finish(dt);

    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.mem_count, HOST_MAX_MEM);
    assert_range(info.mem[HOST_MAX_MEM - 1], 0x80000000 + 0x1000000 * (uint64_t)(HOST_MAX_MEM - 1),
                 0x1000000);
    assert_int_equal(info.reserved_count, HOST_MAX_RESERVED);
    assert_int_equal(info.hart_count, HOST_MAX_HARTS);
    assert_int_equal(info.harts[HOST_MAX_HARTS - 1].hartid, HOST_MAX_HARTS - 1);
    free(dt);
}

static void long_strings_are_truncated(void **state)
{
    (void)state;
    char isa[300], model[100];
    memset(isa, 'x', sizeof(isa));
    isa[sizeof(isa) - 1] = 0;
    memset(model, 'm', sizeof(model));
    model[sizeof(model) - 1] = 0;
    void *dt = dt_begin();
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    prop_string(dt, "model", model);
    begin_node(dt, "cpus");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 0);
    cpu_node(dt, 0, "okay", "riscv,sv39-but-with-a-very-long-name", isa);
    end_node(dt);
    dt_finish(dt);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(strlen(info.model), sizeof(info.model) - 1);
    assert_int_equal(strlen(info.harts[0].isa), sizeof(info.harts[0].isa) - 1);
    assert_string_equal(info.harts[0].mmu_type, "riscv,sv39-but-");
    free(dt);
}

static void bootargs_are_read(void **state)
{
    (void)state;
    void *dt = full_tree(2);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_string_equal(info.bootargs, "console=ttyS0");
    free(dt);
}

static void options_parse(const char *args, bool ok, int levels, unsigned asid_bits)
{
    struct host_options o = { 0, 99, true };
    char err[96] = "";
    assert_int_equal(hostdt_options(args, &o, err, sizeof(err)), ok);
    if (ok) {
        assert_int_equal(o.max_levels, levels);
        assert_int_equal(o.max_asid_bits, asid_bits);
    } else {
        assert_true(strstr(err, "lodger.") != NULL);
    }
}

static void boot_options(void **state)
{
    (void)state;
    options_parse("", true, 5, 16);
    options_parse("console=ttyS0 lodgerx.mmu=sv39 quiet", true, 5, 16);
    options_parse("lodger.mmu=sv39 lodger.asid-bits=0", true, 3, 0);
    options_parse("  lodger.mmu=sv48\tlodger.asid-bits=16\n", true, 4, 16);
    options_parse("lodger.mmu=sv57 lodger.asid-bits=7 lodger.mmu=sv39", true, 3, 7);
    options_parse("lodger.mmu=sv40", false, 0, 0);
    options_parse("lodger.mmu=sv39x", false, 0, 0);
    options_parse("lodger.mmu=", false, 0, 0);
    options_parse("lodger.mmu", false, 0, 0);
    options_parse("lodger.asid-bits=17", false, 0, 0);
    options_parse("lodger.asid-bits=-1", false, 0, 0);
    options_parse("lodger.asid-bits=007", false, 0, 0);
    options_parse("lodger.asid-bits=", false, 0, 0);
    options_parse("lodger.noasid", false, 0, 0);
    options_parse("lodger.", false, 0, 0);
    options_parse("lodger.selftest=net", false, 0, 0);
    options_parse("lodger.selftest=disks", false, 0, 0);
    options_parse("lodger.selftest", false, 0, 0);
    struct host_options o;
    char err[96];
    assert_true(hostdt_options("lodger.mmu=sv48", &o, err, sizeof(err)));
    assert_false(o.selftest_disk);
    assert_true(hostdt_options("quiet lodger.selftest=disk", &o, err, sizeof(err)));
    assert_true(o.selftest_disk);
    assert_int_equal(o.max_levels, 5);
}

static void mmu_caps(void **state)
{
    (void)state;
    const unsigned long bare = 1UL << 0, sv39 = 1UL << 8, sv48 = 1UL << 9, sv57 = 1UL << 10;
    struct host_options none = { 5, 16, false }, u74 = { 3, 0, false }, sv48_cap = { 4, 16, false };
    unsigned long modes = bare | sv39 | sv48 | sv57;
    unsigned asid_bits = 16;
    assert_int_equal(hostdt_cap_mmu(&none, &modes, &asid_bits), 5);
    assert_int_equal(modes, bare | sv39 | sv48 | sv57);
    assert_int_equal(asid_bits, 16);
    /* QEMU's CPU made a U74: Sv39 and Bare only, no ASIDs. */
    assert_int_equal(hostdt_cap_mmu(&u74, &modes, &asid_bits), 3);
    assert_int_equal(modes, bare | sv39);
    assert_int_equal(asid_bits, 0);
    /* A cap above what the hart has changes nothing. */
    modes = bare | sv39;
    asid_bits = 9;
    assert_int_equal(hostdt_cap_mmu(&sv48_cap, &modes, &asid_bits), 3);
    assert_int_equal(modes, bare | sv39);
    assert_int_equal(asid_bits, 9);
    /* No paging at all: nothing left. */
    modes = bare;
    assert_int_equal(hostdt_cap_mmu(&none, &modes, &asid_bits), 0);
    assert_int_equal(modes, bare);
}

/* A hart with its interrupt controller (phandle intc) under it. */
static void cpu_with_intc(void *dt, unsigned id, uint32_t intc)
{
    char name[32];
    snprintf(name, sizeof(name), "cpu@%u", id);
    begin_node(dt, name);
    prop_string(dt, "device_type", "cpu");
    prop_u32(dt, "reg", id);
    prop_string(dt, "riscv,isa", "rv64gc");
    prop_string(dt, "mmu-type", "riscv,sv48");
    begin_node(dt, "interrupt-controller");
    prop_u32(dt, "#interrupt-cells", 1);
    prop_string(dt, "compatible", "riscv,cpu-intc");
    prop_u32(dt, "phandle", intc);
    end_node(dt);
    end_node(dt);
}

static void cells(void *dt, const char *name, const uint32_t *v, int n)
{
    fdt32_t c[16];
    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        c[i] = cpu_to_fdt32(v[i]);
    assert_int_equal(fdt_property(dt, name, c, 4 * n), 0);
}

static void virtio_node(void *dt, uint64_t base, uint32_t irq, uint32_t parent, const char *status)
{
    char name[40];
    snprintf(name, sizeof(name), "virtio_mmio@%lx", (unsigned long)base);
    begin_node(dt, name);
    cells(dt, "interrupts", &irq, 1);
    if (parent)
        prop_u32(dt, "interrupt-parent", parent);
    prop_reg64(dt, (const uint64_t[]){ base, 0x1000 }, 1);
    prop_string(dt, "compatible", "virtio,mmio");
    if (status)
        prop_string(dt, "status", status);
    end_node(dt);
}

/* QEMU virt's shape: two harts, a PLIC whose contexts are (hart 0 M, hart 0
 * S, hart 1 M, hart 1 S) -- or, with monitor_first, sifive_u's (hart 0 M
 * only, then hart 1 M and S) -- and virtio-mmio transports listed from the
 * last one down. ext_cells: how many cells of interrupts-extended to keep. */
static void *virt_tree(bool monitor_first, int ext_cells)
{
    void *dt = dt_begin();
    assert_int_equal(fdt_finish_reservemap(dt), 0);
    begin_node(dt, "");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    begin_node(dt, "cpus");
    prop_u32(dt, "#address-cells", 1);
    prop_u32(dt, "#size-cells", 0);
    cpu_with_intc(dt, 0, 1);
    cpu_with_intc(dt, 1, 2);
    end_node(dt);
    begin_node(dt, "soc");
    prop_u32(dt, "#address-cells", 2);
    prop_u32(dt, "#size-cells", 2);
    virtio_node(dt, 0x10008000, 8, 3, NULL);
    virtio_node(dt, 0x10007000, 7, 3, "disabled");
    virtio_node(dt, 0x10006000, 6, 3, "okay");
    virtio_node(dt, 0x10005000, 5, 9, NULL);       /* another controller's line */
    virtio_node(dt, 0x10004000, 200, 3, NULL);     /* past riscv,ndev */
    begin_node(dt, "plic@c000000");
    prop_u32(dt, "phandle", 3);
    prop_u32(dt, "riscv,ndev", 0x60);
    prop_reg64(dt, (const uint64_t[]){ 0xc000000, 0x600000 }, 1);
    static const uint32_t virt_ext[] = { 1, 11, 1, 9, 2, 11, 2, 9 };
    static const uint32_t sifive_ext[] = { 1, 11, 2, 11, 2, 9 };
    const uint32_t *ext = monitor_first ? sifive_ext : virt_ext;
    int n = monitor_first ? 6 : 8;
    cells(dt, "interrupts-extended", ext, ext_cells < n ? ext_cells : n);
    assert_int_equal(fdt_property(dt, "interrupt-controller", NULL, 0), 0);
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    assert_int_equal(fdt_property(dt, "compatible", compat, sizeof(compat)), 0);
    prop_u32(dt, "#interrupt-cells", 1);
    end_node(dt);
    end_node(dt);
    dt_finish(dt);
    return dt;
}

static void plic_contexts_and_virtio_transports(void **state)
{
    (void)state;
    void *dt = virt_tree(false, 99);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.plic.base, 0xc000000);
    assert_int_equal(info.plic.size, 0x600000);
    assert_int_equal(info.plic.ndev, 0x60);
    assert_int_equal(info.hart_count, 2);
    assert_int_equal(info.harts[0].plic_context, 1);
    assert_int_equal(info.harts[1].plic_context, 3);
    /* In the tree's order; the disabled one left out; lines that are not
     * the PLIC's, or past its sources, are none (polled). */
    assert_int_equal(info.virtio_count, 4);
    assert_int_equal(info.virtio[0].base, 0x10008000);
    assert_int_equal(info.virtio[0].size, 0x1000);
    assert_int_equal(info.virtio[0].irq, 8);
    assert_int_equal(info.virtio[1].base, 0x10006000);
    assert_int_equal(info.virtio[1].irq, 6);
    assert_int_equal(info.virtio[2].base, 0x10005000);
    assert_int_equal(info.virtio[2].irq, 0);
    assert_int_equal(info.virtio[3].base, 0x10004000);
    assert_int_equal(info.virtio[3].irq, 0);
    free(dt);
}

static void monitor_hart_has_no_s_context(void **state)
{
    (void)state;
    void *dt = virt_tree(true, 99);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.harts[0].plic_context, -1);
    assert_int_equal(info.harts[1].plic_context, 2);
    free(dt);
}

static void truncated_interrupts_extended(void **state)
{
    (void)state;
    /* Cut inside hart 1's S pair: hart 0's context stands, hart 1 has none. */
    void *dt = virt_tree(false, 7);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.harts[0].plic_context, 1);
    assert_int_equal(info.harts[1].plic_context, -1);
    free(dt);
    dt = virt_tree(false, 0);
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.harts[0].plic_context, -1);
    assert_int_equal(info.plic.base, 0xc000000);
    free(dt);
}

static void no_plic_no_irqs(void **state)
{
    (void)state;
    void *dt = full_tree(2);
    struct host_info info;
    assert_int_equal(hostdt_parse(dt, &info), 0);
    assert_int_equal(info.plic.size, 0);
    assert_int_equal(info.virtio_count, 0);
    for (int i = 0; i < info.hart_count; i++)
        assert_int_equal(info.harts[i].plic_context, -1);
    free(dt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_tree_is_read),
        cmocka_unit_test(harts_without_mmu_or_disabled_are_skipped),
        cmocka_unit_test(initrd_as_32_bit_cells),
        cmocka_unit_test(not_a_device_tree),
        cmocka_unit_test(minimal_tree_leaves_everything_empty),
        cmocka_unit_test(one_cell_addresses_and_64_bit_timebase),
        cmocka_unit_test(tables_stop_at_their_limits),
        cmocka_unit_test(long_strings_are_truncated),
        cmocka_unit_test(bootargs_are_read),
        cmocka_unit_test(boot_options),
        cmocka_unit_test(mmu_caps),
        cmocka_unit_test(plic_contexts_and_virtio_transports),
        cmocka_unit_test(monitor_hart_has_no_s_context),
        cmocka_unit_test(truncated_interrupts_extended),
        cmocka_unit_test(no_plic_no_irqs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
