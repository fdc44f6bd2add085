/* Fuzzes the host device-tree reader (src/core/hostdt.c) with any blob
 * whose header's total size fits the input (lodger is handed the tree's
 * address by the firmware, and the header says how long it is). The
 * counts it returns must stay within its arrays, and strings terminated. */
#include "fuzz.h"
#include <libfdt.h>
#include "core/hostdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < sizeof(struct fdt_header) || fdt_totalsize(data) > size)
        return 0;
    size_t total = fdt_totalsize(data);
    uint8_t *blob = malloc(total ? total : 1);
    memcpy(blob, data, total);
    struct host_info info;
    if (hostdt_parse(blob, &info) == 0) {
        FUZZ_CHECK(info.mem_count >= 0 && info.mem_count <= HOST_MAX_MEM);
        FUZZ_CHECK(info.reserved_count >= 0 && info.reserved_count <= HOST_MAX_RESERVED);
        FUZZ_CHECK(info.hart_count >= 0 && info.hart_count <= HOST_MAX_HARTS);
        FUZZ_CHECK(memchr(info.model, 0, sizeof(info.model)) != NULL);
        for (int i = 0; i < info.hart_count; i++) {
            FUZZ_CHECK(memchr(info.harts[i].isa, 0, sizeof(info.harts[i].isa)) != NULL);
            FUZZ_CHECK(memchr(info.harts[i].mmu_type, 0, sizeof(info.harts[i].mmu_type)) != NULL);
        }
    }
    free(blob);
    return 0;
}
