/* A vCPU's timer and its VM's console-input poll (core/vcpu_timer.c).
 * vcpu_set_timer, the SBI's, is in core/vcpu.h. */
#ifndef LODGER_CORE_VCPU_TIMER_H
#define LODGER_CORE_VCPU_TIMER_H

#include <stdint.h>

struct vcpu;
struct hart;

/* Virtual STIP follows the vCPU's deadline (SBI TIME: pending until the
 * next set_timer). */
void vcpu_timer_check(struct vcpu *v, uint64_t now);
/* Before v enters the guest on this hart: STIP as above, its VM's panic
 * report and console input dealt with when due, the host timer set. */
void vcpu_timer_update(struct vcpu *v);
/* For hart h with nothing to run (core/hart.c idle): the host timer set
 * for the vCPUs it holds, their VMs' panics and input dealt with. */
void vcpu_timer_idle(struct hart *h, uint64_t now);

#endif
