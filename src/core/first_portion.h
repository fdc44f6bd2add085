/* The first portion's place in the guest's address space: its layout,
 * conflict detection, relocation, displaced content and counters
 * (shared/DESIGN.md). core/first_portion.c owns struct first_portion; every
 * other file asks the helpers below for an address in it or its extent
 * rather than computing them. */
#ifndef LODGER_CORE_FIRST_PORTION_H
#define LODGER_CORE_FIRST_PORTION_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/riscv/encoding.h"
#include "arch/riscv/pagetable.h"
#include "first/frame.h"
#include "core/guest_walk.h"
#include "core/reloc.h"
#include "core/trap_result.h"

/* The layout, from the place (page-aligned):
 *   [place, +FIRST_CODE_SIZE)          the code (.first): S-mode execute-only
 *   then vCPU 0's two frame pages      its trap frame (sscratch), S-mode RW: it
 *                                      starts FRAME_PLAIN_SIZE bytes before the
 *                                      second page (first/frame.h), so the first
 *                                      page holds only its plain CSRs (trap-free
 *                                      sites, core/patch.c)
 *   then one frame page per vCPU       vCPU i's trap frame, from the page's start
 *   up to place + FIRST_PORTION_SIZE   room for FIRST_MAX_VCPUS frames
 * Only vCPU 0 has a page of plain CSRs: with a page each, 14 vCPUs would not
 * fit in the 64 KiB place (and only one-vCPU VMs patch their code). The
 * whole range is kept out of the guest's shadow mappings, whatever number
 * of vCPUs the VM has. */
#define FIRST_CODE_PAGES 1          /* src/arch/riscv/lodger.ld checks that .first fits */
#define FIRST_FRAME_PAGES 1         /* per vCPU: struct trap_frame and its check area */
#define FIRST_PLAIN_PAGES 1         /* vCPU 0's page of plain CSRs */
#define FIRST_MAX_VCPUS 14
#define FIRST_PORTION_PAGES (FIRST_CODE_PAGES + FIRST_PLAIN_PAGES + FIRST_FRAME_PAGES * FIRST_MAX_VCPUS)
#define FIRST_CODE_SIZE (FIRST_CODE_PAGES * PAGE_SIZE)
#define FIRST_FRAME_SIZE (FIRST_FRAME_PAGES * PAGE_SIZE)
#define FIRST_PORTION_SIZE (FIRST_PORTION_PAGES * PAGE_SIZE)
#define FIRST_PLAIN_START (PAGE_SIZE - FRAME_PLAIN_SIZE)   /* vCPU 0's frame in its pages */

_Static_assert(FIRST_PLAIN_START + FRAME_CHECK_OFFSET + sizeof(struct fast_check_area) <=
               FIRST_PLAIN_PAGES * PAGE_SIZE + FIRST_FRAME_SIZE,
               "a vCPU's trap frame and its check area must fit in its frame pages");

/* Whether [a, a+a_size) and [b, b+b_size) share an address. Arithmetic is
 * modulo 2^64, written without a + size: a range may end exactly at 2^64
 * (its end computes as 0), and one that would run past 2^64 is taken as
 * going on from 0, so a wrapped end never hides an overlap. */
static inline bool first_ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size && b_size && (b - a < a_size || a - b < b_size);
}

/* The end of the place (exclusive; 0 for a place that ends at 2^64). */
static inline uint64_t first_place_end(uint64_t place)
{
    return place + FIRST_PORTION_SIZE;
}

static inline bool first_place_contains(uint64_t place, uint64_t va)
{
    return va - place < FIRST_PORTION_SIZE;
}

/* Whether [va, va+size) touches the first portion at place. */
static inline bool first_place_overlaps(uint64_t place, uint64_t va, uint64_t size)
{
    return first_ranges_overlap(place, FIRST_PORTION_SIZE, va, size);
}

/* Whether vCPU vcpu's frame has a page of plain CSRs before it. */
static inline bool first_frame_has_plain(int vcpu)
{
    return vcpu == 0;
}

