/* Patched guest-kernel code: see patch.h. */
#include <string.h>
#include "core/patch.h"
#include "core/vm.h"
#include "core/mem.h"
#include "core/console.h"
#include "arch/riscv/csr.h"
#include "core/plain_csr.h"
#include "core/shadow.h"
#include "dev/board.h"

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

static int find_site(const struct patch_state *ps, uint64_t pc);

/* FRAME_SITE_RUN on each entry whose pc + 4 is a site that traps too (all
 * sites share their upper half: a pc + 4 that carries into it is no run).
 * A trap-free site's load or store (plain) does not: chaining would read
 * it only to stop there, and the site before it, left unmarked, may be
 * served by a lane of the trap entry (entry.S; Linux's `csrrc s1, sstatus,
 * t0` is followed by trap-free reads of sepc, stval, scause). */
static void table_mark_runs(struct patch_state *ps)
{
    uint64_t *table = ps->table;
    for (unsigned k = 0; k < FRAME_SITES; k++) {
        uint64_t *e = &table[k];
        if (!*e)
            continue;
        uint32_t low = frame_site_low(*e);
        bool run = false;
        if (low <= UINT32_MAX - 4 && frame_site_find(table, low + 4)) {
            int next = find_site(ps, ps->high << 32 | (low + 4));
            run = next < 0 || !ps->sites[next].plain;
        }
        if (run)
            *e |= FRAME_SITE_RUN;
        else
            *e &= ~(uint64_t)FRAME_SITE_RUN;
    }
}

/* The site table's slots, filled from the list (fast_site_lookup probes).
 * The caller marks the runs (table_mark_runs) once it has inserted all:
 * that looks at every slot, and a rebuild that marked after each insert
 * cost ~100 K instructions (a fork under patched code met several). */
static bool table_insert(struct patch_state *ps, uint64_t pc, uint32_t insn, int copy)
{
    for (unsigned i = 0, slot = frame_site_slot(pc); i < FRAME_SITE_PROBES; i++, slot++) {
        uint64_t *e = &ps->table[slot & (FRAME_SITES - 1)];
        if (!*e) {
            *e = (uint64_t)insn << 32 | (uint32_t)pc;
            ps->slot_copy[slot & (FRAME_SITES - 1)] = (int8_t)copy;
            return true;
        }
    }
    return false;
}

/* A generation or version that patch_frame_sync reads without the lock. */
static void bump(uint64_t *counter)
{
    __atomic_store_n(counter, *counter + 1, __ATOMIC_RELEASE);
}

/* In the order the sites were learned: with linear probing, each then
 * lands no further from its own slot than when it was inserted, so all fit
 * again (a site whose ebreak is in a copy but not in the table would be
 * retried for ever: patch_breakpoint_retry). */
static void table_rebuild(struct patch_state *ps)
{
    memset(ps->table, 0, sizeof(ps->table));
    memset(ps->slot_copy, -1, sizeof(ps->slot_copy));
    for (int i = 0; i < ps->site_count; i++)
        table_insert(ps, ps->sites[i].pc, ps->sites[i].insn, ps->sites[i].copy);
    table_mark_runs(ps);
    bump(&ps->version);
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
    /* Unlocked first look (after vcpu_resume's rendezvous check): every
     * change is made with this vCPU held out of guest mode, so one that
     * comes after this look waits for it to leave the guest, and it takes
     * the change at its next resume. */
    if (__atomic_load_n(&ps->version, __ATOMIC_ACQUIRE) == ps->synced[id] &&
        __atomic_load_n(&ps->unmap_gen, __ATOMIC_ACQUIRE) == ps->unmap_seen[id] &&
        __atomic_load_n(&ps->code_gen, __ATOMIC_ACQUIRE) == ps->code_seen[id])
        return;
    spin_lock(&ps->lock);
    /* A copy made or dropped while this vCPU was out of guest mode: its
     * hart may still hold translations to the old pages, or lines of a
     * copy's code from before its ebreaks were written (unprivileged spec,
     * Zifencei: a hart sees another's stores to instruction memory only
     * after it executes fence.i itself). */
    if (ps->unmap_seen[id] != ps->unmap_gen) {
        sfence_vma_all();
        ps->unmap_seen[id] = ps->unmap_gen;
    }
    if (ps->code_seen[id] != ps->code_gen) {
        __asm__ volatile("fence.i" ::: "memory");
        ps->code_seen[id] = ps->code_gen;
    }
    if (ps->synced[id] != ps->version) {
        memcpy(f->sites, ps->table, sizeof(f->sites));
        f->site_high = ps->high;
        ps->synced[id] = ps->version;
    }
    spin_unlock(&ps->lock);
}

static uint64_t plain_page(const struct vm *vm);

