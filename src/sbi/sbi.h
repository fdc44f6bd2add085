/* The SBI that lodger offers its guests: one file per extension, found
 * through one table (sbi.c). */
#ifndef LODGER_SBI_SBI_H
#define LODGER_SBI_SBI_H

#include <stdbool.h>
#include "sbi/sbi_defs.h"
#include "sbi/firmware.h"
#include "core/trap_result.h"

struct vcpu;

struct sbi_call {
    unsigned long eid, fid;
    unsigned long arg[6];
};

/* An extension serves its calls either with `call`, when every call
 * returns to the guest with a0/a1 (pc moves past the ecall), or with
 * `handle`, when a call may not: it fills *ret and returns TRAP_NEXT, or
 * TRAP_REDIRECTED (it set pc and the registers the guest resumes with; ret
 * is not written back) or TRAP_EXIT (the VM ends or restarts, the vCPU
 * stops: core/trap.h). */
struct sbi_extension {
    unsigned long eid_first, eid_last;
    const char *name;
    struct sbiret (*call)(struct vcpu *v, const struct sbi_call *call);
    enum trap_result (*handle)(struct vcpu *v, const struct sbi_call *call, struct sbiret *ret);
};

/* Handles the guest's ecall from virtual S: reads a0-a7, writes a0/a1
 * unless the call redirected pc or exits. */
enum trap_result sbi_dispatch(struct vcpu *v);
bool sbi_extension_available(unsigned long eid);

extern const struct sbi_extension sbi_ext_base, sbi_ext_legacy, sbi_ext_time,
    sbi_ext_dbcn, sbi_ext_srst, sbi_ext_ipi, sbi_ext_rfence, sbi_ext_hsm, sbi_ext_lodger;

#endif
