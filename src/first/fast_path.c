/* The C twin of the first portion's fast paths (src/first/entry.S,
 * .Lfast_paths): the same decisions in the same order, on the same frame.
 * The host tests check it against the second portion's CSR emulation
 * (core/vcsr.c), so the assembly has a reference to be read against. */
#include <string.h>
#include "first/frame.h"
#include "arch/riscv/encoding.h"
#include "arch/riscv/pagetable.h"

static uint64_t new_value(unsigned funct3, uint64_t old, uint64_t operand)
{
    switch (funct3 & 3) {
    case 2: return old | operand;
    case 3: return old & ~operand;
    default: return operand;
    }
}

bool fast_path_csr(struct trap_frame *f)
{
    if (f->cause != CAUSE_ILLEGAL_INSTRUCTION || f->vmode == 0)
        return false;
    uint64_t insn = f->tval;
    if ((insn & 0x7f) != OPCODE_SYSTEM)
        return false;
    unsigned funct3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31, rd = (insn >> 7) & 31;
    unsigned csr = (unsigned)(insn >> 20);
    if ((funct3 & 3) == 0)
        return false;
    uint64_t operand = (funct3 & 4) ? rs1 : f->x[rs1];
    bool writes = (funct3 & 3) == 1 || rs1 != 0;
    struct vcsr *c = &f->csr;
    uint64_t old, *field = 0;
    enum fast_kind kind;

    switch (csr) {
    case CSR_SSCRATCH: field = &c->sscratch; kind = FAST_SSCRATCH; break;
    case CSR_SCAUSE: field = &c->scause; kind = FAST_SCAUSE; break;
    case CSR_STVAL: field = &c->stval; kind = FAST_STVAL; break;
    case CSR_SEPC:
        kind = FAST_SEPC;
        old = c->sepc;
        if (writes)
            c->sepc = new_value(funct3, old, operand) & ~1UL;
        goto done;
    case CSR_SIP:
        if (writes)
            return false;
        kind = FAST_SIP;
        old = c->sip;
        goto done;
    case CSR_SIE: {
        kind = FAST_SIE;
        old = c->sie;
        if (writes) {
            uint64_t sie = new_value(funct3, old, operand) & SIE_ALL;
            if (c->sip & sie)
                return false;
            c->sie = sie;
        }
        goto done;
    }
    case CSR_SSTATUS: {
        kind = FAST_SSTATUS;
        uint64_t stored = c->sstatus;
        if (stored & SSTATUS_FS) {
            stored = (stored & ~SSTATUS_FS) | (f->status & SSTATUS_FS);
            c->sstatus = stored;
        }
        old = stored | ((stored & SSTATUS_FS) == SSTATUS_FS ? SSTATUS_SD : 0);
        if (writes) {
            uint64_t next = (new_value(funct3, old, operand) & FAST_SSTATUS_WRITABLE) |
                            (stored & ~FAST_SSTATUS_WRITABLE);
            uint64_t changed = next ^ stored;
            if (changed & FAST_SSTATUS_SLOW)
                return false;
            if ((changed & SSTATUS_SIE) && (next & SSTATUS_SIE) && (c->sip & c->sie))
                return false;
            if (changed & SSTATUS_SUM) {
                /* The other S-mode view, if built: the assembly writes satp. */
                uint64_t satp = f->sum_satp[(next & SSTATUS_SUM) != 0];
                if (!satp)
                    return false;
                f->guest_satp = satp;
            }
            if (changed & SSTATUS_FS)       /* the assembly writes the hart's FS */
                f->status = (f->status & ~SSTATUS_FS) | (next & SSTATUS_FS);
            c->sstatus = next;
        }
        goto done;
    }
    default:
        return false;
    }
    old = *field;
    if (writes)
        *field = new_value(funct3, old, operand);
done:
    if (rd)
        f->x[rd] = old;
    f->fast_hits[kind]++;
    f->pc += 4;
    return true;
}