/* Which copies the first portion has used since the last look: the
 * slots of every vCPU's frame whose site it took (trap_frame.site_ref)
 * name them (slot_copy), then are cleared. With ps->lock held and the
 * VM's other vCPUs held out of guest mode: their frames hold still, and
 * each has the master table's slots (or an older one's whose slots are
 * still where they were: a new site takes a free slot, and a rebuild,
 * which moves them, comes after a look here). */
static void gather_referenced(struct vm *vm)
{
    struct patch_state *ps = &vm->patch;
    for (int i = 0; i < vm->vcpu_count; i++) {
        struct trap_frame *f = vm->vcpus[i].frame;
        if (!f)
            continue;
        for (unsigned w = 0; w < FRAME_SITES; w += 8) {
            uint64_t word;
            memcpy(&word, &f->site_ref[w], 8);
            if (!word)
                continue;
            for (unsigned k = w; k < w + 8; k++)
                if (f->site_ref[k] && ps->slot_copy[k] >= 0)
                    ps->referenced |= 1UL << ps->slot_copy[k];
            memset(&f->site_ref[w], 0, 8);
        }
    }
}

/* The copies in mask become the guest's pages again: their sites go, and
 * every shadow (one of which may map one) drops them. With ps->lock held
 * and the VM's other vCPUs held out of guest mode (hold_others): each
 * flushes its TLB before it runs again (patch_frame_sync), so none runs a
 * copy after this, and their pages can be freed at once. */
static void drop_copies(struct vm *vm, uint64_t mask)
{
    struct patch_state *ps = &vm->patch;
    gather_referenced(vm);      /* before the rebuild moves the slots */
    int kept = 0, plain = 0;
    for (int i = 0; i < ps->site_count; i++)
        if (!(mask >> ps->sites[i].copy & 1)) {
            plain += ps->sites[i].plain;
            ps->sites[kept++] = ps->sites[i];
        }
    ps->site_count = kept;
    table_rebuild(ps);
    /* The last trap-free site went: the guest's own top page is unmapped
     * again for its loads and stores from virtual S (patch_plain_follow). */
    if (ps->plain_count && !plain)
        shadow_drop_page(vm, FRAME_PLAIN_VA, plain_page(vm));
    ps->plain_count = plain;
    for (int c = 0; c < PATCH_MAX_COPIES; c++) {
        struct patch_copy *copy = &ps->copies[c];
        if (!(mask >> c & 1) || !copy->hpa)
            continue;
        set_has_copy(ps, (copy->gpa - vm->ram_gpa) >> PAGE_SHIFT, false);
        /* Only its own place maps it (patch_fill), as 4 KiB pages, or a
         * block table of its block (whose leaves change with it). */
        shadow_blocks_drop(vm, copy->gpa, copy->va);
        shadow_drop_page(vm, copy->va, copy->hpa);
        mem_free(copy->hpa, PAGE_SIZE);
        copy->hpa = 0;
        ps->copy_count--;
    }
    ps->referenced &= ~mask;
    bump(&ps->unmap_gen);
    ps->va_blocks = 0;
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa)
            ps->va_blocks |= va_block_bit(ps->copies[i].va);
}

static void drop_copy(struct vm *vm, int c)
{
    drop_copies(vm, 1UL << c);
}

/* The copy slots in use. */
static uint64_t used_copies(const struct patch_state *ps)
{
    uint64_t used = 0;
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa)
            used |= 1UL << i;
    return used;
}

/* The copies with a trap-free site: those sites never trap, so nothing
 * marks them used (they are the guest kernel's trap entry and exit, in
 * Linux: hot); they go only when no other copy can. */
static uint64_t plain_copies(const struct patch_state *ps)
{
    uint64_t mask = 0;
    for (int i = 0; ps->plain_count && i < ps->site_count; i++)
        if (ps->sites[i].plain)
            mask |= 1UL << ps->sites[i].copy;
    return mask;
}

/* The slots a site at pc may take (FRAME_SITE_PROBES from its own) are
 * all taken: the first copy holding one of them that the first portion
 * has not used lately goes (own never). If all have been used, they are
 * unmarked, the site waits: it goes when learned again unless they are
 * used meanwhile (the clock's second chance). With ps->lock held and the
 * others held out of guest mode, as for any drop. */
static bool make_slot(struct vm *vm, uint64_t pc, int own)
{
    struct patch_state *ps = &vm->patch;
    gather_referenced(vm);
    uint64_t owners = 0;
    for (unsigned i = 0, slot = frame_site_slot(pc); i < FRAME_SITE_PROBES; i++, slot++) {
        int c = ps->slot_copy[slot & (FRAME_SITES - 1)];
        if (c >= 0 && c != own)
            owners |= 1UL << c;
    }
    uint64_t cold = owners & ~ps->referenced & ~plain_copies(ps);
    if (!cold) {
        ps->referenced &= ~owners;
        return false;
    }
    drop_copy(vm, __builtin_ctzl(cold));
    ps->stats.evicted++;
    return true;
}

