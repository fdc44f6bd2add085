/* Reading and writing the guest's FP registers, which stay live in the
 * hart while lodger runs (lodger's C code never uses the FPU). FS is turned
 * on just for the access. Used by displaced-access emulation. */
#include "arch/riscv/encoding.h"

/* uint64_t fpr_read(unsigned n) */
    .section .text
    .globl fpr_read
    .balign 4
fpr_read:
    li t0, SSTATUS_FS
    csrs sstatus, t0
    la t1, 1f
    slli a0, a0, 3
    add t1, t1, a0
    jr t1
    .balign 8
    .option push
    .option norvc               /* each entry exactly 8 bytes */
1:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.x.d a0, f\n
    j 2f
    .endr
    .option pop
2:  csrc sstatus, t0
    ret

/* void fpr_write(unsigned n, uint64_t value) */
    .globl fpr_write
    .balign 4
fpr_write:
    li t0, SSTATUS_FS
    csrs sstatus, t0
    la t1, 1f
    slli a0, a0, 3
    add t1, t1, a0
    jr t1
    .balign 8
    .option push
    .option norvc               /* each entry exactly 8 bytes */
1:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.d.x f\n, a1
    j 2f
    .endr
    .option pop
2:  csrc sstatus, t0
    ret

/* void fpr_save(struct fp_state *s): all 32 registers and fcsr, for a vCPU
 * that leaves the hart (core/hart.c's switch_in). */
    .globl fpr_save
    .balign 4
fpr_save:
    li t0, SSTATUS_FS
    csrs sstatus, t0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, (8 * \n)(a0)
    .endr
    frcsr t1
    sd t1, 256(a0)
    csrc sstatus, t0
    ret

/* void fpr_restore(const struct fp_state *s) */
    .globl fpr_restore
    .balign 4
fpr_restore:
    li t0, SSTATUS_FS
    csrs sstatus, t0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, (8 * \n)(a0)
    .endr
    ld t1, 256(a0)
    fscsr t1
    csrc sstatus, t0
    ret
