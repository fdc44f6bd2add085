/* lodger's own entropy pool (core/random.c): one per board, seeded at boot,
 * from which each VM boot draws its seeds (core/vm.c). The pool's pure
 * mixing and reading are core/entropy.c. */
#ifndef LODGER_CORE_RANDOM_H
#define LODGER_CORE_RANDOM_H

#include <stddef.h>

/* Seeds the pool from the host device tree and timer jitter, once, on the
 * boot hart; returns how many bytes of seed the device tree gave. */
size_t lodger_random_seed(const void *fdt);
/* Fills out with len bytes from the pool; safe from any hart. */
void lodger_random(void *out, size_t len);

#endif