/* vCPU vcpu's frame pages (its page of plain CSRs, if any, then its frame
 * page): their size, offset into the place and address. */
static inline uint64_t first_frame_pages_size(int vcpu)
{
    return FIRST_FRAME_SIZE + (first_frame_has_plain(vcpu) ? FIRST_PLAIN_PAGES * PAGE_SIZE : 0);
}

static inline uint64_t first_frame_pages_offset(int vcpu)
{
    return FIRST_CODE_SIZE + (vcpu ? FIRST_PLAIN_PAGES * PAGE_SIZE : 0) +
           (uint64_t)vcpu * FIRST_FRAME_SIZE;
}

static inline uint64_t first_frame_pages_va(uint64_t place, int vcpu)
{
    return place + first_frame_pages_offset(vcpu);
}

/* Where vCPU vcpu's frame starts in its pages. */
static inline uint64_t first_frame_start(int vcpu)
{
    return first_frame_has_plain(vcpu) ? FIRST_PLAIN_START : 0;
}

/* vCPU vcpu's frame (its sscratch), as an offset into the place and as an address. */
static inline uint64_t first_frame_offset(int vcpu)
{
    return first_frame_pages_offset(vcpu) + first_frame_start(vcpu);
}

static inline uint64_t first_frame_va(uint64_t place, int vcpu)
{
    return place + first_frame_offset(vcpu);
}

/* vCPU vcpu's frame in pages allocated for it (first_frame_pages_size), and back. */
static inline struct trap_frame *first_frame_in(uint64_t pages, int vcpu)
{
    return (struct trap_frame *)(uintptr_t)(pages + first_frame_start(vcpu));
}

static inline uint64_t first_frame_pages_of(const struct trap_frame *f, int vcpu)
{
    return (uint64_t)(uintptr_t)f - first_frame_start(vcpu);
}

/* Where a symbol of the first portion's code (frame.h) is at place. */
static inline uint64_t first_symbol_va(uint64_t place, const char *symbol)
{
    return place + (uint64_t)(symbol - first_portion_start);
}

/* The default place: 1 GiB into the kernel half of the host's widest mode.
 * With Sv57 it is non-canonical for Sv39/Sv48 guests (they can never reach
 * it) and below everything Linux maps on Sv57; on Sv48/Sv39 hosts it is in
 * the hole Linux leaves below its fixmap/vmemmap. */
static inline uint64_t first_default_place(int host_levels)
{
    int va_bits = 12 + 9 * host_levels;
    return ((uint64_t)-1 << (va_bits - 1)) + (1UL << 30);
}

/* The default guest-RAM window: 512 GiB into the kernel half of the host's
 * mode, non-canonical for every narrower mode (bits above the narrower
 * mode's top bit are not all equal), so only guests of a narrower mode get
 * it; none on an Sv39 host (no narrower mode). */
static inline uint64_t first_default_window(int host_levels)
{
    int va_bits = 12 + 9 * host_levels;
    return host_levels > 3 ? ((uint64_t)-1 << (va_bits - 1)) + (1UL << 39) : 0;
}

#define FIRST_LATENCY_SAMPLES 64

enum reloc_reason {
    RELOC_TO_UNUSED,        /* a conflict, and an unused region was found */
    RELOC_TO_RANDOM,        /* a conflict, no unused region: displaced content */
    RELOC_SETTLE,           /* the displaced region was too busy */
    RELOC_FETCH,            /* the guest executed displaced content */
    RELOC_REASONS,
};

#define FIRST_HISTORY 4             /* recent places not to go back to */

struct first_portion_stats {
    uint64_t conflicts;
    uint64_t relocations[RELOC_REASONS];
    uint64_t emulated;              /* guest accesses to displaced content */
    uint32_t latency[FIRST_LATENCY_SAMPLES];    /* conflict fault -> resume, timer ticks */
    unsigned latency_count;
};

