/* SBI IPI and RFENCE extensions (SBI spec ch. 7, 8), for a VM's vCPUs.
 * hart_mask/hart_mask_base name virtual hart ids (SBI spec 3.1). */
#include "sbi/sbi.h"
#include "core/vm.h"

/* Applies fn to each vCPU in the mask; SBI_ERR_INVALID_PARAM when the mask
 * names a hart the VM lacks. */
static long for_each_target(struct vcpu *v, unsigned long mask, unsigned long base,
                            void (*fn)(struct vcpu *target))
{
    struct vm *vm = v->vm;
    if (base == (unsigned long)-1) {
        for (int i = 0; i < vm->vcpu_count; i++)
            fn(&vm->vcpus[i]);
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
            fn(&vm->vcpus[base + bit]);
    return SBI_SUCCESS;
}

static void raise_ssip(struct vcpu *target)
{
    __atomic_or_fetch(&target->csr->sip, SIP_SSIP, __ATOMIC_SEQ_CST);
}

static void fence_i(struct vcpu *target)
{
    (void)target;
    __asm__ volatile("fence.i" ::: "memory");
}

static void flush_shadow(struct vcpu *target)
{
    shadow_flush_all(target->vm);
    target->shadow = NULL;
}

static struct sbiret ipi_handle(struct vcpu *v, const struct sbi_call *call)
{
    if (call->fid != 0)
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], raise_ssip), 0 };
}

/* RFENCE: remote fence.i needs nothing beyond this hart's own (one hart per
 * VM today); sfence variants drop the targets' shadow state. */
static struct sbiret rfence_handle(struct vcpu *v, const struct sbi_call *call)
{
    switch (call->fid) {
    case 0:
        return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], fence_i), 0 };
    case 1: case 2:
        return (struct sbiret){ for_each_target(v, call->arg[0], call->arg[1], flush_shadow), 0 };
    default:
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

const struct sbi_extension sbi_ext_ipi = { SBI_EXT_IPI, SBI_EXT_IPI, "ipi", ipi_handle };
const struct sbi_extension sbi_ext_rfence = { SBI_EXT_RFENCE, SBI_EXT_RFENCE, "rfence",
                                              rfence_handle };