/* sret from virtual S (entry.S .Lfast_sret). */
static bool fast_sret(struct trap_frame *f)
{
    struct vcsr *c = &f->csr;
    if (c->sstatus & SSTATUS_FS)
        c->sstatus = (c->sstatus & ~SSTATUS_FS) | (f->status & SSTATUS_FS);
    uint64_t s = c->sstatus;
    uint64_t next = (s & ~(SSTATUS_SIE | SSTATUS_SPP)) | ((s & SSTATUS_SPIE) >> 4) | SSTATUS_SPIE;
    bool pending = (c->sip & c->sie) != 0;
    uint64_t satp = 0;
    if (s & SSTATUS_SPP) {
        if ((next & SSTATUS_SIE) && pending)
            return false;
    } else {
        if (pending || !f->user_satp)
            return false;
        satp = f->user_satp;
    }
    c->sstatus = next;
    f->vmode = (s & SSTATUS_SPP) ? 1 : 0;
    if (satp)
        f->guest_satp = satp;
    f->fast_hits[FAST_SRET]++;
    f->pc = c->sepc & ~1UL;     /* a plain store may have set bit 0 (frame.h) */
    return true;
}

/* A guest-user ecall, a breakpoint or a page fault into the guest kernel
 * (.Lfast_reflect). */
static bool fast_reflect(struct trap_frame *f, uint64_t cause, uint64_t tval, enum fast_kind kind)
{
    struct vcsr *c = &f->csr;
    if (c->sstatus & SSTATUS_FS)
        c->sstatus = (c->sstatus & ~SSTATUS_FS) | (f->status & SSTATUS_FS);
    uint64_t s = c->sstatus, satp = 0;
    if (!f->vmode) {
        satp = f->sum_satp[(s & SSTATUS_SUM) != 0];
        if (!satp)
            return false;
    }
    c->sstatus = (s & ~(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP)) | (f->vmode << 8) |
                 ((s & SSTATUS_SIE) << 4);
    c->sepc = f->pc;
    c->scause = cause;
    c->stval = tval;
    f->vmode = 1;
    if (satp)
        f->guest_satp = satp;
    f->fast_hits[kind]++;
    f->pc = c->stvec & ~3UL;
    return true;
}

/* Whether the guest's leaf PTE lets virtual U make the access of cause
 * (core/guest_walk.c leaf_allows with user = true). */
static bool user_leaf_allows(uint64_t pte, uint64_t cause, uint64_t sstatus)
{
    if (!(pte & PTE_U))
        return false;
    if (cause == CAUSE_FETCH_PAGE_FAULT)
        return pte & PTE_X;
    if (cause == CAUSE_STORE_PAGE_FAULT)
        return pte & PTE_W;
    return (pte & PTE_R) || ((sstatus & SSTATUS_MXR) && (pte & PTE_X));
}

/* A page fault from virtual U that the guest's own table causes
 * (.Lfast_page_fault): the walk of core/guest_walk.c (privileged spec
 * 4.3.2), without A/D updates, reading the guest's tables through the
 * guest-RAM window. Declined when the walk allows the access or reads a
 * PTE outside RAM. */
