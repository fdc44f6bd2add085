/* Patched guest-kernel code: see patch.h. */
#include <string.h>
#include "core/patch.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/console.h"

/* An instruction that traps when the guest kernel runs it in U-mode and
 * that the fast paths or the second portion serve: sret, wfi, sfence.vma,
 * and accesses to CSRs above user level (privileged spec 2.1: bits 9:8 of
 * the number). A user CSR (time, fcsr) that trapped is left alone. */
static bool patchable(uint32_t insn)
{
    if ((insn & 0x7f) != OPCODE_SYSTEM)
        return false;
    if (insn == MATCH_SRET || insn == MATCH_WFI || (insn & MASK_SFENCE_VMA) == MATCH_SFENCE_VMA)
        return true;
    return ((insn >> 12) & 3) && ((insn >> 28) & 3);
}

static bool page_has_copy(const struct patch_state *ps, uint64_t page)
{
    return page < PATCH_RAM_PAGES && (ps->has_copy[page / 64] >> (page % 64) & 1);
}

static void set_has_copy(struct patch_state *ps, uint64_t page, bool has)
{
    if (has)
        ps->has_copy[page / 64] |= 1UL << (page % 64);
    else
        ps->has_copy[page / 64] &= ~(1UL << (page % 64));
}

/* Whether any page of [gpa, gpa+len) has a copy. */
static bool range_has_copy(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    const struct patch_state *ps = &vm->patch;
    if (!ps->copy_count || gpa + len <= vm->ram_gpa || gpa >= vm->ram_gpa + vm->ram_size)
        return false;
    uint64_t first = gpa < vm->ram_gpa ? 0 : (gpa - vm->ram_gpa) >> PAGE_SHIFT;
    uint64_t last = (gpa + len - 1 - vm->ram_gpa) >> PAGE_SHIFT;
    if (last >= PATCH_RAM_PAGES)
        last = PATCH_RAM_PAGES - 1;
    for (uint64_t p = first; p <= last; p++) {
        if (!(p % 64) && p + 63 <= last && !ps->has_copy[p / 64]) {
            p += 63;
            continue;
        }
        if (page_has_copy(ps, p))
            return true;
    }
    return false;
}

/* A filter of the 2 MiB blocks some copy runs in (patch_state.va_blocks). */
static uint64_t va_block_bit(uint64_t va)
{
    return 1UL << ((va >> 21) % 64);
}

static int copy_of_gpa(const struct vm *vm, uint64_t gpa)
{
    const struct patch_state *ps = &vm->patch;
    uint64_t page = gpa & ~(PAGE_SIZE - 1);
    if (gpa < vm->ram_gpa || !page_has_copy(ps, (gpa - vm->ram_gpa) >> PAGE_SHIFT))
        return -1;      /* most fills: no copy, no search */
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa && ps->copies[i].gpa == page)
            return i;
    return -1;
}

/* The site table's slots, filled from the list (fast_site_lookup probes). */
static bool table_insert(uint64_t *table, uint64_t pc, uint32_t insn)
{
    for (unsigned i = 0, slot = frame_site_slot(pc); i < FRAME_SITE_PROBES; i++, slot++) {
        uint64_t *e = &table[slot & (FRAME_SITES - 1)];
        if (!*e) {
            *e = (uint64_t)insn << 32 | (uint32_t)pc;
            return true;
        }
    }
    return false;
}

static void table_rebuild(struct patch_state *ps)
{
    memset(ps->table, 0, sizeof(ps->table));
    for (int i = 0; i < ps->site_count; i++)
        table_insert(ps->table, ps->sites[i].pc, ps->sites[i].insn);
    ps->version++;
}

void patch_frame_sync(struct vm *vm, int id, struct trap_frame *f)
{
    struct patch_state *ps = &vm->patch;
    if (!ps->on) {
        f->patch_learn = 0;
        return;
    }
    if (!f->patch_learn)
        f->patch_learn = PATCH_LEARN_PERIOD;
    if (ps->synced[id] == ps->version)
        return;
    memcpy(f->sites, ps->table, sizeof(f->sites));
    f->site_high = ps->high;
    ps->synced[id] = ps->version;
}

