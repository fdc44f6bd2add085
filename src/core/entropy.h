/* lodger's entropy pool: seeded from the host's device tree (/chosen/rng-seed,
 * kaslr-seed) and timer jitter, read out through SHA-256 in counter mode. Each
 * VM boot draws its own seed from it (the guest's /chosen/rng-seed), so no two
 * VMs, and no two boots of one VM, see the same bytes. Pure C. */
#ifndef LODGER_CORE_ENTROPY_H
#define LODGER_CORE_ENTROPY_H

#include <stdint.h>
#include <stddef.h>

struct entropy {
    uint8_t key[32];
    uint64_t counter;
    uint64_t seeded_bytes;      /* how much input was mixed in, for the banner */
};

/* Mixes len bytes of input into the key (any number of times). */
void entropy_mix(struct entropy *e, const void *data, size_t len);
/* Fills out with len bytes; the key moves on afterwards (forward secrecy:
 * bytes already given out cannot be recomputed from the state that remains). */
void entropy_read(struct entropy *e, void *out, size_t len);
/* Mixes the host device tree's seeds in; returns how many bytes it found. */
size_t entropy_mix_fdt(struct entropy *e, const void *fdt);

/* lodger's own pool, seeded at boot: core/random.h. */

#endif