/* Room for a site (and the run after it) of copy own (-1: one to make):
 * when the sites or the copies are full, the copies the clock finds
 * unused lately go, own never, until PATCH_ROOM sites are free (and a
 * copy slot, if one is to be made). With ps->lock held and the others
 * held out of guest mode, as for any drop. */
#define PATCH_ROOM 16
static void make_room(struct vm *vm, int own)
{
    struct patch_state *ps = &vm->patch;
    if (ps->site_count <= PATCH_MAX_SITES - 8 && (own >= 0 || ps->copy_count < PATCH_MAX_COPIES))
        return;
    gather_referenced(vm);
    uint64_t used = used_copies(ps), keep = own >= 0 ? 1UL << own : 0, victims = 0;
    uint64_t plain = plain_copies(ps);
    int sites = ps->site_count, copies = ps->copy_count;
    while (sites > PATCH_MAX_SITES - PATCH_ROOM || (own < 0 && copies == PATCH_MAX_COPIES)) {
        int c = patch_clock_victim(&ps->hand, used & ~victims, &ps->referenced, keep | plain);
        if (c < 0)
            c = patch_clock_victim(&ps->hand, used & ~victims, &ps->referenced, keep);
        if (c < 0)
            break;
        victims |= 1UL << c;
        copies--;
        for (int i = 0; i < ps->site_count; i++)
            sites -= ps->sites[i].copy == c;
    }
    if (victims) {
        drop_copies(vm, victims);
        ps->stats.evicted += (uint64_t)__builtin_popcountl(victims);
    }
}

/* Holds the VM's other vCPUs out of guest mode (as a first-portion move
 * does), waiting for another holder to finish first; false if the VM
 * ends meanwhile. Never with ps->lock held: the holder before us may be
 * waiting for it. */
