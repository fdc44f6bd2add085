#include "core/vcsr.h"
#include "arch/riscv/encoding.h"

#define SSTATUS_BASE_WRITABLE (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR)
#define SENVCFG_WRITABLE 1UL   /* FIOM; no Zicbom/Zicboz/Svpbmt, so their fields read 0 */
#define SCOUNTEREN_WRITABLE 0xffffffffUL

void vcsr_reset(struct vcsr *c)
{
    *c = (struct vcsr){ 0 };
    /* UXL is read-only 64 (privileged spec 4.1.1.2). */
    c->sstatus = SSTATUS_UXL_64;
}

uint64_t vcsr_sstatus_read(const struct vcsr *c)
{
    uint64_t s = c->sstatus & ~SSTATUS_SD;
    if ((s & SSTATUS_FS) == SSTATUS_FS || (s & SSTATUS_VS) == SSTATUS_VS ||
        (s & SSTATUS_XS) == SSTATUS_XS)
        s |= SSTATUS_SD;
    return s;
}

bool vcsr_read(const struct vcsr *c, const struct vcsr_config *cfg, unsigned csr, uint64_t *out)
{
    (void)cfg;
    switch (csr) {
    case CSR_SSTATUS: *out = vcsr_sstatus_read(c); return true;
    case CSR_SIE: *out = c->sie; return true;
    case CSR_SIP: *out = c->sip; return true;
    case CSR_STVEC: *out = c->stvec; return true;
    case CSR_SSCRATCH: *out = c->sscratch; return true;
    case CSR_SEPC: *out = c->sepc & ~1UL; return true;   /* 4.1.7: sepc[0] is always zero */
    case CSR_SCAUSE: *out = c->scause; return true;
    case CSR_STVAL: *out = c->stval; return true;
    case CSR_SATP: *out = c->satp; return true;
    case CSR_SCOUNTEREN: *out = c->scounteren; return true;
    case CSR_SENVCFG: *out = c->senvcfg; return true;
    default: return false;
    }
}

/* satp is WARL (privileged spec 4.1.11): a write with an unsupported MODE
 * has no effect at all; ASID keeps only the implemented bits. */
static bool satp_write(struct vcsr *c, const struct vcsr_config *cfg, uint64_t val)
{
    unsigned long mode = val >> SATP_MODE_SHIFT;
    if (mode >= 16 || !(cfg->satp_modes & (1UL << mode)))
        return false;
    if (mode == SATP_MODE_BARE) {
        /* Bare: remaining fields must be zero; other values are "reserved"
         * (4.1.11); hardware keeps zeros there. */
        c->satp = 0;
        return true;
    }
    uint64_t asid_mask = ((1UL << cfg->asid_bits) - 1) << SATP_ASID_SHIFT;
    c->satp = (val & ((0xfUL << SATP_MODE_SHIFT) | SATP_PPN_MASK)) | (val & asid_mask);
    return true;
}

bool vcsr_write(struct vcsr *c, const struct vcsr_config *cfg, unsigned csr, uint64_t val,
                unsigned *effects)
{
    uint64_t mask;
    switch (csr) {
    case CSR_SSTATUS:
        mask = SSTATUS_BASE_WRITABLE | cfg->sstatus_writable;
        c->sstatus = (c->sstatus & ~mask) | (val & mask);
        *effects |= VCSR_EFFECT_STATUS | VCSR_EFFECT_INTERRUPTS;
        return true;
    case CSR_SIE:
        c->sie = val & SIE_ALL;
        *effects |= VCSR_EFFECT_INTERRUPTS;
        return true;
    case CSR_SIP:
        /* Only SSIP is writable from S-mode; STIP and SEIP are read-only
         * there (privileged spec 4.1.3). */
        c->sip = (c->sip & ~SIP_SSIP) | (val & SIP_SSIP);
        *effects |= VCSR_EFFECT_INTERRUPTS;
        return true;
    case CSR_STVEC:
        /* MODE >= 2 is reserved and stvec is WARL: such a write is ignored
         * whole, as QEMU does (a legal choice, privileged spec 4.1.2). */
        if ((val & STVEC_MODE_MASK) < 2)
            c->stvec = val;
        return true;
    case CSR_SSCRATCH: c->sscratch = val; return true;
    case CSR_SEPC:
        /* IALIGN=16 with C: bit 0 always zero (privileged spec 4.1.7). */
        c->sepc = val & ~1UL;
        return true;
    case CSR_SCAUSE: c->scause = val; return true;
    case CSR_STVAL: c->stval = val; return true;
    case CSR_SATP:
        if (satp_write(c, cfg, val))
            *effects |= VCSR_EFFECT_SATP;
        return true;
    case CSR_SCOUNTEREN: c->scounteren = val & SCOUNTEREN_WRITABLE; return true;
    case CSR_SENVCFG: c->senvcfg = val & SENVCFG_WRITABLE; return true;
    default: return false;
    }
}
