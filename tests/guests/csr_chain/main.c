/* Runs of CSR instructions, which lodger's first portion serves in one trap
 * (fast-path chaining, src/first/frame.h): the results must be those of one
 * instruction at a time. Covers Linux's trap-entry run, a compressed and a
 * user-mode instruction after a CSR access (not chained), csrw sepc + sret,
 * a chained write that unmasks a pending interrupt, a run across a page end,
 * and a SUM switch whose new view lacks the code page (the fast path's read
 * of the next instruction faults and it resumes without chaining). The
 * guest runs with Sv39 translation on (identity gigapage). */
#include "../lib/guest.h"

#define SATP_SV39 (8UL << 60)
#define PTE_V (1UL << 0)
#define PTE_RWX_AD (0xeUL | (1UL << 6) | (1UL << 7))

static unsigned long root[512] __attribute__((aligned(4096)));

void chain_entry(unsigned long *out);
unsigned long chain_compressed(void);
unsigned long chain_user_csr(void);
void chain_sret(void (*target)(void));
void chain_sie(unsigned long bits);
extern char chain_sie_after[];
unsigned long chain_sum(unsigned long n);
unsigned long chain_page_end(void);

static void after_sret(void)
{
    gprintf("case sret_target: reached\n");
    gprintf("case sret_sstatus_spp: %lu\n", (csr_read(sstatus) & SSTATUS_SPP) ? 1UL : 0UL);
    guest_exit(0);
}

int guest_main(void)
{
    gprintf("=== begin: csr_chain ===\n");
    root[2] = ((0x80000000UL >> 12) << 10) | PTE_V | PTE_RWX_AD;
    csr_write(satp, SATP_SV39 | ((unsigned long)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");

    unsigned long out[5];
    csr_write(sepc, 0x1234);
    csr_write(stval, 0x5678);
    csr_write(scause, 0xf);
    csr_write(sscratch, 0x9abc);
    csr_set(sstatus, SSTATUS_SUM);
    chain_entry(out);
    gprintf("case entry_sstatus_sum: %lu\n", (out[0] & SSTATUS_SUM) ? 1UL : 0UL);
    gprintf("case entry_sum_after: %lu\n", (csr_read(sstatus) & SSTATUS_SUM) ? 1UL : 0UL);
    gprintf("case entry_reads: 0x%lx 0x%lx 0x%lx 0x%lx\n", out[1], out[2], out[3], out[4]);

    csr_write(sscratch, 41);
    gprintf("case compressed_next: %lu\n", chain_compressed());

    csr_set(sstatus, 1UL << 13);        /* FS Initial */
    __asm__ volatile("fscsr %0" :: "r"(0x65UL));
    gprintf("case user_csr_next: 0x%lx\n", chain_user_csr());

    csr_write(sscratch, 3);
    gprintf("case sum_view_read_faults: %lu\n", chain_sum(20));

    csr_write(sscratch, 0x100);
    csr_write(sepc, 0x22);     /* even: QEMU keeps sepc bit 0, the spec reads it 0 */
    gprintf("case page_end: 0x%lx\n", chain_page_end());

    /* A pending software interrupt, masked in sie, unmasked by a chained csrs. */
    csr_clear(sie, 2);
    csr_set(sip, 2);
    csr_set(sstatus, SSTATUS_SIE);
    int before = last_trap.count;
    chain_sie(2);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sip, 2);
    if (last_trap.count == before)
        gprintf("case sie_unmask: no interrupt\n");
    else
        gprintf("case sie_unmask: scause=0x%lx at_after=%d\n", (unsigned long)last_trap.scause,
                last_trap.sepc == (uint64_t)(unsigned long)chain_sie_after);

    csr_set(sstatus, SSTATUS_SPP);
    chain_sret(after_sret);
    gprintf("FAIL sret came back\n");
    return 1;
}