static bool hold_others(struct vcpu *v)
{
    while (!vm_hold_others(v))
        if (__atomic_load_n(&v->vm->ended, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

void patch_reset(struct vm *vm, bool on)
{
    struct patch_state *ps = &vm->patch;
    if (ps->copy_count)
        shadow_blocks_drop_all(vm);     /* their leaves may name the copies */
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa)
            mem_free(ps->copies[i].hpa, PAGE_SIZE);
    uint64_t version = ps->version + 1, unmap_gen = ps->unmap_gen + 1, code_gen = ps->code_gen + 1;
    memset(ps, 0, sizeof(*ps));
    memset(ps->slot_copy, -1, sizeof(ps->slot_copy));
    ps->version = version;
    ps->unmap_gen = unmap_gen;
    ps->code_gen = code_gen;
    ps->on = on;
    /* Trap-free sites need the vCPU's plain CSRs alone in a page (only
     * vCPU 0 has one) and FRAME_PLAIN_VA to itself in the shadows it runs
     * (shadows are shared by a VM's vCPUs): one-vCPU VMs only. */
    ps->plain_on = ps->on && vm->vcpu_count == 1 && first_frame_has_plain(0);
    for (int i = 0; i < vm->vcpu_count; i++)
        if (vm->vcpus[i].frame) {
            memset(vm->vcpus[i].frame->site_ref, 0, sizeof(vm->vcpus[i].frame->site_ref));
            patch_frame_sync(vm, i, vm->vcpus[i].frame);
        }
}

static int find_site(const struct patch_state *ps, uint64_t pc)
{
    for (int i = 0; i < ps->site_count; i++)
        if (ps->sites[i].pc == pc)
            return i;
    return -1;
}

/* Adds one site of copy c at pc (original insn): its ebreak in the copy. */
static bool add_site(struct vm *vm, int c, uint64_t pc, uint32_t insn, bool bare)
{
    struct patch_state *ps = &vm->patch;
    if (find_site(ps, pc) >= 0)
        return true;
    if (ps->site_count == PATCH_MAX_SITES || !table_insert(ps, pc, insn, c))
        return false;
    ps->referenced |= 1UL << c;     /* learned: it runs */
    /* A trap-free site stays in the table too: it may become an ebreak
     * (plain_fallback). */
    uint32_t plain = ps->plain_on && !bare ? plain_csr_form(insn) : 0;
    ps->sites[ps->site_count++] = (struct patch_site){ pc, insn, c, plain != 0 };
    table_mark_runs(ps);
    ps->plain_count += plain != 0;
    bump(&ps->version);
    uint8_t *at = (uint8_t *)(uintptr_t)ps->copies[c].hpa + (pc & (PAGE_SIZE - 1));
    uint32_t word = plain ? plain : PATCH_EBREAK;
    memcpy(at, &word, 4);
    bump(&ps->code_gen);
    ps->stats.sites++;
    ps->stats.plain_sites += plain != 0;
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

/* patch_learn's work on a site not patched yet, with ps->lock held and
 * the VM's other vCPUs out of guest mode: no hart runs a copy while its
 * bytes change (a site's ebreak, a 4-byte store that another hart could
 * see half done: neither instruction) or while a copy is made. */
static void learn_held(struct vcpu *v, uint64_t pc, uint32_t insn, uint64_t gpa)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    uint64_t page_va = pc & ~(PAGE_SIZE - 1);
    if (find_site(ps, pc) >= 0)
        return;     /* another vCPU patched it meanwhile */
    /* Every site shares the upper half of its pc (the table holds the
     * lower): a kernel that moved on (from its physical addresses to its
     * virtual ones at boot) has its new places patched, the old ones go. */
    if (ps->site_count && (pc >> 32) != ps->high) {
        drop_copies(vm, used_copies(ps));
        ps->stats.restarts++;
    }
    /* Nor is there room for every site a kernel ever ran: the copies not
     * used lately make room (dropping them all, the hot ones trapped
     * through the firmware again until learned: ~240 traps per fork). */
    make_room(vm, copy_of_gpa(vm, gpa));
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
    /* With translation off no view maps the plain CSRs (virtual U shares
     * the shadow): such sites stay ebreaks. */
    bool bare = (v->csr->satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE;
    if (!add_site(vm, c, pc, insn, bare) &&
        (!make_slot(vm, pc, c) || !add_site(vm, c, pc, insn, bare))) {
        ps->stats.refused++;
        if (made)
            drop_copy(vm, c);   /* no site of its own */
        return;
    }
    /* The run of trapping instructions after it (Linux's trap entry reads
     * five CSRs in a row): each starts where the one before ends, as none
     * of them but sret changes the pc. */
    for (uint64_t at = pc + 4; insn != MATCH_SRET && (at & (PAGE_SIZE - 1)) <= PAGE_SIZE - 4;
         at += 4) {
        memcpy(&insn, original + (at & (PAGE_SIZE - 1)), 4);
        if (!patchable(insn) || !add_site(vm, c, at, insn, bare))
            break;
    }
    /* Every vCPU's hart (this one's too) executes fence.i before it runs
     * guest code again (patch_frame_sync: code_gen): the copy's new
     * ebreaks, not what an instruction cache may hold (unprivileged spec,
     * Zifencei: fence.i orders only the executing hart's own fetches). */
    /* A new copy: no shadow may keep the page writable, nor another page
     * executable at its place (patch_fill sees every fill from now on), and
     * what maps the original there (a superpage, often) goes so that the
     * copy runs. If a shadow may map the page writable (since the last time
     * they were all flushed), they all go; so do the other harts' TLB
     * entries (unmap_gen) before their vCPUs run again. */
    if (made) {
        shadow_blocks_drop(vm, gpa, page_va);
        shadow_drop_page(vm, page_va, 0);
        uint64_t page = (gpa - vm->ram_gpa) >> PAGE_SHIFT;
        if (ps->writable[page / 64] >> (page % 64) & 1) {
            shadow_flush_all(vm);
            memset(ps->writable, 0, sizeof(ps->writable));
            ps->stats.flushes++;
        }
        bump(&ps->unmap_gen);
    }
}

static void __attribute__((noinline)) learn(struct vcpu *v, const struct shadow *ran_on,
                                            uint64_t pc, uint32_t insn)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    spin_lock(&ps->lock);
    int known = find_site(ps, pc);
    if (known >= 0) {
        /* Its ebreak, which the first portion took for it: nothing to do. */
        uint64_t copy = ps->copies[ps->sites[known].copy].hpa;
        int level = -1;
        spin_lock(&vm->lock);
        pte_t pte = ran_on ? pt_lookup(&ran_on->pt, pc & ~(PAGE_SIZE - 1), &level) : 0;
        spin_unlock(&vm->lock);
        /* Known, yet it trapped: this view maps the original page (a load
         * from it was filled since). Dropped, the next fetch maps the copy
         * (another hart that still has the original in its TLB runs it as
         * before: it traps). */
        if (!(pte & PTE_V) || level != 0 || pte_to_pa(pte) != copy) {
            shadow_drop_page(vm, pc, 0);
            ps->stats.remapped++;
        }
        spin_unlock(&ps->lock);
        return;
    }
    spin_unlock(&ps->lock);
    uint64_t gpa;
    if ((pc & (PAGE_SIZE - 1)) > PAGE_SIZE - 4 || !(uint32_t)pc || !kernel_code_page(v, pc, &gpa)) {
        __atomic_fetch_add(&ps->stats.refused, 1, __ATOMIC_RELAXED);
        return;
    }
    /* Learning can wait: if another vCPU holds the VM, it is for later. */
    if (!vm_hold_others(v))
        return;
    spin_lock(&ps->lock);
    learn_held(v, pc, insn, gpa);
    spin_unlock(&ps->lock);
    vm_release_others(vm);
}

/* The hooks below run on every exit or fill, with patching off too: each
 * tests first, and only a call that has work goes on to the function that
 * does it (a whole function's prologue, saving most registers, cost ~25
 * instructions an exit, ~20 K per fork under --no-patch). */
void patch_learn(struct vcpu *v, const struct shadow *ran_on, uint64_t pc, uint32_t insn)
{
    if (v->vm->patch.on && patchable(insn))
        learn(v, ran_on, pc, insn);
}

static void *walk_gpa_to_host(const void *ctx, uint64_t gpa, uint64_t len)
{
    return vm_gpa_to_host(ctx, gpa, len);
}

/* The host page of vCPU 0's plain CSRs (first_portion.h). */
static uint64_t plain_page(const struct vm *vm)
{
    return first_frame_pages_of(vm->vcpus[0].frame, 0);
}

/* The guest maps FRAME_PLAIN_VA: its accesses there must reach its own
 * memory, so no shadow may keep the plain CSRs there, and no copy may
 * rely on them. Every trap-free site becomes an ebreak (same table), for
 * the VM's life: Linux never maps that page, a guest that does pays the
 * ebreaks. locked: the caller holds vm->lock. */
static void plain_fallback(struct vm *vm, bool locked)
{
    struct patch_state *ps = &vm->patch;
    if (!ps->plain_on)
        return;
    ps->plain_on = false;
    ps->stats.plain_fallbacks++;
    for (int i = 0; i < ps->site_count; i++) {
        struct patch_site *site = &ps->sites[i];
        if (!site->plain)
            continue;
        uint32_t ebreak = PATCH_EBREAK;
        memcpy((uint8_t *)(uintptr_t)ps->copies[site->copy].hpa + (site->pc & (PAGE_SIZE - 1)),
               &ebreak, 4);
        site->plain = false;
    }
    ps->plain_count = 0;
    /* Their sites trap now: the ones before them start runs. (Only one-vCPU
     * VMs have trap-free sites: no other vCPU reads the table meanwhile.) */
    table_mark_runs(ps);
    bump(&ps->version);
    bump(&ps->code_gen);
    __asm__ volatile("fence.i" ::: "memory");
    if (locked)
        shadow_drop_page_locked(vm, FRAME_PLAIN_VA, plain_page(vm));
    else
        shadow_drop_page(vm, FRAME_PLAIN_VA, plain_page(vm));
}

/* Whether the guest's table at satp maps FRAME_PLAIN_VA (a valid leaf,
 * whatever its permissions; a table lodger cannot read counts). With
 * translation off, that address is no RAM and no device of any VM. */
static bool guest_maps_plain(struct vm *vm, uint64_t satp)
{
    if ((satp >> SATP_MODE_SHIFT) == SATP_MODE_BARE)
        return vm_gpa_to_host(vm, FRAME_PLAIN_VA, 1) || board_find_region(vm, FRAME_PLAIN_VA);
    struct walk_memory mem = { walk_gpa_to_host, vm };
    return guest_walk_mapped(&mem, satp, FRAME_PLAIN_VA);
}

/* What changes when a shadow may lose the plain page: every removal of
 * shadow entries that can reach FRAME_PLAIN_VA bumps the VM's plain
 * sequence (shadow.c, fence_seq_bump_range: a guest fence of that page or
 * of a split guest superpage over it, shadow_drop_page of it, a stale
 * shadow's clear after shadow_flush_asid/all, a recycle, a release, a
 * reclaim's clear; not a fence of another page);
 * a first-portion move, which may unmap its new place, bumps every
 * shadow's generation. With vm->lock held.
 *
 * The shadows plain_follow maps the page in: virtual S views without MXR
 * of a guest with translation on (with it off, one shadow serves virtual U
 * too). */
static bool plain_view(const struct shadow *s)
{
    return s && (s->view & SHADOW_VIEW_S) && !(s->view & SHADOW_VIEW_MXR) &&
           (s->guest_satp >> SATP_MODE_SHIFT) != SATP_MODE_BARE;
}

/* Whether each of on[] that plain_follow would look at was found mapping
 * the page at v's last look, at its generation now, and no
 * removal that can reach the page happened since. A set, not a list: v's
 * own shadow is one of its views, first in on[] or not as v's mode was. */
static bool plain_seen(const struct vm *vm, int id, struct shadow *const *on, int count)
{
    const struct patch_state *ps = &vm->patch;
    if (ps->plain_seen[id].plain_seq != vm->shadows.plain_seq)
        return false;
    for (int i = 0; i < count; i++) {
        if (!plain_view(on[i]))
            continue;
        bool found = false;
        for (int k = 0; k < 4 && !found; k++)
            found = ps->plain_seen[id].on[k] == on[i] &&
                    ps->plain_seen[id].generation[k] == on[i]->generation;
        if (!found)
            return false;
    }
    return true;
}

static void __attribute__((noinline)) plain_follow(struct vcpu *v, struct shadow *const *on,
                                                   int count)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    /* The same shadows as at the last resume, each found mapping the page
     * then, and none can have lost it since: nothing to look at (three
     * walks a resume were ~90 K instructions per fork). */
    if (count <= 4 && plain_seen(vm, v->id, on, count))
        return;
    uint64_t page = plain_page(vm);
    bool mapped_one = false;
    for (int i = 0; i < count; i++) {
        struct shadow *s = on[i];
        if (!plain_view(s))
            continue;
        int level;
        pte_t pte = pt_lookup(&s->pt, FRAME_PLAIN_VA, &level);
        if ((pte & PTE_V) && level == 0 && pte_to_pa(pte) == page)
            continue;
        /* Something else there is the guest's own page (a fill): so is an
         * address the place of the first portion or of its window covers
         * (theirs; the sites then fault and are served). */
        if ((pte & PTE_V) || guest_maps_plain(vm, s->guest_satp)) {
            plain_fallback(vm, true);     /* vcpu_resume holds vm->lock */
            return;
        }
        if (first_place_overlaps(first_portion_place(&vm->first), FRAME_PLAIN_VA, PAGE_SIZE))
            return;
        /* U=1: the guest kernel runs in U-mode. */
        if (!pt_map(&s->pt, FRAME_PLAIN_VA, page, PAGE_SIZE,
                    PTE_R | PTE_W | PTE_U | PTE_A | PTE_D, 0))
            return;     /* no memory: the sites fault and are served */
        /* A guest fence of that page drops it (shadow_flush_page skips the
         * root entries no install noted): the guest may map it itself. */
        shadow_note_root(s, FRAME_PLAIN_VA);
        mapped_one = true;
    }
    /* v runs on this hart next: its walks see the new entries (4.2.1). */
    if (mapped_one)
        __asm__ volatile("sfence.vma %0, zero" :: "r"(FRAME_PLAIN_VA) : "memory");
    /* Every S view of on[] maps the page now. */
    if (count <= 4) {
        for (int i = 0; i < 4; i++) {
            ps->plain_seen[v->id].on[i] = i < count ? on[i] : NULL;
            ps->plain_seen[v->id].generation[i] = i < count && on[i] ? on[i]->generation : 0;
        }
        ps->plain_seen[v->id].plain_seq = vm->shadows.plain_seq;
    }
}

void patch_plain_follow(struct vcpu *v, struct shadow *const *on, int count)
{
    const struct patch_state *ps = &v->vm->patch;
    /* Only while some trap-free site needs them: otherwise a load or store
     * of virtual S there must reach the guest's own mapping, or fault as
     * the guest's table says (while the page is mapped it cannot: the one
     * way a guest can tell trap-free sites, docs/ARCHITECTURE.md). */
    if (ps->plain_on && ps->plain_count && first_frame_has_plain(v->id))
        plain_follow(v, on, count);
}

static bool __attribute__((noinline)) plain_fault(struct vcpu *v, uint64_t pc, uint64_t va,
                                                 uint32_t *original)
{
    struct patch_state *ps = &v->vm->patch;
    int i = find_site(ps, pc);
    if (i < 0 || !ps->sites[i].plain || plain_csr_address(ps->sites[i].insn) != va)
        return false;
    *original = ps->sites[i].insn;
    ps->stats.plain_trapped++;
    return true;
}

bool patch_plain_fault(struct vcpu *v, uint64_t pc, uint64_t va, uint32_t *original)
{
    return v->vm->patch.on && v->mode == VMODE_S &&
           va - (0 - (uint64_t)FRAME_PLAIN_SIZE) < FRAME_PLAIN_SIZE &&
           plain_fault(v, pc, va, original);
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

/* The copies a fill must drop before it installs anything: that of the
 * page a store reaches (the guest rewrites its code: text_poke, modules,
 * ftrace, kprobes...), and any whose place an executable S-mode mapping of
 * another page covers. Dropped if drop (ps->lock held, the others held
 * out of guest mode), else only counted. */
static int fill_drops(struct vm *vm, int view, uint64_t va, enum access_type access, uint64_t gpa,
                      uint64_t size, pte_t flags, bool drop)
{
    struct patch_state *ps = &vm->patch;
    int count = 0, c = copy_of_gpa(vm, gpa);
    if (c >= 0 && access == ACCESS_STORE) {
        count++;
        if (drop) {
            drop_copy(vm, c);
            ps->stats.dropped_write++;
        }
    }
    uint64_t base_va = va & ~(size - 1), base_gpa = gpa & ~(size - 1);
    /* Fills are of 2 MiB at most: one block to look for copies in. */
    if ((view & SHADOW_VIEW_S) && (flags & PTE_X) && (ps->va_blocks & va_block_bit(base_va))) {
        for (int i = 0; i < PATCH_MAX_COPIES; i++) {
            struct patch_copy *k = &ps->copies[i];
            if (k->hpa && k->va - base_va < size && k->gpa != base_gpa + (k->va - base_va)) {
                count++;
                if (drop) {
                    drop_copy(vm, i);   /* another page runs at its place */
                    ps->stats.dropped_alias++;
                }
            }
        }
    }
    return count;
}

/* Whether a fill of the copy's page at va, in view with flags, maps the
 * copy (execute only): a fetch there would run it. */
static bool runs_copy(const struct patch_copy *copy, uint64_t va, int view, pte_t flags)
{
    return (flags & PTE_X) && (view & SHADOW_VIEW_S) && !(view & SHADOW_VIEW_MXR) &&
           copy->va == (va & ~(PAGE_SIZE - 1));
}

/* With ps->lock held (link_block in shadow.c takes it). */
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

/* What the fill may install, the copies being what they are (ps->lock). */
static uint64_t fill_with_copies(struct vcpu *v, uint64_t va, enum access_type access,
                                 uint64_t gpa, uint64_t *size, pte_t *flags, bool *block)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    int view = v->shadow->view, c;
    if (!ps->copy_count)
        return 0;
    uint64_t base_gpa = gpa & ~(*size - 1);
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
            ps->referenced |= 1UL << c;     /* it runs (patch_clock.h) */
            *flags = PTE_X;     /* execute only: a load maps the original instead */
            return ps->copies[c].hpa;
        }
        *block = false;         /* the block table would map the copy, which no load reaches */
    }
    return 0;
}

