/* Patched guest-kernel code (issue 15). OpenSBI takes every illegal-
 * instruction trap in M-mode before redirecting it to lodger (~410
 * instructions), but delegates breakpoints. So the guest kernel's hot code
 * pages run from execute-only copies in which each instruction that traps
 * in U-mode (a CSR access, sret, sfence.vma, wfi) is an ebreak; the first
 * portion finds the site by its pc in the VM's site table (first/frame.h)
 * and serves the original instruction as if it had trapped (entry.S,
 * .Lfast_breakpoint). The guest cannot tell:
 *  - a copy is mapped X only (no R) and only in S-mode views without MXR:
 *    a load faults and its fill maps the original page instead;
 *  - while a copy exists no shadow maps its page writable: a store drops the
 *    copy first, as does any write lodger makes for the guest;
 *  - a copy runs only at the address where its sites were learned, and an
 *    executable mapping of another page there drops it: an ebreak the
 *    guest wrote is never taken for a site;
 *  - a trap at a site is its original instruction's (pc, stval = its bits).
 * Trap-free sites (issue 15 item 2): a read of sscratch, sepc, scause or
 * stval and a write of sscratch, scause or stval (plain_csr.c) becomes, in
 * the copy, a load or store of the vCPU's own slot of that CSR (the frame's,
 * which the fast paths and the second portion use too), which the S-mode
 * views that run copies map at the top of the address space (FRAME_PLAIN_VA:
 * `ld rd, -32(zero)` reaches it). The U view never maps it. If the guest
 * maps that page in any address space, every trap-free site becomes an
 * ebreak again, and the page leaves every shadow, for the VM's life.
 * Sites are learned from traps that really happened (the instruction start
 * is then known), and the run of trapping instructions right after one.
 * When the site table or the copies are full, copies that the first
 * portion has not used lately make room (patch_clock.h), each dropped as a
 * guest write drops one.
 * Several vCPUs: a copy is made or dropped with the VM's other vCPUs held
 * out of guest mode (vm_hold_others), and each flushes its hart's TLB and
 * instruction cache and takes the new site table before it runs guest code
 * again (patch_frame_sync); an ebreak of a copy that a vCPU's table lacks
 * (a site added since, or a copy dropped since) runs again instead of
 * reaching the guest (patch_breakpoint_retry). */
#ifndef LODGER_CORE_PATCH_H
#define LODGER_CORE_PATCH_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/pagetable.h"
#include "core/guest_walk.h"
#include "first/frame.h"
#include "core/first_portion.h"
#include "core/spinlock.h"
#include "core/patch_clock.h"

#define PATCH_MAX_SITES 96          /* under 3/4 of the FRAME_SITES slots */
#define PATCH_MAX_COPIES 64          /* PATCH_CLOCK_SLOTS at most */
#define PATCH_RAM_PAGES (128UL << 20 >> 12)    /* guest RAM pages a copy may be of */

struct patch_copy {
    uint64_t gpa, va;           /* the original page, and where it runs as a copy */
    uint64_t hpa;               /* the copy (0: slot free) */
};

struct patch_site {
    uint64_t pc;
    uint32_t insn;
    int copy;
    bool plain;                 /* trap-free: its copy holds plain_csr_form(insn) */
};

struct patch_stats {
    uint64_t sites;             /* sites patched (each once) */
    uint64_t copies;            /* copies made */
    uint64_t dropped_write;     /* copies dropped by a guest write to their page */
    uint64_t dropped_alias;     /* copies dropped: another page executable at their place */
    uint64_t refused;           /* learned sites that could not be patched */
    uint64_t flushes;           /* every shadow flushed: a new copy's page was writable */
    uint64_t remapped;          /* known sites that trapped: their place mapped the original */
    uint64_t restarts;          /* every copy dropped: a site in another upper half */
    uint64_t evicted;           /* copies dropped to make room, unused lately (patch_clock.h) */
    uint64_t dropped_lodger;    /* copies dropped by lodger's own writes (A/D, SBI, emulation) */
    uint64_t retried;           /* ebreaks of a copy a vCPU's table lacked: run again */
    uint64_t plain_sites;       /* sites patched trap-free (also in sites) */
    uint64_t plain_trapped;     /* trap-free sites that faulted: served by the second portion */
    uint64_t plain_fallbacks;   /* the guest mapped FRAME_PLAIN_VA: trap-free sites became ebreaks */
};

struct patch_state {
    bool on;
    /* Everything below; taken before vm->lock, never held while waiting
     * for another vCPU (vm_hold_others). */
    struct spinlock lock;
    bool plain_on;              /* trap-free sites: one vCPU, no guest mapping at FRAME_PLAIN_VA seen */
    int plain_count;            /* trap-free sites now: the shadows map the plain CSRs only while any */
    int site_count, copy_count;
    uint64_t high;              /* the upper half of every site's pc */
    struct patch_site sites[PATCH_MAX_SITES];
    struct patch_copy copies[PATCH_MAX_COPIES];
    /* The clock that picks a copy to make room (patch_clock.h): a bit per
     * copy slot, and the copy slot of each site-table slot (-1: none), by
     * which the first portion's marks (trap_frame.site_ref) are gathered. */
    uint64_t referenced;
    unsigned hand;
    int8_t slot_copy[FRAME_SITES];
    uint64_t has_copy[PATCH_RAM_PAGES / 64];    /* by guest RAM page */
    uint64_t va_blocks;                         /* bit (va >> 21) % 64 of each copy's va */
    uint64_t writable[PATCH_RAM_PAGES / 64];    /* mapped writable since the last flush */
    uint64_t table[FRAME_SITES];                /* as every vCPU's frame holds it */
    uint64_t version;                           /* bumped when table or high change */
    uint64_t synced[FIRST_MAX_VCPUS];           /* the version each vCPU's frame has */
    /* What each vCPU's hart must do before it runs guest code again:
     * sfence.vma (a copy dropped or made: mappings gone) and fence.i
     * (copies' code written), counted as generations. */
    uint64_t unmap_gen, code_gen;
    uint64_t unmap_seen[FIRST_MAX_VCPUS], code_seen[FIRST_MAX_VCPUS];
    /* The shadows a vCPU's last resume found mapping the plain CSR page,
     * and what would have changed had any lost it since (patch_plain_follow). */
    struct {
        const struct shadow *on[4];
        uint64_t generation[4];
        uint64_t plain_seq;
    } plain_seen[FIRST_MAX_VCPUS];
    struct patch_stats stats;
};

struct vm;
struct vcpu;

/* At VM creation and reboot: no copy, on as the image says. */
void patch_reset(struct vm *vm, bool on);
/* The guest kernel trapped on insn at pc (an illegal instruction, served;
 * or a patched site's ebreak, which the first portion made one) while on
 * shadow ran_on: patches the site, and the trapping instructions right
 * after it. */
struct shadow;
void patch_learn(struct vcpu *v, const struct shadow *ran_on, uint64_t pc, uint32_t insn);
/* A shadow fill of va (guest-physical gpa) for access, with the leaf size
 * and flags it would install: drops a copy the access must not keep, makes
 * size and flags what copies allow, and returns the host page to map
 * instead of the original (a copy), else 0. */
uint64_t patch_fill(struct vcpu *v, uint64_t va, enum access_type access, uint64_t gpa,
                    uint64_t *size, pte_t *flags, bool *block);
/* patch_fill's answer when a copy had to go first (dropped with the other
 * vCPUs held out of guest mode) or the VM ends: install nothing, link no
 * block table, the access retries. */
#define PATCH_FILL_RETRY 1UL
/* *block (from patch_fill): the fill was of a 2 MiB guest leaf that holds
 * a copy, shrunk to 4 KiB; instead the shadow may link the block's shared
 * table (shadow.h, struct shadow_block), whose leaves this builds (with
 * ps->lock held, then vm->lock): for each page of [va, va+2 MiB) ->
 * [gpa, ...) with flags (view_flags), what patch_fill would give a fill of
 * that page: its copy execute-only where a fetch would run it, else the
 * original, never writable with a copy. The accessed page's leaf allows
 * the access (*block is false otherwise). */
struct vm;
void patch_block_leaves(const struct vm *vm, int view, uint64_t va, uint64_t gpa, pte_t flags,
                        pte_t *table);
/* Whether a shadow fill that no guest access asked for (beside a fill,
 * at a fence: shadow.c) may map the 4 KiB page at gpa with flags at va in
 * a view: not a page with a copy (its fills go through patch_fill), nor
 * another page executable in an S view at a copy's place (that fill would
 * have to drop the copy); a writable one is noted as a fill's is. With
 * ps->lock held (before vm->lock). */
bool patch_may_map(struct vm *vm, int view, uint64_t va, uint64_t gpa, pte_t flags);
/* shadow.c freed a block table (its eviction, under vm_hold_others):
 * every vCPU's hart flushes its TLB before it runs again (unmap_gen).
 * Without ps->lock or vm->lock held. */
void patch_unmapped(struct vm *vm);
/* lodger has written [gpa, gpa+len) of guest memory (for the guest, on
 * v's behalf: an emulated store, an SBI console read, an A/D update of a
 * guest PTE): a copy of a page in it goes before the guest runs there
 * again. Called after the write (a copy made meanwhile holds it then). */
void patch_guest_wrote(struct vcpu *v, uint64_t gpa, uint64_t len);
/* The same for the guest PTE at gpa, whose A/D bits lodger has just set
 * (a guest page table may share its page with code: unused entries may
 * hold anything). */
void patch_pte_updated(struct vcpu *v, uint64_t gpa);
/* The frame fields of patching, for vCPU id about to run on frame f, and
 * the TLB and instruction-cache flushes its hart owes the copies (at each
 * resume, after the rendezvous: nothing changes until it runs). */
void patch_frame_sync(struct vm *vm, int id, struct trap_frame *f);
/* A breakpoint from virtual S at pc that the first portion did not find
 * in v's site table: true if it is an ebreak of a copy (the original has
 * no ebreak there), which the guest must not see: the vCPU runs pc again
 * (its table and TLB up to date by then). False: the guest's own. */
bool patch_breakpoint_retry(struct vcpu *v, uint64_t pc);
void patch_print_stats(const struct vm *vm);
/* Trap-free sites (issue 15 item 2). At each resume of v, with vm->lock
 * held, v off the hardware, on the shadows it may run on (vcpu_resume's):
 * maps v's plain CSRs at FRAME_PLAIN_VA in those of them that run patched
 * code (S-mode views without MXR), unless the guest maps that page there,
 * which ends trap-free sites in the VM. */
void patch_plain_follow(struct vcpu *v, struct shadow *const *on, int count);
/* A load or store page fault at pc, of va, in virtual S: if it is a
 * trap-free site's access (its shadow did not map the plain CSRs), true,
 * with the site's original instruction to serve instead. */
bool patch_plain_fault(struct vcpu *v, uint64_t pc, uint64_t va, uint32_t *original);

#endif
