/* Access to the hart's own CSRs. Only lodger's low-level code uses these;
 * trap handlers work on a snapshot (struct trap) instead. */
#ifndef LODGER_ARCH_RISCV_CSR_H
#define LODGER_ARCH_RISCV_CSR_H

#define STR_(x) #x
#define STR(x) STR_(x)

#define csr_read(csr) ({ unsigned long v_; \
    __asm__ volatile("csrr %0, " STR(csr) : "=r"(v_) :: "memory"); v_; })
#define csr_write(csr, val) ({ unsigned long v_ = (unsigned long)(val); \
    __asm__ volatile("csrw " STR(csr) ", %0" :: "rK"(v_) : "memory"); })
#define csr_swap(csr, val) ({ unsigned long v_ = (unsigned long)(val); \
    __asm__ volatile("csrrw %0, " STR(csr) ", %1" : "=r"(v_) : "rK"(v_) : "memory"); v_; })
#define csr_set(csr, val) ({ unsigned long v_ = (unsigned long)(val); \
    __asm__ volatile("csrs " STR(csr) ", %0" :: "rK"(v_) : "memory"); })
#define csr_clear(csr, val) ({ unsigned long v_ = (unsigned long)(val); \
    __asm__ volatile("csrc " STR(csr) ", %0" :: "rK"(v_) : "memory"); })

static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void sfence_vma_asid(unsigned long asid)
{
    __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}
static inline void wait_for_interrupt(void) { __asm__ volatile("wfi"); }

#endif
