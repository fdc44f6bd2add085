/* U-mode code for main.c (run_user: an ecall ends the run). */
    .section .text
    .balign 4
    .globl u_cbo_zero
u_cbo_zero:
    .option push
    .option arch, +zicboz
    cbo.zero (a0)
    .option pop
    ecall
