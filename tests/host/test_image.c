/* Host tests for src/core/image.c: parsing and checking FIT VM images.
 * The FITs are written here with libfdt's sequential-write API, laid out as
 * tools/lodger-run's its_text() and mkimage make them. */
#define _GNU_SOURCE     /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "core/image.h"
#include "core/sha256.h"

#define FIT_SPACE (64 * 1024)

static const uint8_t kernel_data[] = "\x13\x00\x00\x00 pretend this is a RISC-V kernel";
static const uint8_t ramdisk_data[] = "pretend this is an initramfs";

/* What goes into a test FIT; fit_default() gives what lodger-run writes. */
struct fit_spec {
    const char *default_conf;       /* NULL: no "default" property */
    bool configurations;            /* write /configurations at all */
    const char *conf_kernel;        /* kernel = "..." in the configuration; NULL: none */
    bool kernel_node;               /* write /images/kernel */
    bool kernel_data;               /* its "data" property */
    const char *compression;        /* NULL: no property */
    int load_cells;                 /* 0: no load; 1 or 2 cells */
    bool entry;
    const char *hash_algo;          /* NULL: no hash node */
    int hash_len;                   /* bytes of "value"; 0: none */
    bool corrupt_kernel_hash;
    bool extra_crc32_hash;          /* a hash-1 with algo "crc32" before the sha256 one */
    bool ramdisk;
    bool corrupt_ramdisk_hash;
    const void *fdt_part;           /* fdt = "fdt" image data, or NULL */
    size_t fdt_part_size;
    uint32_t memory_mib;            /* 0: no property */
    uint32_t vcpus;                 /* 0: no property */
    const char *bootargs;           /* NULL: no property */
    int bootargs_len;               /* -1: strlen + 1 */
    bool first_portion;
    uint64_t first_portion_va;
    int patch;                      /* -1: no lodger,patch property */
};

static struct fit_spec fit_default(void)
{
    return (struct fit_spec){
        .default_conf = "vm", .configurations = true, .conf_kernel = "kernel",
        .kernel_node = true, .kernel_data = true, .compression = "none", .load_cells = 2,
        .entry = true, .hash_algo = "sha256", .hash_len = SHA256_DIGEST_SIZE,
        .memory_mib = 64, .vcpus = 1, .bootargs_len = -1, .patch = -1,
    };
}

static void write_u64_cells(void *fit, const char *name, uint64_t value, int cells)
{
    fdt32_t v[2] = { cpu_to_fdt32((uint32_t)(value >> 32)), cpu_to_fdt32((uint32_t)value) };
    assert_int_equal(fdt_property(fit, name, cells == 2 ? v : v + 1, 4 * cells), 0);
}

static void write_hash(void *fit, const char *node, const char *algo, const void *data,
                       size_t size, int value_len, bool corrupt)
{
    uint8_t value[64] = { 0 };
    sha256(data, size, value);
    if (corrupt)
        value[7] ^= 0x01;
    assert_int_equal(fdt_begin_node(fit, node), 0);
    if (value_len)
        assert_int_equal(fdt_property(fit, "value", value, value_len), 0);
    assert_int_equal(fdt_property_string(fit, "algo", algo), 0);
    assert_int_equal(fdt_end_node(fit), 0);
}

static void write_image(void *fit, const char *name, const char *type, const void *data,
                        size_t size, const struct fit_spec *s, bool corrupt)
{
    assert_int_equal(fdt_begin_node(fit, name), 0);
    assert_int_equal(fdt_property_string(fit, "description", "test"), 0);
    if (strcmp(name, "kernel") || s->kernel_data)
        assert_int_equal(fdt_property(fit, "data", data, (int)size), 0);
    assert_int_equal(fdt_property_string(fit, "type", type), 0);
    assert_int_equal(fdt_property_string(fit, "arch", "riscv"), 0);
    assert_int_equal(fdt_property_string(fit, "os", "linux"), 0);
    if (s->compression)
        assert_int_equal(fdt_property_string(fit, "compression", s->compression), 0);
    if (!strcmp(name, "kernel")) {
        if (s->load_cells)
            write_u64_cells(fit, "load", 0x80200000, s->load_cells);
        if (s->entry)
            write_u64_cells(fit, "entry", 0x80201000, 2);
        if (s->extra_crc32_hash)
            write_hash(fit, "hash-1", "crc32", data, size, 4, false);
    }
    if (s->hash_algo)
        write_hash(fit, s->extra_crc32_hash ? "hash-2" : "hash-1", s->hash_algo, data, size,
                   s->hash_len, corrupt);
    assert_int_equal(fdt_end_node(fit), 0);
}

