/* A page of U-mode code, mapped U=1 R X at a virtual address of its own:
 * loads the doubleword at a0, stores it at a0 + 8, then makes an ecall. */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page
user_page:
    ld t0, 0(a0)
    sd t0, 8(a0)
    ecall
    .balign 4096
