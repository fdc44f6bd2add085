/* Building and editing RISC-V Sv39/Sv48/Sv57 page tables that lodger owns
 * (its own table and the shadow tables). Table pages are addressed by their
 * physical address, which lodger's identity map makes a valid pointer.
 * Pure C; host-tested in tests/host/test_pagetable.c. */
#ifndef LODGER_ARCH_RISCV_PAGETABLE_H
#define LODGER_ARCH_RISCV_PAGETABLE_H

#include <stdint.h>
#include <stdbool.h>

typedef uint64_t pte_t;

/* A non-leaf entry with this bit (one of the two RSW bits, which hardware
 * ignores: privileged spec 4.3.1) links a table that this table does not
 * own (pt_link): walks go through it, but every edit treats it as a
 * superpage leaf (an unmap that touches it drops the link whole, a map
 * under it replaces it by a table of its own) and no free follows it. */
#define PT_LINK (1UL << 8)

/* Occupancy summary: one 64-bit word per table page, bit g set when
 * entries [8g, 8g + 8) of the page may be nonzero (clear: all eight are
 * 0). An allocator that keeps one (summary not NULL) lends pages whose
 * word is 0 and frees a page given back by zeroing only the groups its
 * word names: a shadow's tables hold a few entries of 512 each, and a
 * scan and memset of every entry was most of a fork's teardown. Every
 * write of an entry keeps it true: pt_* here, and whoever writes into a
 * table itself (pt_write_entry). */
#define PT_GROUP_ENTRIES 8

struct pt_allocator {
    /* Returns the physical address of a zeroed page, or 0. */
    uint64_t (*alloc_page)(void *ctx);
    /* Takes a page back; with a summary, zeroed by the allocator. */
    void (*free_page)(void *ctx, uint64_t pa);
    void *ctx;
    uint64_t *summary;          /* NULL: none kept (every free scans the whole table) */
    uint64_t summary_base;      /* summary[i] is that of the page at summary_base + i * 4096 */
    uint64_t summary_pages;
};

/* The lowest set bit's index of groups (not 0): without Zbb, GCC calls
 * libgcc's __ctzdi2 for __builtin_ctzl, as costly as a group's visit; a
 * multiply by a de Bruijn sequence and a table look-up instead. */
static inline unsigned pt_lowest_group(uint64_t groups)
{
    static const unsigned char index[64] = {
        0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
        62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
        63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
        46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
    };
    return index[((groups & -groups) * 0x03f79d71b4cb0a89UL) >> 58];
}

/* The summary word of the table page at table_pa, or NULL if its
 * allocator keeps none for it. */
static inline uint64_t *pt_summary_of(const struct pt_allocator *a, uint64_t table_pa)
{
    uint64_t i = (table_pa - a->summary_base) >> 12;
    return a->summary && i < a->summary_pages ? &a->summary[i] : 0;
}

struct page_table {
    uint64_t root;      /* physical address of the root page */
    int levels;         /* 3 (Sv39), 4 (Sv48) or 5 (Sv57) */
    const struct pt_allocator *alloc;
};

int pt_levels_of_mode(unsigned long satp_mode);     /* 0 for Bare/unknown */
unsigned long pt_mode_of_levels(int levels);
uint64_t pt_level_size(int level);                  /* 4K, 2M, 1G, 512G, 256T */
bool pt_is_canonical(uint64_t va, int levels);
/* [va, va+size) is non-empty, canonical and does not cross the hole. */
bool pt_range_is_canonical(uint64_t va, uint64_t size, int levels);
/* Whether an SFENCE.VMA of va has any effect under satp mode satp_mode
 * (Bare: the widest of modes, bit n for satp mode n): va is canonical. */
bool pt_fence_va_valid(uint64_t va, unsigned long satp_mode, unsigned long modes);
static inline uint64_t pte_to_pa(pte_t pte) { return (pte >> 10) << 12 & ((1UL << 56) - 1); }
static inline pte_t pa_to_pte(uint64_t pa) { return (pa >> 12) << 10; }

bool pt_create(struct page_table *pt, int levels, const struct pt_allocator *alloc);
/* Maps [va, va+size) to [pa, pa+size) with leaf flags, using leaves up to
 * max_leaf_level (0: 4K pages only). Replaces existing leaves. Refuses
 * (false, nothing mapped) a range that is not canonical for the table. */
bool pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t size,
            pte_t flags, int max_leaf_level);
/* Clears leaves in [va, va+size); a superpage that straddles the range is
 * cleared whole. Returns the number of leaves cleared; a range that is not
 * canonical for the table clears nothing. */
int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size);
/* The same (also refusing non-canonical ranges), and frees the tables that lie wholly inside the range (without
 * counting their leaves: a table is read once). Only when no hart can be
 * walking them. */
void pt_unmap_prune(struct page_table *pt, uint64_t va, uint64_t size);
/* Finds the leaf for va: returns its PTE (0 if none) and level. */
pte_t pt_lookup(const struct page_table *pt, uint64_t va, int *level);
/* The level-0 table (512 entries) that maps va's 2 MiB region when the
 * walk of va reaches one, else NULL: for filling several of its entries
 * in place. */
pte_t *pt_leaf_table(struct page_table *pt, uint64_t va);
/* Writes pte into slot, an entry of one of pt's own tables (one that
 * pt_leaf_table returned), keeping the occupancy summary true. */
void pt_write_entry(struct page_table *pt, pte_t *slot, pte_t pte);
/* Frees every table page, including the root. */
void pt_destroy(struct page_table *pt);
/* True if no leaf or table in [va, va+size) is present. */
bool pt_range_empty(const struct page_table *pt, uint64_t va, uint64_t size);
/* True if the entry for va at level (1: 2 MiB...) points to a table:
 * mapping a leaf there would free that table (pt_map), which is only safe
 * when no other hart can be walking it. */
bool pt_has_table(const struct page_table *pt, uint64_t va, int level);

/* Makes the entry for va at level (>= 1) a link to table_pa, a table
 * (of the level below) that the caller owns and keeps alive while any
 * table links it; replaces a leaf or a link there, but refuses (false) a
 * table of this one's own, or a range that is not canonical. */
bool pt_link(struct page_table *pt, uint64_t va, int level, uint64_t table_pa);
/* Clears the entry for va at level if it links table_pa; whether it did. */
bool pt_unlink(struct page_table *pt, uint64_t va, int level, uint64_t table_pa);
/* The table the entry for va at level links (pt_link), or 0 if that entry
 * is no link (or the walk to it meets anything but this table's own). */
uint64_t pt_link_at(const struct page_table *pt, uint64_t va, int level);

#endif
