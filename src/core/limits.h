/* How many VMs lodger hosts and how many vCPUs each may have: the VM image
 * parser refuses more (core/image.c), vm.c and the harts' tables are sized
 * for them (core/vm.h, core/hart.h). Pure: host code includes it too. */
#ifndef LODGER_CORE_LIMITS_H
#define LODGER_CORE_LIMITS_H

#define LODGER_MAX_VMS 8
/* One frame page each in the first portion (first/frame.h FIRST_MAX_VCPUS). */
#define LODGER_MAX_VCPUS 14
/* Harts a VM's configuration may name (core/hostdt.h HOST_MAX_HARTS). */
#define LODGER_MAX_HARTS 16

#endif
