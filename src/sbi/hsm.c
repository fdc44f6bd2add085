/* SBI Hart State Management extension (SBI spec ch. 9), over a VM's vCPUs. */
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/trap.h"

/* Table 9.4 (hart_suspend types). */
#define SUSPEND_DEFAULT_RETENTIVE 0x00000000U
#define SUSPEND_PLATFORM_RETENTIVE 0x10000000U      /* 0x10000000-0x7FFFFFFF */
#define SUSPEND_DEFAULT_NON_RETENTIVE 0x80000000U
#define SUSPEND_PLATFORM_NON_RETENTIVE 0x90000000U  /* 0x90000000-0xFFFFFFFF */
#define SUSPEND_NON_RETENTIVE_BIT 0x80000000U

static struct sbiret error(long code) { return (struct sbiret){ code, 0 }; }

/* Table 9.2 states as another hart sees them. */
static long hart_state(const struct vcpu *t)
{
    switch (t->state) {
    case VCPU_RUNNING:
        return t->suspended ? SBI_HSM_STATE_SUSPENDED : SBI_HSM_STATE_STARTED;
    case VCPU_START_PENDING:
        return SBI_HSM_STATE_START_PENDING;
    case VCPU_STOPPED:
    default:
        return SBI_HSM_STATE_STOPPED;
    }
}

/* 9.4: both default types wait like WFI for a pending interrupt enabled in
 * sie, whatever sstatus.SIE says (OpenSBI on QEMU virt runs wfi). A
 * retentive suspend then returns SUCCESS; a non-retentive one resumes at
 * resume_addr in S-mode with a0 = hartid, a1 = opaque, satp = 0 and
 * sstatus.SIE = 0, other registers as the suspend left them (the spec
 * calls them undefined). lodger has no platform-specific low-power states:
 * like OpenSBI on QEMU virt, it answers those types NOT_SUPPORTED. */
static enum trap_result hart_suspend(struct vcpu *v, const struct sbi_call *call,
                                     struct sbiret *ret)
{
    /* suspend_type is a uint32 (9.4): the upper half of a0 is not part of
     * it, as in OpenSBI. */
    uint32_t type = (uint32_t)call->arg[0];
    if ((type > SUSPEND_DEFAULT_RETENTIVE && type < SUSPEND_PLATFORM_RETENTIVE) ||
        (type > SUSPEND_DEFAULT_NON_RETENTIVE && type < SUSPEND_PLATFORM_NON_RETENTIVE)) {
        *ret = error(SBI_ERR_INVALID_PARAM);    /* reserved */
        return TRAP_NEXT;
    }
    /* The resume address is checked for every non-retentive type, the
     * platform's too (OpenSBI checks it before it looks for a platform
     * suspend). */
    if ((type & SUSPEND_NON_RETENTIVE_BIT) && !vm_gpa_to_host(v->vm, call->arg[1], 4)) {
        *ret = error(SBI_ERR_INVALID_ADDRESS);
        return TRAP_NEXT;
    }
    if (type != SUSPEND_DEFAULT_RETENTIVE && type != SUSPEND_DEFAULT_NON_RETENTIVE) {
        *ret = error(SBI_ERR_NOT_SUPPORTED);
        return TRAP_NEXT;
    }
    __atomic_store_n(&v->suspended, 1, __ATOMIC_RELEASE);  /* until it runs again */
    vcpu_wait_for_interrupt(v);
    if (type == SUSPEND_DEFAULT_RETENTIVE) {
        *ret = error(SBI_SUCCESS);
        return TRAP_NEXT;
    }
    vcpu_reset_to(v, call->arg[1], call->arg[2]);
    return TRAP_REDIRECTED;
}

static enum trap_result hsm_handle(struct vcpu *v, const struct sbi_call *call,
                                   struct sbiret *ret)
{
    struct vm *vm = v->vm;
    unsigned long hartid = call->arg[0];
    switch (call->fid) {
    case SBI_HSM_HART_START:
        if (hartid >= (unsigned long)vm->vcpu_count)
            *ret = error(SBI_ERR_INVALID_PARAM);
        else if (vm->vcpus[hartid].state != VCPU_STOPPED)
            *ret = error(SBI_ERR_ALREADY_AVAILABLE);
        else if (!vm_gpa_to_host(vm, call->arg[1], 4))
            *ret = error(SBI_ERR_INVALID_ADDRESS);
        else
            *ret = error(vcpu_start(&vm->vcpus[hartid], call->arg[1], call->arg[2]));
        return TRAP_NEXT;
    case SBI_HSM_HART_STOP:
        return trap_exit(v, VCPU_EXIT_STOP, false, "SBI HSM hart_stop");
    case SBI_HSM_HART_STATUS:
        if (hartid >= (unsigned long)vm->vcpu_count)
            *ret = error(SBI_ERR_INVALID_PARAM);
        else
            *ret = (struct sbiret){ SBI_SUCCESS, hart_state(&vm->vcpus[hartid]) };
        return TRAP_NEXT;
    case SBI_HSM_HART_SUSPEND:
        return hart_suspend(v, call, ret);
    default:
        *ret = error(SBI_ERR_NOT_SUPPORTED);
        return TRAP_NEXT;
    }
}

const struct sbi_extension sbi_ext_hsm = { SBI_EXT_HSM, SBI_EXT_HSM, "hsm", .handle = hsm_handle };
