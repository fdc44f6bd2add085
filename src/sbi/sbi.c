#include "sbi/sbi.h"
#include "core/vcpu.h"

static const struct sbi_extension *const extensions[] = {
    &sbi_ext_base, &sbi_ext_legacy, &sbi_ext_time, &sbi_ext_ipi, &sbi_ext_rfence,
    &sbi_ext_dbcn, &sbi_ext_srst, &sbi_ext_hsm, &sbi_ext_lodger,
};

static const struct sbi_extension *find_extension(unsigned long eid)
{
    for (unsigned i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
        if (eid >= extensions[i]->eid_first && eid <= extensions[i]->eid_last)
            return extensions[i];
    return 0;
}

bool sbi_extension_available(unsigned long eid)
{
    return find_extension(eid) != 0;
}

/* SBI spec 3: a7 = EID, a6 = FID, a0-a5 arguments; a0 = error, a1 = value. */
enum trap_result sbi_dispatch(struct vcpu *v)
{
    struct sbi_call call = { .eid = vcpu_reg(v, 17), .fid = vcpu_reg(v, 16) };
    for (unsigned i = 0; i < 6; i++)
        call.arg[i] = vcpu_reg(v, 10 + i);
    const struct sbi_extension *ext = find_extension(call.eid);
    struct sbiret ret = { SBI_ERR_NOT_SUPPORTED, 0 };
    enum trap_result next = TRAP_NEXT;
    if (ext && ext->handle)
        next = ext->handle(v, &call, &ret);
    else if (ext)
        ret = ext->call(v, &call);
    if (next != TRAP_NEXT)
        return next;    /* pc and registers set by the handler, or the vCPU leaves */
    vcpu_set_reg(v, 10, (uint64_t)ret.error);
    /* Legacy calls return only a0 (SBI spec 5: a1 is left alone). */
    if (call.eid > SBI_EXT_0_1_SHUTDOWN)
        vcpu_set_reg(v, 11, (uint64_t)ret.value);
    return TRAP_NEXT;
}