/* The copy's page is the guest's again: its sites go, and every shadow
 * (one of which may map it) is cleared before it runs again. */
static void drop_copy(struct vm *vm, int c)
{
    struct patch_state *ps = &vm->patch;
    struct patch_copy *copy = &ps->copies[c];
    int kept = 0;
    for (int i = 0; i < ps->site_count; i++)
        if (ps->sites[i].copy != c)
            ps->sites[kept++] = ps->sites[i];
    ps->site_count = kept;
    table_rebuild(ps);
    for (int i = 0; i < vm->vcpu_count; i++)
        patch_frame_sync(vm, i, vm->vcpus[i].frame);
    set_has_copy(ps, (copy->gpa - vm->ram_gpa) >> PAGE_SHIFT, false);
    /* Only its own place maps it (patch_fill), as 4 KiB pages, or a block
     * table of its block (whose leaves change with it). */
    shadow_blocks_drop(vm, copy->gpa, copy->va);
    shadow_drop_page(vm, copy->va, copy->hpa);
    mem_free(copy->hpa, PAGE_SIZE);
    copy->hpa = 0;
    ps->copy_count--;
    ps->va_blocks = 0;
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa)
            ps->va_blocks |= va_block_bit(ps->copies[i].va);
}

void patch_reset(struct vm *vm, bool on)
{
    struct patch_state *ps = &vm->patch;
    if (ps->copy_count)
        shadow_blocks_drop_all(vm);     /* their leaves may name the copies */
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa)
            mem_free(ps->copies[i].hpa, PAGE_SIZE);
    uint64_t version = ps->version + 1;
    memset(ps, 0, sizeof(*ps));
    ps->version = version;
    /* One vCPU only: making or dropping a copy does not reach other harts. */
    ps->on = on && vm->vcpu_count == 1;
    for (int i = 0; i < vm->vcpu_count; i++)
        if (vm->vcpus[i].frame)
            patch_frame_sync(vm, i, vm->vcpus[i].frame);
}

static int find_site(const struct patch_state *ps, uint64_t pc)
{
    for (int i = 0; i < ps->site_count; i++)
        if (ps->sites[i].pc == pc)
            return i;
    return -1;
}

/* Adds one site of copy c at pc (original insn): its ebreak in the copy. */
static bool add_site(struct vm *vm, int c, uint64_t pc, uint32_t insn)
{
    struct patch_state *ps = &vm->patch;
    if (find_site(ps, pc) >= 0)
        return true;
    if (ps->site_count == PATCH_MAX_SITES || !table_insert(ps->table, pc, insn))
        return false;
    ps->sites[ps->site_count++] = (struct patch_site){ pc, insn, c };
    ps->version++;
    uint8_t *at = (uint8_t *)(uintptr_t)ps->copies[c].hpa + (pc & (PAGE_SIZE - 1));
    uint32_t ebreak = PATCH_EBREAK;
    memcpy(at, &ebreak, 4);
    ps->stats.sites++;
    return true;
}

/* The guest page the guest kernel executes pc from: its gpa, if it may be
 * patched (a kernel page in RAM, executable). */
