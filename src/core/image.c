#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "core/image.h"
#include "dev/disk_slice.h"
#include "core/sha256.h"
#include "core/shadow_pool.h"

/* A refusal is one printable line: names in it come from the image, which
 * may hold any byte (a newline would forge a second console line). */
static void refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}

#define FAIL(...) do { refuse(err, errlen, __VA_ARGS__); return -1; } while (0)

/* A string property, or NULL if absent; *bad if present but not one
 * NUL-terminated string (libfdt does not check that: strcmp on it would run
 * past the property). */
static const char *prop_string(const void *fit, int node, const char *prop, bool *bad)
{
    int len;
    const char *s = fdt_getprop(fit, node, prop, &len);
    *bad = s && (len < 1 || s[len - 1] || strlen(s) != (size_t)len - 1);
    return *bad ? NULL : s;
}

static uint64_t read_number(const void *fit, int node, const char *name, bool *found)
{
    int len;
    const fdt32_t *p = fdt_getprop(fit, node, name, &len);
    *found = p && (len == 4 || len == 8);
    if (!*found)
        return 0;
    return len == 4 ? fdt32_to_cpu(p[0])
                    : ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
}

static int check_hash(const void *fit, int node, const char *name, const struct image_blob *b,
                      char *err, size_t errlen)
{
    int sub;
    bool checked = false;
    fdt_for_each_subnode(sub, fit, node) {
        const char *sub_name = fdt_get_name(fit, sub, NULL);
        if (!sub_name || strncmp(sub_name, "hash", 4))
            continue;
        bool bad;
        const char *algo = prop_string(fit, sub, "algo", &bad);
        if (bad)
            FAIL("image '%s': a hash node's algo is not a string", name);
        int len;
        const uint8_t *value = fdt_getprop(fit, sub, "value", &len);
        if (!algo || strcmp(algo, "sha256"))
            continue;
        if (!value || len != SHA256_DIGEST_SIZE)
            FAIL("image '%s': sha256 hash node has no valid value", name);
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256(b->data, b->size, digest);
        if (memcmp(digest, value, SHA256_DIGEST_SIZE))
            FAIL("image '%s': sha256 mismatch: the image is corrupted", name);
        checked = true;
    }
    if (!checked)
        FAIL("image '%s' has no sha256 hash: rebuild it with tools/lodger-run", name);
    return 0;
}

/* Finds the image named by property prop of the configuration; fills b. */
static int load_part(const void *fit, int conf, const char *prop, bool required,
                     struct image_blob *b, int *node_out, char *err, size_t errlen)
{
    bool bad;
    const char *name = prop_string(fit, conf, prop, &bad);
    *node_out = -1;
    b->data = NULL;
    b->size = 0;
    if (bad)
        FAIL("configuration's %s is not a string", prop);
    if (!name) {
        if (required)
            FAIL("configuration has no %s", prop);
        return 0;
    }
    int images = fdt_path_offset(fit, "/images");
    int node = images < 0 ? images : fdt_subnode_offset(fit, images, name);
    if (node < 0)
        FAIL("configuration names %s '%s', which is not in /images", prop, name);
    int len;
    const void *data = fdt_getprop(fit, node, "data", &len);
    if (!data)
        FAIL("image '%s' has no data (external data is not supported)", name);
    const char *comp = prop_string(fit, node, "compression", &bad);
    if (bad)
        FAIL("image '%s': compression is not a string", name);
    if (comp && strcmp(comp, "none"))
        FAIL("image '%s': compression '%s' is not supported (use none)", name, comp);
    b->data = data;
    b->size = (size_t)len;
    *node_out = node;
    return check_hash(fit, node, name, b, err, errlen);
}

