/* Many accesses in and around the first portion's place when the guest maps
 * every virtual address (lib/fullmap.h). The first, an AMO on FORCED_VA, is
 * a conflict with no unused region anywhere: lodger moves its first portion
 * onto a random region (displacing it; shared/DESIGN.md, "Where the first
 * portion lives", steps 3 and 4). Then 300000 loads, stores, AMOs and LR/SC
 * pairs at pseudo-random words of [FORCED_VA - 4 KiB, FORCED_VA + 68 KiB):
 * first through FORCED_VA's gigapage alone, then spread over the arena's
 * aliases in 8 gigapages, then where the first portion is (counter 54,
 * followed as it moves; natively FORCED_VA). Every loaded value is checked
 * against a model of the arena kept in the guest's own memory; the
 * checksums are the same natively. Under lodger (lib/counters.h): the
 * conflict is a relocation to a random region, the hammer on the first
 * portion has accesses emulated, makes lodger settle (more than 64
 * emulated accesses in 10 ms: each stretch without LR/SC should; one must)
 * and its LRs force moves, and nothing ever finds an unused region or
 * displaces anew. */
#include "../lib/guest.h"
#include "../lib/fullmap.h"

#define LOW 0x1000L
#define SPAN (FIRST_PORTION_SIZE + 0x2000)     /* bytes from FORCED_VA - LOW */
#define WORDS (SPAN / 8)
#define ROUNDS 100000
#define FOLLOW 1000                     /* accesses between looks at counter 54 */
#define FOLLOW_EMULATED (ROUNDS / FOLLOW)   /* at least the first access of each */

static unsigned long model[WORDS];

static unsigned long rng_state = 0x853c49e6748fea9bUL;
static unsigned long rng(void)
{
    unsigned long x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void arena_reset(void)
{
    for (unsigned long i = 0; i < WORDS; i++) {
        model[i] = i * 0x9e3779b97f4a7c15UL ^ 0x5555aaaa0000ffffUL;
        *(volatile unsigned long *)(ARENA_PA - LOW + 8 * i) = model[i];
    }
}

static unsigned long arena_hash(void)
{
    unsigned long h = FM_HASH_INIT;
    for (unsigned long i = 0; i < WORDS; i++)
        h = fm_mix(h, *(volatile unsigned long *)(ARENA_PA - LOW + 8 * i));
    return h;
}

static int model_mismatches(void)
{
    int n = 0;
    for (unsigned long i = 0; i < WORDS; i++)
        n += *(volatile unsigned long *)(ARENA_PA - LOW + 8 * i) != model[i];
    return n;
}

struct result { unsigned long sum; int mismatches, sc_failed; };

/* One access to word i of the arena at alias base (base = the alias of
 * FORCED_VA - LOW), checked against the model. */
static void access(unsigned long base, unsigned long i, unsigned long r, struct result *res,
                   int lr_sc)
{
    unsigned long p = base + 8 * i, v, old, rc;
    switch (r % 6 == 5 && !lr_sc ? 0 : r % 6) {     /* without LR/SC: a load instead */
    case 0:
        __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
        res->mismatches += v != model[i];
        res->sum = fm_mix(res->sum, v);
        break;
    case 1:
        __asm__ volatile("sd %0, 0(%1)" :: "r"(r), "r"(p) : "memory");
        model[i] = r;
        break;
    case 2:
        __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(r) : "memory");
        res->mismatches += old != model[i];
        model[i] += r;
        break;
    case 3:
        __asm__ volatile("lw %0, 4(%1)" : "=r"(v) : "r"(p) : "memory");
        res->mismatches += v != (unsigned long)(long)(int)(model[i] >> 32);
        __asm__ volatile("sw %0, 0(%1)" :: "r"(r), "r"(p) : "memory");
        model[i] = (model[i] & ~0xffffffffUL) | (r & 0xffffffffUL);
        break;
    case 4:
        __asm__ volatile("amoxor.w %0, %2, (%1)" : "=r"(old) : "r"(p + 4), "r"(r) : "memory");
        res->mismatches += old != (unsigned long)(long)(int)(model[i] >> 32);
        model[i] ^= r << 32;
        break;
    default:
        /* LR/SC: a failed SC (an interrupt between them) is retried. */
        for (int tries = 0;; tries++) {
            __asm__ volatile("lr.d %0, (%2)\n"
                             "sc.d %1, %3, (%2)"
                             : "=&r"(old), "=&r"(rc) : "r"(p), "r"(r) : "memory");
            if (rc == 0)
                break;
            if (tries == 16) {
                res->sc_failed++;
                break;
            }
        }
        res->mismatches += old != model[i];
        if (rc == 0)
            model[i] = r;
        break;
    }
}

