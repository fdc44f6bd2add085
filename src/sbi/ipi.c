/* SBI IPI and RFENCE extensions (SBI spec ch. 7, 8), for a VM's vCPUs.
 * hart_mask/hart_mask_base name virtual hart ids (SBI spec 3.1). */
#include "sbi/sbi.h"
#include "core/vm.h"

/* Applies fn to each vCPU in the mask; SBI_ERR_INVALID_PARAM when the mask
 * names a hart the VM lacks. */
static long for_each_target(struct vcpu *v, unsigned long mask, unsigned long base,
                            void (*fn)(struct vcpu *self, struct vcpu *target))
{
    struct vm *vm = v->vm;
    if (base == (unsigned long)-1) {
        for (int i = 0; i < vm->vcpu_count; i++)
            fn(v, &vm->vcpus[i]);
        return SBI_SUCCESS;
    }
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(mask & (1UL << bit)))
            continue;
        unsigned long id = base + bit;
        if (id < base || id >= (unsigned long)vm->vcpu_count)
            return SBI_ERR_INVALID_PARAM;
    }
    for (unsigned bit = 0; bit < 64; bit++)
        if (mask & (1UL << bit))
            fn(v, &vm->vcpus[base + bit]);
    return SBI_SUCCESS;
}

static void raise_ssip(struct vcpu *self, struct vcpu *target)
{
    (void)self;
    vcpu_raise(target, SIP_SSIP);
}

static void fence_i(struct vcpu *self, struct vcpu *target)
{
    vcpu_request(self, target, VCPU_REQUEST_FENCE_I);
}

/* The shadows are the VM's, shared by its vCPUs: the caller drops the
 * mappings once (rfence_call), each target flushes its own hart's TLB. */
static void flush_tlb(struct vcpu *self, struct vcpu *target)
{
    vcpu_request(self, target, VCPU_REQUEST_TLB_FLUSH);
}

static struct sbiret ipi_call(struct vcpu *v, const struct sbi_call *call)
{
    if (call->fid != 0)
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], raise_ssip), 0 };
}

/* RFENCE: remote fence.i needs nothing beyond this hart's own (one hart per
 * VM today); sfence variants drop the targets' shadow state. */
static struct sbiret rfence_call(struct vcpu *v, const struct sbi_call *call)
{
    switch (call->fid) {
    case 0:
        return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], fence_i), 0 };
    case 1: case 2: {
        /* start_addr, size (and for fid 2 an ASID): a few pages are dropped
         * one by one, anything larger (or size -1, or a range past the top
         * of the address space: everything) drops all mappings of the
         * address space (SBI 8.3, 8.4). Each page is fenced as the target
         * harts' sfence.vma of it would be: an address that is not a valid
         * virtual address has no effect (privileged spec 4.2.1; the
         * targets' modes are theirs, so valid for any mode the VM has). */
        uint64_t start = call->arg[2], size = call->arg[3];
        uint64_t asid = call->fid == 2 ? vcsr_asid(&v->vm->csr_cfg, call->arg[4])
                                       : SHADOW_ALL_ASIDS;
        uint64_t last = start + (size - 1);
        if (size && size <= 16 * PAGE_SIZE && last >= start) {
            /* Count the pages: a range in the last page would make a
             * va += PAGE_SIZE loop wrap to 0 and run ~2^52 times. */
            uint64_t pages = (last >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
            uint64_t va = start & ~(PAGE_SIZE - 1);
            for (uint64_t i = 0; i < pages; i++, va += PAGE_SIZE)
                if (pt_fence_va_valid(va, SATP_MODE_BARE, v->vm->csr_cfg.satp_modes))
                    shadow_flush_page(v->vm, va, asid);
        } else if (call->fid == 2)
            shadow_flush_asid(v->vm, asid);
        else
            shadow_flush_all(v->vm);
        return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], flush_tlb), 0 };
    }
    default:
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

const struct sbi_extension sbi_ext_ipi = { SBI_EXT_IPI, SBI_EXT_IPI, "ipi", .call = ipi_call };
const struct sbi_extension sbi_ext_rfence = { SBI_EXT_RFENCE, SBI_EXT_RFENCE, "rfence",
                                              .call = rfence_call };
