/* SBI v0.1 legacy extensions (SBI spec ch. 5), still used by old kernels:
 * each EID 0x00-0x08 is one call; only a0 is returned. */
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/console.h"
#include "core/trap.h"

static struct sbiret legacy_call(struct vcpu *v, const struct sbi_call *call)
{
    switch (call->eid) {
    case SBI_EXT_0_1_SET_TIMER:
        vcpu_set_timer(v, call->arg[0]);
        return (struct sbiret){ 0, 0 };
    case SBI_EXT_0_1_CONSOLE_PUTCHAR: {
        char c = (char)call->arg[0];
        board_sbi_console_write(v->vm, &c, 1);
        return (struct sbiret){ 0, 0 };
    }
    case SBI_EXT_0_1_CONSOLE_GETCHAR:
        return (struct sbiret){ firmware_getchar(), 0 };
    case SBI_EXT_0_1_CLEAR_IPI:
        __atomic_and_fetch(&v->csr->sip, ~SIP_SSIP, __ATOMIC_SEQ_CST);
        return (struct sbiret){ 0, 0 };
    default:
        /* send_ipi and remote fences take a pointer to a hart mask in guest
         * memory: read it and forward to the v0.2+ handlers. */
        {
            unsigned long mask = ~0UL, gpa = call->arg[0];
            if (gpa && !vm_read(v->vm, gpa, &mask, sizeof(mask)))
                return (struct sbiret){ SBI_ERR_INVALID_ADDRESS, 0 };
            struct sbi_call fwd = { .arg = { mask, 0, call->arg[1], call->arg[2], call->arg[3] } };
            if (!gpa)
                fwd.arg[1] = (unsigned long)-1;
            if (call->eid == SBI_EXT_0_1_SEND_IPI) {
                fwd.eid = SBI_EXT_IPI;
                return sbi_ext_ipi.call(v, &fwd);
            }
            fwd.eid = SBI_EXT_RFENCE;
            fwd.fid = call->eid == SBI_EXT_0_1_REMOTE_FENCE_I ? 0 : 1;
            return sbi_ext_rfence.call(v, &fwd);
        }
    }
}

static enum trap_result legacy_handle(struct vcpu *v, const struct sbi_call *call,
                                      struct sbiret *ret)
{
    if (call->eid == SBI_EXT_0_1_SHUTDOWN)
        return trap_exit(v, VCPU_EXIT_END_VM, false, "guest shutdown (legacy call)");
    *ret = legacy_call(v, call);
    return TRAP_NEXT;
}

const struct sbi_extension sbi_ext_legacy = { SBI_EXT_0_1_SET_TIMER, SBI_EXT_0_1_SHUTDOWN,
                                              "legacy", .handle = legacy_handle };
