/* A VM's own host pages for its shadow page tables: its shadow budget.
 *
 * Shadow tables grow with what the guest maps (a sparse address space
 * costs a table page per 2 MiB it touches, whatever little guest memory
 * backs it), so without a limit one VM's shadows could take the host
 * memory every other VM's shadows need (a denial of service between VMs).
 * Each VM's shadow tables come only from a block reserved for it at VM
 * creation, of a size fixed from its RAM and vCPUs (or lodger,shadow-pages):
 * no VM can take another's, and the budgets of all VMs are host memory
 * set aside, never promised twice. A VM that spends its budget evicts its
 * own shadow state (core/shadow.c, shadow_reclaim): the guest only sees
 * more faults.
 *
 * Each page has a word of occupancy summary (arch/riscv/pagetable.h:
 * a bit per 8 entries that may be nonzero), kept by whoever writes into
 * the page while it is lent. A page given back is zeroed there and then,
 * only in the groups its word names, so that a page lent is zero without
 * a memset: a shadow's tables hold a few entries each, and zeroing all
 * 4 KiB of each table of every exited process's shadows was most of
 * what freeing them cost (issue 15).
 *
 * Pure C, host-tested in tests/host/test_shadow_pool.c. Pages are named by
 * their physical address, which lodger's identity map makes a valid
 * pointer (a host test passes a buffer's address). Every operation on a
 * VM's pool is made under that VM's lock (vm->lock), as every change to
 * its shadow tables (and so of a summary word) is. */
#ifndef LODGER_CORE_SHADOW_POOL_H
#define LODGER_CORE_SHADOW_POOL_H

#include <stdint.h>
#include <stdbool.h>

#define SHADOW_POOL_PAGE 4096UL
/* The smallest budget lodger,shadow-pages may ask for: a few address
 * spaces' roots, first portions and guest-RAM windows, and the tables one
 * instruction's fetch and access need (5 levels each, Sv57). */
#define SHADOW_POOL_MIN_PAGES 64UL
/* And the largest (16 GiB of tables): a number the guest's image hands
 * lodger is checked before anything is reserved. */
#define SHADOW_POOL_MAX_PAGES (1UL << 22)
/* The default budget's parts: a floor (a small VM still runs several
 * processes' shadows), one page per SHADOW_POOL_RAM_RATIO pages of guest
 * RAM (the tables that map it in a few address spaces), and pages per vCPU
 * (each holds up to four shadows at once, core/shadow.c). */
#define SHADOW_POOL_FLOOR_PAGES 256UL
#define SHADOW_POOL_RAM_RATIO 64UL
#define SHADOW_POOL_VCPU_PAGES 64UL

struct shadow_pool {
    uint64_t base;          /* the reserved block: pages [base, base + pages * PAGE) */
    uint64_t pages;         /* the budget */
    uint64_t fresh;         /* pages [0, fresh) have been handed out at least once */
    uint64_t free_list;     /* pages given back: each holds the next one's address (0: end) */
    uint64_t *summary;      /* pages words: each lent page's occupancy summary (0: zero) */
    uint64_t used;          /* pages the VM's shadow tables hold now */
    uint64_t peak;          /* the most they held at once */
    uint64_t evictions;     /* shadows released to make room (core/shadow.c) */
    uint64_t clears;        /* times every shadow of the VM was emptied to make room */
};

/* The default budget for a VM of ram_size bytes and vcpus vCPUs, in pages. */
uint64_t shadow_pool_default_pages(uint64_t ram_size, unsigned vcpus);
/* Whether pages is a budget lodger,shadow-pages may ask for. */
static inline bool shadow_pool_pages_valid(uint64_t pages)
{
    return pages >= SHADOW_POOL_MIN_PAGES && pages <= SHADOW_POOL_MAX_PAGES;
}
/* The bytes of summary a pool of pages pages needs. */
static inline uint64_t shadow_pool_summary_bytes(uint64_t pages)
{
    return pages * sizeof(uint64_t);
}
/* A pool over the reserved block [base, base + pages * PAGE) (page-aligned),
 * with summary (shadow_pool_summary_bytes, outside the block) its pages'
 * occupancy summaries: zeroed here. */
void shadow_pool_init(struct shadow_pool *p, uint64_t base, uint64_t pages, uint64_t *summary);
/* A zeroed page of the pool (its summary 0), or 0 when the budget is spent. */
uint64_t shadow_pool_take(struct shadow_pool *p);
/* Gives a page back: zeroed in the groups its summary names. False
 * (nothing changed) if pa is not a page of the pool or none is out:
 * lodger's own bug, for the caller to report. */
bool shadow_pool_give(struct shadow_pool *p, uint64_t pa);
/* A lent page the caller wrote anywhere itself (a block table,
 * core/shadow.c): every group of it is zeroed when it comes back. */
void shadow_pool_note_full(struct shadow_pool *p, uint64_t pa);
/* Whether the summary of pa is true: every nonzero entry in a group it
 * names (checking builds, before a page goes back; true for a page that
 * shadow_pool_give would refuse). */
bool shadow_pool_summary_holds(const struct shadow_pool *p, uint64_t pa);
/* Pages still free. */
static inline uint64_t shadow_pool_free(const struct shadow_pool *p)
{
    return p->pages - p->used;
}
/* Whether eviction has made enough room to stop: a quarter of the budget
 * free, so that a guest whose working set overflows its budget evicts in
 * batches, not at every fill. */
static inline bool shadow_pool_roomy(const struct shadow_pool *p)
{
    return shadow_pool_free(p) >= p->pages / 4;
}

#endif
