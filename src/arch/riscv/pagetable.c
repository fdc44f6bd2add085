#include <stddef.h>
#include "arch/riscv/pagetable.h"
#include "arch/riscv/encoding.h"

#define ENTRIES 512

static pte_t *table_at(uint64_t pa) { return (pte_t *)(uintptr_t)pa; }
static bool pte_is_leaf(pte_t pte) { return (pte & (PTE_R | PTE_W | PTE_X)) != 0; }
static unsigned index_at(uint64_t va, int level) { return (va >> (12 + 9 * level)) & 511; }
static bool pte_is_link(pte_t pte) { return (pte & PTE_V) && !pte_is_leaf(pte) && (pte & PT_LINK); }
/* A table this one owns: freed with it. A linked table is someone else's. */
static bool pte_is_owned_table(pte_t pte)
{
    return (pte & PTE_V) && !pte_is_leaf(pte) && !(pte & PT_LINK);
}

/* Every write of an entry of a table pt owns: keeps the table's
 * occupancy summary (pagetable.h) exact, a group's bit set while any of
 * its entries is nonzero. */
static inline __attribute__((always_inline)) void entry_write(const struct page_table *pt, pte_t *slot,
                                                             pte_t pte)
{
    *slot = pte;
    uint64_t table_pa = (uintptr_t)slot & ~4095UL;
    uint64_t *summary = pt_summary_of(pt->alloc, table_pa);
    if (!summary)
        return;
    unsigned group = (unsigned)((uintptr_t)slot & 4095) / (8 * PT_GROUP_ENTRIES);
    const pte_t *g = table_at(table_pa) + group * PT_GROUP_ENTRIES;
    if (pte || g[0] | g[1] | g[2] | g[3] | g[4] | g[5] | g[6] | g[7])
        *summary |= 1UL << group;
    else
        *summary &= ~(1UL << group);
}

void pt_write_entry(struct page_table *pt, pte_t *slot, pte_t pte)
{
    entry_write(pt, slot, pte);
}

int pt_levels_of_mode(unsigned long satp_mode)
{
    switch (satp_mode) {
    case SATP_MODE_SV39: return 3;
    case SATP_MODE_SV48: return 4;
    case SATP_MODE_SV57: return 5;
    default: return 0;
    }
}

unsigned long pt_mode_of_levels(int levels)
{
    return levels == 5 ? SATP_MODE_SV57 : levels == 4 ? SATP_MODE_SV48 : SATP_MODE_SV39;
}

uint64_t pt_level_size(int level)
{
    return 1UL << (12 + 9 * level);
}

/* Privileged spec 4.4.1: bits 63..VA_BITS must equal bit VA_BITS-1. */
bool pt_is_canonical(uint64_t va, int levels)
{
    int bits = 12 + 9 * levels;
    int64_t shifted = (int64_t)(va << (64 - bits)) >> (64 - bits);
    return (uint64_t)shifted == va;
}

bool pt_range_is_canonical(uint64_t va, uint64_t size, int levels)
{
    uint64_t last = va + size - 1;
    /* Not empty, no wrap past 2^64, both ends canonical and in the same
     * half (a range through the non-canonical hole is no range at all). */
    return size && last >= va && pt_is_canonical(va, levels) && pt_is_canonical(last, levels) &&
           !((va ^ last) >> 63);
}

/* Privileged spec 4.2.1: "If the value held in rs1 is not a valid virtual
 * address, then the SFENCE.VMA instruction has no effect. No exception is
 * raised in this case." Valid means canonical for the mode in satp (4.3.1,
 * 4.4.1, 4.5.1: other addresses page-fault, so no translation of them can
 * be cached). With satp Bare nothing is translated now, and the spec does
 * not say which mode the address is meant for: the fence may concern
 * translations cached under a mode software used before or will use next,
 * so the widest mode software can select decides (over-fencing is always
 * allowed). No mode at all: there is no virtual address. */
