/* Host tests for src/core/guest_dt.c: the device tree a guest boots with,
 * written by guest_dt_build and read back here with libfdt. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "core/guest_dt.h"

#define DT_SPACE 8192

static const char *const extensions[] = { "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", NULL };

static struct guest_dt_params linux_params(void)
{
    return (struct guest_dt_params){
        .ram_base = 0x80000000, .ram_size = 256UL << 20, .vcpus = 1,
        .timebase_hz = 10000000, .isa = "rv64imafdc_zicsr_zifencei",
        .isa_extensions = extensions, .mmu_type = "riscv,sv48",
        .bootargs = "console=hvc0 root=/dev/ram", .initrd_start = 0x88000000,
        .initrd_end = 0x88123456,
    };
}

/* Builds p into a fresh buffer and checks the result is a sound tree. */
static void *build(const struct guest_dt_params *p)
{
    void *dt = malloc(DT_SPACE);
    assert_non_null(dt);
    memset(dt, 0xee, DT_SPACE);
    int rc = guest_dt_build(dt, DT_SPACE, p);
    if (!rc)
        rc = fdt_check_full(dt, fdt_totalsize(dt));
    if (rc) {
        free(dt);
        fail_msg("the tree built is not sound: %s", fdt_strerror(rc));
    }
    return dt;
}

static int node(const void *dt, const char *path)
{
    int offset = fdt_path_offset(dt, path);
    if (offset < 0)
        fail_msg("no node %s: %s", path, fdt_strerror(offset));
    return offset;
}

static const char *string_prop(const void *dt, const char *path, const char *name)
{
    int len;
    const char *s = fdt_getprop(dt, node(dt, path), name, &len);
    if (!s)
        fail_msg("%s has no %s", path, name);
    assert_int_equal(s[len - 1], 0);
    return s;
}

static uint64_t u64_prop(const void *dt, const char *path, const char *name)
{
    int len;
    const fdt64_t *p = fdt_getprop(dt, node(dt, path), name, &len);
    assert_non_null(p);
    assert_int_equal(len, 8);
    return fdt64_ld(p);
}

static uint32_t u32_prop(const void *dt, const char *path, const char *name)
{
    int len;
    const fdt32_t *p = fdt_getprop(dt, node(dt, path), name, &len);
    assert_non_null(p);
    assert_int_equal(len, 4);
    return fdt32_to_cpu(*p);
}

static int count_cpus(const void *dt)
{
    int cpus = node(dt, "/cpus"), n = 0, sub;
    fdt_for_each_subnode(sub, dt, cpus) {
        const char *type = fdt_getprop(dt, sub, "device_type", NULL);
        if (type && !strcmp(type, "cpu"))
            n++;
    }
    return n;
}

static void root_and_memory(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    void *dt = build(&p);
    assert_int_equal(u32_prop(dt, "/", "#address-cells"), 2);
    assert_int_equal(u32_prop(dt, "/", "#size-cells"), 2);
    assert_string_equal(string_prop(dt, "/", "compatible"), "lodger,virt");
    assert_string_equal(string_prop(dt, "/memory@80000000", "device_type"), "memory");
    int len;
    const fdt64_t *reg = fdt_getprop(dt, node(dt, "/memory@80000000"), "reg", &len);
    assert_non_null(reg);
    assert_int_equal(len, 16);
    assert_int_equal(fdt64_ld(&reg[0]), 0x80000000);
    assert_int_equal(fdt64_ld(&reg[1]), 256UL << 20);
    free(dt);
}

static void memory_above_4g(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    p.ram_base = 0x1000000000;
    p.ram_size = 6UL << 30;
    void *dt = build(&p);
    int len;
    const fdt64_t *reg = fdt_getprop(dt, node(dt, "/memory@1000000000"), "reg", &len);
    assert_non_null(reg);
    assert_int_equal(fdt64_ld(&reg[0]), 0x1000000000);
    assert_int_equal(fdt64_ld(&reg[1]), 6UL << 30);
    free(dt);
}

