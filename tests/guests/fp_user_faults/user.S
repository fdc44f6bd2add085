/* U-mode code for fp_user_faults: a code page (mapped U=1 R X) and the
 * mailbox page after it (U=1 R W), reached pc-relative. Each routine takes
 * an address in a0, puts its result in mailbox[0] (mailbox[1] is its
 * input) and ends with an ecall, which ends run_user. */
    .section .text.user_page, "ax"
    .balign 4096
    .globl user_page, u_load, u_store, u_call, mailbox
user_page:
#include "../shared/user_mailbox_ops.inc"
u_call:                     /* jumps to a0 */
    jalr a0
    ecall
    .balign 4096
mailbox:
    .space 4096
