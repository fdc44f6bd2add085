/* U-mode code for fp_user: a code page (mapped U=1 R X) and the mailbox
 * page after it (mapped U=1 R W), reached pc-relative so that the pair
 * works at any virtual address. Each routine takes an address in a0, puts
 * its result in mailbox[0] (mailbox[1] is its input) and ends with an
 * ecall, which ends run_user. */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page, u_load, u_store, u_amo, u_lrsc, u_call, mailbox
user_page:
#include "../shared/user_mailbox_ops.inc"
u_amo:                      /* mailbox[0] = amoadd.d(a0, mailbox[1]) */
    la t1, mailbox
    ld t0, 8(t1)
    amoadd.d t2, t0, (a0)
    sd t2, 0(t1)
    ecall
u_lrsc:                     /* mailbox[0] = ++*a0, with LR/SC */
1:  lr.d t0, (a0)
    addi t0, t0, 1
    sc.d t2, t0, (a0)
    bnez t2, 1b
    la t1, mailbox
    sd t0, 0(t1)
    ecall
u_call:                     /* mailbox[0] = a0(mailbox[1]) */
    mv t2, a0
    la t1, mailbox
    ld a0, 8(t1)
    jalr t2
    la t1, mailbox
    sd a0, 0(t1)
    ecall
    .balign 4096
mailbox:
    .space 4096

/* long pic_triple(long a): 3 * a + 7; copied to where U-mode calls it. */
    .section .text
    .balign 4
    .globl pic_triple, pic_triple_end
pic_triple:
    slli t1, a0, 1
    add a0, a0, t1
    addi a0, a0, 7
    ret
pic_triple_end:
