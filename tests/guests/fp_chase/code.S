/* Code that fp_chase copies into the places it maps and runs there:
 * position-independent, no stack. */
    .section .text
    .balign 4
/* long pic_add(long a, long *where): returns 3 * a + 0x1234 and stores its
 * own address (as auipc sees it) at *where. */
    .globl pic_add, pic_add_end
pic_add:
    auipc t0, 0
    sd t0, 0(a1)
    slli t1, a0, 1
    add a0, a0, t1
    li t1, 0x1234
    add a0, a0, t1
    ret
pic_add_end:

/* long pic_xor(long a, long *where): the replacement copied over pic_add:
 * returns a ^ 0x5a5a and stores its own address at *where. */
    .balign 4
    .globl pic_xor, pic_xor_end
pic_xor:
    auipc t0, 0
    sd t0, 0(a1)
    li t1, 0x5a5a
    xor a0, a0, t1
    ret
pic_xor_end:

/* A trap vector copied into the region: jumps to the address held in
 * sscratch (fwd_target) with t0 preserved through sscratch. */
    .balign 4
    .globl fwd_vec, fwd_vec_end
fwd_vec:
    csrrw t0, sscratch, t0
    jr t0
fwd_vec_end:

    .balign 4
    .globl fwd_target
fwd_target:
    csrrw t0, sscratch, t0
    j guest_trap_vector

/* long call_on_stack(long (*fn)(long), long arg, void *stack_top): calls
 * fn(arg) with sp = stack_top, then restores sp. */
    .balign 4
    .globl call_on_stack
call_on_stack:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd s1, 8(sp)
    mv s1, sp
    mv t0, a0
    mv a0, a1
    mv sp, a2
    jalr t0
    mv sp, s1
    ld ra, 0(sp)
    ld s1, 8(sp)
    addi sp, sp, 16
    ret