/* Returns a FIT built from s, in a FIT_SPACE buffer the caller frees. */
static uint8_t *fit_build(const struct fit_spec *s)
{
    uint8_t *fit = calloc(1, FIT_SPACE);
    assert_non_null(fit);
    assert_int_equal(fdt_create(fit, FIT_SPACE), 0);
    assert_int_equal(fdt_finish_reservemap(fit), 0);
    assert_int_equal(fdt_begin_node(fit, ""), 0);
    assert_int_equal(fdt_property_string(fit, "description", "lodger VM image"), 0);
    assert_int_equal(fdt_property_u32(fit, "#address-cells", 2), 0);

    assert_int_equal(fdt_begin_node(fit, "images"), 0);
    if (s->kernel_node)
        write_image(fit, "kernel", "kernel", kernel_data, sizeof(kernel_data), s,
                    s->corrupt_kernel_hash);
    if (s->ramdisk)
        write_image(fit, "ramdisk", "ramdisk", ramdisk_data, sizeof(ramdisk_data), s,
                    s->corrupt_ramdisk_hash);
    if (s->fdt_part)
        write_image(fit, "fdt", "flat_dt", s->fdt_part, s->fdt_part_size, s, false);
    assert_int_equal(fdt_end_node(fit), 0);

    if (s->configurations) {
        assert_int_equal(fdt_begin_node(fit, "configurations"), 0);
        if (s->default_conf)
            assert_int_equal(fdt_property_string(fit, "default", s->default_conf), 0);
        assert_int_equal(fdt_begin_node(fit, "vm"), 0);
        if (s->conf_kernel)
            assert_int_equal(fdt_property_string(fit, "kernel", s->conf_kernel), 0);
        if (s->ramdisk)
            assert_int_equal(fdt_property_string(fit, "ramdisk", "ramdisk"), 0);
        if (s->fdt_part)
            assert_int_equal(fdt_property_string(fit, "fdt", "fdt"), 0);
        if (s->memory_mib)
            assert_int_equal(fdt_property_u32(fit, "lodger,memory-mib", s->memory_mib), 0);
        if (s->vcpus)
            assert_int_equal(fdt_property_u32(fit, "lodger,vcpus", s->vcpus), 0);
        if (s->bootargs) {
            int len = s->bootargs_len < 0 ? (int)strlen(s->bootargs) + 1 : s->bootargs_len;
            assert_int_equal(fdt_property(fit, "lodger,bootargs", s->bootargs, len), 0);
        }
        if (s->first_portion)
            write_u64_cells(fit, "lodger,first-portion", s->first_portion_va, 2);
        if (s->patch >= 0)
            assert_int_equal(fdt_property_u32(fit, "lodger,patch", (uint32_t)s->patch), 0);
        assert_int_equal(fdt_end_node(fit), 0);
        assert_int_equal(fdt_end_node(fit), 0);
    }
    assert_int_equal(fdt_end_node(fit), 0);
    assert_int_equal(fdt_finish(fit), 0);
    return fit;
}

/* Builds s and parses it; returns image_parse's result, err its message. */
static int parse_spec(const struct fit_spec *s, char *err, size_t errlen)
{
    uint8_t *fit = fit_build(s);
    struct vm_image img;
    err[0] = 0;
    int rc = image_parse(fit, fdt_totalsize(fit), &img, err, errlen);
    free(fit);
    return rc;
}