static bool fast_page_fault(struct trap_frame *f)
{
    if (f->vmode || !f->window_va)
        return false;
    uint64_t satp = f->csr.satp, va = f->tval;
    int levels = pt_levels_of_mode(satp >> SATP_MODE_SHIFT);
    if (!levels)
        return false;
    if (pt_is_canonical(va, levels)) {
        uint64_t table = (satp & SATP_PPN_MASK) << PAGE_SHIFT;
        for (int level = levels - 1; level >= 0; level--) {
            uint64_t offset = table + ((va >> (PAGE_SHIFT + 9 * level)) & 511) * 8 - f->ram_gpa;
            if (offset >= f->ram_size)
                return false;
            uint64_t pte = *(const volatile uint64_t *)(uintptr_t)(f->window_va + offset);
            if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W)) == PTE_W ||
                (pte & (PTE_N | PTE_PBMT | PTE_RESERVED_HIGH)))
                break;
            if (!(pte & (PTE_R | PTE_X))) {
                if (pte & (PTE_D | PTE_A | PTE_U))
                    break;
                table = pte_to_pa(pte);
                continue;
            }
            if (!user_leaf_allows(pte, f->cause, f->csr.sstatus))
                break;
            if (level > 0 && ((pte >> PTE_PPN_SHIFT) & ((1UL << (9 * level)) - 1)))
                break;
            return false;       /* allowed: the second portion fills the shadow */
        }
    }
    return fast_reflect(f, f->cause, f->tval, FAST_PAGE_FAULT);
}

/* entry.S site_lookup: the site table of frame.h, probed from pc's slot. */
uint64_t fast_site_entry(const struct trap_frame *f, uint64_t pc)
{
    uint32_t low = (uint32_t)pc;
    if ((pc >> 32) != f->site_high || !low)
        return 0;
    const uint64_t *e = frame_site_find(f->sites, low);
    return e ? *e : 0;
}

/* The slot of the site at pc (one fast_site_entry found). */
static unsigned fast_site_slot(const struct trap_frame *f, uint64_t pc)
{
    return (unsigned)(frame_site_find(f->sites, (uint32_t)pc) - f->sites);
}

uint32_t fast_site_lookup(const struct trap_frame *f, uint64_t pc)
{
    return (uint32_t)(fast_site_entry(f, pc) >> 32);
}

/* Whether chaining goes on after the patched site at pc: its table entry
 * says that the next instruction is a site too (frame.h FRAME_SITE_RUN). */
static bool site_run_follows(const struct trap_frame *f, uint64_t pc)
{
    return fast_site_entry(f, pc) & FRAME_SITE_RUN;
}

/* Whether entry.S's lanes take the breakpoint at f->pc, whose site holds
 * insn, before the general path: a site with no run after it that is an
 * SIE clear (any rd) or set (rd = x0), an sstatus or sscratch access with
 * a register operand, or an sret back to virtual U; or the run sepc_run
 * describes.
 * A lane then serves the trap exactly when the general path would. */
static bool sepc_run(const struct trap_frame *f, uint32_t insn);

static bool lane_site(const struct trap_frame *f, uint32_t insn)
{
    if (fast_site_entry(f, f->pc) & FRAME_SITE_RUN)
        return sepc_run(f, insn);
    unsigned funct3 = (insn >> 12) & 7, csr = insn >> 20;
    if ((insn & ~(31u << 7)) == SIE_CLEAR_INSN || insn == SIE_SET_INSN)
        return true;
    if ((insn & 0x7f) == OPCODE_SYSTEM && funct3 >= 1 && funct3 <= 3 &&
        (csr == CSR_SSTATUS || csr == CSR_SSCRATCH))
        return true;
    return insn == MATCH_SRET && !(f->csr.sstatus & SSTATUS_SPP);
}

/* The one run the lanes take (entry.S, 86): an sstatus write with rd = x0
 * and a register operand, then, in the same page, a lone `csrw sepc, rs`
 * (Linux's return to user): the lane serves the first, fast_path_run
 * chains into the second as for the general path. */
static bool sepc_run(const struct trap_frame *f, uint32_t insn)
{
    unsigned funct3 = (insn >> 12) & 7;
    if ((insn & 0xfff) != OPCODE_SYSTEM || insn >> 20 != CSR_SSTATUS || funct3 < 1 || funct3 > 3)
        return false;
    uint64_t next = f->pc + 4;
    if ((f->pc + 7) >> 12 != f->pc >> 12)     /* the second all in the first's page */
        return false;
    uint64_t e = fast_site_entry(f, next);
    uint32_t csrw_sepc = CSR_SEPC << 20 | 1 << 12 | OPCODE_SYSTEM;
    return e && !(e & FRAME_SITE_RUN) && ((uint32_t)(e >> 32) & ~(31u << 15)) == csrw_sepc;
}

