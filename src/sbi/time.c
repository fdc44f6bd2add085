/* SBI Timer extension (SBI spec ch. 6). */
#include "sbi/sbi.h"
#include "core/vcpu.h"

static struct sbiret time_call(struct vcpu *v, const struct sbi_call *call)
{
    if (call->fid != 0)
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    vcpu_set_timer(v, call->arg[0]);
    return (struct sbiret){ SBI_SUCCESS, 0 };
}

const struct sbi_extension sbi_ext_time = { SBI_EXT_TIME, SBI_EXT_TIME, "time", .call = time_call };
