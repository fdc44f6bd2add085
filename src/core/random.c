/* See random.h. */
#include "core/random.h"
#include "core/entropy.h"
#include "core/spinlock.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

static struct entropy pool;
static struct spinlock pool_lock;

void lodger_random(void *out, size_t len)
{
    spin_lock(&pool_lock);
    entropy_read(&pool, out, len);
    spin_unlock(&pool_lock);
}

/* The device tree's seed (QEMU and U-Boot give one) plus timer jitter: the
 * low bits of the time between rounds of hashing, which vary with caches,
 * interrupts taken by the firmware and the host's own noise. */
size_t lodger_random_seed(const void *fdt)
{
    size_t dt_bytes = entropy_mix_fdt(&pool, fdt);
    for (int i = 0; i < 64; i++) {
        uint64_t now = csr_read(CSR_TIME);
        entropy_mix(&pool, &now, sizeof(now));
    }
    return dt_bytes;
}
