/* SBI System Reset extension (SBI spec ch. 10): a shutdown ends the VM; a
 * reboot restarts it from its images (core/vm.c vm_reboot). */
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
    const char *kind = type == SBI_SRST_RESET_TYPE_SHUTDOWN ? "shutdown"
                     : type == SBI_SRST_RESET_TYPE_COLD_REBOOT ? "cold reboot" : "warm reboot";
    /* Reason "system failure" (10.1): the guest says it failed, whatever it
     * asks for. lodger reports that and ends the VM rather than reboot it
     * into the same failure. */
    if (reason == SBI_SRST_RESET_REASON_SYSFAIL)
        vm_end(v->vm, true, "guest %s after a system failure (SBI SRST reason 1)", kind);
    if (type == SBI_SRST_RESET_TYPE_SHUTDOWN)
        vm_end(v->vm, false, "guest shutdown (no reason)");
    vm_reboot(v);   /* cold or warm: the VM starts over from its images */
}

const struct sbi_extension sbi_ext_srst = { SBI_EXT_SRST, SBI_EXT_SRST, "srst", srst_handle };
