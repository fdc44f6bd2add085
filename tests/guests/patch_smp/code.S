/* The code both harts of patch_smp run while one of them rewrites it,
 * alone in its 4 KiB page. Its CSR accesses trap (lodger patches them into
 * ebreaks in a copy of the page); xmod_site and xmod_value are the two
 * instructions the boot hart rewrites, generation after generation. */
    .section .text.xmod_page, "ax"
    .balign 4096
    .globl xmod_page, xmod_fn, xmod_site, xmod_value
xmod_page:
    .option push
    .option norvc
/* unsigned long xmod_fn(void): the generation's value and CSR, summed. */
xmod_fn:
    csrr t1, sscratch
    csrw sscratch, t1
xmod_site:
    csrr t0, sepc               /* rewritten: csrr t0, sepc / csrr t0, sscratch */
xmod_value:
    li a0, 0                    /* rewritten: li a0, <generation> */
    csrr t2, sscratch
    add a0, a0, t0
    ret
    .option pop
    .balign 4096