static void cpus_node(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    void *dt = build(&p);
    assert_int_equal(u32_prop(dt, "/cpus", "#address-cells"), 1);
    assert_int_equal(u32_prop(dt, "/cpus", "#size-cells"), 0);
    assert_int_equal(u32_prop(dt, "/cpus", "timebase-frequency"), 10000000);
    assert_int_equal(count_cpus(dt), 1);
    assert_int_equal(u32_prop(dt, "/cpus/cpu@0", "reg"), 0);
    assert_string_equal(string_prop(dt, "/cpus/cpu@0", "status"), "okay");
    assert_string_equal(string_prop(dt, "/cpus/cpu@0", "riscv,isa"), "rv64imafdc_zicsr_zifencei");
    assert_string_equal(string_prop(dt, "/cpus/cpu@0", "riscv,isa-base"), "rv64i");
    assert_string_equal(string_prop(dt, "/cpus/cpu@0", "mmu-type"), "riscv,sv48");
    /* Each hart's interrupt controller, for the timer and software interrupts. */
    assert_string_equal(string_prop(dt, "/cpus/cpu@0/interrupt-controller", "compatible"),
                        "riscv,cpu-intc");
    assert_int_equal(u32_prop(dt, "/cpus/cpu@0/interrupt-controller", "#interrupt-cells"), 1);
    free(dt);
}

static void several_cpus(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    p.vcpus = 4;
    void *dt = build(&p);
    assert_int_equal(count_cpus(dt), 4);
    uint32_t phandles[4];
    for (unsigned i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/cpus/cpu@%u", i);
        assert_int_equal(u32_prop(dt, path, "reg"), i);
        assert_string_equal(string_prop(dt, path, "mmu-type"), "riscv,sv48");
        snprintf(path, sizeof(path), "/cpus/cpu@%u/interrupt-controller", i);
        phandles[i] = u32_prop(dt, path, "phandle");
        assert_int_not_equal(phandles[i], 0);
        for (unsigned j = 0; j < i; j++)
            assert_int_not_equal(phandles[i], phandles[j]);
    }
    free(dt);
}

static void isa_extensions_string_list(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    void *dt = build(&p);
    int cpu = node(dt, "/cpus/cpu@0");
    assert_int_equal(fdt_stringlist_count(dt, cpu, "riscv,isa-extensions"), 8);
    for (int i = 0; extensions[i]; i++) {
        const char *s = fdt_stringlist_get(dt, cpu, "riscv,isa-extensions", i, NULL);
        assert_non_null(s);
        assert_string_equal(s, extensions[i]);
    }
    assert_int_equal(fdt_stringlist_search(dt, cpu, "riscv,isa-extensions", "zicsr"), 6);
    free(dt);
}

static void no_extensions_no_property(void **state)
{
    (void)state;
    static const char *const none[] = { NULL };
    struct guest_dt_params p = linux_params();
    p.isa_extensions = none;
    void *dt = build(&p);
    assert_null(fdt_getprop(dt, node(dt, "/cpus/cpu@0"), "riscv,isa-extensions", NULL));
    free(dt);
    p.isa_extensions = NULL;
    dt = build(&p);
    assert_null(fdt_getprop(dt, node(dt, "/cpus/cpu@0"), "riscv,isa-extensions", NULL));
    free(dt);
}

static void too_many_extensions_is_an_error(void **state)
{
    (void)state;
    /* 40 names of 9 bytes each do not fit the 256-byte list. */
    static const char *many[41];
    for (int i = 0; i < 40; i++)
        many[i] = "zextname";
    struct guest_dt_params p = linux_params();
    p.isa_extensions = many;
    void *dt = malloc(DT_SPACE);
    assert_non_null(dt);
    assert_int_equal(guest_dt_build(dt, DT_SPACE, &p), -FDT_ERR_NOSPACE);
    free(dt);
}

static void no_mmu_type_without_mmu(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    p.mmu_type = NULL;
    p.vcpus = 2;
    void *dt = build(&p);
    assert_null(fdt_getprop(dt, node(dt, "/cpus/cpu@0"), "mmu-type", NULL));
    assert_null(fdt_getprop(dt, node(dt, "/cpus/cpu@1"), "mmu-type", NULL));
    assert_non_null(fdt_getprop(dt, node(dt, "/cpus/cpu@1"), "riscv,isa", NULL));
    free(dt);
}

static void chosen_bootargs_and_initrd(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    void *dt = build(&p);
    assert_string_equal(string_prop(dt, "/chosen", "bootargs"), "console=hvc0 root=/dev/ram");
    assert_int_equal(u64_prop(dt, "/chosen", "linux,initrd-start"), 0x88000000);
    assert_int_equal(u64_prop(dt, "/chosen", "linux,initrd-end"), 0x88123456);
    free(dt);
}

