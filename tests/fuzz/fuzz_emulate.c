/* Fuzzes the load/store/AMO/LR/SC emulator (src/core/emulate.c) behind the
 * decoder: any instruction word, any register values, two pages of guest
 * memory at GUEST_BASE (the first readable and writable, the second
 * faulting as the input says) and nothing mapped elsewhere. The emulator
 * must ask for at most one page at a time, touch only what it was given,
 * and report a fault with a cause. */
#include "fuzz.h"
#include "core/emulate.h"

#define GUEST_BASE 0x80000000UL
#define PAGE 4096UL

struct hart {
    uint8_t *page;              /* the first page (malloc'd: ASan sees its bounds) */
    uint64_t second_cause;      /* the fault the second page takes (0: none) */
    uint8_t *second;
    uint64_t x[32], f[32];
};

static void *translate(void *ctx, uint64_t va, uint64_t len, enum access_type access,
                       uint64_t *cause)
{
    struct hart *h = ctx;
    FUZZ_CHECK(len >= 1 && len <= 8);
    /* The contract: va..va+len-1 lies within one page. */
    FUZZ_CHECK((va & ~(PAGE - 1)) == ((va + len - 1) & ~(PAGE - 1)));
    if (va - GUEST_BASE < PAGE)
        return h->page + (va - GUEST_BASE);
    if (va - GUEST_BASE - PAGE < PAGE && !h->second_cause)
        return h->second + (va - GUEST_BASE - PAGE);
    *cause = h->second_cause ? h->second_cause
                             : access == ACCESS_LOAD ? 13 : access == ACCESS_STORE ? 15 : 12;
    return NULL;
}

static uint64_t read_reg(void *ctx, unsigned reg, bool fp)
{
    struct hart *h = ctx;
    FUZZ_CHECK(reg < 32);
    return fp ? h->f[reg] : reg ? h->x[reg] : 0;
}

static void write_reg(void *ctx, unsigned reg, bool fp, uint64_t value)
{
    struct hart *h = ctx;
    FUZZ_CHECK(reg < 32);
    if (fp)
        h->f[reg] = value;
    else if (reg)
        h->x[reg] = value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct hart h = { .page = malloc(PAGE), .second = malloc(PAGE) };
    uint32_t bits = fuzz_u32(&in);
    uint8_t flags = fuzz_u8(&in);
    static const uint64_t causes[] = { 0, 5, 7, 13, 15 };
    h.second_cause = causes[flags % 5];
    /* Addresses: mostly near the pages' edges, where accesses split. */
    for (int r = 1; r < 32; r++) {
        uint64_t v = fuzz_u64(&in);
        h.x[r] = (flags & 0x80) ? v : GUEST_BASE + PAGE - 16 + (v & 0x3f);
        h.f[r] = fuzz_u64(&in);
    }
    for (unsigned long i = 0; i < PAGE; i++)
        h.page[i] = h.second[i] = fuzz_u8(&in);
    struct reservation res = { .valid = flags & 0x40, .va = h.x[fuzz_u8(&in) & 31],
                               .value = fuzz_u64(&in), .width = 1u << (fuzz_u8(&in) & 3) };
    struct insn d;
    insn_decode(bits, &d);
    struct emulate_ops ops = { translate, read_reg, write_reg, &h };
    /* Twice: the second run sees the reservation and memory the first left. */
    for (int i = 0; i < 2; i++) {
        uint64_t cause = 0, tval = 0;
        enum emulate_result r = emulate_access(&d, &ops, &res, &cause, &tval);
        FUZZ_CHECK(r == EMULATE_DONE || r == EMULATE_FAULT || r == EMULATE_UNSUPPORTED);
        if (r == EMULATE_FAULT)
            FUZZ_CHECK(cause != 0);
    }
    free(h.page);
    free(h.second);
    return 0;
}
