/* The virtual supervisor CSR file of one vCPU, and its emulation.
 * Pure C; host-tested in tests/host/test_vcsr.c. */
#ifndef LODGER_CORE_VCSR_H
#define LODGER_CORE_VCSR_H

#include <stdint.h>
#include <stdbool.h>

enum vmode { VMODE_U = 0, VMODE_S = 1 };

struct vcsr {
    /* First, in this order: the CSRs the guest kernel's patched code may
     * read or write as plain storage, in the 32 bytes of the vCPU's frame
     * that the guest's virtual S-mode reaches at the top of its address
     * space (first/frame.h, FRAME_PLAIN_SIZE). Every value of each is one
     * the CSR may hold (sepc: bit 0 is cleared where it is written and
     * where it is used). */
    uint64_t sscratch, sepc, scause, stval;
    uint64_t sstatus, sie, sip, stvec;
    uint64_t satp, scounteren, senvcfg;
};

/* What a CSR write changed, for the caller to act on. */
enum vcsr_effect {
    VCSR_EFFECT_NONE = 0,
    VCSR_EFFECT_SATP = 1 << 0,        /* switch shadow table */
    VCSR_EFFECT_INTERRUPTS = 1 << 1,  /* re-check pending interrupts */
    VCSR_EFFECT_STATUS = 1 << 2,      /* SUM/MXR/FS changed */
};

struct vcsr_config {
    unsigned long satp_modes;   /* bit n: guest satp mode n accepted (WARL) */
    unsigned asid_bits;
    uint64_t sstatus_writable;  /* writable sstatus bits (e.g. FS only with F/D) */
};

/* An ASID named by software (sfence.vma rs2, SBI remote fences): the bits
 * above ASIDMAX are ignored (privileged spec 4.2.1). */
static inline uint64_t vcsr_asid(const struct vcsr_config *cfg, uint64_t value)
{
    return value & ((1UL << cfg->asid_bits) - 1);
}

void vcsr_reset(struct vcsr *c);
/* Reads or writes CSR number csr as virtual S-mode would. Returns false if
 * the CSR does not exist for S-mode (illegal instruction). */
bool vcsr_read(const struct vcsr *c, const struct vcsr_config *cfg, unsigned csr, uint64_t *out);
bool vcsr_write(struct vcsr *c, const struct vcsr_config *cfg, unsigned csr, uint64_t val,
                unsigned *effects);
/* sstatus as software reads it: SD is derived from FS/VS/XS. */
uint64_t vcsr_sstatus_read(const struct vcsr *c);

#endif