/* One VM's configuration node into img; err without the VM's name. */
static int parse_vm(const void *blob, int conf, struct vm_image *img, char *err, size_t errlen)
{
    int kernel_node, node;
    if (load_part(blob, conf, "kernel", true, &img->kernel, &kernel_node, err, errlen) ||
        load_part(blob, conf, "ramdisk", false, &img->initrd, &node, err, errlen) ||
        load_part(blob, conf, "fdt", false, &img->fdt, &node, err, errlen))
        return -1;
    if (img->fdt.data && fdt_check_full(img->fdt.data, img->fdt.size))
        FAIL("image 'fdt' is not a valid device tree");

    bool found;
    img->kernel_load = read_number(blob, kernel_node, "load", &found);
    if (!found)
        FAIL("kernel image has no load address");
    img->kernel_entry = read_number(blob, kernel_node, "entry", &found);
    if (!found)
        img->kernel_entry = img->kernel_load;

    uint64_t mib = read_number(blob, conf, "lodger,memory-mib", &found);
    img->mem_size = (found ? mib : IMAGE_DEFAULT_MEM_MIB) << 20;
    if (found && (mib < 1 || mib > (1UL << 20)))
        FAIL("lodger,memory-mib: memory size %llu MiB is out of range (1..%lu)",
             (unsigned long long)mib, 1UL << 20);
    uint64_t vcpus = read_number(blob, conf, "lodger,vcpus", &found);
    img->vcpus = found ? (unsigned)vcpus : 1;
    if (found && (vcpus < 1 || vcpus > LODGER_MAX_VCPUS))
        FAIL("lodger,vcpus: vCPU count %llu is out of range (1..%d)", (unsigned long long)vcpus,
             LODGER_MAX_VCPUS);

    int len;
    const char *args = fdt_getprop(blob, conf, "lodger,bootargs", &len);
    if (args) {
        if (len < 1 || len > IMAGE_BOOTARGS_MAX || args[len - 1])
            FAIL("lodger,bootargs: bootargs longer than %d bytes or not terminated",
                 IMAGE_BOOTARGS_MAX - 1);
        memcpy(img->bootargs, args, (size_t)len);
    }
    img->first_portion_va = read_number(blob, conf, "lodger,first-portion", &found);
    img->first_portion_forced = found;
    uint64_t patch = read_number(blob, conf, "lodger,patch", &found);
    if (found && patch > 1)
        FAIL("lodger,patch is %llu (0 or 1)", (unsigned long long)patch);
    img->patch = found ? patch == 1 : IMAGE_DEFAULT_PATCH;
    uint64_t shadow_pages = read_number(blob, conf, "lodger,shadow-pages", &found);
    if (found && !shadow_pool_pages_valid(shadow_pages))
        FAIL("lodger,shadow-pages: %llu pages is out of range (%lu..%lu)",
             (unsigned long long)shadow_pages, SHADOW_POOL_MIN_PAGES, SHADOW_POOL_MAX_PAGES);
    img->shadow_pages = found ? shadow_pages : 0;

    const char *disk = fdt_getprop(blob, conf, "lodger,disk", &len);
    if (disk) {
        struct disk_spec spec;
        char why[128];
        if (len < 2 || len > IMAGE_DISK_MAX || disk[len - 1])
            FAIL("lodger,disk: not a string of at most %d bytes", IMAGE_DISK_MAX - 1);
        if (!disk_spec_parse(disk, &spec, why, sizeof(why)))
            FAIL("lodger,disk %s", why);
        memcpy(img->disk, disk, (size_t)len);
    }

    const fdt32_t *harts = fdt_getprop(blob, conf, "lodger,harts", &len);
    if (harts) {
        if (len <= 0 || len % 4 || len / 4 > LODGER_MAX_HARTS)
            FAIL("lodger,harts: must list 1 to %d hart ids (u32 cells)", LODGER_MAX_HARTS);
        img->hart_count = (unsigned)len / 4;
        for (unsigned i = 0; i < img->hart_count; i++) {
            img->harts[i] = fdt32_to_cpu(harts[i]);
            for (unsigned k = 0; k < i; k++)
                if (img->harts[k] == img->harts[i])
                    FAIL("lodger,harts: hart %u is listed twice", (unsigned)img->harts[i]);
        }
    }

    img->net = fdt_getprop(blob, conf, "lodger,net", NULL) != NULL;
    const uint8_t *mac = fdt_getprop(blob, conf, "lodger,mac", &len);
    if (mac) {
        static const uint8_t zero[6];
        if (!img->net)
            FAIL("lodger,mac without lodger,net: the VM has no network card");
        if (len != 6)
            FAIL("lodger,mac: must be 6 bytes");
        if (mac[0] & 1)     /* IEEE 802 I/G bit: a group address is no card's */
            FAIL("lodger,mac: %02x:%02x:%02x:%02x:%02x:%02x is a multicast address", mac[0],
                 mac[1], mac[2], mac[3], mac[4], mac[5]);
        if (!memcmp(mac, zero, 6))
            FAIL("lodger,mac: 00:00:00:00:00:00 is no card's address");
        memcpy(img->mac, mac, 6);
    }
    return 0;
}

int image_parse(const void *blob, size_t size, struct image_set *set, char *err, size_t errlen)
{
    memset(set, 0, sizeof(*set));
    if (size < sizeof(struct fdt_header) || fdt_magic(blob) != FDT_MAGIC)
        FAIL("not a VM image (no FIT/device-tree magic)");
    if (fdt_totalsize(blob) > size)
        FAIL("VM image truncated: %zu bytes present, header says %u", size,
             (unsigned)fdt_totalsize(blob));
    int rc = fdt_check_full(blob, fdt_totalsize(blob));
    if (rc)
        FAIL("VM image is corrupted: %s", fdt_strerror(rc));

    int confs = fdt_path_offset(blob, "/configurations");
    if (confs < 0)
        FAIL("VM image has no /configurations");
    /* FIT's default names one configuration; lodger boots every one, but a
     * default that names none is a broken image. */
    bool bad;
    const char *def = prop_string(blob, confs, "default", &bad);
    if (bad)
        FAIL("VM image's default configuration is not a string");
    if (def && fdt_subnode_offset(blob, confs, def) < 0)
        FAIL("VM image has no usable configuration: default '%s' is not in /configurations", def);

    int conf;
    bool console_claimed = false;
    fdt_for_each_subnode(conf, blob, confs) {
        unsigned i = set->count;
        if (i == LODGER_MAX_VMS)
            FAIL("too many VMs: more than %d configurations", LODGER_MAX_VMS);
        char why[160];
        if (parse_vm(blob, conf, &set->vm[i], why, sizeof(why)))
            FAIL("vm%u: %s", i, why);
        const uint8_t *mac = set->vm[i].mac;
        if (set->vm[i].net && !fdt_getprop(blob, conf, "lodger,mac", NULL)) {
            const uint8_t def[6] = {IMAGE_DEFAULT_MAC, (uint8_t)i};
            memcpy(set->vm[i].mac, def, 6);
        }
        for (unsigned k = 0; set->vm[i].net && k < i; k++)
            if (set->vm[k].net && !memcmp(set->vm[k].mac, mac, 6))
                FAIL("vm%u: lodger,mac: %02x:%02x:%02x:%02x:%02x:%02x is vm%u's already", i,
                     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], k);
        if (fdt_getprop(blob, conf, "lodger,console-input", NULL)) {
            if (console_claimed)
                FAIL("vm%u: lodger,console-input: vm%u has the console input already", i,
                     set->console_vm);
            console_claimed = true;
            set->console_vm = i;
        }
        set->count++;
    }
    if (!set->count)
        FAIL("VM image has no usable configuration");
    return 0;
}
