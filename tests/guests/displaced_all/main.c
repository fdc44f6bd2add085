/* Every virtual address mapped (lib/fullmap.h: Sv57, all 2^57 bytes alias
 * the guest's RAM gigapage), and lodger's first portion forced onto
 * FORCED_VA (run-options). The guest's first access there is a conflict
 * with no unused region anywhere: lodger must put its first portion on a
 * random region whose content it displaces (shared/DESIGN.md, "Where the
 * first portion lives", step 3), and give the guest its memory back at
 * FORCED_VA.
 *
 * Then every kind of data access -- loads and stores of each width, FP
 * loads and stores (NaN-boxing), the compressed forms (register- and
 * sp-based), every AMO in .w and .d with each ordering, LR/SC successes and
 * failures, misaligned accesses across page boundaries -- at the arena's
 * alias in FORCED_VA's gigapage (the first portion's old place and the
 * pages around it) and in 19 more gigapages all over the Sv57 space
 * (lodger's preferred places among them). Each kind's results are hashed;
 * all aliases must agree, and the hashes are the same natively.
 *
 * lodger picks the displaced region at random over the whole Sv57 space:
 * the aliases meet it only by chance. So each kind runs once more where
 * the first portion is (counter 54; the arena mapped there, lib/fullmap.h;
 * natively at FORCED_VA). Under lodger (lib/counters.h): the conflict is a
 * relocation to a random region; each kind's run there has accesses
 * emulated (lodger may settle meanwhile, and an LR moves the first
 * portion); nothing ever finds an unused region or displaces anew. */
#include "../lib/guest.h"
#include "../lib/fullmap.h"
#include "../shared/displaced_kinds.inc"

static const struct { const char *name; unsigned long (*fn)(unsigned long); } kinds[] = {
    { "loads", loads }, { "stores", stores }, { "fp", fp_accesses },
    { "compressed", compressed }, { "compressed_sp", compressed_sp },
    { "amo_w", amo_w }, { "amo_d", amo_d }, { "amo_forms", amo_forms },
    { "lrsc", lrsc }, { "misaligned", misaligned }, { "sweep", sweep },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* Sv57 indices (root, level 3, level 2) of the gigapages whose arena alias
 * is used: FORCED_VA's first, then the identity, low and high ones, the
 * gigapages of lodger's preferred places for each host mode, others. */
static const unsigned short gigapages[][3] = {
    { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 0 }, { 0, 0, 3 }, { 0, 0, 254 }, { 0, 0, 511 },
    { 0, 1, 0 }, { 0, 255, 510 }, { 0, 511, 511 }, { 255, 511, 510 }, { 255, 511, 511 },
    { 256, 0, 1 }, { 256, 0, 0 }, { 511, 256, 1 }, { 511, 511, 257 }, { 511, 511, 511 },
    { 17, 300, 42 }, { 100, 200, 300 }, { 384, 5, 77 }, { 431, 444, 455 },
};
#define NGIGA (sizeof(gigapages) / sizeof(gigapages[0]))

int guest_main(void)
{
    gprintf("=== begin: displaced_all ===\n");
    fm_fp_on();
    arena_reset();
    gprintf("case satp_sv57_full_map: %s\n", fullmap_enable() ? "as written" : "other");

    /* The conflict: a misaligned store from the page before the first
     * portion's place into its first page, then a load across it. */
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long got;
    STORE("sd", FORCED_VA - 4, 0x1122334455667788UL);
    got = LOAD("ld", FORCED_VA - 4);
    gprintf("case conflict_store_across: loaded=0x%lx ram=0x%lx,0x%lx\n", got,
            *(volatile unsigned long *)(ARENA_PA - 8), *(volatile unsigned long *)ARENA_PA);

    /* No unused region anywhere: displaced content. */
    fp_expect("the conflict", &counts, (struct fp_expect){ .conflicts = FPC(1), .random = FPC(1) });

    unsigned long first[NKINDS];
    int agree[NKINDS] = { 0 };
    for (unsigned g = 0; g <= NGIGA; g++) {
        /* The aliases (on the first portion only by chance), then, for
         * each kind, where the first portion is then (lib/fullmap.h). */
        unsigned long base = g < NGIGA ? fm_alias(gigapages[g][0], gigapages[g][1], gigapages[g][2]) : 0;
        if (g == NGIGA)
            fp_expect("the aliases", &counts, (struct fp_expect){ .conflicts = FPC_ANY, .settle = FPC_ANY,
                                                                  .fetch = FPC_ANY, .emulated = FPC_ANY });
        for (unsigned k = 0; k < NKINDS; k++) {
            arena_reset();
            unsigned long h = kinds[k].fn(base ? base : fm_follow());
            if (!base) {
                /* Its accesses there emulated, until lodger settles (no
                 * pause here) or an LR moves the first portion. */
                fm_window_unmap();
                struct fp_expect e = { .conflicts = FPC_ANY, .settle = FPC_ANY, .fetch = FPC_ANY,
                                       .emulated = FPC_MIN(1) };
                if (kinds[k].fn == lrsc)    /* an LR there: before any settling */
                    e.conflicts.min = e.fetch.min = 1;
                fp_expect(kinds[k].name, &counts, e);
            }
            if (g == 0)
                first[k] = h;
            if (h == first[k])
                agree[k]++;
            else
                gprintf("FAIL %s at 0x%lx: 0x%lx, at 0x%lx: 0x%lx\n", kinds[k].name, base, h,
                        (unsigned long)FORCED_VA, first[k]);
        }
    }
    for (unsigned k = 0; k < NKINDS; k++) {
        gprintf("case %s: 0x%lx at %d/%u aliases\n", kinds[k].name, first[k], agree[k],
                (unsigned)NGIGA + 1);
        if (agree[k] != (int)NGIGA + 1)
            failures++;
    }
    fullmap_disable();
    return failures;
}
