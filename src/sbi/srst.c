/* SBI System Reset extension (SBI spec ch. 10): a shutdown ends the VM; a
 * reboot restarts it from its images (core/vm.c vm_reboot). */
#include "sbi/sbi.h"
#include "core/vcpu.h"
#include "core/trap.h"

static enum trap_result srst_handle(struct vcpu *v, const struct sbi_call *call,
                                    struct sbiret *ret)
{
    if (call->fid != 0) {
        *ret = (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
        return TRAP_NEXT;
    }
    unsigned long type = call->arg[0], reason = call->arg[1];
    /* Types above 2 and reasons 2..0xEFFFFFFF are reserved (10.1). */
    if (type > SBI_SRST_RESET_TYPE_WARM_REBOOT ||
        (reason > SBI_SRST_RESET_REASON_SYSFAIL && reason < 0xF0000000UL) || reason > 0xFFFFFFFFUL) {
        *ret = (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        return TRAP_NEXT;
    }
    const char *kind = type == SBI_SRST_RESET_TYPE_SHUTDOWN ? "shutdown"
                     : type == SBI_SRST_RESET_TYPE_COLD_REBOOT ? "cold reboot" : "warm reboot";
    /* Reason "system failure" (10.1): the guest says it failed, whatever it
     * asks for. lodger reports that and ends the VM rather than reboot it
     * into the same failure. */
    if (reason == SBI_SRST_RESET_REASON_SYSFAIL)
        return trap_exit(v, VCPU_EXIT_END_VM, true,
                         "guest %s after a system failure (SBI SRST reason 1)", kind);
    if (type == SBI_SRST_RESET_TYPE_SHUTDOWN)
        return trap_exit(v, VCPU_EXIT_END_VM, false, "guest shutdown (no reason)");
    /* Cold or warm: the VM starts over from its images. */
    return trap_exit(v, VCPU_EXIT_REBOOT, false, "guest %s", kind);
}

const struct sbi_extension sbi_ext_srst = { SBI_EXT_SRST, SBI_EXT_SRST, "srst",
                                            .handle = srst_handle };
