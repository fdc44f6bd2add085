/* lodger's own SBI extension: guests (benchmarks, tests) read lodger's
 * counters. EID 0x0A4C4447 lies in the SBI "firmware specific" range
 * (0x0A000000-0x0AFFFFFF, SBI spec 3.3), tied to the implementation ID that
 * BASE reports (SBI_IMPL_ID_LODGER): lodger is the guest's SBI firmware.
 * Documented in docs/COUNTERS.md.
 *
 *   fid 0  LODGER_COUNTER_COUNT        -> number of counter ids
 *   fid 1  LODGER_COUNTER_READ (id)    -> value (SBI_ERR_INVALID_PARAM if id is unknown)
 *   fid 2  LODGER_COUNTER_PRINT        -> prints every counter on lodger's console
 */
#include "sbi/sbi.h"
#include "core/vm.h"

enum {
    LODGER_COUNTER_COUNT = 0,
    LODGER_COUNTER_READ = 1,
    LODGER_COUNTER_PRINT = 2,
};

/* Counter ids (docs/COUNTERS.md): per vCPU unless noted. */
#define ID_EXCEPTIONS 0         /* 0..15: slow-path traps by cause */
#define ID_INTERRUPTS 16        /* 16..31: host interrupts by cause */
#define ID_INJECTED 32
#define ID_CSR_SLOW 33
#define ID_SRET 34
#define ID_WFI 35
#define ID_SFENCE 36
#define ID_SBI 37
#define ID_SHADOW_FILLS 38
#define ID_MMIO 39
#define ID_FAST 40              /* 40..47: fast-path hits by kind (CSRs, sret) */
#define ID_CONFLICTS 48         /* per VM from here on */
#define ID_RELOCATIONS 49       /* 49..52: by reason */
#define ID_EMULATED 53
#define ID_FIRST_VA 54         /* per VM: where the first portion is now (for tests) */
#define ID_FAST_REFLECT 55      /* fast path: traps reflected into the guest kernel */
#define ID_FAST_CHAINED 56      /* fast path: accesses served in the trap of the one before */
#define ID_FAST_PAGE_FAULT 57   /* fast path: guest-user page faults reflected */
#define ID_BOOTS 58             /* per VM: this boot's number (1 at power-on) */
#define ID_FAST_PATCHED 59      /* fast path: patched sites taken as their instruction */
#define ID_PATCH_SITES 60       /* per VM: sites patched (core/patch.c) */
#define ID_PATCH_COPIES 61      /* per VM: copies made */
#define ID_PATCH_DROPPED 62     /* per VM: copies dropped by guest writes */
#define ID_NEIGHBOUR_FILLS 63  /* shadow entries filled beside a fill */
#define ID_FENCE_FILLS 64      /* shadow entries filled at the guest's fence of a page */
#define ID_PLAIN_SITES 65       /* per VM: sites patched trap-free */
#define ID_PLAIN_TRAPPED 66     /* per VM: trap-free sites that faulted, served */
#define ID_PLAIN_FALLBACKS 67   /* per VM: trap-free sites turned into ebreaks */
#define ID_BLOCK_LINKS 68      /* fills that linked a shared block table (patched code) */
#define ID_BLOCKS_BUILT 69     /* per VM: shared block tables built */
#define ID_SHADOW_PAGES 70      /* per VM: shadow table pages in use (core/shadow_pool.h) */
#define ID_SHADOW_BUDGET 71     /* per VM: its shadow page budget */
#define ID_SHADOW_EVICTIONS 72  /* per VM: shadows released to keep within it */
#define ID_SHADOW_CLEARS 73     /* per VM: times every shadow was emptied to keep within it */
#define ID_SHADOW_REPLACED 74   /* per VM: shadows replaced, every cache slot in use */
#define ID_FAST_LANE 75          /* fast path: patched sites served by a lane (entry.S) */
#define ID_PATCH_EVICTED 76      /* per VM: copies evicted to make room (core/patch_clock.h) */
/* 77: not assigned here */
#define ID_GLOBAL_LINKS 78      /* fills that linked a shared global table (core/shadow_global.h) */
#define ID_GLOBAL_FILLS 79      /* fills installed in a shared global table */
#define ID_GLOBALS_BUILT 80     /* per VM: shared global tables built */
#define ID_COUNT 81

