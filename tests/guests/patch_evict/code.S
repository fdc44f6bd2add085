/* The code the patch_evict guest runs: COLD_PAGES pages each with a run of
 * two CSR accesses (more pages than lodger keeps copies of, more sites
 * than its site table holds), and one hot page. */
#define COLD_PAGES 80
    .option push
    .option norvc
    .section .text.evict_pages, "ax"
    .balign 4096
    .globl cold_pages
cold_pages:
    .rept COLD_PAGES
    .balign 4096
    /* unsigned long cold(void): sscratch + sepc, the guest sets both */
    csrr a0, sscratch
    csrr a1, sepc
    add a0, a0, a1
    ret
    .endr
    .balign 4096
    .globl hot_page
hot_page:
    /* unsigned long hot(unsigned long x): x + sscratch */
    csrr t0, sscratch
    add a0, a0, t0
    ret
    .balign 4096
    .option pop