static bool kernel_code_page(struct vcpu *v, uint64_t pc, uint64_t *gpa)
{
    struct vm *vm = v->vm;
    if ((v->csr->satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE) {
        *gpa = pc;
    } else {
        /* As the guest kernel fetched it: an sret served has left it in U. */
        struct walk_result res;
        enum vmode mode = v->mode;
        v->mode = VMODE_S;
        enum walk_status st = vcpu_translate(v, pc, ACCESS_FETCH, false, &res);
        v->mode = mode;
        if (st != WALK_OK || (res.pte & PTE_U))
            return false;
        *gpa = res.gpa;
    }
    return vm_gpa_to_host(vm, *gpa & ~(PAGE_SIZE - 1), PAGE_SIZE) &&
           ((*gpa - vm->ram_gpa) >> PAGE_SHIFT) < PATCH_RAM_PAGES;
}

void patch_learn(struct vcpu *v, const struct shadow *ran_on, uint64_t pc, uint32_t insn)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    if (!ps->on || !patchable(insn))
        return;
    int known = find_site(ps, pc);
    if (known >= 0) {
        /* Its ebreak, which the first portion took for it: nothing to do. */
        uint64_t copy = ps->copies[ps->sites[known].copy].hpa;
        int level;
        pte_t pte = ran_on ? pt_lookup(&ran_on->pt, pc & ~(PAGE_SIZE - 1), &level) : 0;
        if ((pte & PTE_V) && level == 0 && pte_to_pa(pte) == copy)
            return;
        /* Known, yet it trapped: this view maps the original page (a load
         * from it was filled since). Dropped, the next fetch maps the copy. */
        shadow_drop_page(vm, pc, 0);
        ps->stats.remapped++;
        return;
    }
    uint64_t gpa, page_va = pc & ~(PAGE_SIZE - 1);
    if ((pc & (PAGE_SIZE - 1)) > PAGE_SIZE - 4 || !(uint32_t)pc || !kernel_code_page(v, pc, &gpa)) {
        ps->stats.refused++;
        return;
    }
    /* Every site shares the upper half of its pc (the table holds the
     * lower): a kernel that moved on (from its physical addresses to its
     * virtual ones at boot) has its new places patched, the old ones go. */
    /* Nor is there room for every site a kernel ever ran: when the table
     * or the copies are full, they start again with the sites that trap
     * from now on (the hot ones, learned again first). */
    if ((ps->site_count && (pc >> 32) != ps->high) || ps->site_count > PATCH_MAX_SITES - 8 ||
        (copy_of_gpa(vm, gpa) < 0 && ps->copy_count == PATCH_MAX_COPIES)) {
        for (int i = 0; i < PATCH_MAX_COPIES; i++)
            if (ps->copies[i].hpa)
                drop_copy(vm, i);
        ps->stats.restarts++;
    }
    const uint8_t *original = vm_gpa_to_host(vm, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
    uint32_t bits;
    memcpy(&bits, original + (pc & (PAGE_SIZE - 1)), 4);
    int c = copy_of_gpa(vm, gpa);
    if (bits != insn || (c >= 0 && ps->copies[c].va != page_va)) {
        ps->stats.refused++;
        return;
    }
    bool made = false;
    if (c < 0) {
        for (int i = 0; i < PATCH_MAX_COPIES && c < 0; i++)
            if (!ps->copies[i].hpa)
                c = i;
        uint64_t hpa = c >= 0 ? mem_alloc(PAGE_SIZE, PAGE_SIZE) : 0;
        if (!hpa) {
            ps->stats.refused++;
            return;
        }
        memcpy((void *)(uintptr_t)hpa, original, PAGE_SIZE);
        ps->copies[c] = (struct patch_copy){ gpa & ~(PAGE_SIZE - 1), page_va, hpa };
        ps->va_blocks |= va_block_bit(page_va);
        ps->copy_count++;
        set_has_copy(ps, (gpa - vm->ram_gpa) >> PAGE_SHIFT, true);
        ps->stats.copies++;
        made = true;
    }
    if (!ps->site_count)
        ps->high = pc >> 32;
    if (!add_site(vm, c, pc, insn))
        ps->stats.refused++;
    /* The run of trapping instructions after it (Linux's trap entry reads
     * five CSRs in a row): each starts where the one before ends, as none
     * of them but sret changes the pc. */
    for (uint64_t at = pc + 4; insn != MATCH_SRET && (at & (PAGE_SIZE - 1)) <= PAGE_SIZE - 4;
         at += 4) {
        memcpy(&insn, original + (at & (PAGE_SIZE - 1)), 4);
        if (!patchable(insn) || !add_site(vm, c, at, insn))
            break;
    }
    patch_frame_sync(vm, v->id, v->frame);
    /* This hart runs the copy next: its new ebreaks, not what its
     * instruction cache may hold (unprivileged spec, Zifencei). */
    __asm__ volatile("fence.i" ::: "memory");
    /* A new copy: no shadow may keep the page writable, nor another page
     * executable at its place (patch_fill sees every fill from now on), and
     * what maps the original there (a superpage, often) goes so that the
     * copy runs. If a shadow may map the page writable (since the last time
     * they were all flushed), they all go. */
    if (made) {
        shadow_blocks_drop(vm, gpa, page_va);
        shadow_drop_page(vm, page_va, 0);
        uint64_t page = (gpa - vm->ram_gpa) >> PAGE_SHIFT;
        if (ps->writable[page / 64] >> (page % 64) & 1) {
            shadow_flush_all(vm);
            memset(ps->writable, 0, sizeof(ps->writable));
            ps->stats.flushes++;
        }
    }
}

/* A fill maps [gpa, gpa+size) writable: a copy made there later must
 * flush the shadows. */
static void note_writable(struct vm *vm, uint64_t gpa, uint64_t size)
{
    struct patch_state *ps = &vm->patch;
    if (gpa < vm->ram_gpa || gpa - vm->ram_gpa >= PATCH_RAM_PAGES * PAGE_SIZE)
        return;
    uint64_t first = (gpa - vm->ram_gpa) >> PAGE_SHIFT, count = size >> PAGE_SHIFT;
    if (first + count > PATCH_RAM_PAGES)
        count = PATCH_RAM_PAGES - first;
    if (!(first % 64) && !(count % 64)) {
        memset(&ps->writable[first / 64], 0xff, count / 8);
        return;
    }
    for (uint64_t p = first; p < first + count; p++)
        ps->writable[p / 64] |= 1UL << (p % 64);
}

static uint64_t fill_with_copies(struct vcpu *v, uint64_t va, enum access_type access,
                                 uint64_t gpa, uint64_t *size, pte_t *flags, bool *block);

uint64_t patch_fill(struct vcpu *v, uint64_t va, enum access_type access, uint64_t gpa,
                    uint64_t *size, pte_t *flags, bool *block)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    *block = false;
    if (!ps->on)
        return 0;
    pte_t asked = *flags;
    uint64_t copy = fill_with_copies(v, va, access, gpa, size, flags, block);
    if (*block && (asked & PTE_W))     /* the block table maps the others writable */
        note_writable(vm, gpa & ~(pt_level_size(1) - 1), pt_level_size(1));
    else if (*flags & PTE_W)
        note_writable(vm, gpa & ~(*size - 1), *size);
    return copy;
}

