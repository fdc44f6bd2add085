/* SBI Debug Console extension (SBI spec ch. 12). The guest's bytes go to
 * lodger's console unchanged (and through the panic watch, dev/board.c),
 * and its input comes from lodger's console (core/console.h). */
#include "sbi/sbi.h"
#include "core/vm.h"
#include "core/console.h"

static struct sbiret dbcn_call(struct vcpu *v, const struct sbi_call *call)
{
    unsigned long len = call->arg[0];
    /* base_addr_hi is the upper half of a physical address (rv64: must be 0
     * for the address to exist in a 56-bit physical space). */
    uint64_t gpa = call->arg[1];
    switch (call->fid) {
    case SBI_DBCN_CONSOLE_WRITE: {
        if (call->arg[2])
            return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        const char *buf = vm_gpa_to_host(v->vm, gpa, len);
        if (!buf && len)
            return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        /* SBI 12.1: the call is non-blocking and may write fewer bytes than
         * asked (none, if the console cannot take more), returning how
         * many; the guest writes the rest next time. A bounded chunk keeps
         * one guest from holding the console (and lodger's hart) for as
         * long as a write of all its RAM takes; a VM whose console
         * backlog is full gets fewer or none (core/console_mux.h). */
        unsigned long n = len < SBI_DBCN_WRITE_MAX ? len : SBI_DBCN_WRITE_MAX;
        n = board_sbi_console_write(v->vm, buf, n, true);
        return (struct sbiret){ SBI_SUCCESS, (long)n };
    }
    case SBI_DBCN_CONSOLE_READ: {
        if (call->arg[2])
            return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        char *buf = vm_gpa_to_host(v->vm, gpa, len);
        if (!buf && len)
            return (struct sbiret){ SBI_ERR_INVALID_PARAM, 0 };
        unsigned long n = 0;
        int c;
        while (n < len && (c = console_vm_getchar(v->vm->id)) >= 0)
            buf[n++] = (char)c;
        /* A patched page's copy goes (core/patch.c), after the write: a
         * copy made meanwhile holds what was written. */
        patch_guest_wrote(v, gpa, n);
        return (struct sbiret){ SBI_SUCCESS, (long)n };
    }
    case SBI_DBCN_CONSOLE_WRITE_BYTE: {
        /* SBI 12.3: blocking; it returns once the byte is written. */
        char c = (char)call->arg[0];
        board_sbi_console_write(v->vm, &c, 1, false);
        return (struct sbiret){ SBI_SUCCESS, 0 };
    }
    default:
        return (struct sbiret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

const struct sbi_extension sbi_ext_dbcn = { SBI_EXT_DBCN, SBI_EXT_DBCN, "dbcn", .call = dbcn_call };
