/* Host tests for src/core/image.c: parsing and checking FIT VM images.
 * The FITs are written here with libfdt's sequential-write API, laid out as
 * tools/lodger-run's its_text() and mkimage make them. */
#define _GNU_SOURCE     /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "core/image.h"
#include "core/shadow_pool.h"
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
    int extra_vms;                  /* configurations vm1.. after "vm", kernel = "kernel" */
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

/* The parser on an image of one VM: its configuration into img. */
static struct image_set parsed;
static int parse_one(const void *blob, size_t size, struct vm_image *img, char *err, size_t errlen)
{
    int rc = image_parse(blob, size, &parsed, err, errlen);
    if (rc == 0) {
        assert_int_equal(parsed.count, 1);
        assert_int_equal(parsed.console_vm, 0);
        *img = parsed.vm[0];
    }
    return rc;
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
        for (int i = 1; i <= s->extra_vms; i++) {
            char name[16];
            snprintf(name, sizeof(name), "vm%d", i);
            assert_int_equal(fdt_begin_node(fit, name), 0);
            assert_int_equal(fdt_property_string(fit, "kernel", "kernel"), 0);
            assert_int_equal(fdt_end_node(fit), 0);
        }
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
    int rc = parse_one(fit, fdt_totalsize(fit), &img, err, errlen);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
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
    assert_int_equal(parse_one(fit, FIT_SPACE, &img, err, sizeof(err)), 0);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
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
    assert_int_equal(parse_one(fit, half, &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(parse_one(fit, fdt_totalsize(fit) - 1, &img, err, sizeof(err)), -1);
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
    assert_int_equal(parse_one(junk, sizeof(junk), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a VM image"));
    /* Shorter than a header: the magic alone is not enough. */
    const uint8_t magic[] = { 0xd0, 0x0d, 0xfe, 0xed };
    assert_int_equal(parse_one(magic, sizeof(magic), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a VM image"));
    assert_int_equal(parse_one(junk, 0, &img, err, sizeof(err)), -1);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "memory size 0 MiB is out of range"));
    /* Same for zero vCPUs. */
    assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
    assert_int_equal(fdt_setprop_u32(fit, conf, "lodger,memory-mib", 64), 0);
    assert_int_equal(fdt_setprop_u32(fit, conf, "lodger,vcpus", 0), 0);
    assert_int_equal(fdt_pack(fit), 0);
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "vCPU count 0 is out of range"));
    free(fit);
}

static void vcpu_count_range(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.vcpus = LODGER_MAX_VCPUS;
    assert_accepted(&s);
    s.vcpus = LODGER_MAX_VCPUS + 1;
    assert_refused(&s, "vm0: lodger,vcpus: vCPU count 15 is out of range (1..14)");
}

/* lodger,patch (tools/lodger-run --patch / --no-patch): 0 or 1. */
static void patch_switch(void **state)
{
    (void)state;
    for (int want = 0; want <= 1; want++) {
        struct fit_spec s = fit_default();
        s.patch = want;
        uint8_t *fit = fit_build(&s);
        struct image_set set;
        char err[256] = "";
        assert_int_equal(image_parse(fit, fdt_totalsize(fit), &set, err, sizeof(err)), 0);
        assert_int_equal(set.vm[0].patch, want);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
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
    assert_int_equal(parse_one(fit, fdt_totalsize(fit), &img, err, sizeof(err)), 0);
    assert_int_equal(img.fdt.size, fdt_totalsize(dt));
    assert_memory_equal(img.fdt.data, dt, fdt_totalsize(dt));
    free(fit);

    s.fdt_part = "not a device tree, but long enough for a header";
    s.fdt_part_size = 48;
    assert_refused(&s, "image 'fdt' is not a valid device tree");
}

/* Several VMs: fit_spec's extra_vms configurations, edited in place. */
static uint8_t *fit_of_vms(int count)
{
    struct fit_spec s = fit_default();
    s.extra_vms = count - 1;
    uint8_t *fit = fit_build(&s);
    assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
    return fit;
}

static int conf_of(const uint8_t *fit, const char *name)
{
    char path[64];
    snprintf(path, sizeof(path), "/configurations/%s", name);
    int conf = fdt_path_offset(fit, path);
    assert_true(conf >= 0);
    return conf;
}

static void set_u32(uint8_t *fit, const char *conf, const char *prop, uint32_t value)
{
    assert_int_equal(fdt_setprop_u32(fit, conf_of(fit, conf), prop, value), 0);
}

static int parse_fit(uint8_t *fit, char *err, size_t errlen)
{
    assert_int_equal(fdt_pack(fit), 0);
    err[0] = 0;
    return image_parse(fit, fdt_totalsize(fit), &parsed, err, errlen);
}

static void refused_fit(uint8_t *fit, const char *want)
{
    char err[256];
    assert_int_equal(parse_fit(fit, err, sizeof(err)), -1);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    assert_null(strchr(err, '\n'));
    free(fit);
}

/* Names and strings come from the image: a refusal that quotes them stays
 * one printable line (a fuzzer found a newline passed through), and a
 * string property without its NUL is refused, not read past. */
static void image_strings_are_checked(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    char err[256];
    s.compression = "gz\nip\x1b";
    assert_int_equal(parse_spec(&s, err, sizeof(err)), -1);
    if (!strstr(err, "compression 'gz?ip?' is not supported"))
        fail_msg("error \"%s\"", err);

    static const struct { const char *path, *prop, *want; } cases[] = {
        { "/images/kernel", "compression", "image 'kernel': compression is not a string" },
        { "/images/kernel/hash-1", "algo", "image 'kernel': a hash node's algo is not a string" },
        { "/configurations/vm", "kernel", "vm0: configuration's kernel is not a string" },
        { "/configurations", "default", "default configuration is not a string" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = fit_default();
        s.default_conf = "vm";
        uint8_t *fit = fit_build(&s);
        assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
        int node = fdt_path_offset(fit, cases[i].path);
        assert_true(node >= 0);
        /* The value without its NUL, and then one with a NUL inside. */
        assert_int_equal(fdt_setprop(fit, node, cases[i].prop, "vmkernel", 8), 0);
        uint8_t *copy = malloc(FIT_SPACE);
        memcpy(copy, fit, FIT_SPACE);
        refused_fit(fit, cases[i].want);
        assert_int_equal(fdt_setprop(copy, node, cases[i].prop, "vm\0kernel", 10), 0);
        refused_fit(copy, cases[i].want);
    }
}

/* lodger,shadow-pages (tools/lodger-run shadow-pages=): the VM's shadow
 * page budget, 0 (the default) when absent; a number out of range is
 * refused before lodger reserves anything for it. */
static void shadow_pages_range(void **state)
{
    (void)state;
    static const struct { uint32_t pages; bool ok; } cases[] = {
        { SHADOW_POOL_MIN_PAGES, true }, { 1000, true }, { SHADOW_POOL_MAX_PAGES, true },
        { 0, false }, { SHADOW_POOL_MIN_PAGES - 1, false }, { SHADOW_POOL_MAX_PAGES + 1, false },
        { 0xffffffffu, false },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fit_spec s = fit_default();
        s.extra_vms = 1;
        uint8_t *fit = fit_build(&s);
        assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
        set_u32(fit, "vm1", "lodger,shadow-pages", cases[i].pages);
        if (!cases[i].ok) {
            refused_fit(fit, "vm1: lodger,shadow-pages: ");
            continue;
        }
        char err[256];
        assert_int_equal(parse_fit(fit, err, sizeof(err)), 0);
        assert_int_equal(parsed.vm[0].shadow_pages, 0);
        assert_int_equal(parsed.vm[1].shadow_pages, cases[i].pages);
        free(fit);
    }
}

static void several_vms_in_node_order(void **state)
{
    (void)state;
    struct fit_spec s = fit_default();
    s.ramdisk = true;
    s.extra_vms = 2;
    uint8_t *fit = fit_build(&s);
    assert_int_equal(fdt_open_into(fit, fit, FIT_SPACE), 0);
    set_u32(fit, "vm1", "lodger,memory-mib", 32);
    set_u32(fit, "vm1", "lodger,vcpus", 3);
    assert_int_equal(fdt_setprop_string(fit, conf_of(fit, "vm1"), "lodger,bootargs", "vm.tag=b"), 0);
    fdt32_t harts[2] = { cpu_to_fdt32(2), cpu_to_fdt32(0) };
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm2"), "lodger,harts", harts, sizeof(harts)), 0);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm2"), "lodger,console-input", NULL, 0), 0);
    char err[256];
    if (parse_fit(fit, err, sizeof(err)))
        fail_msg("refused: %s", err);
    assert_int_equal(parsed.count, 3);
    assert_int_equal(parsed.console_vm, 2);
    assert_int_equal(parsed.vm[0].mem_size, 64UL << 20);
    assert_int_equal(parsed.vm[0].initrd.size, sizeof(ramdisk_data));
    assert_int_equal(parsed.vm[0].hart_count, 0);
    assert_int_equal(parsed.vm[1].mem_size, 32UL << 20);
    assert_int_equal(parsed.vm[1].vcpus, 3);
    assert_string_equal(parsed.vm[1].bootargs, "vm.tag=b");
    assert_null(parsed.vm[1].initrd.data);
    assert_int_equal(parsed.vm[2].mem_size, (uint64_t)IMAGE_DEFAULT_MEM_MIB << 20);
    assert_int_equal(parsed.vm[2].vcpus, 1);
    assert_int_equal(parsed.vm[2].hart_count, 2);
    assert_int_equal(parsed.vm[2].harts[0], 2);
    assert_int_equal(parsed.vm[2].harts[1], 0);
    /* One kernel image, named by all three: used in place by each. */
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(parsed.vm[i].kernel.data, parsed.vm[0].kernel.data);
        assert_int_equal(parsed.vm[i].kernel_load, 0x80200000);
    }
    free(fit);
}