bool pt_fence_va_valid(uint64_t va, unsigned long satp_mode, unsigned long modes)
{
    int levels = pt_levels_of_mode(satp_mode);
    for (unsigned long m = SATP_MODE_SV57; !levels && m >= SATP_MODE_SV39; m--)
        if (modes & (1UL << m))
            levels = pt_levels_of_mode(m);
    return levels && pt_is_canonical(va, levels);
}

bool pt_create(struct page_table *pt, int levels, const struct pt_allocator *alloc)
{
    pt->levels = levels;
    pt->alloc = alloc;
    pt->root = alloc->alloc_page(alloc->ctx);
    return pt->root != 0;
}

/* Returns the PTE slot for va at leaf_level, creating tables on the way.
 * A superpage found above leaf_level is replaced by a table (callers map
 * whole ranges, so the rest of that superpage is remapped by them). */
static pte_t *walk_create(struct page_table *pt, uint64_t va, int leaf_level)
{
    pte_t *table = table_at(pt->root);
    for (int level = pt->levels - 1; level > leaf_level; level--) {
        pte_t *slot = &table[index_at(va, level)];
        if (!pte_is_owned_table(*slot)) {  /* nothing, a leaf, or a link: replaced */
            uint64_t page = pt->alloc->alloc_page(pt->alloc->ctx);
            if (!page)
                return 0;
            entry_write(pt, slot, pa_to_pte(page) | PTE_V);
        }
        table = table_at(pte_to_pa(*slot));
    }
    return &table[index_at(va, leaf_level)];
}

static void free_subtree(struct page_table *pt, uint64_t table_pa, int level)
{
    const pte_t *table = table_at(table_pa);
    const uint64_t *summary = pt_summary_of(pt->alloc, table_pa);
    /* A shadow's tables are nearly empty (a few entries each of 512):
     * with a summary only the groups it names are looked at (and zeroed
     * by the allocator), else eight entries at a time, and only a group
     * with a valid entry one by one. */
    uint64_t groups = ~0UL;
    if (summary)
        groups = *summary;
    for (; level > 0 && groups; groups &= groups - 1) {
        int i = (int)pt_lowest_group(groups) * PT_GROUP_ENTRIES;
        pte_t any = table[i] | table[i + 1] | table[i + 2] | table[i + 3] | table[i + 4] |
                    table[i + 5] | table[i + 6] | table[i + 7];
        if (!(any & PTE_V))
            continue;
        for (int j = i; j < i + PT_GROUP_ENTRIES; j++)
            if (pte_is_owned_table(table[j]))
                free_subtree(pt, pte_to_pa(table[j]), level - 1);
    }
    pt->alloc->free_page(pt->alloc->ctx, table_pa);
}

bool pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t size,
            pte_t flags, int max_leaf_level)
{
    /* Only canonical ranges: the walk uses the index bits alone, so any
     * other address would alias a canonical one. */
    if (!pt_range_is_canonical(va, size, pt->levels))
        return false;
    /* Count what is left rather than compare with va + size: a range may
     * end at the very top of the address space. */
    while (size) {
        int level = max_leaf_level;
        while (level > 0 && ((va | pa) & (pt_level_size(level) - 1) ||
                             size < pt_level_size(level)))
            level--;
        pte_t *slot = walk_create(pt, va, level);
        if (!slot)
            return false;
        if (pte_is_owned_table(*slot) && level > 0)
            free_subtree(pt, pte_to_pa(*slot), level - 1);
        entry_write(pt, slot, pa_to_pte(pa) | flags | PTE_V);
        va += pt_level_size(level);
        pa += pt_level_size(level);
        size -= pt_level_size(level);
    }
    return true;
}