/* Asserts that s is refused with an error containing want. */
static void assert_refused(const struct fit_spec *s, const char *want)
{
    char err[256];
    assert_int_equal(parse_spec(s, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void assert_accepted(const struct fit_spec *s)
{
    char err[256];
    if (parse_spec(s, err, sizeof(err)))
        fail_msg("refused: %s", err);
}

static void valid_image_has_every_field(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.ramdisk = true;
    s.memory_mib = 256;
    s.vcpus = 4;
    s.bootargs = "console=hvc0 earlycon=sbi";
    s.first_portion = true;
    s.first_portion_va = 0xffffffc000200000UL;
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
    assert_int_equal(img.kernel.size, sizeof(kernel_data));
    assert_memory_equal(img.kernel.data, kernel_data, sizeof(kernel_data));
    /* Images are used in place, inside the blob. */
    assert_true(img.kernel.data > fit && img.kernel.data < fit + fdt_totalsize(fit));
    assert_int_equal(img.initrd.size, sizeof(ramdisk_data));
    assert_memory_equal(img.initrd.data, ramdisk_data, sizeof(ramdisk_data));
    assert_null(img.fdt.data);
    assert_int_equal(img.fdt.size, 0);
    assert_int_equal(img.kernel_load, 0x80200000);
    assert_int_equal(img.kernel_entry, 0x80201000);
    assert_int_equal(img.mem_size, 256UL << 20);
    assert_int_equal(img.vcpus, 4);
    assert_string_equal(img.bootargs, "console=hvc0 earlycon=sbi");
    assert_true(img.first_portion_forced);
    assert_int_equal(img.first_portion_va, 0xffffffc000200000UL);
    free(fit);
}

static void optional_fields_have_defaults(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.memory_mib = 0;
    s.vcpus = 0;
    s.entry = false;
    s.load_cells = 1;       /* a 32-bit load address is fine too */
    s.compression = NULL;   /* no compression property: not compressed */
    s.default_conf = NULL;  /* the first configuration */
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    memset(&img, 0x5a, sizeof(img));
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
    assert_int_equal(img.mem_size, (uint64_t)IMAGE_DEFAULT_MEM_MIB << 20);
    assert_int_equal(img.vcpus, 1);
    assert_int_equal(img.kernel_load, 0x80200000);
    assert_int_equal(img.kernel_entry, 0x80200000);
    assert_string_equal(img.bootargs, "");
    assert_false(img.first_portion_forced);
    assert_int_equal(img.patch, IMAGE_DEFAULT_PATCH);
    assert_null(img.initrd.data);
    assert_int_equal(img.initrd.size, 0);
    free(fit);
}

static void blob_in_a_larger_buffer(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    char err[256] = "";
    assert_true(fdt_totalsize(fit) < FIT_SPACE);
    assert_int_equal(image_parse(fit, FIT_SPACE, &img, err, sizeof(err)), 0);
    free(fit);
}

static void kernel_hash_mismatch(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.corrupt_kernel_hash = true;
    assert_refused(&s, "image 'kernel': sha256 mismatch");
}

static void ramdisk_hash_mismatch(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.ramdisk = true;
    s.corrupt_ramdisk_hash = true;
    assert_refused(&s, "image 'ramdisk': sha256 mismatch");
}

static void corrupted_data_is_caught(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    uint8_t *fit = fit_build(&s);
    uint8_t *at = memmem(fit, fdt_totalsize(fit), "RISC-V kernel", 13);
    assert_non_null(at);
    *at ^= 0x20;
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "sha256 mismatch"));
    free(fit);
}

static void missing_hash(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.hash_algo = NULL;
    assert_refused(&s, "image 'kernel' has no sha256 hash");
    s.hash_algo = "crc32";      /* a hash, but not one lodger checks */
    s.hash_len = 4;
    assert_refused(&s, "image 'kernel' has no sha256 hash");
}

static void sha256_hash_without_a_valid_value(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.hash_len = 0;
    assert_refused(&s, "sha256 hash node has no valid value");
    s.hash_len = 20;
    assert_refused(&s, "sha256 hash node has no valid value");
}

static void sha256_after_another_hash(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.extra_crc32_hash = true;
    assert_accepted(&s);
    s.corrupt_kernel_hash = true;
    assert_refused(&s, "sha256 mismatch");
}

static void truncated_blob(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    char err[256] = "";
    size_t half = fdt_totalsize(fit) / 2;
    assert_int_equal(image_parse(fit, half, &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(image_parse(fit, fdt_totalsize(fit) - 1, &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "truncated"));
    free(fit);
}

static void not_a_device_tree(void **state)
{
    (void)state;
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(junk, sizeof(junk), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a VM image"));
    /* Shorter than a header: the magic alone is not enough. */
    const uint8_t magic[] = { 0xd0, 0x0d, 0xfe, 0xed };
    assert_int_equal(image_parse(magic, sizeof(magic), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a VM image"));
    assert_int_equal(image_parse(junk, 0, &img, err, sizeof(err)), -1);
}

static void corrupted_structure(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    uint8_t *fit = fit_build(&s);
    /* Good magic and size, but the strings block points past the end. */
    fdt_set_off_dt_strings(fit, fdt_totalsize(fit) + 64);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "corrupted"));
    free(fit);
}

static void missing_kernel(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.conf_kernel = NULL;
    assert_refused(&s, "configuration has no kernel");
    s = fit_default();
    s.conf_kernel = "linux";
    assert_refused(&s, "configuration names kernel 'linux', which is not in /images");
    s = fit_default();
    s.kernel_node = false;
    assert_refused(&s, "configuration names kernel 'kernel', which is not in /images");
    s = fit_default();
    s.kernel_data = false;
    assert_refused(&s, "image 'kernel' has no data");
}

static void missing_configuration(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.configurations = false;
    assert_refused(&s, "no /configurations");
    s = fit_default();
    s.default_conf = "other";
    assert_refused(&s, "no usable configuration");
}

static void compression_must_be_none(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.compression = "gzip";
    assert_refused(&s, "image 'kernel': compression 'gzip' is not supported");
    s.compression = "lzma";
    assert_refused(&s, "compression 'lzma'");
}

static void missing_load_address(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.load_cells = 0;
    assert_refused(&s, "kernel image has no load address");
}

static void memory_size_range(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.memory_mib = 1;
    assert_accepted(&s);
    s.memory_mib = 1U << 20;
    assert_accepted(&s);
    s.memory_mib = (1U << 20) + 1;
    assert_refused(&s, "memory size 1048577 MiB is out of range");
    s.memory_mib = 0xffffffff;
    assert_refused(&s, "memory size 4294967295 MiB is out of range");
}

static void memory_size_zero(void **state)
{
    (void)state;
    /* fit_spec's 0 means "no property": write <0> by hand. */
    struct fit_spec s = fit_default();
    s.memory_mib = 0;
    uint8_t *fit = fit_build(&s);
    int conf = fdt_path_offset(fit, "/configurations/vm");
    assert_true(conf >= 0);
    assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
    assert_int_equal(fdt_setprop_u32(fit, conf, "lodger,memory-mib", 0), 0);
    assert_int_equal(fdt_pack(fit), 0);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "memory size 0 MiB is out of range"));
    /* Same for zero vCPUs. */
    assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
    assert_int_equal(fdt_setprop_u32(fit, conf, "lodger,memory-mib", 64), 0);
    assert_int_equal(fdt_setprop_u32(fit, conf, "lodger,vcpus", 0), 0);
    assert_int_equal(fdt_pack(fit), 0);
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "vCPU count 0 is out of range"));
    free(fit);
}