static void at_most_eight_vms(void **state)
{
    (void)state;
    char err[256];
    uint8_t *fit = fit_of_vms(LODGER_MAX_VMS);
    if (parse_fit(fit, err, sizeof(err)))
        fail_msg("refused: %s", err);
    assert_int_equal(parsed.count, LODGER_MAX_VMS);
    assert_int_equal(parsed.console_vm, 0);
    free(fit);
    refused_fit(fit_of_vms(LODGER_MAX_VMS + 1), "too many VMs: more than 8 configurations");
}

static void two_vms_claim_the_console(void **state)
{
    (void)state;
    uint8_t *fit = fit_of_vms(3);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm"), "lodger,console-input", NULL, 0), 0);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm2"), "lodger,console-input", NULL, 0), 0);
    refused_fit(fit, "vm2: lodger,console-input: vm0 has the console input already");
}

/* Each refusal names the VM (its place among the configurations) and the
 * property, on one line. */
static void errors_name_the_vm_and_field(void **state)
{
    (void)state;
    uint8_t *fit = fit_of_vms(3);
    set_u32(fit, "vm2", "lodger,vcpus", 15);
    refused_fit(fit, "vm2: lodger,vcpus: vCPU count 15 is out of range (1..14)");

    fit = fit_of_vms(2);
    set_u32(fit, "vm1", "lodger,memory-mib", 0);
    refused_fit(fit, "vm1: lodger,memory-mib: memory size 0 MiB is out of range");

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop_string(fit, conf_of(fit, "vm1"), "kernel", "linux"), 0);
    refused_fit(fit, "vm1: configuration names kernel 'linux', which is not in /images");

    fit = fit_of_vms(2);
    assert_int_equal(fdt_delprop(fit, conf_of(fit, "vm1"), "kernel"), 0);
    refused_fit(fit, "vm1: configuration has no kernel");

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,bootargs", "x", 1), 0);
    refused_fit(fit, "vm1: lodger,bootargs: bootargs longer than 1023 bytes or not terminated");
}

