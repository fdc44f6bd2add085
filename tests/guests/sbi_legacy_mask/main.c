/* Legacy SBI hart masks are virtual addresses (SBI spec 5: "hart_mask is a
 * virtual address that points to a bit-vector of harts"), read in the
 * caller's S-mode address space: through its page tables when satp is on,
 * with its SUM, and a load that faults is the caller's fault, delivered at
 * the ecall (OpenSBI loads the mask with MPRV and redirects the trap). The
 * mask lives at MASK_VA, mapped to a physical page at another address, so
 * reading it as a physical address finds no RAM. */
#include "../lib/guest.h"
#include "../lib/pagetable.h"

#define SBI_LEGACY_REMOTE_FENCE_I 0x05
#define SBI_LEGACY_REMOTE_SFENCE_VMA 0x06
#define MASK_VA 0x40000000UL            /* S-mode page holding the mask */
#define USER_VA 0x40001000UL            /* a U page holding a mask too */
#define UNMAPPED_VA 0x40002000UL
#define MASK_PA 0x80600000UL
#define USER_PA 0x80601000UL

static void report_fault(const char *name, struct sbiret r, int before)
{
    if (last_trap.count == before) {
        gprintf("case %s: error=%ld\n", name, r.error);
        return;
    }
    unsigned long sepc = last_trap.sepc;
    /* The fault is taken at the ecall, inside sbi_call. */
    gprintf("case %s: scause=%lu stval=0x%lx at_ecall=%s\n", name,
            (unsigned long)last_trap.scause, (unsigned long)last_trap.stval,
            sepc >= (unsigned long)sbi_call && sepc < (unsigned long)sbi_call + 64 ? "yes" : "no");
}

/* Legacy send_ipi to this hart: a0 = 0 and SSIP pending. */
static void self_ipi(const char *name, unsigned long mask_va)
{
    csr_clear(sip, SIP_SSIP);
    int before = last_trap.count;
    struct sbiret r = sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, mask_va, 0, 0, 0);
    if (last_trap.count != before) {
        report_fault(name, r, before);
        return;
    }
    gprintf("case %s: error=%ld ssip=%lu\n", name, r.error, (csr_read(sip) & SIP_SSIP) >> 1);
    csr_clear(sip, SIP_SSIP);
}

int guest_main(void)
{
    gprintf("=== begin: sbi_legacy_mask ===\n");
    struct sbiret s0 = sbi_call(SBI_EXT_HSM, 2, 0, 0, 0, 0);
    unsigned long me = s0.error == 0 && s0.value == 0 ? 0 : 1;
    *(volatile unsigned long *)MASK_PA = 1UL << me;
    *(volatile unsigned long *)USER_PA = 1UL << me;

    unsigned long *root = pt_alloc();
    pt_map_identity(root, 3);
    pt_map(root, 3, MASK_VA, MASK_PA, PAGE, PTE_V | PTE_R | PTE_A);
    pt_map(root, 3, USER_VA, USER_PA, PAGE, PTE_V | PTE_R | PTE_A | PTE_U);
    unsigned long satp = satp_of(root, 3, 0);
    satp_switch(satp);
    gprintf("case sv39: %s\n", csr_read(satp) == satp ? "as written" : "not supported");

    self_ipi("send_ipi_mask_at_va", MASK_VA);
    int before = last_trap.count;
    struct sbiret r = sbi_call(SBI_LEGACY_REMOTE_FENCE_I, 0, MASK_VA, 0, 0, 0);
    report_fault("remote_fence_i_mask_at_va", r, before);
    before = last_trap.count;
    r = sbi_call(SBI_LEGACY_REMOTE_SFENCE_VMA, 0, MASK_VA, 0, ~0UL, 0);
    report_fault("remote_sfence_vma_mask_at_va", r, before);

    /* Not mapped: the load page fault is the guest's, at the ecall. */
    before = last_trap.count;
    r = sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, UNMAPPED_VA, 0, 0, 0);
    report_fault("send_ipi_mask_unmapped", r, before);
    before = last_trap.count;
    r = sbi_call(SBI_LEGACY_REMOTE_FENCE_I, 0, UNMAPPED_VA + 8, 0, 0, 0);
    report_fault("remote_fence_i_mask_unmapped", r, before);

    /* A U page: S-mode reads it only with SUM (privileged spec 4.3.1). */
    csr_clear(sstatus, SSTATUS_SUM);
    self_ipi("send_ipi_mask_user_page_sum0", USER_VA);
    csr_set(sstatus, SSTATUS_SUM);
    self_ipi("send_ipi_mask_user_page_sum1", USER_VA);
    csr_clear(sstatus, SSTATUS_SUM);

    /* Translation off: the virtual address is the physical one. */
    satp_switch(0);
    self_ipi("send_ipi_mask_bare", MASK_PA);
    return failures;
}