static int unmap_in(struct page_table *pt, uint64_t table_pa, int level,
                    uint64_t base, uint64_t va, uint64_t end, bool prune)
{
    pte_t *table = table_at(table_pa);
    const uint64_t *summary = pt_summary_of(pt->alloc, table_pa);
    uint64_t step = pt_level_size(level);
    int cleared = 0;
    /* Only the entries the range touches: [va, end) within [base, base + 512 * step). */
    unsigned first = va > base ? (unsigned)((va - base) / step) : 0;
    uint64_t span = end - base;     /* end > base: the caller checked the overlap */
    unsigned last = span / step >= ENTRIES ? ENTRIES - 1 : (unsigned)((span - 1) / step);
    for (unsigned i = first; i <= last; i++) {
        uint64_t lo = base + i * step, hi = lo + step;
        if (!(table[i] & PTE_V)) {
            /* An empty group goes at once (a clear of a whole shadow). */
            if (summary && !(*summary & 1UL << (i / PT_GROUP_ENTRIES)))
                i |= PT_GROUP_ENTRIES - 1;
            continue;
        }
        if (pte_is_leaf(table[i]) || pte_is_link(table[i])) {
            entry_write(pt, &table[i], 0);  /* a link goes whole, as a superpage does */
            cleared++;
        } else if (level > 0 && prune && lo >= va && hi <= end) {
            /* A table wholly inside the range goes at once, leaves uncounted. */
            free_subtree(pt, pte_to_pa(table[i]), level - 1);
            entry_write(pt, &table[i], 0);
        } else if (level > 0) {
            cleared += unmap_in(pt, pte_to_pa(table[i]), level - 1, lo, va, end, prune);
        }
    }
    return cleared;
}

static int unmap(struct page_table *pt, uint64_t va, uint64_t size, bool prune)
{
    int top = pt->levels - 1;
    /* Work on the VA without its sign extension so index arithmetic is linear. */
    uint64_t mask = (1UL << (12 + 9 * pt->levels)) - 1;
    if (!size)
        return 0;
    return unmap_in(pt, pt->root, top, 0, va & mask, (va & mask) + size, prune);
}

/* The valid entry a walk for va ends at: a leaf, or whatever level 0 holds,
 * or (at_link) a link; NULL if the walk meets an invalid entry first. */
static pte_t *walk_to_end(const struct page_table *pt, uint64_t va, int *level_out, bool at_link)
{
    pte_t *table = table_at(pt->root);
    for (int level = pt->levels - 1; level >= 0; level--) {
        pte_t *slot = &table[index_at(va, level)];
        if (!(*slot & PTE_V))
            return NULL;
        if (pte_is_leaf(*slot) || level == 0 || (at_link && pte_is_link(*slot))) {
            if (level_out)
                *level_out = level;
            return slot;
        }
        table = table_at(pte_to_pa(*slot));
    }
    return NULL;
}

/* One page (an sfence.vma of one address, the common case): a plain walk;
 * a superpage or a link holding the page goes whole. */
static int unmap_page(struct page_table *pt, uint64_t va)
{
    pte_t *slot = walk_to_end(pt, va, NULL, true);
    if (!slot || !(pte_is_leaf(*slot) || pte_is_link(*slot)))
        return 0;
    entry_write(pt, slot, 0);
    return 1;
}

int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size)
{
    /* As pt_map: an address outside the canonical range would clear the
     * entries of its canonical alias. */
    if (!pt_range_is_canonical(va, size, pt->levels))
        return 0;
    /* A few pages (a vCPU's frame pages leaving a shadow at each address
     * space switch): a walk each is cheaper than the range's descent. */
    if (!(va & 4095) && !(size & 4095) && size <= 4 * 4096) {
        int cleared = 0;
        for (uint64_t off = 0; off < size; off += 4096)
            cleared += unmap_page(pt, va + off);
        return cleared;
    }
    return unmap(pt, va, size, false);
}

void pt_unmap_prune(struct page_table *pt, uint64_t va, uint64_t size)
{
    if (!pt_range_is_canonical(va, size, pt->levels))
        return;
    unmap(pt, va, size, true);
}