static void chosen_without_bootargs_or_initrd(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    p.bootargs = "";
    p.initrd_start = p.initrd_end = 0;
    void *dt = build(&p);
    int chosen = node(dt, "/chosen");
    assert_null(fdt_getprop(dt, chosen, "bootargs", NULL));
    assert_null(fdt_getprop(dt, chosen, "linux,initrd-start", NULL));
    assert_null(fdt_getprop(dt, chosen, "linux,initrd-end", NULL));
    free(dt);
    p.bootargs = NULL;
    dt = build(&p);
    assert_null(fdt_getprop(dt, node(dt, "/chosen"), "bootargs", NULL));
    free(dt);
}

static void chosen_rng_seed(void **state)
{
    (void)state;
    uint8_t seed[64];
    for (size_t i = 0; i < sizeof(seed); i++)
        seed[i] = (uint8_t)(i * 37 + 1);
    struct guest_dt_params p = linux_params();
    p.rng_seed = seed;
    p.rng_seed_len = sizeof(seed);
    void *dt = build(&p);
    int len;
    const void *got = fdt_getprop(dt, node(dt, "/chosen"), "rng-seed", &len);
    assert_non_null(got);
    assert_int_equal(len, sizeof(seed));
    assert_memory_equal(got, seed, sizeof(seed));
    free(dt);
    p.rng_seed = NULL;
    dt = build(&p);
    assert_null(fdt_getprop(dt, node(dt, "/chosen"), "rng-seed", NULL));
    free(dt);
}

/* A VM image's own tree gets the seed too, /chosen made if it has none. */
static void seed_into_a_given_tree(void **state)
{
    (void)state;
    uint8_t seed[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    for (int with_chosen = 0; with_chosen < 2; with_chosen++) {
        uint8_t src[512], *dt = malloc(DT_SPACE);
        assert_non_null(dt);
        assert_int_equal(fdt_create_empty_tree(src, sizeof(src)), 0);
        if (with_chosen)
            assert_true(fdt_add_subnode(src, 0, "chosen") >= 0);
        assert_int_equal(fdt_open_into(src, dt, DT_SPACE), 0);
        assert_int_equal(guest_dt_set_seed(dt, seed, sizeof(seed)), 0);
        assert_int_equal(fdt_check_full(dt, fdt_totalsize(dt)), 0);
        int len;
        const void *got = fdt_getprop(dt, node(dt, "/chosen"), "rng-seed", &len);
        assert_non_null(got);
        assert_int_equal(len, sizeof(seed));
        assert_memory_equal(got, seed, sizeof(seed));
        free(dt);
    }
    /* No room: an error, not a broken tree. */
    uint8_t tight[128];
    assert_int_equal(fdt_create_empty_tree(tight, sizeof(tight)), 0);
    assert_int_equal(fdt_pack(tight), 0);
    assert_true(guest_dt_set_seed(tight, seed, sizeof(seed)) < 0);
}

static void buffer_too_small(void **state)
{
    (void)state;
    struct guest_dt_params p = linux_params();
    uint8_t small[256];
    assert_int_equal(guest_dt_build(small, sizeof(small), &p), -FDT_ERR_NOSPACE);
    /* Just big enough: the size the tree needs. */
    void *dt = build(&p);
    size_t need = fdt_totalsize(dt);
    uint8_t *exact = malloc(need);
    assert_non_null(exact);
    assert_int_equal(guest_dt_build(exact, need, &p), 0);
    assert_memory_equal(exact, dt, need);
    assert_int_equal(guest_dt_build(exact, need - 8, &p), -FDT_ERR_NOSPACE);
    free(exact);
    free(dt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_and_memory),
        cmocka_unit_test(memory_above_4g),
        cmocka_unit_test(cpus_node),
        cmocka_unit_test(several_cpus),
        cmocka_unit_test(isa_extensions_string_list),
        cmocka_unit_test(no_extensions_no_property),
        cmocka_unit_test(too_many_extensions_is_an_error),
        cmocka_unit_test(no_mmu_type_without_mmu),
        cmocka_unit_test(chosen_bootargs_and_initrd),
        cmocka_unit_test(chosen_without_bootargs_or_initrd),
        cmocka_unit_test(chosen_rng_seed),
        cmocka_unit_test(seed_into_a_given_tree),
        cmocka_unit_test(buffer_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
