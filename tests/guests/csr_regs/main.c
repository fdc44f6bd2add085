/* The CSR instructions' own semantics, checked through sscratch: every
 * general register as rd and rs1 of csrrw, and the set/clear/immediate
 * forms (unprivileged spec chapter 9). */
#include <stdio.h>
#include <string.h>
#include "../lib/guest.h"

void csr_swap_all(uint64_t out[32], uint64_t in[32]);

#define OP(name, insn, init, operand) ({                                         \
        unsigned long old_;                                                     \
        csr_write(sscratch, init);                                              \
        __asm__ volatile(insn : "=r"(old_) : "r"((unsigned long)(operand)) : "memory"); \
        gprintf("case %s: old=0x%lx new=0x%lx\n", name, old_, csr_read(sscratch)); \
    })

int guest_main(void)
{
    gprintf("=== begin: csr_regs ===\n");
    unsigned long saved = csr_read(sscratch);
    uint64_t in[32], out[32];
    for (int n = 0; n < 32; n++) {
        in[n] = 0xa000000000000000UL | (unsigned long)n * 0x111111UL;
        out[n] = 0;
    }
    csr_swap_all(out, in);
    char bad_rd[160] = "", bad_rs1[160] = "";
    for (int n = 1; n < 32; n++) {
        if (n == 2)
            continue;
        if (out[n] != 0x5c00UL + (unsigned long)n)
            snprintf(bad_rd + strlen(bad_rd), sizeof(bad_rd) - strlen(bad_rd), " x%d", n);
        if (in[n] != (0xa000000000000000UL | (unsigned long)n * 0x111111UL))
            snprintf(bad_rs1 + strlen(bad_rs1), sizeof(bad_rs1) - strlen(bad_rs1), " x%d", n);
    }
    gprintf("case csrrw_rd_all_regs: %s\n", bad_rd[0] ? bad_rd + 1 : "ok");
    gprintf("case csrrw_rs1_all_regs: %s\n", bad_rs1[0] ? bad_rs1 + 1 : "ok");

    OP("csrrs", "csrrs %0, sscratch, %1", 0xf0, 0x0f);
    OP("csrrc", "csrrc %0, sscratch, %1", 0xff, 0x3c);
    OP("csrrw", "csrrw %0, sscratch, %1", 0x1234, ~0UL);
    OP("csrrsi", "csrrsi %0, sscratch, 0x1f", 0x100, 0);
    OP("csrrci", "csrrci %0, sscratch, 0x11", 0x1ff, 0);
    OP("csrrwi", "csrrwi %0, sscratch, 0x15", ~0UL, 0);
    OP("csrrs_x0", "csrrs %0, sscratch, zero", 0x77, 0);
    OP("csrrc_x0", "csrrc %0, sscratch, zero", 0x77, 0);
    /* rd = x0 with csrrw: the write still happens. */
    csr_write(sscratch, 1);
    __asm__ volatile("csrrw zero, sscratch, %0" :: "r"(0x42UL) : "memory");
    gprintf("case csrrw_rd_x0: new=0x%lx\n", csr_read(sscratch));
    /* The old value is read before the write: rd = rs1. */
    unsigned long v = 0x99;
    csr_write(sscratch, 0x11);
    __asm__ volatile("csrrs %0, sscratch, %0" : "+r"(v) :: "memory");
    gprintf("case csrrs_rd_eq_rs1: rd=0x%lx new=0x%lx\n", v, csr_read(sscratch));

    /* Immediate forms on sstatus (uimm reaches bits 0-4: SIE); nothing is
     * enabled in sie, so SIE=1 takes no interrupt. */
    unsigned long st = csr_read(sstatus);
    csr_write(sie, 0);
    __asm__ volatile("csrrsi zero, sstatus, 2" ::: "memory");
    unsigned long set = csr_read(sstatus) & SSTATUS_SIE;
    __asm__ volatile("csrrci zero, sstatus, 2" ::: "memory");
    gprintf("case sstatus_csrrsi_sie: set=0x%lx cleared=0x%lx\n", set, csr_read(sstatus) & SSTATUS_SIE);
    csr_write(sstatus, st);
    csr_write(sscratch, saved);
    return failures;
}