static uint64_t __attribute__((noinline)) fill(struct vcpu *v, uint64_t va,
                                               enum access_type access, uint64_t gpa,
                                               uint64_t *size, pte_t *flags, bool *block)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    /* The guest maps FRAME_PLAIN_VA (this fill is of its translation). */
    if (ps->plain_on && FRAME_PLAIN_VA - (va & ~(*size - 1)) < *size)
        plain_fallback(vm, false);
    spin_lock(&ps->lock);
    if (ps->copy_count && fill_drops(vm, v->shadow->view, va, access, gpa, *size, *flags, false)) {
        /* Dropped with the other vCPUs out of guest mode (drop_copy); then
         * the access runs again, and its fill finds nothing to drop (nor
         * installs or links anything now: *block stays false). */
        spin_unlock(&ps->lock);
        if (!hold_others(v))
            return PATCH_FILL_RETRY;    /* the VM ends */
        spin_lock(&ps->lock);
        fill_drops(vm, v->shadow->view, va, access, gpa, *size, *flags, true);
        spin_unlock(&ps->lock);
        vm_release_others(vm);
        return PATCH_FILL_RETRY;
    }
    pte_t asked = *flags;
    uint64_t copy = fill_with_copies(v, va, access, gpa, size, flags, block);
    if (*block && (asked & PTE_W))     /* the block table maps the others writable */
        note_writable(vm, gpa & ~(pt_level_size(1) - 1), pt_level_size(1));
    else if (*flags & PTE_W)
        note_writable(vm, gpa & ~(*size - 1), *size);
    spin_unlock(&ps->lock);
    return copy;
}

