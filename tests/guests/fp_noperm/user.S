/* A page of U-mode code, mapped U=1 R X by the guest. Each routine takes
 * an address in a0 and ends with an ecall (which ends run_user). */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page, user_load, user_store, user_fetch, user_amo
user_page:
user_load:
    ld t0, 0(a0)
    ecall
    .balign 16
user_store:
    li t0, 0x5a
    sd t0, 0(a0)
    ecall
    .balign 16
user_fetch:
    jalr a0
    ecall
    .balign 16
user_amo:
    li t0, 1
    amoadd.d t1, t0, (a0)
    ecall
    .balign 4096