/* Where the first portion has been, and whether it sits on guest content. */
struct first_portion_state {
    bool displaced;                 /* the guest maps the current place too */
    uint64_t history[FIRST_HISTORY];
    unsigned history_count;
    struct settle settle;           /* emulated accesses in the current interval */
};

/* A VM's first portion: where it is, where it has been, and the guest-RAM
 * window that serves its fast paths. */
struct first_portion {
    /* Where it is now, in the guest's space. Changed only under the VM's
     * lock with the other vCPUs held out of guest mode; shadow_fill reads
     * it without the lock (first_portion_place). */
    uint64_t va;
    uint64_t boot_va;               /* where it starts at each boot */
    /* The guest-RAM window: guest RAM mapped read-only (U=0) at window_va in
     * every shadow of a guest table whose mode is narrower than the host's,
     * a place such a guest can never reach (non-canonical for it), so that
     * the first portion can walk the guest's tables (window_va 0: none). */
    uint64_t window_va, window_size;
    uint64_t seed;                  /* the relocation policy's random sequence */
    struct first_portion_state state;
    struct first_portion_stats stats;
};

static inline uint64_t first_portion_place(const struct first_portion *fp)
{
    return __atomic_load_n(&fp->va, __ATOMIC_RELAXED);
}

/* The end of the window (exclusive), and whether it holds or touches
 * addresses; false whenever there is no window. */
static inline uint64_t first_window_end(const struct first_portion *fp)
{
    return fp->window_va + fp->window_size;
}

static inline bool first_window_overlaps(const struct first_portion *fp, uint64_t va, uint64_t size)
{
    return fp->window_va && first_ranges_overlap(fp->window_va, fp->window_size, va, size);
}

static inline bool first_window_contains(const struct first_portion *fp, uint64_t va)
{
    return first_window_overlaps(fp, va, 1);
}

/* The window's address for a guest satp: guests of a mode narrower than
 * the host's have it in their shadows; 0 for the others (and when there is
 * no window). */
static inline uint64_t first_window_for(const struct first_portion *fp, uint64_t guest_satp,
                                        int host_levels)
{
    int levels = pt_levels_of_mode(guest_satp >> SATP_MODE_SHIFT);
    return levels && levels < host_levels ? fp->window_va : 0;
}

struct vm;
struct vcpu;
struct vm_image;

/* The first portion of a new VM of ram_size bytes: its place (the image's
 * lodger,first-portion or the default), window and seed. False with err
 * set if the place asked for cannot be used. */
bool first_portion_init(struct first_portion *fp, const struct vm_image *img, uint64_t ram_size,
                        char *err, unsigned long errlen);
/* Maps the code at the current place in lodger's own table, so that the
 * instruction after each satp switch is fetched from the same address. */
void first_portion_map_in_lodger(const struct first_portion *fp);
/* For a VM reboot, every other vCPU stopped and no shadow left, under the
 * VM's lock: back at the boot place, no history, zero counters. False when
 * out of memory (the VM must end). */
bool first_portion_reboot(struct vm *vm);

/* The guest touched va inside the first portion. Returns true if that is a
 * conflict (the guest's own translation allows the access); false with
 * *cause set when it is the guest's own fault. */
bool first_portion_is_conflict(struct vcpu *v, uint64_t va, enum access_type access,
                               uint64_t *cause);
struct trap;
/* Resolves a conflict: moves the first portion away, or, while it sits on
 * displaced content, emulates the access. Returns TRAP_NEXT if the guest's
 * pc moves on (access emulated), TRAP_RETRY to retry the instruction,
 * TRAP_REDIRECTED if a fault was delivered, TRAP_EXIT when out of memory. */
enum trap_result first_portion_resolve(struct vcpu *v, struct trap *t, enum access_type access);
/* Moves the first portion of vm to new_va in every table that maps it;
 * false when out of memory (the VM must end). */
bool first_portion_move(struct vm *vm, uint64_t new_va, enum reloc_reason why);
void first_portion_print_stats(const struct vm *vm);

#endif