/* Whether a fill of the copy's page at va, in view with flags, maps the
 * copy (execute only): a fetch there would run it. */
static bool runs_copy(const struct patch_copy *copy, uint64_t va, int view, pte_t flags)
{
    return (flags & PTE_X) && (view & SHADOW_VIEW_S) && !(view & SHADOW_VIEW_MXR) &&
           copy->va == (va & ~(PAGE_SIZE - 1));
}

void patch_block_leaves(const struct vm *vm, int view, uint64_t va, uint64_t gpa, pte_t flags,
                        pte_t *table)
{
    const struct patch_state *ps = &vm->patch;
    uint64_t host = (uint64_t)(uintptr_t)vm_gpa_to_host(vm, gpa, pt_level_size(1));
    uint64_t page = (gpa - vm->ram_gpa) >> PAGE_SHIFT;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t pa = host + i * PAGE_SIZE;
        pte_t f = flags;
        int c = page_has_copy(ps, page + i) ? copy_of_gpa(vm, gpa + i * PAGE_SIZE) : -1;
        if (c >= 0) {
            f &= ~(pte_t)(PTE_W | PTE_D);
            if (runs_copy(&ps->copies[c], va + i * PAGE_SIZE, view, f)) {
                f = PTE_X;
                pa = ps->copies[c].hpa;
            }
        }
        table[i] = pa_to_pte(pa) | f | PTE_U | PTE_A | PTE_V;
    }
}

