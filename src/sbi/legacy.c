/* SBI v0.1 legacy extensions (SBI spec ch. 5), still used by old kernels:
 * each EID 0x00-0x08 is one call; only a0 is returned. */
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/console.h"
#include <string.h>

/* SBI 5 (legacy extensions): hart_mask is "a virtual address that points
 * to a bit-vector of harts", in the caller's S-mode address space: read
 * it as the guest's own load would (its satp, SUM and MXR, A set as the
 * hardware would), and deliver the fault that load would take to the
 * guest at the ecall, as OpenSBI does (it loads the mask with MPRV and
 * redirects the trap). False if it faulted (pc redirected). */
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
            v->pc_redirected = true;
            return false;
        }
        i += n;
    }
    memcpy(mask, bytes, sizeof(*mask));
    return true;
}

static struct sbiret legacy_handle(struct vcpu *v, const struct sbi_call *call)
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
    case SBI_EXT_0_1_SHUTDOWN:
        vm_end(v->vm, false, "guest shutdown (legacy call)");
    default:
        /* send_ipi and remote fences take a pointer to a hart mask in the
         * guest's memory: read it and forward to the v0.2+ handlers. */
        {
            unsigned long mask = ~0UL, va = call->arg[0];
            if (va && !read_hart_mask(v, va, &mask))
                return (struct sbiret){ 0, 0 };     /* the guest takes the fault */
            struct sbi_call fwd = { .arg = { mask, 0, call->arg[1], call->arg[2], call->arg[3] } };
            if (!va)
                fwd.arg[1] = (unsigned long)-1;
            if (call->eid == SBI_EXT_0_1_SEND_IPI) {
                fwd.eid = SBI_EXT_IPI;
                return sbi_ext_ipi.handle(v, &fwd);
            }
            fwd.eid = SBI_EXT_RFENCE;
            fwd.fid = call->eid == SBI_EXT_0_1_REMOTE_FENCE_I ? 0 : 1;
            return sbi_ext_rfence.handle(v, &fwd);
        }
    }
}

const struct sbi_extension sbi_ext_legacy = { SBI_EXT_0_1_SET_TIMER, SBI_EXT_0_1_SHUTDOWN,
                                              "legacy", legacy_handle };