static const unsigned short gigapages[][3] = {
    { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 0 }, { 0, 255, 510 },
    { 255, 511, 511 }, { 256, 0, 1 }, { 511, 511, 257 }, { 384, 5, 77 },
};
#define NGIGA (sizeof(gigapages) / sizeof(gigapages[0]))

static void report(const char *name, const struct result *res)
{
    gprintf("case %s: sum=0x%lx mismatches=%d sc_failed=%d arena=0x%lx model_mismatches=%d\n",
            name, res->sum, res->mismatches, res->sc_failed, arena_hash(), model_mismatches());
    failures += res->mismatches + res->sc_failed + model_mismatches();
}

int guest_main(void)
{
    gprintf("=== begin: displaced_hammer ===\n");
    arena_reset();
    gprintf("case satp_sv57_full_map: %s\n", fullmap_enable() ? "as written" : "other");

    /* The conflict: an AMO on FORCED_VA. No unused region anywhere:
     * displaced content. */
    struct fp_counts counts;
    fp_counts_read(&counts);
    unsigned long old;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(FORCED_VA), "r"(0x101UL) : "memory");
    gprintf("case conflict_amo: old_ok=%d new_ok=%d\n", old == model[LOW / 8],
            *(volatile unsigned long *)ARENA_PA == model[LOW / 8] + 0x101);
    model[LOW / 8] += 0x101;
    fp_expect("the conflict", &counts, (struct fp_expect){ .conflicts = FPC(1), .random = FPC(1) });

    /* Within FORCED_VA's gigapage. */
    struct result res = { FM_HASH_INIT, 0, 0 };
    for (int n = 0; n < ROUNDS; n++) {
        unsigned long r = rng();
        access(FORCED_VA - LOW, (r >> 8) % WORDS, r, &res, 1);
    }
    report("hammer_forced_place", &res);

    /* Spread over the aliases. */
    res = (struct result){ FM_HASH_INIT, 0, 0 };
    for (int n = 0; n < ROUNDS; n++) {
        unsigned long r = rng();
        unsigned g = (unsigned)(r >> 40) % NGIGA;
        unsigned long base = fm_alias(gigapages[g][0], gigapages[g][1], gigapages[g][2]) - LOW;
        access(base, (r >> 8) % WORDS, r, &res, 1);
    }
    report("hammer_aliases", &res);
    /* On the first portion only by chance: no new displacement. */
    fp_expect("the aliases", &counts, (struct fp_expect){ .conflicts = FPC_ANY, .settle = FPC_ANY,
                                                          .fetch = FPC_ANY, .emulated = FPC_ANY });

    /* Where the first portion is (counter 54, the arena mapped there:
     * lib/fullmap.h; natively FORCED_VA), followed every FOLLOW accesses:
     * emulated until lodger settles (moves on) in the stretches without
     * LR/SC, until an LR moves it in the others. */
    res = (struct result){ FM_HASH_INIT, 0, 0 };
    unsigned long base = 0;
    for (int n = 0; n < ROUNDS; n++) {
        if (n % FOLLOW == 0)
            base = fm_follow() - LOW;
        unsigned long r = rng();
        access(base, (r >> 8) % WORDS, r, &res, n / FOLLOW % 2);
    }
    fm_window_unmap();
    report("hammer_first_portion", &res);
    /* Settling is a rate: a host slow enough may settle in fewer
     * stretches, but not in none of 50. */
    fp_expect("the hammer on the first portion", &counts,
              (struct fp_expect){ .conflicts = FPC_MIN(1), .settle = FPC_MIN(1),
                                  .fetch = FPC_MIN(1), .emulated = FPC_MIN(FOLLOW_EMULATED) });
    fullmap_disable();
    return failures;
}