static void vcpu_count_range(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.vcpus = 64;
    assert_accepted(&s);
    s.vcpus = 65;
    assert_refused(&s, "vCPU count 65 is out of range");
}

/* lodger,patch (tools/lodger-run --patch / --no-patch): 0 or 1. */
static void patch_switch(void **state)
{
    (void)state;
    for (int want = 0; want <= 1; want++) {
        struct fit_spec s = fit_default();
        s.patch = want;
        uint8_t *fit = fit_build(&s);
        struct vm_image img;
        char err[256] = "";
        assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
        assert_int_equal(img.patch, want);
        free(fit);
    }
    struct fit_spec s = fit_default();
    s.patch = 2;
    assert_refused(&s, "lodger,patch is 2");
}

static void bootargs_length(void **state)
{
    (void)state;
    char args[IMAGE_BOOTARGS_MAX + 1];
    memset(args, 'x', sizeof(args));
    struct fit_spec s = fit_default();
    s.bootargs = args;

    args[IMAGE_BOOTARGS_MAX - 1] = 0;   /* 1023 characters: the most that fit */
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
    assert_int_equal(strlen(img.bootargs), IMAGE_BOOTARGS_MAX - 1);
    free(fit);

    args[IMAGE_BOOTARGS_MAX - 1] = 'x';
    args[IMAGE_BOOTARGS_MAX] = 0;       /* 1024 characters */
    assert_refused(&s, "bootargs longer than 1023 bytes");
}

