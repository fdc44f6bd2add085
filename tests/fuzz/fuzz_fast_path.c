/* Fuzzes the C twin of the first portion's fast paths (src/first/fast_path.c),
 * on what a guest controls: its page tables, satp, the faulting address and
 * sstatus of a page fault from virtual U, and the registers, CSR state and
 * instruction words of a trap from virtual S (chaining included).
 *  - A page fault is reflected into the guest kernel only where the guest
 *    page-table walker (src/core/guest_walk.c, without A/D updates) says
 *    page fault, and then always when the guest kernel's view exists; a
 *    reflected fault lands at stvec with sepc, scause and stval set.
 *  - Any trap: x0 stays 0, and a trap the twin serves counts one hit or
 *    more. */
#include "fuzz.h"
#include "arch/riscv/encoding.h"
#include "core/guest_walk.h"
#include "arch/riscv/pagetable.h"
#include "first/frame.h"

#define RAM_BASE 0x80000000UL
#define RAM_PAGES 8
#define RAM_SIZE (RAM_PAGES * 4096UL)

static uint64_t *ram;

static void *gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
        return NULL;
    return (uint8_t *)ram + (gpa - RAM_BASE);
}

static struct fuzz_input code;      /* the guest's next instructions, for chaining */

static bool fetch(void *ctx, uint64_t va, uint32_t *bits)
{
    (void)ctx;
    (void)va;
    if (code.size < 4)
        return false;
    *bits = fuzz_u32(&code);
    return true;
}

static uint64_t hits(const struct trap_frame *f)
{
    uint64_t n = 0;
    for (int i = 0; i < 16; i++)
        n += f->fast_hits[i];
    return n;
}

static void page_fault(struct fuzz_input *in, struct trap_frame *f)
{
    static const uint64_t causes[] = { CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT,
                                       CAUSE_STORE_PAGE_FAULT };
    static const enum access_type access[] = { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE };
    uint8_t flags = fuzz_u8(in);
    unsigned kind = flags % 3;
    uint64_t satp = fuzz_u64(in);
    if (flags & 4)
        satp = (8UL + (satp >> 60) % 3) << 60 | (satp & 0xffffUL << 44) |
               (RAM_BASE >> 12) + ((satp >> 2) % RAM_PAGES);
    f->vmode = 0;
    f->cause = causes[kind];
    f->tval = fuzz_u64(in);
    f->csr.satp = satp;
    f->csr.sstatus = fuzz_u64(in) & (SSTATUS_SUM | SSTATUS_MXR | SSTATUS_FS | SSTATUS_SIE |
                                    SSTATUS_SPIE | SSTATUS_SPP);
    f->sum_satp[0] = flags & 8 ? 0x8000000000012345UL : 0;
    f->sum_satp[1] = flags & 16 ? 0x8000000000023456UL : 0;
    f->window_va = flags & 32 ? (uint64_t)(uintptr_t)ram : 0;
    for (size_t i = 0; i < RAM_SIZE / 8 && in->size; i++) {
        uint64_t pte = fuzz_u64(in);
        if (!(pte >> 63))
            pte = (pte & 0xffc00000000003ffUL) |
                  ((RAM_BASE >> 12) + ((pte >> 10) % RAM_PAGES)) << 10;
        ram[i] = pte;
    }
    const struct trap_frame before = *f;
    struct walk_memory mem = { gpa_to_host, NULL };
    struct walk_request req = {
        .satp = satp, .va = f->tval, .access = access[kind], .user = true,
        .sum = f->csr.sstatus & SSTATUS_SUM, .mxr = f->csr.sstatus & SSTATUS_MXR,
        .update_ad = false,
    };
    struct walk_result res;
    enum walk_status st = guest_walk(&mem, &req, &res);
    bool view = before.sum_satp[(before.csr.sstatus & SSTATUS_SUM) != 0] != 0;
    bool served = fast_path_trap(f);
    if (served) {
        FUZZ_CHECK(st == WALK_PAGE_FAULT);
        FUZZ_CHECK(f->vmode == 1 && f->pc == (before.csr.stvec & ~3UL));
        FUZZ_CHECK(f->csr.sepc == before.pc && f->csr.scause == before.cause &&
                   f->csr.stval == before.tval);
        FUZZ_CHECK(f->fast_hits[FAST_PAGE_FAULT] == before.fast_hits[FAST_PAGE_FAULT] + 1);
    }
    if (st == WALK_PAGE_FAULT && view && before.window_va && pt_levels_of_mode(satp >> 60))
        FUZZ_CHECK(served);
}

static void any_trap(struct fuzz_input *in, struct trap_frame *f)
{
    static const uint64_t causes[] = { CAUSE_ILLEGAL_INSTRUCTION, CAUSE_ILLEGAL_INSTRUCTION,
                                       CAUSE_USER_ECALL, CAUSE_BREAKPOINT };
    uint8_t flags = fuzz_u8(in);
    f->cause = causes[flags % 4];
    f->vmode = (flags >> 2) & 1;
    f->tval = fuzz_u32(in);
    if (flags & 8)
        f->tval = 0x10200073;       /* sret */
    for (int r = 1; r < 32; r++)
        f->x[r] = fuzz_u64(in);
    uint64_t *csr = (uint64_t *)&f->csr;     /* every virtual CSR, whatever comes first */
    for (size_t i = 0; i < sizeof(f->csr) / 8; i++)
        csr[i] = fuzz_u64(in);
    f->status = fuzz_u64(in);
    f->sum_satp[0] = fuzz_u64(in);
    f->sum_satp[1] = fuzz_u64(in);
    f->user_satp = fuzz_u64(in);
    code = *in;
    const struct trap_frame before = *f;
    bool served = fast_path_run(f, fetch, NULL);
    FUZZ_CHECK(f->x[0] == 0);
    if (served)
        FUZZ_CHECK(hits(f) > hits(&before));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    if (!ram)
        ram = aligned_alloc(4096, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    struct trap_frame f;
    memset(&f, 0, sizeof(f));
    f.pc = 0xffffffff80201000UL;
    f.csr.stvec = 0xffffffff80200100UL;
    f.ram_gpa = RAM_BASE;
    f.ram_size = RAM_SIZE;
    if (fuzz_u8(&in) & 1)
        page_fault(&in, &f);
    else
        any_trap(&in, &f);
    return 0;
}
