/* The board's interrupt line into a vCPU (struct board external_line, set
 * by vm_create): its PLIC context's output is the vCPU's virtual SEIP. Pure
 * C apart from the kick, host-tested (tests/host/test_trap.c). Devices reach
 * vCPUs only through this, by a pointer: src/dev calls nothing in the core's
 * scheduler (tools/call-cycles). */
#include "core/vm.h"

void vm_external_line(struct vm *vm, unsigned context, bool level)
{
    if (context >= (unsigned)vm->vcpu_count)
        return;     /* a PLIC context no vCPU has: no line */
    struct vcpu *v = &vm->vcpus[context];
    uint64_t *sip = &v->csr->sip;
    if (!level) {
        __atomic_and_fetch(sip, ~SIP_SEIP, __ATOMIC_SEQ_CST);
        return;
    }
    uint64_t was = __atomic_fetch_or(sip, SIP_SEIP, __ATOMIC_SEQ_CST);
    if (!(was & SIP_SEIP))
        vcpu_notify(v);     /* it may be on another hart */
}
