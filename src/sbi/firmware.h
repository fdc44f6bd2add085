/* Calls from lodger to the firmware below it (OpenSBI, in M-mode). */
#ifndef LODGER_SBI_FIRMWARE_H
#define LODGER_SBI_FIRMWARE_H

#include <stdint.h>
#include <stdbool.h>

struct sbiret {
    long error;
    long value;
};

struct sbiret firmware_call(unsigned long ext, unsigned long fid, unsigned long a0,
                            unsigned long a1, unsigned long a2, unsigned long a3);
bool firmware_probe(unsigned long ext);
void firmware_init(void);
void firmware_putchar(char c);
void firmware_write(const char *s, unsigned long len);
int firmware_getchar(void);
void firmware_set_timer(uint64_t deadline);
void firmware_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
long firmware_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque);
long firmware_hart_status(unsigned long hartid);
void __attribute__((noreturn)) firmware_reset(unsigned long type, unsigned long reason);
/* QEMU's test finisher, used to report a failed shutdown as a non-zero exit
 * where the firmware cannot (OpenSBI 1.1 always reports success). */
void firmware_set_test_device(uint64_t address);

struct firmware_info {
    unsigned long spec_version, impl_id, impl_version;
    unsigned long mvendorid, marchid, mimpid;
    bool has_dbcn, has_srst, has_hsm, has_time, has_ipi, has_rfence;
    bool has_sstc;      /* the hart has Sstc (from the host DT) */
    /* What the firmware started lodger's boot hart with, which every vCPU
     * starts with too (power-on, reboot, HSM hart_start): OpenSBI's
     * mstatus_init sets FS = Dirty on a hart with F or D (VS on a hart with
     * V, which lodger does not offer: guests get VS = Off) and scounteren = 7,
     * on every hart it starts. */
    uint64_t start_fs, start_scounteren;
};
extern struct firmware_info firmware;

#endif