static void bootargs_must_be_terminated(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.bootargs = "console=hvc0";
    s.bootargs_len = 12;                /* without its NUL */
    assert_refused(&s, "not terminated");
}

/* An empty property is not a terminated string. The verdict must not depend
 * on the bytes before the value: libfdt's sequential-write API puts the
 * newest name at strings offset 0, so the name offset just before the value
 * is 0 without lodger,first-portion and not 0 with it. */
static void empty_bootargs_is_refused(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.bootargs = "";
    s.bootargs_len = 0;
    assert_refused(&s, "not terminated");
    s.first_portion = true;
    s.first_portion_va = 0xffffffc000000000UL;
    assert_refused(&s, "not terminated");
}

static void fdt_part_must_be_a_device_tree(void **state)
{
    (void)state;
    uint8_t dt[256];
    assert_int_equal(fdt_create_empty_tree(dt, sizeof(dt)), 0);
    assert_int_equal(fdt_pack(dt), 0);
    struct fit_spec s = fit_default();
    s.fdt_part = dt;
    s.fdt_part_size = fdt_totalsize(dt);
    uint8_t *fit = fit_build(&s);
    struct vm_image img;
    char err[256] = "";
    assert_int_equal(image_parse(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
    assert_int_equal(img.fdt.size, fdt_totalsize(dt));
    assert_memory_equal(img.fdt.data, dt, fdt_totalsize(dt));
    free(fit);

    s.fdt_part = "not a device tree, but long enough for a header";
    s.fdt_part_size = 48;
    assert_refused(&s, "image 'fdt' is not a valid device tree");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_image_has_every_field),
        cmocka_unit_test(optional_fields_have_defaults),
        cmocka_unit_test(blob_in_a_larger_buffer),
        cmocka_unit_test(kernel_hash_mismatch),
        cmocka_unit_test(ramdisk_hash_mismatch),
        cmocka_unit_test(corrupted_data_is_caught),
        cmocka_unit_test(missing_hash),
        cmocka_unit_test(sha256_hash_without_a_valid_value),
        cmocka_unit_test(sha256_after_another_hash),
        cmocka_unit_test(truncated_blob),
        cmocka_unit_test(not_a_device_tree),
        cmocka_unit_test(corrupted_structure),
        cmocka_unit_test(missing_kernel),
        cmocka_unit_test(missing_configuration),
        cmocka_unit_test(compression_must_be_none),
        cmocka_unit_test(missing_load_address),
        cmocka_unit_test(memory_size_range),
        cmocka_unit_test(memory_size_zero),
        cmocka_unit_test(vcpu_count_range),
        cmocka_unit_test(patch_switch),
        cmocka_unit_test(bootargs_length),
        cmocka_unit_test(bootargs_must_be_terminated),
        cmocka_unit_test(empty_bootargs_is_refused),
        cmocka_unit_test(fdt_part_must_be_a_device_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
