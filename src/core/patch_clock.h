/* Which copy of patched code makes room (core/patch.c), when the site
 * table or the copies are full: a clock over the copy slots. A copy is
 * referenced when it is made, when a site is added to it, when a fill maps
 * it, and when the first portion takes one of its sites (trap_frame.
 * site_ref, gathered by core/patch.c); the hand clears that as it passes,
 * and stops at the first copy it finds unreferenced. Hot copies, whose
 * sites trap between two passes, stay patched: dropping them all (as a
 * restart did) made every hot site trap through the firmware again until
 * learned, one in PATCH_LEARN_PERIOD traps. Pure: tests/host. */
#ifndef LODGER_CORE_PATCH_CLOCK_H
#define LODGER_CORE_PATCH_CLOCK_H

#include <stdint.h>

/* Copy slots are bits of a word. */
#define PATCH_CLOCK_SLOTS 64

/* The slot to evict among those set in used, from *hand on: the first
 * that is neither referenced nor in keep, clearing the referenced bit of
 * each used one passed; *hand moves past it. -1 if every used slot is in
 * keep (nothing to evict). */
int patch_clock_victim(unsigned *hand, uint64_t used, uint64_t *referenced, uint64_t keep);

#endif
