/* SBI Base extension (SBI spec ch. 4). */
#include "sbi/sbi.h"
#include "core/vcpu.h"

#define LODGER_VERSION_CODE 0x00000100UL   /* 0.1.0 */

static struct sbiret base_call(struct vcpu *v, const struct sbi_call *call)
{
    (void)v;
    switch (call->fid) {
    case SBI_BASE_GET_SPEC_VERSION: return (struct sbiret){ 0, (long)SBI_SPEC_VERSION_2_0 };
    case SBI_BASE_GET_IMPL_ID: return (struct sbiret){ 0, SBI_IMPL_ID_LODGER };
    case SBI_BASE_GET_IMPL_VERSION: return (struct sbiret){ 0, LODGER_VERSION_CODE };
    case SBI_BASE_PROBE_EXT: return (struct sbiret){ 0, sbi_extension_available(call->arg[0]) };
    /* The guest sees the host's identity (the spec allows 0, real values
     * are more useful to errata code). */
    case SBI_BASE_GET_MVENDORID: return (struct sbiret){ 0, (long)firmware.mvendorid };
    case SBI_BASE_GET_MARCHID: return (struct sbiret){ 0, (long)firmware.marchid };
    case SBI_BASE_GET_MIMPID: return (struct sbiret){ 0, (long)firmware.mimpid };
    default: return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

const struct sbi_extension sbi_ext_base = { SBI_EXT_BASE, SBI_EXT_BASE, "base", .call = base_call };