pte_t pt_lookup(const struct page_table *pt, uint64_t va, int *level_out)
{
    const pte_t *slot = walk_to_end(pt, va, level_out, false);
    return slot ? *slot : 0;
}

pte_t *pt_leaf_table(struct page_table *pt, uint64_t va)
{
    if (!pt_is_canonical(va, pt->levels))
        return NULL;
    int level = -1;
    pte_t *slot = walk_to_end(pt, va, &level, true);
    if (!slot || level != 0)   /* never a linked table: not this table's to fill */
        return NULL;
    return slot - ((va >> 12) & (ENTRIES - 1));
}

static bool empty_in(const struct page_table *pt, uint64_t table_pa, int level,
                     uint64_t base, uint64_t va, uint64_t end)
{
    pte_t *table = table_at(table_pa);
    uint64_t step = pt_level_size(level);
    for (unsigned i = 0; i < ENTRIES; i++) {
        uint64_t lo = base + i * step, hi = lo + step;
        if (hi <= va || lo >= end || !(table[i] & PTE_V))
            continue;
        if (pte_is_leaf(table[i]) || pte_is_link(table[i]) || level == 0)
            return false;
        if (!empty_in(pt, pte_to_pa(table[i]), level - 1, lo, va, end))
            return false;
    }
    return true;
}

bool pt_range_empty(const struct page_table *pt, uint64_t va, uint64_t size)
{
    uint64_t mask = (1UL << (12 + 9 * pt->levels)) - 1;
    return empty_in(pt, pt->root, pt->levels - 1, 0, va & mask, (va & mask) + size);
}

void pt_destroy(struct page_table *pt)
{
    if (pt->root)
        free_subtree(pt, pt->root, pt->levels - 1);
    pt->root = 0;
}

bool pt_has_table(const struct page_table *pt, uint64_t va, int level)
{
    pte_t *table = table_at(pt->root);
    for (int l = pt->levels - 1; l >= level; l--) {
        pte_t e = table[index_at(va, l)];
        if (!pte_is_owned_table(e))
            return false;
        if (l == level)
            return true;
        table = table_at(pte_to_pa(e));
    }
    return false;
}

bool pt_link(struct page_table *pt, uint64_t va, int level, uint64_t table_pa)
{
    if (level < 1 || level >= pt->levels || !pt_is_canonical(va, pt->levels))
        return false;
    pte_t *slot = walk_create(pt, va, level);
    if (!slot || pte_is_owned_table(*slot))
        return false;
    entry_write(pt, slot, pa_to_pte(table_pa) | PT_LINK | PTE_V);
    return true;
}

bool pt_unlink(struct page_table *pt, uint64_t va, int level, uint64_t table_pa)
{
    if (!pt->root || level < 1 || level >= pt->levels || !pt_is_canonical(va, pt->levels))
        return false;
    pte_t *table = table_at(pt->root);
    for (int l = pt->levels - 1; l > level; l--) {
        pte_t e = table[index_at(va, l)];
        if (!pte_is_owned_table(e))
            return false;
        table = table_at(pte_to_pa(e));
    }
    pte_t *slot = &table[index_at(va, level)];
    if (!pte_is_link(*slot) || pte_to_pa(*slot) != table_pa)
        return false;
    entry_write(pt, slot, 0);
    return true;
}

uint64_t pt_link_at(const struct page_table *pt, uint64_t va, int level)
{
    if (!pt->root || level < 1 || level >= pt->levels || !pt_is_canonical(va, pt->levels))
        return 0;
    const pte_t *table = table_at(pt->root);
    for (int l = pt->levels - 1; l > level; l--) {
        pte_t e = table[index_at(va, l)];
        if (!pte_is_owned_table(e))
            return 0;
        table = table_at(pte_to_pa(e));
    }
    pte_t e = table[index_at(va, level)];
    return pte_is_link(e) ? pte_to_pa(e) : 0;
}