/* lodger,disk: kept as written when well formed, refused naming the VM when not. */
static void disk_specs(void **state)
{
    (void)state;
    char err[256];
    uint8_t *fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop_string(fit, conf_of(fit, "vm1"), "lodger,disk", "0p2:ro"), 0);
    if (parse_fit(fit, err, sizeof(err)))
        fail_msg("refused: %s", err);
    assert_string_equal(parsed.vm[0].disk, "");
    assert_string_equal(parsed.vm[1].disk, "0p2:ro");
    free(fit);

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop_string(fit, conf_of(fit, "vm1"), "lodger,disk", "0@1000+4K"), 0);
    refused_fit(fit, "vm1: lodger,disk \"0@1000+4K\": START and LEN are whole 512-byte sectors");
    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop_string(fit, conf_of(fit, "vm1"), "lodger,disk", "0q1"), 0);
    refused_fit(fit, "vm1: lodger,disk \"0q1\": unexpected \"q1\"");
    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,disk", "0", 1), 0);
    refused_fit(fit, "vm1: lodger,disk: not a string");
}

static void hart_lists(void **state)
{
    (void)state;
    fdt32_t harts[LODGER_MAX_HARTS + 1];
    for (int i = 0; i <= LODGER_MAX_HARTS; i++)
        harts[i] = cpu_to_fdt32((uint32_t)i);
    char err[256];

    uint8_t *fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,harts", harts,
                                 LODGER_MAX_HARTS * 4), 0);
    if (parse_fit(fit, err, sizeof(err)))
        fail_msg("refused: %s", err);
    assert_int_equal(parsed.vm[1].hart_count, LODGER_MAX_HARTS);
    assert_int_equal(parsed.vm[1].harts[LODGER_MAX_HARTS - 1], LODGER_MAX_HARTS - 1);
    free(fit);

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,harts", harts,
                                 (LODGER_MAX_HARTS + 1) * 4), 0);
    refused_fit(fit, "vm1: lodger,harts: must list 1 to 16 hart ids");

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,harts", NULL, 0), 0);
    refused_fit(fit, "vm1: lodger,harts: must list 1 to 16 hart ids");

    fit = fit_of_vms(1);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm"), "lodger,harts", harts, 6), 0);
    refused_fit(fit, "vm0: lodger,harts: must list 1 to 16 hart ids");

    fit = fit_of_vms(1);
    fdt32_t twice[3] = { cpu_to_fdt32(1), cpu_to_fdt32(3), cpu_to_fdt32(1) };
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm"), "lodger,harts", twice, sizeof(twice)), 0);
    refused_fit(fit, "vm0: lodger,harts: hart 1 is listed twice");
}