uint64_t patch_fill(struct vcpu *v, uint64_t va, enum access_type access, uint64_t gpa,
                    uint64_t *size, pte_t *flags, bool *block)
{
    *block = false;
    return v->vm->patch.on ? fill(v, va, access, gpa, size, flags, block) : 0;
}

static bool __attribute__((noinline)) may_map(struct vm *vm, int view, uint64_t va, uint64_t gpa,
                                              pte_t flags)
{
    struct patch_state *ps = &vm->patch;
    if (range_has_copy(vm, gpa, PAGE_SIZE))
        return false;
    /* Another page executable in an S view where a copy runs: the copy
     * must go first (fill_drops, with the others held), which only a fill
     * of the guest's own access does. */
    if ((view & SHADOW_VIEW_S) && (flags & PTE_X) && (ps->va_blocks & va_block_bit(va)))
        for (int i = 0; i < PATCH_MAX_COPIES; i++)
            if (ps->copies[i].hpa && ps->copies[i].va == (va & ~(PAGE_SIZE - 1)))
                return false;
    if (flags & PTE_W)
        note_writable(vm, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
    return true;
}

bool patch_may_map(struct vm *vm, int view, uint64_t va, uint64_t gpa, pte_t flags)
{
    return !vm->patch.on || may_map(vm, view, va, gpa, flags);
}

void patch_unmapped(struct vm *vm)
{
    struct patch_state *ps = &vm->patch;
    spin_lock(&ps->lock);
    bump(&ps->unmap_gen);
    spin_unlock(&ps->lock);
}

/* Drops the copies of the pages in [gpa, gpa+len) that lodger has written,
 * counting each in *dropped. */
static void drop_written(struct vcpu *v, uint64_t gpa, uint64_t len, uint64_t *dropped)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    if (!ps->on || !len)
        return;
    /* Under the lock, after the write: a copy made before this look is
     * dropped; one made after it copies what was written. */
    spin_lock(&ps->lock);
    bool any = range_has_copy(vm, gpa, len);
    spin_unlock(&ps->lock);
    if (!any || !hold_others(v))
        return;
    spin_lock(&ps->lock);
    for (int i = 0; i < PATCH_MAX_COPIES; i++)
        if (ps->copies[i].hpa && ps->copies[i].gpa < gpa + len && gpa < ps->copies[i].gpa + PAGE_SIZE) {
            drop_copy(vm, i);
            (*dropped)++;
        }
    spin_unlock(&ps->lock);
    vm_release_others(vm);
}

