/* See entropy.h. */
#include "core/entropy.h"
#include "core/sha256.h"
#include <libfdt.h>
#include <string.h>

void entropy_mix(struct entropy *e, const void *data, size_t len)
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, "lodger mix", 10);
    sha256_update(&s, e->key, sizeof(e->key));
    sha256_update(&s, data, len);
    sha256_final(&s, e->key);
    e->seeded_bytes += len;
}

static void block(const struct entropy *e, const char *label, uint64_t counter,
                  uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, label, strlen(label));
    sha256_update(&s, e->key, sizeof(e->key));
    sha256_update(&s, &counter, sizeof(counter));
    sha256_final(&s, out);
}

void entropy_read(struct entropy *e, void *out, size_t len)
{
    uint8_t *p = out, b[SHA256_DIGEST_SIZE];
    while (len) {
        block(e, "lodger out", e->counter++, b);
        size_t n = len < sizeof(b) ? len : sizeof(b);
        memcpy(p, b, n);
        p += n;
        len -= n;
    }
    block(e, "lodger key", e->counter++, e->key);
    memset(b, 0, sizeof(b));
}

size_t entropy_mix_fdt(struct entropy *e, const void *fdt)
{
    static const char *const props[] = { "rng-seed", "kaslr-seed" };
    int chosen = fdt_path_offset(fdt, "/chosen");
    size_t found = 0;
    if (chosen < 0)
        return 0;
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        int len;
        const void *seed = fdt_getprop(fdt, chosen, props[i], &len);
        if (seed && len > 0) {
            entropy_mix(e, seed, (size_t)len);
            found += (size_t)len;
        }
    }
    return found;
}
