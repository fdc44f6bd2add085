/* Fuzzes the guest page-table walker (src/core/guest_walk.c): the guest's
 * tables are whatever the input says, in 8 pages of guest RAM at RAM_BASE
 * (each PTE's PPN often pointed back into them), with any satp, address,
 * access type and SUM/MXR. The walker must read only RAM it was handed,
 * and a translation must keep the address's offset within its page. */
#include "fuzz.h"
#include "core/guest_walk.h"

#define RAM_BASE 0x80000000UL
#define RAM_PAGES 8
#define RAM_SIZE (RAM_PAGES * 4096UL)

static void *gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    uint8_t *ram = (uint8_t *)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
        return NULL;
    return ram + (gpa - RAM_BASE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    uint64_t *ram = calloc(1, RAM_SIZE);
    uint64_t satp = fuzz_u64(&in), va = fuzz_u64(&in);
    uint8_t flags = fuzz_u8(&in);
    /* Mostly a real mode (Sv39/48/57) with the root in RAM. */
    if (flags & 1)
        satp = (8UL + (satp >> 60) % 3) << 60 | (satp & 0xffffUL << 44) |
               (RAM_BASE >> 12) + ((satp >> 2) % RAM_PAGES);
    /* PTEs: each one's PPN aimed into RAM unless its top byte says otherwise. */
    for (size_t i = 0; i < RAM_SIZE / 8 && in.size; i++) {
        uint64_t pte = fuzz_u64(&in);
        if (!(pte >> 63))
            pte = (pte & 0xffc00000000003ffUL) |
                  ((RAM_BASE >> 12) + ((pte >> 10) % RAM_PAGES)) << 10;
        ram[i] = pte;
    }
    struct walk_memory mem = { gpa_to_host, ram };
    struct walk_request req = {
        .satp = satp, .va = va, .access = (enum access_type)((flags >> 1) % 3),
        .user = flags & 8, .sum = flags & 16, .mxr = flags & 32, .update_ad = flags & 64,
    };
    struct walk_result res;
    memset(&res, 0, sizeof(res));
    enum walk_status st = guest_walk(&mem, &req, &res);
    FUZZ_CHECK(st == WALK_OK || st == WALK_PAGE_FAULT || st == WALK_ACCESS_FAULT);
    if (st == WALK_OK) {
        FUZZ_CHECK(res.level >= 0 && res.level <= 4);
        FUZZ_CHECK((res.gpa & 4095) == (va & 4095));
        FUZZ_CHECK(res.pte & 1);
        FUZZ_CHECK(guest_walk_mapped(&mem, satp, va));
    }
    (void)guest_walk_mapped(&mem, satp, va ^ (uint64_t)flags << 12);
    free(ram);
    return 0;
}
