/* Calls from lodger to the SBI firmware (OpenSBI): console, timer, IPIs, HSM,
 * reset. Prefers the SBI v2.0 extensions and falls back to the v0.1 calls. */
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"

struct firmware_info firmware;

struct sbiret firmware_call(unsigned long ext, unsigned long fid, unsigned long a0,
                            unsigned long a1, unsigned long a2, unsigned long a3)
{
    register unsigned long r_a0 __asm__("a0") = a0;
    register unsigned long r_a1 __asm__("a1") = a1;
    register unsigned long r_a2 __asm__("a2") = a2;
    register unsigned long r_a3 __asm__("a3") = a3;
    register unsigned long r_a6 __asm__("a6") = fid;
    register unsigned long r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall"
                     : "+r"(r_a0), "+r"(r_a1)
                     : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
                     : "memory");
    return (struct sbiret){ .error = (long)r_a0, .value = (long)r_a1 };
}

bool firmware_probe(unsigned long ext)
{
    struct sbiret r = firmware_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, ext, 0, 0, 0);
    return r.error == SBI_SUCCESS && r.value != 0;
}

static unsigned long base_value(unsigned long fid)
{
    return (unsigned long)firmware_call(SBI_EXT_BASE, fid, 0, 0, 0, 0).value;
}

void firmware_init(void)
{
    firmware.spec_version = base_value(SBI_BASE_GET_SPEC_VERSION);
    firmware.impl_id = base_value(SBI_BASE_GET_IMPL_ID);
    firmware.impl_version = base_value(SBI_BASE_GET_IMPL_VERSION);
    firmware.mvendorid = base_value(SBI_BASE_GET_MVENDORID);
    firmware.marchid = base_value(SBI_BASE_GET_MARCHID);
    firmware.mimpid = base_value(SBI_BASE_GET_MIMPID);
    firmware.has_dbcn = firmware_probe(SBI_EXT_DBCN);
    firmware.has_srst = firmware_probe(SBI_EXT_SRST);
    firmware.has_hsm = firmware_probe(SBI_EXT_HSM);
    firmware.has_time = firmware_probe(SBI_EXT_TIME);
    firmware.has_ipi = firmware_probe(SBI_EXT_IPI);
    firmware.has_rfence = firmware_probe(SBI_EXT_RFENCE);
}

void firmware_putchar(char c)
{
    if (firmware.has_dbcn)
        firmware_call(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE_BYTE, (unsigned char)c, 0, 0, 0);
    else
        firmware_call(SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, (unsigned char)c, 0, 0, 0);
}

void firmware_write(const char *s, unsigned long len)
{
    /* DBCN write takes a physical address; lodger's own table is an identity map. */
    while (firmware.has_dbcn && len) {
        struct sbiret r = firmware_call(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, len,
                                        (unsigned long)s, 0, 0);
        if (r.error != SBI_SUCCESS)
            break;
        s += r.value;
        len -= (unsigned long)r.value;
    }
    while (len--)
        firmware_putchar(*s++);
}

int firmware_getchar(void)
{
    if (firmware.has_dbcn) {
        char c;
        struct sbiret r = firmware_call(SBI_EXT_DBCN, SBI_DBCN_CONSOLE_READ, 1,
                                        (unsigned long)&c, 0, 0);
        return (r.error == SBI_SUCCESS && r.value == 1) ? (unsigned char)c : -1;
    }
    return (int)firmware_call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, 0).error;
}

void firmware_set_timer(uint64_t deadline)
{
    /* Sstc: the supervisor timer is lodger's own CSR, no firmware call. */
    if (firmware.has_sstc) {
        csr_write(CSR_STIMECMP, deadline);
        return;
    }
    if (firmware.has_time)
        firmware_call(SBI_EXT_TIME, 0, deadline, 0, 0, 0);
    else
        firmware_call(SBI_EXT_0_1_SET_TIMER, 0, deadline, 0, 0, 0);
}

void firmware_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
    firmware_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0);
}

long firmware_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{
    return firmware_call(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start, opaque, 0).error;
}

long firmware_hart_status(unsigned long hartid)
{
    struct sbiret r = firmware_call(SBI_EXT_HSM, SBI_HSM_HART_STATUS, hartid, 0, 0, 0);
    return r.error ? r.error : r.value;
}

static volatile uint32_t *test_device;

void firmware_set_test_device(uint64_t address)
{
    test_device = (volatile uint32_t *)(uintptr_t)address;
}

#define TEST_FINISHER_FAIL 0x3333u

void firmware_reset(unsigned long type, unsigned long reason)
{
    if (type == SBI_SRST_RESET_TYPE_SHUTDOWN && reason == SBI_SRST_RESET_REASON_SYSFAIL &&
        test_device)
        *test_device = TEST_FINISHER_FAIL | 1u << 16;   /* QEMU exits with status 1 */
    if (firmware.has_srst)
        firmware_call(SBI_EXT_SRST, 0, type, reason, 0, 0);
    if (type == SBI_SRST_RESET_TYPE_SHUTDOWN)
        firmware_call(SBI_EXT_0_1_SHUTDOWN, 0, 0, 0, 0, 0);
    for (;;)
        wait_for_interrupt();
}
