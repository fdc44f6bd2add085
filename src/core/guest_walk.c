#include "core/guest_walk.h"
#include "arch/riscv/encoding.h"
#include "arch/riscv/pagetable.h"

uint64_t walk_page_fault_cause(enum access_type access)
{
    return access == ACCESS_FETCH ? CAUSE_FETCH_PAGE_FAULT
         : access == ACCESS_LOAD ? CAUSE_LOAD_PAGE_FAULT : CAUSE_STORE_PAGE_FAULT;
}

uint64_t walk_access_fault_cause(enum access_type access)
{
    return access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS
         : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
}

/* Step 5 of 4.3.2: may this leaf be used for the access? */
static bool leaf_allows(uint64_t pte, const struct walk_request *req)
{
    bool u = pte & PTE_U;
    if (req->user && !u)
        return false;
    /* S-mode: U pages only for loads/stores with SUM, never for fetches. */
    if (!req->user && u && (req->access == ACCESS_FETCH || !req->sum))
        return false;
    switch (req->access) {
    case ACCESS_FETCH: return pte & PTE_X;
    case ACCESS_LOAD: return (pte & PTE_R) || (req->mxr && (pte & PTE_X));
    default: return pte & PTE_W;
    }
}

enum walk_status guest_walk(const struct walk_memory *mem, const struct walk_request *req,
                            struct walk_result *res)
{
    int levels = pt_levels_of_mode(req->satp >> SATP_MODE_SHIFT);
    if (!levels || !pt_is_canonical(req->va, levels))
        return WALK_PAGE_FAULT;
    uint64_t table = (req->satp & SATP_PPN_MASK) << PAGE_SHIFT;
    res->ad_gpa = 0;
    res->l1_gpa = 0;
    for (int level = levels - 1; level >= 0; level--) {
        uint64_t index = (req->va >> (PAGE_SHIFT + 9 * level)) & 511;
        if (level == 1)
            res->l1_gpa = table;
        uint64_t *slot = mem->gpa_to_host(mem->ctx, table + index * 8, 8);
        if (!slot)
            return WALK_ACCESS_FAULT;
        uint64_t pte = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        /* Step 3: invalid, W without R, or reserved bits (no Svnapot/Svpbmt). */
        if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) ||
            (pte & (PTE_N | PTE_PBMT | PTE_RESERVED_HIGH)))
            return WALK_PAGE_FAULT;
        if (!(pte & (PTE_R | PTE_X))) {
            /* D, A and U are reserved in non-leaf PTEs (4.3.1): step 3 faults. */
            if (pte & (PTE_D | PTE_A | PTE_U))
                return WALK_PAGE_FAULT;
            table = pte_to_pa(pte);     /* step 4: pointer to the next level */
            continue;
        }
        if (!leaf_allows(pte, req))
            return WALK_PAGE_FAULT;
        /* Step 6: a misaligned superpage. */
        uint64_t ppn = pte >> PTE_PPN_SHIFT;
        if (level > 0 && (ppn & ((1UL << (9 * level)) - 1)))
            return WALK_PAGE_FAULT;
        /* Step 7, Svadu: set A (and D for stores) atomically, as long as the
         * PTE is unchanged; a concurrent change restarts nothing here since
         * the guest can only observe the update or not. */
        uint64_t need = PTE_A | (req->access == ACCESS_STORE ? PTE_D : 0);
        if (req->update_ad && (pte & need) != need) {
            uint64_t want = pte | need;
            if (!__atomic_compare_exchange_n(slot, &pte, want, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE))
                return guest_walk(mem, req, res);   /* the PTE changed: walk again */
            pte = want;
            res->ad_gpa = table + index * 8;
        }
        uint64_t offset_mask = pt_level_size(level) - 1;
        res->gpa = (pte_to_pa(pte) & ~offset_mask) | (req->va & offset_mask);
        res->pte = pte;
        res->level = level;
        res->table_gpa = table;
        return WALK_OK;
    }
    return WALK_PAGE_FAULT;     /* a pointer at level 0 */
}

bool guest_leaf_usable(uint64_t pte, int level, const struct walk_request *req)
{
    if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) ||
        (pte & (PTE_N | PTE_PBMT | PTE_RESERVED_HIGH)) || !(pte & (PTE_R | PTE_X)))
        return false;       /* step 3, or not a leaf */
    if (!leaf_allows(pte, req))
        return false;       /* step 5 */
    if (level > 0 && ((pte >> PTE_PPN_SHIFT) & ((1UL << (9 * level)) - 1)))
        return false;       /* step 6 */
    uint64_t need = PTE_A | (req->access == ACCESS_STORE ? PTE_D : 0);
    return (pte & need) == need;
}

bool guest_walk_mapped(const struct walk_memory *mem, uint64_t satp, uint64_t va)
{
    int levels = pt_levels_of_mode(satp >> SATP_MODE_SHIFT);
    if (!levels || !pt_is_canonical(va, levels))
        return false;
    uint64_t table = (satp & SATP_PPN_MASK) << PAGE_SHIFT;
    for (int level = levels - 1; level >= 0; level--) {
        uint64_t *slot = mem->gpa_to_host(mem->ctx, table + ((va >> (PAGE_SHIFT + 9 * level)) & 511) * 8, 8);
        if (!slot)
            return true;
        uint64_t pte = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (!(pte & PTE_V))
            return false;
        if (pte & (PTE_R | PTE_X))
            return true;
        table = pte_to_pa(pte);
    }
    return false;
}
