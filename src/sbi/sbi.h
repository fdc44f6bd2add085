/* The SBI that lodger offers its guests: one file per extension, found
 * through one table (sbi.c). */
#ifndef LODGER_SBI_SBI_H
#define LODGER_SBI_SBI_H

#include <stdbool.h>
#include "sbi/sbi_defs.h"
#include "sbi/firmware.h"

struct vcpu;

struct sbi_call {
    unsigned long eid, fid;
    unsigned long arg[6];
};

struct sbi_extension {
    unsigned long eid_first, eid_last;
    const char *name;
    /* Fills ret; returns false when the call does not return to the guest
     * (the VM ended or the vCPU stopped). */
    struct sbiret (*handle)(struct vcpu *v, const struct sbi_call *call);
};

/* Handles the guest's ecall from virtual S: reads a0-a7, writes a0/a1. */
void sbi_dispatch(struct vcpu *v);
bool sbi_extension_available(unsigned long eid);

extern const struct sbi_extension sbi_ext_base, sbi_ext_legacy, sbi_ext_time,
    sbi_ext_dbcn, sbi_ext_srst, sbi_ext_ipi, sbi_ext_rfence, sbi_ext_hsm, sbi_ext_lodger;

#endif
