/* Code run from the first portion's place when the guest maps every
 * virtual address (lib/fullmap.h): a copy of blob.S in the arena, called at
 * its aliases in 20 gigapages, FORCED_VA's first. The very first call
 * reaches FORCED_VA through an instruction that straddles the page boundary
 * below it: an instruction fetch conflict with no unused region anywhere,
 * so lodger moves its first portion onto a random region (displacing it;
 * shared/DESIGN.md, "Where the first portion lives", step 3).
 *
 * The blob is copied to four places around the first portion's place: the
 * page before it (straddling into it), its middle, its end (straddling out
 * of it), and the page before that. Each entry point -- straight-line code,
 * a loop, a pc-relative table, a pc-relative store and reload, an
 * instruction patched through the identity mapping then fence.i -- must
 * return the same at every alias, and the same as natively. Then the
 * same calls where the first portion is (counter 54, the arena mapped
 * there: lib/fullmap.h), each a fetch from displaced content that forces
 * a relocation when it starts in or runs into it. Under lodger (lib/counters.h): the conflict, a relocation
 * to a random region; each call on the first portion, one fetch
 * relocation. */
#include "../lib/guest.h"
#include "../lib/fullmap.h"

extern const char exec_blob[], exec_blob_end[], exec_blob_patch[];

static const long places[] = { -32, 0x8000, (long)FIRST_PORTION_SIZE - 32, -0x1000 };
#define NPLACES (sizeof(places) / sizeof(places[0]))

enum { STRADDLE = 0, SUM = 0x40, TABLE = 0x80, DATA = 0xc0, PATCH = 0x100 };

static unsigned long call(unsigned long va, unsigned long arg)
{
    return ((unsigned long (*)(unsigned long))va)(arg);
}

static void copy_blob(void)
{
    unsigned long size = (unsigned long)(exec_blob_end - exec_blob);
    for (unsigned p = 0; p < NPLACES; p++) {
        volatile char *dst = (volatile char *)(ARENA_PA + places[p]);
        for (unsigned long i = 0; i < size; i++)
            dst[i] = exec_blob[i];
    }
    __asm__ volatile("fence.i" ::: "memory");
}

/* Rewrites the immediate of the blob's "addi a0, a0, imm" at place p
 * (through the identity mapping), then fence.i. */
static void patch(unsigned p, unsigned imm)
{
    volatile unsigned *insn = (volatile unsigned *)(ARENA_PA + places[p] + PATCH);
    *insn = (*insn & 0xfffff) | (imm & 0xfff) << 20;
    __asm__ volatile("fence.i" ::: "memory");
}

static const char *const kind_names[] = { "straddle", "sum", "table", "data", "patch" };
#define NKINDS 5

/* The blob's calls at alias base; or, if base is 0, each call where the
 * first portion is then (lib/fullmap.h: fm_follow; natively FORCED_VA). */
#define CALLS_PER_PLACE 10
static unsigned long at(unsigned long base, unsigned p)
{
    return (base ? base : fm_follow()) + places[p];
}

static void run_at(unsigned long base, unsigned long h[NKINDS])
{
    for (int k = 0; k < NKINDS; k++)
        h[k] = FM_HASH_INIT;
    for (unsigned p = 0; p < NPLACES; p++) {
        h[0] = fm_mix(h[0], call(at(base, p) + STRADDLE, 0x1000 * p));
        h[1] = fm_mix(h[1], call(at(base, p) + SUM, 100 + p));
        for (unsigned long a = 0; a < 4; a++)
            h[2] = fm_mix(h[2], call(at(base, p) + TABLE, a * 0x1111 + p));
        h[3] = fm_mix(h[3], call(at(base, p) + DATA, 0x8000000012345678UL + p));
        h[3] = fm_mix(h[3], call(at(base, p) + DATA, ~0UL - p));
        patch(p, 0x7ff);
        h[4] = fm_mix(h[4], call(at(base, p) + PATCH, 1000 + p));
        patch(p, 0x800 + p);        /* negative: -2048 + p */
        h[4] = fm_mix(h[4], call(at(base, p) + PATCH, 1000 + p));
        patch(p, 1);
    }
}

static const unsigned short gigapages[][3] = {
    { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 0 }, { 0, 0, 3 }, { 0, 0, 254 }, { 0, 0, 511 },
    { 0, 1, 0 }, { 0, 255, 510 }, { 0, 511, 511 }, { 255, 511, 510 }, { 255, 511, 511 },
    { 256, 0, 1 }, { 256, 0, 0 }, { 511, 256, 1 }, { 511, 511, 257 }, { 511, 511, 511 },
    { 17, 300, 42 }, { 100, 200, 300 }, { 384, 5, 77 }, { 431, 444, 455 },
};
#define NGIGA (sizeof(gigapages) / sizeof(gigapages[0]))

int guest_main(void)
{
    gprintf("=== begin: displaced_exec ===\n");
    CHECK(exec_blob_patch - exec_blob == PATCH);
    copy_blob();
    gprintf("case satp_sv57_full_map: %s\n", fullmap_enable() ? "as written" : "other");

    /* The conflict: a fetch from FORCED_VA's page, by the straddling
     * instruction of the copy just below it. No unused region anywhere:
     * the first portion goes onto displaced content. */
    struct fp_counts counts;
    fp_counts_read(&counts);
    gprintf("case conflict_fetch_across: 0x%lx\n", call(FORCED_VA + places[0] + STRADDLE, 7));
    fp_expect("the conflict", &counts, (struct fp_expect){ .conflicts = FPC(1), .random = FPC(1) });

    unsigned long first[NKINDS], h[NKINDS];
    int agree[NKINDS] = { 0 };
    for (unsigned g = 0; g <= NGIGA; g++) {
        /* The aliases (only by chance on the first portion), then where
         * the first portion is, call by call (base 0). */
        unsigned long base = g < NGIGA ? fm_alias(gigapages[g][0], gigapages[g][1], gigapages[g][2]) : 0;
        if (g == NGIGA)             /* the aliases: no new displacement */
            fp_expect("the aliases", &counts, (struct fp_expect){ .conflicts = FPC_ANY, .settle = FPC_ANY,
                                                                  .fetch = FPC_ANY, .emulated = FPC_ANY });
        struct fp_counts before = counts;
        run_at(base, h);
        if (g == NGIGA) {
            /* Each call whose code starts in or runs into the first
             * portion's place is a fetch from displaced content: one move
             * each. Those are all calls at place 0 (its STRADDLE entry
             * runs into the place, the others start in it) and at the
             * middle (place 1), STRADDLE alone at its last 32 bytes (the
             * other entries start past its end), none in the page before. */
            fm_window_unmap();
            unsigned long moves = CALLS_PER_PLACE * 2 + 1;
            fp_expect("the calls where the first portion is", &before,
                      (struct fp_expect){ .conflicts = FPC(moves), .fetch = FPC(moves) });
        }
        for (int k = 0; k < NKINDS; k++) {
            if (g == 0)
                first[k] = h[k];
            if (h[k] == first[k])
                agree[k]++;
            else
                gprintf("FAIL %s at 0x%lx: 0x%lx, at 0x%lx: 0x%lx\n", kind_names[k], base, h[k],
                        (unsigned long)FORCED_VA, first[k]);
        }
    }
    for (int k = 0; k < NKINDS; k++) {
        gprintf("case %s: 0x%lx at %d/%u aliases\n", kind_names[k], first[k], agree[k],
                (unsigned)NGIGA + 1);
        if (agree[k] != (int)NGIGA + 1)
            failures++;
    }
    fullmap_disable();
    return failures;
}