static void set_net(uint8_t *fit, const char *conf, const uint8_t *mac, int len)
{
    assert_int_equal(fdt_setprop(fit, conf_of(fit, conf), "lodger,net", NULL, 0), 0);
    if (mac)
        assert_int_equal(fdt_setprop(fit, conf_of(fit, conf), "lodger,mac", mac, len), 0);
}

/* lodger,net gives a VM a network card, with lodger,mac or the default
 * 52:54:00:4c:44:<vm number>; addresses no card can have, and two VMs
 * with one address, are refused. */
static void network_cards(void **state)
{
    (void)state;
    char err[256];
    const uint8_t mine[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x07};
    uint8_t *fit = fit_of_vms(3);
    set_net(fit, "vm", NULL, 0);
    set_net(fit, "vm2", mine, 6);
    if (parse_fit(fit, err, sizeof(err)))
        fail_msg("refused: %s", err);
    const uint8_t def0[6] = {0x52, 0x54, 0x00, 0x4c, 0x44, 0x00};
    assert_true(parsed.vm[0].net);
    assert_memory_equal(parsed.vm[0].mac, def0, 6);
    assert_false(parsed.vm[1].net);
    assert_true(parsed.vm[2].net);
    assert_memory_equal(parsed.vm[2].mac, mine, 6);
    free(fit);

    /* The default of vm2 is ...:02; vm0 may not take it. */
    fit = fit_of_vms(3);
    const uint8_t vm2s[6] = {0x52, 0x54, 0x00, 0x4c, 0x44, 0x02};
    set_net(fit, "vm", vm2s, 6);
    set_net(fit, "vm2", NULL, 0);
    refused_fit(fit, "vm2: lodger,mac: 52:54:00:4c:44:02 is vm0's already");

    fit = fit_of_vms(2);
    assert_int_equal(fdt_setprop(fit, conf_of(fit, "vm1"), "lodger,mac", mine, 6), 0);
    refused_fit(fit, "vm1: lodger,mac without lodger,net");

    fit = fit_of_vms(1);
    set_net(fit, "vm", mine, 5);
    refused_fit(fit, "vm0: lodger,mac: must be 6 bytes");

    const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, zero[6] = {0};
    fit = fit_of_vms(1);
    set_net(fit, "vm", group, 6);
    refused_fit(fit, "vm0: lodger,mac: 01:00:5e:00:00:01 is a multicast address");
    fit = fit_of_vms(1);
    set_net(fit, "vm", zero, 6);
    refused_fit(fit, "vm0: lodger,mac: 00:00:00:00:00:00 is no card's address");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_image_has_every_field),
        cmocka_unit_test(network_cards),
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
        cmocka_unit_test(image_strings_are_checked),
        cmocka_unit_test(missing_load_address),
        cmocka_unit_test(memory_size_range),
        cmocka_unit_test(memory_size_zero),
        cmocka_unit_test(vcpu_count_range),
        cmocka_unit_test(patch_switch),
        cmocka_unit_test(shadow_pages_range),
        cmocka_unit_test(bootargs_length),
        cmocka_unit_test(bootargs_must_be_terminated),
        cmocka_unit_test(empty_bootargs_is_refused),
        cmocka_unit_test(fdt_part_must_be_a_device_tree),
        cmocka_unit_test(several_vms_in_node_order),
        cmocka_unit_test(at_most_eight_vms),
        cmocka_unit_test(two_vms_claim_the_console),
        cmocka_unit_test(errors_name_the_vm_and_field),
        cmocka_unit_test(hart_lists),
        cmocka_unit_test(disk_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
