/* Fuzzes the virtual supervisor CSR file (src/core/vcsr.c): sequences of
 * CSR reads and writes, any CSR number and value, as a guest's csrrw/s/c
 * reach it. A write that succeeds leaves a readable CSR, satp keeps a mode
 * the configuration accepts, and sstatus.SD says whether FS/VS/XS are
 * dirty (privileged spec 4.1.1). */
#include "fuzz.h"
#include "arch/riscv/encoding.h"
#include "core/vcsr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct vcsr_config cfg = {
        .satp_modes = 1UL << SATP_MODE_BARE | (fuzz_u8(&in) & 1 ? 1UL << SATP_MODE_SV39 : 0) |
                      1UL << SATP_MODE_SV48 | 1UL << SATP_MODE_SV57,
        .asid_bits = fuzz_u8(&in) % 17,
        .sstatus_writable = fuzz_u8(&in) & 1 ? SSTATUS_FS : 0,
    };
    struct vcsr c;
    vcsr_reset(&c);
    while (in.size) {
        unsigned csr = fuzz_u32(&in) & 0xfff;
        uint64_t value = fuzz_u64(&in), got;
        unsigned effects = 0;
        if (vcsr_write(&c, &cfg, csr, value, &effects))
            FUZZ_CHECK(vcsr_read(&c, &cfg, csr, &got));
        else
            (void)vcsr_read(&c, &cfg, csr, &got);
        FUZZ_CHECK(cfg.satp_modes & 1UL << (c.satp >> SATP_MODE_SHIFT));
        uint64_t s = vcsr_sstatus_read(&c);
        bool dirty = (s & SSTATUS_FS) == SSTATUS_FS || (s & SSTATUS_VS) == SSTATUS_VS ||
                     (s & SSTATUS_XS) == SSTATUS_XS;
        FUZZ_CHECK(!!(s & SSTATUS_SD) == dirty);
    }
    return 0;
}
