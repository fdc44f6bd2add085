#include <string.h>
#include "core/mem.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "sbi/firmware.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

struct host_mmu host_mmu;
struct host_info host;
static struct page_alloc allocator;
static struct spinlock alloc_lock;

static uint64_t alloc_page_cb(void *ctx)
{
    (void)ctx;
    return mem_alloc(PAGE_SIZE, PAGE_SIZE);
}

static void free_page_cb(void *ctx, uint64_t pa)
{
    (void)ctx;
    mem_free(pa, PAGE_SIZE);
}

const struct pt_allocator mem_page_allocator = {
    .alloc_page = alloc_page_cb, .free_page = free_page_cb,     /* no summary: lodger's own table */
};

void mem_init(const struct host_info *info)
{
    page_alloc_init(&allocator);
    for (int i = 0; i < info->mem_count; i++)
        page_alloc_add(&allocator, info->mem[i].base, info->mem[i].size);
    /* Below lodger's image sits the firmware; then lodger itself. */
    uint64_t ram_base = info->mem_count ? info->mem[0].base : (uint64_t)__image_start;
    page_alloc_reserve(&allocator, ram_base, (uint64_t)__image_end - ram_base);
    for (int i = 0; i < info->reserved_count; i++)
        page_alloc_reserve(&allocator, info->reserved[i].base, info->reserved[i].size);
    page_alloc_reserve(&allocator, (uint64_t)info->fdt, info->fdt_size);
    if (info->initrd_end > info->initrd_start)
        page_alloc_reserve(&allocator, info->initrd_start, info->initrd_end - info->initrd_start);
}

uint64_t mem_alloc(uint64_t size, uint64_t align)
{
    spin_lock(&alloc_lock);
    uint64_t pa = page_alloc_take(&allocator, size, align);
    spin_unlock(&alloc_lock);
    if (pa)
        memset((void *)(uintptr_t)pa, 0, size);
    return pa;
}

void mem_free(uint64_t pa, uint64_t size)
{
    spin_lock(&alloc_lock);
    page_alloc_give(&allocator, pa, size);
    spin_unlock(&alloc_lock);
}

uint64_t mem_free_bytes(void)
{
    return page_alloc_free_bytes(&allocator);
}

bool mem_is_ram(uint64_t pa, uint64_t size)
{
    for (int i = 0; i < host.mem_count; i++)
        if (pa >= host.mem[i].base && pa + size <= host.mem[i].base + host.mem[i].size &&
            pa + size >= pa)
            return true;
    return false;
}

/* satp is WARL: a mode the hart lacks leaves satp unchanged (privileged spec
 * 4.1.11), so each mode is tried with a table that identity-maps lodger's
 * image, which keeps the next fetch valid if the mode takes. Modes wider
 * than the boot options allow are not tried; the ASID bits are capped. */
void mem_probe_satp_modes(const struct host_options *opts)
{
    uint64_t image = (uint64_t)__image_start & ~(pt_level_size(2) - 1);
    host_mmu.modes = 1UL << SATP_MODE_BARE;
    for (int levels = 3; levels <= opts->max_levels; levels++) {
        struct page_table probe;
        if (!pt_create(&probe, levels, &mem_page_allocator) ||
            !pt_map(&probe, image, image, pt_level_size(2),
                    PTE_R | PTE_W | PTE_X | PTE_A | PTE_D, 2))
            panic("out of memory probing satp modes");
        unsigned long mode = pt_mode_of_levels(levels);
        unsigned long want = mode << SATP_MODE_SHIFT | (probe.root >> PAGE_SHIFT);
        csr_write(CSR_SATP, want);
        unsigned long got = csr_read(CSR_SATP);
        csr_write(CSR_SATP, 0);
        sfence_vma_all();
        if (got == want) {
            host_mmu.modes |= 1UL << mode;
            /* ASIDLEN: the writable ASID bits (privileged spec 4.1.11). */
            csr_write(CSR_SATP, want | SATP_ASID_MASK << SATP_ASID_SHIFT);
            unsigned long asid = csr_read(CSR_SATP) >> SATP_ASID_SHIFT & SATP_ASID_MASK;
            csr_write(CSR_SATP, 0);
            sfence_vma_all();
            host_mmu.asid_bits = (unsigned)__builtin_popcountl(asid);
        }
        pt_destroy(&probe);
    }
    host_mmu.levels = hostdt_cap_mmu(opts, &host_mmu.modes, &host_mmu.asid_bits);
    if (!host_mmu.levels)
        panic("this hart has no Sv39/Sv48/Sv57 MMU: lodger needs paging");
}

static void map_own(uint64_t start, uint64_t end, pte_t flags)
{
    if (end > start && !pt_map(&host_mmu.own, start, start, end - start,
                               flags | PTE_A | PTE_D, 2))
        panic("out of memory building lodger's page table");
}

void mem_build_own_table(void)
{
    if (!pt_create(&host_mmu.own, host_mmu.levels, &mem_page_allocator))
        panic("out of memory building lodger's page table");
    uint64_t img = (uint64_t)__image_start, img_end = (uint64_t)__image_end;
    /* RAM outside lodger's image: data only, never executable. */
    for (int i = 0; i < host.mem_count; i++) {
        uint64_t lo = host.mem[i].base, hi = lo + host.mem[i].size;
        if (img >= lo && img < hi) {
            map_own(lo, img, PTE_R | PTE_W);
            map_own(img_end, hi, PTE_R | PTE_W);
        } else {
            map_own(lo, hi, PTE_R | PTE_W);
        }
    }
    /* lodger's image, W^X. */
    map_own(img, (uint64_t)__text_end, PTE_R | PTE_X);
    map_own((uint64_t)__text_end, (uint64_t)__rodata_end, PTE_R);
    map_own((uint64_t)__rodata_end, img_end, PTE_R | PTE_W);
    /* The QEMU test finisher (a device page), for reporting failures. */
    if (host.test_device) {
        uint64_t page = host.test_device & ~(PAGE_SIZE - 1);
        map_own(page, page + PAGE_SIZE, PTE_R | PTE_W);
        firmware_set_test_device(host.test_device);
    }
    /* The board's devices lodger drives (drivers/): its PLIC and its
     * virtio-mmio transports. Device pages: no PMA-less memory type exists
     * without Svpbmt, the board's PMAs make them I/O. */
    if (host.plic.size)
        map_own(host.plic.base & ~(PAGE_SIZE - 1),
                (host.plic.base + host.plic.size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1), PTE_R | PTE_W);
    for (int i = 0; i < host.virtio_count; i++)
        map_own(host.virtio[i].base & ~(PAGE_SIZE - 1),
                (host.virtio[i].base + host.virtio[i].size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1),
                PTE_R | PTE_W);
    host_mmu.own_satp = pt_mode_of_levels(host_mmu.levels) << SATP_MODE_SHIFT |
                        host_mmu.own.root >> PAGE_SHIFT;
}

void mem_enable_own_table(void)
{
    csr_write(CSR_SATP, host_mmu.own_satp);
    sfence_vma_all();
}
