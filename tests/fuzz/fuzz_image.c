/* Fuzzes the VM image parser (src/core/image.c): the FIT that the user
 * hands lodger as its initrd, every byte of it. The input is copied into a
 * buffer of exactly its size, so ASan catches any read past its end; an
 * image that parses has every VM's parts inside the blob and sane settings,
 * and a refusal is one line. */
#include "fuzz.h"
#include "core/image.h"

static bool inside(const struct image_blob *b, const uint8_t *blob, size_t size)
{
    if (!b->data)
        return b->size == 0;
    return b->data >= blob && b->size <= size && (size_t)(b->data - blob) <= size - b->size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *blob = malloc(size ? size : 1);
    memcpy(blob, data, size);
    static struct image_set set;
    char err[160];
    err[0] = 0;
    if (image_parse(blob, size, &set, err, sizeof(err)) == 0) {
        FUZZ_CHECK(set.count >= 1 && set.count <= LODGER_MAX_VMS);
        FUZZ_CHECK(set.console_vm < set.count);
        for (unsigned i = 0; i < set.count; i++) {
            const struct vm_image *img = &set.vm[i];
            FUZZ_CHECK(inside(&img->kernel, blob, size));
            FUZZ_CHECK(inside(&img->initrd, blob, size));
            FUZZ_CHECK(inside(&img->fdt, blob, size));
            FUZZ_CHECK(img->kernel.data != NULL);
            FUZZ_CHECK(img->vcpus >= 1 && img->vcpus <= LODGER_MAX_VCPUS);
            FUZZ_CHECK(img->mem_size >= (1UL << 20));
            FUZZ_CHECK(img->hart_count <= LODGER_MAX_HARTS);
            for (unsigned k = 0; k < img->hart_count; k++)
                for (unsigned j = 0; j < k; j++)
                    FUZZ_CHECK(img->harts[j] != img->harts[k]);
            FUZZ_CHECK(memchr(img->bootargs, 0, sizeof(img->bootargs)) != NULL);
        }
    } else {
        FUZZ_CHECK(memchr(err, 0, sizeof(err)) != NULL && err[0] != 0);
        FUZZ_CHECK(strchr(err, '\n') == NULL);
    }
    free(blob);
    return 0;
}
