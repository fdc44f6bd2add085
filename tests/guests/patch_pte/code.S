/* The page patch_pte uses both as code and as a leaf page table (a page
 * table is one page, privileged spec 4.3.1, and an entry with V=0 may hold
 * anything: here, instructions). Entries 64 and 96 (offsets 0x200, 0x300)
 * are valid PTEs whose low halves are also c.j instructions, written by
 * main.c; the A bit is bit 7 of a jump's offset, so the jump lands 10
 * bytes on (a0 = 0) while A=0 and 138 bytes on (a0 = 1) once the walk of
 * an access through the entry has set A. */
    .section .text.pte_page, "ax"
    .balign 4096
    .globl pte_page, pte_site, pte_jump, pte_jump_untouched
pte_page:

/* unsigned long pte_site(void): a CSR access lodger patches (its copy of
 * this page is then what the guest kernel runs). */
pte_site:
    csrr a0, sscratch
    ret

    .org pte_page + 0x200
pte_jump:
    .word 0                     /* entry 64: the PTE, written by main.c */
    .word 0
    .option push
    .option rvc
    .half 0                     /* entry 65 (V=0) */
    c.li a0, 0                  /* 0x20a: reached while A=0 */
    c.jr ra
    .org pte_page + 0x288
    .half 0                     /* entry 81 (V=0) */
    c.li a0, 1                  /* 0x28a: reached once A=1 */
    c.jr ra

    .org pte_page + 0x300
pte_jump_untouched:
    .word 0                     /* entry 96: the PTE, written by main.c */
    .word 0
    .half 0                     /* entry 97 (V=0) */
    c.li a0, 0
    c.jr ra
    .org pte_page + 0x388
    .half 0                     /* entry 113 (V=0) */
    c.li a0, 1
    c.jr ra
    .option pop

    .balign 4096