static bool read_counter(const struct vcpu *v, unsigned long id, uint64_t *out)
{
    const struct vcpu_counters *c = &v->count;
    const struct first_portion_stats *fp = &v->vm->first.stats;
    if (id < ID_INTERRUPTS) { *out = c->exceptions[id]; return true; }
    if (id < ID_INJECTED) { *out = c->interrupts[id - ID_INTERRUPTS]; return true; }
    if (id >= ID_FAST && id <= ID_FAST + FAST_SRET) { *out = v->frame->fast_hits[id - ID_FAST]; return true; }
    if (id == ID_FAST_REFLECT) { *out = v->frame->fast_hits[FAST_REFLECT]; return true; }
    if (id == ID_FAST_CHAINED) { *out = v->frame->fast_hits[FAST_CHAINED]; return true; }
    if (id == ID_FAST_PAGE_FAULT) { *out = v->frame->fast_hits[FAST_PAGE_FAULT]; return true; }
    if (id == ID_FAST_PATCHED) { *out = v->frame->fast_hits[FAST_PATCHED]; return true; }
    if (id == ID_FAST_LANE) { *out = v->frame->fast_hits[FAST_LANE]; return true; }
    if (id >= ID_RELOCATIONS && id < ID_RELOCATIONS + RELOC_REASONS) {
        *out = fp->relocations[id - ID_RELOCATIONS];
        return true;
    }
    switch (id) {
    case ID_INJECTED: *out = c->injected; return true;
    case ID_CSR_SLOW: *out = c->csr_emulated; return true;
    case ID_SRET: *out = c->sret; return true;
    case ID_WFI: *out = c->wfi; return true;
    case ID_SFENCE: *out = c->sfence; return true;
    case ID_SBI: *out = c->sbi_calls; return true;
    case ID_SHADOW_FILLS: *out = c->shadow_fills; return true;
    case ID_MMIO: *out = c->mmio; return true;
    case ID_NEIGHBOUR_FILLS: *out = c->shadow_neighbour_fills; return true;
    case ID_FENCE_FILLS: *out = c->shadow_fence_fills; return true;
    case ID_BLOCK_LINKS: *out = c->shadow_block_links; return true;
    case ID_BLOCKS_BUILT: *out = v->vm->shadows.blocks_built; return true;
    case ID_GLOBAL_LINKS: *out = c->shadow_global_links; return true;
    case ID_GLOBAL_FILLS: *out = c->shadow_global_fills; return true;
    case ID_GLOBALS_BUILT: *out = v->vm->shadows.globals.built; return true;
    case ID_CONFLICTS: *out = fp->conflicts; return true;
    case ID_EMULATED: *out = fp->emulated; return true;
    case ID_FIRST_VA: *out = first_portion_place(&v->vm->first); return true;
    case ID_BOOTS: *out = v->vm->boots; return true;
    case ID_PATCH_SITES: *out = v->vm->patch.stats.sites; return true;
    case ID_PATCH_COPIES: *out = v->vm->patch.stats.copies; return true;
    case ID_PATCH_DROPPED: *out = v->vm->patch.stats.dropped_write; return true;
    case ID_PATCH_EVICTED: *out = v->vm->patch.stats.evicted; return true;
    case ID_PLAIN_SITES: *out = v->vm->patch.stats.plain_sites; return true;
    case ID_PLAIN_TRAPPED: *out = v->vm->patch.stats.plain_trapped; return true;
    case ID_PLAIN_FALLBACKS: *out = v->vm->patch.stats.plain_fallbacks; return true;
    case ID_SHADOW_PAGES: *out = v->vm->shadows.pool.used; return true;
    case ID_SHADOW_BUDGET: *out = v->vm->shadows.pool.pages; return true;
    case ID_SHADOW_EVICTIONS: *out = v->vm->shadows.pool.evictions; return true;
    case ID_SHADOW_CLEARS: *out = v->vm->shadows.pool.clears; return true;
    case ID_SHADOW_REPLACED: *out = v->vm->shadows.replacements; return true;
    default: return false;
    }
}

static struct sbiret lodger_call(struct vcpu *v, const struct sbi_call *call)
{
    uint64_t value;
    switch (call->fid) {
    case LODGER_COUNTER_COUNT:
        return (struct sbiret){ SBI_SUCCESS, ID_COUNT };
    case LODGER_COUNTER_READ:
        if (!read_counter(v, call->arg[0], &value))
            return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        return (struct sbiret){ SBI_SUCCESS, (long)value };
    case LODGER_COUNTER_PRINT:
        vm_print_counters(v->vm);
        first_portion_print_stats(v->vm);
        return (struct sbiret){ SBI_SUCCESS, 0 };
    default:
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

const struct sbi_extension sbi_ext_lodger = { SBI_EXT_LODGER, SBI_EXT_LODGER, "lodger",
                                              .call = lodger_call };