void patch_guest_wrote(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    drop_written(v, gpa, len, &v->vm->patch.stats.dropped_write);
}

void patch_pte_updated(struct vcpu *v, uint64_t gpa)
{
    drop_written(v, gpa, 8, &v->vm->patch.stats.dropped_lodger);
}

/* The instruction at pc in guest-physical page gpa's bytes: an ebreak or
 * c.ebreak (IALIGN 16: a c.ebreak may end a page). */
static bool ebreak_at(const struct vm *vm, uint64_t gpa)
{
    uint64_t left = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
    const uint8_t *p = vm_gpa_to_host(vm, gpa, left < 4 ? left : 4);
    if (!p)
        return false;
    uint16_t low;
    memcpy(&low, p, 2);
    if (low == 0x9002)
        return true;        /* c.ebreak */
    uint32_t word;
    if (left < 4)
        return false;
    memcpy(&word, p, 4);
    return word == PATCH_EBREAK;
}

bool patch_breakpoint_retry(struct vcpu *v, uint64_t pc)
{
    struct vm *vm = v->vm;
    struct patch_state *ps = &vm->patch;
    if (!ps->on || !v->shadow)
        return false;
    /* The page the hart ran pc from, as the shadow maps it now. Guest RAM
     * itself: the ebreak is the guest's own. */
    int level = -1;
    spin_lock(&ps->lock);
    spin_lock(&vm->lock);
    pte_t pte = pt_lookup(&v->shadow->pt, pc & ~(PAGE_SIZE - 1), &level);
    spin_unlock(&vm->lock);
    uint64_t hpa = (pte & PTE_V) ? pte_to_pa(pte) : 0;
    if (hpa && level > 0)
        hpa += pc & (pt_level_size(level) - 1) & ~(PAGE_SIZE - 1);
    if (hpa >= vm->ram_hpa && hpa - vm->ram_hpa < vm->ram_size) {
        spin_unlock(&ps->lock);
        return false;
    }
    /* A copy, or nothing any more (dropped since the hart fetched it):
     * what the guest has at pc decides. */
    uint64_t gpa = 0, cause;
    for (int i = 0; i < PATCH_MAX_COPIES && !gpa; i++)
        if (hpa && ps->copies[i].hpa == hpa)
            gpa = ps->copies[i].gpa | (pc & (PAGE_SIZE - 1));
    bool own = gpa ? ebreak_at(vm, gpa)
                   : vcpu_guest_physical(v, pc, ACCESS_FETCH, false, &gpa, &cause) &&
                         ebreak_at(vm, gpa);
    if (!own)
        ps->stats.retried++;
    spin_unlock(&ps->lock);
    if (!own)   /* this hart's stale entry, if that is where the copy came from */
        __asm__ volatile("sfence.vma %0, zero" :: "r"(pc) : "memory");
    return !own;
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
                   "%lu, sites refused %lu, restarts %lu, evicted %lu, flushes %lu, remapped %lu, dropped by lodger's "
                   "writes %lu, stale ebreaks retried %lu, trap-free sites %lu (trapped %lu, fallbacks %lu)\n",
                   vm->id, (unsigned long)ps->stats.sites,
                   ps->site_count, ps->copy_count, (unsigned long)served,
                   (unsigned long)ps->stats.copies, (unsigned long)ps->stats.dropped_write,
                   (unsigned long)ps->stats.dropped_alias, (unsigned long)ps->stats.refused,
                   (unsigned long)ps->stats.restarts, (unsigned long)ps->stats.evicted,
                   (unsigned long)ps->stats.flushes,
                   (unsigned long)ps->stats.remapped, (unsigned long)ps->stats.dropped_lodger,
                   (unsigned long)ps->stats.retried, (unsigned long)ps->stats.plain_sites,
                   (unsigned long)ps->stats.plain_trapped, (unsigned long)ps->stats.plain_fallbacks);
}