static uint64_t fill_with_copies(struct vcpu *v, uint64_t va, enum access_type access,
                                 uint64_t gpa, uint64_t *size, pte_t *flags, bool *block)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    if (!ps->copy_count)
        return 0;
    int view = v->shadow->view;
    int c = copy_of_gpa(vm, gpa);
    if (c >= 0 && access == ACCESS_STORE) {
        drop_copy(vm, c);   /* the guest rewrites its code (text_poke, modules...) */
        ps->stats.dropped_write++;
        c = -1;
    }
    uint64_t base_va = va & ~(*size - 1), base_gpa = gpa & ~(*size - 1);
    /* Fills are of 2 MiB at most: one block to look for copies in. */
    if ((view & SHADOW_VIEW_S) && (*flags & PTE_X) && (ps->va_blocks & va_block_bit(base_va))) {
        for (int i = 0; i < PATCH_MAX_COPIES; i++) {
            struct patch_copy *k = &ps->copies[i];
            if (k->hpa && k->va - base_va < *size && k->gpa != base_gpa + (k->va - base_va)) {
                drop_copy(vm, i);   /* another page runs at its place */
                ps->stats.dropped_alias++;
            }
        }
    }
    if (!ps->copy_count)
        return 0;
    if (*size > PAGE_SIZE && range_has_copy(vm, base_gpa, *size)) {
        /* A block table may serve the whole 2 MiB (patch_block_leaves). */
        *block = *size == pt_level_size(1);
        *size = PAGE_SIZE;
    }
    if (*size != PAGE_SIZE || (c = copy_of_gpa(vm, gpa)) < 0)
        return 0;
    *flags &= ~(pte_t)(PTE_W | PTE_D);
    if (runs_copy(&ps->copies[c], va, view, *flags)) {
        if (access == ACCESS_FETCH) {
            *flags = PTE_X;     /* execute only: a load maps the original instead */
            return ps->copies[c].hpa;
        }
        *block = false;         /* the block table would map the copy, which no load reaches */
    }
    return 0;
}

bool patch_may_map(struct vm *vm, uint64_t gpa, pte_t flags)
{
    struct patch_state *ps = &vm->patch;
    if (!ps->on)
        return true;
    if (range_has_copy(vm, gpa, PAGE_SIZE))
        return false;
    if (flags & PTE_W)
        note_writable(vm, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
    return true;
}

void patch_guest_wrote(struct vm *vm, uint64_t gpa, uint64_t len)
{
    struct patch_state *ps = &vm->patch;
    if (!len || !range_has_copy(vm, gpa, len))
        return;
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa && ps->copies[i].gpa < gpa + len && gpa < ps->copies[i].gpa + PAGE_SIZE) {
            drop_copy(vm, i);
            ps->stats.dropped_write++;
        }
}

void patch_print_stats(const struct vm *vm)
{
    const struct patch_state *ps = &vm->patch;
    if (!ps->on)
        return;
    uint64_t served = 0;
    for (int i = 0; i < vm->vcpu_count; i++)
        served += vm->vcpus[i].frame->fast_hits[FAST_PATCHED];
    console_printf("lodger: vm%d patched sites %lu (now %d in %d copies), patched traps %lu, "
                   "copies %lu, dropped by guest writes %lu, dropped by other code at their place "
                   "%lu, sites refused %lu, restarts %lu, flushes %lu, remapped %lu\n", vm->id, (unsigned long)ps->stats.sites,
                   ps->site_count, ps->copy_count, (unsigned long)served,
                   (unsigned long)ps->stats.copies, (unsigned long)ps->stats.dropped_write,
                   (unsigned long)ps->stats.dropped_alias, (unsigned long)ps->stats.refused,
                   (unsigned long)ps->stats.restarts, (unsigned long)ps->stats.flushes,
                   (unsigned long)ps->stats.remapped);
}
