/*
 * The first portion's code: the one trap vector of every hart (stvec), and
 * the way back into a guest. It runs at whatever virtual address the VM's
 * first portion currently has, so it is position-independent: no absolute
 * address, no call out of this section (checked at build time by
 * tools/check-first-portion). Everything it needs comes from the trap frame
 * that sscratch points to.
 *
 *  from a guest (sstatus.SPP = U): save the guest's registers in its frame,
 *      switch satp to lodger's own table, call the C dispatcher
 *      (frame->host_trap) on the hart's stack. The dispatcher never returns;
 *      it leaves through first_resume_guest.
 *  from lodger itself (SPP = S): lodger's table is already active; save its
 *      registers on its own stack and call frame->host_fault.
 */
#include "arch/riscv/encoding.h"
#include "offsets.inc"

.macro save_guest_regs
    .irp n, 1,3,4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, FRAME_X\n(sp)
    .endr
.endm

.macro restore_guest_regs
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, FRAME_X\n(sp)
    .endr
.endm

    .section .first.text, "ax"
    .balign 4096
    .globl first_portion_start
first_portion_start:

    .globl first_trap_entry
    .balign 4
first_trap_entry:
    csrrw sp, sscratch, sp          /* sp = frame, sscratch = interrupted sp */
    sd t0, FRAME_X5(sp)
    csrr t0, sstatus
    andi t0, t0, SSTATUS_SPP
    bnez t0, .Lfrom_lodger

    /* A guest trapped: everything it had goes into its frame. */
    save_guest_regs
    csrr t0, sscratch
    sd t0, FRAME_X2(sp)
    csrr t0, sepc
    sd t0, FRAME_PC(sp)
    csrr t0, scause
    sd t0, FRAME_CAUSE(sp)
    csrr t0, stval
    sd t0, FRAME_TVAL(sp)
    csrr t0, sstatus
    sd t0, FRAME_STATUS(sp)

    /* Into the second address space. Load all we need before the switch:
     * the frame is not mapped there. */
    ld t0, FRAME_HOST_SATP(sp)
    ld t1, FRAME_HOST_TRAP(sp)
    ld t2, FRAME_HOST_SCRATCH(sp)
    ld t3, FRAME_FLUSH(sp)
    ld tp, FRAME_HOST_TP(sp)
    ld sp, FRAME_HOST_SP(sp)
    csrw satp, t0
    beqz t3, 1f
    sfence.vma
1:  csrw sscratch, t2
    /* lodger's C code never uses the FPU: keep the guest's FP registers
     * intact and make any accidental use fault. */
    li t0, SSTATUS_FS
    csrc sstatus, t0
    jr t1

.Lfrom_lodger:
    ld t0, FRAME_X5(sp)
    csrrw sp, sscratch, sp          /* back to lodger's stack; sscratch = frame */
    addi sp, sp, -HOST_REGS_SIZE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, HOST_X\n(sp)
    .endr
    addi t0, sp, HOST_REGS_SIZE
    sd t0, HOST_X2(sp)
    csrr t0, sepc
    sd t0, HOST_PC(sp)
    csrr t0, scause
    sd t0, HOST_CAUSE(sp)
    csrr t0, stval
    sd t0, HOST_TVAL(sp)
    csrr t0, sstatus
    sd t0, HOST_STATUS(sp)
    csrr t0, sscratch
    ld t0, FRAME_HOST_FAULT(t0)
    mv a0, sp
    jalr t0                         /* lodger_fault(struct host_regs *) */
    ld t0, HOST_PC(sp)
    csrw sepc, t0
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, HOST_X\n(sp)
    .endr
    addi sp, sp, HOST_REGS_SIZE
    sret

/*
 * first_resume_guest(a0 = frame address in the guest's space, a1 = guest satp,
 *                    a2 = non-zero to flush the TLB after the switch)
 * Called by lodger, in its own space, at the VM's first-portion address (its
 * code pages are mapped there in both spaces), with sstatus.SPP = U set up.
 * Never returns.
 */
    .globl first_resume_guest
    .balign 4
first_resume_guest:
    csrw satp, a1
    beqz a2, 1f
    sfence.vma
1:  mv sp, a0
    csrw sscratch, sp
    ld t0, FRAME_PC(sp)
    csrw sepc, t0
    restore_guest_regs
    ld sp, FRAME_X2(sp)
    sret

    .balign 4096
    .globl first_portion_end
first_portion_end:
