/* SBI System Reset extension (SBI spec ch. 10): ends the VM. */
#include "sbi/sbi.h"
#include "core/vm.h"

static struct sbiret srst_handle(struct vcpu *v, const struct sbi_call *call)
{
    if (call->fid != 0)
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    unsigned long type = call->arg[0], reason = call->arg[1];
    /* Types above 2 and reasons 2..0xEFFFFFFF are reserved (10.1). */
    if (type > SBI_SRST_RESET_TYPE_WARM_REBOOT ||
        (reason > SBI_SRST_RESET_REASON_SYSFAIL && reason < 0xF0000000UL) || reason > 0xFFFFFFFFUL)
        return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
    bool failed = reason == SBI_SRST_RESET_REASON_SYSFAIL;
    if (type == SBI_SRST_RESET_TYPE_SHUTDOWN)
        vm_end(v->vm, failed, "guest shutdown (%s)", failed ? "system failure" : "no reason");
    vm_end(v->vm, failed, "guest asked for a %s reboot; rebooting a VM is not supported yet",
           type == SBI_SRST_RESET_TYPE_COLD_REBOOT ? "cold" : "warm");
}

const struct sbi_extension sbi_ext_srst = { SBI_EXT_SRST, SBI_EXT_SRST, "srst", srst_handle };
