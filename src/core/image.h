/* VM images: a FIT (U-Boot flattened image tree) that holds the guest's
 * kernel, optional initrd and DT, and the VM's settings, each image checked
 * against its sha256 hash. Built by tools/lodger-run with mkimage; read here
 * with libfdt. Pure C; host-tested in tests/host/test_image.c. */
#ifndef LODGER_CORE_IMAGE_H
#define LODGER_CORE_IMAGE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define IMAGE_BOOTARGS_MAX 1024
#define IMAGE_DEFAULT_MEM_MIB 128
/* Patching of the guest kernel's trapping code (core/patch.h) only if the
 * image says lodger,patch = <1> (tools/lodger-run --patch): it halves a
 * system call's cost but doubles fork's for now (docs/BENCHMARKS.md). */
#define IMAGE_DEFAULT_PATCH false

struct image_blob {
    const uint8_t *data;
    size_t size;
};

struct vm_image {
    struct image_blob kernel, initrd, fdt;
    uint64_t kernel_load, kernel_entry;
    uint64_t mem_size;
    unsigned vcpus;
    char bootargs[IMAGE_BOOTARGS_MAX];
    bool first_portion_forced;
    uint64_t first_portion_va;
    bool patch;                 /* patch the guest kernel's trapping code (core/patch.h) */
};

/* Parses and verifies the FIT in [blob, blob+size). Returns 0, or -1 with a
 * one-line reason in err. */
int image_parse(const void *blob, size_t size, struct vm_image *img, char *err, size_t errlen);

#endif
