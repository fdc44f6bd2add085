/* Test guests' trap vectors: save caller-saved registers and call C.
 * guest_trap_vector is the direct-mode entry; guest_trap_vector_table is a
 * vectored-mode table (stvec = table | 1): entry n is where interrupt cause n
 * lands, entry 0 takes exceptions. trap_vector_slot tells which was used
 * (-1: direct). */
    .section .text
    .balign 4
    .globl guest_trap_vector
guest_trap_vector:
    addi sp, sp, -144
    sd t0, 8(sp)
    li t0, -1
    j trap_common

    .macro VECTOR_SLOT n
vector_slot_\n:
    addi sp, sp, -144
    sd t0, 8(sp)
    li t0, \n
    j trap_common
    .endm
    VECTOR_SLOT 0
    VECTOR_SLOT 1
    VECTOR_SLOT 2
    VECTOR_SLOT 3
    VECTOR_SLOT 4
    VECTOR_SLOT 5
    VECTOR_SLOT 6
    VECTOR_SLOT 7
    VECTOR_SLOT 8
    VECTOR_SLOT 9
    VECTOR_SLOT 10
    VECTOR_SLOT 11
    VECTOR_SLOT 12
    VECTOR_SLOT 13
    VECTOR_SLOT 14
    VECTOR_SLOT 15

trap_common:
    sd ra, 0(sp)
    sd t1, 16(sp)
    sd t2, 24(sp)
    sd a0, 32(sp)
    sd a1, 40(sp)
    sd a2, 48(sp)
    sd a3, 56(sp)
    sd a4, 64(sp)
    sd a5, 72(sp)
    sd a6, 80(sp)
    sd a7, 88(sp)
    sd t3, 96(sp)
    sd t4, 104(sp)
    sd t5, 112(sp)
    sd t6, 120(sp)
    la t1, trap_vector_slot
    sw t0, 0(t1)
    call guest_trap_handler
    ld ra, 0(sp)
    ld t0, 8(sp)
    ld t1, 16(sp)
    ld t2, 24(sp)
    ld a0, 32(sp)
    ld a1, 40(sp)
    ld a2, 48(sp)
    ld a3, 56(sp)
    ld a4, 64(sp)
    ld a5, 72(sp)
    ld a6, 80(sp)
    ld a7, 88(sp)
    ld t3, 96(sp)
    ld t4, 104(sp)
    ld t5, 112(sp)
    ld t6, 120(sp)
    addi sp, sp, 144
    sret

    /* 256-byte aligned: a conservative choice for vectored mode. */
    .balign 256
    .globl guest_trap_vector_table
guest_trap_vector_table:
    .option push
    .option norvc           /* 4-byte entries: base + 4 * cause */
    j vector_slot_0
    j vector_slot_1
    j vector_slot_2
    j vector_slot_3
    j vector_slot_4
    j vector_slot_5
    j vector_slot_6
    j vector_slot_7
    j vector_slot_8
    j vector_slot_9
    j vector_slot_10
    j vector_slot_11
    j vector_slot_12
    j vector_slot_13
    j vector_slot_14
    j vector_slot_15
    .option pop

/* long run_user_asm(void (*fn)(long), long arg): runs fn(arg) in U-mode (sret
 * with SPP=0) on the current stack; MMU off, so U-mode sees all memory. The
 * first exception from U-mode ends the run (the trap handler calls
 * user_leave); a function that returns does an ecall at user_returned. */
    .globl run_user_asm
run_user_asm:
    addi sp, sp, -112
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    la t0, user_saved_sp
    sd sp, 0(t0)
    csrw sepc, a0
    li t0, 0x100            /* sstatus.SPP */
    csrc sstatus, t0
    mv a0, a1
    la ra, user_returned
    sret
    .globl user_returned
user_returned:
    ecall

/* void user_leave(long value): from the trap handler, back to run_user's
 * caller (in S-mode), which gets value. */
    .globl user_leave
user_leave:
    la t0, user_saved_sp
    ld sp, 0(t0)
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    addi sp, sp, 112
    ret

    .section .bss
    .balign 8
user_saved_sp:
    .space 8