/* All the fast paths for one trap; chained: a CSR access or sret that
 * fast_path_chain took from the instruction after the one served. */
static bool fast_trap(struct trap_frame *f, bool chained)
{
    if (f->cause == CAUSE_USER_ECALL)
        return !f->vmode && fast_reflect(f, CAUSE_USER_ECALL, 0, FAST_REFLECT);
    if (f->cause == CAUSE_BREAKPOINT) {
        /* The ebreak of a patched site: its original instruction trapped. */
        uint32_t insn = f->vmode ? fast_site_lookup(f, f->pc) : 0;
        if (!insn && f->vmode && f->patch_learn)
            return false;   /* perhaps a copy's ebreak this table lacks: core/patch.c */
        if (!insn)
            return fast_reflect(f, CAUSE_BREAKPOINT, f->tval, FAST_REFLECT);
        f->cause = CAUSE_ILLEGAL_INSTRUCTION;
        f->tval = insn;
        f->site_ref[fast_site_slot(f, f->pc)] = FRAME_SITE_REFERENCED;
        f->fast_hits[FAST_PATCHED]++;
        if (!chained && lane_site(f, insn)) {
            if (!(insn == MATCH_SRET ? fast_sret(f) : fast_path_csr(f)))
                return false;
            f->fast_hits[FAST_LANE]++;
            return true;
        }
        chained = true;     /* no learning: it is patched */
    }
    if (f->cause == CAUSE_LOAD_PAGE_FAULT || f->cause == CAUSE_STORE_PAGE_FAULT ||
        f->cause == CAUSE_FETCH_PAGE_FAULT)
        return fast_page_fault(f);
    if (f->cause == CAUSE_ILLEGAL_INSTRUCTION && f->vmode && !chained && f->patch_learn &&
        --f->patch_learn == 0) {
        f->patch_learn = PATCH_LEARN_PERIOD;    /* this one is for core/patch.c */
        return false;
    }
    if (f->cause == CAUSE_ILLEGAL_INSTRUCTION && f->vmode && f->tval == MATCH_SRET)
        return fast_sret(f);
    return fast_path_csr(f);
}

bool fast_path_trap(struct trap_frame *f)
{
    return fast_trap(f, false);
}

bool fast_path_chain(struct trap_frame *f, uint32_t next, bool readable)
{
    /* Same page: the trapping instruction was fetched from it, so the guest
     * may execute there (the shadow maps it executable in this view). */
    if ((f->pc & 0xfff) > 0xffc || !readable)
        return false;
    /* A patched site reads as its ebreak in the copy the guest runs. */
    bool patched = false;
    if (next == PATCH_EBREAK) {
        uint32_t insn = f->vmode ? fast_site_lookup(f, f->pc) : 0;
        if (!insn)
            return false;
        next = insn;
        patched = true;
    }
    /* Only what would trap if the guest ran it in U-mode: sret, and CSRs of
     * S-level or above (privileged spec 2.1: bits 9:8 of the number). A user
     * CSR (fcsr, time...) may run in U-mode: the guest runs it itself. */
    if ((next & 0x7f) != OPCODE_SYSTEM)
        return false;
    if (next != MATCH_SRET && (((next >> 12) & 3) == 0 || ((next >> 28) & 3) == 0))
        return false;
    f->tval = next;
    f->fast_hits[FAST_CHAINED]++;
    if (patched)
        f->fast_hits[FAST_PATCHED]++;
    return true;
}

bool fast_path_run(struct trap_frame *f, bool (*fetch)(void *ctx, uint64_t va, uint32_t *bits),
                   void *ctx)
{
    bool csr = (f->cause == CAUSE_ILLEGAL_INSTRUCTION && f->tval != MATCH_SRET) ||
               (f->cause == CAUSE_BREAKPOINT && f->vmode && fast_site_lookup(f, f->pc) &&
                fast_site_lookup(f, f->pc) != MATCH_SRET);
    /* A patched site chains only into a run of sites (FRAME_SITE_RUN). */
    bool more = !(f->cause == CAUSE_BREAKPOINT && f->vmode && fast_site_entry(f, f->pc) &&
                  !site_run_follows(f, f->pc));
    /* The run a lane serves whole (sepc_run) takes its second instruction
     * from the site table, reading nothing: served even where the read
     * would fault (a view that does not map the page yet). */
    bool lane_run = f->cause == CAUSE_BREAKPOINT && f->vmode && site_run_follows(f, f->pc) &&
                    sepc_run(f, fast_site_lookup(f, f->pc));
    if (!fast_path_trap(f))
        return false;
    if (lane_run)
        return fast_path_chain(f, PATCH_EBREAK, true) && fast_trap(f, true);
    for (int left = FAST_CHAIN_MAX; csr && more && left > 0; left--) {
        uint32_t next = 0;
        uint64_t pc = f->pc;
        bool readable = (pc & 0xfff) <= 0xffc && fetch(ctx, pc, &next);
        if (!fast_path_chain(f, next, readable))
            break;
        if (next == PATCH_EBREAK && !site_run_follows(f, pc))
            more = false;       /* this one is served, and the chain ends */
        csr = f->tval != MATCH_SRET;
        if (!fast_trap(f, true))
            return false;
    }
    return true;
}

static bool differs(struct frame_diff *d, const char *field, int index, uint64_t a, uint64_t b)
{
    if (a == b)
        return false;
    *d = (struct frame_diff){ field, index, a, b };
    return true;
}

bool fast_frame_diff(const struct trap_frame *a, const struct trap_frame *b, struct frame_diff *d)
{
    for (int i = 0; i < 32; i++)
        if (differs(d, "x", i, a->x[i], b->x[i]))
            return true;
#define FIELD(name) if (differs(d, #name, -1, a->name, b->name)) return true
    FIELD(pc); FIELD(cause); FIELD(tval); FIELD(status); FIELD(guest_satp); FIELD(host_satp);
    FIELD(host_sp); FIELD(host_tp); FIELD(host_scratch); FIELD(host_trap); FIELD(host_fault);
    FIELD(flush_on_switch);
    FIELD(csr.sstatus); FIELD(csr.sie); FIELD(csr.sip); FIELD(csr.stvec); FIELD(csr.sscratch);
    FIELD(csr.sepc); FIELD(csr.scause); FIELD(csr.stval); FIELD(csr.satp);
    FIELD(csr.scounteren); FIELD(csr.senvcfg); FIELD(vmode); FIELD(user_satp);
    /* Not nested_t1: entry.S's scratch while it checks a trap from S-mode. */
    FIELD(window_va); FIELD(ram_gpa); FIELD(ram_size); FIELD(patch_learn); FIELD(site_high);
#undef FIELD
    for (int k = 0; k < FRAME_SITES; k++)
        if (differs(d, "sites", k, a->sites[k], b->sites[k]))
            return true;
    for (int k = 0; k < FRAME_SITES / 8; k++) {     /* by words of eight slots */
        uint64_t wa, wb;
        memcpy(&wa, &a->site_ref[8 * k], 8);
        memcpy(&wb, &b->site_ref[8 * k], 8);
        if (differs(d, "site_ref", k, wa, wb))
            return true;
    }
    for (int k = 0; k < 2; k++)
        if (differs(d, "sum_satp", k, a->sum_satp[k], b->sum_satp[k]))
            return true;
    for (int k = 0; k < 16; k++)
        if (differs(d, "fast_hits", k, a->fast_hits[k], b->fast_hits[k]))
            return true;
    return false;
}
