/* SBI Hart State Management extension (SBI spec ch. 9), over a VM's vCPUs. */
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/trap.h"

#define SUSPEND_DEFAULT_RETENTIVE 0x00000000UL
#define SUSPEND_DEFAULT_NON_RETENTIVE 0x80000000UL

static struct sbiret error(long code) { return (struct sbiret){ code, 0 }; }

/* Table 9.3: types other than the two defaults are reserved (INVALID_PARAM)
 * or platform-specific (NOT_SUPPORTED here). */
static long suspend_type_error(unsigned long type)
{
    if (type > 0xFFFFFFFFUL || (type >= 0x00000001UL && type <= 0x0FFFFFFFUL) ||
        (type >= 0x80000001UL && type <= 0x8FFFFFFFUL))
        return SBI_ERR_INVALID_PARAM;
    return SBI_ERR_NOT_SUPPORTED;
}

static struct sbiret hsm_handle(struct vcpu *v, const struct sbi_call *call)
{
    struct vm *vm = v->vm;
    unsigned long hartid = call->arg[0];
    switch (call->fid) {
    case SBI_HSM_HART_START:
        if (hartid >= (unsigned long)vm->vcpu_count)
            return error(SBI_ERR_INVALID_PARAM);
        if (vm->vcpus[hartid].state != VCPU_STOPPED)
            return error(SBI_ERR_ALREADY_AVAILABLE);
        if (!vm_gpa_to_host(vm, call->arg[1], 4))
            return error(SBI_ERR_INVALID_ADDRESS);
        return error(vcpu_start(&vm->vcpus[hartid], call->arg[1], call->arg[2]));
    case SBI_HSM_HART_STOP:
        vcpu_stop(v);   /* does not return */
    case SBI_HSM_HART_STATUS:
        if (hartid >= (unsigned long)vm->vcpu_count)
            return error(SBI_ERR_INVALID_PARAM);
        switch (vm->vcpus[hartid].state) {
        case VCPU_RUNNING: return (struct sbiret){ SBI_SUCCESS, SBI_HSM_STATE_STARTED };
        case VCPU_START_PENDING: return (struct sbiret){ SBI_SUCCESS, SBI_HSM_STATE_START_PENDING };
        default: return (struct sbiret){ SBI_SUCCESS, SBI_HSM_STATE_STOPPED };
        }
    case SBI_HSM_HART_SUSPEND: {
        unsigned long type = call->arg[0];
        if (type != SUSPEND_DEFAULT_RETENTIVE && type != SUSPEND_DEFAULT_NON_RETENTIVE)
            return error(suspend_type_error(type));
        if (type == SUSPEND_DEFAULT_NON_RETENTIVE && !vm_gpa_to_host(vm, call->arg[1], 4))
            return error(SBI_ERR_INVALID_ADDRESS);
        /* Both kinds wait like WFI for a pending enabled interrupt (9.4). */
        vcpu_wait_for_interrupt(v);
        if (type == SUSPEND_DEFAULT_NON_RETENTIVE)
            vcpu_reset_to(v, call->arg[1], call->arg[2]);
        return error(SBI_SUCCESS);
    }
    default:
        return error(SBI_ERR_NOT_SUPPORTED);
    }
}

const struct sbi_extension sbi_ext_hsm = { SBI_EXT_HSM, SBI_EXT_HSM, "hsm", hsm_handle };
