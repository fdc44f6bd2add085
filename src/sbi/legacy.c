/* SBI v0.1 legacy extensions (SBI spec ch. 5), still used by old kernels:
 * each EID 0x00-0x08 is one call; only a0 is returned. */
#include <string.h>
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/console.h"
#include "core/trap.h"

/* SBI 5 (legacy extensions): hart_mask is "a virtual address that points
 * to a bit-vector of harts", in the caller's S-mode address space: read
 * it as the guest's own load would (its satp, SUM and MXR, A set as the
 * hardware would), and deliver the fault that load would take to the
 * guest at the ecall, as OpenSBI does (it loads the mask with MPRV and
 * redirects the trap). False if it faulted (the fault is delivered). */
static bool read_hart_mask(struct vcpu *v, uint64_t va, unsigned long *mask)
{
    unsigned char bytes[sizeof(*mask)];
    for (unsigned i = 0; i < sizeof(bytes);) {
        uint64_t addr = va + i, gpa, cause;
        uint64_t room = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
        unsigned n = room < sizeof(bytes) - i ? (unsigned)room : (unsigned)sizeof(bytes) - i;
        if (!vcpu_guest_physical(v, addr, ACCESS_LOAD, true, &gpa, &cause) ||
            (cause = CAUSE_LOAD_ACCESS, !vm_read(v->vm, gpa, bytes + i, n))) {
            vcpu_inject_exception(v, cause, addr);
            return false;
        }
        i += n;
    }
    memcpy(mask, bytes, sizeof(*mask));
    return true;
}

/* send_ipi and the remote fences, forwarded to the v0.2+ handlers with
 * the mask read from the guest (va 0: every hart). */
static struct sbiret forward_masked(struct vcpu *v, const struct sbi_call *call,
                                    unsigned long mask, bool all)
{
    struct sbi_call fwd = { .arg = { mask, 0, call->arg[1], call->arg[2], call->arg[3] } };
    if (all)
        fwd.arg[1] = (unsigned long)-1;
    if (call->eid == SBI_EXT_0_1_SEND_IPI) {
        fwd.eid = SBI_EXT_IPI;
        return sbi_ext_ipi.call(v, &fwd);
    }
    fwd.eid = SBI_EXT_RFENCE;
    fwd.fid = call->eid == SBI_EXT_0_1_REMOTE_FENCE_I ? 0 : 1;
    return sbi_ext_rfence.call(v, &fwd);
}

static struct sbiret legacy_call(struct vcpu *v, const struct sbi_call *call)
{
    switch (call->eid) {
    case SBI_EXT_0_1_SET_TIMER:
        vcpu_set_timer(v, call->arg[0]);
        return (struct sbiret){ 0, 0 };
    case SBI_EXT_0_1_CONSOLE_PUTCHAR: {
        /* SBI 5.2: it blocks until the byte is sent: never refused. */
        char c = (char)call->arg[0];
        board_sbi_console_write(v->vm, &c, 1, false);
        return (struct sbiret){ 0, 0 };
    }
    case SBI_EXT_0_1_CONSOLE_GETCHAR:
        return (struct sbiret){ console_vm_getchar(v->vm->id), 0 };
    case SBI_EXT_0_1_CLEAR_IPI:
        __atomic_and_fetch(&v->csr->sip, ~SIP_SSIP, __ATOMIC_SEQ_CST);
        return (struct sbiret){ 0, 0 };
    default:
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

static enum trap_result legacy_handle(struct vcpu *v, const struct sbi_call *call,
                                      struct sbiret *ret)
{
    switch (call->eid) {
    case SBI_EXT_0_1_SHUTDOWN:
        return trap_exit(v, VCPU_EXIT_END_VM, false, "guest shutdown (legacy call)");
    case SBI_EXT_0_1_SEND_IPI:
    case SBI_EXT_0_1_REMOTE_FENCE_I:
    case SBI_EXT_0_1_REMOTE_SFENCE_VMA:
    case SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID: {
        unsigned long mask = ~0UL, va = call->arg[0];
        if (va && !read_hart_mask(v, va, &mask))
            return TRAP_REDIRECTED;     /* the guest takes the load's fault */
        *ret = forward_masked(v, call, mask, !va);
        return TRAP_NEXT;
    }
    default:
        *ret = legacy_call(v, call);
        return TRAP_NEXT;
    }
}

const struct sbi_extension sbi_ext_legacy = { SBI_EXT_0_1_SET_TIMER, SBI_EXT_0_1_SHUTDOWN,
                                              "legacy", .handle = legacy_handle };
