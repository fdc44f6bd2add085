/* lodger's counters (docs/COUNTERS.md) for the first-portion guests: what
 * lodger did about its first portion - conflicts, relocations by reason,
 * emulated accesses to displaced content, where the first portion is.
 *
 * A guest is under lodger when BASE get_impl_id says so (SBI_IMPL_LODGER);
 * lodger's extension must then be present and every counter call must
 * succeed: a failed call is a failure, never a fallback to native
 * behaviour. Natively (OpenSBI) there are no counters, and these helpers
 * do nothing.
 *
 * The guest's printed output must be the same natively and under lodger,
 * so the checks print nothing when they hold: a check that does not hold
 * prints a FAIL line and counts in `failures` (the guest's exit status). */
#ifndef LODGER_TEST_COUNTERS_H
#define LODGER_TEST_COUNTERS_H

#include <stdio.h>
#include "guest.h"

#define SBI_IMPL_LODGER 0x4c4f44UL
#define LODGER_EID 0x0A4C4447UL
#define LODGER_FID_COUNTER_READ 1

/* Counter ids (docs/COUNTERS.md); per VM. */
#define LC_CONFLICTS 48
#define LC_TO_UNUSED 49
#define LC_TO_RANDOM 50
#define LC_SETTLE 51
#define LC_FETCH 52
#define LC_EMULATED 53
#define LC_FIRST_VA 54

/* 1 under lodger, 0 natively; probed once. Under lodger without its
 * extension: a failure. */
static inline int under_lodger(void)
{
    static int known = -1;
    if (known >= 0)
        return known;
    struct sbiret impl = sbi_call(SBI_EXT_BASE, 1, 0, 0, 0, 0);
    known = impl.error == SBI_SUCCESS && (unsigned long)impl.value == SBI_IMPL_LODGER;
    if (known) {
        struct sbiret probe = sbi_call(SBI_EXT_BASE, 3, LODGER_EID, 0, 0, 0);
        if (probe.error != SBI_SUCCESS || probe.value == 0) {
            gprintf("FAIL counters: under lodger, its extension probes as absent (error %ld value %ld)\n",
                    probe.error, probe.value);
            failures++;
        }
    }
    return known;
}

/* Counter id into *value under lodger (1); natively 0 and *value untouched.
 * A failed call under lodger is a failure (and reads as 0). */
static inline int lodger_read(unsigned long id, unsigned long *value)
{
    if (!under_lodger())
        return 0;
    struct sbiret r = sbi_call(LODGER_EID, LODGER_FID_COUNTER_READ, id, 0, 0, 0);
    if (r.error != SBI_SUCCESS) {
        gprintf("FAIL counters: reading counter %lu: error %ld\n", id, r.error);
        failures++;
        *value = 0;
        return 1;
    }
    *value = (unsigned long)r.value;
    return 1;
}

/* Where lodger's first portion is now, into *va under lodger (1);
 * natively 0 and *va untouched (the guest uses its own place). */
static inline int first_portion_place(unsigned long *va)
{
    return lodger_read(LC_FIRST_VA, va);
}

/* The first-portion counters 48..53 at one instant. */
struct fp_counts { unsigned long c[6]; };

static inline void fp_counts_read(struct fp_counts *now)
{
    for (int i = 0; i < 6; i++) {
        now->c[i] = 0;
        lodger_read(LC_CONFLICTS + i, &now->c[i]);
    }
}

/* How much each counter may have grown: [min, max]. A field left out of an
 * initializer is {0, 0}: that counter must not have moved. */
struct fp_range { unsigned long min, max; };
struct fp_expect { struct fp_range conflicts, unused, random, settle, fetch, emulated; };
#define FPC(n) { (n), (n) }
#define FPC_MIN(n) { (n), ~0UL }
#define FPC_ANY { 0, ~0UL }

/* Under lodger: each counter grew since *since by as much as e allows,
 * else one FAIL line per counter (naming what, and n unless it is -1);
 * *since becomes now. Natively: nothing. */
static inline void fp_expect_n(const char *what, int n, struct fp_counts *since, struct fp_expect e)
{
    static const char *const names[6] = { "conflicts", "relocations to unused", "relocations to random",
                                           "settle relocations", "fetch relocations", "emulated accesses" };
    if (!under_lodger())
        return;
    const struct fp_range *want = &e.conflicts;
    struct fp_counts now;
    fp_counts_read(&now);
    for (int i = 0; i < 6; i++) {
        unsigned long grew = now.c[i] - since->c[i];
        if (grew < want[i].min || grew > want[i].max) {
            char step[12] = "";
            if (n >= 0)
                snprintf(step, sizeof(step), " %d", n);
            if (want[i].max == ~0UL)
                gprintf("FAIL counters after %s%s: %s grew by %lu (want at least %lu)\n", what, step,
                        names[i], grew, want[i].min);
            else
                gprintf("FAIL counters after %s%s: %s grew by %lu (want %lu..%lu)\n", what, step,
                        names[i], grew, want[i].min, want[i].max);
            failures++;
        }
    }
    *since = now;
}

static inline void fp_expect(const char *what, struct fp_counts *since, struct fp_expect e)
{
    fp_expect_n(what, -1, since, e);
}

/* The common expectations. */
#define FP_NOTHING ((struct fp_expect){ 0 })
#define FP_ONE_CONFLICT_TO_UNUSED ((struct fp_expect){ .conflicts = FPC(1), .unused = FPC(1) })

#endif
