/* RISC-V encodings used by lodger: CSR numbers, CSR fields, trap causes,
 * page-table entry bits. Names follow the privileged specification (v1.12). */
#ifndef LODGER_ARCH_RISCV_ENCODING_H
#define LODGER_ARCH_RISCV_ENCODING_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE (_UL(1) << PAGE_SHIFT)

/* Supervisor CSRs */
#define CSR_SSTATUS 0x100
#define CSR_SIE 0x104
#define CSR_STVEC 0x105
#define CSR_SCOUNTEREN 0x106
#define CSR_SENVCFG 0x10a
#define CSR_SSCRATCH 0x140
#define CSR_SEPC 0x141
#define CSR_SCAUSE 0x142
#define CSR_STVAL 0x143
#define CSR_SIP 0x144
#define CSR_STIMECMP 0x14d
#define CSR_SATP 0x180
/* Unprivileged counters and FP CSRs */
#define CSR_FFLAGS 0x001
#define CSR_FRM 0x002
#define CSR_FCSR 0x003
#define CSR_CYCLE 0xc00
#define CSR_TIME 0xc01
#define CSR_INSTRET 0xc02

/* sstatus (privileged spec 4.1.1) */
#define SSTATUS_SIE (_UL(1) << 1)
#define SSTATUS_SPIE (_UL(1) << 5)
#define SSTATUS_UBE (_UL(1) << 6)
#define SSTATUS_SPP (_UL(1) << 8)
#define SSTATUS_VS (_UL(3) << 9)
#define SSTATUS_FS (_UL(3) << 13)
#define SSTATUS_FS_SHIFT 13
#define SSTATUS_XS (_UL(3) << 15)
#define SSTATUS_SUM (_UL(1) << 18)
#define SSTATUS_MXR (_UL(1) << 19)
#define SSTATUS_UXL (_UL(3) << 32)
#define SSTATUS_UXL_64 (_UL(2) << 32)
#define SSTATUS_SD (_UL(1) << 63)
#define EXT_STATUS_OFF 0
#define EXT_STATUS_INITIAL 1
#define EXT_STATUS_CLEAN 2
#define EXT_STATUS_DIRTY 3

/* Interrupt numbers (sip/sie bit positions, scause codes) */
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define SIP_SSIP (_UL(1) << IRQ_S_SOFT)
#define SIP_STIP (_UL(1) << IRQ_S_TIMER)
#define SIP_SEIP (_UL(1) << IRQ_S_EXT)
#define SIE_ALL (SIP_SSIP | SIP_STIP | SIP_SEIP)

/* Exception causes (privileged spec 4.1.9, table 4.2) */
#define CAUSE_INTERRUPT (_UL(1) << 63)
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define CAUSE_COUNT 16

/* satp (privileged spec 4.1.11) */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE _UL(0)
#define SATP_MODE_SV39 _UL(8)
#define SATP_MODE_SV48 _UL(9)
#define SATP_MODE_SV57 _UL(10)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK _UL(0xffff)
#define SATP_PPN_MASK ((_UL(1) << 44) - 1)

/* stvec */
#define STVEC_MODE_MASK _UL(3)
#define STVEC_MODE_VECTORED _UL(1)

/* Page-table entries (privileged spec 4.3.1 / 4.4.1) */
#define PTE_V (_UL(1) << 0)
#define PTE_R (_UL(1) << 1)
#define PTE_W (_UL(1) << 2)
#define PTE_X (_UL(1) << 3)
#define PTE_U (_UL(1) << 4)
#define PTE_G (_UL(1) << 5)
#define PTE_A (_UL(1) << 6)
#define PTE_D (_UL(1) << 7)
#define PTE_RSW (_UL(3) << 8)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK (((_UL(1) << 44) - 1) << PTE_PPN_SHIFT)
#define PTE_RESERVED_HIGH (_UL(0x7f) << 54) /* bits 60:54 must be zero */
#define PTE_PBMT (_UL(3) << 61)
#define PTE_N (_UL(1) << 63)

/* Instruction encodings (unprivileged spec ch. 24 / privileged ch. 3.3) */
#define OPCODE_SYSTEM 0x73
#define MATCH_SRET 0x10200073u
#define MATCH_WFI 0x10500073u
#define MASK_SFENCE_VMA 0xfe007fffu
#define MATCH_SFENCE_VMA 0x12000073u

#endif
