/* Fuzzes the PLIC model (src/dev/plic.c) with sequences of 32-bit reads
 * and writes at any offset in its window (dev/plic_dev.c passes them unchecked),
 * source levels and pending queries, for any number of contexts. Claimed
 * and pending bits must stay within the sources that exist. */
#include "fuzz.h"
#include "dev/plic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct plic p;
    unsigned contexts = 1 + fuzz_u8(&in) % PLIC_CONTEXTS;
    plic_reset(&p, contexts);
    while (in.size) {
        uint8_t op = fuzz_u8(&in);
        /* Offsets: mostly near the registers that exist, else anywhere. */
        uint64_t offset = fuzz_u32(&in);
        if (op & 4)
            offset %= PLIC_MMIO_SIZE;
        else
            offset = (offset & 0x1f00fff) | (op & 8 ? 0x200000 : 0);
        switch (op & 3) {
        case 0: (void)plic_read(&p, offset % PLIC_MMIO_SIZE); break;
        case 1: plic_write(&p, offset % PLIC_MMIO_SIZE, fuzz_u32(&in)); break;
        case 2: plic_set_level(&p, fuzz_u8(&in) % PLIC_SOURCES, op & 16); break;
        default: (void)plic_context_pending(&p, fuzz_u8(&in) % contexts); break;
        }
        FUZZ_CHECK(!(p.pending & 1) && !(p.claimed & 1));
        FUZZ_CHECK(p.contexts == contexts);
    }
    return 0;
}
